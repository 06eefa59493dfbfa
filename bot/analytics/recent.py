"""What changed lately: new deals, stage moves, wins and losses since as-of minus N days.

Read from `stage_events` over its index on `at`: moving between two statuses of one stage is not
an event there, so it is not a change here either.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.analytics.core import Context
from bot.store import Store, iso

DEFAULT_DAYS = 7
MAX_DAYS = 3650


@dataclass
class ChangeEvent:
    at: datetime
    deal: str
    title: str
    from_stage: str | None
    to_stage: str | None
    kind: str  # "new" | "moved" | "won" | "lost"
    status: str | None
    owner: str | None
    amount: float | None
    from_label: str | None = None
    to_label: str | None = None


@dataclass
class Changes:
    as_of: datetime
    since: datetime
    days: int
    events: list[ChangeEvent]


def changes(store: Store, ctx: Context, days: int = DEFAULT_DAYS) -> Changes:
    """Events with since <= at <= as_of, newest first; `since` is the same local time `days`
    calendar days before as-of."""
    local_now = ctx.now.astimezone(ctx.tz)
    since = (local_now.replace(tzinfo=None) - timedelta(days=days)).replace(tzinfo=ctx.tz)
    rows = store.rows(
        "SELECT e.at, e.deal_id, d.title, e.from_stage, e.to_stage, e.status, d.owner, d.amount, "
        "(e.from_stage IS NULL AND NOT EXISTS (SELECT 1 FROM stage_events p "
        "WHERE p.deal_id = e.deal_id AND (p.at < e.at OR (p.at = e.at AND p.id < e.id)))) AS new "
        "FROM stage_events e JOIN deals d ON d.id = e.deal_id "
        "WHERE e.at >= :since AND e.at <= :now AND d.removed = 0 ORDER BY e.at DESC, e.id DESC",
        {"since": iso(since), "now": iso(ctx.now)},
    )
    outcomes = {s.key: s.outcome for s in ctx.pipeline.stages if s.outcome}
    labels = {s.key: s.label(ctx.language) for s in ctx.pipeline.stages}
    events = []
    for row in rows:
        kind = "new" if row["new"] else outcomes.get(row["to_stage"] or "") or "moved"
        moment = ctx.local(row["at"])
        assert moment is not None
        events.append(ChangeEvent(moment, row["deal_id"], row["title"], row["from_stage"],
                                  row["to_stage"], kind, row["status"], row["owner"],
                                  row["amount"], labels.get(row["from_stage"] or ""),
                                  labels.get(row["to_stage"] or "")))  # fmt: skip
    return Changes(ctx.now, since.astimezone(ctx.tz), days, events)
