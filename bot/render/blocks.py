"""Result objects → Slack Block Kit, always within Slack's limits. Pure: no Slack calls, no queries.

One renderer per result type, registered like `bot/render/text.py`; a result type without one
(a query added later) falls back to its terminal rendering in code-block sections, so every query
answers in Slack from the day it exists. Long answers are cut with "… and N more" and a hint on
how to narrow the question, because Slack rejects a message over its limits outright.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, is_dataclass
from datetime import tzinfo
from typing import Any

from bot.analytics import (
    Changes,
    DealList,
    DealSearch,
    DealView,
    Forecast,
    Funnel,
    FunnelStage,
    Hygiene,
    HygieneDeal,
    Lost,
    Owners,
    Stalled,
    StalledDeal,
    Summary,
    Totals,
    Unmapped,
)
from bot.analytics.accuracy import Accuracy
from bot.analytics.calibration import Calibration
from bot.home import Home
from bot.i18n import t
from bot.query import Help
from bot.render.controls import Controls, controls_block
from bot.render.money import days_text, money, month_name, number, percent, short_date
from bot.render.mrkdwn import (  # noqa: F401 - re-exported for the Slack listeners
    MAX_ACTION_ELEMENTS,
    MAX_BUTTON_TEXT,
    MAX_BUTTON_VALUE,
    MAX_CONTEXT_ELEMENTS,
    MAX_CONTEXT_TEXT,
    MAX_FALLBACK_TEXT,
    MAX_FIELD_TEXT,
    MAX_FIELDS,
    MAX_HEADER_TEXT,
    MAX_HOME_BLOCKS,
    MAX_LINK_URL,
    MAX_MESSAGE_BLOCKS,
    MAX_SECTION_TEXT,
    MAX_URL,
    Block,
    Blocks,
    clip,
    context,
    divider,
    esc,
    fit,
    header,
    labelled,
    link,
    notification,
    section,
)
from bot.render.registry import Registry
from bot.settings import person_index, slack_user

# Slack's limits (https://api.slack.com/reference/block-kit) (the limits table there).

#: Deals listed one per section in a message / per App Home list before "… and N more".
MESSAGE_DEALS = 20
#: One-line rows (changes, owners) in one message before "… and N more".
MESSAGE_LINES = 40
HOME_DEALS = 15
#: With each deal's controls (two blocks a deal), 14 a list keep the three lists, their
#: headings and the team's figures within the Home's 100 blocks (97).
HOME_DEALS_WITH_CONTROLS = 14


@dataclass(frozen=True)
class BlockStyle:
    """How to write for Slack: language, money, zone, stage labels and `[people]` mentions."""

    language: str
    currency: str
    tz: tzinfo
    people: Mapping[str, str] = field(default_factory=dict)  # normalised name/e-mail → Slack ID
    stage_labels: Mapping[str, str] = field(default_factory=dict)
    #: the controls under each deal from a writable source (None: read-only everywhere)
    controls: Controls | None = None

    def money(self, value: float | None) -> str:
        return money(value, self.currency, self.language)

    def date(self, value: Any) -> str:
        return short_date(value, self.language, self.tz)

    def stage(self, key: str | None) -> str:
        return esc(self.stage_labels.get(key or "", key or "—"))

    def owner(self, name: str | None, email: str | None = None) -> str:
        """`<@U…>` when `[people]` knows the owner by name or e-mail, else the name."""
        user = slack_user(self.people, name, email)
        if user:
            return f"<@{user}>"
        return esc(clip(name, 100)) if name else f"_{t('slack.no_owner', self.language)}_"


def style_for(settings: Any) -> BlockStyle:
    """The block style of a `Settings` (kept loose-typed so this module stays import-light)."""
    from bot.edits import controls_for

    config = settings.config
    return BlockStyle(
        language=config.language,
        currency=config.currency,
        tz=settings.tz,
        people=person_index(config.people),
        stage_labels={s.key: s.label(config.language) for s in settings.pipeline.stages},
        controls=controls_for(settings),
    )


# --- the registry ----------------------------------------------------------------------------

BlockRenderer = Callable[[Any, BlockStyle], Blocks]
#: The Block Kit rendering of each result type (others fall back to their text rendering).
RENDERERS: Registry[BlockRenderer] = Registry()
renderer = RENDERERS.register


def render(result: Any, style: BlockStyle, max_blocks: int = MAX_MESSAGE_BLOCKS) -> Blocks:
    """The blocks of one answer; the terminal text in code blocks for types without a renderer."""
    func = RENDERERS.get(type(result))
    blocks = (
        func(result, style) if func else text_blocks(_as_text(result, style), style, max_blocks)
    )
    return fit(blocks, max_blocks, style.language)


def message(result: Any, style: BlockStyle, *, public: bool = False) -> dict[str, Any]:
    """A complete slash-command answer: `response_type`, notification `text` and `blocks`."""
    blocks = render(result, style)
    return {
        "response_type": "in_channel" if public else "ephemeral",
        "text": notification(_headline(blocks)),
        "blocks": blocks,
    }


def notice(text: str) -> dict[str, Any]:
    """An ephemeral one-section message (errors, refusals, "working on it"); `text` is mrkdwn
    with anything from a user already escaped."""
    return {
        "response_type": "ephemeral",
        "text": notification(text),
        "blocks": fit([section(text)], MAX_MESSAGE_BLOCKS, "en"),
    }


def _headline(blocks: Blocks) -> str:
    """The first line a person would read, as mrkdwn: the notification text of the message.

    A header is plain_text (not escaped), so its line is escaped here: the notification is
    parsed like any mrkdwn, and `Open deals of Bob <!channel>` must not ping the channel.
    """
    for block in blocks:
        text = block.get("text")
        if isinstance(text, dict) and text.get("text"):
            for line in str(text["text"]).splitlines():
                if line.strip() and line.strip() != "```":
                    return esc(line.strip()) if text.get("type") == "plain_text" else line.strip()
    return "pipeline-bot"


def _as_text(result: Any, style: BlockStyle) -> str:
    from bot.render import text as text_render

    if type(result) in text_render.RENDERERS:
        return text_render.render(
            result, text_render.Style(style.language, style.currency, style.tz)
        )
    data = asdict(result) if is_dataclass(result) and not isinstance(result, type) else repr(result)
    return json.dumps(data, ensure_ascii=False, indent=1, default=str)


def text_blocks(text: str, style: BlockStyle, max_blocks: int = MAX_MESSAGE_BLOCKS) -> Blocks:
    """Preformatted text split into code-block sections of at most 3,000 characters each."""
    room = MAX_SECTION_TEXT - len("```\n\n```")
    chunks: list[list[str]] = [[]]
    size = 0
    lines = [clip(line, room) for line in text.splitlines()] or [""]
    for line in lines:
        if chunks[-1] and size + len(line) + 1 > room:
            chunks.append([])
            size = 0
        chunks[-1].append(line)
        size += len(line) + 1
    blocks: Blocks = []
    for index, chunk in enumerate(chunks):
        if index == max_blocks - 1 and index < len(chunks) - 1:
            left = sum(len(c) for c in chunks[index:])
            blocks.append(
                context(
                    f"{t('slack.more_lines', style.language, n=left)}. "
                    f"{t('slack.narrow', style.language)}"
                )
            )
            break
        body = "\n".join(chunk).replace("```", "ˋˋˋ")
        blocks.append(section(f"```\n{esc(body)}\n```"))
    return blocks


# --- renderers -------------------------------------------------------------------------------


def _figures(
    count: int, amount: float, weighted: float | None, stalled: int, style: BlockStyle
) -> str:
    lang = style.language
    parts = [t("slack.deals", lang, n=count), style.money(amount)]
    if weighted is not None:
        parts.append(t("slack.weighted", lang, amount=style.money(weighted)))
    if stalled:
        parts.append(t("slack.stalled_count", lang, n=stalled))
    return " · ".join(parts)


def _totals(totals: Totals, style: BlockStyle) -> str:
    return _figures(totals.count, totals.amount, totals.weighted, 0, style)


def _as_of_line(result: Any, style: BlockStyle) -> Block:
    return context(t("as_of", style.language, date=style.date(result.as_of)))


@renderer(Summary)
def summary_blocks(result: Summary, style: BlockStyle) -> Blocks:
    lang = style.language
    blocks: Blocks = [header(t("summary.title", lang)), _as_of_line(result, style)]
    for row in result.stages:
        weighted = row.weighted if row.outcome is None else None
        blocks.append(
            section(
                f"*{esc(row.label)}*\n"
                f"{_figures(row.count, row.amount, weighted, row.stalled, style)}"
            )
        )
    blocks.append(divider())
    blocks.append(section(f"*{t('open.total', lang)}*\n{_totals(result.open, style)}"))
    if result.unmapped:
        blocks.append(context(t("unmapped.note", lang, count=result.unmapped)))
    if result.age_unknown:
        blocks.append(context(t("age_unknown.note", lang, count=result.age_unknown)))
    return blocks


def deal_text(
    url: str | None, title: str, client: str | None, facts: list[str], next_step: str | None = None
) -> str:
    """The mrkdwn of one deal: linked title and client, a line of facts, the next step."""
    head = f"*{link(url, title)}*" + (f" · {esc(clip(client, 200))}" if client else "")
    step = f"\n➡️ {esc(clip(next_step, 500))}" if next_step else ""
    return f"{head}\n{' · '.join(facts)}{step}"


def stalled_line(deal: StalledDeal, style: BlockStyle) -> str:
    """One stalled deal: link, client, owner mention, stage, idle days, amount, next step."""
    lang = style.language
    facts = [
        style.owner(deal.owner, deal.owner_email),
        style.stage(deal.stage),
        t("idle.of", lang, idle=deal.idle_days, limit=deal.stall_days),
        style.money(deal.amount),
    ]
    step = deal.next_step or (t("chase.client", lang) if deal.waiting_on == "client" else "")
    return deal_text(deal.url, deal.title, deal.client, facts, step)


def _cut_deals(
    items: list[Any], limit: int, style: BlockStyle, hint: str, total: int | None = None
) -> tuple[list[Any], Block | None]:
    """The first `limit` items and "… and N more" (`total`: how many when `items` holds only the
    first ones)."""
    total = len(items) if total is None else total
    if total <= limit:
        return items, None
    more = t("more", style.language, n=total - limit)
    return items[:limit], context(f"{more}. {hint}")


def _deal_sections(items: list[Any], limit: int, style: BlockStyle, hint: str, line: Any,
                   where: str = "deal", total: int | None = None) -> Blocks:  # fmt: skip
    """One section per deal (`line(deal, style)`), each followed by its controls when its
    source takes changes (block ID `<where>:<deal id>`), cut at `limit` with "… and N more"."""
    shown, more = _cut_deals(items, limit, style, hint, total)
    blocks: Blocks = []
    for deal in shown:
        blocks.append(section(line(deal, style)))
        if (controls := controls_block(where, deal, style.controls)) is not None:
            blocks.append(controls)
    return blocks + ([more] if more else [])


@renderer(Stalled)
def stalled_blocks(result: Stalled, style: BlockStyle) -> Blocks:
    lang = style.language
    if not result.deals:
        return [section(t("stalled.none", lang)), _as_of_line(result, style)]
    blocks: Blocks = [
        header(t("slack.stalled_head", lang, n=result.count)),
        _as_of_line(result, style),
    ]
    blocks += _deal_sections(result.deals, MESSAGE_DEALS, style, t("slack.narrow", lang),
                             stalled_line, total=result.count)  # fmt: skip
    return blocks


@renderer(Help)
def help_blocks(result: Help, style: BlockStyle) -> Blocks:
    lang = style.language
    lines = [
        f"`/pipeline {esc(usage)}` ({esc(french)}): {esc(description)}"
        for usage, french, description in result.queries
    ]
    return [
        header(t("help.title", lang)),
        section("\n".join(lines)),
        context(t("help.public", lang)),
    ]


def _owner_of(deal: DealView, style: BlockStyle) -> str:
    return style.owner(deal.owner, deal.owner_email)


def _stage_of(deal: DealView, style: BlockStyle) -> str:
    if deal.stage_label:
        return esc(deal.stage_label)
    return esc(f"{t('unmapped.stage', style.language)} {deal.status or ''}".rstrip())


def deal_line(deal: DealView, style: BlockStyle) -> str:
    """One deal of a list: link, client, owner, stage, days in stage, amount, close date, and the
    next step when it is stalled (what the manager should do about it)."""
    lang = style.language
    facts = [_owner_of(deal, style), _stage_of(deal, style)]
    if deal.idle_days is not None:
        idle = t("slack.stage_idle", lang, idle=deal.idle_days)
        facts.append(f"⚠️ {idle} ({t('deal.stalled', lang)})" if deal.stalled else idle)
    facts.append(style.money(deal.amount))
    if deal.expected_close:
        facts.append(f"📅 {style.date(deal.expected_close)}")
    step = deal.next_step if deal.stalled else None
    return deal_text(deal.url, deal.title, deal.client, facts, step)


@renderer(DealList)
def deal_list_blocks(result: DealList, style: BlockStyle) -> Blocks:
    lang = style.language
    subject, sums = ", ".join(result.subject), result.all
    if result.kind == "stage":
        title = t("stage.title", lang, stage=subject, n=sums.count)
    else:
        title = t("owner.title", lang, owners=subject or "—", n=sums.count)
    blocks: Blocks = [header(title), _as_of_line(result, style)]
    if not result.deals:
        return [*blocks, section(t("list.none", lang))]
    blocks.append(section(_totals(sums.totals(), style)))
    return blocks + _deal_sections(result.deals, MESSAGE_DEALS, style, t("slack.narrow", lang),
                                   deal_line, total=sums.count)  # fmt: skip


@renderer(DealSearch)
def deal_search_blocks(result: DealSearch, style: BlockStyle) -> Blocks:
    lang = style.language
    if not result.deals:
        return [section(esc(t("deal.none", lang, text=result.text)))]
    blocks: Blocks = [header(t("deal.title", lang, text=result.text, n=result.count))]
    shown, more = _cut_deals(result.deals, 10, style, t("slack.narrow", lang), result.count)
    for deal in shown:
        weighted = t("slack.weighted", lang, amount=style.money(deal.weighted))
        facts = [
            f"{_owner_of(deal, style)} · {_stage_of(deal, style)}",
            f"{style.money(deal.amount)} ({weighted})"
            + (f" · 📅 {style.date(deal.expected_close)}" if deal.expected_close else ""),
        ]
        if deal.stage_entered is not None:
            since = f"{t('deal.idle', lang)} {style.date(deal.stage_entered)}"
            if deal.idle_days is not None:
                since += f" ({t('days', lang, n=deal.idle_days)}"
                since += f", {t('deal.stalled', lang)})" if deal.stalled else ")"
            facts.append(since)
        if deal.next_step:
            facts.append(f"➡️ {esc(clip(deal.next_step, 500))}")
        if deal.lost_reason:
            facts.append(labelled(t("col.reason", lang), esc(clip(deal.lost_reason, 300)), lang))
        client = f" · {esc(clip(deal.client, 200))}" if deal.client else ""
        blocks.append(section(f"*{link(deal.url, deal.title)}*{client}\n" + "\n".join(facts)))
        if deal.history:
            moves = [
                f"{style.date(e.at)} → {esc(e.to_label or t('unmapped.stage', lang))}"
                + (f" {t('by.user', lang, user=f'<@{e.by}>')}" if e.by else "")
                for e in deal.history[-8:]
            ]
            blocks.append(context(f"{t('deal.history', lang)} " + " · ".join(moves)))
        if (controls := controls_block("deal", deal, style.controls)) is not None:
            blocks.append(controls)
    return [*blocks, more] if more else blocks


def _packed(lines: list[str], style: BlockStyle, limit: int) -> Blocks:
    """Lines packed into as few sections as fit, at most `limit` sections and `MESSAGE_LINES`
    lines (a message people read, not a dump), then "… and N more"."""
    if len(lines) > MESSAGE_LINES:
        hidden = len(lines) - MESSAGE_LINES
        more = context(
            f"{t('more', style.language, n=hidden)}. {t('slack.narrow', style.language)}"
        )
        return [*_packed(lines[:MESSAGE_LINES], style, limit - 1), more]
    blocks: Blocks = []
    current: list[str] = []
    for index, line in enumerate(lines):
        if current and len("\n".join([*current, line])) > MAX_SECTION_TEXT:
            blocks.append(section("\n".join(current)))
            current = []
            if len(blocks) == limit:
                left = len(lines) - index
                return [
                    *blocks,
                    context(
                        f"{t('more', style.language, n=left)}. {t('slack.narrow', style.language)}"
                    ),
                ]
        current.append(clip(line, MAX_SECTION_TEXT))
    if current:
        blocks.append(section("\n".join(current)))
    return blocks


@renderer(Changes)
def changes_blocks(result: Changes, style: BlockStyle) -> Blocks:
    lang = style.language
    since = style.date(result.since)
    if not result.events:
        return [section(t("changes.none", lang, date=since))]
    nothing = t("unmapped.stage", lang)
    lines = [
        f"`{style.date(e.at)}` "
        + labelled(
            f"*{esc(clip(e.title, 200))}*",
            esc(
                t(f"change.{e.kind}", lang, from_=e.from_label or nothing, to=e.to_label or nothing)
            )
            + (f" {t('by.user', lang, user=f'<@{e.by}>')}" if e.by else ""),
            lang,
        )
        + f" · {style.money(e.amount)} · {style.owner(e.owner)}"
        for e in result.events
    ]
    head = header(t("changes.title", lang, date=since, n=len(result.events)))
    return [head, *_packed(lines, style, MAX_MESSAGE_BLOCKS - 3)]


@renderer(Owners)
def owners_blocks(result: Owners, style: BlockStyle) -> Blocks:
    lang = style.language
    if not result.owners:
        return [section(t("owners.none", lang))]
    lines = [
        labelled(
            style.owner(o.owner) if o.owner else t("owner.nobody", lang),
            _figures(o.open, o.amount, o.weighted, o.stalled, style),
            lang,
        )
        for o in result.owners
    ]
    total = _figures(
        sum(o.open for o in result.owners),
        sum(o.amount for o in result.owners),
        sum(o.weighted for o in result.owners),
        sum(o.stalled for o in result.owners),
        style,
    )
    return [
        header(t("owners.title", lang)),
        _as_of_line(result, style),
        *_packed(lines, style, MAX_MESSAGE_BLOCKS - 5),
        divider(),
        section(labelled(f"*{t('total', lang)}*", total, lang)),
    ]


@renderer(Forecast)
def forecast_blocks(result: Forecast, style: BlockStyle) -> Blocks:
    lang = style.language

    def figures(totals: Totals) -> str:
        text = _totals(totals, style)
        if totals.count and totals.low is not None and totals.high is not None:
            low, high = style.money(totals.low), style.money(totals.high)
            text += " · " + t("slack.range", lang, low=low, high=high)
        return text

    def line(label: str, totals: Totals) -> str:
        return labelled(f"*{esc(label)}*", figures(totals), lang)

    months = [line(month_name(m.month, lang),
                   Totals(m.count, m.amount, m.weighted, m.low, m.high))
              for m in result.months]  # fmt: skip
    return [
        header(t("forecast.title", lang)),
        _as_of_line(result, style),
        section(line(t("forecast.overdue", lang), result.overdue)),
        *_packed(months, style, MAX_MESSAGE_BLOCKS - 8),
        section(
            line(t("forecast.later", lang), result.later)
            + "\n"
            + line(t("forecast.no_date", lang), result.no_date)
        ),
        divider(),
        section(f"*{t('open.total', lang)}*\n{figures(result.open)}"),
    ]


@renderer(Funnel)
def funnel_blocks(result: Funnel, style: BlockStyle) -> Blocks:
    lang = style.language

    def line(stage: FunnelStage) -> str:
        facts = " · ".join(
            (
                t("slack.deals", lang, n=stage.reached),
                labelled(t("col.conversion", lang), percent(stage.conversion, lang), lang),
                labelled(t("col.median", lang), days_text(stage.median_days, lang), lang),
            )
        )
        mark = "⚠️ " if stage.bottleneck else ""
        return mark + labelled(f"*{esc(stage.label)}*", facts, lang)

    lines = [line(stage) for stage in result.stages]
    blocks: Blocks = [header(t("funnel.title", lang)), _as_of_line(result, style)]
    blocks += _packed(lines, style, MAX_MESSAGE_BLOCKS - 5)
    blocks.append(context(t("funnel.won", lang, n=result.won)))
    worst = next((s for s in result.stages if s.bottleneck), None)
    if worst is not None:
        rate = percent(worst.conversion, lang)
        blocks.append(section(t("funnel.bottleneck", lang, stage=esc(worst.label), rate=rate)))
    return blocks


@renderer(Lost)
def lost_blocks(result: Lost, style: BlockStyle) -> Blocks:
    lang = style.language
    if not result.reasons:
        return [section(t("lost.none", lang))]
    lines = [
        labelled(
            f"*{esc(r.label)}*",
            f"{t('slack.deals', lang, n=r.count)} · {style.money(r.amount)}",
            lang,
        )
        for r in result.reasons
    ]
    total = f"{t('slack.deals', lang, n=result.count)} · {style.money(result.amount)}"
    return [
        header(t("lost.title", lang)),
        _as_of_line(result, style),
        *_packed(lines, style, MAX_MESSAGE_BLOCKS - 5),
        divider(),
        section(labelled(f"*{t('total', lang)}*", total, lang)),
    ]


@renderer(Unmapped)
def unmapped_blocks(result: Unmapped, style: BlockStyle) -> Blocks:
    lang = style.language
    if not result.statuses:
        return [section(t("unmapped.none", lang))]
    lines = [f"{esc(s.quoted(lang))}: {t('slack.deals', lang, n=s.count)}" for s in result.statuses]
    return [
        header(clip(t("unmapped.title", lang, n=result.count), 150)),
        *_packed(lines, style, MAX_MESSAGE_BLOCKS - 4),
        context(esc(result.fix(lang))),
    ]


def hygiene_line(deal: HygieneDeal, style: BlockStyle) -> str:
    """One deal to tidy: link, client, owner, stage, then each problem on its own line."""
    facts = [style.owner(deal.owner, deal.owner_email), style.stage(deal.stage)]
    problems = "\n".join(f"• {esc(p.detail)}" for p in deal.problems)
    return f"{deal_text(deal.url, deal.title, deal.client, facts)}\n{problems}"


@renderer(Hygiene)
def hygiene_blocks(result: Hygiene, style: BlockStyle) -> Blocks:
    from bot.render.text import hygiene_counts

    lang = style.language
    if not result.deals:
        return [section(t("hygiene.none", lang)), _as_of_line(result, style)]
    blocks: Blocks = [
        header(t("hygiene.title", lang)),
        _as_of_line(result, style),
        section(f"*{t('hygiene.count', lang, n=len(result.deals))}*\n"
                f"{esc(hygiene_counts(result.counts, lang))}"),
    ]  # fmt: skip
    blocks += _deal_sections(result.deals, MESSAGE_DEALS, style, t("slack.narrow", lang),
                             hygiene_line)  # fmt: skip
    return blocks


@renderer(Calibration)
def calibration_blocks(result: Calibration, style: BlockStyle) -> Blocks:
    """A line per stage in the sales manager's words, then the back-test and what to do."""
    from bot.render.text import calibration_lines

    lang = style.language
    lines = calibration_lines(result, lang)
    stages, rest = (
        lines[: len(result.stages)],
        [line for line in lines[len(result.stages) :] if line],
    )
    explain = t("calibration.explain", lang, weight=number(result.prior_weight, lang))
    return [
        header(t("calibration.title", lang)),
        _as_of_line(result, style),
        *_packed([esc(line) for line in stages], style, MAX_MESSAGE_BLOCKS - 6),
        divider(),
        section(esc("\n".join(rest))),
        context(esc(explain)),
    ]


