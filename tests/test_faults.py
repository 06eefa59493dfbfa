"""Faults a flaky machine produces: every store failure, leaked secrets, plain http, open `.env`.

Each ends in one line naming the file and what to do (exit 2), never a traceback; real SQLite
files made unusable for real (garbage, torn pages, a folder, a lock held by another connection,
an immutable file, a database that is full).
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

import bot.store
from bot.config_schema import validate_config
from bot.errors import StoreError
from bot.redact import FILTER, install_logging_filter, redact
from bot.secrets import Secrets
from bot.store import Store
from bot.sync import sync_source
from tests.helpers import ListAdapter, cli, load, local_server, store_at, task, utc
from tests.slack_standin import SlackStandIn

CSV = "title,status,amount\nRefonte,Appel et devis,1000\nLogo,Écarté,500\n"
COMMANDS = [
    ("query",),
    ("query", "stalled", "--json"),
    ("check",),
    ("sync",),
    ("nudge", "--dry-run"),
    ("digest", "--dry-run"),
    ("announce", "--dry-run"),
]


@pytest.fixture
def agency(tmp_path: Path) -> Path:
    (tmp_path / "deals.csv").write_text(CSV, encoding="utf-8")
    (tmp_path / "pipeline.toml").write_text(
        'language = "en"\n[[sources]]\nkind = "csv"\npath = "deals.csv"\n', encoding="utf-8"
    )
    return tmp_path


def synced(agency: Path) -> Path:
    done = cli(agency, "sync")
    assert done.returncode == 0, done.stderr
    return agency / "pipeline.db"


def garbage(db: Path) -> str:
    db.write_bytes(b"this is a spreadsheet, not a database\n" * 200)
    return "file is not a database"


def torn(db: Path) -> str:
    """Every page after the first overwritten: the header still reads, the tables do not."""
    size = db.stat().st_size
    with db.open("r+b") as handle:
        handle.seek(4096)
        handle.write(b"\xa5" * (size - 4096))
    return "malformed"


def folder(db: Path) -> str:
    db.unlink()
    db.mkdir()
    return "folder"


def one_line(done: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in done.stderr, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


@pytest.mark.sqlite_only(reason="a damaged SQLite file")
@pytest.mark.parametrize(
    "damage", [garbage, torn, folder], ids=["not a database", "malformed", "folder"]
)
def test_a_broken_database_is_one_line_naming_it_and_exit_2_for_every_command(
    agency: Path, damage: object
) -> None:
    db = synced(agency)
    said = damage(db)  # type: ignore[operator]
    for command in COMMANDS:
        done = cli(agency, *command)
        assert done.returncode == 2, (command, done.stdout, done.stderr)
        line = one_line(done)
        assert line.startswith("pipeline-bot: ") and str(db) in line, (command, line)
        assert said in line, (command, line)
        what_to_do = "restore it from a backup" if said != "folder" else "point `db`"
        assert what_to_do in line, (command, line)


@pytest.mark.sqlite_only(reason="a damaged SQLite file")
def test_the_french_message_is_french(agency: Path) -> None:
    (agency / "pipeline.toml").write_text(
        '[[sources]]\nkind = "csv"\npath = "deals.csv"\n', encoding="utf-8"
    )
    db = synced(agency)
    garbage(db)
    line = one_line(cli(agency, "query"))
    assert f"la base {db} est endommagée" in line and "restaurez-la" in line


@contextlib.contextmanager
def immutable(path: Path) -> Iterator[None]:
    """A file nobody may write, root included (chattr +i), else a read-only mode."""
    if os.geteuid() == 0:
        if (
            shutil.which("chattr") is None
            or subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode
        ):
            pytest.skip("running as root without chattr: cannot make a file read-only")
        try:
            yield
        finally:
            subprocess.run(["chattr", "-i", str(path)], check=True)
    else:
        path.chmod(0o444)
        try:
            yield
        finally:
            path.chmod(0o644)


@pytest.mark.sqlite_only(reason="a read-only SQLite file")
def test_a_read_only_database_is_one_line_saying_so(agency: Path) -> None:
    db = synced(agency)
    with immutable(db):
        done = cli(agency, "sync")
        asked = cli(agency, "query", "--json")
    assert done.returncode == 2
    line = one_line(done)
    assert f"the database {db} is read-only" in line and "write access" in line
    # reading needs no write: the answer, or the same one line, never a traceback
    assert asked.returncode == 0 or one_line(asked).startswith(f"pipeline-bot: the database {db}")


@pytest.mark.sqlite_only(reason="SQLite's file lock and busy timeout")
def test_nudge_during_a_long_sync_is_one_line_once_the_busy_timeout_passes(
    agency: Path,
    monkeypatch: pytest.MonkeyPatch,
    slack_api: SlackStandIn,
) -> None:
    db = synced(agency)
    monkeypatch.setattr(bot.store, "BUSY_TIMEOUT_MS", 300)  # in-process: the command sees it
    slack = {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_API_URL": slack_api.base_url}
    sync_in_progress = sqlite3.connect(db, isolation_level=None)
    sync_in_progress.execute("BEGIN IMMEDIATE")
    sync_in_progress.execute("UPDATE deals SET amount = amount + 1")
    try:
        results = {}
        # a month on, "Refonte" is stalled: the nudge pass must write (its lease, its log)
        for command in (["sync"], ["nudge", "--as-of", "2099-01-01"], ["query"]):
            done = cli(agency, "--config", str(agency / "pipeline.toml"), "--db", str(db),
                       *command, env=slack)  # fmt: skip
            results[command[0]] = (done.returncode, done.stderr)
    finally:
        sync_in_progress.execute("ROLLBACK")
        sync_in_progress.close()
    for name, (code, err) in results.items():
        if name == "query" and code == 0:
            continue  # WAL: readers are not blocked by a writer
        assert code == 2, (name, err)
        lines = err.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in err, (name, err)
        assert f"the database {db} is locked" in lines[0] and "try again" in lines[0]


@pytest.mark.sqlite_only(reason="SQLite's max_page_count makes the disk full")
def test_a_full_disk_during_a_sync_records_the_real_error(tmp_path: Path) -> None:
    settings_pipeline = _pipeline()
    store = store_at(tmp_path / "pipeline.db")
    load(
        store,
        settings_pipeline,
        [task("d1", "Appel et devis", ("2026-03-01T09:00", "Appel et devis"))],
        now=utc("2026-03-02T09:00"),
    )
    pages = store.scalar("PRAGMA page_count")
    store.conn.execute(f"PRAGMA max_page_count = {pages + 2}")  # SQLite's own SQLITE_FULL
    many = [
        task(f"n{i}", "Appel et devis", ("2026-03-01T09:00", "Appel et devis"), title="x" * 400)
        for i in range(3000)
    ]
    with pytest.raises(StoreError) as raised:
        sync_source(
            store, settings_pipeline, ListAdapter("t", many), now=lambda: utc("2026-03-03T09:00")
        )
    store.close()
    assert raised.value.kind == "full"
    assert "database or disk is full" in str(raised.value) and "cannot rollback" not in str(
        raised.value
    )
    reopened = Store(tmp_path / "pipeline.db")
    try:
        state = reopened.sync_state("t")
        deals = reopened.scalar("SELECT COUNT(*) FROM deals")
    finally:
        reopened.close()
    assert state is not None
    assert "database or disk is full" in (state["last_error"] or "")
    assert "cannot rollback" not in state["last_error"]
    assert deals == 1  # the failed sync wrote nothing


def _pipeline():  # type: ignore[no-untyped-def]
    from bot.settings import build_pipeline

    return build_pipeline(validate_config({"language": "en"}))


KEY = "trellokey-5ee1c0ffee"
TOKEN = "trellotoken-ATTA/9+s3cr3t="


class EchoProxy(BaseHTTPRequestHandler):
    """A proxy's error page that echoes the URL it could not fetch, query string included."""

    def do_GET(self) -> None:  # noqa: N802
        body = f"<h1>502 from upstream</h1><p>while fetching https://api.trello.com{self.path}</p>".encode()
        self.send_response(400)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return  # quiet test output


