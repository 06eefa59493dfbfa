"""Hygiene: open deals whose record makes the pipeline lie (no amount, no date, a date in the past,
a close date pushed again and again, nobody owning it, no next step).

A forecast is only as good as the records under it: "3+ pushes = close date is fiction". Each
problem has a stable code (the contract's), a detail in the configured language and, where a
number says it best, the number itself. One SELECT finds the live open deals with a problem in
their own row; pushed close dates come from the field history the store keeps.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from bot.analytics.core import Context, open_keys_sql
from bot.i18n import t
from bot.pipeline import normalise
from bot.store import Store

#: The contract's codes, in the order a deal's problems are listed.
CODES = ("no_amount", "no_close_date", "no_owner", "overdue", "close_date_pushed", "no_next_step")

#: A close date moved later this many times is "pushed" (contract: at least twice).
PUSHES = 2


@dataclass
class Problem:
    code: str
    detail: str
    values: dict[str, Any] = field(default_factory=dict)  # the numbers behind the detail


@dataclass
class HygieneDeal:
    id: str
    title: str
    client: str | None
    owner: str | None
    owner_email: str | None
    stage: str
    stage_label: str
    amount: float | None
    expected_close: date | None
    url: str | None
    problems: list[Problem]


@dataclass
class Hygiene:
    as_of: datetime
    deals: list[HygieneDeal]
    counts: dict[str, int]

    def by_owner(self) -> dict[str, list[HygieneDeal]]:
        """Deals with problems per owner (normalised name, else e-mail); unowned ones left out."""
        out: dict[str, list[HygieneDeal]] = {}
        for deal in self.deals:
            key = owner_key(deal.owner, deal.owner_email)
            if key:
                out.setdefault(key, []).append(deal)
        return out


def owner_key(owner: str | None, email: str | None) -> str:
    """One owner whatever the case, accents or spaces (contract), as the nudges group them."""
    return normalise(owner or email or "")


@dataclass(frozen=True)
class Pushes:
    """How often a deal's expected close was moved later, and by how many days in all."""

    times: int
    days: int


def count_pushes(moves: Iterable[tuple[str | None, str | None]]) -> Pushes:
    """(from, to) changes of `expected_close`, oldest first → the moves to a later date.

    A move from no date to a date (first set) or to no date is not a push; a move earlier is not
    one either and does not cancel the pushes before it: each slip happened.
    """
    times = days = 0
    for before, after in moves:
        old, new = _day(before), _day(after)
        if old is not None and new is not None and new > old:
            times += 1
            days += (new - old).days
    return Pushes(times, days)


def close_date_pushes(store: Store) -> dict[str, Pushes]:
    """Per deal, the pushes of its expected close in the field history (only ≥ `PUSHES`)."""
    moves: dict[str, list[tuple[str | None, str | None]]] = {}
    for deal_id, _at, before, after in store.changes_of_field("expected_close"):
        moves.setdefault(deal_id, []).append((before, after))
    out: dict[str, Pushes] = {}
    for deal_id, pairs in moves.items():
        pushes = count_pushes(pairs)
        if pushes.times >= PUSHES:
            out[deal_id] = pushes
    return out


def _day(value: str | None) -> date | None:
    """A stored date (ISO text) as a date; None when empty or unreadable."""
    if not value:
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def next_step_sources(store: Store, ctx: Context) -> set[str]:
    """Sources that have a next-step field: named in `[sources.fields]`, or filled on a deal."""
    found = set(ctx.next_step_sources)
    found.update(
        row[0]
        for row in store.conn.execute(  # in table order: by the `removed` index, 10× slower
            "SELECT DISTINCT source FROM deals NOT INDEXED WHERE removed = 0 "
            "AND next_step IS NOT NULL AND trim(next_step) != ''"
        )
    )
    return found


def count_codes(deals: Iterable[HygieneDeal]) -> dict[str, int]:
    """How many of `deals` have each problem (every code, 0 included)."""
    counts = dict.fromkeys(CODES, 0)
    for deal in deals:
        for problem in deal.problems:
            counts[problem.code] += 1
    return counts


def hygiene(store: Store, ctx: Context, deal_ids: Sequence[str] | None = None) -> Hygiene:
    """Open deals with at least one problem, most problems first (then largest amount, id);
    `deal_ids`: only among these (one user's deals, for the App Home)."""
    lang = ctx.language
    today = ctx.today
    pushed = close_date_pushes(store)
    labels = {s.key: s.label(lang) for s in ctx.pipeline.open_stages}
    deals: list[HygieneDeal] = []
    for row, expected, codes in _with_problems(store, ctx, pushed, deal_ids):
        deal_id, title, client, owner, email, stage, amount, _, url, _, _ = row
        problems = [_problem(code, expected, pushed.get(deal_id), today, lang) for code in codes]
        label = labels.get(stage, stage)
        deals.append(HygieneDeal(deal_id, title, client, owner, email, stage, label, amount,
                                 expected, url, problems))  # fmt: skip
    deals.sort(key=lambda d: (-len(d.problems), -(d.amount or 0.0), d.id))
    return Hygiene(ctx.now, deals, count_codes(deals))


