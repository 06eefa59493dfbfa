"""Summary and stalled on the hand-made fixture (tests/analytics_fixture.py), worked by hand."""

from __future__ import annotations

from datetime import datetime

from bot.analytics import Context, stalled, summary
from bot.pipeline import DEFAULT_STAGES, Pipeline
from bot.store import Store
from tests.analytics_fixture import PARIS, build, context
from tests.helpers import load, task, utc


def test_summary_by_stage_worked_by_hand(store: Store) -> None:
    result = summary(store, build(store))
    rows = {s.key: (s.count, s.amount, s.weighted, s.stalled) for s in result.stages}
    # qualification: J 1 000 at the stage's 10 % = 100; J is snoozed, so not stalled
    assert rows["qualification"] == (1, 1000.0, 100.0, 0)
    # meeting: A 10 000 × 40 % = 4 000 + I 2 000 × 40 % = 800 → 4 800; A idle 20 d ≥ 7
    assert rows["meeting"] == (2, 12000.0, 4800.0, 1)
    # negotiation: B 20 000 × its own 25 % = 5 000 (not 60 %) + C no amount → 0;
    # B idle 7 d (03-23 → 03-30) = stall_days → stalled; C idle 6 d → not; K removed: nowhere
    assert rows["negotiation"] == (2, 20000.0, 5000.0, 1)
    # closing: D 5 000 × 80 % = 4 000, idle 2 d < 5
    assert rows["closing"] == (1, 5000.0, 4000.0, 0)
    # won: E counts 100 % whatever it says (30 %): 8 000
    assert rows["won"] == (1, 8000.0, 8000.0, 0)
    # lost: F (3 000, says 50 %) counts 0 %; G has no amount
    assert rows["lost"] == (2, 3000.0, 0.0, 0)
    # open = qualification..closing: 1+2+2+1 = 6 deals, 38 000, 100+4 800+5 000+4 000 = 13 900
    assert (result.open.count, result.open.amount, result.open.weighted) == (6, 38000.0, 13900.0)
    # H (« En pause ») is in no stage total but counted apart
    assert result.unmapped == 1
    assert sum(s.count for s in result.stages) == 9  # 11 deals − H (unmapped) − K (removed)


def test_stalled_lists_boundary_and_leaves_out_snoozed(store: Store) -> None:
    result = stalled(store, build(store))
    # A idle 20 d, B idle exactly 7 d (stalled at the boundary); C idle 6 d is not;
    # J idle 29 d is snoozed in its stage until 2026-04-02
    assert [(d.id, d.idle_days, d.stall_days) for d in result.deals] == [
        ("t:A", 20, 7),
        ("t:B", 7, 7),
    ]
    assert result.deals[0].stage_label == "Meeting"


def test_snooze_ends_when_its_time_is_up(store: Store) -> None:
    build(store)
    later = context(now=datetime(2026, 4, 3, 12, 0, tzinfo=PARIS))  # snooze ended 04-02
    assert "t:J" in [d.id for d in stalled(store, later).deals]


def test_snooze_of_another_stage_does_not_hide(store: Store) -> None:
    ctx = build(store)
    store.conn.execute("UPDATE quiet SET stage = 'meeting' WHERE deal_id = 't:J'")
    assert "t:J" in [d.id for d in stalled(store, ctx).deals]


def _one(store: Store, entered: str, now: datetime, counting: str = "calendar") -> Context:
    """One deal in meeting since `entered` (UTC), and a context at `now`."""
    pipeline = Pipeline(DEFAULT_STAGES)
    load(store, pipeline, [task("X", "appel et devis", (entered, "appel et devis"))],
         now=utc(entered))  # fmt: skip
    return Context(pipeline, PARIS, now, stall_counting=counting, language="en")


def test_stage_entered_at_2330_utc_counts_from_the_paris_day(store: Store) -> None:
    # 2026-03-02 23:30 UTC is Tuesday 03-03 00:30 in Paris: as of Tuesday 03-10 noon that is
    # 7 days (not 8, which the UTC date 03-02 would give)
    ctx = _one(store, "2026-03-02T23:30", datetime(2026, 3, 10, 12, 0, tzinfo=PARIS))
    deals = stalled(store, ctx).deals
    assert [d.idle_days for d in deals] == [7]
    ctx = _one(store, "2026-03-02T23:30", datetime(2026, 3, 9, 23, 59, tzinfo=PARIS))
    assert stalled(store, ctx).deals == []  # 6 days: one less than stall_days


def test_idle_days_across_the_dst_change(store: Store) -> None:
    # entered Saturday 2026-03-28 (CET), as of Monday 03-30 (CEST): 2 local days, though
    # only 47 hours passed
    ctx = _one(store, "2026-03-28T10:00", datetime(2026, 3, 30, 9, 0, tzinfo=PARIS))
    assert ctx.idle_days("2026-03-28T10:00:00+00:00") == 2


def test_business_days_friday_to_monday_is_one(store: Store) -> None:
    # Friday 2026-03-20 → Monday 03-23 = 1 business day; stalled needs 7: Friday 03-20 →
    # Tuesday 03-31 = 23,24,25,26,27,30,31 = 7 business days; Monday 03-30 = 6 → not yet
    ctx = _one(store, "2026-03-20T09:00", datetime(2026, 3, 23, 12, 0, tzinfo=PARIS), "business")
    assert ctx.idle_days("2026-03-20T09:00:00+00:00") == 1
    monday = Context(ctx.pipeline, PARIS, datetime(2026, 3, 30, 12, 0, tzinfo=PARIS),
                     stall_counting="business")  # fmt: skip
    assert stalled(store, monday).deals == []
    tuesday = Context(ctx.pipeline, PARIS, datetime(2026, 3, 31, 12, 0, tzinfo=PARIS),
                      stall_counting="business")  # fmt: skip
    assert [d.idle_days for d in stalled(store, tuesday).deals] == [7]
