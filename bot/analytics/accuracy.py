"""Accuracy: what the forecast said at the start of each past month, against what was won.

For each complete month before the as-of month, the forecast is rebuilt as it stood at 00:00 local
on the month's first day: the deals open then (stage history), whose expected close then (field
history) fell in the month, weighted with the probabilities in force then (their own probability
then, else the stage's: configured, or calibrated from the deals closed before then). Where a
deal's close date has no history going back that far, today's value stands in and the month says
`lookahead`. `won` is the amount of the deals that reached won during the month.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from bot.analytics.calibration import calibrated_probabilities
from bot.analytics.core import Context, Weighting, to_cents
from bot.analytics.forecast import month_keys
from bot.analytics.ranges import won_range
from bot.clock import day_start
from bot.store import Store, decode_value, iso

DEFAULT_MONTHS = 6
MAX_MONTHS = 36
HISTORY_FIELDS = ("amount", "expected_close", "probability")


@dataclass
class AccuracyMonth:
    month: str  # "YYYY-MM"
    forecast: float
    low: float
    high: float
    won: float
    lookahead: bool
    count: int = 0  # deals in the forecast
    won_count: int = 0


@dataclass
class Accuracy:
    as_of: datetime
    months: list[AccuracyMonth]
    mae: float | None
    within_range: int
    probabilities: str = "stage"


@dataclass
class _Past:
    """A deal's field values at some instant, and whether the close date's was really known."""

    amount: float | None
    expected_close: date | None
    probability: float | None
    close_known: bool


class FieldHistory:
    """The field history of the deals asked about, to read a value at a past instant."""

    def __init__(self, store: Store, ids: Sequence[str], tool_sources: set[str]):
        self.changes: dict[tuple[str, str], list[tuple[str, str | None, str | None, str]]] = {}
        for deal_id, rows in store.field_changes(ids).items():
            for row in rows:
                if row["field"] in HISTORY_FIELDS:
                    key = (deal_id, row["field"])
                    self.changes.setdefault(key, []).append(
                        (row["at"], row["from_value"], row["to_value"], row["origin"])
                    )
        self.tool_sources = tool_sources

    def at(self, deal: Mapping[str, object], moment: str) -> _Past:
        """`deal`'s amount, close date and own probability at `moment` (a stored timestamp)."""
        deal_id = str(deal["id"])
        known_from = deal["first_seen"]
        if deal["source"] in self.tool_sources and deal["started"]:
            known_from = deal["started"]  # the tool's own history goes back to its creation
        values: dict[str, object] = {}
        close_known = True
        for name in HISTORY_FIELDS:
            changes = self.changes.get((deal_id, name), [])
            done = [c for c in changes if c[0] <= moment]
            if done:
                values[name] = decode_value(name, done[-1][2])
                continue
            if changes:  # every change came later: the value before the first one
                at, before, _, origin = changes[0]
                values[name] = decode_value(name, before)
                known = origin == "tool" or str(known_from) <= moment
            else:
                values[name] = _current(deal, name)
                known = str(known_from) <= moment
            if name == "expected_close":
                close_known = known
        amount, close, probability = (values[n] for n in HISTORY_FIELDS)
        return _Past(
            amount if isinstance(amount, float) else None,
            close if isinstance(close, date) else None,
            probability if isinstance(probability, float) else None,
            close_known,
        )


def _current(deal: Mapping[str, object], name: str) -> object:
    value = deal[name]
    if name == "expected_close" and isinstance(value, str) and value:
        return date.fromisoformat(value[:10])
    return float(value) if isinstance(value, int | float) else None


def accuracy(
    store: Store, ctx: Context, months: int = DEFAULT_MONTHS, *, prior_weight: float = 10,
    probabilities: str = "stage",
) -> Accuracy:  # fmt: skip
    """One row per complete month before the as-of month, oldest first; MAE; months in range."""
    pipeline = ctx.pipeline
    first = ctx.today.replace(day=1)
    year, month = first.year, first.month - months
    while month < 1:
        year, month = year - 1, month + 12
    keys = month_keys(date(year, month, 1), months + 1)
    starts = [day_start(date.fromisoformat(f"{k}-01"), ctx.tz) for k in keys]
    open_keys = [s.key for s in pipeline.open_stages]
    won_keys = [s.key for s in pipeline.stages if s.outcome == "won"]
    tool_sources = store.sources_with_field_history()
    rows: list[AccuracyMonth] = []
    for index, key in enumerate(keys[:-1]):
        start, end = iso(starts[index]), iso(starts[index + 1])
        month_end = keys[index + 1] + "-01"
        candidates = store.open_at(start, open_keys, f"{key}-01", month_end)
        history = FieldHistory(store, [c["id"] for c in candidates], tool_sources)
        calibrated = None
        if probabilities == "calibrated":
            calibrated = calibrated_probabilities(store, pipeline, prior_weight, before=start)
        weighting = Weighting.of(pipeline, calibrated)
        chances: list[tuple[float, float]] = []
        forecast, lookahead, count = 0.0, False, 0
        for deal in candidates:
            past = history.at(deal, start)
            close = past.expected_close
            if close is None or not (f"{key}-01" <= close.isoformat() < month_end):
                continue
            count += 1
            lookahead = lookahead or not past.close_known
            probability, _ = weighting.probability(str(deal["stage_then"]), past.probability)
            if past.amount is None or probability is None:
                continue
            forecast += past.amount * probability / 100
            chances.append((past.amount, probability))
        low, high = won_range(chances)
        won = store.won_between(won_keys, start, end)
        won_amount = sum(float(amount or 0) for _, amount in won)
        rows.append(AccuracyMonth(key, to_cents(forecast), to_cents(low), to_cents(high),
                                  to_cents(won_amount), lookahead, count, len(won)))  # fmt: skip
    mae = to_cents(sum(abs(r.forecast - r.won) for r in rows) / len(rows)) if rows else None
    within = sum(1 for r in rows if r.low <= r.won <= r.high)
    return Accuracy(ctx.now, rows, mae, within, probabilities)
