""" "Snooze until <date>": the date picker beside the snooze button, through signed `block_actions`
payloads over real HTTP (Bolt + WSGI), as Slack sends a datepicker pick (no `value`, a
`selected_date`). As of Monday 2026-03-16 10:00 Paris (tests/agency.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.agency import blocks_of
from tests.helpers import wait_for
from tests.slack_standin import SlackStandIn
from tests.test_buttons import Bot, make_bot, note_of, replies, updates


@pytest.fixture
def bot(tmp_path: Path, slack_api: SlackStandIn) -> Iterator[Bot]:
    yield from make_bot(tmp_path, slack_api)


def pick(bot: Bot, deal: str, day: str, *, user: str = "UALICE") -> int:
    """Pick `day` in the deal's date picker of the nudge, as Slack posts it."""
    block, picker = bot.element(deal, lambda e: e["type"] == "datepicker")
    action = {"type": "datepicker", "action_id": picker["action_id"], "block_id": block["block_id"],
              "selected_date": day, "action_ts": "1700000001.0"}  # fmt: skip
    return bot.act(action, user=user)


def test_every_nudged_deal_has_a_date_picker_beside_the_snooze_button(bot: Bot) -> None:
    for block in blocks_of(bot.nudge):
        if str(block.get("block_id", "")).startswith("nudge:"):
            kinds = [e["action_id"] for e in block["elements"]]
            assert kinds[-3:] == ["snooze", "snooze_until", "followed_up"]
            picker = block["elements"][-2]
            assert picker["type"] == "datepicker"
            assert picker["placeholder"]["text"] == "Snooze until…"


def test_snooze_until_a_picked_date(bot: Bot) -> None:
    assert "t:a1" in bot.stalled_ids("2026-03-16T10:30")
    assert pick(bot, "t:a1", "2026-03-25") == 200
    update = wait_for(lambda: updates(bot), "chat.update")[0]
    assert note_of(update) == "💤 Snoozed by <@UALICE> until Mar 25, 2026"
    a1 = next(b for b in blocks_of(update) if b.get("block_id") == "nudge:t:a1")
    assert [e["action_id"] for e in a1["elements"]] == ["open_task"]  # picker gone with buttons
    # back on the picked local date: hidden until midnight Paris on the 25th
    assert bot.quiet() == [{"deal_id": "t:a1", "kind": "snooze", "stage": "meeting",
                            "by_user": "UALICE", "at": "2026-03-16T09:00:00+00:00",
                            "until": "2026-03-24T23:00:00+00:00"}]  # fmt: skip
    assert "t:a1" not in bot.stalled_ids("2026-03-24T23:59")
    assert "t:a1" in bot.stalled_ids("2026-03-25T00:00")


def test_a_date_that_is_not_ahead_is_refused_and_nothing_kept(bot: Bot) -> None:
    for day in ("2026-03-16", "2026-03-10", "2027-06-01"):  # today, past, over a year ahead
        assert pick(bot, "t:a1", day) == 200
    found = wait_for(lambda: replies(bot)[2:] and replies(bot), "three private replies")
    assert [r.body["text"] for r in found] == [
        "Pick a date after today (Mar 16, 2026) and up to a year ahead."
    ] * 3
    assert all(r.body["response_type"] == "ephemeral" for r in found)
    assert bot.quiet() == [] and updates(bot) == []


def test_a_pick_after_a_snooze_changes_nothing(bot: Bot) -> None:
    bot.click("snooze", "t:a1")
    wait_for(bot.quiet, "the first snooze")
    assert pick(bot, "t:a1", "2026-04-30") == 200
    reply = wait_for(lambda: replies(bot), "the private reply")[0]
    assert reply.body["text"] == "Already snoozed by <@UALICE> until Mar 19, 2026: nothing changed."
    assert [row["until"] for row in bot.quiet()] == ["2026-03-19T09:00:00+00:00"]
