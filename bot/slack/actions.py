"""The nudge buttons: `snooze` and `followed_up` (contract action IDs), the `snooze_until` date
picker beside them, and the task link.

Each click is acknowledged first (Slack's 3 seconds), then recorded as one `quiet` row for the
deal's stage at the click, so it ends by itself when the deal changes stage and a second click
finds the first row and changes nothing. The original message is updated to show who did what.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.clock import add_days, day_start, local_date
from bot.deps import Deps
from bot.i18n import t
from bot.pipeline import Stage
from bot.render.money import short_date
from bot.render.mrkdwn import esc, notification
from bot.render.nudge_blocks import after_click, parse_button_value
from bot.settings import Settings
from bot.slack.access import is_allowed
from bot.store import Store

log = logging.getLogger(__name__)

KINDS = ("snooze", "followed_up")
#: The date picker beside the snooze button: "snooze until <date>".
SNOOZE_UNTIL = "snooze_until"
#: The furthest a date picked for a snooze may be.
MAX_SNOOZE = timedelta(days=366)


@dataclass
class ClickOutcome:
    """What a click did: the note for the message (None: leave it) and a private reply."""

    note: str | None
    reply: str | None = None
    created: bool = False


def apply_click(settings: Settings, store: Store, kind: str, value: str, user_id: str,
                now: datetime) -> ClickOutcome:  # fmt: skip
    """Record a `snooze`/`followed_up` click; idempotent while the first one is active."""
    found = _deal_in_stage(settings, store, value)
    if isinstance(found, ClickOutcome):
        return found
    deal_id, stage = found
    days = settings.config.nudges.snooze_days if kind == "snooze" else stage.stall_days
    until = add_days(now, max(days, 1), settings.config.stall_counting, settings.tz,
                     settings.days_off)  # fmt: skip
    return _quiet(settings, store, kind, deal_id, stage.key, user_id, now, until)


def apply_snooze_until(settings: Settings, store: Store, value: str, picked: str, user_id: str,
                       now: datetime) -> ClickOutcome:  # fmt: skip
    """Record a "snooze until <date>" pick: the deal is back in nudges and stalled lists on that
    local date. A date not after today (or more than a year ahead) is refused, nothing kept."""
    lang, tz = settings.language, settings.tz
    today = local_date(now, tz)
    try:
        day: date | None = date.fromisoformat(picked)
    except ValueError:
        day = None
    if day is None or day <= today or day > today + MAX_SNOOZE:
        return ClickOutcome(
            None, t("action.snooze_until.past", lang, today=short_date(today, lang))
        )
    found = _deal_in_stage(settings, store, value)
    if isinstance(found, ClickOutcome):
        return found
    deal_id, stage = found
    return _quiet(settings, store, "snooze", deal_id, stage.key, user_id, now, day_start(day, tz))


def _deal_in_stage(
    settings: Settings, store: Store, value: str
) -> tuple[str, Stage] | ClickOutcome:
    """The deal a button names, still live and in the stage it was nudged in; else the reply."""
    lang = settings.language
    deal_id, stage_key = parse_button_value(value)
    deal = store.deal(deal_id)
    if deal is None or deal["removed"]:
        return ClickOutcome(None, t("action.gone", lang))
    pipeline = settings.pipeline
    if deal["stage"] != stage_key:
        current = pipeline.by_key.get(deal["stage"] or "")
        label = current.label(lang) if current else str(deal["status"] or "?")
        return ClickOutcome(None, t("action.moved", lang, stage=esc(label)))
    return deal_id, pipeline.by_key[stage_key]


def _quiet(settings: Settings, store: Store, kind: str, deal_id: str, stage_key: str,
           user_id: str, now: datetime, until: datetime) -> ClickOutcome:  # fmt: skip
    """One `quiet` row (unless the same kind is active) and the note that says who did what."""
    lang, tz = settings.language, settings.tz
    created, row = store.add_quiet(deal_id, kind, stage_key, user_id, now, until)
    values = {"user": row["by_user"], "until": short_date(row["until"], lang, tz),
              "on": short_date(row["at"], lang, tz)}  # fmt: skip
    note = t(f"action.{kind}", lang, **values)
    reply = None if created else t(f"action.already.{kind}", lang, **values)
    return ClickOutcome(note, reply, created)


#: What a click asks for: (settings, store, the action, the whole payload, user, now) → outcome.
Apply = Callable[[Settings, Store, dict[str, Any], dict[str, Any], str, datetime], ClickOutcome]


def _button(kind: str) -> Apply:
    def run(settings: Settings, store: Store, action: dict[str, Any], body: dict[str, Any],
            user: str, now: datetime) -> ClickOutcome:  # fmt: skip
        return apply_click(settings, store, kind, str(action.get("value", "")), user, now)

    return run


def _picked_date(settings: Settings, store: Store, action: dict[str, Any], body: dict[str, Any],
                 user: str, now: datetime) -> ClickOutcome:  # fmt: skip
    """A date picker has no value: the deal and stage come from the `snooze` button beside it."""
    value = sibling_value(body, str(action.get("block_id", "")), "snooze")
    if value is None:
        return ClickOutcome(None, t("action.gone", settings.language))
    return apply_snooze_until(settings, store, value, str(action.get("selected_date") or ""),
                              user, now)  # fmt: skip


def sibling_value(body: dict[str, Any], block_id: str, action_id: str) -> str | None:
    """The value of the element `action_id` in the message's block `block_id`."""
    for block in (body.get("message") or {}).get("blocks") or []:
        if block.get("block_id") == block_id:
            for element in block.get("elements") or []:
                if element.get("action_id") == action_id and element.get("value"):
                    return str(element["value"])
    return None


