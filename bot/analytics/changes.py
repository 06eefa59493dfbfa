"""What changed lately: new deals, stage moves, wins and losses since as-of minus N days.

Read from `stage_events` over its index on `at`: moving between two statuses of one stage is not
an event there, so it is not a change here either.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.analytics.core import Context
from bot.store import WAS_THERE_SQL, Store, iso

DEFAULT_DAYS = 7
MAX_DAYS = 3650


@dataclass(slots=True)
class ChangeEvent:
    stamp: str  # when: local ISO 8601 with offset (see `at`)
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
    by: str | None = None  # the Slack user who made the move from Slack; None: from the tool

    @property
    def at(self) -> datetime:
        """When, as an aware datetime (in the zone's offset at that instant)."""
        return datetime.fromisoformat(self.stamp)


#: `ChangeEvent`'s fields in order (`_event_values`).
EventValues = tuple[Any, ...]


@dataclass
class Changes:
    as_of: datetime
    since: datetime
    days: int
    events: list[ChangeEvent]
    #: with `Context.stream`: every event's values (`EventValues`), read from the store as
    #: iterated, and `events` is empty
    rows: Iterator[EventValues] | None = None


#: Events of a time window, newest first, read from the covering `at` index alone (m006) and
#: filtered on the events' own copy of the deal's `removed`. Whether an event is its deal's
#: first ("new", when it has no `from_stage`) is told by `DEALS_SQL`'s `first_event`, not here.
#: A deal's first event at the very time its source's first sync first saw it (no date from the
#: tool) is left out: it says when pipeline-bot started watching, not that the deal is new.
EVENTS_SQL = (
    "SELECT e.at, e.deal_id, e.from_stage, e.to_stage, e.status, e.by_user, e.id "
    "FROM stage_events e WHERE e.at >= :since AND e.at <= :now AND e.removed = 0 "
    "ORDER BY e.at DESC, e.id DESC"
)
#: What the answer shows of those events' deals: each deal looked up once (a busy week has
#: about two events a deal), in the covering (id, removed, title, owner, amount, source,
#: first_seen) index (m018).
#: `d.removed = 0` is the truth: an event whose deal is not found here is left out.
#: `first_event`: the id of the deal's earliest event (by `at`, then id), one seek in the
#: (deal_id, at) index per deal, the deals taken in id order. Asked per event instead (does an
#: earlier event exist?), the seeks came in time order, all over that index: at 1M deals, with
#: 59,000 new deals in the week, 0.28 s of the answer's 0.64 s of SQL, against 0.04 s here. A
#: week of moves pays one seek per deal for few new ones (8,372 deals, 760 new: about +20 ms
#: on SQLite, +40–70 ms on PostgreSQL); asking only the new deals' was slower at 1M
#: (docs/benchmarks.md, "PostgreSQL beside SQLite").
DEALS_SQL = (
    f"SELECT d.id, d.title, d.owner, d.amount, CASE WHEN {WAS_THERE_SQL} THEN d.first_seen END, "
    "(SELECT p.id FROM stage_events p WHERE p.deal_id = d.id ORDER BY p.at, p.id LIMIT 1) "
    "FROM deals d WHERE d.removed = 0 AND d.id IN "
    "(SELECT e.deal_id FROM stage_events e WHERE e.at >= :since AND e.at <= :now "
    "AND e.removed = 0)"
)


def changes(store: Store, ctx: Context, days: int = DEFAULT_DAYS) -> Changes:
    """Events with since <= at <= as_of, newest first; `since` is the same local time `days`
    calendar days before as-of. With `ctx.stream`, the events are read as they are written
    (`Changes.rows`)."""
    local_now = ctx.now.astimezone(ctx.tz)
    since = (local_now.replace(tzinfo=None) - timedelta(days=days)).replace(tzinfo=ctx.tz)
    rows = _event_values(store, ctx, {"since": iso(since), "now": iso(ctx.now)})
    if ctx.stream:
        return Changes(ctx.now, since.astimezone(ctx.tz), days, [], rows)
    events = [ChangeEvent(*values) for values in rows]
    return Changes(ctx.now, since.astimezone(ctx.tz), days, events)


def _event_values(store: Store, ctx: Context, window: dict[str, str]) -> Iterator[EventValues]:
    """Each event of the window as `ChangeEvent`'s fields in order, newest first: what depends
    on the stage or the hour worked out once, the deals read once before the events."""
    deals = {row[0]: row for row in store.conn.execute(DEALS_SQL, window)}
    kinds: dict[str | None, str] = {s.key: s.outcome or "moved" for s in ctx.pipeline.stages}
    labels: dict[str | None, str] = {s.key: s.label(ctx.language) for s in ctx.pipeline.stages}
    stamp, kind_of, label_of = ctx.stamper(), kinds.get, labels.get
    hours = stamp.hours
    for at, deal_id, old, to, status, by, event_id in store.conn.execute(EVENTS_SQL, window):
        deal = deals.get(deal_id)
        if deal is None:  # a removed deal
            continue
        _, title, owner, amount, watched_from, first_event = deal
        new = old is None and event_id == first_event
        if new and at == watched_from:  # when pipeline-bot started watching, not a new deal
            continue
        hit = hours.get(at[:13])  # the stamper's own per-hour table, read inline: 17,000 rows
        text = at[13:19].join(hit) if hit and at[19:] == "+00:00" else stamp(at) or at
        kind = "new" if new else kind_of(to, "moved")
        yield (text, deal_id, title, old, to, kind, status, owner, amount, label_of(old),
               label_of(to), by)  # fmt: skip
