"""Statuses no stage claims, with how many live deals carry each (`pipeline-bot check` too)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.analytics.core import Context
from bot.store import Store


@dataclass
class UnmappedStatus:
    status: str
    count: int


@dataclass
class Unmapped:
    as_of: datetime
    statuses: list[UnmappedStatus]

    @property
    def count(self) -> int:
        return sum(s.count for s in self.statuses)


def unmapped(store: Store, ctx: Context) -> Unmapped:
    """Most common first; spellings of one status (case, accents) are counted together."""
    rows = store.unmapped_statuses()
    return Unmapped(ctx.now, [UnmappedStatus(r["status"], int(r["count"])) for r in rows])
