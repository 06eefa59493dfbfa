"""The waitress internals `HttpServer` relies on (bot/slack/waitress_loop.py), checked against the
installed waitress over real sockets: a request being read is seen and can be dropped, a request
being answered makes the loop busy until its response is written, and `close` frees the port."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pytest

from bot.slack.waitress_loop import WRITTEN_FOR, Connection, WaitressLoop, waitress_version

PASSES = 200  # loop passes of 0.05 s at most: 10 s before a test gives up


def test_the_installed_waitress_is_the_release_line_the_loop_was_written_for() -> None:
    assert waitress_version().split(".")[:2] == WRITTEN_FOR.split("."), (
        f"waitress {waitress_version()} is installed: re-read the internals listed in "
        f"bot/slack/waitress_loop.py against it, then update WRITTEN_FOR"
    )


@pytest.fixture
def served() -> Iterator[tuple[WaitressLoop, threading.Event]]:
    release = threading.Event()

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        release.wait(10)
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
        return [b"ok"]

    loop = WaitressLoop(app, host="127.0.0.1", port=0, threads=2, asyncore_use_poll=True)
    yield loop, release
    release.set()
    loop.close()


def pump_until(loop: WaitressLoop, condition: Callable[[], bool]) -> bool:
    for _ in range(PASSES):
        if condition():
            return True
        loop.pump(0.05)
    return condition()


def reading(loop: WaitressLoop) -> list[Connection]:
    return [c for c in loop.connections() if c.partial is not None and not c.closing]


def test_a_request_being_read_is_seen_and_dropped(served) -> None:
    loop, _ = served
    client = socket.create_connection(("127.0.0.1", loop.port), timeout=10)
    client.sendall(b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
    assert pump_until(loop, lambda: bool(reading(loop)))
    (conn,) = reading(loop)
    assert not conn.answering and not loop.busy()
    loop.drop(conn)
    assert pump_until(loop, lambda: not loop.connections())
    assert client.recv(100) == b""  # the server closed it without an answer
    client.close()


def test_a_request_being_answered_keeps_the_loop_busy_until_written(served) -> None:
    loop, release = served
    client = socket.create_connection(("127.0.0.1", loop.port), timeout=10)
    client.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    assert pump_until(loop, loop.busy)
    assert all(c.answering for c in loop.connections())
    release.set()
    assert pump_until(loop, lambda: not loop.busy())
    assert client.recv(1000).startswith(b"HTTP/1.1 200 OK")
    client.close()


def test_close_frees_the_port(served) -> None:
    loop, _ = served
    port = loop.port
    loop.stop_accepting()
    loop.close()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
