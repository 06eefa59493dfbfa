"""HTTP for adapters: one session per source, timeouts, polite retries, loop-proof pagination.

Why here and not in each adapter: rate limits make request count the real cost of a sync, and every
vendor signals "slow down" a little differently (Retry-After, X-RateLimit-Reset in seconds or epoch
ms, or inside a 200/400 GraphQL body). The shape is the Singer SDK's: an adapter only *classifies*
an answer (a `Validator` raising `RetryLater` or a fatal `SourceError`); this client alone owns the
one retry policy: how long to wait, which headers to obey, and the cap on retries and total wait
for each request. Errors are worded without secrets.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit

import requests

from bot.i18n import Said
from integrations.base import SourceError

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
T = TypeVar("T")
C = TypeVar("C")


class HttpError(SourceError):
    """An answer the adapter cannot use: names source, path and status, never a token.

    `headers` are the answer's (empty when there was none), for callers that read a vendor's
    header from a refusal.
    """

    def __init__(
        self,
        source: str,
        method: str,
        path: str,
        status: int | None,
        detail: str,
        headers: Mapping[str, str] | None = None,
    ):
        self.source, self.method, self.path, self.status = source, method, path, status
        self.headers: Mapping[str, str] = headers or {}
        where = f"{method} {path}"
        code = f"HTTP {status}" if status is not None else Said("http.no_answer")
        super().__init__(Said("http.failed", source=source, where=where, code=code, detail=detail))


class AuthError(HttpError):
    """401/403: the credentials are wrong or lack access; the message says which variable to set."""


class RetryLater(Exception):  # noqa: N818 - a verdict, not an error that reaches anyone
    """A validator's verdict: this answer is worth asking again.

    `delay` is what the answer itself says to wait (seconds), or None to let the policy decide
    (the response's Retry-After / reset headers when `rate_limited`, else jittered backoff).
    `final` words the error raised when the policy gives up (it gets the retry summary).
    """

    def __init__(
        self,
        reason: str,
        delay: float | None = None,
        *,
        rate_limited: bool = False,
        final: Callable[[str], SourceError] | None = None,
    ):
        super().__init__(reason)
        self.reason, self.delay, self.rate_limited = reason, delay, rate_limited
        self.final = final


@dataclass
class RetryBudget:
    """What one request has used of the policy's allowance: retries made, seconds waited."""

    attempts: int = 0
    waited: float = 0.0


#: Classifies one answer: returns when it is usable, raises `RetryLater` or a `SourceError`.
Validator = Callable[[requests.Response], None]


def json_body(response: requests.Response) -> Any:
    """The decoded body, parsed once per response (a validator and the caller both read it);
    None when it is not JSON."""
    cache = response.__dict__
    if "_decoded_body" not in cache:
        try:
            cache["_decoded_body"] = response.json()
        except ValueError:
            cache["_decoded_body"] = None
    return cache["_decoded_body"]


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
        clock: Callable[[], float] = time.time,
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
        #: epoch seconds now; reset headers are absolute times (tests pass the recording's clock)
        self.clock = clock
        self.session = session or requests.Session()
        self.session.headers.update({"Accept": "application/json", **dict(headers or {})})
        self.requests_made = 0
        #: seconds slept over the client's life (reporting); the cap applies to each request
        self.waited = 0.0

    def close(self) -> None:
        self.session.close()

    def url(self, path: str) -> str:
        return path if path.startswith("http") else f"{self.base_url}/{path.lstrip('/')}"

    def shown_path(self, url: str) -> str:
        """The URL's path as messages show it: a credential in the path itself (Trello's
        `/tokens/{token}/webhooks`) is masked like the query string's."""
        shown = urlsplit(url).path
        for value in self.auth_params.values():
            if value:
                shown = shown.replace(value, "…")
        return shown

    def get(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        validate: Validator | None = None,
    ) -> Any:
        return self._decoded(self.request("GET", path, params=params, validate=validate), "GET")

    def post(
        self,
        path: str,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        *,
        validate: Validator | None = None,
    ) -> Any:
        return self.send("POST", path, json, params, validate=validate)

    def send(
        self,
        method: str,
        path: str,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        *,
        validate: Validator | None = None,
    ) -> Any:
        """Any method (`PUT`, `PATCH`, `DELETE` for writes) under the same retry policy; the
        decoded body, None when the tool answers no content (204)."""
        response = self.request(method, path, params=params, json=json, validate=validate)
        return self._decoded(response, method)

    def _decoded(self, response: requests.Response, method: str) -> Any:
        """The decoded body; a proxy's HTML page or a cut answer becomes an `HttpError`."""
        body = json_body(response)
        if body is None and response.content.strip() not in (b"", b"null"):
            shown = self.shown_path(response.url or "")
            raise HttpError(self.source, method, shown, response.status_code, Said("http.not_json"))
        return body

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        validate: Validator | None = None,
        stream: bool = False,
    ) -> requests.Response:
        """Send one request under the retry policy.

        `validate` (the adapter's classification, e.g. a GraphQL body's errors) runs first, then
        the status check every vendor shares (`check_status`). Either may say `RetryLater`;
        connection errors and timeouts are retried too. Retries and waiting are capped per
        request by `max_retries` and `max_total_wait`, whatever said to wait. `stream`: the body
        is left to read (a download the caller reads under its own size and time limits).
        """
        url = self.url(path)
        shown = self.shown_path(url)
        query = {**dict(params or {}), **self.auth_params}
        budget = RetryBudget()
        while True:
            response: requests.Response | None = None
            try:
                self.requests_made += 1
                response = self.session.request(
                    method,
                    url,
                    params=query or None,
                    json=json,
                    timeout=self.timeout,
                    stream=stream,
                )
                if validate is not None:
                    validate(response)
                self.check_status(response, method, shown)
                return response
            except (requests.ConnectionError, requests.Timeout) as exc:
                verdict = RetryLater(
                    Said("http.timed_out")
                    if isinstance(exc, requests.Timeout)
                    else Said("http.connection_failed")
                )
            except RetryLater as told:
                verdict = told
            self.wait_to_retry(verdict, response, f"{method} {shown}", budget)

    def wait_to_retry(
        self,
        verdict: RetryLater,
        response: requests.Response | None,
        what: str,
        *budgets: RetryBudget,
    ) -> None:
        """The one retry policy: sleep before asking again, charged to each request's budget;
        raise (`verdict.final`, else an `HttpError`) once a budget's retries or wait run out.

        Budgets are per request: a long sync on a rate-limited plan may wait many times, each
        wait bounded, without one early slowdown using up the allowance of the whole sync.
        A batch that retries several sub-requests at once passes each one's budget.
        """
        delay = self._delay(verdict, response, max(b.attempts for b in budgets) + 1)
        for budget in budgets:
            budget.attempts += 1
            if budget.attempts > self.max_retries or budget.waited + delay > self.max_total_wait:
                detail = Said(
                    "http.still_failing",
                    reason=verdict.reason,
                    attempts=budget.attempts,
                    waited=f"{budget.waited:.0f}",
                )
                if verdict.final is not None:
                    raise verdict.final(detail)
                status = response.status_code if response is not None else None
                headers = response.headers if response is not None else None
                method, _, shown = what.partition(" ")
                raise HttpError(self.source, method, shown, status, detail, headers)
        log.warning(
            "source '%s': %s %s; retrying in %.1f s (attempt %d)",
            self.source,
            what,
            verdict.reason,
            delay,
            max(b.attempts for b in budgets) + 1,
        )
        self.sleep(delay)
        self.waited += delay
        for budget in budgets:
            budget.waited += delay

    def check_status(self, response: requests.Response, method: str, shown: str) -> None:
        """The status rules every vendor shares: 429/5xx retried, 401/403 a credentials error
        naming the variable to set, any other 4xx fatal."""
        status = response.status_code
        if status in RETRY_STATUSES:
            raise RetryLater(f"HTTP {status}", rate_limited=status == 429)
        if status in (401, 403):
            hint = f"; {self.auth_hint}" if self.auth_hint else ""
            raise AuthError(
                self.source,
                method,
                shown,
                status,
                Said("http.refused", hint=hint),
                response.headers,
            )
        if status >= 400:
            raise HttpError(
                self.source, method, shown, status, _short_body(response), response.headers
            )

    def _delay(
        self, verdict: RetryLater, response: requests.Response | None, attempt: int
    ) -> float:
        """How long to wait before the next attempt: what the answer said, else the policy's."""
        if verdict.delay is not None:
            return max(MIN_TOLD_WAIT, verdict.delay)
        return retry_delay(
            response, attempt, self.backoff_base, self.clock, rate_limited=verdict.rate_limited
        )


