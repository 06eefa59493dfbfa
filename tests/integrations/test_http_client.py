"""The shared HTTP client and value parsers: behaviour both adapters lean on."""

from __future__ import annotations

import re
from typing import Any

import pytest
import requests

from integrations.http import HttpClient, HttpError, retry_delay
from integrations.values import parse_amount


class FakeSession:
    """Answers queued responses in order, recording each request (no network)."""

    def __init__(self, answers: list[requests.Response]) -> None:
        self.headers: dict[str, str] = {}
        self.answers = answers
        self.sent: list[dict[str, Any]] = []

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        self.sent.append({"method": method, "url": url, **kwargs})
        return self.answers.pop(0)

    def close(self) -> None:
        pass


def answer(status: int, body: bytes = b"{}", **headers: str) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = body
    response.headers.update({"Content-Type": "application/json", **headers})
    response.url = "https://app.asana.com/api/1.0/tasks"
    return response


def client(answers: list[requests.Response], waits: list[float]) -> HttpClient:
    return HttpClient(
        "agence",
        "https://app.asana.com/api/1.0",
        sleep=waits.append,
        session=FakeSession(answers),  # type: ignore[arg-type]
    )


def test_the_wait_budget_is_per_request_not_per_sync() -> None:
    # Two requests each told to wait 100 s: within the 120 s cap each time, so both succeed.
    waits: list[float] = []
    http = client(
        [
            answer(429, **{"Retry-After": "100"}),
            answer(200, b'{"data": 1}'),
            answer(429, **{"Retry-After": "100"}),
            answer(200, b'{"data": 2}'),
        ],
        waits,
    )
    assert http.get("/tasks") == {"data": 1}
    assert http.get("/tasks") == {"data": 2}
    assert waits == [100.0, 100.0] and http.waited == 200.0


def test_a_wait_longer_than_the_cap_fails_with_a_clear_message() -> None:
    http = client([answer(429, **{"Retry-After": "600"})], [])
    with pytest.raises(HttpError, match=r"HTTP 429.*still failing after 1 attempts"):
        http.get("/tasks")


def test_an_answer_that_is_not_json_is_an_http_error() -> None:
    http = client([answer(200, b"<html>proxy login</html>", **{"Content-Type": "text/html"})], [])
    with pytest.raises(HttpError, match="not JSON"):
        http.get("/tasks")


def test_retry_after_as_a_utc_date_without_zone_is_understood() -> None:
    from integrations.http import MIN_TOLD_WAIT

    past = answer(429, **{"Retry-After": "Wed, 21 Oct 2015 07:28:00 -0000"})
    assert retry_delay(past, 1) == MIN_TOLD_WAIT  # understood (a past date), not a backoff guess


def test_amounts_written_in_euros() -> None:
    assert parse_amount("12 000 euros") == (12000.0, "EUR")
    assert parse_amount("12 000 EUR") == (12000.0, "EUR")
    assert parse_amount("1 euro") == (1.0, "EUR")


def _answer(status: int, **headers: str) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response.headers.update(headers)
    return response


def test_reset_header_is_obeyed_on_429_only() -> None:
    from integrations.http import retry_delay

    now = 1_771_666_800.0
    reset = str(int(now) + 12)
    assert retry_delay(_answer(429, **{"X-RateLimit-Reset": reset}), 1, clock=lambda: now) == 12.0
    # A 500 carrying the same header backs off (≤ 1 s on the first attempt), not 12 s.
    assert retry_delay(_answer(500, **{"X-RateLimit-Reset": reset}), 1, clock=lambda: now) <= 1.0


def test_a_reset_time_already_past_still_waits_a_little() -> None:
    from integrations.http import MIN_TOLD_WAIT, retry_delay

    past = _answer(429, **{"X-RateLimit-Reset": "1771666700"})
    assert retry_delay(past, 1, clock=lambda: 1_771_666_800.0) == MIN_TOLD_WAIT
    assert retry_delay(_answer(429, **{"Retry-After": "0"}), 1) == MIN_TOLD_WAIT


def test_linear_style_reset_in_epoch_milliseconds() -> None:
    from integrations.http import retry_delay

    answer = _answer(429, **{"X-RateLimit-Requests-Reset": "1771666830000"})
    assert retry_delay(answer, 1, clock=lambda: 1_771_666_800.0) == 30.0


def test_a_refusal_keeps_its_status_and_headers_for_the_caller() -> None:
    waits: list[float] = []
    http = client([answer(404, b'{"errors": []}', **{"X-Request-Id": "abc"})], waits)
    with pytest.raises(HttpError) as caught:
        http.get("/tasks")
    assert caught.value.status == 404 and caught.value.headers["X-Request-Id"] == "abc"
    assert waits == []


def test_a_failure_is_said_in_french_for_a_french_agency() -> None:
    from bot.i18n import localise, said_of

    refused = client([answer(401)], [])
    refused.auth_hint = "set ASANA_TOKEN"
    with pytest.raises(HttpError) as caught:
        refused.get("/tasks")
    french = localise(said_of(caught.value), "fr")
    assert french == (
        "source 'agence' : GET /api/1.0/tasks a échoué (HTTP 401) : les identifiants ont été "
        "refusés; set ASANA_TOKEN"
    )
    busy = client([answer(503), answer(503)], [])
    busy.max_retries = 1
    with pytest.raises(HttpError) as caught:
        busy.get("/tasks")
    assert re.fullmatch(
        r"source 'agence' : GET /api/1\.0/tasks a échoué \(HTTP 503\) : HTTP 503 ; toujours "
        r"en échec après 2 tentative\(s\) et [01] s d'attente",
        localise(said_of(caught.value), "fr"),
    )
    assert "still failing after 2 attempts" in str(caught.value)  # English stays English
