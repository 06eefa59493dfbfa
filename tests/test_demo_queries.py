"""On the demo agency, every /pipeline query answers in text and in JSON (issue: analytics)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.demo import demo_config_path, demo_settings, run_demo
from bot.query import QUERIES
from tests.helpers import cli, db_target

EXAMPLES = {"deal": "deal dupain", "stage": "stage négociations", "owner": "owner marie",
            "changes": "changes 30", "forecast": "forecast 3"}  # fmt: skip


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("demo") / "pipeline-demo.db"
    assert (
        run_demo(demo_settings(None, str(db_target(db))), datetime(2026, 11, 27, 9, tzinfo=UTC))
        == 0
    )
    return db


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_every_query_answers_on_the_demo(name: str, demo_db: Path) -> None:
    words = EXAMPLES.get(name, name).split()
    base = ["--config", str(demo_config_path()), "--db", str(db_target(demo_db)), "query", *words,
            "--as-of", "2026-11-27"]  # fmt: skip
    me = {"PIPELINE_USER": "U0DEMO001"}  # Marie Dupont, for `mine`
    text = cli(demo_db.parent, *base, env=me)
    assert text.returncode == 0, text.stderr
    assert text.stdout.strip() and "Traceback" not in text.stdout + text.stderr
    answer = cli(demo_db.parent, *base, "--json", env=me)
    assert answer.returncode == 0, answer.stderr
    body = json.loads(answer.stdout)
    assert body["query"] == name and body["as_of"].startswith("2026-11-27T12:00:00")
