"""The deal controls: `move_stage`, `set_close_date`, `mark_lost` and `set_next_step`.

Every click is acknowledged first (Slack's 3 seconds), then `bot.edits.apply_edit` checks who
asks, writes to the task manager and then to the store; the message is then updated in place:
`chat.update` of a message Slack sent along (a nudge, a public answer), else its `response_url`;
the App Home is published again. A refusal (not the owner, the tool said no) goes to the clicker
only. `mark_lost` and `set_next_step` open a modal first (and so does choosing the lost stage in
the select: a lost deal needs its reason); the message they came from waits in the store for
the submission (a modal carries 3,000 characters of metadata, not a message), since Slack may
send the submission to another `serve` replica than the click.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Any
from uuid import uuid4

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from bot.deps import Deps
from bot.edits import (
    MAX_TEXT,
    Edit,
    EditOutcome,
    Writer,
    apply_edit,
    lost_reasons,
    lost_stage,
    may_edit,
    refusal,
    tool_writer,
    writable_sources,
)
from bot.i18n import t
from bot.nudges import email_lookup
from bot.render.controls import (
    CLOSE_DATE,
    LOST,
    MOVE,
    NEXT_STEP,
    after_edit,
    deal_of,
    lost_modal,
    next_step_modal,
    submitted,
)
from bot.render.mrkdwn import esc, notification
from bot.slack.home_tab import build_view
from bot.slack_client import outbox
from bot.store import Store

log = logging.getLogger(__name__)

Ack = Callable[..., Any]


@dataclass
class Place:
    """Where a control was used and by whom: enough to update that message or Home, and to
    answer the clicker privately."""

    user: str
    block: str
    channel: str | None = None
    ts: str | None = None
    url: str | None = None
    home: bool = False
    message: dict[str, Any] | None = field(default=None, repr=False)

    @classmethod
    def of(cls, body: dict[str, Any]) -> Place:
        container = body.get("container") or {}
        action = (body.get("actions") or [{}])[0]
        message = body.get("message")
        return cls(
            user=str((body.get("user") or {}).get("id") or ""),
            block=str(action.get("block_id") or ""),
            channel=(body.get("channel") or {}).get("id") or container.get("channel_id"),
            ts=(message or {}).get("ts") or container.get("message_ts"),
            url=body.get("response_url"),
            home=container.get("type") == "view",
            message=message if isinstance(message, dict) and message.get("blocks") else None,
        )

    def meta(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if k not in ("user", "message")}


class Waiting:
    """Messages whose modal is open, by token, in the store: any replica takes them back. A
    modal abandoned for `KEEP` is forgotten."""

    KEEP = timedelta(days=1)

    def __init__(self, deps: Deps):
        self.deps = deps

    def keep(self, store: Store, message: dict[str, Any] | None) -> str | None:
        if message is None:
            return None
        token = uuid4().hex
        now = self.deps.now()
        store.keep_modal_message(token, json.dumps(message), now, now - self.KEEP)
        return token

    def take(self, token: str | None) -> dict[str, Any] | None:
        """The message kept under `token` (once); a database fault is logged and the note is
        then said privately instead of updating the message."""
        if not token:
            return None
        try:
            store = self.deps.open_store()
            try:
                found = store.take_modal_message(token)
            finally:
                store.close()
        except Exception:  # noqa: BLE001 - the edit itself must still run
            log.exception("the message of modal %s could not be read back", token)
            return None
        return json.loads(found) if found else None


class Controls:
    """The listeners, sharing the settings, the writer and the waiting messages."""

    def __init__(self, deps: Deps, write: Writer):
        self.deps = deps
        self.write = write
        self.waiting = Waiting(deps)

    # --- clicks ---------------------------------------------------------------------------

    def on_action(self, ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        """`move_stage` (a stage picked) and `set_close_date` (a date picked)."""
        ack()
        lang = self.deps.settings.language
        place = Place.of(body)
        action = (body.get("actions") or [{}])[0]
        if action.get("action_id") == MOVE:
            stage = str((action.get("selected_option") or {}).get("value") or "")
            if stage and stage == lost_stage(self.deps.settings):
                self.open_modal(LOST, body, client, place)
                return
            edit = Edit(MOVE, stage=stage)
        else:
            try:
                edit = Edit(CLOSE_DATE, close=date.fromisoformat(str(action.get("selected_date"))))
            except ValueError:
                self.tell(client, place, t("edit.bad_date", lang))
                return
        self.run(edit, place, client)

    def on_button(self, ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        """`mark_lost` and `set_next_step`: their modal (after the same checks as any edit)."""
        ack()
        kind = str((body.get("actions") or [{}])[0].get("action_id"))
        self.open_modal(kind, body, client, Place.of(body))

    def open_modal(self, kind: str, body: dict[str, Any], client: WebClient,
                   place: Place) -> None:  # fmt: skip
        settings = self.deps.settings
        lang = settings.language
        deal_id = deal_of(place.block)
        try:
            store = self.deps.open_store()
            try:
                deal = store.deal(deal_id) if deal_id else None
                reasons = lost_reasons(store) if kind == LOST else []
                if deal is None or deal["removed"]:
                    self.tell(client, place, t("action.gone", lang))
                    return
                lookup = email_lookup(outbox(client).find_user)
                if not may_edit(settings, deal, place.user, lookup):
                    self.tell(client, place, refusal(settings, deal))
                    return
                if deal["source"] not in writable_sources(settings):
                    self.tell(client, place, t("edit.read_only", lang,
                                               source=esc(deal["source"])))  # fmt: skip
                    return
                token = self.waiting.keep(store, place.message)
            finally:
                store.close()
            metadata = json.dumps({"deal": deal_id, "place": place.meta(), "token": token})
            title = str(deal["title"] or deal_id)
            if kind == LOST:
                view = lost_modal(title, reasons, metadata, lang)
            else:
                view = next_step_modal(title, deal["next_step"], metadata, lang)
            client.views_open(trigger_id=body.get("trigger_id"), view=view)
        except Exception:
            log.exception("%s modal for %s by %s failed", kind, deal_id, place.user)
            self.tell(client, place, t("action.failed", lang))

    # --- modal submissions -----------------------------------------------------------------

    def on_submit(self, ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        """A `mark_lost` or `set_next_step` modal submitted: checked at once (an empty answer
        keeps the modal open with the error under the field), then the edit runs."""
        lang = self.deps.settings.language
        view = body.get("view") or {}
        kind = str(view.get("callback_id"))
        if kind == LOST:
            reason = submitted(view, "reason_text", "reason") or submitted(
                view, "reason_pick", "reason"
            )
            if reason is None:
                ack(response_action="errors", errors={"reason_text": t("modal.lost.need", lang)})
                return
            edit = Edit(LOST, reason=reason[:MAX_TEXT])
        else:
            step = submitted(view, "next_step", "next_step")
            if step is None:
                ack(response_action="errors", errors={"next_step": t("modal.next.need", lang)})
                return
            edit = Edit(NEXT_STEP, next_step=step[:MAX_TEXT])
        ack()
        try:
            meta = json.loads(view.get("private_metadata") or "{}")
            place = Place(user=str((body.get("user") or {}).get("id") or ""),
                          **{k: v for k, v in (meta.get("place") or {}).items()
                             if k in ("block", "channel", "ts", "url", "home")})  # fmt: skip
        except (ValueError, TypeError):
            log.warning("a %s modal came back with unreadable metadata", kind)
            return
        place.message = self.waiting.take(meta.get("token"))
        self.run(edit, place, client)

    # --- doing it -------------------------------------------------------------------------

    def run(self, edit: Edit, place: Place, client: WebClient) -> None:
        settings = self.deps.settings
        lang = settings.language
        deal_id = deal_of(place.block)
        if deal_id is None:
            self.tell(client, place, t("action.gone", lang))
            return
        try:
            store = self.deps.open_store()
            try:
                lookup = email_lookup(outbox(client).find_user)
                outcome = apply_edit(settings, store, deal_id, edit, place.user, self.deps.now(),
                                     self.write, lookup=lookup)  # fmt: skip
            finally:
                store.close()
        except Exception:
            log.exception("%s by %s on %s failed", edit.kind, place.user, deal_id)
            self.tell(client, place, t("action.failed", lang))
            return
        if outcome.note:
            self.show(client, place, edit, outcome)
        if outcome.reply:
            self.tell(client, place, outcome.reply)

    def show(self, client: WebClient, place: Place, edit: Edit, outcome: EditOutcome) -> None:
        """The change in place: the Home published again, the message updated, or (an
        ephemeral answer, whose blocks Slack does not send back) the note said privately."""
        assert outcome.note is not None
        if place.home:
            client.views_publish(user_id=place.user, view=build_view(self.deps, place.user))
            return
        if place.message is None:
            self.tell(client, place, outcome.note)
            return
        blocks = after_edit(place.message.get("blocks") or [], place.block, outcome.note,
                            outcome.stage, moved=edit.kind in (MOVE, LOST))  # fmt: skip
        text = notification(str(place.message.get("text") or outcome.note))
        if place.channel and place.ts:
            try:
                client.chat_update(channel=place.channel, ts=place.ts, text=text, blocks=blocks)
                return
            except SlackApiError as exc:
                log.warning("chat.update of %s/%s failed (%s); replying through response_url",
                            place.channel, place.ts, exc.response.get("error"))  # fmt: skip
        if place.url:
            WebhookClient(place.url).send(text=text, blocks=blocks, replace_original=True)

    def tell(self, client: WebClient, place: Place, text: str) -> None:
        """A message only the clicker sees: through the response URL, else an ephemeral
        message in the channel, else (the App Home) the bot's DM with them."""
        try:
            if place.url:
                WebhookClient(place.url).send(text=text, response_type="ephemeral",
                                              replace_original=False)  # fmt: skip
            elif place.channel and not place.home:
                client.chat_postEphemeral(channel=place.channel, user=place.user, text=text)
            else:
                client.chat_postMessage(channel=place.user, text=text)
        except SlackApiError as exc:
            log.warning("could not tell %s: %s", place.user, exc.response.get("error"))


def register(app: App, deps: Deps, write: Writer | None = None) -> Controls:
    """Add the controls' listeners to the Bolt app (called by `build_app`)."""
    controls = Controls(deps, write or tool_writer(deps.settings))
    app.action(MOVE)(controls.on_action)
    app.action(CLOSE_DATE)(controls.on_action)
    app.action(LOST)(controls.on_button)
    app.action(NEXT_STEP)(controls.on_button)
    app.view(LOST)(controls.on_submit)
    app.view(NEXT_STEP)(controls.on_submit)
    return controls
