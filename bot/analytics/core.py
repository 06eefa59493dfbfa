"""Pipeline answers as plain result objects: pure functions of the store, the config and `now`.

No hidden clock, no Slack, no printing. Aggregates run in SQL (GROUP BY over an index) so a
100,000-deal database answers in milliseconds; "stalled" is turned into a per-stage cut-off
timestamp (a deal is stalled when it entered its stage before the cut-off) so it stays in SQL too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from functools import cached_property
from itertools import groupby
from operator import itemgetter
from typing import Any, TypeVar

from bot.clock import NO_DAYS_OFF, DaysOff, day_start, days_between, latest_entry_for, local_date
from bot.pipeline import Pipeline, Stage
from bot.store import Store, iso, parse_iso


@dataclass(frozen=True)
class Weighting:
    """The contract's probability rule, defined once: `sql()` and `probability()` both read it.

    An outcome stage counts `fixed` (won 100, lost 0) whatever the deal says; in an open stage a
    deal's own probability wins, else the stage's `default` (the configured one, or the
    calibrated one: `source` says which); an unmapped deal has only its own.
    """

    fixed: Mapping[str, float]
    default: Mapping[str, float]
    source: str = "stage"  # "stage" | "calibrated"

    @classmethod
    def of(cls, pipeline: Pipeline, calibrated: Mapping[str, float] | None = None) -> Weighting:
        """The rule for `pipeline`; `calibrated` (open stage → percent) replaces the configured
        stage probabilities of deals without their own."""
        fixed = {s.key: 100.0 if s.outcome == "won" else 0.0 for s in pipeline.stages if s.outcome}
        default = {s.key: float(s.probability) for s in pipeline.open_stages}
        if calibrated is None:
            return cls(fixed, default)
        default.update({k: float(v) for k, v in calibrated.items() if k in default})
        return cls(fixed, default, "calibrated")

    def probability(self, stage: str | None, own: float | None) -> tuple[float | None, str | None]:
        """(percent, where it comes from: "deal", "stage" or "calibrated"; None when none)."""
        if stage is not None and stage in self.fixed:
            return self.fixed[stage], "stage"
        if own is not None:
            return own, "deal"
        if stage is not None and stage in self.default:
            return self.default[stage], self.source
        return None, None

    def sql(self, alias: str = "d") -> str:
        """The same rule as an SQL expression over `alias.stage` and `alias.probability`."""
        whens = [f"WHEN {sql_text(k)} THEN {v!r}" for k, v in self.fixed.items()]
        whens += [f"WHEN {sql_text(k)} THEN COALESCE({alias}.probability, {v!r})"
                  for k, v in self.default.items()]  # fmt: skip
        return f"(CASE {alias}.stage {' '.join(whens)} ELSE {alias}.probability END)"


@dataclass(frozen=True)
class Context:
    """What every answer depends on besides the data: the mapping, the clock and the zone."""

    pipeline: Pipeline
    tz: tzinfo
    now: datetime
    stall_counting: str = "calendar"
    language: str = "fr"
    currency: str = "EUR"
    user: str | None = None  # who asks (`mine`): a Slack user ID, or an owner name from the CLI
    people: Mapping[str, str] = field(default_factory=dict)  # `[people]`: owner → Slack user ID
    #: open stage → calibrated percent when `[forecast] probabilities = "calibrated"`
    calibrated: Mapping[str, float] | None = None
    prior_weight: float = 10.0  # `[forecast] prior_weight`
    probabilities: str = "stage"  # `[forecast] probabilities`
    #: how many deals the answer will list (a text answer shows 25): long lists (`stalled`,
    #: `stage`, `owner`, `mine`) then build only those, with counts and sums of all; None: all
    shown: int | None = None
    #: the answer is written as JSON while the store is still open (`Reply.write_json`): the
    #: long lists (`stage`, `owner`, `mine`, `changes`) are left as rows read as they are
    #: written, each turned into its JSON object with no result object per deal
    stream: bool = False

    @cached_property
    def weighting(self) -> Weighting:
        return Weighting.of(self.pipeline, self.calibrated)

    next_step_sources: frozenset[str] = frozenset()  # sources whose `[sources.fields]` name one
    days_off: DaysOff = NO_DAYS_OFF  # public holidays: not business days

    @cached_property
    def today(self) -> date:
        return local_date(self.now, self.tz)

    def local(self, stored: str | None) -> datetime | None:
        """A stored UTC timestamp as an aware datetime in the configured zone."""
        moment = parse_iso(stored)
        return moment.astimezone(self.tz) if moment else None

    def idle_days(self, stage_entered: str | None) -> int | None:
        """Whole local days since a stored timestamp: the rule itself, for one deal (a long list
        takes `idle_days_of_stamp`, the same rule worked out once per date)."""
        if not stage_entered:
            return None
        entered = local_date(datetime.fromisoformat(stage_entered), self.tz)
        return self.days_since(entered)

    def stamper(self) -> LocalStamps:
        """Stored UTC timestamps → local ISO 8601 text, for long lists (see `LocalStamps`)."""
        return LocalStamps(self.tz)

    def idle_days_of_stamp(self) -> Callable[[str | None], int | None]:
        """`idle_days` from a local stamp (see `stamper`): its date prefix is the local date, and
        the day count is worked out once per date (a long list has a few hundred, not thousands)."""
        by_day: dict[str, int] = {}
        days_since, fromdate = self.days_since, date.fromisoformat

        def idle(local_stamp: str | None) -> int | None:
            if not local_stamp:
                return None
            day = local_stamp[:10]
            found = by_day.get(day)
            if found is None:
                found = by_day[day] = days_since(fromdate(day))
            return found

        return idle

    def days_since(self, day: date) -> int:
        """Whole local days (calendar or business, per `stall_counting`) from `day` to today."""
        return max(0, days_between(day, self.today, self.stall_counting, self.days_off))

    def stall_cutoff(self, stage: Stage) -> str | None:
        """Deals of `stage` that entered it before this instant are stalled (None: never)."""
        if not stage.is_open or stage.stall_days <= 0:
            return None
        last_day = latest_entry_for(stage.stall_days, self.today, self.stall_counting,
                                    self.days_off)  # fmt: skip
        return iso(day_start(last_day + timedelta(days=1), self.tz))


class LocalStamps:
    """For long lists: a stored UTC timestamp as local ISO 8601 with offset, the very text
    `Context.local(stored).isoformat(timespec="seconds")` gives, without a datetime per row.

    A stored timestamp is `YYYY-MM-DDTHH:MM:SS+00:00`. When the zone's offset is whole hours and
    the same all that UTC day (every day but DST changes and a few odd zones), the local text is
    the UTC one with its hour moved by the offset (into the day before or after when it crosses
    midnight), minutes and seconds kept. `hours` maps a UTC `YYYY-MM-DDTHH` to its local one and
    the offset text (None: take the datetime way), filled a whole UTC day at a time;
    a hot loop may read it directly (`text = stored[13:19].join(hit)` when `stored[19:]`
    is `+00:00`) and call the object for anything it lacks.
    """

    _ONE_DAY, _HOUR = timedelta(days=1), timedelta(hours=1)
    _DAY_END, _HOUR_END = timedelta(seconds=86399), timedelta(seconds=3599)
    _HOURS = tuple(f"T{hour:02d}" for hour in range(24))

    def __init__(self, tz: tzinfo):
        self.tz = tz
        self.hours: dict[str, tuple[str, str] | None] = {}

    def __call__(self, stored: str | None) -> str | None:
        if not stored:
            return None
        key = stored[:13]
        hours = self.hours
        if key not in hours and len(stored) == 25 and stored[10] == "T":
            self._fill(key[:10])
        found = hours.get(key)
        if found is not None and stored[19:] == "+00:00":
            return stored[13:19].join(found)  # local hour, minutes and seconds, offset
        return datetime.fromisoformat(stored).astimezone(self.tz).isoformat(timespec="seconds")

    def _fill(self, day: str) -> None:
        """The 24 hours of a UTC day (`YYYY-MM-DD`) in `hours`: from the day's offset, or hour
        by hour on a day whose offset changes (a DST day: only the hour of the change, if it
        does not fall on the hour, is left to the datetime way)."""
        found = self._day(day)
        for hour, text in enumerate(self._HOURS):
            if found is None:
                self.hours[day + text] = self._hour(day + text)
                continue
            shift, before, same, after, offset = found
            local = hour + shift
            if local < 0:
                self.hours[day + text] = before + self._HOURS[local + 24], offset
            elif local > 23:
                self.hours[day + text] = after + self._HOURS[local - 24], offset
            else:
                self.hours[day + text] = same + self._HOURS[local], offset

    def _hour(self, key: str) -> tuple[str, str] | None:
        """One UTC hour (`YYYY-MM-DDTHH`) when its offset is whole hours and the same all hour."""
        try:
            start = datetime.fromisoformat(f"{key}:00:00+00:00")
        except ValueError:
            return None
        first, last = start.astimezone(self.tz), (start + self._HOUR_END).astimezone(self.tz)
        offset = first.utcoffset()
        if offset is None or offset != last.utcoffset() or offset % self._HOUR:
            return None
        text = first.isoformat()
        return text[:13], text[19:]

    def _day(self, key: str) -> tuple[int, str, str, str, str] | None:
        """A UTC day → (offset in hours, the days before/of/after, offset text), when the offset
        is whole hours and the same all day."""
        try:
            start = datetime.fromisoformat(f"{key}T00:00:00+00:00")
        except ValueError:
            return None
        first, last = start.astimezone(self.tz), (start + self._DAY_END).astimezone(self.tz)
        offset = first.utcoffset()
        if offset is None or offset != last.utcoffset() or offset % self._HOUR:
            return None
        day = start.date()
        return (offset // self._HOUR, (day - self._ONE_DAY).isoformat(), key,
                (day + self._ONE_DAY).isoformat(), first.isoformat()[19:])  # fmt: skip


def sql_text(value: str) -> str:
    """A string as an SQL literal (stage keys come from the config, not from the user)."""
    return "'" + value.replace("'", "''") + "'"


def open_keys_sql(ctx: Context) -> str:
    """`('qualification', 'meeting', ...)`: the open stage keys, for `d.stage IN ...`."""
    keys = [sql_text(s.key) for s in ctx.pipeline.open_stages]
    return f"({', '.join(keys)})" if keys else "(NULL)"


def probability_sql(ctx: Context, alias: str = "d") -> str:
    """A deal's probability in percent per the contract (`Weighting`), NULL when it has none."""
    return ctx.weighting.sql(alias)


