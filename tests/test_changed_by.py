"""Who moved a deal: `by` in the store, `deal` history and `changes` (null when from the tool),
and the one rule for the status a move writes (`Pipeline.status_for`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.config_schema import validate_config
from bot.pipeline import DEFAULT_STAGES, Pipeline
from bot.settings import ConfigError
from bot.settings import build_pipeline as pipeline_of
from tests.helpers import cli, db_target, load, store_at, task, utc

PIPELINE = Pipeline(DEFAULT_STAGES)
DEVIS, BALLE, CONCLUSION = "Appel et devis", "Balle dans le camp du client", "Conclusion du contrat"


def query(folder: Path, *words: str) -> dict[str, Any]:
    done = cli(folder, "--config", str(folder / "pipeline.toml"), "--db", str(db_target(folder / "p.db")),
               "query", *words, "--json", "--as-of", "2026-03-25T12:00")  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def text(folder: Path, *words: str) -> str:
    return cli(folder, "--config", str(folder / "pipeline.toml"), "--db", str(db_target(folder / "p.db")),
               "query", *words, "--as-of", "2026-03-25T12:00").stdout  # fmt: skip


def test_a_move_from_slack_keeps_its_author_through_the_next_sync(
    tmp_path: Path,
) -> None:
    (tmp_path / "pipeline.toml").write_text('language = "en"\n', encoding="utf-8")
    store = store_at(tmp_path / "p.db")
    first = task("c1", DEVIS, ("2026-03-02T09:00", DEVIS), title="Refonte", client="Dupain")
    load(store, PIPELINE, [first], now=utc("2026-03-15T20:00"))

    changed = store.record_edit("t:c1", PIPELINE, utc("2026-03-20T10:00"), "UALICE",
                                {"status": BALLE, "next_step": "Relancer jeudi"})  # fmt: skip
    assert changed == ["status", "next_step"]
    assert store.record_edit("t:c1", PIPELINE, utc("2026-03-20T10:01"), "UALICE",
                             {"status": BALLE.upper(), "next_step": "Relancer jeudi"}) == []  # fmt: skip

    # the next sync brings Trello's own record of that move (a moment earlier, by nobody),
    # then a move made in the tool itself
    echo = task("c1", CONCLUSION, ("2026-03-02T09:00", DEVIS), ("2026-03-20T09:59:58", BALLE),
                ("2026-03-22T09:00", CONCLUSION), title="Refonte", client="Dupain",
                next_step="Relancer jeudi")  # fmt: skip
    load(store, PIPELINE, [echo], now=utc("2026-03-22T20:00"))
    store.close()

    events = query(tmp_path, "changes")["events"]
    assert [(e["from"], e["to"], e["by"]) for e in events] == [
        ("negotiation", "closing", None), ("meeting", "negotiation", "UALICE")]  # fmt: skip
    (deal,) = query(tmp_path, "deal", "dupain")["deals"]
    assert [(h["to"], h["by"]) for h in deal["history"]] == [
        ("meeting", None), ("negotiation", "UALICE"), ("closing", None)]  # fmt: skip
    assert deal["next_step"] == "Relancer jeudi"
    assert "(by @UALICE)" in text(tmp_path, "changes")
    assert "(by @UALICE)" in text(tmp_path, "deal", "dupain")


def test_a_close_date_from_slack_is_in_the_field_history_with_its_author(tmp_path: Path) -> None:
    store = store_at(tmp_path / "p.db")
    load(store, PIPELINE, [task("c1", DEVIS, ("2026-03-02T09:00", DEVIS))],
         now=utc("2026-03-15T20:00"))  # fmt: skip
    from datetime import date

    assert store.record_edit("t:c1", PIPELINE, utc("2026-03-20T10:00"), "UBOB",
                             {"expected_close": date(2026, 4, 30)}) == ["expected_close"]  # fmt: skip
    assert store.deal("t:c1")["expected_close"] == "2026-04-30"  # type: ignore[index]
    rows = store.rows("SELECT field, from_value, to_value, by_user FROM field_changes")
    assert rows == [{"field": "expected_close", "from_value": None, "to_value": "2026-04-30",
                     "by_user": "UBOB"}]  # fmt: skip
    store.close()


def test_the_status_a_move_writes() -> None:
    builtin = Pipeline(DEFAULT_STAGES)
    assert builtin.status_for("negotiation") == "balle dans le camp du client"
    assert builtin.status_for("lost") == "écarté"
    assert builtin.status_for("nowhere") is None
    # the agency's own [status_map] comes first, then the built-in map
    own = Pipeline(DEFAULT_STAGES, {"En attente du client": "Négociations"})
    assert own.status_for("negotiation") == "En attente du client"
    # a stage's own `status` wins; a stage nothing maps to has none
    config = validate_config({"stages": [
        {"key": "brief", "probability": 10, "status": "Brief reçu"},
        {"key": "quote", "probability": 50},
        {"key": "won", "probability": 100, "outcome": "won"},
        {"key": "lost", "probability": 0, "outcome": "lost"},
    ]})  # fmt: skip
    custom = pipeline_of(config)
    assert custom.status_for("brief") == "Brief reçu"
    assert custom.status_for("quote") is None
    assert custom.status_for("won") == "travail en cours"


def test_editors_must_be_slack_user_ids() -> None:
    assert validate_config({"slack": {"editors": ["U024BE7LH"]}}).slack.editors == ["U024BE7LH"]
    with pytest.raises(ConfigError) as error:
        validate_config({"slack": {"editors": ["U024BE7LH", "marie@agence.fr"]}})
    assert str(error.value) == (
        "pipeline.toml: slack.editors[1]: must be a Slack user ID like U024BE7LH "
        "(got 'marie@agence.fr')"
    )


def test_a_deal_marked_lost_from_slack_is_announced_like_one_lost_in_the_tool(
    tmp_path: Path,
) -> None:
    store = store_at(tmp_path / "p.db")
    load(store, PIPELINE, [task("c1", DEVIS, ("2026-03-02T09:00", DEVIS))],
         now=utc("2026-03-15T20:00"))  # fmt: skip
    store.record_edit("t:c1", PIPELINE, utc("2026-03-20T10:00"), "UALICE",
                      {"status": "écarté", "lost_reason": "Budget"})  # fmt: skip
    pending = store.pending_announcements(utc("2026-03-19T00:00"))
    assert [(p["deal_id"], p["outcome"], p["lost_reason"]) for p in pending] == [
        ("t:c1", "lost", "Budget")]  # fmt: skip
    store.close()
