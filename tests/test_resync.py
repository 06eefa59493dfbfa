"""A re-sync writes only what changed (row fingerprints), and stores what a full re-write would.

Each sequence of syncs runs twice: on one store as the engine does it, on the other with every
stored fingerprint wiped before each sync and every row taken as changed (every row parsed,
upserted and its stage events rebuilt, as before fingerprints). Both must hold the same deals, status changes, stage events
and field changes after every step; the fingerprinted one must have written only the changed
rows (their `last_seen`, stage event ids and the sync's `written` count say so).
"""

from __future__ import annotations

import contextlib
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from unittest import mock

from bot.pipeline import DEFAULT_STAGES, Pipeline
from bot.replay import replay
from bot.settings import load_settings
from bot.store import Store
from bot.sync import SyncResult
from tests.helpers import ON_POSTGRES, cli, db_target, load, store_at, task
from tests.integrations.support import run_sync

PIPELINE = Pipeline(DEFAULT_STAGES)
HEADER = "id;title;client;owner;status;amount;probability;expected_close;stage_entered\n"
STATUSES = ("client sur le point d'arriver", "appel et devis", "balle dans le camp du client",
            "conclusion du contrat", "travail en cours", "écarté")  # fmt: skip


def clean_rows() -> list[str]:
    return [f"{n};Deal {n};Client {n % 7};Owner {n % 5};{STATUSES[n % 6]};{1000 + 250 * n} €;"
            f";2026-0{4 + n % 3}-15;{1 + n % 27:02d}/02/2026" for n in range(1, 41)]  # fmt: skip


#: an untitled row and an unreadable amount: their warnings are reported at every sync, so they
#: are processed every time; and a deal on two rows (the later one wins, the earlier is not read)
ALWAYS = ["41;;Nobody;Owner 1;appel et devis;500;;;", "7;Deal 7 again;Client 0;Owner 2;écarté;1;;;",
          "42;Audit;Leroy;Owner 3;appel et devis;douze mille;;;"]  # fmt: skip
ALWAYS_WRITTEN = 2  # 41 and 42
ROWS_READ = 42  # 40 clean rows, 41, 42 and the later row 7 (the earlier one is left out)


def sync_csv(store: Store, csv: Path, rows: list[str], when: str, wipe: bool,
             rewrite: bool | None = None) -> SyncResult:  # fmt: skip
    """`wipe`: every stored fingerprint forgotten first (as after an upgrade of the code);
    `rewrite` (by default as `wipe`): every row written whole, even one that reads exactly as
    stored, its stage events rebuilt."""
    csv.write_text(HEADER + "".join(r + "\n" for r in rows), encoding="utf-8")
    if wipe:
        store.conn.execute("UPDATE deals SET fingerprint = NULL")
        store.conn.execute("UPDATE sync_state SET source_print = NULL")
    with (
        mock.patch("bot.sync._same_row", lambda old, new: False)
        if (wipe if rewrite is None else rewrite)
        else contextlib.nullcontext()
    ):
        result = run_sync(store, {"kind": "csv", "name": "sheet", "path": str(csv)}, now=when,
                          timezone="Europe/Paris")  # fmt: skip
    assert result.ok, result.error
    return result


def contents(store: Store) -> dict[str, list[dict[str, Any]]]:
    """Everything a sync writes, without what only says when or how it was written."""
    return {
        "deals": store.rows("SELECT * FROM deals ORDER BY id"),
        "status_changes": store.rows("SELECT * FROM status_changes ORDER BY deal_id, at, rowid"),
        "stage_events": store.rows("SELECT * FROM stage_events ORDER BY deal_id, at, id"),
        "field_changes": store.rows("SELECT * FROM field_changes ORDER BY deal_id, at, id"),
    }


