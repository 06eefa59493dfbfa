"""Changing a deal from Slack, end to end: signed `block_actions` and `view_submission` payloads
through the real endpoint (Bolt behind waitress), the Trello adapter writing through replayed
cassettes, the store, `query --json`, and the message updated in place at the Slack stand-in.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from bot.clock import parse_as_of
from bot.deps import Deps
from bot.nudges import run_pass
from bot.settings import Settings
from bot.slack_client import make_outbox
from bot.store import Store
from tests.agency import blocks_of
from tests.helpers import cli, load, replay, task, wait_for
from tests.slack_check import assert_safe
from tests.slack_http import (
    NOW,
    Served,
    make_settings,
    published_view,
    send_action,
    send_command,
    send_event,
    send_interaction,
    serving,
)
from tests.slack_standin import Call, SlackStandIn

BOARD = "65f0c3a2b1d4e5f6a7b8c9d0"
CARD = "698b1460a1b2c3d4e5f60002"
DEAL = f"agence:{CARD}"
DEVIS, BALLE = "Appel et devis", "Balle dans le camp du client"


def config(language: str = "en") -> dict[str, Any]:
    return {
        "language": language,
        "sources": [{"kind": "trello", "name": "agence", "board": BOARD}],
        "people": {"Alice Martin": "UALICE", "Bruno Petit": "UBRUNO"},
        "slack": {"channel": "C0TEAM", "editors": ["UBOSS"]},
    }


@dataclass
class World:
    settings: Settings
    store: Store
    slack: SlackStandIn
    served: Served
    nudge: Call
    folder: Path

    def events(self) -> list[dict[str, Any]]:
        return self.store.rows(
            "SELECT from_stage, to_stage, by_user FROM stage_events WHERE deal_id = ? "
            "ORDER BY at, id",
            (DEAL,),
        )

    def deal(self) -> dict[str, Any]:
        found = self.store.deal(DEAL)
        assert found is not None
        return found

    def block(self) -> dict[str, Any]:
        blocks = blocks_of(self.nudge)
        return next(b for b in blocks if b.get("block_id") == f"nudge:{DEAL}")

    def element(self, action_id: str) -> dict[str, Any]:
        return next(e for e in self.block()["elements"] if e["action_id"] == action_id)

    def post(self, payload: dict[str, Any]) -> int:
        return send_interaction(self.served.events_url, payload).status_code

    def act(self, action: dict[str, Any], user: str = "UALICE") -> int:
        """A signed `block_actions` payload from the nudge in the owner's DM with the bot."""
        return send_action(self.served.events_url, {**action, "block_id": f"nudge:{DEAL}"},
                           {"text": self.nudge.body["text"], "blocks": blocks_of(self.nudge)},
                           response_url=f"{self.slack.url}/respond/response_url", user=user,
                           channel=self.nudge.body["channel"]).status_code  # fmt: skip

    def move(self, stage: str, user: str = "UALICE") -> int:
        select = self.element("move_stage")
        option = next(o for o in select["options"] if o["value"] == stage)
        return self.act({"type": "static_select", "action_id": "move_stage",
                         "selected_option": option}, user)  # fmt: skip

    def click(self, action_id: str, user: str = "UALICE") -> int:
        element = self.element(action_id)
        return self.act({"type": "button", "action_id": action_id,
                         "value": element["value"]}, user)  # fmt: skip

    def modal(self) -> dict[str, Any]:
        """The modal the last `views.open` showed."""
        call = wait_for(lambda: self.slack.called("views.open"), "views.open")[-1]
        return published_view(call)

    def submit(self, view: dict[str, Any], values: dict[str, Any],
               user: str = "UALICE") -> requests.Response:  # fmt: skip
        """A signed `view_submission` of `view` with the inputs' `values`, as Slack posts it."""
        payload = {
            "type": "view_submission",
            "team": {"id": "T1", "domain": "agence"},
            "user": {"id": user, "username": user.lower(), "team_id": "T1"},
            "api_app_id": "A1", "token": "legacy", "trigger_id": "1.2.4",
            "view": {"id": "V1", "type": "modal", "callback_id": view["callback_id"],
                     "private_metadata": view["private_metadata"], "blocks": view["blocks"],
                     "state": {"values": values}},
            "response_urls": [],
        }  # fmt: skip
        return send_interaction(self.served.events_url, payload)

    def query(self, *words: str) -> dict[str, Any]:
        done = cli(self.folder, "--config", str(self.folder / "pipeline.toml"), "--db",
                   str(self.settings.db_path), "query", *words, "--json",
                   "--as-of", "2026-03-20T12:00")  # fmt: skip
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)  # type: ignore[no-any-return]


