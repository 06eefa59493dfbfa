"""Result objects → the contract's `query --json` shapes, keys as docs/json.md writes them."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, is_dataclass
from datetime import date, datetime
from json.encoder import encode_basestring
from typing import Any

from bot.analytics import (
    Changes,
    DealList,
    DealSearch,
    DealView,
    Forecast,
    Funnel,
    Hygiene,
    Lost,
    Owners,
    Stalled,
    Summary,
    Totals,
    Unmapped,
)
from bot.analytics.accuracy import Accuracy
from bot.analytics.calibration import Calibration
from bot.analytics.changes import ChangeEvent, EventValues
from bot.query import Help, Query
from bot.render.registry import Registry

Converter = Callable[[Any], dict[str, Any]]
#: The JSON shape of each result type.
CONVERTERS: Registry[Converter] = Registry()
converter = CONVERTERS.register


def stamp(moment: datetime) -> str:
    """`as_of`: ISO 8601 with offset, in the configured zone's offset as given."""
    if moment.microsecond:
        return moment.isoformat(timespec="seconds")
    return moment.isoformat()  # the same text, without parsing `timespec` (long lists)


def cents(value: float | None) -> float | None:
    """Money in JSON: a number rounded to cents (null stays null)."""
    return None if value is None else round(value, 2)


def to_json(query: Query, result: Any, as_of: datetime | None = None, *,
            lazy: bool = False) -> dict[str, Any]:  # fmt: skip
    """The answer's JSON; every answer carries `query` and `as_of` (the contract), `help` too.

    `lazy`: long lists (deals, events) stay iterators, each item built as it is written
    (`write_json`), so a list of a million deals is never a million dicts at once.
    """
    body = CONVERTERS[type(result)](result) if type(result) in CONVERTERS else _plain(result)
    if not lazy:
        body = {k: _whole(v) for k, v in body.items()}
    stamped = {"as_of": stamp(as_of)} if as_of is not None and "as_of" not in body else {}
    return {"query": query.name, **stamped, **body}


#: Items of a long list encoded per write (one string of a few hundred kB at a time).
CHUNK = 2000
#: Compact JSON, as `json.dumps(..., ensure_ascii=False)` writes it, by the C encoder.
_ENCODE = json.JSONEncoder(ensure_ascii=False).encode


def write_json(body: dict[str, Any], write: Callable[[str], object], *,
               indent: int | None = None) -> None:  # fmt: skip
    """Write an answer's JSON (`to_json`, lazy or not) through `write` (e.g. `out.write`).

    Indented for a person at a terminal; otherwise compact, with CPython's C encoder (an `indent`
    turns it off: 3× slower on long lists) and long lists written a chunk of items at a time
    instead of as one string as big as the answer.
    """
    if indent is not None:
        plain = {k: _whole(v) for k, v in body.items()}
        write(json.dumps(plain, ensure_ascii=False, indent=indent) + "\n")
        return
    write("{")
    for n, (key, value) in enumerate(body.items()):
        write(f"{', ' if n else ''}{_ENCODE(key)}: ")
        if isinstance(value, Encoded):
            _write_chunks(value.texts, write, ", ".join)
        elif isinstance(value, Iterator) or (isinstance(value, list) and len(value) > CHUNK):
            _write_chunks(value, write, _encode_items)
        else:
            write(_ENCODE(value))
    write("}\n")


def _write_chunks(items: Iterator[Any] | list[Any], write: Callable[[str], object],
                  join: Callable[[list[Any]], str]) -> None:  # fmt: skip
    """`[item, item, ...]` written a chunk of items at a time, `join` giving a chunk's text."""
    write("[")
    chunk: list[Any] = []
    first = True
    for item in items:
        chunk.append(item)
        if len(chunk) >= CHUNK:
            write(("" if first else ", ") + join(chunk))
            first = False
            chunk.clear()
    if chunk:
        write(("" if first else ", ") + join(chunk))
    write("]")


