"""A whole sheet into a new store: its query indexes are built once after the rows, not row by
row (`Store.indexes_deferred`), with the same store and answers in the end, and nothing lost
when the sync fails half-way."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

import bot.sync
from bot.errors import StoreError
from bot.store import Store
from tests.helpers import ON_POSTGRES, store_at
from tests.integrations.support import run_sync

STATUSES = ("Client sur le point d'arriver", "Appel et devis", "Balle dans le camp du client",
            "Conclusion du contrat", "Travail terminé", "Écarté")  # fmt: skip
OWNERS = ("Marie Dupont", "Paul Leroy", "Sophie Bernard")


def write_sheet(path: Path, rows: int) -> dict[str, Any]:
    """A sheet of `rows` deals over two batches and more (500 rows each), ids, owners, statuses
    and dates varied, and the csv source reading it."""
    lines = ["id;title;client;owner;status;amount;stage_entered"]
    for n in range(rows):
        day = 1 + n % 27
        lines.append(f"D{n:05d};Projet {n};Client {n % 97};{OWNERS[n % 3]};"
                     f"{STATUSES[n % len(STATUSES)]};{1000 + 7 * n};2026-02-{day:02d}")  # fmt: skip
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return {"kind": "csv", "name": "sheet", "path": str(path), "delimiter": ";"}


def indexes(store: Store) -> list[tuple[str, str]]:
    """The store's indexes (name, definition) as the engine's catalog lists them."""
    if ON_POSTGRES:
        return list(store.conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
            "ORDER BY indexname"))  # fmt: skip
    return list(store.conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        "ORDER BY name"))  # fmt: skip


def contents(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the tables a sync writes, in a stable order."""
    return {
        table: list(store.conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2, 3"))
        for table in ("deals", "status_changes", "stage_events", "field_changes")
    }


@pytest.mark.sqlite_only(
    reason="indexes deferred during a first load (Store.indexes_deferred) are SQLite's; PostgreSQL keeps its indexes"
)
def test_a_first_sync_builds_the_same_store_as_one_writing_every_index_row_by_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = write_sheet(tmp_path / "deals.csv", 1_234)
    built_at_end = store_at(tmp_path / "bulk.db")
    dropped: list[str] = []  # SQLite tells each statement it runs
    built_at_end.conn.set_trace_callback(
        lambda sql: dropped.append(sql) if sql.startswith("DROP INDEX") else None
    )
    result = run_sync(built_at_end, source)
    built_at_end.conn.set_trace_callback(None)
    assert result.ok and result.fetched == 1_234
    assert len(dropped) >= 10, "a first sync into an empty store builds its indexes at the end"

    with monkeypatch.context() as patched:  # the same sheet, every index written row by row
        patched.setattr(Store, "is_empty", lambda self: False)
        row_by_row = store_at(tmp_path / "rows.db")
        assert run_sync(row_by_row, source).ok

    assert indexes(built_at_end) == indexes(row_by_row) == indexes(store_at(tmp_path / "new.db"))
    assert built_at_end.scalar("PRAGMA integrity_check") == "ok"
    assert contents(built_at_end) == contents(row_by_row)
    assert built_at_end.scalar("SELECT COUNT(*) FROM deals WHERE owner = 'Paul Leroy'") == 411


def test_a_second_sync_writes_into_the_indexes_as_it_goes(tmp_path: Path) -> None:
    source = write_sheet(tmp_path / "deals.csv", 600)
    store = store_at(tmp_path / "pipeline.db")
    assert run_sync(store, source).ok
    assert not store.is_empty()
    write_sheet(tmp_path / "deals.csv", 700)  # 100 new deals: a store that has deals
    before = indexes(store)
    assert run_sync(store, source, now="2026-03-03T08:00:00").ok
    assert indexes(store) == before
    assert store.scalar("SELECT COUNT(*) FROM deals") == 700


def test_a_first_sync_that_fails_half_way_leaves_the_new_store_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = write_sheet(tmp_path / "deals.csv", 1_200)
    store = store_at(tmp_path / "pipeline.db")
    before = indexes(store)
    real_store_batch = bot.sync._store_batch
    batches: list[int] = []

    def full_disk_on_the_second_batch(*args: Any, **kwargs: Any) -> None:
        batches.append(1)
        if len(batches) == 2:
            raise sqlite3.OperationalError("database or disk is full")
        real_store_batch(*args, **kwargs)

    monkeypatch.setattr(bot.sync, "_store_batch", full_disk_on_the_second_batch)
    with pytest.raises(StoreError, match="is full"):  # the command's one line
        run_sync(store, source)
    assert indexes(store) == before  # every index back, none left dropped
    assert store.is_empty()

    monkeypatch.setattr(bot.sync, "_store_batch", real_store_batch)
    assert run_sync(store, source, now="2026-03-03T08:00:00").ok  # the next sync resumes
    assert store.scalar("SELECT COUNT(*) FROM deals") == 1_200
    assert indexes(store) == before
