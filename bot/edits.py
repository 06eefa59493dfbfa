"""Changes made from Slack: who may make them, the task manager first, then the store.

Kept apart from the Slack listeners (`bot/slack/edit_actions.py`) so the rule is one function a
test can call and the order (tool, then store) lives in one place: a refusal from the tool
leaves the store untouched, and a change the store already holds is not written again.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from bot.i18n import localise, said_of, t
from bot.render.controls import Controls
from bot.render.money import short_date
from bot.render.mrkdwn import clip, esc
from bot.settings import Settings, person_index, slack_user
from bot.store import Store
from integrations.base import DealUpdate, SourceError, adapter_class
from integrations.kinds import source_name

log = logging.getLogger(__name__)

#: What a person may type as a lost reason or a next step (the tool's field, not an essay).
MAX_TEXT = 500
#: A Slack user ID as payloads carry it (only these reach mrkdwn as `<@…>`).
USER_ID = re.compile(r"[UW][A-Z0-9]{2,}")


@dataclass(frozen=True)
class Edit:
    """One change asked from Slack: `kind` is the control's action ID."""

    kind: str  # "move_stage" | "mark_lost" | "set_next_step" | "set_close_date"
    stage: str | None = None
    reason: str | None = None
    next_step: str | None = None
    close: date | None = None


@dataclass
class EditOutcome:
    """What an edit did: the note for the message (None: leave it), a private reply, and the
    stage the deal is in afterwards (for the select's shown option)."""

    note: str | None
    reply: str | None = None
    stage: str | None = None


def writable_sources(settings: Settings) -> frozenset[str]:
    """The configured sources whose tool takes changes (sheets are read-only: no controls)."""
    names = set()
    for raw in settings.config.sources:
        try:
            if adapter_class(str(raw.get("kind"))).writable:
                names.add(source_name(raw))
        except SourceError:  # an unknown kind: `check` says so; no controls meanwhile
            continue
    return frozenset(names)


def controls_for(settings: Settings) -> Controls | None:
    """The controls' stages and writable sources; None when no source takes changes."""
    sources = writable_sources(settings)
    if not sources:
        return None
    lang = settings.language
    stages = tuple((s.key, s.label(lang)) for s in settings.pipeline.stages)
    return Controls(stages, sources, lang)


def may_edit(settings: Settings, deal: dict[str, Any], user: str,
             lookup: Callable[[str], str | None] | None) -> bool:  # fmt: skip
    """The deal's owner (`[people]` by name or e-mail, else Slack's user with the owner's
    e-mail) and `slack.editors` may change a deal from Slack; nobody else."""
    if user in settings.config.slack.editors:
        return True
    mapped = slack_user(person_index(settings.config.people), deal.get("owner"),
                        deal.get("owner_email"))  # fmt: skip
    if mapped is not None:
        return mapped == user
    email = deal.get("owner_email")
    return bool(email and lookup and lookup(str(email).strip().lower()) == user)


def refusal(settings: Settings, deal: dict[str, Any]) -> str:
    """Why someone who is neither the owner nor an editor may not change the deal."""
    owner = deal.get("owner") or t("slack.no_owner", settings.language)
    return t("edit.denied", settings.language, owner=esc(clip(str(owner), 100)))


def update_for(settings: Settings, deal: dict[str, Any], edit: Edit) -> DealUpdate | str:
    """The `DealUpdate` an edit writes, or why it can't be made (a message for the clicker)."""
    lang, pipeline = settings.language, settings.pipeline
    if edit.kind == "move_stage" or edit.kind == "mark_lost":
        key = edit.stage if edit.kind == "move_stage" else lost_stage(settings)
        stage = pipeline.by_key.get(key or "")
        if stage is None:
            return t("edit.no_stage", lang, stage=esc(clip(str(key), 100)))
        status = pipeline.status_for(stage.key)
        if status is None:
            return t("edit.no_status", lang, stage=esc(stage.label(lang)), stage_key=stage.key)
        if edit.kind == "mark_lost":
            return DealUpdate(status=status, lost_reason=edit.reason, language=lang)
        return DealUpdate(status=status, language=lang)
    if edit.kind == "set_next_step":
        return DealUpdate(next_step=edit.next_step, language=lang)
    return DealUpdate(expected_close=edit.close, language=lang)


def lost_stage(settings: Settings) -> str | None:
    """The first stage whose outcome is lost (where `mark_lost` sends a deal)."""
    return next((s.key for s in settings.pipeline.stages if s.outcome == "lost"), None)


