"""Result objects → aligned terminal tables in the configured language."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any

from bot.analytics import (
    Changes,
    DealList,
    DealSearch,
    DealView,
    Forecast,
    Funnel,
    Hygiene,
    Lost,
    Owners,
    Stalled,
    Summary,
    Totals,
    Unmapped,
)
from bot.analytics.accuracy import Accuracy
from bot.analytics.calibration import MIN_SCORED, Calibration
from bot.i18n import t
from bot.query import Help
from bot.render.money import days_text, money, month_name, number, percent, short_date
from bot.render.registry import Registry

MAX_ROWS = 25


@dataclass(frozen=True)
class Style:
    """How to write: language, currency and zone (for dates)."""

    language: str
    currency: str
    tz: tzinfo

    def money(self, value: float | None) -> str:
        return money(value, self.currency, self.language)


Renderer = Callable[[Any, Style], str]
#: The terminal rendering of each result type.
RENDERERS: Registry[Renderer] = Registry()
renderer = RENDERERS.register


def render(result: Any, style: Style) -> str:
    return RENDERERS[type(result)](result, style)


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[int] = ()) -> str:
    """Columns padded to their widest cell; `right` lists the columns aligned right (numbers)."""
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            c.rjust(widths[i]) if i in right else c.ljust(widths[i]) for i, c in enumerate(cells)
        ).rstrip()

    rule = "  ".join("─" * w for w in widths)
    return "\n".join([line(headers), rule, *(line(r) for r in rows)])


def cut(rows: list[Any], style: Style, limit: int = MAX_ROWS,
        total: int | None = None) -> tuple[list[Any], str]:  # fmt: skip
    """The first `limit` rows and the "… and N more" line (empty when nothing was cut); `total`:
    how many there are when `rows` holds only the first ones."""
    total = len(rows) if total is None else total
    if total <= limit:
        return rows, ""
    return rows[:limit], t("more", style.language, n=total - limit)


@renderer(Summary)
def _summary(result: Summary, style: Style) -> str:
    lang = style.language
    rows = [
        [s.label, str(s.count), style.money(s.amount), style.money(s.weighted),
         str(s.stalled) if s.outcome is None else ""]
        for s in result.stages
    ]  # fmt: skip
    rows.append([t("open.total", lang), str(result.open.count), style.money(result.open.amount),
                 style.money(result.open.weighted), ""])  # fmt: skip
    head = f"{t('summary.title', lang)} ({t('as_of', lang, date=short_date(result.as_of, lang, style.tz))})"  # noqa: E501
    body = table(
        [t(k, lang) for k in ("col.stage", "col.deals", "col.amount", "col.weighted",
                              "col.stalled")],
        rows,
        right=(1, 2, 3, 4),
    )  # fmt: skip
    out = [head, "", body]
    if result.unmapped:
        out += ["", t("unmapped.note", lang, count=result.unmapped)]
    if result.age_unknown:
        out += ["", t("age_unknown.note", lang, count=result.age_unknown)]
    return "\n".join(out)


@renderer(Stalled)
def _stalled(result: Stalled, style: Style) -> str:
    lang = style.language
    if not result.deals:
        return t("stalled.none", lang)
    shown, more = cut(result.deals, style, total=result.count)
    rows = [
        [d.title, d.client or "—", d.owner or "—", d.stage_label or d.stage,
         f"{t('days', lang, n=d.idle_days)} / {d.stall_days}", style.money(d.amount),
         d.next_step or ""]
        for d in shown
    ]  # fmt: skip
    head = t("stalled.count", lang, title=t("stalled.title", lang), n=result.count)
    cols = ("col.deal", "col.client", "col.owner", "col.stage", "col.idle", "col.amount",
            "col.next_step")  # fmt: skip
    out = [head, "", table([t(c, lang) for c in cols], rows, right=(4, 5))]
    if more:
        out.append(more)
    return "\n".join(out)


@renderer(Help)
def _help(result: Help, style: Style) -> str:
    lang = style.language
    width = max(len(u) for u, _, _ in result.queries)
    french = max(len(fr) for _, fr, _ in result.queries) + 2
    lines = [t("help.title", lang), ""]
    lines += [f"  {u.ljust(width)}  {f'({fr})'.ljust(french)}  {d}" for u, fr, d in result.queries]
    lines += ["", t("help.public", lang)]
    return "\n".join(lines)


def as_of_line(title: str, result_as_of: Any, style: Style) -> str:
    date = short_date(result_as_of, style.language, style.tz)
    return f"{title} ({t('as_of', style.language, date=date)})"


@renderer(Forecast)
def _forecast(result: Forecast, style: Style) -> str:
    lang = style.language

    def row(label: str, count: int, amount: float, weighted: float, low: float | None,
            high: float | None) -> list[str]:  # fmt: skip
        shown = (t("range", lang, low=style.money(low), high=style.money(high))
                 if low is not None and high is not None else "")  # fmt: skip
        return [label, str(count), style.money(amount), style.money(weighted), shown]

    def bucket(label: str, totals: Totals) -> list[str]:
        return row(label, totals.count, totals.amount, totals.weighted, totals.low, totals.high)

    rows = [bucket(t("forecast.overdue", lang), result.overdue)]
    rows += [row(month_name(m.month, lang), m.count, m.amount, m.weighted, m.low, m.high)
             for m in result.months]  # fmt: skip
    rows.append(bucket(t("forecast.later", lang), result.later))
    rows.append(bucket(t("forecast.no_date", lang), result.no_date))
    rows.append(bucket(t("open.total", lang), result.open))
    cols = ("col.month", "col.deals", "col.amount", "col.weighted", "col.range")
    body = table([t(c, lang) for c in cols], rows, right=(1, 2, 3, 4))
    return "\n".join([as_of_line(t("forecast.title", lang), result.as_of, style), "", body])


@renderer(Funnel)
def _funnel(result: Funnel, style: Style) -> str:
    lang = style.language
    rows = [
        [s.label, str(s.reached), percent(s.conversion, lang), days_text(s.median_days, lang)]
        for s in result.stages
    ]
    cols = ("col.stage", "col.reached", "col.conversion", "col.median")
    out = [as_of_line(t("funnel.title", lang), result.as_of, style), ""]
    out.append(table([t(c, lang) for c in cols], rows, right=(1, 2, 3)))
    out += ["", t("funnel.won", lang, n=result.won)]
    worst = next((s for s in result.stages if s.bottleneck), None)
    if worst is not None:
        rate = percent(worst.conversion, lang)
        out.append(t("funnel.bottleneck", lang, stage=worst.label, rate=rate))
    return "\n".join(out)


@renderer(Owners)
def _owners(result: Owners, style: Style) -> str:
    lang = style.language
    if not result.owners:
        return t("owners.none", lang)
    shown, more = cut(result.owners, style)
    rows = [
        [o.owner or t("owner.nobody", lang), str(o.open), style.money(o.amount),
         style.money(o.weighted), str(o.stalled)]
        for o in shown
    ]  # fmt: skip
    rows.append([t("total", lang), str(sum(o.open for o in result.owners)),
                 style.money(sum(o.amount for o in result.owners)),
                 style.money(sum(o.weighted for o in result.owners)),
                 str(sum(o.stalled for o in result.owners))])  # fmt: skip
    cols = ("col.owner", "col.open", "col.amount", "col.weighted", "col.stalled")
    out = [as_of_line(t("owners.title", lang), result.as_of, style), ""]
    out.append(table([t(c, lang) for c in cols], rows, right=(1, 2, 3, 4)))
    if more:
        out.append(more)
    return "\n".join(out)


@renderer(Lost)
def _lost(result: Lost, style: Style) -> str:
    lang = style.language
    if not result.reasons:
        return t("lost.none", lang)
    shown, more = cut(result.reasons, style)
    rows = [[r.label, str(r.count), style.money(r.amount)] for r in shown]
    rows.append([t("total", lang), str(result.count), style.money(result.amount)])
    cols = ("col.reason", "col.deals", "col.amount")
    out = [as_of_line(t("lost.title", lang), result.as_of, style), ""]
    out.append(table([t(c, lang) for c in cols], rows, right=(1, 2)))
    if more:
        out.append(more)
    return "\n".join(out)


def _stage_name(deal: DealView, style: Style) -> str:
    if deal.stage_label:
        return deal.stage_label
    return f"{t('unmapped.stage', style.language)} {deal.status or ''}".rstrip()


def _idle(deal: DealView, style: Style) -> str:
    if deal.idle_days is None:
        return "—"
    text = t("days", style.language, n=deal.idle_days)
    if deal.stalled:
        text += f" ({t('deal.stalled', style.language)})"
    return text


@renderer(DealSearch)
def _deal_search(result: DealSearch, style: Style) -> str:
    lang = style.language
    if not result.deals:
        return t("deal.none", lang, text=result.text)
    shown, more = cut(result.deals, style, limit=10, total=result.count)
    out = [t("deal.title", lang, text=result.text, n=result.count)]
    for deal in shown:
        out += ["", f"{deal.title}" + (f" — {deal.client}" if deal.client else "")]
        facts = [
            (t("deal.stage", lang), _stage_name(deal, style)),
            (t("col.owner", lang), deal.owner or "—"),
            (t("deal.amount", lang), _amounts(deal, style)),
            (t("deal.expected_close", lang), short_date(deal.expected_close, lang)),
            (t("deal.idle", lang), f"{short_date(deal.stage_entered, lang, style.tz)}, "
             f"{_idle(deal, style)}"),
            (t("col.next_step", lang), deal.next_step or "—"),
        ]  # fmt: skip
        if deal.lost_reason:
            facts.append((t("col.reason", lang), deal.lost_reason))
        if deal.url:
            facts.append(("URL", deal.url))
        width = max(len(name) for name, _ in facts)
        out += [f"  {name.ljust(width)}  {value}" for name, value in facts]
        if deal.history:
            out.append(f"  {t('deal.history', lang)}")
            dates = [short_date(event.at, lang, style.tz) for event in deal.history]
            wide = max(len(d) for d in dates)
            for when, event in zip(dates, deal.history, strict=True):
                to = event.to_label or t("unmapped.stage", lang)
                by = f" {t('by.user', lang, user='@' + event.by)}" if event.by else ""
                out.append(f"    {when.ljust(wide)}  {to} ({event.status or '—'}){by}")
    if more:
        out += ["", more]
    return "\n".join(out)


def _amounts(deal: DealView, style: Style) -> str:
    weighted = f"{t('col.weighted', style.language)} {style.money(deal.weighted)}"
    return f"{style.money(deal.amount)} ({weighted})"


@renderer(DealList)
def _deal_list(result: DealList, style: Style) -> str:
    lang = style.language
    subject, sums = ", ".join(result.subject), result.all
    if result.kind == "stage":
        head = t("stage.title", lang, stage=subject, n=sums.count)
    else:
        head = t("owner.title", lang, owners=subject or "—", n=sums.count)
    if not result.deals:
        return f"{head}\n\n{t('list.none', lang)}"
    shown, more = cut(result.deals, style, total=sums.count)
    rows = [
        [d.title, d.client or "—", d.owner or "—", _stage_name(d, style), _idle(d, style),
         style.money(d.amount), short_date(d.expected_close, lang)]
        for d in shown
    ]  # fmt: skip
    cols = ("col.deal", "col.client", "col.owner", "col.stage", "col.idle", "col.amount",
            "col.expected")  # fmt: skip
    total, weighted = sum(sums.amounts), sum(sums.weighted)
    out = [head, "", table([t(c, lang) for c in cols], rows, right=(4, 5))]
    if more:
        out.append(more)
    amount = t("label.value", lang, label=t("col.amount", lang), value=style.money(total))
    weight = t("label.value", lang, label=t("col.weighted", lang), value=style.money(weighted))
    out += ["", f"{amount} · {weight}"]
    return "\n".join(out)


@renderer(Changes)
def _changes(result: Changes, style: Style) -> str:
    lang = style.language
    since = short_date(result.since, lang, style.tz)
    if not result.events:
        return t("changes.none", lang, date=since)
    shown, more = cut(result.events, style)
    nothing = t("unmapped.stage", lang)
    rows = [
        [short_date(e.at, lang, style.tz), e.title,
         t(f"change.{e.kind}", lang, from_=e.from_label or nothing, to=e.to_label or nothing)
         + (f" {t('by.user', lang, user='@' + e.by)}" if e.by else ""),
         style.money(e.amount), e.owner or "—"]
        for e in shown
    ]  # fmt: skip
    cols = ("col.when", "col.deal", "col.change", "col.amount", "col.owner")
    out = [t("changes.title", lang, date=since, n=len(result.events)), ""]
    out.append(table([t(c, lang) for c in cols], rows, right=(3,)))
    if more:
        out.append(more)
    return "\n".join(out)


@renderer(Unmapped)
def _unmapped(result: Unmapped, style: Style) -> str:
    lang = style.language
    if not result.statuses:
        return t("unmapped.none", lang)
    shown, more = cut(result.statuses, style)
    rows = [[s.shown(lang), str(s.count)] for s in shown]
    out = [t("unmapped.title", lang, n=result.count), ""]
    out.append(table([t("col.status", lang), t("col.deals", lang)], rows, right=(1,)))
    if more:
        out.append(more)
    out += ["", result.fix(lang)]
    return "\n".join(out)


@renderer(Hygiene)
def _hygiene(result: Hygiene, style: Style) -> str:
    lang = style.language
    head = as_of_line(t("hygiene.title", lang), result.as_of, style)
    if not result.deals:
        return f"{head}\n\n{t('hygiene.none', lang)}"
    shown, more = cut(result.deals, style)
    rows = [
        [d.title, d.owner or d.owner_email or "—", d.stage_label,
         "; ".join(p.detail for p in d.problems)]
        for d in shown
    ]  # fmt: skip
    cols = ("col.deal", "col.owner", "col.stage", "col.problems")
    out = [head, t("hygiene.count", lang, n=len(result.deals)), ""]
    out.append(table([t(c, lang) for c in cols], rows))
    if more:
        out.append(more)
    out += ["", hygiene_counts(result.counts, lang)]
    return "\n".join(out)


def hygiene_counts(counts: Mapping[str, int], language: str, sep: str = " · ") -> str:
    """`No amount: 3 · Overdue: 2`: the codes that occur, with how many deals have each."""
    return sep.join(
        t("label.value", language, label=t(f"hygiene.code.{code}", language), value=n)
        for code, n in counts.items()
        if n
    )


def pct_text(value: float | None, language: str) -> str:
    """A percentage with one decimal: `41,0 %` / `41.0%` (— when unknown)."""
    return percent(None if value is None else value / 100, language, decimals=1)


def calibration_lines(result: Calibration, language: str) -> list[str]:
    """The sentences a sales manager reads: one per stage, the back-test, the recommendation."""
    lines = [
        t("calibration.line", language, stage=r.label, configured=pct_text(r.configured, language),
          won=r.won, closed=r.closed, calibrated=pct_text(r.calibrated, language))
        for r in result.stages
    ]  # fmt: skip
    lines.append("")
    if result.n_scored:
        lines.append(t("calibration.backtest", language, n=result.n_scored,
                       stage=brier_text(result.brier_stage, language),
                       calibrated=brier_text(result.brier_calibrated, language)))  # fmt: skip
    else:
        lines.append(t("calibration.backtest_none", language))
    if result.recommended == "calibrated":
        lines.append(t("calibration.recommend.calibrated", language))
    else:
        reason = ""
        if result.n_scored < MIN_SCORED:
            reason = t("calibration.too_few", language, n=result.n_scored, min=MIN_SCORED)
        lines.append(t("calibration.recommend.stage", language, reason=reason))
    lines.append(t(f"calibration.in_use.{result.in_use}", language))
    return lines


def brier_text(value: float | None, language: str) -> str:
    return "—" if value is None else number(value, language, 4)


@renderer(Calibration)
def _calibration(result: Calibration, style: Style) -> str:
    lang = style.language
    rows = [
        [r.label, pct_text(r.configured, lang),
         t("calibration.history", lang, won=r.won, closed=r.closed),
         pct_text(r.observed, lang), pct_text(r.calibrated, lang)]
        for r in result.stages
    ]  # fmt: skip
    cols = ("col.stage", "col.configured", "col.history", "col.observed", "col.calibrated")
    body = table([t(c, lang) for c in cols], rows, right=(1, 3, 4))
    explain = t("calibration.explain", lang, weight=number(result.prior_weight, lang))
    return "\n".join([as_of_line(t("calibration.title", lang), result.as_of, style), "", body,
                      "", *calibration_lines(result, lang), explain])  # fmt: skip


@renderer(Accuracy)
def _accuracy(result: Accuracy, style: Style) -> str:
    lang = style.language
    yes, no = t("accuracy.yes", lang), t("accuracy.no", lang)
    rows = [
        [month_name(m.month, lang) + (" *" if m.lookahead else ""), style.money(m.forecast),
         t("range", lang, low=style.money(m.low), high=style.money(m.high)), style.money(m.won),
         yes if m.low <= m.won <= m.high else no]
        for m in result.months
    ]  # fmt: skip
    cols = ("col.month", "col.forecast_then", "col.range", "col.won", "col.in_range")
    lines = [as_of_line(t("accuracy.title", lang), result.as_of, style), "",
             table([t(c, lang) for c in cols], rows, right=(1, 2, 3)), "",
             t("accuracy.summary", lang, mae=style.money(result.mae),
               within=result.within_range, n=len(result.months))]  # fmt: skip
    if any(m.lookahead for m in result.months):
        lines.append(t("accuracy.lookahead", lang))
    return "\n".join(lines)