@renderer(Accuracy)
def accuracy_blocks(result: Accuracy, style: BlockStyle) -> Blocks:
    lang = style.language

    def line(m: Any) -> str:
        mark = " *" if m.lookahead else ""
        within = "✅" if m.low <= m.won <= m.high else "❌"
        facts = " · ".join((
            labelled(t("col.forecast_then", lang), style.money(m.forecast), lang),
            t("slack.range", lang, low=style.money(m.low), high=style.money(m.high)),
            labelled(t("col.won", lang), style.money(m.won), lang),
        ))  # fmt: skip
        return f"{within} *{esc(month_name(m.month, lang))}{mark}* — {facts}"

    blocks: Blocks = [header(t("accuracy.title", lang)), _as_of_line(result, style)]
    blocks += _packed([line(m) for m in result.months], style, MAX_MESSAGE_BLOCKS - 5)
    summary = t("accuracy.summary", lang, mae=style.money(result.mae),
                within=result.within_range, n=len(result.months))  # fmt: skip
    blocks += [divider(), section(esc(summary))]
    if any(m.lookahead for m in result.months):
        blocks.append(context(esc(t("accuracy.lookahead", lang))))
    return blocks


# --- App Home --------------------------------------------------------------------------------


def home_view(home: Home, style: BlockStyle) -> dict[str, Any]:
    """The App Home tab (`views.publish`): ≤ 100 blocks, the user's deals first."""
    lang = style.language
    blocks: Blocks = [header(t("home.title", lang)), _as_of_line(home, style)]
    see_all = t("home.see_all", lang)
    limit = HOME_DEALS if style.controls is None else HOME_DEALS_WITH_CONTROLS
    if not home.linked:
        blocks.append(section(t("home.unknown_user", lang, user=home.user)))
    else:
        blocks += [header(t("home.open", lang))]
        if home.open_deals:
            blocks.append(section(_totals(home.open, style)))
            blocks += _deal_sections(home.open_deals, limit, style, see_all, deal_line,
                                     "open")  # fmt: skip
        else:
            blocks.append(section(t("home.open.none", lang)))
        blocks += [divider(), header(t("home.stalled", lang))]
        if home.stalled:
            blocks += _deal_sections(home.stalled, limit, style, see_all, deal_line,
                                     "stalled")  # fmt: skip
        else:
            blocks.append(section(t("home.stalled.none", lang)))
        blocks += [divider(), header(t("home.hygiene", lang))]
        if home.tidy:
            blocks += _deal_sections(home.tidy, limit, style, see_all, hygiene_line,
                                     "tidy")  # fmt: skip
        else:
            blocks.append(section(t("home.hygiene.none", lang)))
    if home.team is not None:
        team = home.team
        lines = [
            labelled(
                f"*{esc(row.label)}*",
                _figures(row.count, row.amount, None, row.stalled, style),
                lang,
            )
            for row in team.stages
        ]
        blocks += [
            divider(),
            header(t("home.team", lang)),
            section("\n".join(lines)),
            section(f"*{t('open.total', lang)}*\n{_totals(team.open, style)}"),
        ]
    return {"type": "home", "blocks": fit(blocks, MAX_HOME_BLOCKS, lang)}


def notice_view(text: str) -> dict[str, Any]:
    """An App Home holding one message (access refused, loading failed): no figures."""
    return {"type": "home", "blocks": fit([section(text)], MAX_HOME_BLOCKS, "en")}
