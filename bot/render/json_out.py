"""Result objects → the contract's `query --json` shapes, keys as CONTRACT.md writes them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, is_dataclass
from datetime import datetime
from typing import Any

from bot.analytics import Stalled, Summary
from bot.query import Help, Query

Converter = Callable[[Any], dict[str, Any]]
CONVERTERS: dict[type, Converter] = {}


def converter(kind: type) -> Callable[[Converter], Converter]:
    """Register the JSON shape of one result type (analytics answers add theirs)."""

    def wrap(func: Converter) -> Converter:
        CONVERTERS[kind] = func
        return func

    return wrap


def stamp(moment: datetime) -> str:
    """`as_of`: ISO 8601 with offset, in the configured zone's offset as given."""
    return moment.isoformat(timespec="seconds")


def to_json(query: Query, result: Any) -> dict[str, Any]:
    body = CONVERTERS[type(result)](result) if type(result) in CONVERTERS else _plain(result)
    return {"query": query.name, **body}


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
    }


@converter(Stalled)
def _stalled(result: Stalled) -> dict[str, Any]:
    return {
        "as_of": stamp(result.as_of),
        "deals": [
            {
                "id": d.id,
                "title": d.title,
                "client": d.client,
                "owner": d.owner,
                "stage": d.stage,
                "idle_days": d.idle_days,
                "stall_days": d.stall_days,
                "amount": d.amount,
                "url": d.url,
                "next_step": d.next_step,
            }
            for d in result.deals
        ],  # fmt: skip
    }


@converter(Help)
def _help(result: Help) -> dict[str, Any]:
    return {
        "queries": [
            {"usage": usage, "french": french, "description": description}
            for usage, french, description in result.queries
        ]
    }
