"""Pictures of an answer: `summary`, `forecast`, `funnel` and `owners` as PNG charts.

Two steps, so the figure's data can be tested apart from its pixels: `chart_data` turns a result
object into a `Chart` (titles, categories, bars, ranges, notes: words in the configured language,
money in its currency), and `render_png` draws it with matplotlib's Agg backend (no display, no
browser: it works in the Docker image). matplotlib costs about half a second to import, so this
module imports it only inside `render_png`, and the `/pipeline` text path never imports this
module (`bot.query`, the renderers and the CLI load it only when a chart is asked for).

Colours are Okabe-Ito's, told apart by the colour-blind; bars also differ by position and legend,
never by colour alone.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.analytics import Forecast, Funnel, Owners, Summary
from bot.i18n import t
from bot.render.money import money, month_name, percent, short_date

#: Okabe & Ito (2008), "Color Universal Design": distinguishable with any colour vision.
OKABE_ITO = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "green": "#009E73",
    "sky": "#56B4E9",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
    "yellow": "#F0E442",
    "black": "#000000",
}
#: Owners drawn before the rest are summed up in the footer.
MAX_OWNERS = 15
WIDTH_IN, DPI = 9.0, 120


class NoChart(ValueError):
    """An answer that has no picture (only `bot.query.CHART_QUERIES` have one)."""


@dataclass
class Bars:
    """One series: a value per category, an optional low–high range per category."""

    name: str
    values: list[float]
    colour: str
    low: list[float] | None = None
    high: list[float] | None = None
    colours: list[str] | None = None  # one per bar when one stands out (the funnel's bottleneck)


@dataclass
class Chart:
    """What a figure shows, in words and numbers: the data `render_png` draws, nothing else."""

    kind: str  # the query: summary | forecast | funnel | owners
    title: str
    subtitle: str
    categories: list[str]
    bars: list[Bars]
    horizontal: bool
    money: bool  # the values are money in `currency` (else counts of deals)
    language: str
    currency: str
    notes: list[str] = field(default_factory=list)  # one per category, beside its bars
    footer: str = ""
    split_after: int | None = None  # a second panel after this category (open | outcomes)

    def value_text(self, value: float) -> str:
        if self.money:
            return money(round(value), self.currency, self.language)
        return str(int(value))


@dataclass(frozen=True)
class ChartStyle:
    language: str
    currency: str
    tz: Any = None


def chart_data(result: object, style: ChartStyle) -> Chart:
    """The chart of an answer; raises `NoChart` for answers that have none."""
    for kind, build in BUILDERS:
        if isinstance(result, kind):
            return build(result, style)
    raise NoChart(type(result).__name__)


def _as_of(result: Any, style: ChartStyle) -> str:
    return t("as_of", style.language, date=short_date(result.as_of, style.language, style.tz))


def _summary(result: Summary, style: ChartStyle) -> Chart:
    lang = style.language
    stages = result.stages
    return Chart(
        kind="summary",
        title=t("summary.title", lang),
        subtitle=_as_of(result, style),
        categories=[s.label for s in stages],
        bars=[
            Bars(t("col.amount", lang), [s.amount for s in stages], OKABE_ITO["blue"]),
            Bars(t("col.weighted", lang), [s.weighted for s in stages], OKABE_ITO["orange"]),
        ],
        horizontal=True,
        money=True,
        language=lang,
        currency=style.currency,
        notes=[t("chart.deals", lang, n=s.count) for s in stages],
        split_after=sum(1 for s in stages if s.outcome is None) - 1,
        footer=t(
            "chart.open_total",
            lang,
            count=result.open.count,
            amount=money(result.open.amount, style.currency, lang),
            weighted=money(result.open.weighted, style.currency, lang),
        ),  # fmt: skip
    )


def _range(bucket: object) -> tuple[float, float] | None:
    """A bucket's low–high range (P10–P90 of the amount won), when the forecast gives one."""
    low, high = getattr(bucket, "low", None), getattr(bucket, "high", None)
    if low is None or high is None:
        return None
    return float(low), float(high)


