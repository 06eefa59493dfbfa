"""Pipeline answers as plain result objects: pure functions of the store, the config and `now`.

No hidden clock, no Slack, no printing. Aggregates run in SQL (GROUP BY over an index) so a
100,000-deal database answers in milliseconds; "stalled" is turned into a per-stage cut-off
timestamp (a deal is stalled when it entered its stage before the cut-off) so it stays in SQL too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from bot.clock import day_start, days_between, latest_entry_for, local_date
from bot.pipeline import Pipeline, Stage
from bot.store import Store, iso


@dataclass(frozen=True)
class Context:
    """What every answer depends on besides the data: the mapping, the clock and the zone."""

    pipeline: Pipeline
    tz: tzinfo
    now: datetime
    stall_counting: str = "calendar"
    language: str = "fr"
    currency: str = "EUR"

    @property
    def today(self) -> date:
        return local_date(self.now, self.tz)

    def idle_days(self, stage_entered: str | None) -> int | None:
        if not stage_entered:
            return None
        entered = local_date(datetime.fromisoformat(stage_entered), self.tz)
        return max(0, days_between(entered, self.today, self.stall_counting))

    def stall_cutoff(self, stage: Stage) -> str | None:
        """Deals of `stage` that entered it before this instant are stalled (None: never)."""
        if not stage.is_open or stage.stall_days <= 0:
            return None
        last_day = latest_entry_for(stage.stall_days, self.today, self.stall_counting)
        return iso(day_start(last_day + timedelta(days=1), self.tz))


@dataclass
class Totals:
    count: int = 0
    amount: float = 0.0
    weighted: float = 0.0


@dataclass
class StageRow:
    key: str
    label: str
    count: int
    amount: float
    weighted: float
    stalled: int
    outcome: str | None = None


@dataclass
class Summary:
    as_of: datetime
    stages: list[StageRow]
    open: Totals
    unmapped: int
    unmapped_amount: float = 0.0


@dataclass
class StalledDeal:
    id: str
    title: str
    client: str | None
    owner: str | None
    owner_email: str | None
    stage: str
    idle_days: int
    stall_days: int
    amount: float | None
    url: str | None
    next_step: str = ""
    waiting_on: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Stalled:
    as_of: datetime
    deals: list[StalledDeal]


NOT_QUIET = (
    "NOT EXISTS (SELECT 1 FROM quiet q WHERE q.deal_id = d.id AND q.stage = d.stage "
    "AND q.until > :now)"
)


def summary(store: Store, ctx: Context) -> Summary:
    """Every configured stage in order with count, amount, weighted and stalled; open totals."""
    now = iso(ctx.now)
    sums = {
        row["stage"]: row
        for row in store.rows(
            "SELECT stage, COUNT(*) AS count, TOTAL(amount) AS amount, "
            "TOTAL(CASE WHEN probability IS NOT NULL THEN amount * probability END) AS own, "
            "TOTAL(CASE WHEN probability IS NULL THEN amount END) AS plain "
            "FROM deals WHERE removed = 0 GROUP BY stage"
        )
    }
    stalled = _stalled_counts(store, ctx, now)
    rows: list[StageRow] = []
    open_totals = Totals()
    for stage in ctx.pipeline.stages:
        found = sums.get(stage.key)
        count = int(found["count"]) if found else 0
        amount = float(found["amount"]) if found else 0.0
        if stage.outcome == "won":
            weighted = amount
        elif stage.outcome == "lost" or not found:
            weighted = 0.0
        else:
            weighted = (found["own"] + found["plain"] * stage.probability) / 100
        row = StageRow(stage.key, stage.label(ctx.language), count, round(amount, 2),
                       round(weighted, 2), stalled.get(stage.key, 0), stage.outcome)  # fmt: skip
        rows.append(row)
        if stage.is_open:
            open_totals.count += count
            open_totals.amount += amount
            open_totals.weighted += weighted
    open_totals.amount = round(open_totals.amount, 2)
    open_totals.weighted = round(open_totals.weighted, 2)
    unmapped = sums.get(None)
    return Summary(
        as_of=ctx.now,
        stages=rows,
        open=open_totals,
        unmapped=int(unmapped["count"]) if unmapped else 0,
        unmapped_amount=round(float(unmapped["amount"]), 2) if unmapped else 0.0,
    )


def _stall_clauses(ctx: Context) -> tuple[str, dict[str, Any]]:
    """SQL that is true for a stalled deal, with its parameters (one cut-off per stage)."""
    parts: list[str] = []
    params: dict[str, Any] = {"now": iso(ctx.now)}
    for index, stage in enumerate(ctx.pipeline.open_stages):
        cutoff = ctx.stall_cutoff(stage)
        if cutoff is None:
            continue
        params[f"s{index}"], params[f"c{index}"] = stage.key, cutoff
        parts.append(f"(d.stage = :s{index} AND d.stage_entered < :c{index})")
    if not parts:
        return "0", params
    return f"(({' OR '.join(parts)}) AND {NOT_QUIET})", params


def _stalled_counts(store: Store, ctx: Context, now: str) -> dict[str, int]:
    clause, params = _stall_clauses(ctx)
    return {
        row["stage"]: row["n"]
        for row in store.rows(
            f"SELECT d.stage AS stage, COUNT(*) AS n FROM deals d WHERE d.removed = 0 AND {clause}"
            " GROUP BY d.stage",
            params,
        )
    }


def stalled(store: Store, ctx: Context) -> Stalled:
    """Stalled deals, longest idle first then by id; snoozed and followed-up ones left out."""
    clause, params = _stall_clauses(ctx)
    where = f"d.removed = 0 AND {clause}"
    rows = store.rows(
        f"SELECT d.* FROM deals d WHERE {where} ORDER BY d.stage_entered, d.id", params
    )
    deals: list[StalledDeal] = []
    for row in rows:
        stage = ctx.pipeline.by_key[row["stage"]]
        idle = ctx.idle_days(row["stage_entered"]) or 0
        deals.append(
            StalledDeal(
                id=row["id"],
                title=row["title"],
                client=row["client"],
                owner=row["owner"],
                owner_email=row["owner_email"],
                stage=row["stage"],
                idle_days=idle,
                stall_days=stage.stall_days,
                amount=row["amount"],
                url=row["url"],
                next_step=row["next_step"] or stage.next_step(ctx.language),
                waiting_on=stage.waiting_on,
            )
        )
    deals.sort(key=lambda d: (-d.idle_days, d.id))
    return Stalled(as_of=ctx.now, deals=deals)
