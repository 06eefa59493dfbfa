"""One parser for the text after `/pipeline`, shared by Slack and `pipeline-bot query`.

One question has one answer: this module turns words into an analytics call; renderers (terminal,
JSON, Block Kit) only format the result. French keywords are synonyms of the English ones.
Arguments are checked here, before the store is touched, so a bad one is a user's mistake (exit
status 2 on the command line) with a message saying what was expected.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot import analytics
from bot.analytics import Context
from bot.analytics.changes import DEFAULT_DAYS, MAX_DAYS
from bot.analytics.deals import known_owners
from bot.analytics.forecast import DEFAULT_MONTHS, MAX_MONTHS
from bot.i18n import t
from bot.pipeline import Stage, normalise
from bot.store import Store

PUBLIC_WORDS = ("public", "publique")
#: `/pipeline forecast chart` (or `chart forecast`): the answer's picture too.
CHART_WORDS = ("chart", "graph", "graphique", "graphe")
#: The answers that have a picture (`bot/charts.py`).
CHART_QUERIES = ("summary", "forecast", "funnel", "owners")
#: Queries whose words are free text: a trailing "chart" there is part of the text.
TEXT_QUERIES = ("deal", "stage", "owner")


class UnknownQuery(ValueError):
    """Words that name no query, or a bad argument; the message says what would work.

    `str(exc)` is English (logs); `exc.localised(language)` is the same message in the
    configured language, for the command line and Slack alike.
    """

    def __init__(self, key: str, guess: str | None = None, **values: object):
        self.key, self.guess, self.values = key, guess, values
        super().__init__(self.localised("en"))

    def localised(self, language: str) -> str:
        hint = t("error.hint", language, guess=self.guess) if self.guess else ""
        return t(self.key, language, hint=hint, **self.values)


@dataclass(frozen=True)
class Query:
    name: str  # the canonical English name ("summary" for "résumé")
    args: str = ""
    public: bool = False
    chart: bool = False  # the answer's picture is wanted too (only `CHART_QUERIES` have one)


@dataclass(frozen=True)
class Help:
    queries: list[tuple[str, str, str]]  # (usage, French synonym, description)


Runner = Callable[[Store, Context, str], Any]
Checker = Callable[[str, str], None]  # (the word used, its arguments): raises UnknownQuery


@dataclass(frozen=True)
class QuerySpec:
    name: str
    french: str
    usage: str
    description: str  # an i18n key
    run: Runner
    takes_args: bool = False
    check: Checker | None = None


def number_arg(args: str, low: int, high: int, default: int) -> int | None:
    """`args` as a whole number in [low, high] (`default` when empty), None when it is not."""
    if not args:
        return default
    text = args.strip()
    if not text.isdigit() or not low <= int(text) <= high:
        return None
    return int(text)


def _needs_days(word: str, args: str) -> None:
    if number_arg(args, 1, MAX_DAYS, DEFAULT_DAYS) is None:
        raise UnknownQuery("error.days", word=word, args=args, high=MAX_DAYS)


def _needs_months(word: str, args: str) -> None:
    if number_arg(args, 1, MAX_MONTHS, DEFAULT_MONTHS) is None:
        raise UnknownQuery("error.months", word=word, args=args, high=MAX_MONTHS)


def _needs_text(word: str, args: str) -> None:
    if not normalise(args):
        raise UnknownQuery("error.needs_text", word=word)


def _summary(store: Store, ctx: Context, args: str) -> Any:
    return analytics.summary(store, ctx)


def _stalled(store: Store, ctx: Context, args: str) -> Any:
    return analytics.stalled(store, ctx)


def _forecast(store: Store, ctx: Context, args: str) -> Any:
    months = number_arg(args, 1, MAX_MONTHS, DEFAULT_MONTHS)
    return analytics.forecast(store, ctx, months or DEFAULT_MONTHS)


def _funnel(store: Store, ctx: Context, args: str) -> Any:
    return analytics.funnel(store, ctx)


def _owners(store: Store, ctx: Context, args: str) -> Any:
    return analytics.owners(store, ctx)


def _lost(store: Store, ctx: Context, args: str) -> Any:
    return analytics.lost(store, ctx)


def _deal(store: Store, ctx: Context, args: str) -> Any:
    return analytics.search(store, ctx, args.strip())


def _changes(store: Store, ctx: Context, args: str) -> Any:
    days = number_arg(args, 1, MAX_DAYS, DEFAULT_DAYS)
    return analytics.changes(store, ctx, days or DEFAULT_DAYS)


def _stage(store: Store, ctx: Context, args: str) -> Any:
    stage = ctx.pipeline.find_stage(args)
    if stage is None:
        names = [s.label(ctx.language) for s in ctx.pipeline.stages]
        near = _nearest_stage(ctx, args)
        guess = near.label(ctx.language) if near else None
        raise UnknownQuery("error.no_stage", guess, name=args, stages=", ".join(names))
    return analytics.in_stage(store, ctx, stage)


def _nearest_stage(ctx: Context, text: str) -> Stage | None:
    """The stage a mistyped name most likely means, told by its label in the user's language:
    the one stage whose key or label (any language) begins with the words given (`clôture`:
    « Clôture de la transaction »), else the closest spelling (`negociaton`)."""
    words = {normalise(n): s for s in ctx.pipeline.stages for n in (s.key, *s.labels.values())}
    typed = normalise(text)
    begun = {s.key: s for word, s in words.items() if typed and word.startswith(typed)}
    if len(begun) == 1:
        return next(iter(begun.values()))
    nearest = difflib.get_close_matches(typed, list(words), n=1, cutoff=0.5)
    return words[nearest[0]] if nearest else None


def _owner(store: Store, ctx: Context, args: str) -> Any:
    owners = known_owners(store)
    names = analytics.match_owners(owners, args)
    if not names:
        known = sorted({owner for owner, _ in owners}, key=str.casefold)
        shown = ", ".join(known[:10]) + (" …" if len(known) > 10 else "")
        raise UnknownQuery("error.no_owner", name=args.strip(), owners=shown or "—")
    return analytics.owned_by(store, ctx, names)


def _mine(store: Store, ctx: Context, args: str) -> Any:
    """The asking Slack user's open deals, through `[people]`; from the command line,
    `PIPELINE_USER` (a Slack user ID or an owner name) says who is asking."""
    if not ctx.user:
        raise UnknownQuery("error.mine_who")
    wanted = analytics.names_of_user(ctx)
    owners = known_owners(store)
    names: set[str] = set()
    for name in wanted:
        names.update(analytics.match_owners(owners, name, exact=True))
    if not wanted:  # not a Slack ID of [people]: an owner name
        names.update(analytics.match_owners(owners, ctx.user, exact=True)
                     or analytics.match_owners(owners, ctx.user))  # fmt: skip
        if not names and ctx.user.upper().startswith(("U", "W")) and ctx.user.isalnum():
            raise UnknownQuery("error.mine_unknown", user=ctx.user)
    return analytics.owned_by(store, ctx, sorted(names, key=str.casefold), kind="mine")


def _unmapped(store: Store, ctx: Context, args: str) -> Any:
    return analytics.unmapped(store, ctx)


def _hygiene(store: Store, ctx: Context, args: str) -> Any:
    return analytics.hygiene(store, ctx)


def _calibration(store: Store, ctx: Context, args: str) -> Any:
    from bot.analytics.calibration import calibration

    return calibration(store, ctx, ctx.prior_weight, ctx.probabilities)


def _accuracy(store: Store, ctx: Context, args: str) -> Any:
    from bot.analytics.accuracy import accuracy

    months = number_arg(args, 1, MAX_MONTHS, DEFAULT_MONTHS) or DEFAULT_MONTHS
    return accuracy(store, ctx, months, prior_weight=ctx.prior_weight,
                    probabilities=ctx.probabilities)  # fmt: skip


def _help(store: Store, ctx: Context, args: str) -> Help:
    return Help(
        [(spec.usage, spec.french, t(spec.description, ctx.language)) for spec in QUERIES.values()]
    )


QUERIES: dict[str, QuerySpec] = {
    spec.name: spec
    for spec in (
        QuerySpec("summary", "résumé", "summary", "help.summary", _summary),
        QuerySpec("stalled", "bloqués", "stalled", "help.stalled", _stalled),
        QuerySpec("forecast", "prévision", "forecast [MONTHS]", "help.forecast", _forecast,
                  True, _needs_months),
        QuerySpec("funnel", "entonnoir", "funnel", "help.funnel", _funnel),
        QuerySpec("owners", "charge", "owners", "help.owners", _owners),
        QuerySpec("lost", "perdus", "lost", "help.lost", _lost),
        QuerySpec("deal", "affaire", "deal TEXT", "help.deal", _deal, True, _needs_text),
        QuerySpec("changes", "changements", "changes [DAYS]", "help.changes", _changes, True,
                  _needs_days),
        QuerySpec("stage", "étape", "stage NAME", "help.stage", _stage, True, _needs_text),
        QuerySpec("owner", "responsable", "owner NAME", "help.owner", _owner, True, _needs_text),
        QuerySpec("mine", "moi", "mine", "help.mine", _mine),
        QuerySpec("unmapped", "non-classés", "unmapped", "help.unmapped", _unmapped),
        QuerySpec("hygiene", "hygiène", "hygiene", "help.hygiene", _hygiene),
        QuerySpec("calibration", "calibrage", "calibration", "help.calibration", _calibration),
        QuerySpec("accuracy", "précision", "accuracy [MONTHS]", "help.accuracy", _accuracy, True,
                  _needs_months),
        QuerySpec("help", "aide", "help", "help.help", _help),
    )
}  # fmt: skip


def _synonyms() -> dict[str, str]:
    words: dict[str, str] = {}
    for spec in QUERIES.values():
        words[normalise(spec.name)] = spec.name
        words[normalise(spec.french)] = spec.name
    return words


def parse(text: str) -> Query:
    """`"stalled public"` → Query("stalled", public=True); empty text is the summary;
    `chart` first or last asks for the picture too (`"forecast chart"`, `"chart funnel"`).

    Raises `UnknownQuery` for an unknown word (suggesting the nearest query), a bad argument, or
    a chart of an answer that has none.
    """
    words = text.split()
    public = chart = False
    while words and _word(words[-1]) in (*PUBLIC_WORDS, *CHART_WORDS):
        if _word(words[-1]) in PUBLIC_WORDS:
            public = True
        elif chart or len(words) == 1 or _word(words[0]) in CHART_WORDS:
            chart = True  # "chart" alone, or already asked: the summary's picture
        else:
            break  # a trailing "chart" after a query's words: decided below
        words = words[:-1]
    if words and _word(words[0]) in CHART_WORDS:
        chart, words = True, words[1:]
    if not words:
        return Query("summary", "", public, chart)
    synonyms = _synonyms()
    head = normalise(words[0])
    if head not in synonyms:
        spelt = {normalise(w): w for spec in QUERIES.values() for w in (spec.name, spec.french)}
        nearest = difflib.get_close_matches(head, list(spelt), n=1, cutoff=0.5)
        guess = spelt[nearest[0]] if nearest else None
        raise UnknownQuery("error.unknown", guess, word=words[0], queries=", ".join(QUERIES))
    spec = QUERIES[synonyms[head]]
    if len(words) > 1 and _word(words[-1]) in CHART_WORDS and spec.name not in TEXT_QUERIES:
        chart, words = True, words[:-1]
    if chart and spec.name not in CHART_QUERIES:
        raise UnknownQuery("error.no_chart", word=words[0])
    args = " ".join(words[1:])
    if args and not spec.takes_args:
        raise UnknownQuery("error.no_args", word=words[0], args=args)
    if spec.check is not None:
        spec.check(words[0], args)
    return Query(spec.name, args, public, chart)


def _word(word: str) -> str:
    return normalise(word).rstrip(".")


def answer(query: Query, store: Store, ctx: Context) -> Any:
    """Run a parsed query: the same result object for Slack and the terminal."""
    return QUERIES[query.name].run(store, ctx, query.args)
