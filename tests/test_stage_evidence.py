"""What dates a deal's stage, as a user sees it in `deal` and `summary`: the contract's evidence
order (history, the source's "since" field, a change seen between two syncs, the task's
last-modified time at first sight, else the first sync) and `stage_entered_from` saying which."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.pipeline import DEFAULT_STAGES, Pipeline
from bot.store import Store
from bot.sync import make_adapter, sync_source
from tests.helpers import ask, deal, load, store_at, task, utc

PIPELINE = Pipeline(DEFAULT_STAGES)


def sync_sheet(store: Store, path: Path, when: str, *rows: str) -> None:
    """Write the sheet (`rows`, the first being the header) and sync it at `when` (UTC)."""
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    adapter = make_adapter({"kind": "csv", "name": "sheet", "path": str(path)}, {},
                           timezone="Europe/Paris")  # fmt: skip
    result = sync_source(store, PIPELINE, adapter, now=lambda: utc(when))
    assert result.ok, result.error


def test_a_sheet_without_since_column_says_its_ages_are_unknown_until_given_one(
    store: Store, tmp_path: Path
) -> None:
    sheet = tmp_path / "deals.csv"
    sync_sheet(store, sheet, "2026-03-02T08:00:00", "id;title;client;status",
               "1;Refonte site;Dupain;appel et devis",
               "2;Audit SEO;Leroy;balle dans le camp du client")  # fmt: skip
    refonte = deal(store, "Refonte", "2026-03-09T12:00:00")
    assert refonte["stage_entered_from"] == "first_seen"
    assert refonte["stage_entered"] == "2026-03-02T09:00:00+01:00"
    summary, text = ask(store, "summary", "2026-03-09T12:00:00")
    assert summary["age_unknown"] == {"count": 2}
    assert "2 open deal(s) have no known age" in text and "« Depuis le »" in text
    french = ask(store, "résumé", "2026-03-09T12:00:00", language="fr")[1]
    assert "2 affaire(s) ouverte(s) n'ont pas d'âge connu" in french

    # A move seen between two syncs dates the new stage from the sync that saw it.
    sync_sheet(store, sheet, "2026-03-05T08:00:00", "id;title;client;status",
               "1;Refonte site;Dupain;balle dans le camp du client",
               "2;Audit SEO;Leroy;balle dans le camp du client")  # fmt: skip
    refonte = deal(store, "Refonte", "2026-03-09T12:00:00")
    assert (refonte["stage"], refonte["stage_entered_from"], refonte["idle_days"]) == (
        "negotiation", "observed", 4)  # fmt: skip

    # The user adds a "since" column: the deal whose age was unknown gets it, at the next sync.
    sync_sheet(store, sheet, "2026-03-06T08:00:00", "id;title;client;status;stage_entered",
               "1;Refonte site;Dupain;balle dans le camp du client;",
               "2;Audit SEO;Leroy;balle dans le camp du client;10/01/2026")  # fmt: skip
    audit = deal(store, "Audit", "2026-03-09T12:00:00")
    assert audit["stage_entered_from"] == "field"
    assert audit["stage_entered"].startswith("2026-01-10")
    assert audit["idle_days"] == 58 and audit["stalled"] is True
    summary, text = ask(store, "summary", "2026-03-09T12:00:00")
    assert summary["age_unknown"] == {"count": 0}
    assert "no known age" not in text


def test_first_sight_uses_last_modified_and_tool_history_beats_everything(store: Store) -> None:
    tasks = [
        # moved in the tool on 02-10: its own history dates the stage, whatever else it says
        task("H", "balle dans le camp du client", ("2026-01-05T09:00", "appel et devis"),
             ("2026-02-10T09:00", "balle dans le camp du client"),
             stage_entered=utc("2026-03-01T09:00"), last_modified=utc("2026-03-01T10:00")),
        # no history of its current status: idle at least since its last modification
        task("M", "appel et devis", last_modified=utc("2026-02-01T10:00")),
        # a last-modified time in the future is no evidence
        task("F", "appel et devis", last_modified=utc("2026-04-01T10:00")),
    ]  # fmt: skip
    for item in tasks:
        item.title = f"Affaire {item.id}"
    load(store, PIPELINE, tasks, now=utc("2026-03-02T08:00"))
    seen = {key: deal(store, f"Affaire {key}", "2026-03-09T12:00:00") for key in "HMF"}
    assert {k: (d["stage_entered_from"], d["idle_days"]) for k, d in seen.items()} == {
        "H": ("history", 27),
        "M": ("last_modified", 36),
        "F": ("first_seen", 7),
    }
    assert ask(store, "summary", "2026-03-09T12:00:00")[0]["age_unknown"] == {"count": 1}


@pytest.mark.sqlite_only(reason="an older release's SQLite file upgraded (a migration moving data)")
def test_old_databases_learn_the_evidence_of_their_stays(tmp_path: Path) -> None:
    """A database written before `stage_entered_from` existed: its tool history reads as
    "history", a stay begun at the deal's first sight as "first_seen"."""
    path = tmp_path / "old.db"
    store = store_at(path)
    load(store, PIPELINE, [task("H", "appel et devis", ("2026-01-05T09:00", "appel et devis")),
                           task("S", "appel et devis")], now=utc("2026-03-02T08:00"))  # fmt: skip
    store.conn.execute("UPDATE status_changes SET origin = CASE origin WHEN 'history' THEN "
                       "'tool' ELSE 'snapshot' END")  # fmt: skip
    store.conn.execute("UPDATE deals SET stage_entered_from = NULL")
    store.conn.execute("DELETE FROM _sqlite_migrations WHERE name = 'm008_stage_evidence'")
    store.conn.execute("PRAGMA user_version = 0")  # as written before the up-to-date mark
    store.conn.execute("DROP INDEX idx_deals_age_unknown")
    store.conn.execute("ALTER TABLE deals DROP COLUMN stage_entered_from")
    store.close()
    reopened = Store.open(path, PIPELINE)
    rows = reopened.rows("SELECT id, stage_entered_from FROM deals ORDER BY id")
    assert rows == [{"id": "t:H", "stage_entered_from": "history"},
                    {"id": "t:S", "stage_entered_from": "first_seen"}]  # fmt: skip
    reopened.close()
