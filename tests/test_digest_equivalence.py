"""The digest's figures match the plain SQL and full lists they replaced, on 400 seeded deals.

`stage_totals_at` (stays) and `entered_between` (events, then deals by key) were rewritten to grow
linearly; this checks them against the straightforward queries the digest used before, on a
history with same-instant moves, removed deals, deals without an amount and deals that left the
stage they entered this week.
"""

from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path
from typing import Any

from bot import analytics
from bot.answers import context_for
from bot.clock import parse_as_of
from bot.digest import build_digest
from bot.pipeline import DEFAULT_STATUS_MAP
from bot.store import Store, iso
from tests.agency import agency_config
from tests.helpers import load, store_at, task
from tests.slack_http import make_settings


def old_stages_at(store: Store, moment: str) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for deal_id, stage in store.conn.execute(
        "SELECT e.deal_id, e.to_stage FROM stage_events e JOIN deals d ON d.id = e.deal_id "
        "WHERE d.removed = 0 AND e.at <= ? ORDER BY e.deal_id, e.at, e.id",
        (moment,),
    ):
        out[deal_id] = stage
    return out


def old_entered_between(store: Store, stages: list[str], start: str,
                        end: str) -> list[dict[str, Any]]:  # fmt: skip
    marks = ",".join("?" * len(stages))
    return store.rows(
        "SELECT d.*, MAX(e.at) AS entered_at FROM stage_events e "
        "JOIN deals d ON d.id = e.deal_id "
        f"WHERE e.to_stage IN ({marks}) AND e.at >= ? AND e.at < ? AND d.removed = 0 "
        "AND d.stage = e.to_stage GROUP BY d.id ORDER BY d.stage, d.amount DESC, d.id",
        (*stages, start, end),
    )


def test_digest_matches_the_plain_queries(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, **agency_config())
    now = parse_as_of("2026-03-16", settings.tz)
    rng = random.Random(16)
    statuses = list(DEFAULT_STATUS_MAP)
    tasks = []
    for n in range(400):
        moments = [now - timedelta(days=rng.uniform(0, 21)) for _ in range(rng.randint(1, 5))]
        if rng.random() < 0.2:  # a move at the very second the week starts
            moments.append(now - timedelta(days=7))
        moments.sort()
        if rng.random() < 0.2:  # two moves in the same second
            moments.append(moments[-1])
        moves = [(m.isoformat(timespec="seconds"), rng.choice(statuses)) for m in moments]
        amount = None if rng.random() < 0.1 else float(rng.choice((1500, 2500, 9999.99, 12000)))
        # blanks SQL's trim keeps and str.strip removes: the grouped hygiene counts must agree
        owner = rng.choice((f"Owner {n % 7}",) * 6 + ("\t", "\u00a0 ", None))
        step = rng.choice(("Rappeler", "", "\u2003", "\n", None))
        close = (now + timedelta(days=rng.randint(-40, 60))).date() if rng.random() < 0.8 else None
        tasks.append(task(f"d{n}", moves[-1][1], *moves, amount=amount,
                          removed=rng.random() < 0.05, owner=owner, next_step=step,
                          expected_close=close))  # fmt: skip
    store = store_at(settings.db_path)
    load(store, settings.pipeline, tasks, now=now)
    digest = build_digest(settings, store, now)

    since = iso(digest.since)
    was = old_stages_at(store, since)
    amounts = {d["id"]: float(d["amount"] or 0) for d in store.live_deals()}
    expected_before = {}
    for line in digest.stages:
        ids = [deal_id for deal_id, stage in was.items() if stage == line.key]
        expected_before[line.key] = (len(ids), round(sum(amounts[d] for d in ids), 2))
    assert {s.key: (s.count_before, s.amount_before) for s in digest.stages} == expected_before
    assert all(count > 10 for count, _ in expected_before.values())

    pipeline = settings.pipeline
    for outcome, got in (("won", digest.won), ("lost", digest.lost)):
        keys = [s.key for s in pipeline.stages if s.outcome == outcome]
        expected = old_entered_between(store, keys, since, iso(now))
        assert len(expected) > 10
        assert got == expected

    # the count and the five longest stalled, and the hygiene counts, as the full lists give them
    ctx = context_for(settings, now)
    stalled = analytics.stalled(store, ctx).deals
    assert len(stalled) > 20 and len({d.idle_days for d in stalled[:6]}) < 6  # ties at the top
    assert (digest.stalled_count, digest.longest) == (len(stalled), stalled[:5])
    for limit in range(1, 40):  # wherever the cut falls among deals idle as long
        assert analytics.longest_stalled(store, ctx, limit) == (len(stalled), stalled[:limit])
    tidy = analytics.hygiene(store, ctx)
    assert len(tidy.deals) > 10
    assert digest.tidy == (len(tidy.deals), tidy.counts)
    assert all(tidy.counts[code] > 3 for code in ("no_owner", "no_next_step", "overdue"))

    # the digest's forecast lines without the ranges it does not print: the same buckets
    full = analytics.forecast(store, ctx, months=2)
    assert [(m.month, m.count, m.amount, m.weighted) for m in digest.forecast] == [
        (m.month, m.count, m.amount, m.weighted) for m in full.months
    ]
    assert sum(m.count for m in full.months) > 10

    # snoozed deals leave the stalled count (the counts read the index alone only when none is)
    for deal in stalled[:3]:
        store.add_quiet(deal.id, "snooze", deal.stage, "U1", now - timedelta(days=1),
                        now + timedelta(days=2))  # fmt: skip
    after = analytics.stalled(store, ctx).deals
    assert len(after) == len(stalled) - 3
    assert analytics.longest_stalled(store, ctx, 5) == (len(after), after[:5])
    assert sum(s.stalled for s in analytics.summary(store, ctx).stages) == len(after)
    assert build_digest(settings, store, now).stalled_count == len(after)
    store.close()
