"""The fast SQL shapes (per-stage UNION ALL for stalled, index-driven changes, owner look-ups by
index seeks, local stamps without datetimes) give what the definitions say, checked against a
plain Python reading of the same rows on the hand-made fixture (tests/analytics_fixture.py)."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.analytics import Context, changes, in_stage, owned_by, stalled, summary
from bot.analytics.core import LocalStamps
from bot.pipeline import Pipeline
from bot.store import Store, iso
from tests.analytics_fixture import PARIS, build, context

LATER = datetime(2026, 4, 20, 12, 0, tzinfo=PARIS)  # every open deal of the fixture is idle


def _quiet(store: Store, deal: str, stage: str, until: str) -> None:
    store.conn.execute(
        "INSERT INTO quiet(deal_id, kind, stage, by_user, at, until) VALUES "
        "(?, 'snooze', ?, 'U1', '2026-04-19T08:00:00+00:00', ?)",
        (deal, stage, until),
    )


def _expected_stalled(store: Store, ctx: Context) -> list[tuple[str, int]]:
    """Stalled per docs/definitions.md, deal by deal in Python: open stage with stall_days > 0,
    idle_days >= stall_days, not quiet in its current stage, not removed."""
    now = iso(ctx.now)
    quiet = {
        (row["deal_id"], row["stage"])
        for row in store.rows("SELECT deal_id, stage FROM quiet WHERE until > ?", (now,))
    }
    out = []
    for deal in store.rows("SELECT * FROM deals WHERE removed = 0"):
        stage = ctx.pipeline.by_key.get(deal["stage"] or "")
        if stage is None or not stage.is_open or stage.stall_days <= 0:
            continue
        idle = ctx.idle_days(deal["stage_entered"])
        if idle is None or idle < stage.stall_days or (deal["id"], stage.key) in quiet:
            continue
        out.append((deal["id"], idle))
    return sorted(out, key=lambda pair: (-pair[1], pair[0]))


def test_stalled_over_several_stages_with_snoozes_matches_the_definition(store: Store) -> None:
    build(store)
    ctx = context(now=LATER)
    _quiet(store, "t:D", "closing", "2026-04-25T00:00:00+00:00")  # hides D (closing)
    _quiet(store, "t:A", "meeting", "2026-04-25T00:00:00+00:00")  # hides A (meeting)
    _quiet(store, "t:C", "meeting", "2026-04-25T00:00:00+00:00")  # another stage: C shows
    _quiet(store, "t:B", "negotiation", "2026-04-01T00:00:00+00:00")  # over: B shows
    expected = _expected_stalled(store, ctx)
    # J's snooze ended 04-02; stalled deals in qualification, meeting and negotiation
    assert [deal for deal, _ in expected] == ["t:J", "t:B", "t:C", "t:I"]
    result = stalled(store, ctx)
    assert [(d.id, d.idle_days) for d in result.deals] == expected
    assert {d.stage for d in result.deals} == {"qualification", "meeting", "negotiation"}
    counts = {row.key: row.stalled for row in summary(store, ctx).stages}
    for key, count in counts.items():
        assert count == sum(1 for d in result.deals if d.stage == key), key
    # the lists' per-deal flag agrees
    listed = {d.id for s in ctx.pipeline.open_stages for d in in_stage(store, ctx, s).deals
              if d.stalled}  # fmt: skip
    assert listed == {d.id for d in result.deals}


def test_stalled_with_no_stage_that_can_stall_is_empty(store: Store) -> None:
    build(store)
    ctx = context(now=LATER)
    never = Pipeline([replace(s, stall_days=0) for s in ctx.pipeline.stages])
    quiet_ctx = context(now=LATER, pipeline=never)
    assert stalled(store, quiet_ctx).deals == []
    assert all(row.stalled == 0 for row in summary(store, quiet_ctx).stages)


def test_changes_leave_out_removed_deals_and_trust_the_deal_row(store: Store) -> None:
    ctx = build(store)
    # K (removed upstream) moved on 03-01, 03-02 and 03-03: within 40 days, but never listed
    events = changes(store, ctx, days=40).events
    assert "t:K" not in {e.deal for e in events}
    live = store.rows(
        "SELECT e.deal_id, e.at FROM stage_events e JOIN deals d ON d.id = e.deal_id "
        "WHERE d.removed = 0 AND e.at >= ? AND e.at <= ? ORDER BY e.at DESC, e.id DESC",
        (iso(changes(store, ctx, days=40).since), iso(ctx.now)),
    )
    assert [(e.deal, iso(e.at)) for e in events] == [(r["deal_id"], r["at"]) for r in live]
    # a deal flagged removed whose events still say otherwise: the deal row wins
    store.conn.execute("UPDATE deals SET removed = 1 WHERE id = 't:A'")
    assert "t:A" not in {e.deal for e in changes(store, ctx, days=40).events}


def test_change_events_carry_local_stamps(store: Store) -> None:
    ctx = build(store)
    event = next(e for e in changes(store, ctx, days=40).events if e.deal == "t:D")
    # D entered closing 2026-03-27 23:30 UTC = 03-28 00:30 in Paris (CET)
    assert event.stamp == "2026-03-28T00:30:00+01:00"
    assert event.at == datetime(2026, 3, 27, 23, 30, tzinfo=UTC)


def test_owner_lists_by_name_or_email_open_deals_only(store: Store) -> None:
    ctx = build(store)
    # Marie by e-mail: A (meeting) and B (negotiation); E won and K removed are left out.
    # Paul by name: I (meeting), C (negotiation); F, G lost and H unmapped are not open
    names = ["marie@agence.fr", "Paul Martin"]
    assert [d.id for d in owned_by(store, ctx, names).deals] == ["t:A", "t:I", "t:B", "t:C"]
    assert owned_by(store, ctx, []).deals == []


def test_deal_views_stamp_like_the_datetimes(store: Store) -> None:
    ctx = build(store)
    rows = {r["id"]: r for r in store.rows("SELECT * FROM deals")}
    for deal in in_stage(store, ctx, ctx.pipeline.by_key["closing"]).deals:
        entered = ctx.local(rows[deal.id]["stage_entered"])
        assert entered is not None
        assert deal.entered_stamp == entered.isoformat(timespec="seconds")
        assert deal.stage_entered == entered
        assert deal.idle_days == ctx.days_since(entered.date())


@pytest.mark.parametrize(
    "zone",
    ["Europe/Paris", "America/New_York", "Asia/Kolkata", "America/St_Johns",
     "Australia/Lord_Howe", "Pacific/Kiritimati", "Pacific/Pago_Pago", "UTC"],
)  # fmt: skip
def test_local_stamps_are_the_datetime_text(zone: str) -> None:
    tz = ZoneInfo(zone)
    stamps = LocalStamps(tz)
    rng = random.Random(zone)
    start = datetime(2019, 1, 1, tzinfo=UTC)
    moments = [start + timedelta(seconds=rng.randrange(0, 86400 * 365 * 8)) for _ in range(3000)]
    # every quarter hour around each DST change of 2026 (and the odd 30-minute ones)
    moments += [datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=15 * k)
                for k in range(0, 4 * 24 * 365)]  # fmt: skip
    for moment in moments:
        stored = iso(moment)
        assert stamps(stored) == moment.astimezone(tz).isoformat(timespec="seconds"), stored
    # anything not in the stored form takes the datetime way
    for odd in ("2026-03-29T01:30:00.250000+00:00", "2026-03-29T03:30:00+02:00"):
        assert stamps(odd) == datetime.fromisoformat(odd).astimezone(tz).isoformat(
            timespec="seconds"
        )
    assert stamps(None) is None and stamps("") is None
