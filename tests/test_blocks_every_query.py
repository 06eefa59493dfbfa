"""Every /pipeline answer has its own Block Kit (no text fallback) within Slack's limits."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from bot.answers import ask
from bot.demo import demo_settings, run_demo
from bot.query import QUERIES
from bot.render.blocks import RENDERERS, render, style_for
from bot.settings import Settings
from bot.store import Store
from tests.helpers import db_target

NOW = datetime(2026, 11, 27, 11, tzinfo=UTC)
WORDS = {"deal": "deal dupain", "stage": "stage réunion", "owner": "owner marie",
         "changes": "changes 30"}  # fmt: skip


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    db = tmp_path_factory.mktemp("blocks") / "demo.db"
    settings = demo_settings(None, str(db_target(db)))
    assert run_demo(settings, NOW) == 0
    return settings


def texts(blocks: list[dict[str, Any]]) -> list[str]:
    out = []
    for block in blocks:
        if isinstance(block.get("text"), dict):
            out.append(block["text"]["text"])
        out += [e.get("text", "") for e in block.get("elements", []) if isinstance(e, dict)]
    return out


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("name", sorted(set(QUERIES) - {"mine"}))
def test_each_answer_has_its_own_blocks_within_limits(
    demo: Settings, name: str, language: str
) -> None:
    demo.config.language = language
    store = Store(demo.db_path)
    try:
        reply = ask(demo, store, WORDS.get(name, name), NOW)
    finally:
        store.close()
    assert type(reply.result) in RENDERERS, f"{name} falls back to plain text"
    blocks = render(reply.result, style_for(demo))
    assert 1 <= len(blocks) <= 50
    for block in blocks:
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= 150
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= 3000
    assert not any(text.startswith("```") for text in texts(blocks))


def test_french_labels_take_a_space_before_the_colon(demo: Settings) -> None:
    demo.config.language = "fr"
    store = Store(demo.db_path)
    try:
        body = "\n".join(texts(render(ask(demo, store, "prévision", NOW).result, style_for(demo))))
    finally:
        store.close()
    assert "*En retard* : " in body and "*Sans date* : " in body
    assert "*En retard*: " not in body
