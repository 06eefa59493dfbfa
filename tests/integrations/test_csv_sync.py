"""CSV source through the sync engine: snapshots, history, removal, warnings, crash safety."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.pipeline import DEFAULT_STAGES, Pipeline
from bot.store import Store
from bot.sync import SyncResult, sync_source
from tests.integrations.support import run_sync

PIPELINE = Pipeline(DEFAULT_STAGES)
HEADER = "id;title;client;owner;status;amount;probability;expected_close;stage_entered\n"


def write(path: Path, *rows: str) -> None:
    path.write_text(HEADER + "".join(r + "\n" for r in rows), encoding="utf-8")


def run(store: Store, csv: Path, when: str, **source: object) -> SyncResult:
    return run_sync(store, {"kind": "csv", "name": "sheet", "path": str(csv), **source},
                    now=when, timezone="Europe/Paris")  # fmt: skip


def test_sync_twice_makes_no_duplicates_and_one_event_per_change(
    store: Store, tmp_path: Path
) -> None:
    csv = tmp_path / "deals.csv"
    write(csv, "1;Refonte site;Dupain;Marie;appel et devis;12 000 €;;;",
          "2;SEO;Martin;Paul;conclusion du contrat;5000;;;")  # fmt: skip
    first = run(store, csv, "2026-03-02T08:00:00")
    assert (first.fetched, first.changed, first.stage_changes) == (2, 2, 0)
    again = run(store, csv, "2026-03-03T08:00:00")
    assert (again.fetched, again.changed, again.stage_changes) == (2, 0, 0)
    assert store.scalar("SELECT COUNT(*) FROM deals") == 2
    assert store.scalar("SELECT COUNT(*) FROM stage_events") == 2

    # Deal 1 moves to another status of a new stage; deal 2 moves between two "won" statuses.
    write(csv, "1;Refonte site;Dupain;Marie;balle dans le camp du client;12 000 €;;;",
          "2;SEO;Martin;Paul;travail en cours;5000;;;")  # fmt: skip
    run(store, csv, "2026-03-05T08:00:00")
    write(csv, "1;Refonte site;Dupain;Marie;balle dans le camp du client;12 000 €;;;",
          "2;SEO;Martin;Paul;travail terminé;5000;;;")  # fmt: skip
    moved = run(store, csv, "2026-03-06T08:00:00")
    assert moved.stage_changes == 0  # travail en cours -> travail terminé: same stage (won)
    history = [(e["from_stage"], e["to_stage"], e["at"]) for e in store.history("sheet:1")]
    assert history == [(None, "meeting", "2026-03-02T08:00:00+00:00"),
                       ("meeting", "negotiation", "2026-03-05T08:00:00+00:00")]  # fmt: skip
    deal2 = store.rows("SELECT stage, stage_entered FROM deals WHERE id = 'sheet:2'")[0]
    assert deal2 == {"stage": "won", "stage_entered": "2026-03-05T08:00:00+00:00"}


def test_stage_entered_column_is_honoured(store: Store, tmp_path: Path) -> None:
    csv = tmp_path / "deals.csv"
    write(csv, "1;Audit;Leroy;Marie;appel et devis;3000;;;14/02/2026")
    run(store, csv, "2026-03-02T08:00:00")
    # a bare date in the sheet is that day at midnight in Paris (23:00 UTC the day before)
    assert store.scalar("SELECT stage_entered FROM deals") == "2026-02-13T23:00:00+00:00"


def test_a_deal_gone_from_the_sheet_is_removed_not_kept_open(store: Store, tmp_path: Path) -> None:
    csv = tmp_path / "deals.csv"
    write(csv, "1;A;X;M;appel et devis;1000;;;", "2;B;Y;M;appel et devis;2000;;;")
    run(store, csv, "2026-03-02T08:00:00")
    write(csv, "1;A;X;M;appel et devis;1000;;;")
    result = run(store, csv, "2026-03-03T08:00:00")
    assert result.removed == 1
    assert store.rows("SELECT id, removed FROM deals ORDER BY id") == [
        {"id": "sheet:1", "removed": 0}, {"id": "sheet:2", "removed": 1}]  # fmt: skip
    write(csv, "1;A;X;M;appel et devis;1000;;;", "2;B;Y;M;appel et devis;2000;;;")
    run(store, csv, "2026-03-04T08:00:00")
    assert store.scalar("SELECT removed FROM deals WHERE id = 'sheet:2'") == 0


def test_a_sync_in_the_same_second_as_the_last_still_removes_what_left_the_sheet(
    store: Store, tmp_path: Path
) -> None:
    """Gone means "not seen by this sync", not "last seen before this second": a full sync run
    a moment after the previous one (a script, a retry, `sync --full` right after `sync`)
    removes a deal that left the sheet all the same."""
    csv = tmp_path / "deals.csv"
    write(csv, "1;A;X;M;appel et devis;1000;;;", "2;B;Y;M;appel et devis;2000;;;")
    run(store, csv, "2026-03-02T08:00:00")
    write(csv, "1;A;X;M;appel et devis;1000;;;")
    result = run(store, csv, "2026-03-02T08:00:00")
    assert result.removed == 1
    assert store.rows("SELECT id, removed FROM deals ORDER BY id") == [
        {"id": "sheet:1", "removed": 0}, {"id": "sheet:2", "removed": 1}]  # fmt: skip


def test_unreadable_cells_are_reported_and_the_row_still_loads(
    store: Store, tmp_path: Path
) -> None:
    csv = tmp_path / "deals.csv"
    write(csv, "1;Audit;Leroy;Marie;appel et devis;douze mille;beaucoup;demain;")
    result = run(store, csv, "2026-03-02T08:00:00")
    assert result.ok
    assert store.rows("SELECT title, amount, probability, expected_close FROM deals") == [
        {"title": "Audit", "amount": None, "probability": None, "expected_close": None}]  # fmt: skip
    assert result.warnings == [
        "row 2 ('Audit'): column 'amount': 'douze mille' is not an amount; left empty",
        "row 2 ('Audit'): column 'probability': 'beaucoup' is not a probability (60, 60 %, 0,6);"
        " left empty",
        "row 2 ('Audit'): column 'expected_close': 'demain' is not a date (2026-03-31 or "
        "31/03/2026); left empty",
    ]


def test_columns_renamed_by_fields_and_no_id_column(store: Store, tmp_path: Path) -> None:
    csv = tmp_path / "deals.csv"
    csv.write_text("Affaire,Société,Responsable,Étape,Montant\n"
                   "Refonte,Dupain,marie@agence.fr,Appel et devis,\"1.200,50 €\"\n")  # fmt: skip
    fields = {"title": "Affaire", "client": "Société", "owner": "Responsable",
              "status": "Étape", "amount": "Montant"}  # fmt: skip
    run(store, csv, "2026-03-02T08:00:00", fields=fields)
    assert store.rows("SELECT id, client, owner_email, stage, amount, currency FROM deals") == [
        {"id": "sheet:dupain/refonte", "client": "Dupain", "owner_email": "marie@agence.fr",
         "stage": "meeting", "amount": 1200.5, "currency": "EUR"}]  # fmt: skip


def test_a_sync_that_crashes_half_way_leaves_the_store_as_it_was(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    csv = tmp_path / "deals.csv"
    write(csv, "1;A;X;M;appel et devis;1000;;;", "2;B;Y;M;appel et devis;2000;;;")
    run(store, csv, "2026-03-02T08:00:00")
    before = store.rows("SELECT * FROM deals ORDER BY id")
    bookmark = store.sync_state("sheet")

    write(csv, "1;A;X;M;conclusion du contrat;9000;;;", "3;C;Z;M;appel et devis;3000;;;")
    import bot.sync

    real = bot.sync.Store.rebuild_stage_events
    calls = {"n": 0}

    def crash(self, pipeline, ids=None):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        real(self, pipeline, ids)
        raise OSError("disk vanished mid-sync")

    monkeypatch.setattr(bot.sync.Store, "rebuild_stage_events", crash)
    result = run(store, csv, "2026-03-03T08:00:00")
    monkeypatch.undo()
    assert not result.ok and "disk vanished" in (result.error or "")
    assert store.rows("SELECT * FROM deals ORDER BY id") == before
    state = store.sync_state("sheet")
    assert state and bookmark and state["bookmark"] == bookmark["bookmark"]
    assert "disk vanished" in state["last_error"]

    resumed = run(store, csv, "2026-03-04T08:00:00")
    assert resumed.ok
    assert store.rows("SELECT id, stage, removed FROM deals ORDER BY id") == [
        {"id": "sheet:1", "stage": "closing", "removed": 0},
        {"id": "sheet:2", "stage": "meeting", "removed": 1},
        {"id": "sheet:3", "stage": "meeting", "removed": 0},
    ]


def test_missing_file_is_a_clear_source_error(store: Store, tmp_path: Path) -> None:
    result = run(store, tmp_path / "nowhere.csv", "2026-03-02T08:00:00")
    assert result.error and "no such file" in result.error and "nowhere.csv" in result.error


def test_status_from_a_custom_field_ignores_the_tool_s_own_history(store: Store) -> None:
    """With `[sources.fields] status = "Étape"`, the tool's list/section moves describe another
    field: the deal's stage history is our snapshots of the chosen field, never a mix."""
    from integrations.base import SourceSettings
    from tests.helpers import ListAdapter, task

    adapter = ListAdapter("crm", [task("1", "conclusion du contrat",
                                       ("2026-02-01T09:00", "appel et devis"),
                                       ("2026-02-10T09:00", "Liste Archives"))])  # fmt: skip
    adapter.settings = SourceSettings(kind="list", name="crm", fields={"status": "Étape"})
    sync_source(store, PIPELINE, adapter, now=lambda: datetime(2026, 3, 2, 8, tzinfo=UTC))
    assert [(e["to_stage"], e["at"]) for e in store.history("crm:1")] == [
        ("closing", "2026-03-02T08:00:00+00:00")]  # fmt: skip


def test_currency_column_written_as_a_symbol_is_stored_as_its_code(
    store: Store, tmp_path: Path
) -> None:
    csv = tmp_path / "deals.csv"
    csv.write_text("title;status;amount;currency\nAudit;appel et devis;3000;€\n", encoding="utf-8")
    run(store, csv, "2026-03-02T08:00:00")
    assert store.scalar("SELECT currency FROM deals") == "EUR"


def test_a_currency_cell_that_is_not_a_code_is_reported_and_the_configured_one_used(
    store: Store, tmp_path: Path
) -> None:
    """`<@U999EVIL>` in a currency cell used to be upper-cased and stored, then announced."""
    csv = tmp_path / "deals.csv"
    csv.write_text("title;status;amount;currency\nAudit;appel et devis;3000;<@U999EVIL>\n",
                   encoding="utf-8")  # fmt: skip
    result = run(store, csv, "2026-03-02T08:00:00")
    assert store.scalar("SELECT currency FROM deals") is None  # the configured currency applies
    assert any("'<@U999EVIL>' is not a currency code (EUR, USD, €)" in w for w in result.warnings)
