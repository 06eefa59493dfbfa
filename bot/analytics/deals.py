"""Deal lists: `deal TEXT` (with history), `stage NAME`, `owner NAME` and `mine`.

Every list is one SELECT with the stall test done in SQL (the same per-stage cut-offs as
`stalled`). `deal TEXT` matches on `deals.search`, the normalised title and client the store
keeps, because SQLite cannot ignore accents by itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import islice
from math import fsum
from typing import Any, TypeVar

from bot.analytics.core import (
    Context,
    Totals,
    open_keys_sql,
    position_sql,
    stall_sql,
)
from bot.pipeline import Stage, normalise
from bot.store import Store, decode_value

COLUMNS = ", ".join(
    f"d.{name}"
    for name in ("id", "title", "client", "contact", "owner", "owner_email", "status", "stage",
                 "amount", "currency", "probability", "started", "expected_close",
                 "stage_entered", "next_step", "lost_reason", "url", "source",
                 "stage_entered_from")
)  # fmt: skip


T = TypeVar("T")


@dataclass
class HistoryEvent:
    at: datetime
    from_stage: str | None
    to_stage: str | None
    status: str | None
    to_label: str | None = None  # the stage label in the configured language
    by: str | None = None  # the Slack user who made the move from Slack; None: from the tool


@dataclass
class FieldChangeEvent:
    """One change of amount, expected close, probability or owner (the field history)."""

    at: datetime
    field: str
    from_value: float | date | str | None
    to_value: float | date | str | None
    by: str | None = None  # the Slack user who made it from Slack; None: from the tool


@dataclass(slots=True)
class DealView:
    """Every contract deal field, plus what the bot works out for it."""

    id: str
    title: str
    client: str | None
    contact: str | None
    owner: str | None
    owner_email: str | None
    status: str | None
    stage: str | None
    stage_label: str | None
    amount: float | None
    currency: str | None
    probability: float | None  # the deal's own, as the tool holds it
    started_stamp: str | None  # local ISO 8601 with offset (see `started`)
    expected_close: date | None
    entered_stamp: str | None  # the same for `stage_entered`
    next_step: str | None
    lost_reason: str | None
    url: str | None
    source: str
    idle_days: int | None
    weighted: float | None
    effective_probability: float | None  # the one `weighted` used
    stall_days: int
    stalled: bool
    #: "deal" (its own), "stage" (its stage's, or won 100 / lost 0) or "calibrated"; None when
    #: it has none (unmapped, no probability of its own)
    probability_from: str | None = None
    #: what dated `stage_entered` (bot.store.EVIDENCE): "first_seen" means the age is unknown
    entered_from: str | None = None
    history: list[HistoryEvent] = field(default_factory=list)
    changes: list[FieldChangeEvent] = field(default_factory=list)

    @property
    def started(self) -> datetime | None:
        """An aware datetime (in the zone's offset at that instant), or None."""
        return datetime.fromisoformat(self.started_stamp) if self.started_stamp else None

    @property
    def stage_entered(self) -> datetime | None:
        return datetime.fromisoformat(self.entered_stamp) if self.entered_stamp else None


@dataclass
class DealList:
    """`stage NAME`, `owner NAME`, `mine`: the deals asked for, and what was asked."""

    as_of: datetime
    kind: str  # "stage" | "owner" | "mine"
    subject: list[str]  # the stage label, or the owner names matched
    deals: list[DealView]  # the first `Context.shown` of them when it is set
    #: count, amounts and weighted amounts of every deal asked for, when `deals` holds only the
    #: first ones (`list_sums`)
    sums: ListSums | None = None
    #: with `Context.stream` (a JSON answer written while the store is open): the deals' rows,
    #: read from the store as iterated, and `deals` is empty
    rows: DealRows | None = None

    @property
    def all(self) -> ListSums:
        """What the whole list adds up to, whether or not every deal was built."""
        if self.rows is not None:
            raise ValueError("a streamed list is read once, as it is written")
        return self.sums if self.sums is not None else ListSums.of(self.deals)


@dataclass(frozen=True)
class DealRows:
    """A streamed list's deals: the store's rows, read as they are iterated, each made into
    what `make` builds from the deal's values (`deal_values`): a JSON text, no `DealView`."""

    ctx: Context
    rows: Iterator[tuple[Any, ...]]

    def map(self, make: Callable[..., T]) -> Iterator[T]:
        return map(deal_values(self.ctx, make), self.rows)


@dataclass(frozen=True)
class ListSums:
    """A list's count, and each deal's amount and weighted amount (0 when unknown) in list order:
    adding them gives the very figures adding the `DealView`s would."""

    count: int
    amounts: list[float]
    weighted: list[float]

    @classmethod
    def of(cls, deals: Sequence[DealView]) -> ListSums:
        return cls(len(deals), [d.amount or 0.0 for d in deals], [d.weighted or 0.0 for d in deals])

    def totals(self) -> Totals:
        """Added exactly (`math.fsum`): the same figures whatever order the deals came in, so
        the sums need not be read in list order."""
        return Totals(self.count, round(fsum(self.amounts), 2), round(fsum(self.weighted), 2))


@dataclass
class DealSearch:
    as_of: datetime
    text: str
    deals: list[DealView]  # the first `Context.shown` of them when it is set
    total: int | None = None  # how many match, when `deals` holds only the first ones
    #: with `Context.stream`: every match with its history, built a batch at a time as it is
    #: iterated, and `deals` is empty
    rows: Iterator[DealView] | None = None

    @property
    def count(self) -> int:
        if self.rows is not None:
            raise ValueError("a streamed list is read once, as it is written")
        return len(self.deals) if self.total is None else self.total


def select_deals(store: Store, ctx: Context, where: str, params: dict[str, Any],
                 hint: str = "", limit: int | None = None) -> list[DealView]:  # fmt: skip
    """Live deals matching `where` (alias `d`), in pipeline order, longest idle first, then id;
    the first `limit` only when given. `hint`: an index hint for `d` (`NOT INDEXED` when
    `where` picks rows by rowid)."""
    return list(map(_viewer(ctx), deal_rows(store, ctx, where, params, hint, limit)))


def deal_rows(store: Store, ctx: Context, where: str, params: dict[str, Any], hint: str = "",
              limit: int | None = None) -> Iterator[tuple[Any, ...]]:  # fmt: skip
    """The rows `select_deals` makes its views of (`COLUMNS`, then `is_stalled`), read from the
    store as they are iterated."""
    stalled, stall_params = stall_sql(ctx)
    columns = f"{COLUMNS}, CASE WHEN {stalled} THEN 1 ELSE 0 END AS is_stalled"
    sql = _list_sql(ctx, columns, where, hint)
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    return store.conn.execute(sql, {**stall_params, **params})


def _list_sql(ctx: Context, columns: str, where: str, hint: str) -> str:
    return (f"SELECT {columns} FROM deals d {hint} WHERE d.removed = 0 AND ({where}) "
            f"ORDER BY {position_sql(ctx)}, d.stage_entered, d.id")  # fmt: skip


def list_sums(store: Store, ctx: Context, where: str, params: dict[str, Any],
              hint: str = "", rows_sql: str | None = None) -> ListSums:  # fmt: skip
    """`ListSums` of what `select_deals` lists, from three columns per deal instead of a
    `DealView` each (the weighted amount rounded per deal, as `DealView.weighted` is), in no
    particular order (`ListSums.totals` adds exactly). `rows_sql`: a statement giving the
    (stage, amount, probability) of those very deals another way (`owned_by`: from an index)."""
    probability_of = ctx.weighting.probability
    amounts: list[float] = []
    weighted: list[float] = []
    sql = rows_sql or (f"SELECT d.stage, d.amount, d.probability FROM deals d {hint} "
                       f"WHERE d.removed = 0 AND ({where})")  # fmt: skip
    for key, amount, own in store.conn.execute(sql, params):
        amounts.append(amount or 0.0)
        probability = probability_of(key, own)[0] if amount is not None else None
        weighted.append(round(amount * probability / 100, 2) or 0.0
                        if probability is not None else 0.0)  # fmt: skip
    return ListSums(len(amounts), amounts, weighted)


def deal_list(store: Store, ctx: Context, kind: str, subject: list[str], where: str,
              params: dict[str, Any], hint: str = "",
              shown: tuple[str, str] | None = None) -> DealList:  # fmt: skip
    """The deals of a list answer; with `ctx.shown`, only the first ones, and the sums of all;
    with `ctx.stream`, none: their values are read as they are written (`DealList.rows`).
    `shown`: with `ctx.shown`, (a `where` picking just the first ones, a `rows_sql` for
    `list_sums`), when the list can tell both without reading every deal's row."""
    if ctx.stream:
        rows = DealRows(ctx, deal_rows(store, ctx, where, params, hint))
        return DealList(ctx.now, kind, subject, [], rows=rows)
    if ctx.shown is None:
        return DealList(ctx.now, kind, subject, select_deals(store, ctx, where, params, hint))
    if shown is None:
        deals = select_deals(store, ctx, where, params, hint, ctx.shown)
        return DealList(ctx.now, kind, subject, deals, list_sums(store, ctx, where, params, hint))
    first, rows_sql = shown
    deals = select_deals(store, ctx, first, params, "", ctx.shown)
    sums = list_sums(store, ctx, where, params, rows_sql=rows_sql)
    return DealList(ctx.now, kind, subject, deals, sums)


def _viewer(ctx: Context) -> Callable[[tuple[Any, ...]], DealView]:
    """Row → DealView."""
    return deal_values(ctx, DealView)


def deal_values(ctx: Context, make: Callable[..., T]) -> Callable[[tuple[Any, ...]], T]:
    """Row (`COLUMNS`, then `is_stalled`) → `make(*values)` of the deal's worked-out values
    (`DealView`'s fields in order, up to `entered_from`), for a long list: what depends only on
    the stage, the day or the date is worked out once (per stage key, per local date, per
    expected-close date), not per row; timestamps become local text through `LocalStamps` (its
    per-hour table read inline). `make`: `DealView`, or a deal's JSON text straight away
    (`json_out.deal_text`: no view per deal)."""
    language, currency = ctx.language, ctx.currency
    # per stage key: label, default next step, stall days (the probability: `ctx.weighting`)
    Rule = tuple[str | None, str | None, int]
    per_stage: dict[str | None, Rule] = {
        stage.key: (stage.label(language), stage.next_step(language),
                    stage.stall_days if stage.is_open else 0)
        for stage in ctx.pipeline.stages
    }  # fmt: skip
    probability_of = ctx.weighting.probability
    unknown: Rule = (None, None, 0)
    stamp, idle_of = ctx.stamper(), ctx.idle_days_of_stamp()
    hours = stamp.hours
    closes: dict[str, date] = {}

    def values(row: tuple[Any, ...]) -> T:
        (deal_id, title, client, contact, owner, owner_email, status, key, amount, own_currency,
         own, started, expected, entered_at, next_step, lost_reason, url, source, entered_from,
         is_stalled) = row  # fmt: skip
        label, default_step, stall_days = per_stage.get(key, unknown)
        hit = hours.get(entered_at[:13]) if entered_at else None
        if hit and entered_at[19:] == "+00:00":
            entered: str | None = entered_at[13:19].join(hit)
        else:
            entered = stamp(entered_at)
        hit = hours.get(started[:13]) if started else None
        since = started[13:19].join(hit) if hit and started[19:] == "+00:00" else stamp(started)
        if expected:
            close: date | None = closes.get(expected)
            if close is None:
                close = closes[expected] = date.fromisoformat(expected)
        else:
            close = None
        probability, origin = probability_of(key, own)
        weighted = (round(amount * probability / 100, 2)
                    if amount is not None and probability is not None else None)  # fmt: skip
        return make(deal_id, title, client, contact, owner, owner_email, status, key, label,
                    amount, own_currency or currency, own, since, close, entered,
                    next_step or default_step or None, lost_reason, url, source,
                    idle_of(entered), weighted, probability, stall_days, bool(is_stalled),
                    origin, entered_from)  # fmt: skip

    return values


#: Deals whose title or client contains `:needle`: their rowids from the covering (removed,
#: search) index, then each row by rowid in rowid order (`NOT INDEXED`). Tested row by row
#: instead, SQLite walked an index of every live deal and fetched each row out of order to test
#: it: 1.38 s against 0.54 s for 67,000 matches among 1M deals.
SEARCH_WHERE = (
    "d.rowid IN (SELECT rowid FROM deals WHERE removed = 0 AND instr(search, :needle) > 0)"
)


#: Deals built and given their histories at a time, when a search is streamed.
SEARCH_BATCH = 500


def search(store: Store, ctx: Context, text: str) -> DealSearch:
    """Deals whose title or client contains `text`, ignoring case and accents, with history;
    with `ctx.shown`, only the first ones are built (and all of them counted); with
    `ctx.stream`, none before they are written (`DealSearch.rows`)."""
    params = {"needle": normalise(text)}
    if ctx.stream:
        rows = deal_rows(store, ctx, SEARCH_WHERE, params, "NOT INDEXED")
        return DealSearch(ctx.now, text, [], rows=_with_histories(store, ctx, rows))
    deals = select_deals(store, ctx, SEARCH_WHERE, params, "NOT INDEXED", ctx.shown)
    total = None
    if ctx.shown is not None and len(deals) >= ctx.shown:
        total = store.scalar(
            "SELECT COUNT(*) FROM deals WHERE removed = 0 AND instr(search, ?) > 0",
            (params["needle"],),
        )
    _attach_histories(store, ctx, deals)
    return DealSearch(ctx.now, text, deals, total)


def _with_histories(store: Store, ctx: Context,
                    rows: Iterator[tuple[Any, ...]]) -> Iterator[DealView]:  # fmt: skip
    """The rows' deals with their histories, `SEARCH_BATCH` at a time: a search matching 67,000
    of 1M deals held them all, histories and all, before writing the first (163 MB)."""
    view = _viewer(ctx)
    while batch := [view(row) for row in islice(rows, SEARCH_BATCH)]:
        _attach_histories(store, ctx, batch)
        yield from batch


def _attach_histories(store: Store, ctx: Context, deals: list[DealView]) -> None:
    """Each deal's stage history and field changes, read for all of them at once."""
    ids = [d.id for d in deals]
    history = histories(store, ctx, ids)
    changes = field_histories(store, ctx, ids)
    for deal in deals:
        deal.history = history.get(deal.id, [])
        deal.changes = changes.get(deal.id, [])


def histories(store: Store, ctx: Context, ids: Sequence[str]) -> dict[str, list[HistoryEvent]]:
    """Stage events of each deal, oldest first (moves between statuses of one stage are not).
    Read as tuples, the labels worked out once per stage: `deal X` may list 67,000 deals."""
    out: dict[str, list[HistoryEvent]] = {}
    labels = {stage.key: stage.label(ctx.language) for stage in ctx.pipeline.stages}
    local, label_of = ctx.local, labels.get
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for deal_id, at, from_stage, to_stage, status, by in store.conn.execute(
            "SELECT deal_id, at, from_stage, to_stage, status, by_user FROM stage_events "
            f"WHERE deal_id IN ({marks}) ORDER BY deal_id, at, id",
            chunk,
        ):
            moment = local(at)
            assert moment is not None
            event = HistoryEvent(moment, from_stage, to_stage, status, label_of(to_stage), by)
            events = out.get(deal_id)
            if events is None:
                events = out[deal_id] = []
            events.append(event)
    return out


def field_histories(
    store: Store, ctx: Context, ids: Sequence[str]
) -> dict[str, list[FieldChangeEvent]]:
    """Field changes of each deal, oldest first, values typed, times local."""
    out: dict[str, list[FieldChangeEvent]] = {}
    for deal_id, rows in store.field_changes(ids).items():
        events = out[deal_id] = []
        for row in rows:
            moment = ctx.local(row["at"])
            assert moment is not None
            field_name = row["field"]
            events.append(FieldChangeEvent(
                moment, field_name, decode_value(field_name, row["from_value"]),
                decode_value(field_name, row["to_value"]), row["by_user"]))  # fmt: skip
    return out


def in_stage(store: Store, ctx: Context, stage: Stage) -> DealList:
    return deal_list(store, ctx, "stage", [stage.label(ctx.language)], "d.stage = :stage",
                     {"stage": stage.key})  # fmt: skip


def owned_by(store: Store, ctx: Context, names: Sequence[str], kind: str = "owner") -> DealList:
    """Open deals whose owner or owner e-mail is one of `names` (exact stored values).

    Picked by rowid from the (owner, removed, stage, …) and (owner_email, removed, stage) indexes
    (m006, m016), a few index seeks each, rather than an OR that SQLite tests on every open deal."""
    params = {f"o{i}": name for i, name in enumerate(names)}
    marks = ", ".join(f":{key}" for key in params) or "NULL"
    keys = open_keys_sql(ctx)
    # an open deal is the owner's by its owner, or else by its owner's e-mail: each once
    by_owner = f"d.owner IN ({marks}) AND d.removed = 0 AND d.stage IN {keys}"
    by_email = (f"d.owner_email IN ({marks}) AND d.removed = 0 AND d.stage IN {keys} "
                f"AND (d.owner IS NULL OR d.owner NOT IN ({marks}))")  # fmt: skip
    where = (f"d.rowid IN (SELECT rowid FROM deals d WHERE {by_owner} "
             f"UNION ALL SELECT rowid FROM deals d WHERE {by_email})")  # fmt: skip
    shown = None
    if ctx.shown is not None:
        # The same deals read from the (owner, removed, stage, stage_entered, amount,
        # probability, id) index alone (m016), no deal's row: the text's sums and its first
        # deals. Read row by row, two passes over 390,000 deals' rows took 2.0–2.5 s at 1M
        # deals, against 0.38 s here.
        cols = "d.id, d.stage, d.stage_entered, d.amount, d.probability"
        owned = (f"SELECT {cols} FROM deals d WHERE {by_owner} "
                 f"UNION ALL SELECT {cols} FROM deals d WHERE {by_email}")  # fmt: skip
        first = (
            f"d.id IN (SELECT t.id FROM ({owned}) t ORDER BY {position_sql(ctx, 't')}, "
            f"t.stage_entered, t.id LIMIT {int(ctx.shown)})"
        )
        shown = (first, f"SELECT t.stage, t.amount, t.probability FROM ({owned}) t")
    return deal_list(store, ctx, kind, list(names), where, params, "NOT INDEXED", shown)


def known_owners(store: Store) -> list[tuple[str, str | None]]:
    """Every (owner, owner e-mail) pair of a live deal (a few dozen: cheap to match in Python)."""
    return [
        (row["owner"], row["owner_email"])
        for row in store.rows(
            "SELECT DISTINCT owner, owner_email FROM deals WHERE removed = 0 AND owner IS NOT NULL"
        )
    ]


def find_owners(store: Store, text: str, exact: bool = False) -> list[str]:
    """Owner names whose name or e-mail contains `text` (or equals it when `exact`)."""
    return match_owners(known_owners(store), text, exact)


def match_owners(
    owners: Sequence[tuple[str, str | None]], text: str, exact: bool = False
) -> list[str]:
    """`find_owners` over (owner, e-mail) pairs already read: case and accents ignored; sorted,
    each once. A question that tries several names reads the owners once."""
    wanted = normalise(text)
    found: set[str] = set()
    for owner, email in owners:
        for candidate in (owner, email):
            value = normalise(candidate or "")
            if value and (value == wanted if exact else wanted in value):
                found.add(owner)
    return sorted(found, key=str.casefold)


def names_of_user(ctx: Context) -> list[str]:
    """The `[people]` names and e-mails that map to `ctx.user` (a Slack user ID)."""
    return [name for name, user in ctx.people.items() if user == ctx.user]
