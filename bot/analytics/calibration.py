"""Calibration: the stage probabilities checked against the agency's own closed deals.

Per open stage, `won` of `closed` deals that reached it; the calibrated probability is the
posterior mean with the configured probability as a Beta prior worth `prior_weight` deals:
100 × (won + w × configured / 100) / (closed + w). With a few dozen closed deals it stays near
the configured value; it follows the history as the history grows.

The back-test replays time: each closed deal that reached a stage is predicted once for it with
the configured probability and with the calibrated one computed only from deals that had closed
strictly before it entered the stage, and both predictions get a Brier score. "Reached" is the
funnel's rule (a won deal reached every open stage, any other deal the open stages up to the
furthest its history went); "entered" is the first time the deal was in that stage or a later one;
"closed" is when it entered its current outcome stage.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.analytics.core import Context
from bot.pipeline import Pipeline
from bot.store import Store

#: Scored (deal, stage) pairs below which the back-test cannot recommend the calibrated values.
MIN_SCORED = 10


@dataclass
class CalibrationRow:
    key: str
    label: str
    configured: float
    won: int
    closed: int
    observed: float | None  # 100 × won / closed; None when nothing closed
    calibrated: float
    n_scored: int
    brier_stage: float | None
    brier_calibrated: float | None


@dataclass
class Calibration:
    as_of: datetime
    stages: list[CalibrationRow]
    recommended: str  # "calibrated" | "stage"
    prior_weight: float
    n_scored: int = 0
    brier_stage: float | None = None  # over every scored deal and stage together
    brier_calibrated: float | None = None
    in_use: str = "stage"  # what `[forecast] probabilities` says now


def posterior(won: int, closed: int, configured: float, weight: float) -> float | None:
    """The Beta-prior posterior mean in percent; None when there is neither history nor prior."""
    if closed + weight <= 0:
        return None
    return 100 * (won + weight * configured / 100) / (closed + weight)


def reached_stages(pipeline: Pipeline, stage: str | None, visited: int) -> list[str]:
    """The open stages a deal reached, by the funnel's rule (see `conversion.reached_counts`)."""
    positions = [i for i, s in enumerate(pipeline.stages) if s.is_open]
    current = pipeline.by_key.get(stage or "")
    if current is not None and current.outcome == "won":
        hit = positions
    elif current is None:
        hit = [i for i in positions if visited >> i & 1]
    else:
        furthest = max((i for i in positions if visited >> i & 1), default=-1)
        hit = [i for i in positions if i <= furthest]
    return [pipeline.stages[i].key for i in hit]


def outcome_counts(
    store: Store, pipeline: Pipeline, before: str | None = None
) -> dict[str, tuple[int, int]]:
    """Per open stage, (won, closed) among the live deals that reached it and are now won or
    lost; with `before` (a stored timestamp), only those that closed strictly before it.
    One GROUP BY over the deals' `visited` bits: no stage history is read."""
    outcomes = {s.key: s.outcome for s in pipeline.stages if s.outcome}
    counts = {s.key: [0, 0] for s in pipeline.open_stages}
    if not outcomes:
        return {k: (0, 0) for k in counts}
    marks = ",".join("?" * len(outcomes))
    where = "removed = 0 AND stage IN (" + marks + ")"
    params: list[str] = list(outcomes)
    if before is not None:
        where += " AND stage_entered < ?"
        params.append(before)
    for stage, visited, n in store.conn.execute(
        f"SELECT stage, visited, COUNT(*) FROM deals WHERE {where} GROUP BY stage, visited", params
    ):
        won = outcomes[stage] == "won"
        for key in reached_stages(pipeline, stage, int(visited or 0)):
            counts[key][1] += n
            if won:
                counts[key][0] += n
    return {k: (v[0], v[1]) for k, v in counts.items()}


def calibrated_probabilities(
    store: Store, pipeline: Pipeline, weight: float, before: str | None = None
) -> dict[str, float]:
    """Open stage → calibrated percent (the configured one where it cannot be computed)."""
    counts = outcome_counts(store, pipeline, before)
    out: dict[str, float] = {}
    for stage in pipeline.open_stages:
        won, closed = counts[stage.key]
        value = posterior(won, closed, stage.probability, weight)
        out[stage.key] = stage.probability if value is None else value
    return out


