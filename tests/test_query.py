"""The `/pipeline` parser: every query, French synonyms, arguments and helpful errors."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.analytics import Context
from bot.query import QUERIES, Query, UnknownQuery, answer, parse
from bot.store import Store
from tests.analytics_fixture import build, context

FRENCH = {
    "résumé": "summary", "bloqués": "stalled", "prévision": "forecast", "entonnoir": "funnel",
    "charge": "owners", "perdus": "lost", "affaire": "deal", "changements": "changes",
    "étape": "stage", "responsable": "owner", "moi": "mine", "non-classés": "unmapped",
    "aide": "help", "hygiène": "hygiene", "calibrage": "calibration", "précision": "accuracy",
}  # fmt: skip


@pytest.mark.parametrize(("word", "name"), sorted(FRENCH.items()))
def test_french_synonyms_parse(word: str, name: str) -> None:
    args = {"deal": " Dupain", "stage": " négociations", "owner": " Marie"}.get(name, "")
    assert parse(word + args).name == name
    assert parse(word.upper().replace("É", "E") + args).name == name  # case and accents


def test_every_query_is_registered_with_its_synonym() -> None:
    assert {spec.french: name for name, spec in QUERIES.items()} == FRENCH


def test_arguments_and_public() -> None:
    assert parse("") == Query("summary")
    assert parse("forecast 6") == Query("forecast", "6")
    assert parse("changes 14 public") == Query("changes", "14", public=True)
    assert parse("deal Dupain Frères") == Query("deal", "Dupain Frères")
    assert parse("stage négociations") == Query("stage", "négociations")
    assert parse("owner Marie") == Query("owner", "Marie")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("stalld", "unknown query 'stalld': did you mean 'stalled'?"),
        ("prevsion", "did you mean 'prévision'?"),
        ("changes abc", "'changes' takes a number of days from 1 to 3650"),
        ("changes 0", "got '0'"),
        ("forecast -2", "'forecast' takes a number of months"),
        ("forecast 99", "from 1 to 36"),
        ("deal", "'deal' needs something to look for"),
        ("stalled now", "'stalled' takes no words after it (got 'now')"),
    ],
)
def test_bad_words_say_what_would_work(text: str, expected: str) -> None:
    with pytest.raises(UnknownQuery) as caught:
        parse(text)
    assert expected in str(caught.value)


def test_errors_in_french() -> None:
    with pytest.raises(UnknownQuery) as caught:
        parse("stalld")
    assert "vouliez-vous dire « stalled »" in caught.value.localised("fr")


def _ask(store: Store, text: str, ctx: Context) -> object:
    return answer(parse(text), store, ctx)


def test_stage_and_owner_names_that_match_nothing(store: Store) -> None:
    ctx = build(store)
    with pytest.raises(UnknownQuery, match="no stage called 'negociaton': did you mean"):
        _ask(store, "stage negociaton", ctx)
    with pytest.raises(UnknownQuery, match="no owner matches 'Zorro'"):
        _ask(store, "owner Zorro", ctx)


def test_a_stage_named_by_its_first_word_is_suggested_in_the_users_language(
    store: Store,
) -> None:
    """`stage clôture` names no stage, but begins only one: « Clôture de la transaction » is
    suggested, in French for a French user (not the English label of another stage)."""
    ctx = replace(build(store), language="fr")
    with pytest.raises(UnknownQuery) as caught:
        _ask(store, "stage clôture", ctx)
    said = caught.value.localised("fr")
    assert "aucune étape « clôture » : vouliez-vous dire « Clôture de la transaction » ?" in said
    with pytest.raises(UnknownQuery) as caught:
        _ask(store, "stage negociaton", ctx)
    assert "vouliez-vous dire « Négociations » ?" in caught.value.localised("fr")
    with pytest.raises(UnknownQuery) as caught:
        _ask(store, "stage clos", replace(ctx, language="en"))
    assert "no stage called 'clos': did you mean 'Closing'?" in str(caught.value)


def test_mine_through_people_or_an_owner_name(store: Store) -> None:
    ctx = build(store)
    with pytest.raises(UnknownQuery, match="mine needs to know who you are: set PIPELINE_USER"):
        _ask(store, "mine", ctx)
    people = {"marie@agence.fr": "U024BE7LH", "Paul Martin": "U0PAUL"}
    mine = _ask(store, "moi", context(user="U024BE7LH", people=people))
    assert [d.id for d in mine.deals] == ["t:A", "t:B"]  # type: ignore[attr-defined]
    by_name = _ask(store, "mine", context(user="paul martin"))
    assert [d.id for d in by_name.deals] == ["t:I", "t:C"]  # type: ignore[attr-defined]
    with pytest.raises(UnknownQuery, match="Slack user U999 is not in \\[people\\]"):
        _ask(store, "mine", context(user="U999", people=people))
