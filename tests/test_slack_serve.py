"""`pipeline-bot serve` as users run it: a subprocess, real sockets, real signals."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

import bot
from bot.slack.serve import ServeError, resolve_port
from tests.helpers import db_target, wait_for
from tests.slack_http import (
    SECRET,
    Served,
    command_body,
    send_command,
    send_until_closed,
    serving,
    signed_headers,
)
from tests.slack_standin import SlackStandIn

ROOT = Path(bot.__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment minus any real Slack secret, with this worktree importable."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "PIPELINE_", "PORT"))}
    env.update(
        PYTHONPATH=str(ROOT),
        PIPELINE_DB=str(db_target(tmp_path / "pipeline.db")),
        PIPELINE_HOST="127.0.0.1",
        **extra,
    )
    return env


def run_serve(tmp_path: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "serve", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("present", "missing"),
    [
        ({"SLACK_BOT_TOKEN": "xoxb-x"}, "SLACK_SIGNING_SECRET"),
        ({"SLACK_SIGNING_SECRET": SECRET}, "SLACK_BOT_TOKEN"),
    ],
)
def test_missing_secret_is_one_line_naming_it_and_exit_2(
    tmp_path: Path, present: dict[str, str], missing: str
) -> None:
    done = run_serve(tmp_path, clean_env(tmp_path, **present))
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"pipeline-bot: {missing} is not set")
    assert "Traceback" not in done.stderr


def test_a_token_slack_refuses_is_one_line_and_exit_2(
    tmp_path: Path, slack_api: SlackStandIn
) -> None:
    slack_api.queue("auth.test", {"ok": False, "error": "invalid_auth"})
    env = clean_env(
        tmp_path,
        SLACK_BOT_TOKEN="xoxb-revoked",
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=slack_api.base_url,
    )
    done = run_serve(tmp_path, env)
    assert done.returncode == 2
    assert "Slack refused SLACK_BOT_TOKEN" in done.stderr
    assert "Traceback" not in done.stderr
    assert "xoxb-revoked" not in done.stderr  # the token is never printed


@pytest.fixture
def served_process(
    tmp_path: Path, slack_api: SlackStandIn
) -> Iterator[tuple[subprocess.Popen[str], int]]:
    env = clean_env(
        tmp_path,
        SLACK_BOT_TOKEN="xoxb-test",
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=slack_api.base_url,
        PORT="1",
    )
    process, port = start_serve(tmp_path, env)
    try:
        yield process, port
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


def start_serve(tmp_path: Path, env: dict[str, str]) -> tuple[subprocess.Popen[str], int]:
    """`serve` on a free port, answering `/healthz`. `free_port()` only finds a port that was
    free: another test worker may take it before `serve` binds it, and then `serve` says so in
    its one line and stops; a new port is tried then."""
    for _ in range(5):
        port = free_port()
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "serve", "--port", str(port)],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

        def healthy(process: subprocess.Popen[str] = process, port: int = port) -> bool:
            if process.poll() is not None:
                return True  # stopped: told apart below
            try:
                return requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).ok
            except requests.ConnectionError:
                return False  # not listening yet

        try:
            wait_for(healthy, "serve to answer /healthz", timeout=20)
        except BaseException:
            process.kill()
            process.communicate()
            raise
        if process.poll() is None:
            return process, port
        stderr = process.communicate()[1]
        assert f"cannot listen on 127.0.0.1:{port}" in stderr, stderr
    raise AssertionError("no free port for serve in 5 tries")


def test_serve_answers_health_and_commands_then_stops_cleanly_on_sigterm(
    served_process: tuple[subprocess.Popen[str], int], slack_api: SlackStandIn
) -> None:
    process, port = served_process  # --port wins over $PORT=1
    health = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
    assert health.status_code == 200
    assert health.json() == {"ok": True, "db": "ok"}  # serve created and migrated the database
    answer = send_command(Served(f"http://127.0.0.1:{port}", slack_api.url), "summary")
    assert answer.status_code == 200
    assert answer.json()["blocks"][0]["type"] == "header"
    assert slack_api.called("auth.test")  # the token was checked against SLACK_API_URL
    forged = command_body(
        "stalled", response_url="https://hooks.slack.com/commands/T1/2/CAPABILITY"
    )
    refused = requests.post(
        f"http://127.0.0.1:{port}/slack/events",
        data=forged.encode(),
        headers=signed_headers(forged, secret="guess"),
        timeout=5,
    )
    assert refused.status_code == 401
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=15)
    assert process.returncode == 0
    assert time.monotonic() - started < 10
    assert "received SIGTERM: stopping" in stderr and "pipeline-bot stopped" in stderr
    assert "Traceback" not in stderr
    assert "xoxb-test" not in stderr
    assert "bad or stale Slack signature" in stderr  # one line for the operator...
    assert "CAPABILITY" not in stderr  # ...without the request's secrets


@pytest.mark.sqlite_only(reason="no SQLite file yet: unhealthy, and not created")
def test_health_and_routing(tmp_path: Path, slack_api: SlackStandIn) -> None:
    from tests.slack_http import make_settings

    settings = make_settings(tmp_path, slack_api)
    with serving(settings) as served:
        missing = requests.get(f"{served.base}/healthz", timeout=5)
        wrong_method = requests.get(served.events_url, timeout=5)
        nowhere = requests.post(f"{served.base}/nowhere", timeout=5)
    assert missing.status_code == 503  # no database yet: not healthy, reported, not created
    assert missing.json()["ok"] is False
    assert missing.json()["db"].startswith("missing")
    assert not settings.db_path.exists()
    assert wrong_method.status_code == 405
    assert nowhere.status_code == 404


def test_port_resolution() -> None:
    assert resolve_port(None, {}) == 3000
    assert resolve_port(None, {"PORT": "8080"}) == 8080
    assert resolve_port(4000, {"PORT": "8080"}) == 4000
    with pytest.raises(ServeError, match="PORT must be a port number, got 'http'"):
        resolve_port(None, {"PORT": "http"})
    with pytest.raises(ServeError, match="--port must be between 0 and 65535"):
        resolve_port(70000, {})


def test_app_token_selects_socket_mode_and_a_refused_token_is_one_line(
    tmp_path: Path, slack_api: SlackStandIn
) -> None:
    slack_api.queue("apps.connections.open", {"ok": False, "error": "invalid_auth"})
    env = clean_env(
        tmp_path,
        SLACK_BOT_TOKEN="xoxb-test",
        SLACK_APP_TOKEN="xapp-secret-1",
        SLACK_API_URL=slack_api.base_url,
        PORT=str(free_port()),
    )
    done = run_serve(tmp_path, env)  # no SLACK_SIGNING_SECRET: Socket Mode does not need it
    assert done.returncode == 2
    (opened,) = slack_api.called("apps.connections.open")
    assert opened.headers.get("Authorization") == "Bearer xapp-secret-1"
    assert (
        done.stderr.strip()
        .splitlines()[-1]
        .startswith("pipeline-bot: Slack refused SLACK_APP_TOKEN (invalid_auth)")
    )
    assert "Traceback" not in done.stderr
    assert "xapp-secret-1" not in done.stderr


def test_a_port_in_use_is_one_line(tmp_path: Path, slack_api: SlackStandIn) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = clean_env(
            tmp_path,
            SLACK_BOT_TOKEN="xoxb-test",
            SLACK_SIGNING_SECRET=SECRET,
            SLACK_API_URL=slack_api.base_url,
        )
        done = run_serve(tmp_path, env, "--port", str(port))
    assert done.returncode == 1
    assert f"pipeline-bot: cannot listen on 127.0.0.1:{port}" in done.stderr
    assert "Traceback" not in done.stderr


def _healthcheck_command() -> list[str]:
    """The Dockerfile's HEALTHCHECK, exactly as the container runtime will run it."""
    text = (ROOT / "deploy" / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    line = next(row for row in text.splitlines() if row.startswith("HEALTHCHECK"))
    command: list[str] = json.loads(line.split(" CMD ", 1)[1])
    return command


def test_the_dockerfile_health_check_passes_on_a_running_bot_and_fails_without_one(
    served_process: tuple[subprocess.Popen[str], int], tmp_path: Path
) -> None:
    _, port = served_process
    command = _healthcheck_command()
    env = {**os.environ, "PORT": str(port)}
    assert subprocess.run(command, env=env, capture_output=True, timeout=30).returncode == 0
    env["PORT"] = str(free_port())  # nothing listens there
    assert subprocess.run(command, env=env, capture_output=True, timeout=30).returncode != 0


def _memory_kb(pid: int) -> dict[str, int]:
    found: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            found[name] = int(rest.split()[0])
    return found


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc (Linux)")
def test_a_100_mb_unsigned_body_is_refused_without_raising_the_servers_memory(
    served_process: tuple[subprocess.Popen[str], int],
) -> None:
    process, port = served_process
    before = _memory_kb(process.pid)
    megabyte = b"a" * (1 << 20)
    with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
        conn.sendall(
            b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 104857600\r\n\r\n"
        )
        # refused from the head: the answer is there before a byte of the body goes out (read
        # first, as the server's close may reset the socket once body bytes lie unread)
        status = conn.recv(200).split(b"\r\n")[0]
        sent = send_until_closed(conn, (megabyte for _ in range(100)))
    after = _memory_kb(process.pid)
    assert status.startswith(b"HTTP/1.1 413") and sent < 100 * len(megabyte)
    assert after["VmHWM"] - before["VmHWM"] < 5 * 1024  # peak resident memory: under 5 MB more
    assert requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200


@pytest.mark.sqlite_only(reason="a corrupt SQLite file")
def test_a_broken_database_stops_serve_with_a_status_systemd_does_not_restart(
    tmp_path: Path, slack_api: SlackStandIn
) -> None:
    from bot.slack.serve import STORE_UNUSABLE_EXIT

    (tmp_path / "pipeline.db").write_bytes(b"not a database at all\n" * 100)
    notify = tmp_path / "notify.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as systemd:
        systemd.bind(str(notify))
        systemd.settimeout(10)
        env = clean_env(
            tmp_path,
            SLACK_BOT_TOKEN="xoxb-test",
            SLACK_SIGNING_SECRET=SECRET,
            SLACK_API_URL=slack_api.base_url,
            NOTIFY_SOCKET=str(notify),
        )
        done = run_serve(tmp_path, env, "--port", str(free_port()))
        status = systemd.recv(4096).decode()
    assert done.returncode == STORE_UNUSABLE_EXIT != 2
    assert "Traceback" not in done.stderr
    (line,) = done.stderr.strip().splitlines()
    db = tmp_path / "pipeline.db"
    assert line.startswith(f"pipeline-bot: la base {db} est endommagée")  # French by default
    assert status == f"STATUS=stopped: {line.removeprefix('pipeline-bot: ')}"
    unit = (ROOT / "deploy" / "pipeline-bot.service").read_text(encoding="utf-8")
    prevented = next(r for r in unit.splitlines() if r.startswith("RestartPreventExitStatus="))
    assert str(STORE_UNUSABLE_EXIT) in prevented.split("=", 1)[1].split()
    assert "Restart=on-failure" in unit.splitlines()