def weighted_sql(ctx: Context, alias: str = "d") -> str:
    """`amount × probability / 100` in SQL (NULL when either is unknown)."""
    return f"({alias}.amount * {probability_sql(ctx, alias)} / 100.0)"


def position_sql(ctx: Context, alias: str = "d") -> str:
    """A stage's index in pipeline order, for ORDER BY (unmapped deals last)."""
    whens = " ".join(f"WHEN {sql_text(s.key)} THEN {i}" for i, s in enumerate(ctx.pipeline.stages))
    return f"(CASE {alias}.stage {whens} ELSE {len(ctx.pipeline.stages)} END)"


def to_cents(value: float | None) -> float:
    """Money in results: rounded to cents, 0 for nothing."""
    return round(value or 0.0, 2)


@dataclass
class Totals:
    count: int = 0
    amount: float = 0.0
    weighted: float = 0.0
    low: float | None = None  # P10 / P90 of the amount won (forecast buckets only)
    high: float | None = None


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
    #: open deals whose stage is dated only by the first sync that saw them (no evidence)
    age_unknown: int = 0


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
    stage_label: str = ""


T = TypeVar("T")


@dataclass(frozen=True)
class StalledRows:
    """A streamed `stalled` answer's deals (`Context.stream`): read from the store in their
    order as they are iterated, each made into what `make` builds from `StalledDeal`'s fields
    in order (a JSON text: `json_out.stalled_text`), no `StalledDeal` per deal."""

    store: Store
    ctx: Context

    def map(self, make: Callable[..., T]) -> Iterator[T]:
        return stalled_in_order(self.store, self.ctx, make)