def _forecast(result: Forecast, style: ChartStyle) -> Chart:
    lang, cur = style.language, style.currency
    months = result.months
    ranges = [_range(m) for m in months]
    bars = Bars(t("col.weighted", lang), [m.weighted for m in months], OKABE_ITO["blue"])
    if months and all(r is not None for r in ranges):
        bars.low = [r[0] for r in ranges if r is not None]
        bars.high = [r[1] for r in ranges if r is not None]
        bars.colour = OKABE_ITO["sky"]  # lighter: the range's ends are written over the bars
    footer = " · ".join(
        t("label.value", lang, label=t(key, lang), value=money(totals.weighted, cur, lang))
        for key, totals in (("forecast.overdue", result.overdue),
                            ("forecast.no_date", result.no_date))
    )  # fmt: skip
    return Chart(
        kind="forecast",
        title=t("forecast.title", lang),
        subtitle=_as_of(result, style)
        + (f" · {t('chart.range', lang)}" if bars.low is not None else ""),
        categories=[month_name(m.month, lang) for m in months],
        bars=[bars],
        horizontal=False,
        money=True,
        language=lang,
        currency=cur,
        notes=[t("chart.deals", lang, n=m.count) for m in months],
        footer=footer,
    )


def _funnel(result: Funnel, style: ChartStyle) -> Chart:
    lang = style.language
    stages = result.stages
    notes = [
        t("chart.conversion", lang, rate=percent(s.conversion, lang))
        + (f" · {t('chart.bottleneck', lang)}" if s.bottleneck else "")
        for s in stages
    ]
    colours = [OKABE_ITO["vermillion"] if s.bottleneck else OKABE_ITO["green"] for s in stages]
    return Chart(
        kind="funnel",
        title=t("funnel.title", lang),
        subtitle=_as_of(result, style),
        categories=[s.label for s in stages],
        bars=[
            Bars(
                t("col.reached", lang),
                [float(s.reached) for s in stages],
                OKABE_ITO["green"],
                colours=colours,
            )
        ],  # fmt: skip
        horizontal=True,
        money=False,
        language=lang,
        currency=style.currency,
        notes=notes,
        footer=t("funnel.won", lang, n=result.won),
    )


def _owners(result: Owners, style: ChartStyle) -> Chart:
    lang, cur = style.language, style.currency
    shown = result.owners[:MAX_OWNERS]
    rest = len(result.owners) - len(shown)
    return Chart(
        kind="owners",
        title=t("owners.title", lang),
        subtitle=_as_of(result, style),
        categories=[o.owner or t("owner.nobody", lang) for o in shown],
        bars=[
            Bars(t("col.amount", lang), [o.amount for o in shown], OKABE_ITO["blue"]),
            Bars(t("col.weighted", lang), [o.weighted for o in shown], OKABE_ITO["orange"]),
        ],
        horizontal=True,
        money=True,
        language=lang,
        currency=cur,
        notes=[t("chart.owner_note", lang, n=o.open, stalled=o.stalled) for o in shown],
        footer=t("more", lang, n=rest) if rest else "",
    )


BUILDERS: Sequence[tuple[type, Callable[[Any, ChartStyle], Chart]]] = (
    (Summary, _summary),
    (Forecast, _forecast),
    (Funnel, _funnel),
    (Owners, _owners),
)


# --- drawing ---------------------------------------------------------------------------------