def replies(slack: SlackStandIn) -> list[str]:
    return [str(c.body.get("text")) for c in slack.called("response_url")]


def sentinel_reply(world: World, before: int) -> list[str]:
    """Wait for the private reply a click must produce (every refusal has one)."""
    return wait_for(lambda: replies(world.slack)[before:], "the private reply")  # type: ignore[no-any-return]


def cassette(name: str) -> AbstractContextManager[Any]:
    """Trello replayed from `tests/cassettes/slack/`; Slack (the stand-in) and the bot on
    127.0.0.1 stay real beside it."""
    return replay(f"slack/{name}", ignore_localhost=True)


def write_toml(folder: Path, raw: dict[str, Any]) -> None:
    """The same config for the command line (`query`), as TOML."""
    lines = [f'language = "{raw["language"]}"', "[[sources]]", 'kind = "trello"',
             'name = "agence"', f'board = "{BOARD}"', "[people]"]  # fmt: skip
    lines += [f'"{name}" = "{user}"' for name, user in raw["people"].items()]
    (folder / "pipeline.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture
def world(
    tmp_path: Path, slack_api: SlackStandIn, request: pytest.FixtureRequest
) -> Iterator[World]:
    language = getattr(request, "param", "en")
    raw = config(language)
    trello = {"trello_api_key": "fake-key", "trello_token": "fake-token"}
    settings = make_settings(tmp_path, slack_api, secrets=trello, **raw)
    write_toml(tmp_path, raw)
    store = Store.open(settings.db_path, settings.pipeline, settings.source_names)
    alice = {"owner": "Alice Martin", "owner_email": "alice@agence.fr"}
    load(store, settings.pipeline, [
        task(CARD, DEVIS, ("2026-03-02T09:00", DEVIS), title="Identité visuelle",
             client="Studio Lumière", amount=8000, url="https://trello.com/c/cD5eF7gH", **alice),
        task("lostcard", "Écarté", ("2026-03-01T09:00", "Écarté"), title="Affiches",
             owner="Bruno Petit", lost_reason="Budget"),
    ], source="agence", now=parse_as_of("2026-03-15T20:00", settings.tz))  # fmt: skip
    run_pass(settings, store, make_outbox(settings), NOW)
    nudge = slack_api.called("chat.postMessage")[0]
    slack_api.calls.clear()
    with serving(settings, Deps(settings, now=lambda: NOW)) as served:
        yield World(settings, store, slack_api, served, nudge, tmp_path)
    store.close()


def test_owner_moves_a_trello_deal_from_the_nudge(
    world: World,
) -> None:
    select = world.element("move_stage")
    assert [o["value"] for o in select["options"]] == [
        "qualification", "meeting", "negotiation", "closing", "won", "lost"]  # fmt: skip
    assert select["initial_option"]["value"] == "meeting"

    with cassette("trello_move.yaml") as played:
        assert world.move("negotiation") == 200
        update = wait_for(lambda: world.slack.called("chat.update"), "chat.update")[0]
        assert played.all_played  # the card moved to « Balle dans le camp du client »
    clicked = (world.nudge.body["channel"], "1700000000.000001")  # where `act` clicked
    assert (update.body["channel"], update.body["ts"]) == clicked
    blocks = blocks_of(update)
    mine = next(b for b in blocks if b.get("block_id") == f"nudge:{DEAL}")
    shown = next(e for e in mine["elements"] if e["action_id"] == "move_stage")
    assert shown["initial_option"]["value"] == "negotiation"
    # the nudge buttons of the old stage are gone; the link and the controls stay
    assert [e["action_id"] for e in mine["elements"]] == [
        "open_task", "move_stage", "set_close_date", "set_next_step", "mark_lost"]  # fmt: skip
    note = next(b for b in blocks if b.get("block_id") == f"nudge:{DEAL}:done")
    assert note["elements"][0]["text"] == "➡️ Moved to Negotiation by <@UALICE>"
    assert_safe([world.nudge.body, update.body], mentions={"UALICE"})

    deal = world.deal()
    assert (deal["status"].lower(), deal["stage"]) == (BALLE.lower(), "negotiation")
    assert world.events()[-1] == {"from_stage": "meeting", "to_stage": "negotiation",
                                  "by_user": "UALICE"}  # fmt: skip

    changes = world.query("changes")["events"]
    assert [(e["deal"], e["from"], e["to"], e["by"]) for e in changes] == [
        (DEAL, "meeting", "negotiation", "UALICE")]  # fmt: skip
    history = world.query("deal", "Lumière")["deals"][0]["history"]
    assert [(h["to"], h["by"]) for h in history] == [("meeting", None), ("negotiation", "UALICE")]

    # the same click again: nothing reaches Trello (no interaction left), no second event
    with cassette("nothing.yaml"):
        assert world.move("negotiation") == 200
        assert sentinel_reply(world, 0) == ["The deal already says so: nothing changed."]
    assert len(world.events()) == 2
    assert len(world.slack.called("chat.update")) == 1


def test_someone_else_is_refused_and_told_why(world: World) -> None:
    with cassette("nothing.yaml"):
        assert world.move("negotiation", user="UBRUNO") == 200
        (reply,) = sentinel_reply(world, 0)
    assert reply == (
        "Only the deal's owner (Alice Martin) or an editor (`slack.editors`) may change this "
        "deal: nothing changed."
    )
    call = world.slack.called("response_url")[0]
    assert call.body["response_type"] == "ephemeral" and call.body["replace_original"] is False
    assert world.deal()["stage"] == "meeting"
    assert len(world.events()) == 1
    assert world.slack.called("chat.update") == []


def test_an_editor_may_move_anyones_deal(world: World) -> None:
    with cassette("trello_move.yaml") as played:
        world.move("negotiation", user="UBOSS")
        update = wait_for(lambda: world.slack.called("chat.update"), "chat.update")[0]
        assert played.all_played
    assert "by <@UBOSS>" in json.dumps(blocks_of(update))
    assert world.events()[-1]["by_user"] == "UBOSS"


def test_the_tools_refusal_goes_to_the_clicker_only(world: World) -> None:
    with cassette("trello_refused.yaml") as played:
        world.move("negotiation")
        (reply,) = sentinel_reply(world, 0)
        assert played.all_played
    assert reply == (
        "⚠️ source 'agence' refused the change (HTTP 401): the token may read but not write; "
        "give it the right to edit (see docs/webhooks.md)"
    )
    call = world.slack.called("response_url")[0]
    assert call.body["response_type"] == "ephemeral" and call.body["replace_original"] is False
    assert world.deal()["stage"] == "meeting" and world.deal()["status"] == DEVIS
    assert len(world.events()) == 1
    assert world.slack.called("chat.update") == []


@pytest.mark.parametrize("world", ["fr"], indirect=True)
def test_in_french(world: World) -> None:
    assert world.element("move_stage")["placeholder"]["text"] == "Passer en…"
    with cassette("trello_move.yaml"):
        world.move("negotiation")
        update = wait_for(lambda: world.slack.called("chat.update"), "chat.update")[0]
    assert "➡️ Passée en Négociations par <@UALICE>" in json.dumps(
        blocks_of(update), ensure_ascii=False
    )
    with cassette("nothing.yaml"):
        world.move("negotiation", user="UBRUNO")
        (reply,) = sentinel_reply(world, 0)
    assert reply.startswith("Seul·e le ou la responsable de l'affaire (Alice Martin)")


def note_of(update: Call) -> str:
    note = next(b for b in blocks_of(update) if b.get("block_id") == f"nudge:{DEAL}:done")
    return str(note["elements"][0]["text"])


def test_mark_lost_asks_the_reason_offering_those_used_before(world: World) -> None:
    assert world.click("mark_lost") == 200
    view = world.modal()
    assert (view["callback_id"], view["title"]["text"]) == ("mark_lost", "Mark as lost")
    pick = next(b for b in view["blocks"] if b.get("block_id") == "reason_pick")
    assert [o["value"] for o in pick["element"]["options"]] == ["Budget"]
    assert_safe([view])

    empty = {"reason_pick": {"reason": {"type": "static_select", "selected_option": None}},
             "reason_text": {"reason": {"type": "plain_text_input", "value": "  "}}}  # fmt: skip
    with cassette("nothing.yaml"):
        answer = world.submit(view, empty)
    assert answer.json() == {"response_action": "errors",
                             "errors": {"reason_text": "Pick a reason or write one."}}  # fmt: skip
    assert world.deal()["stage"] == "meeting"

    budget = {"reason_pick": {"reason": {"type": "static_select", "selected_option": {
        "text": {"type": "plain_text", "text": "Budget"}, "value": "Budget"}}},
        "reason_text": {"reason": {"type": "plain_text_input", "value": None}}}  # fmt: skip
    with cassette("trello_lost.yaml") as played:
        assert world.submit(view, budget).status_code == 200
        update = wait_for(lambda: world.slack.called("chat.update"), "chat.update")[0]
        assert played.all_played  # moved to « Écarté », the reason in a comment
    assert note_of(update) == "❌ Marked lost by <@UALICE>: Budget"
    deal = world.deal()
    assert (deal["stage"], deal["lost_reason"]) == ("lost", "Budget")
    assert world.events()[-1] == {"from_stage": "meeting", "to_stage": "lost",
                                  "by_user": "UALICE"}  # fmt: skip


def test_a_modal_opened_on_one_replica_is_submitted_to_another(world: World) -> None:
    """The click reached replica A (it opened the modal); Slack sends the submission to replica
    B, whose memory holds nothing of A's: B still updates the nudge the modal came from."""
    world.click("set_next_step")
    view = world.modal()
    values = {"next_step": {"next_step": {"type": "plain_text_input", "value": "Relancer jeudi"}}}
    replica_b_deps = Deps(world.settings, now=lambda: NOW)
    with (
        serving(world.settings, replica_b_deps) as replica_b,
        cassette("trello_next_step.yaml") as played,
    ):
        send_interaction(replica_b.events_url, {
            "type": "view_submission", "user": {"id": "UALICE"}, "team": {"id": "T1"},
            "api_app_id": "A1", "token": "legacy", "trigger_id": "1.2.5",
            "view": {"id": "V1", "type": "modal", "callback_id": view["callback_id"],
                     "private_metadata": view["private_metadata"], "blocks": view["blocks"],
                     "state": {"values": values}}})  # fmt: skip
        update = wait_for(lambda: world.slack.called("chat.update"), "chat.update")[0]
        assert played.all_played
    clicked = (world.nudge.body["channel"], "1700000000.000001")  # where `act` clicked
    assert (update.body["channel"], update.body["ts"]) == clicked
    assert note_of(update) == "📝 Next step set by <@UALICE>: Relancer jeudi"
    assert world.deal()["next_step"] == "Relancer jeudi"


def test_choosing_lost_in_the_select_asks_the_reason_first(world: World) -> None:
    with cassette("nothing.yaml"):
        world.move("lost")
        assert world.modal()["callback_id"] == "mark_lost"
    assert world.deal()["stage"] == "meeting"


def test_next_step_from_a_modal(world: World) -> None:
    world.click("set_next_step")
    view = world.modal()
    assert view["callback_id"] == "set_next_step"
    values = {"next_step": {"next_step": {"type": "plain_text_input", "value": "Relancer jeudi"}}}
    with cassette("trello_next_step.yaml") as played:
        world.submit(view, values)
        update = wait_for(lambda: world.slack.called("chat.update"), "chat.update")[0]
        assert played.all_played
    assert note_of(update) == "📝 Next step set by <@UALICE>: Relancer jeudi"
    assert world.deal()["next_step"] == "Relancer jeudi"
    assert len(world.events()) == 1  # not a stage move


def test_close_date_from_the_picker(world: World) -> None:
    picker = world.element("set_close_date")
    assert picker["type"] == "datepicker"
    with cassette("trello_close_date.yaml") as played:
        world.act({"type": "datepicker", "action_id": "set_close_date",
                   "selected_date": "2026-04-30"})  # fmt: skip
        update = wait_for(lambda: world.slack.called("chat.update"), "chat.update")[0]
        assert played.all_played
    assert note_of(update) == "📅 Close date set to Apr 30, 2026 by <@UALICE>"
    assert world.deal()["expected_close"] == "2026-04-30"
    assert world.store.rows("SELECT field, to_value, by_user FROM field_changes") == [
        {"field": "expected_close", "to_value": "2026-04-30", "by_user": "UALICE"}]  # fmt: skip


def test_no_modal_for_someone_else(world: World) -> None:
    with cassette("nothing.yaml"):
        world.click("mark_lost", user="UBRUNO")
        (reply,) = sentinel_reply(world, 0)
    assert reply.startswith("Only the deal's owner (Alice Martin)")
    assert world.slack.called("views.open") == []


def test_from_the_app_home(world: World) -> None:
    event = {"type": "app_home_opened", "user": "UALICE", "channel": "D1", "tab": "home"}
    send_event(world.served, event, "EvHome1")
    view = published_view(wait_for(lambda: world.slack.called("views.publish"), "the Home")[0])
    controls = next(b for b in view["blocks"] if b.get("block_id") == f"open:{DEAL}")
    select = next(e for e in controls["elements"] if e["action_id"] == "move_stage")
    option = next(o for o in select["options"] if o["value"] == "negotiation")
    assert len(view["blocks"]) <= 100
    payload = {
        "type": "block_actions", "user": {"id": "UALICE", "team_id": "T1"}, "api_app_id": "A1",
        "token": "legacy", "team": {"id": "T1"}, "trigger_id": "1.2.5",
        "container": {"type": "view", "view_id": "VHOME"},
        "view": {"id": "VHOME", "type": "home", "blocks": view["blocks"]},
        "actions": [{"type": "static_select", "action_id": "move_stage",
                     "block_id": f"open:{DEAL}", "selected_option": option,
                     "action_ts": "1700000002.0"}],
    }  # fmt: skip
    with cassette("trello_move.yaml") as played:
        assert world.post(payload) == 200
        again = wait_for(lambda: world.slack.called("views.publish")[1:], "the Home again")[0]
        assert played.all_played
    refreshed = published_view(again)
    assert_safe([view, refreshed], mentions={"UALICE"})
    controls = next(b for b in refreshed["blocks"] if b.get("block_id") == f"open:{DEAL}")
    select = next(e for e in controls["elements"] if e["action_id"] == "move_stage")
    assert select["initial_option"]["value"] == "negotiation"
    assert world.events()[-1]["by_user"] == "UALICE"


@pytest.mark.parametrize(
    ("question", "shown", "more"),
    [
        ("stalled", 20, "… and 480 more. Narrow it down"),
        ("stage negotiation", 20, "… and 480 more. Narrow it down"),
        ("owner alice", 20, "… and 480 more. Narrow it down"),
        ("deal refonte", 10, "… and 490 more. Narrow it down"),
    ],
)
def test_long_lists_keep_every_shown_deals_controls_within_slacks_limits(
    tmp_path: Path, slack_api: SlackStandIn, question: str, shown: int, more: str
) -> None:
    settings = make_settings(tmp_path, slack_api, **config())
    store = Store.open(settings.db_path, settings.pipeline, settings.source_names)
    tasks = [
        task(f"c{i:03d}", BALLE, ("2026-03-01T09:00", BALLE), title="Refonte " + "é" * 300,
             client="Client " + "c" * 200, owner="Alice Martin", amount=1000 + i,
             url=f"https://trello.com/c/{i}", next_step="Relancer " * 200)
        for i in range(500)
    ]  # fmt: skip
    load(store, settings.pipeline, tasks, source="agence", now=NOW)
    store.close()
    with serving(settings) as served:
        body = send_command(served, question).json()
        event = {"type": "app_home_opened", "user": "UALICE", "channel": "D1", "tab": "home"}
        send_event(served, event, "EvBigHome")
        home = published_view(wait_for(lambda: slack_api.called("views.publish"), "Home")[0])
    assert len(body["blocks"]) <= 50
    controls = [b for b in body["blocks"] if b["type"] == "actions"]
    assert len(controls) == shown
    assert all([e["action_id"] for e in b["elements"]] == [
        "move_stage", "set_close_date", "set_next_step", "mark_lost"] for b in controls)  # fmt: skip
    assert more in json.dumps(body["blocks"], ensure_ascii=False)
    assert_safe([body], mentions={"UALICE"})
    assert len(home["blocks"]) <= 100
    assert len([b for b in home["blocks"] if b["type"] == "actions"]) == 3 * 14
    assert_safe([home], mentions={"UALICE"})


def test_a_private_answer_gets_the_note_privately(world: World) -> None:
    """Slack does not send a private (ephemeral) answer back with a click: the change is said
    in a private message instead of rewriting the answer."""
    option = next(o for o in world.element("move_stage")["options"] if o["value"] == "negotiation")
    payload = {
        "type": "block_actions", "user": {"id": "UALICE", "team_id": "T1"}, "api_app_id": "A1",
        "token": "legacy", "team": {"id": "T1"}, "trigger_id": "1.2.6",
        "container": {"type": "message", "message_ts": "1700000009.000001",
                      "channel_id": "CSALES", "is_ephemeral": True},
        "channel": {"id": "CSALES", "name": "ventes"},
        "response_url": f"{world.slack.url}/respond/response_url",
        "actions": [{"type": "static_select", "action_id": "move_stage",
                     "block_id": f"deal:{DEAL}", "selected_option": option,
                     "action_ts": "1700000010.0"}],
    }  # fmt: skip
    with cassette("trello_move.yaml") as played:
        assert world.post(payload) == 200
        (reply,) = sentinel_reply(world, 0)
        assert played.all_played
    assert reply == "➡️ Moved to Negotiation by <@UALICE>"
    call = world.slack.called("response_url")[0]
    assert call.body["response_type"] == "ephemeral" and call.body["replace_original"] is False
    assert world.slack.called("chat.update") == []
    assert world.events()[-1]["by_user"] == "UALICE"


def test_a_sheets_deals_show_no_controls(tmp_path: Path, slack_api: SlackStandIn) -> None:
    raw = config()
    raw["sources"] = [*raw["sources"], {"kind": "csv", "name": "feuille", "path": "deals.csv"}]
    settings = make_settings(tmp_path, slack_api, **raw)
    store = Store.open(settings.db_path, settings.pipeline, settings.source_names)
    for source in ("agence", "feuille"):
        load(store, settings.pipeline, [task(f"{source}1", DEVIS, ("2026-03-02T09:00", DEVIS),
             title=f"Deal from {source}", owner="Alice Martin")], source=source,
             now=NOW)  # fmt: skip
    store.close()
    with serving(settings) as served:
        body = send_command(served, "stalled").json()
    text = json.dumps(body["blocks"], ensure_ascii=False)
    assert "Deal from agence" in text and "Deal from feuille" in text
    controls = [b["block_id"] for b in body["blocks"] if b["type"] == "actions"]
    assert controls == ["deal:agence:agence1"]
