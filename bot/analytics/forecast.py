"""Forecast: open deals by month of `expected_close`, from the as-of month on.

One GROUP BY over an index on (removed, stage, expected_close, amount, probability): each deal
falls in exactly one bucket (overdue, a month of the horizon, later, no date), so the buckets add
up to the open pipeline.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from bot.analytics.core import (
    Context,
    Totals,
    open_keys_sql,
    probability_sql,
    to_cents,
    weighted_sql,
)
from bot.analytics.ranges import won_range
from bot.store import Store

#: The bucket of an open deal: `no_date`, `overdue` (before :today), `later` (from :end on) or
#: its expected month.
BUCKET_SQL = (
    "CASE WHEN d.expected_close IS NULL OR d.expected_close = '' THEN 'no_date' "
    "WHEN d.expected_close < :today THEN 'overdue' "
    "WHEN d.expected_close >= :end THEN 'later' "
    "ELSE substr(d.expected_close, 1, 7) END"
)
DEFAULT_MONTHS = 6
MAX_MONTHS = 36


@dataclass
class MonthBucket:
    month: str  # "YYYY-MM"
    count: int = 0
    amount: float = 0.0
    weighted: float = 0.0
    low: float = 0.0  # P10 / P90 of the amount won, its deals won independently
    high: float = 0.0


@dataclass
class Forecast:
    as_of: datetime
    months: list[MonthBucket]
    overdue: Totals
    no_date: Totals
    later: Totals  # expected after the last month listed
    horizon: int = DEFAULT_MONTHS
    open: Totals = field(default_factory=Totals)


def month_keys(start: date, count: int) -> list[str]:
    """`count` consecutive "YYYY-MM" keys from the month of `start`."""
    keys = []
    year, month = start.year, start.month
    for _ in range(count):
        keys.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return keys


def forecast(store: Store, ctx: Context, months: int = DEFAULT_MONTHS, ranges: bool = True
             ) -> Forecast:  # fmt: skip
    """Open deals by expected month: `overdue` before today (local), `no_date`, `later`.

    `ranges=False` leaves every P10/P90 at 0: the digest prints counts and amounts only, and the
    ranges are most of the forecast's cost (a pass over every open deal and a transform each)."""
    keys = month_keys(ctx.today, months + 1)
    shown, end = keys[:months], f"{keys[months]}-01"
    rows = store.rows(
        f"SELECT {BUCKET_SQL} AS bucket, "
        f"COUNT(*) AS count, TOTAL(d.amount) AS amount, TOTAL({weighted_sql(ctx)}) AS weighted "
        f"FROM deals d WHERE d.removed = 0 AND d.stage IN {open_keys_sql(ctx)} GROUP BY bucket",
        {"today": ctx.today.isoformat(), "end": end},
    )
    found = {row["bucket"]: row for row in rows}

    chances = _chances(store, ctx, end) if ranges else {}
    found_ranges = {key: won_range(deals) for key, deals in chances.items()}

    def totals(key: str) -> Totals:
        row = found.get(key)
        low, high = found_ranges.get(key, (0.0, 0.0))
        if row is None:
            return Totals(low=0.0, high=0.0)
        return Totals(int(row["count"]), to_cents(row["amount"]), to_cents(row["weighted"]),
                      to_cents(low), to_cents(high))  # fmt: skip

    buckets = []
    for key in shown:
        got = totals(key)
        buckets.append(MonthBucket(key, got.count, got.amount, got.weighted, got.low or 0.0,
                                   got.high or 0.0))  # fmt: skip
    everything = (deal for deals in chances.values() for deal in deals)
    low, high = won_range(everything) if ranges else (0.0, 0.0)
    overall = Totals(
        sum(int(r["count"]) for r in rows),
        to_cents(sum(r["amount"] for r in rows)),
        to_cents(sum(r["weighted"] for r in rows)),
        to_cents(low),
        to_cents(high),
    )
    return Forecast(ctx.now, buckets, totals("overdue"), totals("no_date"), totals("later"),
                    months, overall)  # fmt: skip


def _chances(store: Store, ctx: Context, end: str) -> dict[str, list[tuple[float, float]]]:
    """Per bucket, (amount, probability) of each open deal with both: what its range is of."""
    out: dict[str, list[tuple[float, float]]] = {}
    for bucket, amount, probability in store.conn.execute(
        f"SELECT {BUCKET_SQL} AS bucket, d.amount, {probability_sql(ctx)} FROM deals d "
        f"WHERE d.removed = 0 AND d.stage IN {open_keys_sql(ctx)} AND d.amount IS NOT NULL",
        {"today": ctx.today.isoformat(), "end": end},
    ):
        if probability is not None:
            out.setdefault(bucket, []).append((amount, probability))
    return out
