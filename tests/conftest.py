"""Shared fixtures: a real SQLite file per test, and the local Slack Web API stand-in."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.store import Store
from tests.helpers import store_at
from tests.slack_standin import SlackStandIn


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = store_at(tmp_path / "pipeline.db")
    yield opened
    opened.close()


@pytest.fixture
def slack_api() -> Iterator[SlackStandIn]:
    standin = SlackStandIn().start()
    yield standin
    standin.stop()
