"""A Linear deal changed from Slack, through the edit rule Slack's controls call (`apply_edit`
with the real `tool_writer`): the stage's status becomes the team's workflow state in Linear
(cassette), the store records the move with `by`, and `query changes --json` shows who; a
non-owner is refused with nothing sent to Linear and nothing stored."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.edits import Edit, apply_edit, tool_writer
from bot.settings import load_settings
from bot.store import Store
from tests.helpers import cli, db_target
from tests.integrations.support import WITH_BODY, Cassette, run_sync

SOURCE = {"kind": "linear", "name": "produit", "team": "SAL"}
CONFIG = """language = "fr"

[[sources]]
kind = "linear"
name = "produit"
team = "SAL"

[people]
"Marie Dupont" = "UMARIE"
"Karim Benali" = "UKARIM"
"""
KEY = {"LINEAR_API_KEY": "lin_api_FAKE"}
DEAL = "produit:SAL-1"
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_the_owner_moves_a_linear_deal_and_changes_says_who(
    tmp_path: Path, cassette: Cassette, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LINEAR_API_KEY", raising=False)
    (tmp_path / "pipeline.toml").write_text(CONFIG)
    (tmp_path / ".env").write_text("LINEAR_API_KEY=lin_api_FAKE\n")
    (tmp_path / ".env").chmod(0o600)
    settings = load_settings(str(tmp_path / "pipeline.toml"), str(db_target(tmp_path / "pipeline.db")),
                             cwd=tmp_path)  # fmt: skip
    store = Store.open(settings.db_path, settings.pipeline, settings.source_names)
    try:
        with cassette("linear/full_sync.yaml"):
            run_sync(store, SOURCE, KEY, now="2026-03-02T08:00:00")
        assert store.deal(DEAL)["stage"] == "negotiation"

        # Karim is not the owner (Marie is) nor an editor: refused, Linear never asked
        refused = apply_edit(settings, store, DEAL, Edit("move_stage", stage="closing"),
                             "UKARIM", NOW, tool_writer(settings))  # fmt: skip
        assert refused.reply is not None and "Marie Dupont" in refused.reply
        assert store.deal(DEAL)["stage"] == "negotiation"

        with cassette("linear/edit_closing.yaml", match_on=WITH_BODY) as cass:
            moved = apply_edit(settings, store, DEAL, Edit("move_stage", stage="closing"),
                               "UMARIE", NOW, tool_writer(settings))  # fmt: skip
        assert cass.all_played and moved.reply is None
        assert store.deal(DEAL)["stage"] == "closing"
        assert store.deal(DEAL)["status"] == "conclusion du contrat"
    finally:
        store.close()

    done = cli(tmp_path, "query", "changes", "--json", "--as-of", "2026-03-02T10:00:00+00:00",
               "--config", str(tmp_path / "pipeline.toml"),
               "--db", str(db_target(tmp_path / "pipeline.db")))  # fmt: skip
    assert done.returncode == 0, done.stderr
    events = json.loads(done.stdout)["events"]
    move = next(e for e in events if e["deal"] == DEAL and e["to"] == "closing")
    assert (move["from"], move["by"]) == ("negotiation", "UMARIE")