def closed_deals(store: Store, pipeline: Pipeline) -> ClosedDeals:
    """Every live closed deal as columns: won, when it closed, and per stage whether it reached
    it and when it entered it (`deals.entered`, derived with the stage events). Arrays built
    once: each stage's back-test then picks its deals with a mask, not a Python pass."""
    import numpy as np

    outcomes = {s.key: s.outcome for s in pipeline.stages if s.outcome}
    keys = [s.key for s in pipeline.stages]
    open_keys = [s.key for s in pipeline.open_stages]
    groups: dict[tuple[str, int], int] = {}  # (stage, visited) → row of `reached_of`
    group_of: list[int] = []
    won: list[bool] = []
    closed_at: list[str] = []
    entered: list[list[str]] = []
    blank = [""] * len(keys)
    rows = store.closed_deal_rows(list(outcomes)) if outcomes else []
    for stage, closed, visited, times in rows:
        key = (stage, int(visited or 0))
        group = groups.get(key)
        if group is None:
            group = groups[key] = len(groups)
        group_of.append(group)
        won.append(outcomes[stage] == "won")
        closed_at.append(closed)
        split = (times or "").split("|")
        entered.append(split if len(split) == len(keys) else blank)
    reached_of = np.zeros((len(groups), len(open_keys)), dtype=bool)
    for (stage, visited), group in groups.items():
        hit = set(reached_stages(pipeline, stage, visited))
        reached_of[group] = [key in hit for key in open_keys]
    return ClosedDeals(
        won=np.array(won, dtype=bool),
        closed_at=np.array(closed_at, dtype="S"),
        reached=reached_of[np.array(group_of, dtype=np.intp)],
        entered=np.array(entered, dtype="S").reshape(len(entered), len(keys)),
    )


@dataclass
class ClosedDeals:
    """The closed deals, column by column (a hundred thousand of them stay cheap): numpy arrays
    in the order the store gave them (the back-test's sums keep that order)."""

    won: Any  # bool, one per deal
    closed_at: Any  # stored UTC timestamps as bytes: they sort as text
    reached: Any  # bool, deals × open stages (`pipeline.open_stages` order)
    entered: Any  # bytes, deals × pipeline positions: first time there or later (b"" never)


def backtest(
    deals: ClosedDeals, position: int, column: int, configured: float, weight: float
) -> tuple[int, int, float, float]:
    """(won, n scored, Σ squared error with `configured`, Σ squared error with the calibrated
    value known when each deal entered the stage), over the closed deals that reached it (the
    open stage `column` of `deals.reached`, pipeline position `position`). Vector arithmetic:
    each deal's prior closed deals are found by a binary search over close times."""
    import numpy as np

    chosen = deals.reached[:, column] & (deals.entered[:, position] != b"")
    if not chosen.any():
        return 0, 0, 0.0, 0.0
    closed = deals.closed_at[chosen]
    entered = deals.entered[chosen, position]
    outcome = deals.won[chosen].astype(float)
    order = np.argsort(closed, kind="stable")
    wins = np.concatenate(([0.0], np.cumsum(outcome[order])))
    before = np.searchsorted(closed[order], entered, side="left")  # closed strictly before
    prior = weight * configured / 100
    with np.errstate(invalid="ignore", divide="ignore"):
        predicted = np.where(before + weight > 0, (wins[before] + prior) / (before + weight),
                             configured / 100)  # fmt: skip
    sum_stage = float(((configured / 100 - outcome) ** 2).sum())
    sum_calibrated = float(((predicted - outcome) ** 2).sum())
    return int(outcome.sum()), int(chosen.sum()), sum_stage, sum_calibrated


def calibration(store: Store, ctx: Context, weight: float, in_use: str = "stage") -> Calibration:
    """One row per open stage, the back-test's Brier scores and the recommendation."""
    pipeline = ctx.pipeline
    deals = closed_deals(store, pipeline)
    position = {s.key: i for i, s in enumerate(pipeline.stages)}
    rows: list[CalibrationRow] = []
    total_n, total_stage, total_calibrated = 0, 0.0, 0.0
    for column, stage in enumerate(pipeline.open_stages):
        reached = deals.reached[:, column]
        won = int((reached & deals.won).sum())
        closed = int(reached.sum())
        value = posterior(won, closed, stage.probability, weight)
        _, n, sum_stage, sum_calibrated = backtest(
            deals, position[stage.key], column, stage.probability, weight
        )
        total_n, total_stage = total_n + n, total_stage + sum_stage
        total_calibrated += sum_calibrated
        rows.append(CalibrationRow(
            stage.key, stage.label(ctx.language), float(stage.probability), won, closed,
            100 * won / closed if closed else None,
            stage.probability if value is None else value, n,
            _brier(sum_stage, n), _brier(sum_calibrated, n),
        ))  # fmt: skip
    better = total_n > 0 and total_calibrated < total_stage
    recommended = "calibrated" if better and total_n >= MIN_SCORED else "stage"
    return Calibration(ctx.now, rows, recommended, weight, total_n, _brier(total_stage, total_n),
                       _brier(total_calibrated, total_n), in_use)  # fmt: skip


def _brier(total: float, n: int) -> float | None:
    return round(total / n, 6) if n else None