#: The least wait when a server's reset time is already past (clocks differ): no instant hammering.
MIN_TOLD_WAIT = 1.0


def retry_delay(
    response: requests.Response | None,
    attempt: int,
    base: float = 1.0,
    clock: Callable[[], float] = time.time,
    *,
    rate_limited: bool | None = None,
) -> float:
    """Seconds to wait: what a rate-limited answer says (Retry-After, X-RateLimit-Reset), else
    jittered exponential backoff.

    Vendors send their rate-limit headers on every answer, so a reset time is only obeyed when
    the answer is a rate limit (a 429, or a body that says so: `rate_limited`): a 500 backs off
    exponentially rather than waiting for the rate window to roll over.
    """
    if response is not None:
        limited = response.status_code == 429 if rate_limited is None else rate_limited
        told = _told_delay(response.headers, clock, rate_limited=limited)
        if told is not None:
            return max(MIN_TOLD_WAIT, told)
    return base * (2 ** (attempt - 1)) * (0.5 + random.random() / 2)


def _told_delay(
    headers: Mapping[str, str], clock: Callable[[], float], *, rate_limited: bool
) -> float | None:
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
    if not rate_limited:
        return None
    for name in ("X-RateLimit-Reset", "X-RateLimit-Requests-Reset"):
        reset = headers.get(name)
        if not reset:
            continue
        try:
            value = float(reset)
        except ValueError:
            continue
        now = clock()
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