@dataclass
class Stalled:
    as_of: datetime
    deals: list[StalledDeal]  # the first `Context.shown` of them when it is set
    total: int | None = None  # how many are stalled, when `deals` holds only the first ones
    #: with `Context.stream`: every stalled deal, read as it is written; `deals` is empty
    rows: StalledRows | None = None

    @property
    def count(self) -> int:
        if self.rows is not None:
            raise ValueError("a streamed list is read once, as it is written")
        return len(self.deals) if self.total is None else self.total


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
    weighting = ctx.weighting
    rows: list[StageRow] = []
    open_totals = Totals()
    for stage in ctx.pipeline.stages:
        found = sums.get(stage.key)
        count = int(found["count"]) if found else 0
        amount = float(found["amount"]) if found else 0.0
        if not found:
            weighted = 0.0
        elif stage.key in weighting.fixed:
            weighted = amount * weighting.fixed[stage.key] / 100
        else:
            weighted = (found["own"] + found["plain"] * weighting.default[stage.key]) / 100
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
    # the partial index holds only these deals; without the hint SQLite (no statistics) walks
    # (removed, stage, visited) and reads every open deal's row: 0.6-0.8 s at 1M deals, not 0
    age_unknown = store.scalar(
        "SELECT COUNT(*) FROM deals INDEXED BY idx_deals_age_unknown WHERE removed = 0 "
        f"AND stage_entered_from = 'first_seen' AND stage IN {open_keys_sql(ctx)}"
    )
    return Summary(
        as_of=ctx.now,
        stages=rows,
        open=open_totals,
        unmapped=int(unmapped["count"]) if unmapped else 0,
        unmapped_amount=round(float(unmapped["amount"]), 2) if unmapped else 0.0,
        age_unknown=int(age_unknown or 0),
    )


