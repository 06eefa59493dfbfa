"""Funnel: how many deals reached each open stage, how many went on, and how long stays last.

"Reached" comes from `deals.visited` (a bit per stage the deal's history passed through, derived
by the store with the stage events), so it is one GROUP BY over a small index, never a scan of
the stage history. Median stay lengths come from the partial index on finished stays
(`stage_events(to_stage, stay_days)`): a COUNT and one OFFSET walk per stage.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.analytics.core import Context
from bot.store import Store


@dataclass
class FunnelStage:
    key: str
    label: str
    reached: int
    conversion: float | None  # reached[next] / reached[this], 0-1; None when nobody reached it
    median_days: float | None  # median length of finished stays; None when none finished
    stays: int = 0  # finished stays the median is taken over
    bottleneck: bool = False


@dataclass
class Funnel:
    as_of: datetime
    stages: list[FunnelStage]
    won: int  # reached[won]: deals now won
    bottleneck: str | None  # key of the open stage with the worst conversion


def reached_counts(store: Store, ctx: Context) -> tuple[dict[str, int], int]:
    """Deals that reached each open stage, and the number of won deals (contract rules).

    Won deals reached every open stage; a deal in an open or a lost stage reached every open
    stage up to the furthest in its history; an unmapped deal counts for the open stages its
    history passed through, and only those.
    """
    stages = ctx.pipeline.stages
    open_positions = [i for i, s in enumerate(stages) if s.is_open]
    reached = {stages[i].key: 0 for i in open_positions}
    won = 0
    rows = store.rows(
        "SELECT stage, visited, COUNT(*) AS n FROM deals WHERE removed = 0 GROUP BY stage, visited"
    )
    for row in rows:
        stage = ctx.pipeline.by_key.get(row["stage"]) if row["stage"] else None
        visited, count = int(row["visited"] or 0), int(row["n"])
        if stage is not None and stage.outcome == "won":
            won += count
            hit = open_positions
        elif stage is None:
            hit = [i for i in open_positions if visited >> i & 1]
        else:
            here = [i for i in open_positions if visited >> i & 1]
            furthest = max(here, default=-1)
            hit = [i for i in open_positions if i <= furthest]
        for i in hit:
            reached[stages[i].key] += count
    return reached, won


def median_stays(store: Store, ctx: Context) -> dict[str, tuple[float | None, int]]:
    """Per open stage: (median length in days of its finished stays, how many there are)."""
    keys = [s.key for s in ctx.pipeline.open_stages]
    marks = ",".join("?" * len(keys))
    counts = {
        row["to_stage"]: int(row["n"])
        for row in store.rows(
            "SELECT to_stage, COUNT(*) AS n FROM stage_events "
            f"WHERE stay_days IS NOT NULL AND removed = 0 AND to_stage IN ({marks}) "
            "GROUP BY to_stage",
            keys,
        )
    }
    out: dict[str, tuple[float | None, int]] = {}
    for key in keys:
        n = counts.get(key, 0)
        if n == 0:
            out[key] = (None, 0)
            continue
        middle = store.rows(
            "SELECT stay_days FROM stage_events "
            "WHERE to_stage = ? AND stay_days IS NOT NULL AND removed = 0 "
            "ORDER BY stay_days LIMIT ? OFFSET ?",
            (key, 2 - n % 2, (n - 1) // 2),
        )
        values = [float(r["stay_days"]) for r in middle]
        out[key] = (round(sum(values) / len(values), 2), n)
    return out


def funnel(store: Store, ctx: Context) -> Funnel:
    """Open stages in order with reached, conversion to the next (the last one's next is won),
    median finished stay, and the bottleneck: the stage with the worst conversion."""
    reached, won = reached_counts(store, ctx)
    medians = median_stays(store, ctx)
    open_stages = ctx.pipeline.open_stages
    rows: list[FunnelStage] = []
    for index, stage in enumerate(open_stages):
        here = reached[stage.key]
        after = reached[open_stages[index + 1].key] if index + 1 < len(open_stages) else won
        conversion = round(after / here, 4) if here else None
        median, stays = medians[stage.key]
        rows.append(FunnelStage(stage.key, stage.label(ctx.language), here, conversion, median,
                                stays))  # fmt: skip
    rated = [row for row in rows if row.conversion is not None]
    worst = min(rated, key=lambda row: row.conversion or 0.0) if rated else None
    if worst is not None:
        worst.bottleneck = True
    return Funnel(ctx.now, rows, won, worst.key if worst else None)
