"""What the GraphQL adapters (monday, Linear) share on top of `HttpClient`.

Why a module of its own: GraphQL APIs say "slow down" or "no" inside the answer (monday: HTTP
200 with `errors[]`; Linear: HTTP 400 with `errors[].extensions.code`), where status codes can't
tell. These helpers read those errors; each adapter's validator turns them into the verdicts of
`HttpClient`'s one retry policy (`RetryLater` or a fatal error), which does all the waiting.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from integrations.base import SourceError
from integrations.http import HttpClient, Validator


class GraphQLError(SourceError):
    """The API answered with errors: names the source and the vendor's message, never a token."""


class StillRateLimited(GraphQLError):
    """The API still said "slow down" in the body once the client's retries ran out (a write
    refused for it says "try again in a minute", not the vendor's message)."""


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


def error_text(errors: list[dict[str, Any]]) -> str:
    """The vendor's messages, short: what the user needs to see in `sync`'s one line."""
    parts = []
    for error in errors:
        code = error_code(error)
        message = str(error.get("message") or "").strip()
        parts.append(f"{message} ({code})" if code and message else message or code)
    text = "; ".join(p for p in parts if p) or "unknown error"
    return text[:300]


def run_query(
    client: HttpClient, query: str, variables: Mapping[str, Any], validate: Validator
) -> Mapping[str, Any]:
    """One GraphQL call under the client's retry policy; `validate` is the adapter's reading of
    the body's errors. Returns the answer's `data` ({} when it has none)."""
    answer = client.post(
        client.base_url,
        json={"query": query, "variables": dict(variables)},
        validate=validate,
    )
    data = answer.get("data") if isinstance(answer, Mapping) else None
    return data if isinstance(data, Mapping) else {}
