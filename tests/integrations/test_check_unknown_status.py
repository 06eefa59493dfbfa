"""Every adapter: a status that no stage claims is kept, counted, and named by `check`.

The agency drops its negotiation stage from `pipeline.toml`, so the built-in mapping of
« balle dans le camp du client » drops out with it; each tool's recorded full sync still stores
those deals (with no stage), and `pipeline-bot check` lists the status with its deal count.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.check import run_check
from bot.config_schema import validate_config
from bot.pipeline import normalise
from bot.settings import Settings
from bot.sync import sync_source
from tests.helpers import db_target, store_at, utc
from tests.integrations.support import Cassette

STAGES = [
    {"key": "qualification", "probability": 10, "stall_days": 7},
    {"key": "meeting", "probability": 40, "stall_days": 7},
    {"key": "closing", "probability": 80, "stall_days": 5},
    {"key": "won", "probability": 100, "outcome": "won"},
    {"key": "lost", "probability": 0, "outcome": "lost"},
]
UNMAPPED = "balle dans le camp du client"
FACTORIES = {"trello": "make_adapter", "asana": "make_adapter", "jira": "make", "clickup": "make",
             "notion": "make", "monday": "make", "linear": "make"}  # fmt: skip


def factory(kind: str) -> Callable[..., Any]:
    module = importlib.import_module(f"tests.integrations.test_{kind}")
    return getattr(module, FACTORIES[kind])  # type: ignore[no-any-return]


@pytest.mark.parametrize("kind", sorted(FACTORIES))
def test_check_names_the_status_no_stage_claims(
    kind: str, cassette: Cassette, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = Settings(validate_config({"stages": STAGES}), db_path=db_target(tmp_path / "p.db"))
    store = store_at(settings.db_path)
    adapter = factory(kind)(sleeps=[])
    with cassette(f"{kind}/full_sync.yaml"):
        result = sync_source(store, settings.pipeline, adapter,
                             now=lambda: utc("2026-02-21T09:30:00"))  # fmt: skip
    assert result.ok, result.error
    unmapped = {normalise(r["status"]): r["count"] for r in store.unmapped_statuses()}
    assert unmapped.get(UNMAPPED, 0) >= 1, unmapped
    in_stages = store.scalar(
        "SELECT COUNT(*) FROM deals WHERE stage IS NULL AND removed = 0")  # fmt: skip
    assert in_stages == sum(unmapped.values())  # kept, with no stage, never dropped
    store.close()

    assert run_check(settings) == 1
    printed = normalise(capsys.readouterr().out)
    assert f"« {UNMAPPED} » : {unmapped[UNMAPPED]} affaire(s)" in printed
