"""The nudge buttons through signed interactive payloads over real HTTP (Bolt + WSGI)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient

from bot import analytics
from bot.answers import context_for
from bot.clock import parse_as_of
from bot.deps import Deps
from bot.nudges import run_pass
from bot.settings import Settings
from bot.slack import actions
from bot.slack_client import make_outbox
from bot.store import Store
from tests import agency
from tests.agency import AS_OF, agency_config, blocks_of, load_agency
from tests.helpers import load, wait_for
from tests.slack_http import SECRET, make_settings, send_action
from tests.slack_standin import Call, SlackStandIn


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        return


@dataclass
class Bot:
    """A minimal Bolt app with our buttons, served over HTTP on 127.0.0.1."""

    url: str
    settings: Settings
    store: Store
    slack: SlackStandIn
    clock: list[datetime]
    nudge: Call  # the nudge message the owner clicks in

    def click(self, action_id: str, deal: str, *, user: str = "UALICE", channel: str = "DALICE",
              signature: str | None = None) -> int:  # fmt: skip
        """Click the deal's button `action_id` in the nudge, as Slack posts it."""
        block, element = self.element(deal, lambda e: e["action_id"] == action_id)
        action = {"type": "button", "action_id": action_id, "block_id": block["block_id"],
                  "value": element.get("value")}  # fmt: skip
        return self.act(action, user=user, channel=channel, signature=signature)

    def element(self, deal: str, wanted: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        """The deal's block in the nudge and its first element for which `wanted` is true."""
        block = next(b for b in blocks_of(self.nudge) if b.get("block_id") == f"nudge:{deal}")
        return block, next(e for e in block["elements"] if wanted(e))

    def act(self, action: dict[str, Any], *, user: str = "UALICE", channel: str = "DALICE",
            signature: str | None = None) -> int:  # fmt: skip
        """POST a signed `block_actions` payload carrying `action` on the nudge; the HTTP status."""
        message = {"text": self.nudge.body["text"], "blocks": blocks_of(self.nudge)}
        return send_action(f"{self.url}/slack/events", action, message, user=user,
                           channel=channel, signature=signature,
                           response_url=f"{self.slack.url}/respond/response_url").status_code  # fmt: skip

    def quiet(self) -> list[dict[str, Any]]:
        return self.store.rows("SELECT deal_id, kind, stage, by_user, at, until FROM quiet")

    def stalled_ids(self, when: str) -> list[str]:
        ctx = context_for(self.settings, parse_as_of(when, self.settings.tz))
        return [d.id for d in analytics.stalled(self.store, ctx).deals]


def make_bot(tmp_path: Path, slack_api: SlackStandIn, **overrides: Any) -> Iterator[Bot]:
    slack_api.users_by_email.update(agency.EMAILS)
    settings = make_settings(tmp_path, slack_api, **agency_config(**overrides))
    store = load_agency(settings)
    run_pass(settings, store, make_outbox(settings), parse_as_of(AS_OF, settings.tz))
    nudge = slack_api.called("chat.postMessage")[0]  # Alice's: a1, a2
    slack_api.calls.clear()
    clock = [parse_as_of("2026-03-16T10:00", settings.tz)]
    deps = Deps(settings, now=lambda: clock[0])
    app = App(
        signing_secret=SECRET,
        client=WebClient(token="xoxb-test", base_url=slack_api.base_url),
        token_verification_enabled=False,
        request_verification_enabled=True,
    )
    actions.register(app, deps)
    server = make_server("127.0.0.1", 0, SlackRequestHandler(app),
                         server_class=_ThreadingWSGIServer, handler_class=_Quiet)  # fmt: skip
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield Bot(f"http://127.0.0.1:{server.server_port}", settings, store, slack_api, clock,
                  nudge)  # fmt: skip
    finally:
        server.shutdown()
        server.server_close()
        store.close()


@pytest.fixture
def bot(tmp_path: Path, slack_api: SlackStandIn) -> Iterator[Bot]:
    yield from make_bot(tmp_path, slack_api)


def updates(bot: Bot) -> list[Call]:
    return bot.slack.called("chat.update")


def replies(bot: Bot) -> list[Call]:
    return bot.slack.called("response_url")


def note_of(call: Call) -> str:
    blocks = blocks_of(call)
    done = next(b for b in blocks if str(b.get("block_id", "")).endswith(":done"))
    return str(done["elements"][0]["text"])


def test_snooze_twice_one_row_and_already_done(bot: Bot) -> None:
    assert bot.click("snooze", "t:a1") == 200
    first = wait_for(lambda: updates(bot), "chat.update")[0]
    assert first.body["channel"] == "DALICE"
    assert first.body["ts"] == "1700000000.000001"
    assert note_of(first) == "💤 Snoozed by <@UALICE> until Mar 19, 2026"
    blocks = blocks_of(first)
    a1 = next(b for b in blocks if b.get("block_id") == "nudge:t:a1")
    assert [e["action_id"] for e in a1["elements"]] == ["open_task"]  # link kept, buttons gone
    a2 = next(b for b in blocks if b.get("block_id") == "nudge:t:a2")
    assert [e["action_id"] for e in a2["elements"]] == [
        "open_task",
        "snooze",
        "snooze_until",
        "followed_up",
    ]
    assert bot.quiet() == [{"deal_id": "t:a1", "kind": "snooze", "stage": "meeting",
                            "by_user": "UALICE", "at": "2026-03-16T09:00:00+00:00",
                            "until": "2026-03-19T09:00:00+00:00"}]  # fmt: skip

    bot.clock[0] = parse_as_of("2026-03-16T11:00", bot.settings.tz)
    assert bot.click("snooze", "t:a1", user="UBOSS") == 200
    reply = wait_for(lambda: replies(bot), "the private reply")[0]
    assert reply.body["text"] == "Already snoozed by <@UALICE> until Mar 19, 2026: nothing changed."
    assert reply.body["response_type"] == "ephemeral"
    assert len(bot.quiet()) == 1
    second = wait_for(lambda: updates(bot)[1:], "second chat.update")[0]
    assert note_of(second) == "💤 Snoozed by <@UALICE> until Mar 19, 2026"


def test_snoozed_deal_leaves_stalled_until_the_snooze_ends(bot: Bot) -> None:
    assert "t:a1" in bot.stalled_ids("2026-03-16T10:30")
    bot.click("snooze", "t:a1")
    wait_for(bot.quiet, "the quiet row")
    assert "t:a1" not in bot.stalled_ids("2026-03-16T10:30")
    assert "t:a1" not in bot.stalled_ids("2026-03-19T09:59")
    assert "t:a1" in bot.stalled_ids("2026-03-19T10:00")
    ctx = context_for(bot.settings, parse_as_of("2026-03-17", bot.settings.tz))
    meeting = next(s for s in analytics.summary(bot.store, ctx).stages if s.key == "meeting")
    assert meeting.stalled == 3  # b1, b2, d1: a1's snooze counts too


def test_followed_up_records_who_and_quiets_for_stall_days(bot: Bot) -> None:
    bot.click("followed_up", "t:a2")
    update = wait_for(lambda: updates(bot), "chat.update")[0]
    assert (
        note_of(update) == "✅ Followed up by <@UALICE> on Mar 16, 2026; quiet until Mar 23, 2026"
    )
    (row,) = bot.quiet()
    assert (row["kind"], row["stage"], row["by_user"]) == ("followed_up", "negotiation", "UALICE")
    assert row["until"] == "2026-03-23T09:00:00+00:00"  # negotiation's stall_days = 7
    assert bot.store.deal("t:a2")["stage_entered"] == "2026-03-05T09:00:00+00:00"  # unchanged

    bot.click("followed_up", "t:a2")
    reply = wait_for(lambda: replies(bot), "the private reply")[0]
    assert reply.body["text"] == (
        "Already marked followed up by <@UALICE> on Mar 16, 2026: nothing changed."
    )
    assert len(bot.quiet()) == 1


def test_snooze_ends_when_the_deal_changes_stage(tmp_path: Path, slack_api: SlackStandIn) -> None:
    for bot in make_bot(tmp_path, slack_api, nudges={"snooze_days": 30}):
        bot.click("snooze", "t:a1")
        wait_for(bot.quiet, "the quiet row")
        assert "t:a1" not in bot.stalled_ids("2026-03-24")
        moved = agency.tasks()
        a1 = next(x for x in moved if x.id == "a1")
        a1.status = "conclusion du contrat"
        a1.history.append(type(a1.history[0])(
            at=parse_as_of("2026-03-17T09:00", bot.settings.tz), to_status=a1.status,
            from_status="appel et devis"))  # fmt: skip
        load(bot.store, bot.settings.pipeline, moved)
        assert bot.store.deal("t:a1")["stage"] == "closing"
        assert "t:a1" in bot.stalled_ids("2026-03-24")  # closing: 7 d ≥ 5, snooze was for meeting


def test_click_on_a_deal_that_moved_since_changes_nothing(tmp_path, slack_api) -> None:
    for bot in make_bot(tmp_path, slack_api):
        moved = agency.tasks()
        a1 = next(x for x in moved if x.id == "a1")
        a1.status = "conclusion du contrat"
        load(bot.store, bot.settings.pipeline, moved)
        bot.click("snooze", "t:a1")
        reply = wait_for(lambda b=bot: replies(b), "the private reply")[0]
        assert (
            reply.body["text"]
            == "This deal has moved to Closing since this message: nothing to do."
        )
        assert bot.quiet() == []
        assert updates(bot) == []


def test_bad_signature_is_401_and_nothing_done(bot: Bot) -> None:
    assert bot.click("snooze", "t:a1", signature="v0=" + "0" * 64) == 401
    assert bot.quiet() == []
    assert bot.slack.calls == []


def test_access_control_applies_to_buttons(tmp_path, slack_api) -> None:
    for bot in make_bot(tmp_path, slack_api, slack={"channel": "C0TEAM", "allowed_users": ["UBOSS"],
                                                    "allowed_channels": ["C0TEAM"]}):  # fmt: skip
        bot.click("snooze", "t:a1", user="UALICE")
        reply = wait_for(lambda b=bot: replies(b), "the refusal")[0]
        assert reply.body["text"] == "You are not allowed to use this bot here."
        assert bot.quiet() == []
        bot.click("snooze", "t:a1", user="UBOSS", channel="CRANDOM")
        wait_for(lambda b=bot: replies(b)[1:], "the second refusal")
        assert bot.quiet() == []
        bot.click("snooze", "t:a1", user="UBOSS", channel="DBOSS")  # the bot's own DM passes
        wait_for(bot.quiet, "the quiet row")


def test_link_button_is_acked(bot: Bot) -> None:
    assert bot.click("open_task", "t:a1") == 200
    assert bot.quiet() == []


def test_business_day_snooze_skips_the_weekend(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, **agency_config(stall_counting="business"))
    store = load_agency(settings)
    friday = parse_as_of("2026-03-20T10:00", settings.tz)
    value = json.dumps({"deal": "t:a1", "stage": "meeting"})
    outcome = actions.apply_click(settings, store, "snooze", value, "UALICE", friday)
    assert outcome.created
    assert store.quiet_rows("t:a1")[0]["until"] == "2026-03-25T09:00:00+00:00"  # Wed 10:00 Paris
    store.close()