def comparable(tables: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    skip = {"deals": {"last_seen", "fingerprint"}, "stage_events": {"id"}, "field_changes": {"id"}}
    return {name: [{k: v for k, v in row.items() if k not in skip.get(name, ())} for row in rows]
            for name, rows in tables.items()}  # fmt: skip


def test_resync_writes_only_changed_rows_and_stores_the_same(tmp_path: Path) -> None:
    ours, full = store_at(tmp_path / "ours.db"), store_at(tmp_path / "full.db")
    rows = clean_rows() + ALWAYS
    moved = list(rows)
    moved[2] = moved[2].replace("conclusion du contrat", "travail en cours")  # deal 3 is won
    moved[4] = moved[4].replace("2250 €", "9000 €")  # deal 5's amount
    gone = [r for r in moved if not r.startswith("9;")]
    steps = [("2026-03-02T08:00:00", rows), ("2026-03-03T08:00:00", rows),
             ("2026-03-04T08:00:00", moved), ("2026-03-05T08:00:00", gone),
             ("2026-03-06T08:00:00", moved), ("2026-03-07T08:00:00", moved)]  # fmt: skip
    results = []
    for when, sheet in steps:
        before = contents(ours)
        results.append(sync_csv(ours, tmp_path / "ours.csv", sheet, when, wipe=False))
        reference = sync_csv(full, tmp_path / "full.csv", sheet, when, wipe=True)
        after = contents(ours)
        assert comparable(after) == comparable(contents(full)), when
        said = ("fetched", "changed", "stage_changes", "removed", "warnings", "reached_outcome")
        assert [getattr(results[-1], k) for k in said] == [getattr(reference, k) for k in said]
        if len(results) == 1:
            continue
        # a deal not written keeps its row as it was (last_seen too) and its stage events' ids;
        # deal 9 leaves the sheet and comes back (its removal is written, not its row)
        written = {d["id"] for d in after["deals"] if d["last_seen"].startswith(when[:10])}
        kept = [d["id"] for d in before["deals"] if d["id"] not in written | {"sheet:9"}]
        assert len(kept) >= 35
        for table, key in (("deals", "id"), ("stage_events", "deal_id")):
            assert [r for r in after[table] if r[key] in kept] == [
                r for r in before[table] if r[key] in kept]  # fmt: skip

    unchanged, changed, removal, back, again = results[1:]
    assert (unchanged.fetched, unchanged.written) == (ROWS_READ, ALWAYS_WRITTEN)
    assert changed.written == ALWAYS_WRITTEN + 2
    assert changed.reached_outcome == [("sheet:3", "won")]
    assert (removal.written, removal.removed) == (ALWAYS_WRITTEN, 1)
    assert ours.scalar("SELECT removed FROM deals WHERE id = 'sheet:9'") == 0  # back again
    assert (back.written, again.written) == (ALWAYS_WRITTEN + 1, ALWAYS_WRITTEN)
    ours.close()
    full.close()


def rows_written(store: Store) -> int:
    """Rows the store's connection has written (the engine's own count: SQLite's total_changes);
    on PostgreSQL less the version counter's bumps (one per write transaction, for the answer
    cache: bookkeeping, not the sync's data)."""
    if ON_POSTGRES:
        return int(store.conn.total_changes) - store.data_version()
    return store.conn.total_changes


def test_an_unchanged_clean_sheet_is_not_read_again(tmp_path: Path) -> None:
    """No warning, no skipped row: the same file is recognised whole (nothing read or written)."""
    ours, full = store_at(tmp_path / "ours.db"), store_at(tmp_path / "full.db")
    rows = clean_rows()
    moved = [r.replace("2250 €", "9000 €") for r in rows]
    results, writes = [], []
    for when, sheet in (("2026-03-02T08:00:00", rows), ("2026-03-03T08:00:00", rows),
                        ("2026-03-04T08:00:00", moved), ("2026-03-05T08:00:00", moved)):  # fmt: skip
        before, changes = contents(ours), rows_written(ours)
        results.append(sync_csv(ours, tmp_path / "ours.csv", sheet, when, wipe=False))
        writes.append(rows_written(ours) - changes)
        reference = sync_csv(full, tmp_path / "full.csv", sheet, when, wipe=True)
        assert comparable(contents(ours)) == comparable(contents(full)), when
        assert (results[-1].fetched, results[-1].rows) == (reference.fetched, reference.rows)
        if results[-1].written == 0:
            assert contents(ours) == before  # not a byte written, last_seen included
    assert [r.written for r in results] == [40, 0, 1, 0]
    # the engine's own count: an unchanged sheet writes one row, its sync state (when it was synced)
    assert (writes[1], writes[3]) == (1, 1) and writes[2] > 1
    ours.close()
    full.close()


def test_after_an_upgrade_an_unchanged_sheet_rewrites_no_deal(tmp_path: Path) -> None:
    """New code means new fingerprints: every row is read again, but a row that reads exactly as
    stored gets its new fingerprint and `last_seen` only: no other column, no stage event
    rebuilt; a row that changed meanwhile is written whole. The store ends as a full rewrite
    leaves it, and the next sync skips every row again."""
    ours, full = store_at(tmp_path / "ours.db"), store_at(tmp_path / "full.db")
    rows = clean_rows()
    moved = [r.replace("2250 €", "9000 €").replace("3;Deal 3;Client 3;Owner 3;conclusion du contrat",
                                                  "3;Deal 3;Client 3;Owner 3;travail en cours")
             for r in rows]  # deal 5's amount; deal 3 won  # fmt: skip
    for store, name in ((ours, "ours.csv"), (full, "full.csv")):
        sync_csv(store, tmp_path / name, rows, "2026-03-02T08:00:00", wipe=False)
    writes = []
    for store, name in ((ours, "ours.csv"), (full, "full.csv")):
        store.conn.execute("UPDATE deals SET fingerprint = NULL")  # as new code would see them
        store.conn.execute("UPDATE sync_state SET source_print = NULL")
        if store is ours:
            before = contents(ours)
        changes = rows_written(store)
        result = sync_csv(store, tmp_path / name, moved, "2026-03-03T08:00:00", wipe=False,
                          rewrite=store is full)  # fmt: skip
        writes.append(rows_written(store) - changes)
        if store is ours:
            upgraded = result
    after = contents(ours)
    assert comparable(after) == comparable(contents(full))
    assert (upgraded.fetched, upgraded.written, upgraded.changed) == (40, 40, 2)
    assert upgraded.reached_outcome == [("sheet:3", "won")]
    kept = {f"sheet:{n}" for n in range(1, 41)} - {"sheet:3", "sheet:5"}
    bookkeeping = {"fingerprint", "last_seen"}
    for old, new in zip(before["deals"], after["deals"], strict=True):
        same = {k: v for k, v in old.items() if k not in bookkeeping}
        assert (same == {k: v for k, v in new.items() if k not in bookkeeping}) == (
            old["id"] in kept), old["id"]  # fmt: skip
        assert new["last_seen"].startswith("2026-03-03") and new["fingerprint"]
    # the kept deals' stage events are the very rows they were (ids too): not rebuilt
    assert [e for e in after["stage_events"] if e["deal_id"] in kept] == [
        e for e in before["stage_events"] if e["deal_id"] in kept]  # fmt: skip
    assert [e["id"] for e in after["stage_events"] if e["deal_id"] == "sheet:3"] != [
        e["id"] for e in before["stage_events"] if e["deal_id"] == "sheet:3"]  # fmt: skip
    # a full rewrite writes each kept deal's row and its stage events again (245 rows against
    # 131 here, SQLite's count, the temporary table of seen ids included)
    assert writes[1] - writes[0] >= 2 * len(kept)
    again = sync_csv(ours, tmp_path / "ours.csv", moved, "2026-03-04T08:00:00", wipe=False)
    assert again.written == 0
    ours.close()
    full.close()


def test_a_sheet_moved_to_another_folder_is_not_read_again_whole(tmp_path: Path) -> None:
    """Where the file lies is not how its cells read: after a move (the config's `path`
    changed) only the row that changed is written."""
    store = store_at(tmp_path / "pipeline.db")
    rows = clean_rows()
    first = sync_csv(store, tmp_path / "deals.csv", rows, "2026-03-02T08:00:00", wipe=False)
    (tmp_path / "shared").mkdir()
    moved = [r.replace("2250 €", "9000 €") for r in rows]  # deal 5's amount
    again = sync_csv(store, tmp_path / "shared" / "deals.csv", moved, "2026-03-03T08:00:00",
                     wipe=False)  # fmt: skip
    assert (first.written, again.fetched, again.written) == (40, 40, 1)
    assert store.scalar("SELECT amount FROM deals WHERE id = 'sheet:5'") == 9000.0
    store.close()


def test_resync_of_a_task_manager_skips_unchanged_tasks(tmp_path: Path) -> None:
    store = store_at(tmp_path / "pipeline.db")
    moves = [(f"2026-03-0{1 + n % 5}T09:00", STATUSES[n % 4]) for n in range(6)]

    def tasks(amount_of_3: float) -> list[Any]:
        return [task(f"t{n}", moves[n][1], moves[n], amount=amount_of_3 if n == 3 else 100.0 * n,
                     owner=f"Owner {n}") for n in range(6)]  # fmt: skip

    first = load(store, PIPELINE, tasks(300.0), now=datetime(2026, 3, 9, 8, tzinfo=UTC))
    events = store.rows("SELECT * FROM stage_events ORDER BY id")
    again = load(store, PIPELINE, tasks(300.0), now=datetime(2026, 3, 10, 8, tzinfo=UTC))
    assert (first.written, again.fetched, again.written) == (6, 6, 0)
    assert store.rows("SELECT * FROM stage_events ORDER BY id") == events
    moved = load(store, PIPELINE, tasks(450.0), now=datetime(2026, 3, 11, 8, tzinfo=UTC))
    assert (moved.written, moved.changed) == (1, 1)
    assert store.scalar("SELECT amount FROM deals WHERE id = 't:t3'") == 450.0
    store.close()


def _tables(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every table of the store, rows in a fixed order."""
    store = store_at(db)
    out = {name: sorted(store.conn.execute(f'SELECT * FROM "{name}"'), key=repr)
           for name in store.tables()}  # fmt: skip
    store.close()
    return out


def _without_seconds(text: str) -> str:
    return re.sub(r"\d+,\d s$", "S", text, flags=re.M)


def test_sync_of_unchanged_sheets_records_the_sync_without_the_adapters(tmp_path: Path) -> None:
    """`sync` of sheets identical to the last clean sync (file, config, code): the sync state
    is recorded and the same lines printed as a full sync of them would, nothing else written;
    a changed byte in the file or the config, or a sheet with a warning, go the normal
    way (and the changes are read)."""
    (tmp_path / "a.csv").write_text(HEADER + "".join(r + "\n" for r in clean_rows()), "utf-8")
    (tmp_path / "b.csv").write_text(HEADER + "".join(r + "\n" for r in clean_rows()[:9]), "utf-8")
    config = tmp_path / "pipeline.toml"
    config.write_text('[[sources]]\nkind = "csv"\nname = "a"\npath = "a.csv"\n\n'
                      '[[sources]]\nkind = "csv"\nname = "b"\npath = "b.csv"\n')  # fmt: skip
    db = tmp_path / "pipeline.db"
    first = cli(tmp_path, "sync")
    assert first.returncode == 0, first.stderr
    assert (
        replay(load_settings(str(config), str(db_target(db)))) == 0
    )  # recognised, and recorded once more
    before = _tables(db)
    again = cli(tmp_path, "sync")
    after = _tables(db)
    assert again.returncode == 0, again.stderr
    # the normal path's lines (`--source` never replays) for the same unchanged sheets
    normal = cli(tmp_path, "sync", "--source", "a", "--source", "b")
    assert normal.returncode == 0, normal.stderr
    assert _without_seconds(again.stdout) == _without_seconds(normal.stdout)
    assert again.stdout.startswith("a : complète, 40 lue(s), 0 modifiée(s)")
    assert "b : 9 ligne(s) lue(s), 9 affaire(s) enregistrée(s)" in again.stdout
    assert {k: v for k, v in after.items() if k != "sync_state"} == {
        k: v for k, v in before.items() if k != "sync_state"
    }
    columns = ("source", "last_attempt", "bookmark", "last_success", "last_full", "last_error",
               "source_print")  # fmt: skip
    store = store_at(db)
    state = store.conn.execute(f"SELECT {', '.join(columns)} FROM sync_state "
                               "ORDER BY source").fetchall()  # fmt: skip
    store.close()
    was = {row[0]: row for row in before["sync_state"]}
    for source, attempt, bookmark, success, full, error, source_print in state:
        assert attempt == bookmark == success == full and attempt >= was[source][1]
        assert error is None and source_print and source_print.endswith((" 40", " 9"))

    # one byte of the file: read the normal way, the change stored
    (tmp_path / "b.csv").write_text(
        HEADER + "".join(r + "\n" for r in clean_rows()[:9]).replace("2250 €", "2251 €"), "utf-8"
    )
    assert replay(load_settings(str(config), str(db_target(db)))) is None
    changed = cli(tmp_path, "sync")
    assert "b : complète, 9 lue(s), 1 modifiée(s)" in changed.stdout, changed.stdout
    store = store_at(db)
    amount = store.scalar("SELECT amount FROM deals WHERE id = 'b:5'")
    store.close()
    assert amount == 2251.0
    assert (
        replay(load_settings(str(config), str(db_target(db)))) == 0
    )  # that clean sync is the new reference
    # the config: another delimiter reads other columns
    config.write_text(config.read_text() + 'delimiter = ","\n')
    assert replay(load_settings(str(config), str(db_target(db)))) is None
    # a row with a warning is reported at every sync: never replayed
    config.write_text(config.read_text().replace('delimiter = ","\n', ""))
    with (tmp_path / "a.csv").open("a", encoding="utf-8") as sheet:
        sheet.write("41;;Nobody;Owner 1;appel et devis;500;;;\n")
    assert "1 avertissement(s)" in cli(tmp_path, "sync").stdout
    assert replay(load_settings(str(config), str(db_target(db)))) is None
    assert "1 avertissement(s)" in cli(tmp_path, "sync").stdout
