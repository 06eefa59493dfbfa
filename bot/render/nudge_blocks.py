"""Block Kit for nudges and their buttons: pure functions of result objects, no Slack calls.

Kept apart from `bot/nudges.py` (who gets what) so the layout can be tested and changed alone,
and so the button handler can rebuild a message after a click without knowing how it was sent.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from bot.analytics import Context, HygieneDeal, StalledDeal
from bot.analytics.hygiene import count_codes
from bot.i18n import t
from bot.render.controls import Controls, control_elements
from bot.render.money import money
from bot.render.mrkdwn import (
    MAX_BUTTON_VALUE,
    MAX_LABEL,
    MAX_MESSAGE_BLOCKS,
    MAX_SECTION_TEXT,
    Block,
    block_id,
    clip,
    context,
    esc,
    fit,
    link,
    notification,
    safe_url,
    section,
)
from bot.render.text import hygiene_counts


@dataclass
class Rendered:
    """One message: notification text, blocks, and the deals it actually lists (the nudged)."""

    text: str
    blocks: list[Block]
    listed: list[StalledDeal] = field(default_factory=list)
    cut: int = 0


def button_value(deal: StalledDeal) -> str:
    """What a button carries: the deal and the stage it was nudged in (a move voids the click)."""
    return json.dumps({"deal": deal.id, "stage": deal.stage}, ensure_ascii=False)


def parse_button_value(value: str) -> tuple[str, str]:
    data = json.loads(value)
    return str(data["deal"]), str(data["stage"])


def deal_block_id(deal_id: str) -> str:
    """The actions block of one deal: `nudge:ID`, or a cut ID and its hash when ID is long."""
    return block_id("nudge", deal_id)


def deal_text(deal: StalledDeal, ctx: Context) -> str:
    """Client, stage, idle days, amount and what to do, in a few mrkdwn lines."""
    lang = ctx.language
    head = f"*{link(deal.url, deal.title or deal.id)}*"
    if deal.client:
        head += f" · {esc(clip(deal.client, MAX_LABEL))}"
    stage = ctx.pipeline.by_key.get(deal.stage)
    label = stage.label(lang) if stage else deal.stage
    facts = [esc(label), t("idle.of", lang, idle=deal.idle_days, limit=deal.stall_days)]
    if deal.amount is not None:
        facts.append(money(deal.amount, ctx.currency, lang))
    step = esc(clip(deal.next_step or "", 500))
    if deal.waiting_on == "client":
        todo = t("nudge.chase", lang, step=step) if step else t("nudge.chase.plain", lang)
    else:
        todo = t("nudge.next", lang, step=step) if step else ""
    lines = [head, " · ".join(facts)] + ([todo] if todo else [])
    return clip("\n".join(lines), MAX_SECTION_TEXT)


def link_button(deal: StalledDeal, ctx: Context) -> Block | None:
    """ "Open task" for an http(s) URL Slack accepts; none for `javascript:` or 5,000 characters."""
    url = safe_url(deal.url)
    if url is None:
        return None
    return {
        "type": "button",
        "action_id": "open_task",
        "text": {"type": "plain_text", "text": t("button.open", ctx.language)},
        "url": url,
    }


def deal_blocks(deal: StalledDeal, ctx: Context, snooze_days: int,
                controls: Controls | None = None) -> list[Block]:  # fmt: skip
    """A section and its buttons: link to the task, `snooze`, `followed_up` (contract IDs), and a
    date picker to snooze until a chosen date.

    A deal whose ID would not fit in a button's 2,000-character value gets the link alone: a cut
    value could not name the deal, and the message must still be accepted.
    """
    lang = ctx.language
    value = button_value(deal)
    elements: list[Block] = []
    opener = link_button(deal, ctx)
    if opener:
        elements.append(opener)
    section_block = {"type": "section", "text": {"type": "mrkdwn", "text": deal_text(deal, ctx)}}
    if len(value) > MAX_BUTTON_VALUE:
        actions = {"type": "actions", "block_id": deal_block_id(deal.id), "elements": elements}
        return [section_block, actions] if elements else [section_block]
    elements.append({
        "type": "button",
        "action_id": "snooze",
        "text": {"type": "plain_text", "text": t("button.snooze", lang, n=snooze_days)},
        "value": value,
    })  # fmt: skip
    elements.append({  # "snooze until <date>": the deal comes from the snooze button beside it
        "type": "datepicker",
        "action_id": "snooze_until",
        "placeholder": {"type": "plain_text", "text": t("picker.snooze_until", lang)},
    })  # fmt: skip
    elements.append({
        "type": "button",
        "action_id": "followed_up",
        "style": "primary",
        "text": {"type": "plain_text", "text": t("button.followed_up", lang)},
        "value": value,
    })  # fmt: skip
    elements += control_elements(deal, controls)  # move, close date, next step, lost
    return [
        section_block,
        {"type": "actions", "block_id": deal_block_id(deal.id), "elements": elements},
    ]


def tidy_line(tidy: Sequence[HygieneDeal], language: str) -> str:
    """The hygiene line of a nudge: how many of the owner's open deals need tidying, by code
    ("" when none: the line rides along, it never makes a message)."""
    if not tidy:
        return ""
    codes = hygiene_counts(count_codes(tidy), language, sep=", ")
    return t("hygiene.nudge", language, n=len(tidy), codes=esc(codes))


def owner_message(owner: str, deals: Sequence[StalledDeal], ctx: Context, *, max_deals: int,
                  snooze_days: int, tidy: Sequence[HygieneDeal] = (),
                  controls: Controls | None = None) -> Rendered:  # fmt: skip
    """One owner's nudge: their deals longest idle first, at most `max_deals` and no more than
    Slack's block limit allows, then "… and N more" (those are not counted as nudged); the
    last line says how many of their open deals need tidying (`tidy`)."""
    lang = ctx.language
    blocks: list[Block] = [section(t("nudge.intro", lang, owner=esc(owner), n=len(deals)))]
    listed: list[StalledDeal] = []
    for deal in deals[:max_deals]:
        more = deal_blocks(deal, ctx, snooze_days, controls)
        if len(blocks) + len(more) > MAX_MESSAGE_BLOCKS - 1:  # one block kept for "… and N more"
            break
        blocks.extend(more)
        listed.append(deal)
    cut = len(deals) - len(listed)
    tail = [t("more", lang, n=cut)] if cut else []
    tail += [line] if (line := tidy_line(tidy, lang)) else []
    if tail:  # the block kept for "… and N more" also carries the hygiene line
        blocks.append(context(*tail))
    return _rendered(t("nudge.fallback", lang, n=len(deals)), blocks, listed, cut, lang)


def _rendered(text: str, blocks: list[Block], listed: list[StalledDeal], cut: int,
              language: str) -> Rendered:  # fmt: skip
    """The message through the limit pass every message takes (`bot.render.mrkdwn.fit`)."""
    return Rendered(notification(text), fit(blocks, MAX_MESSAGE_BLOCKS, language), listed, cut)


def team_message(by_owner: Sequence[tuple[str, Sequence[StalledDeal]]], ctx: Context, *,
                 max_deals: int, snooze_days: int,
                 tidy: Mapping[str, Sequence[HygieneDeal]] | None = None,
                 controls: Controls | None = None) -> Rendered:  # fmt: skip
    """The team-channel message for owners with no Slack user, cut at Slack's block limit.

    Each owner lists at most `max_deals`; when the blocks run out the rest is summed up in one
    "… and N more" line. Only the deals actually shown count as nudged. Each owner's heading
    says how many of their open deals need tidying (`tidy`, by owner name).
    """
    lang = ctx.language
    names = ", ".join(owner for owner, _ in by_owner)
    blocks: list[Block] = [section(t("nudge.team.intro", lang, owners=esc(names)))]
    listed: list[StalledDeal] = []
    cut = 0
    room = MAX_MESSAGE_BLOCKS - 1  # one block kept for the final "… and N more"
    for owner, deals in by_owner:
        shown = list(deals[:max_deals])
        cut += len(deals) - len(shown)
        if len(blocks) + 1 + 2 > room:
            cut += len(shown)
            continue
        heading = t("nudge.owner.heading", lang, owner=esc(owner), n=len(deals))
        line = tidy_line((tidy or {}).get(owner, ()), lang)
        blocks.append(section(f"{heading}\n{line}" if line else heading))
        for index, deal in enumerate(shown):
            if len(blocks) + 2 > room:
                cut += len(shown) - index
                break
            blocks.extend(deal_blocks(deal, ctx, snooze_days, controls))
            listed.append(deal)
    if cut:
        blocks.append(context(t("more", lang, n=cut)))
    return _rendered(t("nudge.team.fallback", lang, owners=esc(names)), blocks, listed, cut, lang)


def after_click(blocks: Sequence[Block], clicked_block: str, note: str) -> list[Block]:
    """The message once a button was used: that deal's buttons give way to who did what.

    The link button stays (the task is still worth opening); other deals keep their buttons.
    """
    done_id = block_id(clicked_block, "done")
    note_block = {**context(note), "block_id": done_id}
    out: list[Block] = []
    noted = False
    for block in blocks:
        if block.get("block_id") == clicked_block:
            links = [e for e in block.get("elements", []) if e.get("url")]
            if links:
                out.append({"type": "actions", "block_id": clicked_block, "elements": links})
        elif block.get("block_id") != done_id:  # a note from an earlier click is replaced
            out.append(block)
            continue
        if not noted:
            out.append(note_block)
            noted = True
    return fit(out, MAX_MESSAGE_BLOCKS, "en")


def plain(rendered: Rendered) -> str:
    """The message as terminal text (for `--dry-run`): each block's text, buttons left out."""
    lines: list[str] = []
    for block in rendered.blocks:
        if block["type"] == "section":
            lines.append(block["text"]["text"])
        elif block["type"] == "context":
            lines.extend(e["text"] for e in block["elements"])
    return "\n".join(lines)
