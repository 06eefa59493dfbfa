"""Result objects → aligned terminal tables in the configured language."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any

from bot.analytics import Stalled, Summary
from bot.i18n import t
from bot.query import Help
from bot.render.money import money, short_date

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
RENDERERS: dict[type, Renderer] = {}


def renderer(kind: type) -> Callable[[Renderer], Renderer]:
    def wrap(func: Renderer) -> Renderer:
        RENDERERS[kind] = func
        return func

    return wrap


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


def cut(rows: list[Any], style: Style, limit: int = MAX_ROWS) -> tuple[list[Any], str]:
    """The first `limit` rows and the "… and N more" line (empty when nothing was cut)."""
    if len(rows) <= limit:
        return rows, ""
    return rows[:limit], t("more", style.language, n=len(rows) - limit)


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
    return "\n".join(out)


@renderer(Stalled)
def _stalled(result: Stalled, style: Style) -> str:
    lang = style.language
    if not result.deals:
        return t("stalled.none", lang)
    shown, more = cut(result.deals, style)
    rows = [
        [d.title, d.client or "—", d.owner or "—", d.stage,
         f"{t('days', lang, n=d.idle_days)} / {d.stall_days}", style.money(d.amount),
         d.next_step or ""]
        for d in shown
    ]  # fmt: skip
    head = f"{t('stalled.title', lang)}: {len(result.deals)}"
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
    lines = [t("help.title", lang), ""]
    lines += [f"  {u.ljust(width)}  ({fr})  {d}" for u, fr, d in result.queries]
    lines += ["", t("help.public", lang)]
    return "\n".join(lines)