def _handler(name: str, apply: Apply, deps: Deps) -> Callable[..., None]:
    def handle(ack: Callable[..., Any], body: dict[str, Any], client: WebClient,
               respond: Callable[..., Any]) -> None:  # fmt: skip
        ack()
        settings = deps.settings
        lang = settings.language
        user_id = (body.get("user") or {}).get("id")
        container = body.get("container") or {}
        channel_id = (body.get("channel") or {}).get("id") or container.get("channel_id")
        action = (body.get("actions") or [{}])[0]
        if not is_allowed(settings, user_id, channel_id):
            respond(text=t("action.denied", lang), response_type="ephemeral",
                    replace_original=False)  # fmt: skip
            return
        try:
            store = deps.open_store()
            try:
                outcome = apply(settings, store, action, body, str(user_id), deps.now())
            finally:
                store.close()
        except Exception:
            log.exception("%s by %s on %s failed", name, user_id, action.get("block_id"))
            respond(text=t("action.failed", lang), response_type="ephemeral",
                    replace_original=False)  # fmt: skip
            return
        if outcome.note:
            _show(client, respond, body, str(action.get("block_id", "")), outcome.note)
        if outcome.reply:
            respond(text=outcome.reply, response_type="ephemeral", replace_original=False)

    return handle


def _show(client: WebClient, respond: Callable[..., Any], body: dict[str, Any],
          block_id: str, note: str) -> None:  # fmt: skip
    """Replace the clicked deal's buttons in the original message with who did what."""
    message = body.get("message") or {}
    blocks = after_click(message.get("blocks") or [], block_id, note)  # through the limit pass
    text = notification(str(message.get("text") or note))  # as Slack stored it: escaped
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
        "channel_id"
    )
    ts = message.get("ts") or (body.get("container") or {}).get("message_ts")
    if channel and ts:
        try:
            client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)
            return
        except SlackApiError as exc:
            log.warning("chat.update of %s/%s failed (%s); replying through response_url",
                        channel, ts, exc.response.get("error"))  # fmt: skip
    respond(text=text, blocks=blocks, replace_original=True)


def _ack_only(ack: Callable[..., Any]) -> None:
    """The link button opens the task in the browser; Slack still wants its click acked."""
    ack()


def register(app: App, deps: Deps) -> None:
    """Add the nudge buttons' listeners to the Bolt app (called by `build_app`)."""
    for kind in KINDS:
        app.action(kind)(_handler(kind, _button(kind), deps))
    app.action(SNOOZE_UNTIL)(_handler(SNOOZE_UNTIL, _picked_date, deps))
    app.action("open_task")(_ack_only)
