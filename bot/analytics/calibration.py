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
    it and when it entered it (`deals.entered`, derived with the stage events)."""
    outcomes = {s.key: s.outcome for s in pipeline.stages if s.outcome}
    found = ClosedDeals([], [], [], [])
    if not outcomes:
        return found
    reached_of: dict[tuple[str, int], set[str]] = {}
    keys = [s.key for s in pipeline.stages]
    for stage, closed_at, visited, entered in store.closed_deal_rows(list(outcomes)):
        key = (stage, int(visited or 0))
        if key not in reached_of:
            reached_of[key] = set(reached_stages(pipeline, stage, key[1]))
        found.won.append(outcomes[stage] == "won")
        found.closed_at.append(closed_at)
        found.reached.append(reached_of[key])
        times = (entered or "").split("|")
        found.entered.append(times if len(times) == len(keys) else [""] * len(keys))
    return found


@dataclass
class ClosedDeals:
    """The closed deals, column by column (a hundred thousand of them stay cheap)."""

    won: list[bool]
    closed_at: list[str]  # stored UTC timestamps: they sort as text
    reached: list[set[str]]  # open stage keys
    entered: list[list[str]]  # per pipeline position: first time there or later ("" never)


def backtest(
    deals: ClosedDeals, position: int, stage: str, configured: float, weight: float
) -> tuple[int, int, float, float]:
    """(won, n scored, Σ squared error with `configured`, Σ squared error with the calibrated
    value known when each deal entered `stage`), over the closed deals that reached it. Vector
    arithmetic: each deal's prior closed deals are found by a binary search over close times."""
    import numpy as np

    chosen = [i for i, reached in enumerate(deals.reached)
              if stage in reached and deals.entered[i][position]]  # fmt: skip
    if not chosen:
        return 0, 0, 0.0, 0.0
    # as bytes: stored timestamps are ASCII, and numpy compares bytes several times faster
    closed = np.array([deals.closed_at[i] for i in chosen], dtype="S")
    entered = np.array([deals.entered[i][position] for i in chosen], dtype="S")
    outcome = np.array([deals.won[i] for i in chosen], dtype=float)
    order = np.argsort(closed, kind="stable")
    wins = np.concatenate(([0.0], np.cumsum(outcome[order])))
    before = np.searchsorted(closed[order], entered, side="left")  # closed strictly before
    prior = weight * configured / 100
    with np.errstate(invalid="ignore", divide="ignore"):
        predicted = np.where(before + weight > 0, (wins[before] + prior) / (before + weight),
                             configured / 100)  # fmt: skip
    sum_stage = float(((configured / 100 - outcome) ** 2).sum())
    sum_calibrated = float(((predicted - outcome) ** 2).sum())
    return int(outcome.sum()), len(chosen), sum_stage, sum_calibrated


def calibration(store: Store, ctx: Context, weight: float, in_use: str = "stage") -> Calibration:
    """One row per open stage, the back-test's Brier scores and the recommendation."""
    pipeline = ctx.pipeline
    deals = closed_deals(store, pipeline)
    position = {s.key: i for i, s in enumerate(pipeline.stages)}
    rows: list[CalibrationRow] = []
    total_n, total_stage, total_calibrated = 0, 0.0, 0.0
    for stage in pipeline.open_stages:
        reached = [i for i, keys in enumerate(deals.reached) if stage.key in keys]
        won = sum(1 for i in reached if deals.won[i])
        closed = len(reached)
        value = posterior(won, closed, stage.probability, weight)
        _, n, sum_stage, sum_calibrated = backtest(
            deals, position[stage.key], stage.key, stage.probability, weight
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