def render_png(chart: Chart) -> bytes:
    """The chart as PNG bytes (matplotlib, Agg backend: no display needed).

    A chart with `split_after` (the summary: open stages, then won and lost) is drawn as two
    panels, each with its own scale, so a year of lost deals does not flatten the open pipeline.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    count = max(len(chart.categories), 1)
    series = len(chart.bars)
    height = min(1.8 + count * (0.25 + 0.25 * series), 14.0) if chart.horizontal else 5.0
    figure = Figure(figsize=(WIDTH_IN, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    figure.suptitle(chart.title, fontsize=15, fontweight="bold", x=0.01, ha="left")
    split = chart.split_after
    if chart.horizontal and split is not None and 0 <= split < len(chart.categories) - 1:
        groups = [list(range(split + 1)), list(range(split + 1, len(chart.categories)))]
    else:
        groups = [list(range(len(chart.categories)))]
    panels = figure.subplots(len(groups), 1, squeeze=False,
                             height_ratios=[len(g) for g in groups])[:, 0]  # fmt: skip
    for number, (axes, rows) in enumerate(zip(panels, groups, strict=True)):
        first, last = number == 0, number == len(groups) - 1
        _panel(axes, chart, rows)
        if first:
            axes.set_title(chart.subtitle, fontsize=10, color="#444444", loc="left")
            if series > 1:
                axes.legend(loc="lower right" if chart.horizontal else "upper right",
                            frameon=False)  # fmt: skip
        else:
            axes.set_title(t("chart.outcomes", chart.language), fontsize=9, color="#444444",
                           loc="left")  # fmt: skip
        if last and chart.footer:  # as the axis label: the layout keeps room under the ticks
            axes.set_xlabel(chart.footer, loc="left", fontsize=9, color="#333333", labelpad=10)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": "pipeline-bot"})
    return buffer.getvalue()


def _panel(axes: Any, chart: Chart, rows: list[int]) -> None:
    """Draw the categories `rows` of `chart` on `axes`, with their own scale."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    series = len(chart.bars)
    width = 0.8 / series
    positions = list(range(len(rows)))
    categories = [chart.categories[r] for r in rows]
    notes = [chart.notes[r] for r in rows] if chart.notes else []
    peak = max([0.0, *(v for b in chart.bars for r in rows for v in
                       ((b.high or b.values)[r], b.values[r]))])  # fmt: skip
    for index, bars in enumerate(chart.bars):
        offset = (index - (series - 1) / 2) * width
        where = [p + offset for p in positions]
        values = [bars.values[r] for r in rows]
        colour: Any = [bars.colours[r] for r in rows] if bars.colours else bars.colour
        options: dict[str, Any] = {"color": colour, "label": bars.name}
        low = [bars.low[r] for r in rows] if bars.low is not None else None
        high = [bars.high[r] for r in rows] if bars.high is not None else None
        if low is not None and high is not None:
            below = [max(v - lo, 0.0) for v, lo in zip(values, low, strict=True)]
            above = [max(hi - v, 0.0) for v, hi in zip(values, high, strict=True)]
            options.update({"xerr" if chart.horizontal else "yerr": [below, above],
                            "capsize": 4, "ecolor": "#222222"})  # fmt: skip
        if chart.horizontal:
            drawn = axes.barh(where, values, height=width, **options)
        else:
            drawn = axes.bar(where, values, width=width, **options)
        texts = [chart.value_text(v) for v in values]
        if high is None:
            axes.bar_label(drawn, labels=texts, padding=3, fontsize=8, color="#222222")
            continue
        # a range: the value on the bar's top left, the range's ends right of the whisker caps
        for x, value, bottom, top in zip(where, values, low or [], high, strict=True):
            at = (value, x) if chart.horizontal else (x, value)
            axes.annotate(chart.value_text(value), at, xytext=(-6, 3), textcoords="offset points",
                          ha="right", va="bottom", fontsize=8, color="#222222")  # fmt: skip
            if top > 0 and not chart.horizontal:
                for end in (bottom, top) if bottom > 0 else (top,):
                    axes.annotate(chart.value_text(end), (x, end), xytext=(6, 0),
                                  textcoords="offset points", ha="left", va="center",
                                  fontsize=7, color="#444444")  # fmt: skip
    axis = axes.xaxis if chart.horizontal else axes.yaxis
    axis.set_major_formatter(FuncFormatter(lambda v, _: chart.value_text(v)))
    axis.set_major_locator(MaxNLocator(nbins=6, integer=True))  # money ticks never crowd
    if chart.horizontal:
        axes.set_yticks(positions, categories)
        axes.invert_yaxis()  # pipeline order from the top
        axes.set_xlim(0, peak * 1.25 if peak else 1)
        for p, note in zip(positions, notes, strict=True):
            axes.annotate(note, (0, p), xytext=(-6, -11), textcoords="offset points",
                          ha="right", va="center", fontsize=7.5, color="#555555",
                          annotation_clip=False)  # fmt: skip
    else:
        labels = (
            [f"{c}\n{n}" for c, n in zip(categories, notes, strict=True)] if notes else categories
        )
        axes.set_xticks(positions, labels)
        axes.set_ylim(0, peak * 1.18 if peak else 1)
    axes.spines[["top", "right"]].set_visible(False)
    axes.grid(axis="x" if chart.horizontal else "y", color="#dddddd", linewidth=0.8)
    axes.set_axisbelow(True)


def write_png(result: object, style: ChartStyle, path: Path) -> Chart:
    """Draw the answer's chart into `path` (raises `NoChart`); returns the chart's data."""
    chart = chart_data(result, style)
    path.write_bytes(render_png(chart))
    return chart


def chart_style(settings: Any) -> ChartStyle:
    """The chart style of a `Settings`: language, currency and zone."""
    return ChartStyle(settings.config.language, settings.config.currency, settings.tz)
