"""Every answer renders: JSON with the contract's keys, text in English and French."""

from __future__ import annotations

import json

import pytest

from bot.analytics import Stalled, StalledDeal
from bot.i18n import MESSAGES
from bot.query import QUERIES, parse
from bot.query import answer as run
from bot.render.json_out import to_json
from bot.render.money import money
from bot.render.text import Style, render
from bot.store import Store
from tests.analytics_fixture import NOW, PARIS, build

EXAMPLES = {
    "summary": "", "stalled": "stalled", "forecast": "forecast 6", "funnel": "funnel",
    "owners": "owners", "lost": "lost", "deal": "deal Dupain", "changes": "changes 14",
    "stage": "stage négociations", "owner": "owner Marie", "unmapped": "unmapped",
    "help": "help", "hygiene": "hygiene", "calibration": "calibration", "accuracy": "accuracy 3",
}  # fmt: skip

#: docs/json.md: keys that must be there.
SHAPES: dict[str, dict[str, set[str]]] = {
    "summary": {"": {"query", "as_of", "stages", "open", "unmapped"},
                "stages": {"key", "label", "count", "amount", "weighted", "stalled"},
                "open": {"count", "amount", "weighted"}, "unmapped": {"count"}},
    "stalled": {"": {"query", "as_of", "deals"},
                "deals": {"id", "title", "client", "owner", "stage", "idle_days", "stall_days",
                          "amount", "url"}},
    "forecast": {"": {"query", "as_of", "months", "overdue", "no_date", "total"},
                 "months": {"month", "count", "amount", "weighted", "low", "high"},
                 "overdue": {"count", "amount", "weighted", "low", "high"},
                 "no_date": {"count", "amount", "weighted", "low", "high"},
                 "total": {"count", "amount", "weighted", "low", "high"}},
    "funnel": {"": {"query", "stages"},
               "stages": {"key", "label", "reached", "conversion", "median_days"}},
    "owners": {"": {"query", "owners"},
               "owners": {"owner", "open", "amount", "weighted", "stalled"}},
    "lost": {"": {"query", "reasons"}, "reasons": {"reason", "count", "amount"}},
    "deal": {"": {"query", "deals"},
             "deals": {"id", "title", "client", "contact", "owner", "owner_email", "status",
                       "stage", "amount", "currency", "probability", "started",
                       "expected_close", "stage_entered", "next_step", "lost_reason", "url",
                       "source", "idle_days", "weighted", "history", "changes",
                       "probability_from"}},
    "changes": {"": {"query", "as_of", "since", "events"},
                "events": {"at", "deal", "title", "from", "to", "by"}},
    "stage": {"": {"query", "as_of", "deals"}},
    "owner": {"": {"query", "as_of", "deals"}},
    "unmapped": {"": {"query", "as_of", "statuses"}, "statuses": {"status", "count"}},
    "help": {"": {"query", "queries"}},
    "calibration": {"": {"query", "as_of", "stages", "recommended"},
                    "stages": {"key", "label", "configured", "won", "closed", "observed",
                               "calibrated", "n_scored", "brier_stage", "brier_calibrated"}},
    "accuracy": {"": {"query", "as_of", "months", "mae", "within_range"},
                 "months": {"month", "forecast", "low", "high", "won", "lookahead"}},
    "hygiene": {"": {"query", "as_of", "deals", "counts"},
                "deals": {"id", "title", "owner", "stage", "problems"}},
}  # fmt: skip


def test_every_query_has_an_example() -> None:
    assert set(EXAMPLES) | {"mine"} == set(QUERIES)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_json_shape_has_the_contract_keys(store: Store, name: str) -> None:
    ctx = build(store)
    query = parse(EXAMPLES[name])
    body = json.loads(json.dumps(to_json(query, run(query, store, ctx), ctx.now)))
    assert body["query"] == name
    for part, keys in SHAPES[name].items():
        value = body if part == "" else body[part]
        items = value if isinstance(value, list) else [value]
        assert items, f"{name}.{part} is empty in the fixture"
        for item in items:
            assert keys <= set(item), f"{name}.{part} lacks {keys - set(item)}"
    # the contract: every answer carries "query" and "as_of" (ISO 8601 with offset)
    assert body["as_of"] == "2026-03-30T12:00:00+02:00"


def test_deal_history_json(store: Store) -> None:
    ctx = build(store)
    query = parse("deal boulangerie")
    body = to_json(query, run(query, store, ctx))
    assert body["deals"][0]["history"][1] == {
        "at": "2026-03-10T10:00:00+01:00", "from": "qualification", "to": "meeting",
        "status": "appel et devis", "by": None}  # fmt: skip
    assert body["deals"][0]["stage_entered"] == "2026-03-10T10:00:00+01:00"


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_text_renders_with_labels_in_both_languages(store: Store, name: str,
                                                    language: str) -> None:  # fmt: skip
    ctx = build(store)
    query = parse(EXAMPLES[name])
    text = render(run(query, store, ctx), Style(language, "EUR", PARIS))
    assert text.strip()
    if name in ("summary", "stalled", "stage", "owner", "funnel"):
        assert "Meeting" in text or "Negotiation" in text  # labels, not keys
        assert "negotiation " not in text


def test_money_per_language_and_long_lists_cut() -> None:
    assert money(12000, "EUR", "fr") == "12\u202f000\u00a0€"
    assert money(12000, "EUR", "en") == "€12,000"
    many = Stalled(
        as_of=NOW,
        deals=[StalledDeal(f"t:{i}", f"Deal {i}", None, None, None, "meeting", 9, 7, 100.0, None,
                           stage_label="Meeting") for i in range(30)],
    )  # fmt: skip
    assert render(many, Style("en", "EUR", PARIS)).endswith("… and 5 more")
    assert render(many, Style("fr", "EUR", PARIS)).endswith("… et 5 de plus")


def test_every_phrase_is_in_english_and_french() -> None:
    for key, entry in MESSAGES.items():
        assert entry.get("en") and entry.get("fr"), key


def test_lost_json_reason_is_data_not_a_translated_label(store: Store) -> None:
    ctx = build(store)
    query = parse("lost")
    body = to_json(query, run(query, store, ctx), ctx.now)
    assert any(row["reason"] is None for row in body["reasons"])  # the fixture has one
    for row in body["reasons"]:
        assert (row["reason"] is None) == row["no_reason"]
        if row["reason"] is None:
            assert row["label"] in ("(no reason)", "(sans raison)")
