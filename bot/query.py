"""One parser for the text after `/pipeline`, shared by Slack and `pipeline-bot query`.

One question has one answer: this module turns words into an analytics call; renderers (terminal,
JSON, Block Kit) only format the result. French keywords are synonyms of the English ones.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot import analytics
from bot.analytics import Context
from bot.pipeline import normalise
from bot.store import Store


class UnknownQuery(ValueError):
    """Words that name no query; the message suggests the nearest valid one."""


@dataclass(frozen=True)
class Query:
    name: str  # the canonical English name ("summary" for "résumé")
    args: str = ""
    public: bool = False


@dataclass(frozen=True)
class Help:
    queries: list[tuple[str, str, str]]  # (usage, French synonym, description)


@dataclass(frozen=True)
class QuerySpec:
    name: str
    french: str
    usage: str
    description: str
    run: Callable[[Store, Context, str], Any]
    takes_args: bool = False


def _summary(store: Store, ctx: Context, args: str) -> Any:
    return analytics.summary(store, ctx)


def _stalled(store: Store, ctx: Context, args: str) -> Any:
    return analytics.stalled(store, ctx)


def _help(store: Store, ctx: Context, args: str) -> Help:
    return Help([(spec.usage, spec.french, spec.description) for spec in QUERIES.values()])


QUERIES: dict[str, QuerySpec] = {
    spec.name: spec
    for spec in (
        QuerySpec("summary", "résumé", "summary", "the pipeline by stage", _summary),
        QuerySpec("stalled", "bloqués", "stalled", "deals idle past their stage's limit",
                  _stalled),
        QuerySpec("help", "aide", "help", "this list", _help),
    )
}  # fmt: skip


def register(spec: QuerySpec) -> None:
    """Add a query (the analytics answers plug in here)."""
    QUERIES[spec.name] = spec


def _synonyms() -> dict[str, str]:
    words: dict[str, str] = {}
    for spec in QUERIES.values():
        words[normalise(spec.name)] = spec.name
        words[normalise(spec.french)] = spec.name
    return words


def parse(text: str) -> Query:
    """`"stalled public"` → Query("stalled", public=True); empty text is the summary."""
    words = text.split()
    public = False
    if words and normalise(words[-1]) in ("public", "publique", "public."):
        public = True
        words = words[:-1]
    if not words:
        return Query("summary", "", public)
    synonyms = _synonyms()
    head = normalise(words[0])
    if head in synonyms:
        name = synonyms[head]
        args = " ".join(words[1:])
        if args and not QUERIES[name].takes_args:
            raise UnknownQuery(f"'{words[0]}' takes no words after it (got '{args}')")
        return Query(name, args, public)
    nearest = difflib.get_close_matches(head, list(synonyms), n=1, cutoff=0.5)
    hint = f": did you mean '{nearest[0]}'?" if nearest else ""
    valid = ", ".join(QUERIES)
    raise UnknownQuery(f"unknown query '{words[0]}'{hint} (queries: {valid})")


def answer(query: Query, store: Store, ctx: Context) -> Any:
    """Run a parsed query: the same result object for Slack and the terminal."""
    return QUERIES[query.name].run(store, ctx, query.args)
