"""The public endpoint under attack: slow clients, big bodies, garbage, a broken database.

Real sockets on 127.0.0.1 against waitress serving the real WSGI app and Bolt, real signatures.
"""

from __future__ import annotations

import io
import logging
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from bot.settings import Settings
from bot.slack.wsgi import MAX_BODY_BYTES, ConnectionPolicy
from tests.helpers import load, store_at, task
from tests.slack_http import (
    NOW,
    SECRET,
    CountingDeps,
    command_body,
    make_settings,
    send_command,
    send_until_closed,
    serving,
    signed_headers,
    web_calls,
)
from tests.slack_standin import SlackStandIn
from tests.test_slack_serve import _healthcheck_command


def request_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """The warnings a request caused. waitress' own "Task queue depth is N" (logger
    `waitress.queue`) says the machine is busy, not what happened to this request: on a loaded
    machine it may appear beside the one line under test."""
    return [
        r for r in caplog.records if r.levelno >= logging.WARNING and r.name != "waitress.queue"
    ]


def loaded_settings(tmp_path: Path, slack_api: SlackStandIn) -> Settings:
    settings = make_settings(tmp_path, slack_api)
    store = store_at(settings.db_path)
    load(
        store,
        settings.pipeline,
        [task("d1", "Appel et devis", ("2026-03-01T09:00", "Appel et devis"))],
        now=NOW,
    )
    store.close()
    return settings


@contextmanager
def held_sockets(port: int, count: int, first_bytes: bytes) -> Iterator[list[socket.socket]]:
    """`count` connections that sent `first_bytes` (maybe nothing) and then stall."""
    opened: list[socket.socket] = []
    try:
        for _ in range(count):
            conn = socket.create_connection(("127.0.0.1", port), timeout=5)
            if first_bytes:
                conn.sendall(first_bytes)
            opened.append(conn)
        yield opened
    finally:
        for conn in opened:
            conn.close()


def closed_by_server(conn: socket.socket, trickle: bytes, within: float) -> bool:
    """Send `trickle` a byte at a time until the server closes the socket (True) or `within`
    seconds pass (False)."""
    conn.settimeout(0.1)
    deadline = time.monotonic() + within
    for byte in trickle * 1000:
        if time.monotonic() > deadline:
            return False
        try:
            conn.sendall(bytes([byte]))
            if conn.recv(1024) == b"":
                return True
        except TimeoutError:
            continue  # nothing from the server yet: keep trickling
        except OSError:
            return True  # reset: closed
    return False


HALF_HEADER = b"POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
HALF_BODY = (
    b"POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 4000\r\n"
    b"Content-Type: application/x-www-form-urlencoded\r\n\r\ntoken="
)


def test_hundreds_of_slow_and_idle_sockets_leave_health_and_signed_commands_answering(
    tmp_path: Path, slack_api: SlackStandIn
) -> None:
    settings = loaded_settings(tmp_path, slack_api)
    with serving(settings) as served:
        port = served.port
        with (
            held_sockets(port, 100, HALF_HEADER),
            held_sockets(port, 100, HALF_BODY),
            held_sockets(port, 100, b""),
        ):
            health = requests.get(f"{served.base}/healthz", timeout=5)
            answer = send_command(served, "summary")
    assert health.status_code == 200
    assert answer.status_code == 200
    assert answer.json()["blocks"][0]["type"] == "header"


@pytest.mark.parametrize("start", [HALF_HEADER, HALF_BODY], ids=["header", "body"])
def test_a_request_trickling_in_is_cut_at_the_request_deadline(
    tmp_path: Path, slack_api: SlackStandIn, start: bytes
) -> None:
    settings = loaded_settings(tmp_path, slack_api)
    policy = ConnectionPolicy(request_seconds=0.5)
    with (
        serving(settings, policy=policy) as served,
        held_sockets(served.port, 1, start) as (conn,),
    ):
        # one byte every 0.1 s: waitress alone (idle timeout from the last byte) never closes it
        assert closed_by_server(conn, b"a", within=15)


def test_near_the_connection_limit_the_longest_waiting_sockets_make_room(
    tmp_path: Path, slack_api: SlackStandIn
) -> None:
    settings = loaded_settings(tmp_path, slack_api)
    policy = ConnectionPolicy(connection_limit=40)
    with serving(settings, policy=policy) as served, held_sockets(served.port, 60, b"") as idle:
        health = requests.get(f"{served.base}/healthz", timeout=5)
        oldest = idle[0]
        oldest.settimeout(5)
        assert oldest.recv(10) == b""  # the first idle socket was closed to make room
    assert health.status_code == 200


