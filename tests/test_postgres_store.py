"""A PostgreSQL store: opening a URL migrates it (once), errors say what to do in one line without
the password, the answer cache's version follows other connections' writes, and pipeline-bot
still installs and runs on SQLite without the PostgreSQL driver.

These run in both test runs: each needs a real PostgreSQL server (this process's, see
tests/pg_server.py), whatever engine the rest of the run uses.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.db import pg_schema
from bot.db.target import describe, is_postgres
from bot.deps import Deps
from bot.errors import STORE_FAULTS, StoreError
from bot.settings import load_settings
from bot.slack.wsgi import health
from bot.store import Store, iso, migrations
from tests.helpers import ROOT, cli, pg_server

PASSWORD = "Sup3r-s3cret+pw"
ROLE = "pgcore_login"


@pytest.fixture
def fresh_url() -> Iterator[str]:
    """A new, empty (unmigrated) database on this process's server."""
    server = pg_server()
    name = f"core_{uuid.uuid4().hex}"
    server.admin(f"CREATE DATABASE {name}")
    yield server.url(name)
    server.drop_database(server.url(name))


@pytest.fixture(scope="module")
def password_url() -> str:
    """A URL whose role must give its password (the server trusts every other login): a login
    that can fail."""
    server = pg_server()
    hba = server.data / "pg_hba.conf"
    rule = f"host all {ROLE} 127.0.0.1/32 scram-sha-256\n"
    if rule not in hba.read_text():
        hba.write_text(rule + hba.read_text())  # first match wins: before the trust lines
        server.admin(f"DROP DATABASE IF EXISTS {ROLE}_db")
        server.admin(f"DROP ROLE IF EXISTS {ROLE}")
        server.admin(f"CREATE ROLE {ROLE} LOGIN PASSWORD '{PASSWORD}'")
        server.admin(f"CREATE DATABASE {ROLE}_db OWNER {ROLE}")
        server.admin("SELECT pg_reload_conf()")
    return f"postgresql://{ROLE}:{PASSWORD}@127.0.0.1:{server.port}/{ROLE}_db"


def _recorded(url: str) -> list[tuple[str, str, str]]:
    store = Store(url, migrate=False)
    try:
        return [tuple(row) for row in store.conn.execute(
            "SELECT migration_set, name, applied_at FROM _sqlite_migrations "
            "ORDER BY migration_set, name")]  # fmt: skip
    finally:
        store.close()


def _schema(url: str) -> tuple[list[tuple[str, ...]], set[str]]:
    """Every column (table, name, type, nullable, default) and every index definition."""
    store = Store(url, migrate=False)
    try:
        columns = [tuple(row) for row in store.conn.execute(
            "SELECT table_name, column_name, data_type, is_nullable, "
            "COALESCE(column_default, '') FROM information_schema.columns "
            "WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position")]  # fmt: skip
        indexes = {row[0] for row in store.conn.execute(
            "SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema()")}  # fmt: skip
        return columns, indexes
    finally:
        store.close()


def test_opening_a_url_migrates_a_new_database_with_the_stores_own_tables(
    fresh_url: str, tmp_path: Path
) -> None:
    store = Store(fresh_url)
    sqlite = Store(tmp_path / "same.db")
    try:
        assert store.tables() == sqlite.tables()
        for table in sqlite.tables():
            columns = [row[1] for row in sqlite.conn.execute(f"PRAGMA table_info({table})")]
            on_server = [row[0] for row in store.conn.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
                "AND table_schema = current_schema() AND column_name <> 'rowid' "
                "ORDER BY ordinal_position", (table,))]  # fmt: skip
            assert on_server == columns, table
        now = iso(datetime.now(UTC))
        with store.transaction():
            store.upsert_deals([{"id": "t:1", "source": "t", "task_id": "1", "title": "Refonte",
                                 "amount": 1200.5, "removed": 0, "first_seen": now,
                                 "last_seen": now}])  # fmt: skip
        deal = store.deal("t:1")
        assert deal is not None
        assert (deal["title"], deal["amount"], deal["removed"]) == ("Refonte", 1200.5, 0)
    finally:
        store.close()
        sqlite.close()
    names = [name for name, _, _ in migrations.registered]
    recorded = _recorded(fresh_url)
    assert sorted(name for migration_set, name, _ in recorded
                  if migration_set == migrations.name) == sorted(names)  # fmt: skip
    assert (f"{migrations.name}:postgresql-functions", pg_schema.functions_print()) in {
        (migration_set, name) for migration_set, name, _ in recorded
    }


def test_a_second_open_migrates_nothing_and_never_waits_for_the_migration_lock(
    fresh_url: str,
) -> None:
    Store(fresh_url).close()
    before = (_recorded(fresh_url), _schema(fresh_url))
    holder = Store(fresh_url)
    try:
        holder.conn.execute("BEGIN")
        holder.conn.execute("SELECT pg_advisory_xact_lock(?)", (pg_schema.MIGRATION_LOCK,))
        # a store that tried to migrate would wait for the lock, then fail as locked
        second = Store(fresh_url, busy_timeout_ms=1000)
        second.close()
        holder.conn.execute("ROLLBACK")
    finally:
        holder.close()
    assert (_recorded(fresh_url), _schema(fresh_url)) == before


