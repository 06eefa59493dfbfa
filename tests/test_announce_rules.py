"""Which won/lost moves a sync queues for announcement: only news (contract, "Data in")."""

from __future__ import annotations

from bot.pipeline import DEFAULT_STAGES, Pipeline
from bot.store import Store
from tests.helpers import load, task, utc

PIPELINE = Pipeline(DEFAULT_STAGES)
MEETING, WON = "appel et devis", "travail terminé"


def queued(store: Store) -> list[tuple[str, str, str]]:
    return [(r["deal_id"], r["outcome"], r["at"]) for r in store.rows(
        "SELECT deal_id, outcome, at FROM announcements ORDER BY deal_id")]  # fmt: skip


def test_a_move_the_tool_dates_months_back_is_not_news(store: Store) -> None:
    """The bot was off for months: the tool's history says the deal was won in June."""
    load(store, PIPELINE, [task("a", MEETING, ("2026-05-01T09:00", MEETING)),
                           task("b", MEETING, ("2026-05-01T09:00", MEETING))],
         now=utc("2026-05-02T09:00"))  # fmt: skip
    second = load(
        store, PIPELINE,
        [task("a", WON, ("2026-05-01T09:00", MEETING), ("2026-06-10T09:00", WON)),
         task("b", WON, ("2026-05-01T09:00", MEETING), ("2026-09-27T15:00", WON))],
        now=utc("2026-09-30T09:00"),
    )  # fmt: skip
    assert second.reached_outcome == [("t:b", "won")]
    # queued with when it was won (the history's date), which is what the 7 days count from
    assert queued(store) == [("t:b", "won", "2026-09-27T15:00:00+00:00")]


def test_the_first_sync_and_deals_first_seen_closed_are_not_news(store: Store) -> None:
    first = load(store, PIPELINE, [task("a", WON, ("2026-09-29T09:00", WON))],
                 now=utc("2026-09-30T09:00"))  # fmt: skip
    later = load(store, PIPELINE, [task("a", WON, ("2026-09-29T09:00", WON)),
                                   task("new", WON, ("2026-09-30T10:00", WON))],
                 now=utc("2026-09-30T11:00"))  # fmt: skip
    assert first.reached_outcome == [] and later.reached_outcome == []
    assert queued(store) == []


def test_an_unmapped_deal_reaching_won_is_not_news(store: Store) -> None:
    """Unmapped (a status column pointing at the wrong column) then won: not a move."""
    load(store, PIPELINE, [task("a", "Marie Dupont")], now=utc("2026-09-29T09:00"))
    load(store, PIPELINE, [task("a", "Marie Dupont")], now=utc("2026-09-29T10:00"))
    fixed = load(store, PIPELINE, [task("a", WON)], now=utc("2026-09-30T09:00"))
    assert fixed.stage_changes == 1 and fixed.reached_outcome == []
    assert queued(store) == []
