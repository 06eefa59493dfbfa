"""Timeouts and refused connections, over real sockets on 127.0.0.1: retried, then one clear
error naming the source, the path and what happened, never the credentials."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler

import pytest

from integrations.http import HttpClient, HttpError
from tests.helpers import local_server

SECRET = "tok-very-secret-123"


class Slow(BaseHTTPRequestHandler):
    """Stalls past the client's read timeout for the first `stalls` requests (until the test is
    over: the client has long given up), then answers."""

    stalls = 0
    seen = 0
    over = threading.Event()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        return

    def do_GET(self) -> None:  # noqa: N802
        type(self).seen += 1
        if type(self).seen <= type(self).stalls:
            type(self).over.wait(10)
        body = b'{"ok": true}'
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            return  # the client gave up waiting: that is the point of the test


@pytest.fixture
def slow_server() -> Iterator[str]:
    Slow.seen = 0
    Slow.over = threading.Event()
    with local_server(Slow) as base:
        try:
            yield base
        finally:
            Slow.over.set()


def client(base: str, waits: list[float], retries: int = 3) -> HttpClient:
    return HttpClient("agence", base, auth_params={"token": SECRET}, timeout=(1.0, 0.2),
                      max_retries=retries, sleep=waits.append)  # fmt: skip


def test_a_read_timeout_is_retried_and_nothing_is_lost(slow_server: str) -> None:
    Slow.stalls = 1
    waits: list[float] = []
    assert client(slow_server, waits).get("/1/boards/b1/cards") == {"ok": True}
    assert Slow.seen == 2 and len(waits) == 1


def test_a_server_that_never_answers_in_time_gives_one_clear_error(slow_server: str) -> None:
    Slow.stalls = 99
    waits: list[float] = []
    with pytest.raises(HttpError) as caught:
        client(slow_server, waits, retries=2).get("/1/boards/b1/cards")
    message = str(caught.value)
    assert "source 'agence'" in message and "/1/boards/b1/cards" in message
    assert "timed out" in message and SECRET not in message
    assert len(waits) == 2  # two retries, then give up


def test_a_refused_connection_is_named_and_retried() -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    waits: list[float] = []
    with pytest.raises(HttpError, match="connection failed") as caught:
        client(f"http://127.0.0.1:{port}", waits, retries=1).get("/api/v2/list/1/task")
    assert SECRET not in str(caught.value) and len(waits) == 1