def stall_sql(ctx: Context) -> tuple[str, dict[str, Any]]:
    """SQL that is true for a stalled deal, with its parameters (one cut-off per stage).

    An expression for one row (a CASE column, a filter next to others); to *find* stalled deals
    use `stalled_select`, which turns the cut-offs into index range scans."""
    parts: list[str] = []
    params: dict[str, Any] = {"now": iso(ctx.now)}
    for index, (key, cutoff) in enumerate(stall_cutoffs(ctx)):
        params[f"s{index}"], params[f"c{index}"] = key, cutoff
        parts.append(f"(d.stage = :s{index} AND d.stage_entered < :c{index})")
    if not parts:
        return "FALSE", params
    return f"(({' OR '.join(parts)}) AND {NOT_QUIET})", params


def stall_cutoffs(ctx: Context) -> list[tuple[str, str]]:
    """(stage key, cut-off) of every open stage that can stall, in pipeline order."""
    out = []
    for stage in ctx.pipeline.open_stages:
        cutoff = ctx.stall_cutoff(stage)
        if cutoff is not None:
            out.append((stage.key, cutoff))
    return out


def stalled_select(ctx: Context, columns: str, *, group_by: str = "", quiet: bool = True,
                   first: int | None = None) -> tuple[str, dict[str, Any]]:  # fmt: skip
    """`SELECT columns FROM deals d` of the live stalled deals: one SELECT per stage joined by
    UNION ALL, each a range scan of the (removed, stage, stage_entered) index, instead of one
    OR'ed predicate that SQLite can only test row by row over every live deal. `quiet=False`
    leaves out the snoozed test: only when no quiet row is active (`any_quiet`). `first`: only
    the `first` oldest of each stage (its SELECT ordered and limited, the index read in order
    on both engines: `IS NOT NULL` lets PostgreSQL's index order stand for SQLite's)."""
    params: dict[str, Any] = {"now": iso(ctx.now)}
    selects = []
    not_quiet = f" AND {NOT_QUIET}" if quiet else ""
    not_null = "" if first is None else " AND d.stage_entered IS NOT NULL"
    for index, (key, cutoff) in enumerate(stall_cutoffs(ctx)):
        params[f"s{index}"], params[f"c{index}"] = key, cutoff
        select = (
            f"SELECT {columns} FROM deals d WHERE d.removed = 0 AND d.stage = :s{index} "
            f"AND d.stage_entered < :c{index}{not_quiet}{not_null}{group_by}"
        )
        if first is not None:
            select = (f"SELECT * FROM ({select} ORDER BY d.stage_entered "
                      f"LIMIT {int(first)}) AS s{index}")  # fmt: skip
        selects.append(select)
    if not selects:
        return f"SELECT {columns} FROM deals d WHERE FALSE{group_by}", params
    return " UNION ALL ".join(selects), params


