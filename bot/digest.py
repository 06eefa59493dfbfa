"""The weekly pipeline review: where the pipeline stands and what moved in the last 7 days.

Last week's picture is rebuilt from `stage_events` (each deal's stage at as-of − 7 days), with
today's amounts: the store keeps the history of stages, not of amounts. Built as a plain
`Digest` first, then rendered to Block Kit (Slack) or text (`--dry-run`).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot import analytics
from bot.analytics import Context, FunnelStage, MonthBucket, StalledDeal
from bot.analytics.accuracy import AccuracyMonth, accuracy
from bot.analytics.calibration import calibration
from bot.answers import context_for
from bot.i18n import t
from bot.outbox import Attachment, Outbox, SlackRefused
from bot.render.money import money, month_name, number, short_date
from bot.render.mrkdwn import (
    MAX_LABEL,
    MAX_MESSAGE_BLOCKS,
    MAX_SECTION_TEXT,
    clip,
    esc,
    fit_lines,
    header,
    link,
    payload,
    section,
)
from bot.render.text import hygiene_counts
from bot.settings import Settings
from bot.store import Store

log = logging.getLogger(__name__)

WEEK = timedelta(days=7)
LONGEST = 5


@dataclass
class StageLine:
    key: str
    label: str
    count: int
    amount: float
    count_before: int
    amount_before: float


@dataclass
class Digest:
    as_of: datetime
    since: datetime
    stages: list[StageLine]
    open_weighted: float
    new: list[dict[str, Any]]
    won: list[dict[str, Any]]
    lost: list[dict[str, Any]]
    lost_reasons: list[tuple[str | None, int, float]]
    stalled_count: int
    longest: list[StalledDeal]
    forecast: list[MonthBucket] = field(default_factory=list)
    bottleneck: FunnelStage | None = None
    #: open deals with a problem, and how many have each (see docs/hygiene.md)
    tidy: tuple[int, dict[str, int]] | None = None
    last_month: AccuracyMonth | None = None  # last month's forecast on the 1st against won
    recommend_calibrated: bool = False  # `calibration` recommends calibrated, not yet in use


def build_digest(settings: Settings, store: Store, now: datetime) -> Digest:
    ctx = context_for(settings, now, store=store)
    pipeline = settings.pipeline
    since = ctx.now - WEEK
    before = store.stage_totals_at(since)
    summary = analytics.summary(store, ctx)
    lines: list[StageLine] = []
    for row in summary.stages:
        if row.outcome:
            continue
        count_before, amount_before = before.get(row.key, (0, 0.0))
        lines.append(StageLine(row.key, row.label, row.count, row.amount, count_before,
                               round(amount_before, 2)))  # fmt: skip
    won_keys = [s.key for s in pipeline.stages if s.outcome == "won"]
    lost_keys = [s.key for s in pipeline.stages if s.outcome == "lost"]
    won = store.entered_between(won_keys, since, ctx.now)
    lost = store.entered_between(lost_keys, since, ctx.now)
    reasons: dict[str | None, list[float]] = defaultdict(list)
    for deal in lost:
        reasons[(deal["lost_reason"] or "").strip() or None].append(float(deal["amount"] or 0))
    lost_reasons = sorted(((r, len(a), round(sum(a), 2)) for r, a in reasons.items()),
                          key=lambda x: (-x[1], -x[2], x[0] or ""))  # fmt: skip
    stalled_count, longest = analytics.longest_stalled(store, ctx, LONGEST)
    return Digest(
        as_of=ctx.now,
        since=since,
        stages=lines,
        open_weighted=summary.open.weighted,
        new=store.new_deals_between(since, ctx.now),
        won=won,
        lost=lost,
        lost_reasons=lost_reasons,
        stalled_count=stalled_count,
        longest=longest,
        forecast=analytics.forecast(store, ctx, months=2, ranges=False).months,
        bottleneck=_bottleneck(store, ctx),
        tidy=analytics.problem_counts(store, ctx),
        last_month=accuracy(store, ctx, 1, prior_weight=ctx.prior_weight,
                            probabilities=ctx.probabilities).months[-1],
        recommend_calibrated=ctx.probabilities != "calibrated"
        and calibration(store, ctx, ctx.prior_weight).recommended == "calibrated",
    )  # fmt: skip


def _bottleneck(store: Store, ctx: Context) -> FunnelStage | None:
    """The open stage where the funnel loses most deals (worst conversion to the next)."""
    funnel = analytics.funnel(store, ctx)
    return next((s for s in funnel.stages if s.key == funnel.bottleneck), None)


# --- rendering -------------------------------------------------------------------------------


def _delta(value: float, language: str, currency: str | None = None) -> str:
    if round(value, 2) == 0:
        return "="
    text = money(value, currency, language) if currency else str(int(value))
    return text if value < 0 else f"+{text}"


def _total(rows: list[dict[str, Any]], currency: str, language: str) -> str:
    return money(round(sum(float(r["amount"] or 0) for r in rows), 2), currency, language)


def sections(digest: Digest, settings: Settings) -> tuple[str, list[str]]:
    """The title and the mrkdwn sections of the digest, shared by Slack and `--dry-run`."""
    lang, cur, tz = settings.language, settings.config.currency, settings.tz
    title = t("digest.title", lang, date=short_date(digest.as_of, lang, tz))
    stage_lines = [t("digest.by_stage", lang, date=short_date(digest.since, lang, tz))]
    for line in digest.stages:
        dcount = _delta(line.count - line.count_before, lang)
        damount = _delta(line.amount - line.amount_before, lang, cur)
        stage_lines.append(t("digest.stage_line", lang, label=esc(line.label), count=line.count,
                             dcount=dcount, amount=money(line.amount, cur, lang),
                             damount=damount))  # fmt: skip
    count = sum(s.count for s in digest.stages)
    amount = round(sum(s.amount for s in digest.stages), 2)
    count_before = sum(s.count_before for s in digest.stages)
    amount_before = sum(s.amount_before for s in digest.stages)
    stage_lines.append(t("digest.open_line", lang, count=count,
                         dcount=_delta(count - count_before, lang), amount=money(amount, cur, lang),
                         damount=_delta(amount - amount_before, lang, cur),
                         weighted=money(digest.open_weighted, cur, lang)))  # fmt: skip
    out = ["\n".join(stage_lines)]

    fixed = [
        t("digest.new", lang, count=len(digest.new), amount=_total(digest.new, cur, lang)),
        t("digest.won", lang, count=len(digest.won), amount=_total(digest.won, cur, lang)),
        t("digest.lost", lang, count=len(digest.lost), amount=_total(digest.lost, cur, lang)),
    ]
    if digest.lost_reasons:
        reasons = ", ".join(
            f"{esc(clip(r, MAX_REASON)) if r else t('digest.no_reason', lang)} "
            f"({n}, {money(a, cur, lang)})"
            for r, n, a in digest.lost_reasons
        )
        fixed.append(clip(t("digest.reasons", lang, reasons=reasons), MAX_REASONS_LINE))
    # Each list gets half of what the headings leave: a long deal never hides "Lost this week".
    room = (MAX_SECTION_TEXT - sum(len(line) + 1 for line in fixed)) // 2
    moves = [*fixed[:2], *_bullets(digest.won, settings, room), fixed[2]]
    moves += [*_bullets(digest.lost, settings, room), *fixed[3:]]
    out.append("\n".join(moves))

    forecast = [t("digest.forecast", lang)]
    forecast.extend(
        t("digest.forecast_line", lang, month=month_name(m.month, lang), count=m.count,
          amount=money(m.amount, cur, lang), weighted=money(m.weighted, cur, lang))
        for m in digest.forecast
    )  # fmt: skip
    month = digest.last_month
    if month is not None and (month.count or month.won_count):  # nothing forecast nor won: no line
        forecast.append(t("digest.accuracy", lang, month=month_name(month.month, lang),
                          forecast=money(month.forecast, cur, lang),
                          low=money(month.low, cur, lang), high=money(month.high, cur, lang),
                          won=money(month.won, cur, lang)))  # fmt: skip
    if digest.recommend_calibrated:
        forecast.append(t("digest.calibration", lang))
    out.append("\n".join(forecast))

    stalled = [t("digest.stalled", lang, count=digest.stalled_count)]
    # what to fix, beside what is stuck
    tidy = [_hygiene_line(digest.tidy, lang)] if digest.tidy is not None else []
    if digest.longest:
        stalled.append(t("digest.longest", lang))
        room = MAX_SECTION_TEXT - sum(len(line) + 1 for line in (*stalled, *tidy))
        lines = [f"• {_stalled_line(d, settings)}" for d in digest.longest]
        stalled.extend(fit_lines(lines, room, lang))
    stalled.extend(tidy)
    out.append("\n".join(stalled))
    neck = digest.bottleneck
    if neck is not None and neck.conversion is not None:
        median = (t("digest.bottleneck_median", lang, days=number(neck.median_days, lang, 1))
                  if neck.median_days is not None else "")  # fmt: skip
        out.append(t("digest.bottleneck", lang, label=esc(neck.label),
                     percent=number(neck.conversion * 100, lang), median=median))  # fmt: skip
    return title, out


def _hygiene_line(found: tuple[int, dict[str, int]], language: str) -> str:
    """Open deals to tidy up, counted per problem code (see docs/hygiene.md)."""
    count, counts = found
    if not count:
        return t("hygiene.digest.none", language)
    codes = esc(hygiene_counts(counts, language))
    return t("hygiene.digest", language, n=count, codes=codes)


#: Deals listed under "won" and "lost" before "… and N more": the section stays whole (a section
#: clipped at 3,000 characters could cut a link in half).
MAX_LISTED = 8
#: A lost reason inside a line, and the whole "Lost reasons" line (each field is clipped first,
#: then each list is fitted to its share of the section, so every heading stays).
MAX_REASON = 300
MAX_REASONS_LINE = 800


def _bullets(deals: list[dict[str, Any]], settings: Settings, budget: int) -> list[str]:
    lines = [f"• {_deal_line(d, settings)}" for d in deals[:MAX_LISTED]]
    return fit_lines(lines, budget, settings.language, total=len(deals))


def _deal_line(deal: dict[str, Any], settings: Settings) -> str:
    lang, cur = settings.language, settings.config.currency
    parts = [link(deal.get("url"), deal["title"] or deal["id"])]
    parts.extend(esc(clip(str(deal[k]), MAX_LABEL)) for k in ("client", "owner") if deal.get(k))
    parts.append(money(deal["amount"], cur, lang))
    if deal.get("lost_reason"):
        parts.append(esc(clip(deal["lost_reason"], MAX_REASON)))
    return " · ".join(parts)


def _stalled_line(deal: StalledDeal, settings: Settings) -> str:
    lang = settings.language
    stage = settings.pipeline.by_key.get(deal.stage)
    parts = [link(deal.url, deal.title or deal.id)]
    parts.extend(esc(clip(v, MAX_LABEL)) for v in (deal.client, deal.owner) if v)
    parts.append(esc(stage.label(lang) if stage else deal.stage))
    parts.append(t("days", lang, n=deal.idle_days))
    return " · ".join(parts)


def to_blocks(title: str, parts: list[str]) -> list[dict[str, Any]]:
    return [header(title), *(section(part) for part in parts)]


def message(title: str, parts: list[str], language: str) -> dict[str, Any]:
    """The digest as posted: the title as notification, every part a section, limits checked."""
    return payload(esc(title), to_blocks(title, parts), language, MAX_MESSAGE_BLOCKS)


def digest_channel(settings: Settings) -> str | None:
    return settings.config.digest.channel or settings.config.slack.channel


def post_digest(settings: Settings, store: Store, out: Outbox, now: datetime) -> str:
    """Post the digest; returns the message ts. Raises `SlackRefused`, `OSError`, or ValueError
    (no channel configured)."""
    channel = digest_channel(settings)
    if not channel:
        raise ValueError(t("digest.no_channel", settings.language))
    title, parts = sections(build_digest(settings, store, now), settings)
    posted = message(title, parts, settings.language)
    ts = out.post(channel, posted["text"], posted["blocks"]).ts
    try:  # the digest is out: a failed attachment must not make the scheduler post it again
        attach_charts(settings, store, out, now, channel, ts)
    except (SlackRefused, OSError) as exc:
        error = exc.error if isinstance(exc, SlackRefused) else str(exc)
        log.warning("digest posted to %s, but its charts could not be attached: %s", channel,
                    error)  # fmt: skip
    return ts


def digest_charts(settings: Settings, store: Store, now: datetime) -> list[tuple[str, Any]]:
    """The charts the digest attaches: (file name, `bot.charts.Chart`) of forecast and funnel."""
    from bot.charts import chart_data, chart_style

    ctx = context_for(settings, now)
    style = chart_style(settings)
    return [("forecast.png", chart_data(analytics.forecast(store, ctx), style)),
            ("funnel.png", chart_data(analytics.funnel(store, ctx), style))]  # fmt: skip


def attach_charts(settings: Settings, store: Store, out: Outbox, now: datetime,
                  channel: str, ts: str) -> None:  # fmt: skip
    """Upload the forecast and funnel charts in the digest's thread (Slack's two-step upload:
    files.getUploadURLExternal, then files.completeUploadExternal)."""
    from bot.charts import render_png

    files = [Attachment(name, chart.title, render_png(chart))
             for name, chart in digest_charts(settings, store, now)]  # fmt: skip
    out.upload(channel, files, ts or None, t("digest.charts", settings.language))