def _encode_items(chunk: list[Any]) -> str:
    """Items as the C encoder writes them in a list, without the brackets (one call a chunk)."""
    return _ENCODE(chunk)[1:-1]


class Encoded:
    """A long list whose items are already their compact JSON text, each the very text the
    C encoder gives for the item's dict (a list written from the rows: `deal_text`,
    `event_text`); `write_json` writes them as they come."""

    __slots__ = ("texts",)

    def __init__(self, texts: Iterator[str]):
        self.texts = texts

    def objects(self) -> list[Any]:
        """The items as objects again (a whole answer, or an indented one)."""
        return [json.loads(text) for text in self.texts]


def _whole(value: Any) -> Any:
    """A body value with its long list read whole (`to_json`, or indented `write_json`)."""
    if isinstance(value, Encoded):
        return value.objects()
    return list(value) if isinstance(value, Iterator) else value


class _Memo(dict[Any, str]):
    """Values of one kind (text, or whole numbers) → their JSON text, each encoded once: the
    few owners, statuses, stages and day counts of a long list. One memo per kind: 1 and 1.0
    are equal keys, with different texts."""

    def __missing__(self, key: Any) -> str:
        text = self[key] = _ENCODE(key)
        return text


_INF = float("inf")


def _number(value: float | None) -> str:
    """Money rounded to cents as the encoder writes it (`NaN`, `Infinity` too), or `null`."""
    if value is None:
        return "null"
    value = round(value, 2)
    return value.__repr__() if -_INF < value < _INF else _ENCODE(value)


def _template(keys: Sequence[str]) -> str:
    """`{"key": %s, ...}` with the encoder's separators: one `%` per item."""
    return "{" + ", ".join(f"{_ENCODE(key)}: %s" for key in keys) + "}"


def _plain(result: Any) -> dict[str, Any]:
    if is_dataclass(result) and not isinstance(result, type):
        return asdict(result)
    raise TypeError(f"no JSON shape for {type(result).__name__}")


@converter(Summary)
def _summary(result: Summary) -> dict[str, Any]:
    return {
        "as_of": stamp(result.as_of),
        "stages": [
            {
                "key": s.key,
                "label": s.label,
                "count": s.count,
                "amount": s.amount,
                "weighted": s.weighted,
                "stalled": s.stalled,
            }
            for s in result.stages
        ],  # fmt: skip
        "open": {
            "count": result.open.count,
            "amount": result.open.amount,
            "weighted": result.open.weighted,
        },
        "unmapped": {"count": result.unmapped, "amount": result.unmapped_amount},
        "age_unknown": {"count": result.age_unknown},
    }


@converter(Stalled)
def _stalled(result: Stalled) -> dict[str, Any]:
    deals: Encoded | Iterator[dict[str, Any]]
    if result.rows is not None:
        deals = Encoded(result.rows.map(stalled_text()))
    else:
        deals = (
            {
                "id": d.id,
                "title": d.title,
                "client": d.client,
                "owner": d.owner,
                "stage": d.stage,
                "idle_days": d.idle_days,
                "stall_days": d.stall_days,
                "amount": cents(d.amount),
                "url": d.url,
                "next_step": d.next_step,
                "label": d.stage_label,
            }
            for d in result.deals
        )  # fmt: skip
    return {"as_of": stamp(result.as_of), "deals": deals}


_STALLED = _template(("id", "title", "client", "owner", "stage", "idle_days", "stall_days",
                      "amount", "url", "next_step", "label"))  # fmt: skip