@pytest.fixture
def echo_proxy() -> Iterator[str]:
    with local_server(EchoProxy) as base:
        yield f"{base}/1"


def test_trello_secrets_echoed_by_a_proxy_never_reach_output_logs_or_the_sync_state(
    tmp_path: Path, echo_proxy: str
) -> None:
    (tmp_path / "pipeline.toml").write_text(
        f'language = "en"\n[[sources]]\nkind = "trello"\nboard = "b0ard1d"\nbase_url = "{echo_proxy}"\n',
        encoding="utf-8",
    )
    done = cli(tmp_path, "sync", env={"TRELLO_API_KEY": KEY, "TRELLO_TOKEN": TOKEN})
    assert done.returncode == 1  # the source failed, reported
    assert "HTTP 400" in done.stdout + done.stderr  # the proxy's answer was seen...
    store = store_at(tmp_path / "pipeline.db")
    stored = store.scalar("SELECT last_error FROM sync_state")
    store.close()
    assert "HTTP 400" in stored
    for text in (done.stdout, done.stderr, stored):
        for secret in (KEY, TOKEN, "ATTA%2F9%2Bs3cr3t%3D"):  # ...but no secret, raw or encoded
            assert secret not in text, text


def test_the_logging_filter_masks_secrets_in_messages_and_tracebacks() -> None:
    Secrets(trello_api_key=KEY, slack_bot_token="xoxb-1234-abcdef")  # type: ignore[call-arg]
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        install_logging_filter()
        log = logging.getLogger("bot.test")
        log.warning(
            "calling %s failed", f"https://api.trello.com/1/boards?key={KEY}&token=zzzzzzzz"
        )
        try:
            raise RuntimeError("auth xoxb-1234-abcdef refused")
        except RuntimeError:
            log.exception("boom")
    finally:
        root.removeHandler(handler)
        handler.removeFilter(FILTER)
    written = stream.getvalue()
    assert KEY not in written and "xoxb-1234-abcdef" not in written and "zzzzzzzz" not in written
    assert "key=[redacted]" in written and "RuntimeError: auth [redacted] refused" in written
    assert redact("nothing secret here") == "nothing secret here"