def problem_counts(store: Store, ctx: Context) -> tuple[int, dict[str, int]]:
    """How many open deals have a problem, and how many have each (`count_codes`): the digest's
    line. The candidates are grouped in SQL by what decides their codes (the close date and four
    yes/no facts, Python's `str.strip` spelled out as `WHITESPACE`), so the codes are worked
    out once per distinct close date, not once per deal."""
    counts = dict.fromkeys(CODES, 0)
    found = 0
    pushed = close_date_pushes(store)
    where, params, with_step = _problem_filter(store, ctx, pushed, None)
    marks = ",".join("?" * len(with_step)) or "NULL"
    groups = store.conn.execute(
        "SELECT d.expected_close, (d.amount IS NULL OR d.amount = 0 OR d.amount = ''), "
        "(COALESCE(trim(d.owner, ?), '') = '' AND COALESCE(trim(d.owner_email, ?), '') = ''), "
        "d.id IN (SELECT value FROM json_each(?)), "
        f"(d.source IN ({marks}) AND COALESCE(trim(d.next_step, ?), '') = ''), COUNT(*) "
        f"FROM deals d NOT INDEXED WHERE {where} GROUP BY 1, 2, 3, 4, 5",
        (WHITESPACE, WHITESPACE, json.dumps(sorted(pushed)), *with_step, WHITESPACE, *params),
    )
    today = ctx.today
    for close, no_amount, no_owner, is_pushed, no_step, n in groups:
        codes = _codes(bool(no_amount), _day(close), bool(no_owner), bool(is_pushed),
                       bool(no_step), today)  # fmt: skip
        if codes:
            found += n
            for code in codes:
                counts[code] += n
    return found, counts


#: What Python's `str.strip()` removes (every character whose `isspace()` is true), for SQL's
#: `trim`: the grouped counts decide "blank" exactly as the per-deal list does.
WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)


def _problem_filter(store: Store, ctx: Context, pushed: Mapping[str, Pushes],
                    deal_ids: Sequence[str] | None
                    ) -> tuple[str, list[Any], list[str]]:  # fmt: skip
    """The WHERE clause (on `deals d`) of the open deals that may have a problem, its
    parameters, and the sources with a next-step field."""
    with_step = sorted(next_step_sources(store, ctx))
    marks = ",".join("?" * len(with_step)) or "NULL"
    where = (
        f"d.removed = 0 AND d.stage IN {open_keys_sql(ctx)} AND ("
        "d.amount IS NULL OR d.amount = 0 OR d.expected_close IS NULL OR d.expected_close = '' "
        "OR d.expected_close < ? OR (COALESCE(trim(d.owner), '') = '' "
        "AND COALESCE(trim(d.owner_email), '') = '') "
        f"OR (d.source IN ({marks}) AND COALESCE(trim(d.next_step), '') = '') "
        "OR d.id IN (SELECT value FROM json_each(?)))"
        + ("" if deal_ids is None else " AND d.id IN (SELECT value FROM json_each(?))")
    )
    params: list[Any] = [
        ctx.today.isoformat(),
        *with_step,
        json.dumps(sorted(pushed)),
        *([] if deal_ids is None else [json.dumps(deal_ids)]),
    ]
    return where, params, with_step


def _codes(no_amount: bool, expected: date | None, no_owner: bool, pushed: bool, no_step: bool,
           today: date) -> list[str]:  # fmt: skip
    """A deal's problem codes in `CODES` order, from the facts that decide them."""
    codes: list[str] = []
    if no_amount:
        codes.append("no_amount")
    if expected is None:
        codes.append("no_close_date")
    if no_owner:
        codes.append("no_owner")
    if expected is not None and expected < today:
        codes.append("overdue")
    if pushed:
        codes.append("close_date_pushed")
    if no_step:
        codes.append("no_next_step")
    return codes


def _with_problems(store: Store, ctx: Context, pushed: Mapping[str, Pushes],
                   deal_ids: Sequence[str] | None
                   ) -> Iterator[tuple[tuple[Any, ...], date | None, list[str]]]:  # fmt: skip
    """(row, expected close, problem codes in `CODES` order) of each open deal with a problem;
    `pushed`: `close_date_pushes`."""
    today = ctx.today
    where, params, with_step = _problem_filter(store, ctx, pushed, deal_ids)
    rows = store.conn.execute(
        "SELECT d.id, d.title, d.client, d.owner, d.owner_email, d.stage, d.amount, "
        f"d.expected_close, d.url, d.source, d.next_step FROM deals d WHERE {where}",
        params,
    )
    steps = set(with_step)
    for row in rows:
        deal_id, _, _, owner, email, _, amount, close, _, source, step = row
        expected = _day(close)
        codes = _codes(not amount, expected,
                       not (owner or "").strip() and not (email or "").strip(),
                       deal_id in pushed, source in steps and not (step or "").strip(),
                       today)  # fmt: skip
        if codes:
            yield row, expected, codes


def _problem(code: str, expected: date | None, push: Pushes | None, today: date,
             lang: str) -> Problem:  # fmt: skip
    """A problem code with its text (and the numbers of an overdue or pushed close date)."""
    if code == "overdue" and expected is not None:
        late, day = (today - expected).days, expected.isoformat()
        detail = t("hygiene.overdue", lang, date=day, days=late)
        return Problem("overdue", detail, {"expected_close": day, "days_late": late})
    if code == "close_date_pushed" and push is not None:
        detail = t("hygiene.close_date_pushed", lang, times=push.times, days=push.days)
        return Problem("close_date_pushed", detail, {"times": push.times, "days": push.days})
    return Problem(code, t(_TEXTS[code], lang))


#: The text of each problem that says no number.
_TEXTS = {"no_amount": "hygiene.no_amount", "no_close_date": "hygiene.no_close_date",
          "no_owner": "hygiene.no_owner", "no_next_step": "hygiene.no_next_step"}  # fmt: skip
