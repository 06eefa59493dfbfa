"""What the GraphQL adapters (monday, Linear) share on top of `HttpClient`.

Why a module of its own: GraphQL APIs say "slow down" or "no" inside the answer (monday: HTTP
200 with `errors[]`; Linear: HTTP 400 with `errors[].extensions.code`), where `HttpClient`'s
status-based retries can't see it. These helpers read those errors and wait through the client
itself (its `sleep` and `clock`, its retry count and per-request wait budget), so tests never
sleep and one cap covers every adapter.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from integrations.base import SourceError
from integrations.http import MIN_TOLD_WAIT, HttpClient

log = logging.getLogger(__name__)


class GraphQLError(SourceError):
    """The API answered with errors: names the source and the vendor's message, never a token."""


def errors_of(payload: Any) -> list[dict[str, Any]]:
    """The `errors` of an answer as dicts (monday's older answers list bare strings)."""
    if not isinstance(payload, Mapping):
        return []
    raw = payload.get("errors") or []
    if not isinstance(raw, list):
        raw = [raw]
    found = [dict(e) if isinstance(e, Mapping) else {"message": str(e)} for e in raw]
    if not found and payload.get("error_code"):  # monday's pre-2024 envelope
        found = [{"message": payload.get("error_message"), "code": payload["error_code"]}]
    return found


def error_code(error: Mapping[str, Any]) -> str:
    extensions = error.get("extensions") or {}
    return str(extensions.get("code") or error.get("code") or "")


def describe(errors: list[dict[str, Any]]) -> str:
    """The vendor's messages, short: what the user needs to see in `sync`'s one line."""
    parts = []
    for error in errors:
        code = error_code(error)
        message = str(error.get("message") or "").strip()
        parts.append(f"{message} ({code})" if code and message else message or code)
    text = "; ".join(p for p in parts if p) or "unknown error"
    return text[:300]


def reset_delay(client: HttpClient, headers: Mapping[str, str], name: str) -> float | None:
    """Seconds until the epoch time (seconds or milliseconds) in header `name`, by the client's
    clock; at least `MIN_TOLD_WAIT` when that time is already past (clocks differ)."""
    raw = headers.get(name)
    try:
        value = float(raw) if raw else None
    except ValueError:
        return None
    if value is None:
        return None
    seconds = value / 1000 if value > 1e12 else value
    return max(MIN_TOLD_WAIT, seconds - client.clock())


def pause(client: HttpClient, delay: float, attempt: int, waited: float, reason: str) -> bool:
    """Wait `delay` seconds through the client before retry `attempt + 1`; False when the
    client's retry count or its per-request wait budget (`waited` so far) would be exceeded."""
    delay = max(0.0, delay)
    if attempt > client.max_retries or waited + delay > client.max_total_wait:
        return False
    log.warning(
        "source '%s': %s; retrying in %.1f s (attempt %d)",
        client.source,
        reason,
        delay,
        attempt + 1,
    )
    client.sleep(delay)
    client.waited += delay
    return True
