"""Forecast buckets at month edges, on the hand-made fixture (as of Monday 2026-03-30)."""

from __future__ import annotations

from datetime import datetime

from bot.analytics import forecast
from bot.store import Store
from tests.analytics_fixture import PARIS, build, context


def test_forecast_buckets_worked_by_hand(store: Store) -> None:
    result = forecast(store, build(store))
    months = {m.month: (m.count, m.amount, m.weighted) for m in result.months}
    # 6 months from the as-of month, empty ones listed too
    assert list(months) == ["2026-03", "2026-04", "2026-05", "2026-06", "2026-07", "2026-08"]
    # D closes 03-31, the last day of the as-of month: 5 000 × 80 % = 4 000
    assert months["2026-03"] == (1, 5000.0, 4000.0)
    # A closes 04-01, the first day of the next: 10 000 × 40 % = 4 000
    assert months["2026-04"] == (1, 10000.0, 4000.0)
    assert months["2026-05"] == (0, 0.0, 0.0)
    # B closes 03-29, yesterday: overdue, 20 000 × its own 25 % = 5 000
    assert (result.overdue.count, result.overdue.amount, result.overdue.weighted) == (
        1, 20000.0, 5000.0)  # fmt: skip
    # C (no amount) and J (1 000 × 10 %) have no date
    assert (result.no_date.count, result.no_date.amount, result.no_date.weighted) == (
        2, 1000.0, 100.0)  # fmt: skip
    # I closes 09-30, after the 6 months shown: 2 000 × 40 %
    assert (result.later.count, result.later.weighted) == (1, 800.0)
    # only open deals: won E, lost F/G, unmapped H and removed K are left out; buckets add up
    assert result.open.count == 6 and result.open.weighted == 13900.0


def test_forecast_horizon_and_today_as_overdue_edge(store: Store) -> None:
    build(store)
    result = forecast(store, context(), months=7)
    assert [m.month for m in result.months][-1] == "2026-09"
    assert result.months[-1].count == 1 and result.later.count == 0
    # as of 03-29 itself, B's 03-29 is today: not overdue but in March
    on_the_day = forecast(store, context(now=datetime(2026, 3, 29, 12, 0, tzinfo=PARIS)))
    assert on_the_day.overdue.count == 0
    assert on_the_day.months[0].count == 2  # B (03-29) and D (03-31)


def test_forecast_year_wraps(store: Store) -> None:
    build(store)
    result = forecast(store, context(now=datetime(2026, 11, 15, 12, 0, tzinfo=PARIS)), months=3)
    assert [m.month for m in result.months] == ["2026-11", "2026-12", "2027-01"]
    # every dated open deal closes before 2026-11-15 now: A, B, D, I overdue
    assert result.overdue.count == 4
