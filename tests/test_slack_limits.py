"""Slack's limits hold on the largest answers: ≤ 50 blocks, ≤ 3,000 characters a section, etc."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot import query as query_module
from bot.render import text as text_render
from bot.render.blocks import BlockStyle, fit, link, message
from tests.helpers import load, store_at, task
from tests.slack_check import assert_safe
from tests.slack_http import NOW, block_texts, make_settings, send_command, serving
from tests.slack_standin import SlackStandIn

PARIS: tzinfo = ZoneInfo("Europe/Paris")


def assert_within_limits(blocks: list[dict[str, Any]], max_blocks: int = 50) -> None:
    assert len(blocks) <= max_blocks
    for block in blocks:
        if block["type"] == "section":
            text = block["text"]["text"]
            assert len(text) <= 3000
            assert text.count("<") == text.count(">")  # no link or mention cut in half
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= 150


@pytest.fixture(scope="module")
def big_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder of a database of 500 stalled deals with long titles, clients and next steps,
    loaded once."""
    folder = tmp_path_factory.mktemp("big")
    standin = SlackStandIn().start()
    settings = make_settings(folder, standin)
    standin.stop()
    store = store_at(settings.db_path)
    tasks = [
        task(f"s{i:03d}", "Balle dans le camp du client",
             ("2026-03-10T09:00", "Balle dans le camp du client"),
             title="Refonte du site " + "é" * 400 + f" {i:03d}", client="Client " + "c" * 300,
             owner=f"Owner {i % 7}", amount=1000 + i, url=f"https://trello.com/c/{i}",
             next_step="Relancer " * 300)
        for i in range(500)
    ]  # fmt: skip
    load(store, settings.pipeline, tasks, now=NOW)
    store.close()
    return folder


@pytest.mark.parametrize(
    ("question", "title", "more"),
    [
        ("stalled", "Stalled deals: 500", "… and 480 more. Narrow it down: `/pipeline owner NAME`"),
        ("stage negotiation", "Deals in Negotiation: 500", "… and 480 more. Narrow it down"),
        ("owner owner 1", "Open deals of Owner 1: 72", "… and 52 more. Narrow it down"),
        ("deal refonte", "Deals matching 'refonte': 500", "… and 490 more. Narrow it down"),
        ("changes 30", "Changes since Feb 18, 2026: 500", "… and 460 more. Narrow it down"),
    ],
)
def test_the_largest_answers_fit_in_one_message_and_say_how_many_more(
    big_db: Path, slack_api: SlackStandIn, question: str, title: str, more: str
) -> None:
    settings = make_settings(big_db, slack_api)
    with serving(settings) as served:
        answer = send_command(served, question)
    body = answer.json()
    assert answer.status_code == 200
    assert_within_limits(body["blocks"])
    assert_safe([body])  # the one checker: every limit, every text escaped
    text = block_texts(body["blocks"])
    assert title in text
    assert more in text
    assert len(body["text"]) <= 4000


@dataclass
class Ledger:
    """A result type with a text rendering but no Block Kit renderer (a query added later)."""

    lines: int


def _ledger_text(result: Ledger, style: text_render.Style) -> str:
    return "\n".join(f"line {i:05d} " + "-" * 60 for i in range(result.lines))


@pytest.fixture
def ledger_query(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = query_module.QuerySpec(
        "ledger", "registre", "ledger", "every line", lambda store, ctx, args: Ledger(5000)
    )
    monkeypatch.setitem(query_module.QUERIES, "ledger", spec)
    monkeypatch.setitem(text_render.RENDERERS, Ledger, _ledger_text)


def test_a_query_without_block_renderer_answers_with_its_text_cut_to_the_limits(
    tmp_path: Path, slack_api: SlackStandIn, ledger_query: None
) -> None:
    settings = make_settings(tmp_path, slack_api)
    with serving(settings) as served:
        body = send_command(served, "ledger").json()
    assert_within_limits(body["blocks"])
    text = block_texts(body["blocks"])
    assert text.startswith("```\nline 00000 ")
    assert body["text"].startswith("line 00000 ---")  # the notification is a line, not a fence
    assert "line 00100 " in text
    assert "more lines. Narrow it down" in text


def test_links_escape_titles_and_skip_urls_too_long_to_stay_whole() -> None:
    assert link("https://t.co/a?b=1&c=2", "A|B <C>") == "<https://t.co/a?b=1&amp;c=2|A¦B &lt;C&gt;>"
    assert link("https://t.co/" + "a" * 2000, "Long") == "Long"
    assert link("javascript:alert(1)", "X") == "X"


def test_fit_clips_what_a_renderer_let_through() -> None:
    huge = [
        {"type": "header", "text": {"type": "plain_text", "text": "H" * 400}},
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": "s" * 9000},
            "accessory": {
                "type": "button",
                "text": {"type": "plain_text", "text": "b" * 200},
                "value": "v" * 5000,
                "action_id": "snooze",
            },
        },
        *({"type": "divider"} for _ in range(80)),
    ]
    out = fit(huge, 50, "en")
    assert len(out) == 50
    assert len(out[0]["text"]["text"]) == 150
    assert len(out[1]["text"]["text"]) == 3000
    assert len(out[1]["accessory"]["text"]["text"]) == 75
    assert len(out[1]["accessory"]["value"]) == 2000
    assert out[-1]["elements"][0]["text"].startswith("… and 33 more")


def test_fallback_for_a_result_with_no_renderer_at_all_still_answers() -> None:
    @dataclass
    class Odd:
        name: str

    style = BlockStyle("en", "EUR", PARIS)
    reply = message(Odd("x" * 10), style)
    assert reply["response_type"] == "ephemeral"
    assert '"name": "xxxxxxxxxx"' in block_texts(reply["blocks"])