def stalled_text() -> Callable[..., str]:
    """A stalled deal's values (`analytics.stalled_in_order`) → its compact JSON text, the very
    text the C encoder gives for `_stalled`'s dict (owners, stages, labels, day counts encoded
    once each)."""
    texts, counts = _Memo(), _Memo()
    string = encode_basestring

    def text(deal_id: str, title: str | None, client: str | None, owner: Any, _: Any, key: Any,
             idle_days: int, stall_days: int, amount: float | None, url: str | None,
             next_step: str | None, __: Any, label: Any) -> str:  # fmt: skip
        return _STALLED % (
            string(deal_id), "null" if title is None else string(title),
            "null" if client is None else string(client), texts[owner], texts[key],
            counts[idle_days], counts[stall_days], _number(amount),
            "null" if url is None else string(url),
            "null" if next_step is None else string(next_step), texts[label],
        )  # fmt: skip

    return text


@converter(Help)
def _help(result: Help) -> dict[str, Any]:
    return {
        "queries": [
            {"name": usage.split()[0], "usage": usage, "french": french, "description": description}
            for usage, french, description in result.queries
        ]
    }


def _totals(totals: Totals) -> dict[str, Any]:
    out = {"count": totals.count, "amount": cents(totals.amount),
           "weighted": cents(totals.weighted)}  # fmt: skip
    if totals.low is not None and totals.high is not None:
        out.update(low=cents(totals.low), high=cents(totals.high))
    return out


@converter(Forecast)
def _forecast(result: Forecast) -> dict[str, Any]:
    return {
        "as_of": stamp(result.as_of),
        "months": [
            {
                "month": m.month,
                "count": m.count,
                "amount": cents(m.amount),
                "weighted": cents(m.weighted),
                "low": cents(m.low),
                "high": cents(m.high),
            }
            for m in result.months
        ],  # fmt: skip
        "overdue": _totals(result.overdue),
        "no_date": _totals(result.no_date),
        "later": _totals(result.later),
        "open": _totals(result.open),
        "total": _totals(result.open),  # every bucket together (= the open pipeline)
    }


@converter(Funnel)
def _funnel(result: Funnel) -> dict[str, Any]:
    return {
        "as_of": stamp(result.as_of),
        "stages": [
            {
                "key": s.key,
                "label": s.label,
                "reached": s.reached,
                "conversion": s.conversion,
                "median_days": s.median_days,
                "stays": s.stays,
                "bottleneck": s.bottleneck,
            }
            for s in result.stages
        ],  # fmt: skip
        "won": result.won,
        "bottleneck": result.bottleneck,
    }


@converter(Owners)
def _owners(result: Owners) -> dict[str, Any]:
    return {
        "as_of": stamp(result.as_of),
        "owners": [
            {
                "owner": o.owner,
                "open": o.open,
                "amount": cents(o.amount),
                "weighted": cents(o.weighted),
                "stalled": o.stalled,
            }
            for o in result.owners
        ],  # fmt: skip
    }


@converter(Lost)
def _lost(result: Lost) -> dict[str, Any]:
    return {
        "as_of": stamp(result.as_of),
        "reasons": [
            {
                "reason": r.reason,  # data: null when none was given, whatever the language
                "label": r.label,  # what to show: the reason, or "(no reason)" translated
                "count": r.count,
                "amount": cents(r.amount),
                "no_reason": r.reason is None,
            }
            for r in result.reasons
        ],  # fmt: skip
        "count": result.count,
        "amount": cents(result.amount),
    }


def deal_json(deal: DealView, history: bool = False) -> dict[str, Any]:
    """Every contract deal field, then `idle_days`, `weighted` (and `history` when asked)."""
    close = deal.expected_close
    out: dict[str, Any] = {
        "id": deal.id,
        "title": deal.title,
        "client": deal.client,
        "contact": deal.contact,
        "owner": deal.owner,
        "owner_email": deal.owner_email,
        "status": deal.status,
        "stage": deal.stage,
        "label": deal.stage_label,
        "amount": None if deal.amount is None else round(deal.amount, 2),  # `cents`, inline
        "currency": deal.currency,
        "probability": deal.probability,
        "started": deal.started_stamp,
        "expected_close": close.isoformat() if close else None,
        "stage_entered": deal.entered_stamp,
        "stage_entered_from": deal.entered_from,
        "next_step": deal.next_step,
        "lost_reason": deal.lost_reason,
        "url": deal.url,
        "source": deal.source,
        "idle_days": deal.idle_days,
        "weighted": None if deal.weighted is None else round(deal.weighted, 2),
        "stall_days": deal.stall_days,
        "stalled": deal.stalled,
        "probability_from": deal.probability_from,
    }
    if history:
        out["history"] = [
            {
                "at": stamp(e.at),
                "from": e.from_stage,
                "to": e.to_stage,
                "status": e.status,
                "by": e.by,
            }
            for e in deal.history
        ]
        out["changes"] = [
            {"at": stamp(c.at), "field": c.field, "from": _field_value(c.from_value),
             "to": _field_value(c.to_value), "by": c.by}
            for c in deal.changes
        ]  # fmt: skip
    return out


