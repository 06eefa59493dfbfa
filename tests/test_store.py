"""The store: migrations on an old database, and re-mapping when the config changes."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import sqlite_utils

from bot.pipeline import DEFAULT_STAGES, Pipeline
from bot.store import Store, migrations
from tests.helpers import cli, load, store_at, task


@pytest.mark.sqlite_only(reason="sqlite-utils migrates SQLite files; PRAGMA user_version")
def test_an_up_to_date_database_opens_without_sqlite_utils(tmp_path: Path) -> None:
    """Every command opens the store: sqlite-utils is imported only when a migration is due."""
    import subprocess
    import sys

    path = tmp_path / "pipeline.db"
    Store(path).close()  # new: migrated by sqlite-utils, then marked up to date
    code = ("import sys; from bot.store import Store; Store(sys.argv[1]).close(); "
            "print('sqlite_utils' in sys.modules)")  # fmt: skip
    root = Path(__file__).resolve().parent.parent
    run = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True,
                         cwd=root, check=True)  # fmt: skip
    assert run.stdout.strip() == "False"
    with sqlite3.connect(path) as conn:  # an older release's database: sqlite-utils checks it
        conn.execute("PRAGMA user_version = 3")
    run = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True,
                         cwd=root, check=True)  # fmt: skip
    assert run.stdout.strip() == "True"
    store = Store(path)
    assert store.scalar("PRAGMA user_version") == len(migrations.registered)
    store.close()


@pytest.mark.sqlite_only(reason="an older release's SQLite file upgraded")
def test_an_old_database_is_migrated_and_keeps_its_deals(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    old = sqlite_utils.Database(path)
    migrations.apply(old, stop_before="m002_nudge_log")
    old.table("deals").insert({"id": "t:1", "source": "t", "title": "Ancienne affaire",
                               "status": "appel et devis", "removed": 0})  # fmt: skip
    old.conn.commit()
    old.close()
    assert "nudges" not in sqlite_utils.Database(path).table_names()

    store = Store(path)
    names = set(store.db.table_names())
    assert {"nudges", "quiet", "announcements", "leases"} <= names
    assert store.rows("SELECT title FROM deals") == [{"title": "Ancienne affaire"}]
    assert not migrations.pending(store.db)
    store.close()


@pytest.mark.sqlite_only(reason="SQLite's WAL mode and busy timeout")
def test_wal_mode_and_busy_timeout(store: Store) -> None:
    assert store.scalar("PRAGMA journal_mode") == "wal"
    assert store.scalar("PRAGMA busy_timeout") >= 5000


def test_changing_the_status_map_remaps_deals_and_history_without_resync(store: Store) -> None:
    base = Pipeline(DEFAULT_STAGES)
    load(store, base, [task("1", "En pause", ("2026-03-02T09:00", "appel et devis"),
                             ("2026-03-09T09:00", "En pause"))])  # fmt: skip
    assert store.rows("SELECT stage FROM deals") == [{"stage": None}]

    remapped = Pipeline(DEFAULT_STAGES, {"En pause": "negotiation"})
    assert store.ensure_mapping(remapped) is True
    assert store.rows("SELECT stage, stage_entered FROM deals") == [
        {"stage": "negotiation", "stage_entered": "2026-03-09T09:00:00+00:00"}]  # fmt: skip
    assert [(e["from_stage"], e["to_stage"]) for e in store.history("t:1")] == [
        (None, "meeting"), ("meeting", "negotiation")]  # fmt: skip
    assert store.ensure_mapping(remapped) is False  # nothing to do the second time


@pytest.mark.sqlite_only(reason="a SQLite file locked by another connection")
def test_a_locked_database_gives_a_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "locked.db"
    first = Store(path)
    blocker = sqlite3.connect(path, timeout=0)
    blocker.execute("BEGIN IMMEDIATE")
    second = Store(path)
    second.conn.execute("PRAGMA busy_timeout = 50")
    from bot.store import StoreLocked

    try:
        with second.transaction():
            raise AssertionError("should not get the lock")
    except StoreLocked as exc:
        assert "locked by another pipeline-bot process" in str(exc)
    finally:
        blocker.rollback()
        blocker.close()
        first.close()
        second.close()


def _old_database(path: Path) -> None:
    old = sqlite_utils.Database(path)
    migrations.apply(old, stop_before="m004_analytics")
    old.conn.execute("PRAGMA journal_mode = WAL")
    old.close()


@pytest.mark.sqlite_only(reason="a SQLite file locked by another writer")
def test_pending_migration_behind_another_writer_says_locked(tmp_path: Path) -> None:
    from bot.store import StoreLocked

    path = tmp_path / "busy.db"
    _old_database(path)
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # a sync in another process, mid-write
    try:
        import pytest

        with pytest.raises(StoreLocked, match="locked by another pipeline-bot process"):
            Store(path, busy_timeout_ms=300)
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    store = Store(path)  # once the writer is done, it opens and migrates
    assert not migrations.pending(store.db)
    store.close()


@pytest.mark.sqlite_only(reason="a SQLite file locked by another writer")
def test_cli_on_a_locked_database_prints_one_line_and_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bot.store

    path = tmp_path / "busy.db"
    _old_database(path)
    monkeypatch.setattr(bot.store, "BUSY_TIMEOUT_MS", 300)
    (tmp_path / "deals.csv").write_text("title;status\nAudit;appel et devis\n")
    config = tmp_path / "pipeline.toml"
    config.write_text('[[sources]]\nkind = "csv"\npath = "deals.csv"\n')
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    try:
        for command in (["query"], ["sync"], ["check"]):
            done = cli(tmp_path, "--config", str(config), "--db", str(path), *command)
            err = done.stderr
            assert done.returncode == 2, (command, err)
            assert err.count("\n") == 1
            assert f"la base {path} est verrouillée par un autre processus pipeline-bot" in err
    finally:
        writer.execute("ROLLBACK")
        writer.close()


def test_sync_state_refuses_a_key_that_is_not_a_column(tmp_path: Path) -> None:
    store = store_at(tmp_path / "pipeline.db")
    store.save_sync_state("sheet", last_error="boom", last_attempt="2026-03-02T09:00:00+00:00")
    store.save_sync_state("sheet", last_error=None)  # an update keeps the other columns
    with pytest.raises(ValueError, match="no column last_eror"):
        store.save_sync_state("sheet", last_eror="typo")
    state = store.sync_state("sheet")
    assert state is not None and state["last_error"] is None
    assert state["last_attempt"] == "2026-03-02T09:00:00+00:00"
    assert "last_eror" not in state
    store.close()