def raw_post(port: int, head: bytes, body_chunks: Iterator[bytes]) -> tuple[bytes, int]:
    """Send a request on a raw socket until the server closes it: the answer's status line and
    how many body bytes went out before it did."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(head)
        sent = send_until_closed(conn, body_chunks)
        return conn.recv(200).split(b"\r\n")[0], sent


def test_an_oversized_body_is_refused_413_before_it_is_read(
    tmp_path: Path, slack_api: SlackStandIn
) -> None:
    settings = loaded_settings(tmp_path, slack_api)
    deps = CountingDeps(settings)
    megabyte = b"a" * (1 << 20)
    with serving(settings, deps) as served:
        port = served.port
        # 100 MB declared: answered from the head, before a byte of the body is sent
        declared = served.status_of_head(
            b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: 104857600\r\n\r\n"
        )
        # no length declared: refused once the first MB is read. 128 MB are offered because the
        # kernel's socket buffers take tens of MB (tcp_rmem's ceiling is 32 MB on Linux) before
        # the client can tell that the server stopped reading.
        chunked, chunked_sent = raw_post(
            port,
            b"POST /slack/events HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
            iter([b"100000\r\n" + megabyte + b"\r\n"] * 128),
        )
        # just over the cap, properly signed: still refused
        body = command_body("summary", response_url=served.response_url) + "&pad="
        body += "x" * MAX_BODY_BYTES
        headers = {**signed_headers(body), "Content-Length": str(len(body.encode()))}
        signed = served.status_of_head(
            b"POST /slack/events HTTP/1.1\r\nHost: x\r\n"
            + "".join(f"{name}: {value}\r\n" for name, value in headers.items()).encode()
            + b"\r\n"
        )
    assert declared.startswith(b"HTTP/1.1 413")
    assert chunked.startswith(b"HTTP/1.1 413") and chunked_sent < 64 * len(megabyte)
    assert signed.startswith(b"HTTP/1.1 413")
    assert deps.opened == 0


def test_the_app_itself_caps_a_body_without_content_length(
    tmp_path: Path, slack_api: SlackStandIn
) -> None:
    """Behind another WSGI server (or a proxy that strips Content-Length) the cap still holds
    while reading: at most the cap and one byte are read."""
    from bot.slack.app import build_app
    from bot.slack.wsgi import make_wsgi

    settings = loaded_settings(tmp_path, slack_api)
    deps = CountingDeps(settings)
    application = make_wsgi(build_app(settings, deps), deps)
    stream = io.BytesIO(b"a" * (3 * MAX_BODY_BYTES))
    statuses: list[str] = []
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/slack/events",
        "wsgi.input": stream,
        "HTTP_X_SLACK_REQUEST_TIMESTAMP": str(int(time.time())),
        "HTTP_X_SLACK_SIGNATURE": "v0=00",
    }
    application(environ, lambda status, headers, *rest: statuses.append(status))
    assert statuses == ["413 Content Too Large"]
    assert stream.tell() == MAX_BODY_BYTES + 1
    assert deps.opened == 0


def _garbage() -> list[tuple[str, bytes, dict[str, str]]]:
    now = str(int(time.time()))
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    # refused before Bolt: its response_url is never read (a closed loopback port all the same)
    body = command_body("summary", response_url="http://127.0.0.1:9/never-read").encode()
    return [
        (
            "timestamp abc",
            body,
            {**form, "X-Slack-Request-Timestamp": "abc", "X-Slack-Signature": "v0=1"},
        ),
        (
            "timestamp huge",
            body,
            {**form, "X-Slack-Request-Timestamp": "9" * 40, "X-Slack-Signature": "v0=1"},
        ),
        (
            "invalid UTF-8",
            b"text=\xff\xfe\xfa",
            {**form, "X-Slack-Request-Timestamp": now, "X-Slack-Signature": "v0=1"},
        ),
        (
            "broken JSON",
            b'{"type": "event_callback", ',
            {
                "Content-Type": "application/json",
                "X-Slack-Request-Timestamp": now,
                "X-Slack-Signature": "v0=1",
            },
        ),
        ("no headers", body, form),
        ("no signature", body, {**form, "X-Slack-Request-Timestamp": now}),
        (
            "non-ASCII signature",
            body,
            {**form, "X-Slack-Request-Timestamp": now, "X-Slack-Signature": "v0=\u00e9"},
        ),
        ("bad signature", body, signed_headers(body.decode(), secret="guess")),
    ]


@pytest.mark.parametrize(("name", "body", "headers"), _garbage(), ids=[g[0] for g in _garbage()])
def test_every_unverified_request_gets_401_one_log_line_and_runs_nothing(
    tmp_path: Path,
    slack_api: SlackStandIn,
    caplog: pytest.LogCaptureFixture,
    name: str,
    body: bytes,
    headers: dict[str, str],
) -> None:
    settings = loaded_settings(tmp_path, slack_api)
    deps = CountingDeps(settings)
    with serving(settings, deps) as served:
        caplog.clear()
        with caplog.at_level(logging.INFO):
            answer = requests.post(served.events_url, data=body, headers=headers, timeout=10)
    assert answer.status_code == 401
    assert "blocks" not in answer.text
    lines = request_lines(caplog)
    assert len(lines) == 1, [r.getMessage() for r in lines]
    assert "bad or stale Slack signature" in lines[0].getMessage()
    assert lines[0].exc_info is None
    assert deps.opened == 0
    assert web_calls(slack_api) == []


@pytest.mark.parametrize(
    ("body", "content_type"),
    [(b"text=\xff\xfe", "application/x-www-form-urlencoded"), (b'{"type": ', "application/json"),
     (b"payload=%7Bnot-json", "application/x-www-form-urlencoded")],
    ids=["invalid UTF-8", "broken JSON", "broken payload"],
)  # fmt: skip
def test_a_signed_but_malformed_body_gets_400_and_one_line(
    tmp_path: Path,
    slack_api: SlackStandIn,
    caplog: pytest.LogCaptureFixture,
    body: bytes,
    content_type: str,
) -> None:
    import hashlib
    import hmac

    settings = loaded_settings(tmp_path, slack_api)
    deps = CountingDeps(settings)
    stamp = str(int(time.time()))
    digest = hmac.new(SECRET.encode(), b"v0:" + stamp.encode() + b":" + body, hashlib.sha256)
    headers = {
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": "v0=" + digest.hexdigest(),
        "Content-Type": content_type,
    }
    with serving(settings, deps) as served:
        caplog.clear()
        answer = requests.post(served.events_url, data=body, headers=headers, timeout=10)
    assert answer.status_code == 400
    lines = request_lines(caplog)
    assert len(lines) == 1 and lines[0].exc_info is None
    assert "malformed" in lines[0].getMessage()
    assert deps.opened == 0


def corrupt(path: Path) -> None:
    """Overwrite every page after the first: the schema still reads, the data does not."""
    size = path.stat().st_size
    with path.open("r+b") as handle:
        handle.seek(4096)
        handle.write(os.urandom(size - 4096))


@pytest.mark.sqlite_only(reason="a missing, then corrupt SQLite file")
def test_health_is_503_when_the_database_is_missing_or_corrupt_and_docker_sees_it(
    tmp_path: Path, slack_api: SlackStandIn
) -> None:
    settings = make_settings(tmp_path, slack_api)
    with serving(settings) as served:
        missing = requests.get(f"{served.base}/healthz", timeout=5)
        store = store_at(settings.db_path)
        load(
            store,
            settings.pipeline,
            [
                task(f"d{i}", "Appel et devis", ("2026-03-01T09:00", "Appel et devis"))
                for i in range(200)
            ],
            now=NOW,
        )
        store.close()
        fine = requests.get(f"{served.base}/healthz", timeout=5)
        docker_env = {**os.environ, "PORT": str(served.port)}
        docker_fine = subprocess.run(
            _healthcheck_command(), env=docker_env, capture_output=True, timeout=30
        )
        corrupt(settings.db_path)
        broken = requests.get(f"{served.base}/healthz", timeout=5)
        docker_broken = subprocess.run(
            _healthcheck_command(), env=docker_env, capture_output=True, timeout=30
        )
    assert missing.status_code == 503
    assert missing.json()["ok"] is False and "missing" in missing.json()["db"]
    assert fine.status_code == 200 and fine.json() == {"ok": True, "db": "ok"}
    assert docker_fine.returncode == 0
    assert broken.status_code == 503
    assert broken.json()["ok"] is False and "error" in broken.json()["db"]
    assert docker_broken.returncode != 0


@pytest.mark.sqlite_only(reason="a corrupt SQLite file")
def test_pipeline_on_a_corrupt_database_says_so_in_one_log_line(
    tmp_path: Path, slack_api: SlackStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    settings = make_settings(tmp_path, slack_api)
    settings.db_path.write_bytes(b"not a database\n" * 300)
    with serving(settings) as served:
        caplog.clear()
        answer = send_command(served, "summary")
    assert answer.status_code == 200
    assert "can't be read" in answer.text
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and errors[0].exc_info is None
    assert str(settings.db_path) in errors[0].getMessage()
