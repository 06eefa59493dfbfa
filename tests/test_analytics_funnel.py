"""Funnel on the hand-made fixture: reached, conversion, median finished stays, bottleneck."""

from __future__ import annotations

from bot.analytics import funnel
from bot.store import Store
from tests.analytics_fixture import NOW, PIPELINE, build, context
from tests.helpers import load, task, utc


def test_funnel_worked_by_hand(store: Store) -> None:
    result = funnel(store, build(store))
    rows = {s.key: s for s in result.stages}
    assert list(rows) == ["qualification", "meeting", "negotiation", "closing"]
    # reached qualification: everyone with a history but removed K: A B C D E F G H I J = 10
    # meeting: A B I (there), C (skipped it but went further), D, E (won: all), F (lost after
    # negotiation) = 7; G lost from qualification and H (unmapped: only the stages its
    # history passed through, q and n) do not count
    # negotiation: B C D E F H = 6; closing: D E = 2; won: E = 1
    assert [rows[k].reached for k in rows] == [10, 7, 6, 2]
    assert result.won == 1
    # conversion: 7/10, 6/7 = 0.857142…, 2/6 = 0.333…, last open stage → won: 1/2
    assert [rows[k].conversion for k in rows] == [0.7, 0.8571, 0.3333, 0.5]
    assert result.bottleneck == "negotiation" and rows["negotiation"].bottleneck
    # finished qualification stays (days): A 8, B 4, C 14, D 4, E 4, F 2, G 2, H 3,
    # I 10 (03-16 → 03-26: its second status of the same stage does not end the stay)
    # sorted 2 2 3 4 4 4 8 10 14 → median 4; J's stay is not finished; K is removed
    assert (rows["qualification"].median_days, rows["qualification"].stays) == (4.0, 9)
    # meeting: D 4, F 6, E 15, B 18 → (6 + 15) / 2 = 10.5 (K's 1-day stay is removed)
    assert (rows["meeting"].median_days, rows["meeting"].stays) == (10.5, 4)
    # negotiation: H 2, D 7 d 14 h 30 = 7.604…, F 10 → 7.6; B and C are still there
    assert rows["negotiation"].median_days == 7.6
    # closing: D is still there: no finished stay
    assert rows["closing"].median_days is None and rows["closing"].stays == 0


def test_two_statuses_of_one_stage_are_one_stay(store: Store) -> None:
    # qualification from 03-01, then « Qualification des prospects » (same stage) on 03-04,
    # then meeting on 03-11: one stay of 10 days, not 3 + 7
    load(store, PIPELINE, [task("S", "appel et devis",
                                ("2026-03-01T09:00", "client sur le point d'arriver"),
                                ("2026-03-04T09:00", "Qualification des prospects"),
                                ("2026-03-11T09:00", "appel et devis"))],
         now=utc("2026-03-12T09:00"))  # fmt: skip
    result = funnel(store, context())
    first = result.stages[0]
    assert (first.median_days, first.stays, first.reached) == (10.0, 1, 1)
    assert result.stages[1].conversion == 0.0  # reached meeting 1, negotiation 0
    assert result.stages[2].conversion is None  # nobody reached negotiation


def test_won_deal_reached_every_stage(store: Store) -> None:
    # straight from qualification to won: it reached all four open stages
    load(store, PIPELINE, [task("W", "travail terminé",
                                ("2026-03-01T09:00", "client sur le point d'arriver"),
                                ("2026-03-02T09:00", "travail terminé"))],
         now=utc("2026-03-03T09:00"))  # fmt: skip
    result = funnel(store, context(now=NOW))
    assert [s.reached for s in result.stages] == [1, 1, 1, 1]
    assert [s.conversion for s in result.stages] == [1.0, 1.0, 1.0, 1.0]
    assert result.won == 1
