"""Workload per owner: open deals, amount, weighted and stalled, one GROUP BY over an index
in owner order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.analytics.core import Context, open_keys_sql, stall_sql, to_cents, weighted_sql
from bot.store import Store

#: In owner order and covering every column read (m016): the GROUP BY streams, no sort, no table
#: lookup; without the hint SQLite would search the (removed, stage) indexes and sort.
OWNERS_INDEX = "idx_deals_owner_cover"


@dataclass
class OwnerRow:
    owner: str | None  # None: open deals nobody owns
    open: int
    amount: float
    weighted: float
    stalled: int


@dataclass
class Owners:
    as_of: datetime
    owners: list[OwnerRow]


def owners(store: Store, ctx: Context) -> Owners:
    """One row per owner of an open deal, most open deals first (then weighted, then name)."""
    stalled, params = stall_sql(ctx)
    rows = store.rows(
        f"SELECT d.owner AS owner, COUNT(*) AS n, TOTAL(d.amount) AS amount, "
        f"TOTAL({weighted_sql(ctx)}) AS weighted, TOTAL(CASE WHEN {stalled} THEN 1 END) AS stalled "
        f"FROM deals d INDEXED BY {OWNERS_INDEX} "
        f"WHERE d.removed = 0 AND d.stage IN {open_keys_sql(ctx)} GROUP BY d.owner",
        params,
    )
    out = [
        OwnerRow(row["owner"], int(row["n"]), to_cents(row["amount"]), to_cents(row["weighted"]),
                 int(row["stalled"]))
        for row in rows
    ]  # fmt: skip
    out.sort(key=lambda r: (-r.open, -r.weighted, r.owner is None, (r.owner or "").casefold()))
    return Owners(ctx.now, out)