def _field_value(value: object) -> object:
    """A field-history value in JSON: money and percentages as numbers, dates ISO, names."""
    if isinstance(value, float):
        return round(value, 2)
    if isinstance(value, date):
        return value.isoformat()
    return value


@converter(DealSearch)
def _deal_search(result: DealSearch) -> dict[str, Any]:
    return {
        "as_of": stamp(result.as_of),
        "text": result.text,
        "deals": (
            deal_json(d, history=True)
            for d in (result.deals if result.rows is None else result.rows)
        ),
    }


@converter(DealList)
def _deal_list(result: DealList) -> dict[str, Any]:
    return {
        "as_of": stamp(result.as_of),
        "matched": result.subject,
        "deals": _deal_objects(result),
    }


def _deal_objects(result: DealList) -> Encoded | Iterator[dict[str, Any]]:
    """A list's deals: JSON text from the rows when it was streamed, else objects of the views."""
    if result.rows is not None:
        return Encoded(result.rows.map(deal_text()))
    return (deal_json(d) for d in result.deals)


_DEAL = _template(("id", "title", "client", "contact", "owner", "owner_email", "status", "stage",
                   "label", "amount", "currency", "probability", "started", "expected_close",
                   "stage_entered", "stage_entered_from", "next_step", "lost_reason", "url",
                   "source", "idle_days", "weighted", "stall_days", "stalled",
                   "probability_from"))  # fmt: skip


def deal_text() -> Callable[..., str]:
    """A deal's values (`deal_values`) → its compact JSON text, the very text the C encoder
    gives for `deal_json`'s dict, without the dict: the few distinct owners, statuses,
    stages, labels, dates, day counts and percentages are encoded once each, the rest value by
    value."""
    texts, counts, percents = _Memo(), _Memo(), _Memo()
    closes: dict[date | None, str] = {None: "null"}
    string = encode_basestring

    def text(deal_id: str, title: str, client: str | None, contact: str | None, owner: Any,
             owner_email: Any, status: Any, key: Any, label: Any, amount: float | None,
             currency: Any, own: float | None, started: str | None, close: date | None,
             entered: str | None, next_step: Any, lost_reason: Any, url: str | None,
             source: Any, idle_days: int | None, weighted: float | None, _: Any,
             stall_days: int, stalled: bool, origin: Any, entered_from: Any) -> str:  # fmt: skip
        day = closes.get(close)
        if day is None:
            day = closes[close] = _ENCODE(close.isoformat())  # type: ignore[union-attr]
        return _DEAL % (
            string(deal_id), string(title), "null" if client is None else string(client),
            "null" if contact is None else string(contact), texts[owner], texts[owner_email],
            texts[status], texts[key], texts[label], _number(amount), texts[currency],
            percents[own], "null" if started is None else string(started),
            day, "null" if entered is None else string(entered), texts[entered_from],
            texts[next_step], texts[lost_reason], "null" if url is None else string(url),
            texts[source], counts[idle_days], _number(weighted), counts[stall_days],
            "true" if stalled else "false", texts[origin],
        )  # fmt: skip

    return text