def _unchanged(settings: Settings, deal: dict[str, Any], update: DealUpdate) -> bool:
    """The store already holds every value of `update` (a second identical click)."""
    pipeline = settings.pipeline
    if update.status is not None and pipeline.stage_of(update.status) != deal.get("stage"):
        return False
    if update.lost_reason is not None and update.lost_reason != deal.get("lost_reason"):
        return False
    if update.next_step is not None and update.next_step != deal.get("next_step"):
        return False
    close = update.expected_close.isoformat() if update.expected_close else None
    return close is None or close == deal.get("expected_close")


Writer = Callable[[dict[str, Any], str, DealUpdate], None]


def tool_writer(settings: Settings, http_options: dict[str, Any] | None = None) -> Writer:
    """Writes through the deal's source adapter, built the way `sync` builds it."""
    from bot.sync import make_adapter

    def write(raw: dict[str, Any], task_id: str, update: DealUpdate) -> None:
        adapter = make_adapter(raw, settings.secrets.as_env(), base_dir=settings.base_dir,
                               timezone=settings.config.timezone,
                               http_options=http_options)  # fmt: skip
        try:
            adapter.write(task_id, update)
        finally:
            adapter.close()

    return write


def apply_edit(settings: Settings, store: Store, deal_id: str, edit: Edit, user: str,
               now: datetime, write: Writer, *,
               lookup: Callable[[str], str | None] | None = None) -> EditOutcome:  # fmt: skip
    """Check who asks, write to the tool, then store the change with `by` = `user`.

    The tool's refusal (or any failure to write) is the clicker's reply and nothing is stored;
    a change the store already holds writes nothing anywhere.
    """
    lang = settings.language
    deal = store.deal(deal_id)
    if deal is None or deal["removed"]:
        return EditOutcome(None, t("action.gone", lang))
    if not USER_ID.fullmatch(user) or not may_edit(settings, deal, user, lookup):
        return EditOutcome(None, refusal(settings, deal), deal["stage"])
    raw = next((r for r in settings.config.sources if source_name(r) == deal["source"]), None)
    if raw is None or deal["source"] not in writable_sources(settings):
        return EditOutcome(None, t("edit.read_only", lang, source=esc(deal["source"])))
    update = update_for(settings, deal, edit)
    if isinstance(update, str):
        return EditOutcome(None, update, deal["stage"])
    if _unchanged(settings, deal, update):
        return EditOutcome(None, t("edit.already", lang), deal["stage"])
    try:
        write(raw, str(deal["task_id"]), update)
    except SourceError as exc:
        log.info("%s refused %s on %s by %s: %s", deal["source"], edit.kind, deal_id, user, exc)
        reason = esc(clip(localise(said_of(exc), lang), 500))
        return EditOutcome(None, t("edit.refused", lang,
                                   reason=reason), deal["stage"])  # fmt: skip
    values: dict[str, Any] = {}
    if update.status is not None:
        values["status"] = update.status
    for name in ("lost_reason", "next_step", "expected_close"):
        if getattr(update, name) is not None:
            values[name] = getattr(update, name)
    changed = store.record_edit(deal_id, settings.pipeline, now, user, values)
    after = store.deal(deal_id) or deal
    if not changed:  # a racing identical click stored it first
        return EditOutcome(None, t("edit.already", lang), after["stage"])
    return EditOutcome(note_of(settings, edit, after, user), None, after["stage"])


def note_of(settings: Settings, edit: Edit, deal: dict[str, Any], user: str) -> str:
    """Who did what, for the updated message (mrkdwn, anything typed escaped)."""
    lang = settings.language
    who = f"<@{user}>"
    if edit.kind == "move_stage":
        stage = settings.pipeline.by_key.get(deal["stage"] or "")
        label = stage.label(lang) if stage else str(deal["status"])
        return t("edit.moved", lang, stage=esc(label), user=who)
    if edit.kind == "mark_lost":
        return t("edit.lost", lang, user=who, reason=esc(clip(edit.reason or "—", 300)))
    if edit.kind == "set_next_step":
        return t("edit.next_step", lang, user=who, step=esc(clip(edit.next_step or "", 300)))
    return t("edit.close_date", lang, user=who, date=short_date(edit.close, lang))


def lost_reasons(store: Store, limit: int = 100) -> list[str]:
    """The lost reasons already used, most used first (offered first in the `mark_lost` modal)."""
    rows = store.rows(
        "SELECT lost_reason, COUNT(*) AS n FROM deals WHERE removed = 0 "
        "AND COALESCE(TRIM(lost_reason), '') <> '' GROUP BY lost_reason "
        "ORDER BY n DESC, lost_reason LIMIT ?",
        (limit,),
    )
    return [str(r["lost_reason"]) for r in rows]
