"""HTTP for adapters: one session per source, timeouts, polite retries, loop-proof pagination.

Why here and not in each adapter: rate limits make request count the real cost of a sync, and every
vendor signals "slow down" a little differently (Retry-After, X-RateLimit-Reset in seconds or epoch
ms). One client honours them all, caps the total wait, and words errors without secrets.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit

import requests

from integrations.base import SourceError

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
T = TypeVar("T")
C = TypeVar("C")


class HttpError(SourceError):
    """An answer the adapter cannot use: names source, path and status, never a token."""

    def __init__(self, source: str, method: str, path: str, status: int | None, detail: str):
        self.source, self.method, self.path, self.status = source, method, path, status
        where = f"{method} {path}"
        code = f"HTTP {status}" if status is not None else "no answer"
        super().__init__(f"source '{source}': {where} failed ({code}): {detail}")


class AuthError(HttpError):
    """401/403: the credentials are wrong or lack access; the message says which variable to set."""


class PaginationLoop(SourceError):
    """The API handed back a cursor it had already given: stop rather than loop forever."""


class HttpClient:
    """A `requests.Session` for one source with retries honouring the vendor's rate-limit headers.

    `auth_params` go in the query string (Trello), `headers` on every request (the others). Both are
    kept out of every message and log line: errors carry only the URL path.
    """

    def __init__(
        self,
        source: str,
        base_url: str,
        *,
        headers: Mapping[str, str] | None = None,
        auth_params: Mapping[str, str] | None = None,
        auth_hint: str = "",
        timeout: tuple[float, float] = (5.0, 30.0),
        max_retries: int = 6,
        max_total_wait: float = 120.0,
        backoff_base: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
        session: requests.Session | None = None,
    ) -> None:
        self.source = source
        self.base_url = base_url.rstrip("/")
        self.auth_params = dict(auth_params or {})
        self.auth_hint = auth_hint
        self.timeout = timeout
        self.max_retries = max_retries
        self.max_total_wait = max_total_wait
        self.backoff_base = backoff_base
        self.sleep = sleep
        self.session = session or requests.Session()
        self.session.headers.update({"Accept": "application/json", **dict(headers or {})})
        self.requests_made = 0
        #: seconds slept over the client's life (reporting); the cap applies to each request
        self.waited = 0.0
        self._waited_now = 0.0

    def close(self) -> None:
        self.session.close()

    def url(self, path: str) -> str:
        return path if path.startswith("http") else f"{self.base_url}/{path.lstrip('/')}"

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return self._json(self.request("GET", path, params=params), "GET")

    def post(self, path: str, json: Any = None, params: Mapping[str, Any] | None = None) -> Any:
        return self._json(self.request("POST", path, params=params, json=json), "POST")

    def _json(self, response: requests.Response, method: str) -> Any:
        """The decoded body; a proxy's HTML page or a cut answer becomes an `HttpError`."""
        try:
            return response.json()
        except ValueError:
            shown = urlsplit(response.url or "").path
            raise HttpError(
                self.source, method, shown, response.status_code, "the answer is not JSON"
            ) from None

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
    ) -> requests.Response:
        """Send one request, retrying 429/5xx and connection errors with capped backoff."""
        url = self.url(path)
        shown = urlsplit(url).path
        query = {**dict(params or {}), **self.auth_params}
        attempt = 0
        self._waited_now = 0.0
        while True:
            attempt += 1
            try:
                self.requests_made += 1
                response = self.session.request(
                    method, url, params=query or None, json=json, timeout=self.timeout
                )
            except (requests.ConnectionError, requests.Timeout) as exc:
                reason = "timed out" if isinstance(exc, requests.Timeout) else "connection failed"
                if not self._wait_before_retry(attempt, None, method, shown, reason):
                    raise HttpError(self.source, method, shown, None, reason) from None
                continue
            if response.status_code in RETRY_STATUSES:
                if self._wait_before_retry(
                    attempt, response, method, shown, f"HTTP {response.status_code}"
                ):
                    continue
                raise HttpError(
                    self.source,
                    method,
                    shown,
                    response.status_code,
                    f"still failing after {attempt} attempts and "
                    f"{self._waited_now:.0f} s of waiting",
                )
            if response.status_code in (401, 403):
                hint = f"; {self.auth_hint}" if self.auth_hint else ""
                raise AuthError(
                    self.source,
                    method,
                    shown,
                    response.status_code,
                    f"the credentials were refused{hint}",
                )
            if response.status_code >= 400:
                raise HttpError(
                    self.source, method, shown, response.status_code, _short_body(response)
                )
            return response

    def _wait_before_retry(
        self,
        attempt: int,
        response: requests.Response | None,
        method: str,
        path: str,
        reason: str,
    ) -> bool:
        """Sleep before the next attempt; False once retries or this request's wait budget run out.

        The budget is per request: a long sync on a rate-limited plan may wait many times, each
        wait bounded, without one early slowdown using up the allowance of the whole sync.
        """
        if attempt > self.max_retries:
            return False
        delay = retry_delay(response, attempt, self.backoff_base)
        if self._waited_now + delay > self.max_total_wait:
            return False
        log.warning(
            "source '%s': %s %s %s; retrying in %.1f s (attempt %d)",
            self.source,
            method,
            path,
            reason,
            delay,
            attempt + 1,
        )
        self.sleep(delay)
        self.waited += delay
        self._waited_now += delay
        return True


def retry_delay(response: requests.Response | None, attempt: int, base: float = 1.0) -> float:
    """Seconds to wait: the server's Retry-After or X-RateLimit-Reset, else jittered backoff."""
    if response is not None:
        told = _told_delay(response.headers)
        if told is not None:
            return max(0.0, told)
    return base * (2 ** (attempt - 1)) * (0.5 + random.random() / 2)


def _told_delay(headers: Mapping[str, str]) -> float | None:
    retry_after = headers.get("Retry-After")
    if retry_after:
        try:
            return float(retry_after)
        except ValueError:
            try:
                when = parsedate_to_datetime(retry_after)
            except (TypeError, ValueError):
                return None
            if when.tzinfo is None:  # "-0000" parses naive: it still means UTC
                when = when.replace(tzinfo=UTC)
            return (when - datetime.now(UTC)).total_seconds()
    for name in ("X-RateLimit-Reset", "X-RateLimit-Requests-Reset"):
        reset = headers.get(name)
        if not reset:
            continue
        try:
            value = float(reset)
        except ValueError:
            continue
        now = time.time()
        if value > 1e12:  # epoch milliseconds (Linear)
            return value / 1000 - now
        if value > 1e9:  # epoch seconds (ClickUp, Jira)
            return value - now
        return value  # already a number of seconds
    return None


def _short_body(response: requests.Response) -> str:
    text = response.text.strip().replace("\n", " ")
    return text[:200] if text else response.reason or "error"


def paginate(
    fetch_page: Callable[[C | None], tuple[list[T], C | None]],
    *,
    source: str,
    max_pages: int = 100_000,
) -> Iterator[list[T]]:
    """Yield pages until the cursor runs out; refuse a cursor seen before or an endless run."""
    seen: set[Any] = set()
    cursor: C | None = None
    for _ in range(max_pages):
        items, cursor = fetch_page(cursor)
        yield items
        if cursor is None:
            return
        if cursor in seen:
            raise PaginationLoop(f"source '{source}': the API repeated page cursor {cursor!r}")
        seen.add(cursor)
    raise PaginationLoop(f"source '{source}': more than {max_pages} pages; stopping")