def any_quiet(store: Store, now: str) -> bool:
    """Whether any deal is snoozed or followed up at `now` (a quiet row still running)."""
    return store.scalar("SELECT 1 FROM quiet WHERE until > ? LIMIT 1", (now,)) is not None


def _stalled_counts(store: Store, ctx: Context, now: str) -> dict[str, int]:
    """Stalled deals per stage. With no quiet row running, the snoozed test is left out: the
    counts are then read from the (removed, stage, stage_entered) index alone, without fetching
    each deal's row for its id."""
    sql, params = stalled_select(ctx, "d.stage AS stage, COUNT(*) AS n",
                                 group_by=" GROUP BY d.stage",
                                 quiet=any_quiet(store, now))  # fmt: skip
    return {row[0]: row[1] for row in store.conn.execute(sql, params)}


STALLED_COLUMNS = (
    "d.id, d.title, d.client, d.owner, d.owner_email, d.stage, d.stage_entered, d.amount, d.url, "
    "d.next_step"
)


def stalled(store: Store, ctx: Context) -> Stalled:
    """Stalled deals, longest idle first then by id; snoozed and followed-up ones left out.
    With `ctx.shown`, only that many are built (and counted in SQL: `longest_stalled`)."""
    if ctx.shown is not None:
        total, first = longest_stalled(store, ctx, ctx.shown)
        return Stalled(as_of=ctx.now, deals=first, total=total)
    if ctx.stream:
        return Stalled(as_of=ctx.now, deals=[], rows=StalledRows(store, ctx))
    return Stalled(as_of=ctx.now, deals=list(stalled_in_order(store, ctx, stalled_deal)))


def stalled_in_order(store: Store, ctx: Context, make: Callable[..., T]) -> Iterator[T]:
    """Every stalled deal, longest idle first then by id, made by `make(*values)` as it is read
    (`_stalled_fields`: `StalledDeal`'s fields but `extra`). Idle days only fall as
    `stage_entered` grows, so the rows are read in that order (each stage's index range merged,
    no sort of the whole list) and only the deals of one idle day at a time are held, to be put
    in id order."""
    sql, params = _stalled_by_entry(store, ctx)
    rows = map(_stalled_fields(ctx), store.conn.execute(sql, params))
    for _, one_day in groupby(rows, key=itemgetter(6)):  # the idle days
        for values in sorted(one_day, key=itemgetter(0)):  # the ids
            yield make(*values)


#: From this share of the table's rows on, the stalled deals are read by one pass over the
#: table and sorted by SQLite, not fetched one by one in `stage_entered` order.
SCAN_SHARE = 4


def _stalled_by_entry(store: Store, ctx: Context) -> tuple[str, dict[str, Any]]:
    """The SQL of every stalled deal (`STALLED_COLUMNS`) in `stage_entered` order. Few of them:
    each stage's index range, merged, each row fetched by rowid. A large share of the table
    (at least one row in `SCAN_SHARE`): those fetches come in a random order over the whole
    file, and reading the table once in its own order and sorting the matches is cheaper
    (449,221 stalled of 1M deals: 1.33 s of SQL against 2.33 s; 44,922 of 100k: 0.13 against
    0.20 s). PostgreSQL's planner makes that choice itself from its statistics."""
    if not store.postgres:
        rows = int(store.scalar("SELECT MAX(rowid) FROM deals") or 0)
        enough = rows // SCAN_SHARE
        ids, id_params = stalled_select(ctx, "1", quiet=False)
        counted = f"SELECT COUNT(*) FROM ({ids} LIMIT {enough}) AS s"
        if store.conn.execute(counted, id_params).fetchone()[0] >= enough:
            where, params = stall_sql(ctx)
            return (f"SELECT {STALLED_COLUMNS} FROM deals d NOT INDEXED WHERE d.removed = 0 "
                    f"AND {where} ORDER BY d.stage_entered", params)  # fmt: skip
    sql, params = stalled_select(ctx, STALLED_COLUMNS)
    return f"{sql} ORDER BY stage_entered", params


