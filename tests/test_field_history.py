"""Field history: every change of amount, expected close, probability and owner is kept, from the
tool's own history when it gives one, else as seen between two syncs; `deal --json` shows it."""

from __future__ import annotations

import json
import subprocess
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.pipeline import DEFAULT_STAGES, Pipeline
from integrations.base import FieldChange
from tests.helpers import cli, db_target, load, store_at, task, utc

PIPELINE = Pipeline(DEFAULT_STAGES)
HEADER = "id;title;client;owner;status;amount;probability;expected_close\n"
CONFIG = 'timezone = "Europe/Paris"\nlanguage = "en"\n[[sources]]\nkind = "csv"\npath = "d.csv"\n'


def run(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return cli(folder, "--config", str(folder / "pipeline.toml"), "--db", str(db_target(folder / "p.db")),
               *args)  # fmt: skip


def sheet(folder: Path, *rows: str) -> None:
    (folder / "d.csv").write_text(HEADER + "".join(r + "\n" for r in rows), encoding="utf-8")


def deal_json(folder: Path, words: str) -> dict[str, Any]:
    done = run(folder, "query", "deal", words, "--json", "--as-of", "2026-04-10")
    assert done.returncode == 0, done.stderr
    deals = json.loads(done.stdout)["deals"]
    assert len(deals) == 1
    return deals[0]  # type: ignore[no-any-return]


def test_a_sheet_s_changes_are_seen_between_syncs_and_shown_in_deal_json(tmp_path: Path) -> None:
    (tmp_path / "pipeline.toml").write_text(CONFIG, encoding="utf-8")
    sheet(tmp_path, "1;Refonte;Dupain;Marie;appel et devis;10 000 €;;30/04/2026",
          "2;Logo;Zoé;Paul;appel et devis;2000;25 %;")  # fmt: skip
    assert run(tmp_path, "sync").returncode == 0
    first = deal_json(tmp_path, "Refonte")
    assert first["changes"] == []  # the first sight of a deal is not a change
    assert first["probability_from"] == "stage"
    assert deal_json(tmp_path, "Logo")["probability_from"] == "deal"

    # the close date slips a month, the amount grows, the owner changes; then a second slip
    sheet(tmp_path, "1;Refonte;Dupain;Paul;appel et devis;12 000 €;;31/05/2026",
          "2;Logo;Zoé;Paul;appel et devis;2000;25 %;")  # fmt: skip
    assert run(tmp_path, "sync").returncode == 0
    sheet(tmp_path, "1;Refonte;Dupain;Paul;appel et devis;12 000 €;50;15/06/2026",
          "2;Logo;Zoé;Paul;appel et devis;2000;25 %;")  # fmt: skip
    assert run(tmp_path, "sync").returncode == 0
    deal = deal_json(tmp_path, "Refonte")
    seen = [(c["field"], c["from"], c["to"], c["by"]) for c in deal["changes"]]
    assert sorted(seen[:3]) == [
        ("amount", 10000.0, 12000.0, None),
        ("expected_close", "2026-04-30", "2026-05-31", None),
        ("owner", "Marie", "Paul", None),
    ]
    assert sorted(seen[3:]) == [
        ("expected_close", "2026-05-31", "2026-06-15", None),
        ("probability", None, 50.0, None),
    ]
    assert [c["at"] for c in deal["changes"]] == sorted(c["at"] for c in deal["changes"])
    moment = datetime.fromisoformat(deal["changes"][0]["at"])  # local time, like `history`
    assert moment.utcoffset() == moment.astimezone(ZoneInfo("Europe/Paris")).utcoffset()
    assert moment.utcoffset() != timedelta(0)
    assert deal["probability_from"] == "deal"
    assert deal_json(tmp_path, "Logo")["changes"] == []  # nothing moved: nothing recorded


def test_the_tool_s_own_history_wins_over_snapshots(tmp_path: Path) -> None:
    store = store_at(tmp_path / "p.db")
    card = task("c1", "Appel et devis", ("2026-03-01T09:00", "Appel et devis"), amount=5000.0,
                expected_close=date(2026, 4, 30))  # fmt: skip
    load(store, PIPELINE, [card], now=utc("2026-03-02T08:00"))
    # the tool says the close date moved on 03-10 (a real time, before the sync that sees it)
    card.expected_close = date(2026, 5, 31)
    card.field_history = [
        FieldChange(utc("2026-03-10T15:30"), "expected_close", date(2026, 4, 30), date(2026, 5, 31))
    ]
    load(store, PIPELINE, [card], now=utc("2026-03-12T08:00"))
    # the amount changed too, but the tool's history does not say so: a snapshot at sync time
    card.amount = 6000.0
    load(store, PIPELINE, [card], now=utc("2026-03-13T08:00"))
    rows = store.rows(
        "SELECT at, field, from_value, to_value, origin FROM field_changes ORDER BY at"
    )
    assert rows == [
        {"at": "2026-03-10T15:30:00+00:00", "field": "expected_close", "from_value": "2026-04-30",
         "to_value": "2026-05-31", "origin": "tool"},
        {"at": "2026-03-13T08:00:00+00:00", "field": "amount", "from_value": "5000.0",
         "to_value": "6000.0", "origin": "snapshot"},
    ]  # fmt: skip
    # a re-read of the same tool history adds nothing
    load(store, PIPELINE, [card], now=utc("2026-03-14T08:00"))
    assert store.scalar("SELECT COUNT(*) FROM field_changes") == 2


def test_a_snapshot_gives_way_to_the_tool_s_record_of_the_same_move(tmp_path: Path) -> None:
    store = store_at(tmp_path / "p.db")
    card = task("c1", "Appel et devis", ("2026-03-01T09:00", "Appel et devis"), owner="Marie")
    load(store, PIPELINE, [card], now=utc("2026-03-02T08:00"))
    card.owner = "Paul"  # an incremental sync sees it changed, without the tool's history
    load(store, PIPELINE, [card], now=utc("2026-03-05T08:00"))
    card.field_history = [FieldChange(utc("2026-03-04T10:00"), "owner", "Marie", "Paul")]
    load(store, PIPELINE, [card], now=utc("2026-03-06T08:00"))  # a full sync brings the history
    rows = store.rows("SELECT at, origin FROM field_changes WHERE field = 'owner'")
    assert rows == [{"at": "2026-03-04T10:00:00+00:00", "origin": "tool"}]