def test_an_older_postgresql_store_gets_the_missing_migrations(fresh_url: str) -> None:
    server = pg_server()
    complete = f"core_{uuid.uuid4().hex}"
    server.admin(f"CREATE DATABASE {complete}")
    try:
        Store(server.url(complete)).close()
        older = [(name, func, None) for name, func, _ in migrations.registered[:-4]]
        store = Store(fresh_url, migrate=False)
        try:
            applied = pg_schema.migrate(store.conn, migrations.name, older)  # type: ignore[arg-type]
        finally:
            store.close()
        assert applied == [name for name, _, _ in older]
        assert _schema(fresh_url) != _schema(server.url(complete))
        Store(fresh_url).close()
        assert _schema(fresh_url) == _schema(server.url(complete))
        assert [r[:2] for r in _recorded(fresh_url)] == [
            r[:2] for r in _recorded(server.url(complete))
        ]
    finally:
        server.drop_database(server.url(complete))


def test_replicas_opening_a_new_database_together_migrate_it_once(fresh_url: str) -> None:
    failures: list[BaseException] = []
    start = threading.Barrier(3)

    def open_it() -> None:
        start.wait()
        try:
            Store(fresh_url).close()
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            failures.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failures == []
    recorded = [name for migration_set, name, _ in _recorded(fresh_url)
                if migration_set == migrations.name]  # fmt: skip
    assert sorted(recorded) == sorted(name for name, _, _ in migrations.registered)


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_the_data_version_moves_with_another_connections_write_only(
    engine: str, fresh_url: str, tmp_path: Path
) -> None:
    target = fresh_url if engine == "postgresql" else tmp_path / "version.db"
    reader, writer = Store(target), Store(target)
    try:
        first = reader.data_version()
        writer.deals_by_ids(["t:1"])
        assert reader.data_version() == first  # a read is no change
        with writer.transaction():
            writer.set_meta("note", "changed")
        second = reader.data_version()
        assert second != first
        assert reader.data_version() == second
    finally:
        reader.close()
        writer.close()


def test_a_wrong_password_is_one_line_that_never_shows_the_password(password_url: str) -> None:
    wrong = password_url.replace(PASSWORD, "Not-the-pw-42")
    with pytest.raises(StoreError) as caught:
        Store(wrong)
    assert caught.value.kind == "pg_auth"
    for line in (str(caught.value), caught.value.localised("fr")):
        assert "\n" not in line
        assert "Not-the-pw-42" not in line
        assert f"{ROLE}:***@" in line
    assert "password" in str(caught.value)
    assert "mot de passe" in caught.value.localised("fr")
    Store(password_url).close()  # the right one opens (and migrates) the database


def test_a_missing_database_or_server_is_one_line_through_the_cli(
    password_url: str, tmp_path: Path
) -> None:
    server = pg_server()
    missing = password_url.rsplit("/", 1)[0] + "/no_such_db"
    nobody = f"postgresql://{ROLE}:{PASSWORD}@127.0.0.1:{_closed_port()}/{ROLE}_db"
    english = tmp_path / "en.toml"
    english.write_text('language = "en"\n', encoding="utf-8")
    for url, words in ((missing, "does not exist"), (nobody, "cannot reach")):
        done = cli(tmp_path, "--config", str(english), "--db", url, "query", "summary")
        assert done.returncode == 2, done
        assert done.stdout == ""
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr
        assert words in done.stderr
        assert PASSWORD not in done.stderr
        assert describe(url) in done.stderr
    french = cli(tmp_path, "--db", missing, "query", "summary")
    assert "n'existe pas" in french.stderr and PASSWORD not in french.stderr
    assert server.port  # the server itself was up all along


def _closed_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_healthz_on_postgresql_checks_the_server_and_fails_fast(
    fresh_url: str, tmp_path: Path
) -> None:
    settings = load_settings(None, fresh_url, cwd=tmp_path)
    Store(fresh_url).close()
    assert health(Deps(settings)) == (True, {"ok": True, "db": "ok"})
    down = fresh_url.replace(f":{pg_server().port}/", f":{_closed_port()}/")
    started = time.monotonic()
    healthy, body = health(Deps(load_settings(None, down, cwd=tmp_path)))
    assert not healthy
    assert time.monotonic() - started < 30  # bounded by the probe's timeouts, not hanging
    assert body["db"].startswith("error: ") and "\n" not in body["db"]