def longest_stalled(store: Store, ctx: Context, limit: int) -> tuple[int, list[StalledDeal]]:
    """How many deals are stalled, and the first `limit` of `stalled(...)`. Idle days only fall
    as `stage_entered` grows, so the oldest rows up to the `limit`-th's idle day (its ties
    included) are all that is needed: read with a LIMIT per stage and overall, doubled until a
    row past those ties comes back, so PostgreSQL stops early too (it would otherwise sort and
    send every stalled deal before the first is read)."""
    count = sum(_stalled_counts(store, ctx, iso(ctx.now)).values())
    if limit <= 0:
        return count, []
    fields = _stalled_fields(ctx)
    size = 2 * limit
    while True:
        sql, params = stalled_select(ctx, STALLED_COLUMNS, first=size)
        ordered = f"SELECT * FROM ({sql}) AS stalled ORDER BY stage_entered LIMIT {size}"
        rows = store.conn.execute(ordered, params).fetchall()
        taken = [stalled_deal(*fields(row)) for row in rows]
        if len(taken) <= limit or len(rows) < size:
            break  # every stalled deal is here
        cut = taken[limit - 1].idle_days
        if taken[-1].idle_days < cut:
            # every row tied with the `limit`-th is older than the last one read: all are here
            taken = [deal for deal in taken if deal.idle_days >= cut]
            break
        size *= 2
    taken.sort(key=lambda d: (-d.idle_days, d.id))
    return count, taken[:limit]


def _stalled_fields(ctx: Context) -> Callable[[tuple[Any, ...]], tuple[Any, ...]]:
    """A row of `STALLED_COLUMNS` → `StalledDeal`'s fields in order but `extra` (`stalled_deal`
    makes the deal): what depends on the stage is worked out once, the idle days once per
    stored UTC hour (the local date of a `+00:00` stamp follows from its hour, `LocalStamps`)."""
    language = ctx.language
    per_stage = {
        stage.key: (stage.stall_days, stage.next_step(language), stage.waiting_on,
                    stage.label(language))
        for stage in ctx.pipeline.open_stages
    }  # fmt: skip
    stamp, idle_of = ctx.stamper(), ctx.idle_days_of_stamp()
    hours = stamp.hours
    idle_by_hour: dict[str, int] = {}

    def fields(row: tuple[Any, ...]) -> tuple[Any, ...]:
        deal_id, title, client, owner, email, key, entered, amount, url, step = row
        stall_days, default_step, waiting_on, label = per_stage[key]
        utc = entered[19:] == "+00:00"
        idle = idle_by_hour.get(entered[:13]) if utc else None
        if idle is None:
            idle = idle_of(stamp(entered)) or 0
            if utc and hours.get(entered[:13]) is not None:
                idle_by_hour[entered[:13]] = idle
        return (deal_id, title, client, owner, email, key, idle, stall_days, amount, url,
                step or default_step, waiting_on, label)  # fmt: skip

    return fields


def stalled_deal(deal_id: str, title: str, client: str | None, owner: str | None,
                 email: str | None, key: str, idle: int, stall_days: int, amount: float | None,
                 url: str | None, step: str, waiting_on: str | None,
                 label: str) -> StalledDeal:  # fmt: skip
    """`StalledDeal` of `_stalled_fields`' values, with its own `extra`."""
    return StalledDeal(deal_id, title, client, owner, email, key, idle, stall_days, amount, url,
                       step, waiting_on, {}, label)  # fmt: skip
