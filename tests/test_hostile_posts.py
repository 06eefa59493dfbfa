"""Hostile deals through every message the bot sends, to the local Slack stand-in.

Deals whose every field is an attack (mentions `<!channel>` `<!here>` `<@U…>` `<#C…>`, links
`<http://x|y>`, `& < >`, 5,000-character fields, ids longer than a block_id, `javascript:`
URLs, a currency cell `<@U999EVIL>`) are synced through the real engine into a real SQLite
file, then every message kind is built and sent: each slash answer (the `public` ones too),
nudges by DM and in the team channel, the digest, won/lost announcements, the App Home, and the
button replies. `tests/slack_check.py` walks each payload: nothing unescaped (nobody can be
pinged), nothing over Slack's limits (nothing Slack would refuse).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.announce import post_pending
from bot.digest import post_digest
from bot.nudges import run_pass
from bot.settings import Settings
from bot.slack_client import make_outbox
from bot.store import Store
from tests.helpers import load, store_at, task, utc, wait_for
from tests.slack_check import assert_safe, problems
from tests.slack_http import (
    NOW,
    Served,
    make_settings,
    published_view,
    send_action,
    send_command,
    send_event,
    serving,
)
from tests.slack_standin import Call, SlackStandIn

PING = "<!channel> <!here> <@U999EVIL> <#C999EVIL> <!subteam^S1> <http://evil.example|click> & <b>"
ESCAPED = "&lt;!channel&gt;"  # how the attack must reach Slack: shown, not parsed
LONG = 5000
MEETING, WON, LOST = "appel et devis", "travail en cours", "écarté"
PEOPLE = {"Alice Hostile": "UALICE"}
MENTIONS = {"UALICE"}  # the only user the bot may mention: configured in [people]
LONG_A = "x" * 300 + "a"  # two ids equal on their first 300 characters
LONG_B = "x" * 300 + "b"
HUGE_ID = "y" * 2100  # longer than a button value


def hostile_tasks(won_lost_status: tuple[str, str] = (MEETING, MEETING)) -> list[Any]:
    """Deals written by an attacker; `won_lost_status` moves w1/l1 on the second sync."""
    moved = "2026-03-18T09:00"
    won_status, lost_status = won_lost_status
    won_moves = [("2026-03-01T09:00", MEETING)] + ([(moved, WON)] if won_status == WON else [])
    lost_moves = [("2026-03-01T09:00", MEETING)] + ([(moved, LOST)] if lost_status == LOST else [])
    return [
        task("h1", MEETING, ("2026-03-01T09:00", MEETING), title="Deal " + PING,
             client="<!here> " + "C" * LONG, owner="Bob <!channel>", amount=1000,
             currency="<@U999EVIL>", url="javascript:alert(1)", next_step=PING * 3),
        task(LONG_A, MEETING, ("2026-03-02T09:00", MEETING), title=PING, owner="Alice Hostile",
             client=PING, url="https://ok.example/" + "a" * 4000, next_step="n" * LONG),
        task(LONG_B, MEETING, ("2026-03-02T09:00", MEETING), title=PING + " B",
             owner="Alice Hostile", url="https://ok.example/a?b=1&c=<2>|3"),
        task(HUGE_ID, MEETING, ("2026-03-03T09:00", MEETING), title="Huge id " + PING,
             owner="Alice Hostile", url="https://ok.example/huge", amount=5),
        task("h4", "<!channel> weird \x1b[2J", ("2026-03-01T09:00", "<!channel> weird \x1b[2J"),
             title="Unmapped " + PING, owner="<@U123ABC>", amount=7, url="JAVASCRIPT:alert(2)"),
        task("w1", won_status, *won_moves, title="Won " + PING, client="W" * LONG,
             owner="Bob <!channel>", amount=9000, currency="<@U999EVIL>",
             url="https://ok.example/w1"),
        task("l1", lost_status, *lost_moves, title="Lost " + PING, client="Z" * LONG,
             owner="<@U123ABC>", amount=4000, currency="<@U999EVIL>",
             lost_reason=PING + "R" * LONG),
    ]  # fmt: skip


@dataclass
class World:
    settings: Settings
    store: Store
    slack: SlackStandIn


@pytest.fixture
def world(tmp_path: Path, slack_api: SlackStandIn) -> Iterator[World]:
    settings = make_settings(tmp_path, slack_api, people=PEOPLE, slack={"channel": "C0TEAM"})
    store = store_at(settings.db_path)
    first = load(store, settings.pipeline, hostile_tasks(), now=utc("2026-03-15T20:00"))
    assert "t:h1: currency '<@U999EVIL>' is not a currency code (EUR, USD)" in "\n".join(
        first.warnings
    )
    load(store, settings.pipeline, hostile_tasks((WON, LOST)), now=utc("2026-03-18T12:00"))
    yield World(settings, store, slack_api)
    store.close()


def bodies(calls: list[Call]) -> list[dict[str, Any]]:
    return [c.body for c in calls]


def dumped(payloads: list[dict[str, Any]]) -> str:
    return json.dumps(payloads, ensure_ascii=False)


def test_the_checker_flags_what_slack_would_parse_or_refuse() -> None:
    """The checker itself: each attack and each limit it must see (so a pass means something)."""
    bad = {
        "text": "Open deals of Bob <!channel> & co",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": "<@U1>" + "h" * 200}},
            {"type": "section", "text": {"type": "mrkdwn", "text": "<http://x|y> <#C1>"}},
            {"type": "actions", "block_id": "b", "elements": [
                {"type": "button", "action_id": "open_task", "url": "javascript:alert(1)",
                 "text": {"type": "plain_text", "text": "Open"}},
                {"type": "button", "action_id": "snooze", "value": "v" * 2001,
                 "text": {"type": "plain_text", "text": "Snooze"}}]},
            {"type": "context", "block_id": "b", "elements": [{"type": "mrkdwn", "text": ""}]},
        ],
    }  # fmt: skip
    found = "\n".join(problems(bad))
    for expected in ("payload.text: unescaped control sequence: '<!channel>'",
                     "payload.text: bare &", "< or > in plain_text", "characters > 150",
                     "'<#C1>'", "url not http(s)", "value of 2001 characters > 2000",
                     "duplicate block_id", "empty text"):  # fmt: skip
        assert expected in found
    assert problems({"text": "<@UALICE> &amp; <https://ok.example|ok>"}, mentions={"UALICE"}) == []
    assert problems({"text": "<@UALICE>"}) != []  # a mention the test did not allow


@pytest.mark.parametrize(
    "question",
    [
        "",
        "stalled",
        "owner Bob <!channel> public",
        "owner <@U123ABC> public",
        "deal <@U123ABC> public",
        "deal <!channel> public",
        "deal deal",
        "stage meeting public",
        "stage <!here>",
        "changes 30",
        "owners",
        "forecast",
        "funnel",
        "lost",
        "unmapped",
        "hygiene",
        "mine",
        "help",
        "nonsense <!channel> & <@U123ABC>",
    ],
)
def test_every_slash_answer_is_escaped_and_within_limits(world: World, question: str) -> None:
    with serving(world.settings) as served:
        answer = send_command(served, question, user="UALICE")
    assert answer.status_code == 200
    body = answer.json()
    assert_safe([body], mentions=MENTIONS)
    assert "<!channel>" not in body["text"] and "<@U123ABC>" not in body["text"]


def test_the_issue_s_three_slash_answers_show_the_words_without_pinging(world: World) -> None:
    with serving(world.settings) as served:
        owner = send_command(served, "owner Bob <!channel> public").json()
        deal = send_command(served, "deal <@U123ABC> public").json()
    assert owner["response_type"] == "in_channel"
    assert owner["text"] == "Open deals of Bob ‹!channel›: 1"  # from the plain_text header
    assert deal["response_type"] == "in_channel"
    assert deal["text"] == "No deal's title or client contains '&lt;@U123ABC&gt;'."
    assert "Deal &lt;!channel&gt; &lt;!here&gt; &lt;@U999EVIL&gt;" in json.dumps(owner["blocks"])


def test_nudges_by_dm_and_in_the_team_channel(world: World) -> None:
    result = run_pass(world.settings, world.store, make_outbox(world.settings), NOW)
    sent = bodies(world.slack.called("chat.postMessage"))
    assert {b["channel"] for b in sent} == {"UALICE", "C0TEAM"}
    assert result.failed == 0
    assert_safe(sent, mentions=MENTIONS)
    team = next(b for b in sent if b["channel"] == "C0TEAM")
    assert "Bob &lt;!channel&gt;" in team["text"]  # the notification names the owner, inert
    dm = next(b for b in sent if b["channel"] == "UALICE")
    actions = [b for b in dm["blocks"] if b["type"] == "actions"]
    ids = [b["block_id"] for b in actions]
    assert len(ids) == len(set(ids)) == 3  # two ids sharing 300 characters don't collide
    urls = [e.get("url") for b in actions for e in b["elements"] if e.get("url")]
    assert urls == ["https://ok.example/a?b=1&c=<2>|3", "https://ok.example/huge"]
    assert "javascript" not in dumped(sent).lower()  # the link buttons and links dropped
    huge = next(b for b in actions if "huge" in json.dumps(b))
    assert [e["action_id"] for e in huge["elements"]] == ["open_task"]  # no id-carrying button
    assert ESCAPED in dumped(sent)


def test_digest_keeps_every_section_whole_and_escaped(world: World) -> None:
    post_digest(world.settings, world.store, make_outbox(world.settings), NOW)
    (call,) = world.slack.called("chat.postMessage")
    assert_safe([call.body], mentions=MENTIONS)
    text = dumped([call.body])
    assert "*Won this week*: 1" in text
    assert "*Lost this week*: 1" in text  # not pushed out by a 5,000-character client
    assert "Lost reasons: " in text
    assert ESCAPED in text


def test_announcements_are_escaped_currency_included(world: World) -> None:
    """The sync refused the currency `<@U999EVIL>` (configured EUR instead); one stored by an
    older version is shown as the generic sign ¤, never as written."""
    assert world.store.scalar("SELECT COUNT(*) FROM deals WHERE currency IS NOT NULL") == 0
    world.store.conn.execute("UPDATE deals SET currency = '<@U999EVIL>' WHERE id = 't:l1'")
    posted = post_pending(world.settings, world.store, make_outbox(world.settings).post, NOW)
    sent = bodies(world.slack.called("chat.postMessage"))
    assert posted == len(sent) == 2
    assert_safe(sent, mentions=MENTIONS)
    text = dumped(sent)
    assert "U999EVIL>" not in text.replace("&lt;@U999EVIL&gt;", "")
    assert "€9,000" in text  # w1: the configured currency
    assert "¤4,000" in text  # l1: the stored non-code


def test_app_home_is_escaped_and_within_limits(world: World) -> None:
    with serving(world.settings) as served:
        assert send_event(served, {"type": "app_home_opened", "user": "UALICE",
                                   "channel": "D1", "tab": "home"}, "EvH1").status_code == 200  # fmt: skip
        call = wait_for(lambda: world.slack.called("views.publish"))[0]
    view = published_view(call)
    assert_safe([view], mentions=MENTIONS)
    assert ESCAPED in dumped([view])


def click(served: Served, slack: SlackStandIn, message: dict[str, Any], block: dict[str, Any],
          action_id: str) -> None:  # fmt: skip
    """A signed `block_actions` payload for a button of `message`, as Slack sends it."""
    pressed = next(e for e in block["elements"] if e["action_id"] == action_id)
    action = {"type": "button", "action_id": action_id, "block_id": block["block_id"],
              "value": pressed.get("value")}  # fmt: skip
    assert send_action(served.events_url, action, message,
                       response_url=f"{slack.url}/respond/response_url").ok  # fmt: skip


def button(block: dict[str, Any], action_id: str) -> dict[str, Any]:
    """The element of an actions block with that action ID (a date picker sits beside them)."""
    return next(e for e in block["elements"] if e.get("action_id") == action_id)


def test_button_replies_are_escaped_and_within_limits(world: World) -> None:
    run_pass(world.settings, world.store, make_outbox(world.settings), NOW)
    dm = next(b for b in bodies(world.slack.called("chat.postMessage")) if b["channel"] == "UALICE")
    blocks = [b for b in dm["blocks"] if b["type"] == "actions"]
    long_block = next(b for b in blocks if any(e.get("value") for e in b["elements"]))
    moved = [t for t in hostile_tasks((WON, LOST)) if t.id != LONG_B]
    moved.append(task(LONG_B, "<!here> moved", ("2026-03-19T09:00", "<!here> moved"),
                      title="B", owner="Alice Hostile"))  # fmt: skip
    load(world.store, world.settings.pipeline, moved, now=utc("2026-03-19T12:00"))
    b_block = next(
        b for b in blocks if "b" in json.loads(button(b, "followed_up")["value"])["deal"][-1]
    )
    with serving(world.settings) as served:
        click(served, world.slack, dm, long_block, "snooze")
        update = wait_for(lambda: world.slack.called("chat.update"))[0]
        click(served, world.slack, dm, b_block, "followed_up")
        reply = wait_for(lambda: world.slack.called("response_url"))[0]
    assert_safe([update.body, reply.body], mentions=MENTIONS)
    assert "<@UALICE>" in dumped([update.body])  # who snoozed: the one mention allowed
    assert "&lt;!here&gt; moved" in reply.body["text"]
