"""The shared HTTP client and value parsers: behaviour both adapters lean on."""

from __future__ import annotations

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
    past = answer(429, **{"Retry-After": "Wed, 21 Oct 2015 07:28:00 -0000"})
    assert retry_delay(past, 1) == 0.0


def test_amounts_written_in_euros() -> None:
    assert parse_amount("12 000 euros") == (12000.0, "EUR")
    assert parse_amount("12 000 EUR") == (12000.0, "EUR")
    assert parse_amount("1 euro") == (1.0, "EUR")
