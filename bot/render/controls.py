"""Block Kit for changing a deal from Slack: the controls under a deal, the two modals, and the
message once a change was made. Pure: no Slack calls, no queries.

Every control sits in one actions block per deal whose `block_id` is `<list>:<deal id>`
(`nudge`, `deal`, `open`, `stalled`, `tidy`): the deal comes from there for all four controls
(a date picker and a select carry no value of their own, and an ephemeral answer's payload
carries no message to look beside). A deal whose ID would not fit in a block ID gets no controls.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.i18n import t
from bot.render.mrkdwn import (
    MAX_MESSAGE_BLOCKS,
    Block,
    block_id,
    clip,
    context,
    esc,
    fit,
    section,
)

#: The contract's action IDs of the four controls (the modals' `callback_id`s too).
MOVE, LOST, NEXT_STEP, CLOSE_DATE = "move_stage", "mark_lost", "set_next_step", "set_close_date"
#: Nudge buttons that name the stage the deal was nudged in: void once it moved.
STAGE_BOUND = ("snooze", "snooze_until", "followed_up")
#: Slack's limits for a select's options and a modal.
MAX_OPTIONS, MAX_OPTION_TEXT, MAX_OPTION_VALUE = 100, 75, 150
MAX_MODAL_TITLE, MAX_METADATA = 24, 3000


@dataclass(frozen=True)
class Controls:
    """What the controls need to know: the stages offered (key, label) in pipeline order and
    the sources whose tool takes changes (sheets are read-only: their deals get none)."""

    stages: tuple[tuple[str, str], ...]
    sources: frozenset[str]
    language: str


def source_of(deal: Any) -> str:
    """A deal's source: its own field, else the part of its ID before the first colon."""
    return str(getattr(deal, "source", None) or str(deal.id).partition(":")[0])


def deal_of(block: str) -> str | None:
    """The deal a controls block ID names (`<list>:<deal id>`)."""
    prefix, colon, deal_id = block.partition(":")
    return deal_id if colon and prefix and deal_id and "~" not in block else None


def control_elements(deal: Any, controls: Controls | None) -> list[Block]:
    """The four controls of a deal from a writable source ([] for a sheet's deal)."""
    if controls is None or source_of(deal) not in controls.sources:
        return []
    lang = controls.language
    options = [_option(label, key) for key, label in controls.stages[:MAX_OPTIONS]]
    select: Block = {
        "type": "static_select",
        "action_id": MOVE,
        "placeholder": {"type": "plain_text", "text": t("control.move", lang)},
        "options": options,
    }
    current = next((o for o in options if o["value"] == getattr(deal, "stage", None)), None)
    if current is not None:
        select["initial_option"] = current
    picker: Block = {
        "type": "datepicker",
        "action_id": CLOSE_DATE,
        "placeholder": {"type": "plain_text", "text": t("control.close_date", lang)},
    }
    close = getattr(deal, "expected_close", None)
    if isinstance(close, date):
        picker["initial_date"] = close.isoformat()
    value = json.dumps({"deal": deal.id}, ensure_ascii=False)
    return [
        select,
        picker,
        _button(NEXT_STEP, t("control.next_step", lang), value),
        _button(LOST, t("control.lost", lang), value, style="danger"),
    ]


def controls_block(prefix: str, deal: Any, controls: Controls | None) -> Block | None:
    """The actions block of a deal's controls in a list, or None (read-only, or a huge ID)."""
    elements = control_elements(deal, controls)
    where = block_id(prefix, deal.id)
    if not elements or deal_of(where) != deal.id:
        return None
    return {"type": "actions", "block_id": where, "elements": elements}


def _option(label: str, value: str) -> Block:
    return {"text": {"type": "plain_text", "text": clip(label, MAX_OPTION_TEXT)}, "value": value}


def _button(action_id: str, text: str, value: str, style: str | None = None) -> Block:
    button: Block = {"type": "button", "action_id": action_id,
                     "text": {"type": "plain_text", "text": text}, "value": value}  # fmt: skip
    if style:
        button["style"] = style
    return button