def test_a_database_url_is_taken_as_a_url_from_every_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = "postgresql://app:pw@db.internal:5432/pipeline"
    config = tmp_path / "pipeline.toml"
    config.write_text(f'db = "{url}"\n', encoding="utf-8")
    monkeypatch.delenv("PIPELINE_DB", raising=False)
    assert load_settings(str(config), cwd=tmp_path).db_path == url  # not a path under tmp_path
    assert load_settings(str(config), "postgres://x@h/d", cwd=tmp_path).db_path == (
        "postgres://x@h/d"
    )
    monkeypatch.setenv("PIPELINE_DB", url)
    settings = load_settings(None, cwd=tmp_path)
    assert is_postgres(settings.db_path)
    assert settings.db_description == "postgresql://app:***@db.internal:5432/pipeline"
    monkeypatch.setenv("PIPELINE_DB", "relative.db")
    assert load_settings(None, cwd=tmp_path).db_path == Path("relative.db")


def test_without_the_driver_sqlite_runs_and_a_url_says_how_to_install_it(
    tmp_path: Path,
) -> None:
    """`pip install -e .` without the extra: psycopg cannot be imported at all."""
    program = (
        "import sys\n"
        "sys.modules['psycopg'] = None  # as if never installed\n"
        "from bot.cli import main\n"
        "code = main(sys.argv[1:])\n"
        "assert 'psycopg' not in sys.modules or sys.modules['psycopg'] is None\n"
        "sys.exit(code)\n"
    )

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", program, *args], cwd=tmp_path, capture_output=True,
            text=True, timeout=120, env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT),
                                         "HOME": str(tmp_path)},
        )  # fmt: skip

    demo = run("--db", str(tmp_path / "demo.db"), "demo")
    assert demo.returncode == 0, demo.stderr
    assert "Demo agency loaded" in demo.stdout
    url = run("--db", "postgresql://u:pw-not-shown@127.0.0.1:1/x", "query", "summary")
    assert url.returncode == 2, url
    assert url.stderr.count("\n") == 1
    assert 'pip install "pipeline-bot[postgres]"' in url.stderr
    assert "pw-not-shown" not in url.stderr


def test_the_answer_caches_version_reconnects_after_the_server_dropped_it(
    fresh_url: str,
) -> None:
    from bot.slack.commands import DataVersion

    Store(fresh_url).close()
    version = DataVersion(fresh_url)
    try:
        first = version()
        store = version._store
        assert store is not None
        pid = store.scalar("SELECT pg_backend_pid()")
        pg_server().admin(f"SELECT pg_terminate_backend({int(pid)})")  # a failover, a restart
        with pytest.raises(STORE_FAULTS):
            version()
        assert version() == first  # a new connection, the same data
        writer = Store(fresh_url)
        with writer.transaction():
            writer.set_meta("note", "after the restart")
        writer.close()
        assert version() != first
    finally:
        version.close()


def test_a_closed_store_cannot_use_the_connection_it_gave_back(fresh_url: str) -> None:
    first = Store(fresh_url)
    first.close()
    second = Store(fresh_url)  # may reuse the server connection `first` had
    try:
        with pytest.raises(STORE_FAULTS):
            first.scalar("SELECT 1")
        assert second.scalar("SELECT COUNT(*) FROM deals") == 0
    finally:
        second.close()


def test_the_password_may_be_kept_in_dot_env_out_of_the_url(
    password_url: str, tmp_path: Path
) -> None:
    without = password_url.replace(f":{PASSWORD}@", "@")
    refused = cli(tmp_path, "--db", without, "query", "summary")
    assert refused.returncode == 2 and "mot de passe" in refused.stderr
    (tmp_path / ".env").write_text(f"PGPASSWORD={PASSWORD}\n", encoding="utf-8")
    done = cli(tmp_path, "--db", without, "query", "summary")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""


def test_a_database_whose_stores_closed_can_be_copied_as_a_template(fresh_url: str) -> None:
    from bot.db.pg_connection import close_idle

    Store(fresh_url).close()  # its server connection is kept for the next store
    close_idle(fresh_url)
    copy = f"core_{uuid.uuid4().hex}"
    pg_server().admin(f"CREATE DATABASE {copy} TEMPLATE {fresh_url.rsplit('/', 1)[1]}")
    try:
        assert (
            Store(pg_server().url(copy), busy_timeout_ms=1000).tables() == Store(fresh_url).tables()
        )
    finally:
        close_idle()
        pg_server().drop_database(pg_server().url(copy))


def test_a_user_that_may_not_create_the_tables_is_told_what_to_grant(
    password_url: str, fresh_url: str
) -> None:
    server = pg_server()
    theirs = fresh_url.rsplit("/", 1)[1]  # owned by the server's superuser, not by ROLE
    url = password_url.rsplit("/", 1)[0] + f"/{theirs}"
    with pytest.raises(StoreError) as caught:
        Store(url)
    assert caught.value.kind == "pg_denied"
    assert "OWNER TO" in str(caught.value) and PASSWORD not in str(caught.value)
    assert "propriétaire" in caught.value.localised("fr")
    server.admin(f"ALTER DATABASE {theirs} OWNER TO {ROLE}")  # as the message says
    Store(url).close()