@converter(Changes)
def _changes(result: Changes) -> dict[str, Any]:
    return {
        "as_of": stamp(result.as_of),
        "since": stamp(result.since),
        "days": result.days,
        "events": _event_objects(result),
    }


def _event_objects(result: Changes) -> Encoded | Iterator[dict[str, Any]]:
    """The events: JSON text from the rows when they were streamed, else objects of the events."""
    if result.rows is not None:
        return Encoded(map(event_text(), result.rows))
    return (_event_json(e) for e in result.events)


def _event_json(event: ChangeEvent) -> dict[str, Any]:
    """An event's JSON object."""
    return {
        "at": event.stamp,
        "deal": event.deal,
        "title": event.title,
        "from": event.from_stage,
        "to": event.to_stage,
        "kind": event.kind,
        "status": event.status,
        "owner": event.owner,
        "amount": None if event.amount is None else round(event.amount, 2),  # `cents`, inline
        "by": event.by,
    }


_EVENT = _template(("at", "deal", "title", "from", "to", "kind", "status", "owner", "amount",
                    "by"))  # fmt: skip


def event_text() -> Callable[[EventValues], str]:
    """`ChangeEvent`'s fields → the event's compact JSON text, the very text the C encoder
    gives for `_event_json`'s dict (stages, kinds, statuses, owners encoded once each)."""
    texts = _Memo()
    string = encode_basestring

    def text(values: EventValues) -> str:
        at, deal, title, old, to, kind, status, owner, amount, _, _, by = values
        return _EVENT % (string(at), string(deal), string(title), texts[old], texts[to],
                         texts[kind], texts[status], texts[owner], _number(amount),
                         texts[by])  # fmt: skip

    return text


@converter(Unmapped)
def _unmapped(result: Unmapped) -> dict[str, Any]:
    return {
        "as_of": stamp(result.as_of),
        "statuses": [{"status": s.status, "count": s.count} for s in result.statuses],
        "count": result.count,
    }


@converter(Hygiene)
def _hygiene(result: Hygiene) -> dict[str, Any]:
    return {
        "as_of": stamp(result.as_of),
        "deals": [
            {
                "id": d.id,
                "title": d.title,
                "client": d.client,
                "owner": d.owner,
                "stage": d.stage,
                "label": d.stage_label,
                "amount": cents(d.amount),
                "expected_close": d.expected_close.isoformat() if d.expected_close else None,
                "url": d.url,
                "problems": [{"code": p.code, "detail": p.detail, **p.values} for p in d.problems],
            }
            for d in result.deals
        ],
        "counts": dict(result.counts),
    }


@converter(Calibration)
def _calibration(result: Calibration) -> dict[str, Any]:
    return {
        "as_of": stamp(result.as_of),
        "stages": [
            {
                "key": r.key,
                "label": r.label,
                "configured": r.configured,
                "won": r.won,
                "closed": r.closed,
                "observed": None if r.observed is None else round(r.observed, 2),
                "calibrated": round(r.calibrated, 2),
                "n_scored": r.n_scored,
                "brier_stage": r.brier_stage,
                "brier_calibrated": r.brier_calibrated,
            }
            for r in result.stages
        ],  # fmt: skip
        "recommended": result.recommended,
        "prior_weight": result.prior_weight,
        "n_scored": result.n_scored,
        "brier_stage": result.brier_stage,
        "brier_calibrated": result.brier_calibrated,
        "probabilities": result.in_use,
    }


@converter(Accuracy)
def _accuracy(result: Accuracy) -> dict[str, Any]:
    return {
        "as_of": stamp(result.as_of),
        "months": [
            {
                "month": m.month,
                "forecast": m.forecast,
                "low": m.low,
                "high": m.high,
                "won": m.won,
                "lookahead": m.lookahead,
                "count": m.count,
                "won_count": m.won_count,
            }
            for m in result.months
        ],  # fmt: skip
        "mae": result.mae,
        "within_range": result.within_range,
        "probabilities": result.probabilities,
    }