@pytest.mark.parametrize(
    "url", ["http://api.trello.com/1", "http://localhost.evil.example/1", "ftp://api.trello.com/1"]
)
def test_plain_http_to_a_remote_base_url_is_an_invalid_config(tmp_path: Path, url: str) -> None:
    (tmp_path / "pipeline.toml").write_text(
        f'language = "en"\n[[sources]]\nkind = "trello"\nboard = "b"\nbase_url = "{url}"\n',
        encoding="utf-8",
    )
    for command in ("check", "sync"):
        done = cli(tmp_path, command, env={"TRELLO_API_KEY": KEY, "TRELLO_TOKEN": TOKEN})
        assert done.returncode == 2
        line = one_line(done)
        assert (
            line.startswith("pipeline-bot: invalid config:")
            and "base_url must start with https://" in line
        )


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/1",
        "http://localhost:9/1",
        "http://[::1]:9/1",
        "https://api.trello.com/1",
    ],
)
def test_https_or_this_machine_is_accepted(tmp_path: Path, url: str) -> None:
    (tmp_path / "pipeline.toml").write_text(
        f'language = "en"\n[[sources]]\nkind = "trello"\nboard = "b"\nbase_url = "{url}"\n',
        encoding="utf-8",
    )
    # No credentials: the config is validated and no request is made (a test never reaches
    # api.trello.com, and check would otherwise probe each of these hosts).
    done = cli(tmp_path, "check")
    assert "invalid config" not in done.stderr
    assert "TRELLO_API_KEY" in done.stdout  # it got past the config, to the credentials


def test_check_warns_about_a_env_others_can_read(agency: Path) -> None:
    env_file = agency / ".env"
    env_file.write_text(f"TRELLO_TOKEN={TOKEN}\n", encoding="utf-8")
    env_file.chmod(0o644)  # what `cp .env.example .env` gives with the usual umask
    opened = cli(agency, "check")
    env_file.chmod(0o600)
    closed = cli(agency, "check")
    assert opened.returncode == 1
    assert f"{env_file} holds tokens and other users can read it (mode 644)" in opened.stdout
    assert f"chmod 600 {env_file}" in opened.stdout
    assert closed.returncode == 0, closed.stdout
    assert "other users can read" not in closed.stdout


def test_check_asks_an_unanswering_tool_once_more_then_says_so(tmp_path: Path) -> None:
    """`check` is for a person waiting at a terminal: a tool answering 503 is asked twice (one
    retry), then named in one line, not retried for the two minutes a sync may wait."""
    hits: list[str] = []

    class Busy(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            return

        def do_GET(self) -> None:  # noqa: N802
            hits.append(self.path)
            self.send_response(503)
            self.send_header("Content-Length", "0")
            self.end_headers()

    with local_server(Busy) as base:
        (tmp_path / "pipeline.toml").write_text(
            f'language = "fr"\n[[sources]]\nkind = "trello"\nboard = "b"\nbase_url = "{base}/1"\n',
            encoding="utf-8",
        )
        done = cli(tmp_path, "check", env={"TRELLO_API_KEY": KEY, "TRELLO_TOKEN": TOKEN})
    assert len(hits) == 2
    assert done.returncode == 1
    assert "a échoué (HTTP 503)" in done.stdout and "toujours en échec après 2" in done.stdout
    assert KEY not in done.stdout + done.stderr