def after_edit(blocks: Sequence[Block], clicked: str, note: str, stage: str | None,
               moved: bool) -> list[Block]:  # fmt: skip
    """The message once a deal was changed from it: its controls stay (the select showing the
    stage it is now in), the nudge buttons bound to the old stage go when it moved, and a note
    right under them says who did what (replacing an earlier one)."""
    done_id = block_id(clicked, "done")
    out: list[Block] = []
    for block in blocks:
        if block.get("block_id") == done_id:
            continue
        if block.get("block_id") != clicked:
            out.append(block)
            continue
        elements = []
        for element in block.get("elements") or []:
            if moved and element.get("action_id") in STAGE_BOUND:
                continue
            if element.get("action_id") == MOVE:
                element = _showing(element, stage)
            elements.append(element)
        if elements:
            out.append({**block, "elements": elements})
        out.append({**context(note), "block_id": done_id})
    return fit(out, MAX_MESSAGE_BLOCKS, "en")


def _showing(select: Block, stage: str | None) -> Block:
    """The select with `stage` as its shown option (none when the stage is not offered)."""
    shown = {k: v for k, v in select.items() if k != "initial_option"}
    option = next((o for o in select.get("options") or [] if o.get("value") == stage), None)
    if option is not None:
        shown["initial_option"] = option
    return shown


# --- modals ------------------------------------------------------------------------------


def lost_modal(title: str, reasons: Sequence[str], metadata: str, language: str) -> Block:
    """`mark_lost`: the reasons already used first (a select), or another one typed."""
    lang = language
    blocks: list[Block] = [section(t("modal.lost.intro", lang, title=esc(clip(title, 200))))]
    options = [_option(r, r) for r in reasons if len(r) <= MAX_OPTION_VALUE][:MAX_OPTIONS]
    if options:
        blocks.append({
            "type": "input", "block_id": "reason_pick", "optional": True,
            "label": {"type": "plain_text", "text": t("modal.lost.pick", lang)},
            "element": {"type": "static_select", "action_id": "reason", "options": options},
        })  # fmt: skip
    blocks.append({
        "type": "input", "block_id": "reason_text", "optional": True,
        "label": {"type": "plain_text", "text": t("modal.lost.other", lang)},
        "element": {"type": "plain_text_input", "action_id": "reason", "max_length": 500},
    })  # fmt: skip
    return _modal(LOST, t("modal.lost.title", lang), blocks, metadata, lang)


def next_step_modal(title: str, current: str | None, metadata: str, language: str) -> Block:
    """`set_next_step`: one text, prefilled with the deal's current next step."""
    lang = language
    element: Block = {"type": "plain_text_input", "action_id": "next_step", "multiline": True,
                      "max_length": 500}  # fmt: skip
    if current:
        element["initial_value"] = current[:500]
    blocks: list[Block] = [
        section(t("modal.next.intro", lang, title=esc(clip(title, 200)))),
        {"type": "input", "block_id": "next_step", "element": element,
         "label": {"type": "plain_text", "text": t("modal.next.label", lang)}},
    ]  # fmt: skip
    return _modal(NEXT_STEP, t("modal.next.title", lang), blocks, metadata, lang)


def _modal(callback: str, title: str, blocks: list[Block], metadata: str, lang: str) -> Block:
    return {
        "type": "modal",
        "callback_id": callback,
        "title": {"type": "plain_text", "text": clip(title, MAX_MODAL_TITLE)},
        "submit": {"type": "plain_text", "text": t("modal.save", lang)},
        "close": {"type": "plain_text", "text": t("modal.cancel", lang)},
        "private_metadata": metadata[:MAX_METADATA],
        "blocks": blocks,
    }


def submitted(view: dict[str, Any], block: str, action: str) -> str | None:
    """The text typed or the option picked in a submitted modal's input (None: left empty)."""
    state = (((view.get("state") or {}).get("values") or {}).get(block) or {}).get(action) or {}
    picked = (state.get("selected_option") or {}).get("value")
    value = picked if picked is not None else state.get("value")
    return str(value).strip() if value is not None and str(value).strip() else None
