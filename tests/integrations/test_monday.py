"""monday.com adapter against hand-written cassettes of the GraphQL API 2024-10
(tests/cassettes/monday/).

Every request is a `POST /v2`: the cassettes match on the JSON body (query and variables), and the
tests also assert the variables sent, so each scenario pins the exact filter and cursor.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pydantic
import pytest

from bot.store import Store
from bot.sync import window_start
from integrations.base import MissingCredentials, SourceError, validate_source
from integrations.graphql import GraphQLError
from integrations.http import AuthError
from integrations.monday import (
    CHANGED_PAGE_QUERY,
    DEFAULT_BASE_URL,
    FIRST_PAGE_QUERY,
    NEXT_PAGE_QUERY,
    MondayAdapter,
    MondaySettings,
)
from tests.integrations.support import (
    WITH_BODY,
    Cassette,
    body,
    build,
    by_id,
    deal_rows,
    record_requests,
    run_sync,
    utc,
)

BOARD = "1234567890"
TOKEN = "eyJhbGciOiJIUzI1NiJ9.FAKE0monday0token0for0tests0only.XYZ"
FIELDS = {
    "client": "Client",
    "amount": "Montant",
    "probability": "Probabilité",
    "lost_reason": "Raison de la perte",
    "expected_close": "Date de signature prévue",
}
SOURCE = {"kind": "monday", "name": "crm", "board": BOARD, "fields": FIELDS}
VARS = {"board": [BOARD], "limit": 500}
RULE = {
    "rules": [
        {
            "column_id": "__last_updated__",
            "compare_value": ["EXACT", "2026-02-20"],
            "operator": "greater_than_or_equals",
            "compare_attribute": "UPDATED_AT",
        }
    ]
}
BOOKMARK = datetime(2026, 2, 21, 9, 30, tzinfo=UTC)


def make(
    sleeps: list[float] | None = None,
    progress: list[tuple[int, int]] | None = None,
    **overrides: Any,
) -> MondayAdapter:
    return build(
        MondayAdapter,
        {**SOURCE, **overrides},
        {"MONDAY_TOKEN": TOKEN},
        sleeps=sleeps,
        progress=progress,
    )


def test_full_sync_maps_columns_and_status_time(cassette: Cassette) -> None:
    progress: list[tuple[int, int]] = []
    adapter = make(progress=progress)
    sent = record_requests(adapter)
    with cassette("monday/full_sync.yaml", match_on=WITH_BODY) as cass:
        tasks = list(adapter.fetch(None))
    assert cass.all_played and len(sent) == 1
    assert sent[0].method == "POST" and sent[0].url == DEFAULT_BASE_URL
    assert sent[0].headers["Authorization"] == TOKEN  # the token itself, no "Bearer"
    assert sent[0].headers["API-Version"] == "2024-10"
    assert body(sent[0]) == {"query": FIRST_PAGE_QUERY, "variables": VARS}
    assert progress == [(1, 3)]
    assert not MondayAdapter.has_history

    deals = by_id(tasks)
    dupain = deals["1823456701"]
    assert dupain.title == "Refonte du site — Boulangerie Dupain"
    # The board's first status column (« Statut », not « Priorité ») and when it last changed.
    assert dupain.status == "balle dans le camp du client"
    assert [(c.at, c.to_status) for c in dupain.history] == [
        (utc("2026-02-03T13:30:00"), dupain.status)
    ]
    assert (dupain.owner, dupain.owner_email) == ("Marie Dupont", None)  # no e-mail in columns
    assert (dupain.amount, dupain.currency, dupain.probability) == (12000.0, "EUR", 60.0)
    assert dupain.client == "Boulangerie Dupain"
    assert dupain.expected_close == date(2026, 3, 31)  # no signature date: « Échéance »
    assert dupain.url == f"https://agence-exemple.monday.com/boards/{BOARD}/pulses/1823456701"
    assert dupain.started == utc("2026-01-12T08:15:02")
    assert dupain.warnings == [] and not dupain.removed

    martin = deals["1823456702"]
    assert martin.owner == "Karim Benali"  # the first of two people
    assert (martin.amount, martin.currency, martin.probability) == (8500.0, None, 80.0)
    assert martin.expected_close == date(2026, 4, 15)  # the signature date wins
    assert [(c.at, c.to_status) for c in martin.history] == [
        (utc("2026-02-10T08:30:00"), martin.status)
    ]

    port = deals["1823456703"]
    assert (port.status, port.owner, port.lost_reason) == ("écarté", None, "Budget insuffisant")
    assert port.amount is None and len(port.warnings) == 1
    assert all(part in port.warnings[0] for part in ("1823456703", "Montant", "douze mille"))
    assert not port.removed  # a lost deal is a deal
    assert adapter.warnings == []


def test_status_column_by_title(cassette: Cassette) -> None:
    adapter = make(status_column="Priorité")
    with cassette("monday/full_sync.yaml"):
        tasks = list(adapter.fetch(None))
    assert {t.status for t in tasks} == {"Haute"}
    assert [(c.at, c.to_status) for c in tasks[0].history] == [
        (utc("2026-01-12T08:20:00"), tasks[0].status)
    ]


def test_second_page_follows_the_cursor(cassette: Cassette) -> None:
    progress: list[tuple[int, int]] = []
    adapter = make(progress=progress)
    sent = record_requests(adapter)
    with cassette("monday/second_page.yaml", match_on=WITH_BODY) as cass:
        tasks = list(adapter.fetch(None))
    assert cass.all_played and len(sent) == 2
    assert body(sent[1]) == {
        "query": NEXT_PAGE_QUERY,
        "variables": {
            "cursor": "MSw5NzI4MDA5MCxpX1g4dEY3WmFUNXE1dkdJQV9mMVJ3LDQzLDM1fDQzNzg2NjY5ODI",
            "limit": 500,
        },
    }
    assert [t.id for t in tasks] == ["1823456701", "1823456702", "1823456703"]
    assert progress == [(1, 2), (2, 3)]
    # Columns resolved on the first page still apply to the next ones.
    assert tasks[2].lost_reason == "Budget insuffisant"


def test_incremental_sends_the_last_updated_rule(cassette: Cassette) -> None:
    adapter = make()
    sent = record_requests(adapter)
    with cassette("monday/incremental.yaml", match_on=WITH_BODY) as cass:
        tasks = list(adapter.fetch(window_start(adapter, BOOKMARK)))
    assert cass.all_played and len(sent) == 1
    # The rule compares dates: from the day before the bookmark's date.
    assert body(sent[0]) == {"query": CHANGED_PAGE_QUERY, "variables": {**VARS, "params": RULE}}
    assert [t.id for t in tasks] == ["1823456701", "1823456702"]  # Dupain: the overlap
    won = tasks[1]
    assert (won.status, won.amount) == ("travail en cours", 15500.0)
    assert [(c.at, c.to_status) for c in won.history] == [(utc("2026-02-21T09:40:00"), won.status)]
    assert adapter.warnings == []
    with pytest.raises(ValueError, match="timezone-aware"):
        window_start(adapter, datetime(2026, 2, 21, 9, 30))  # noqa: DTZ001 - the point


def test_a_refused_rule_falls_back_to_the_whole_board(cassette: Cassette) -> None:
    adapter = make()
    sent = record_requests(adapter)
    with cassette("monday/incremental_rule_refused.yaml", match_on=WITH_BODY) as cass:
        tasks = list(adapter.fetch(window_start(adapter, BOOKMARK)))
    assert cass.all_played and len(sent) == 2
    assert [body(r)["query"] for r in sent] == [CHANGED_PAGE_QUERY, FIRST_PAGE_QUERY]
    assert len(tasks) == 3
    assert len(adapter.warnings) == 1 and "whole board" in adapter.warnings[0]
    assert "InvalidColumnIdException" in adapter.warnings[0]


def test_complexity_budget_exhausted_waits_and_loses_nothing(
    cassette: Cassette, sleeps: list[float]
) -> None:
    adapter = make(sleeps=sleeps)
    sent = record_requests(adapter)
    with cassette("monday/rate_limited.yaml", match_on=WITH_BODY) as cass:
        tasks = list(adapter.fetch(None))
    assert cass.all_played and len(sent) == 2
    assert body(sent[0]) == body(sent[1])  # the same query, sent again
    assert sleeps == [12.0]  # retry_in_seconds
    assert [t.id for t in tasks] == ["1823456701", "1823456702", "1823456703"]


def test_complexity_wait_is_capped(cassette: Cassette, sleeps: list[float]) -> None:
    adapter = make(sleeps=sleeps)
    adapter.client.max_total_wait = 5.0  # monday asks for 12 s: more than we may wait
    with cassette("monday/rate_limited.yaml"), pytest.raises(GraphQLError) as caught:
        list(adapter.fetch(None))
    message = str(caught.value)
    assert sleeps == [] and "COMPLEXITY_BUDGET_EXHAUSTED" in message and "crm" in message


def test_500_is_retried_with_backoff(cassette: Cassette, sleeps: list[float]) -> None:
    adapter = make(sleeps=sleeps)
    with cassette("monday/server_error.yaml", match_on=WITH_BODY) as cass:
        tasks = list(adapter.fetch(None))
    assert cass.all_played
    assert len(sleeps) == 1 and 0.5 <= sleeps[0] <= 1.0  # first backoff step, with jitter
    assert len(tasks) == 3


def test_401_names_the_variable_and_never_the_token(cassette: Cassette) -> None:
    adapter = make()
    sent = record_requests(adapter)
    with cassette("monday/unauthorized.yaml"), pytest.raises(AuthError) as caught:
        list(adapter.fetch(None))
    assert "MONDAY_TOKEN" in str(caught.value) and "crm" in str(caught.value)
    assert TOKEN not in str(caught.value)
    assert len(sent) == 1  # a refusal is not retried


def test_other_graphql_errors_name_the_source_and_the_message(cassette: Cassette) -> None:
    adapter = make()
    with cassette("monday/bad_query.yaml"), pytest.raises(GraphQLError) as caught:
        list(adapter.fetch(None))
    assert "crm" in str(caught.value) and "GRAPHQL_PARSE_ERROR" in str(caught.value)


def test_a_board_nobody_shared_says_so(cassette: Cassette) -> None:
    adapter = make()
    with cassette("monday/board_not_found.yaml"), pytest.raises(SourceError) as caught:
        list(adapter.fetch(None))
    assert BOARD in str(caught.value) and "MONDAY_TOKEN" in str(caught.value)


def test_missing_columns_are_reported(cassette: Cassette) -> None:
    adapter = make(status_column="Étape", fields={**FIELDS, "contact": "Contact"})
    with cassette("monday/full_sync.yaml"):
        tasks = list(adapter.fetch(None))
    assert all(t.status is None for t in tasks)
    assert len(adapter.warnings) == 2
    assert "'Étape'" in adapter.warnings[0] and "'Contact'" in adapter.warnings[1]


def test_settings_accept_an_id_or_the_board_url() -> None:
    settings = validate_source({"kind": "monday", "board": BOARD})
    assert isinstance(settings, MondaySettings)
    assert (settings.base_url, settings.status_column) == (DEFAULT_BASE_URL, None)
    copied = MondaySettings.model_validate(
        {"kind": "monday", "board": f"https://agence-exemple.monday.com/boards/{BOARD}/views/5"}
    )
    assert copied.board == BOARD
    with pytest.raises(pydantic.ValidationError, match="board id"):
        MondaySettings.model_validate({"kind": "monday", "board": "Pipeline"})
    with pytest.raises(MissingCredentials, match="MONDAY_TOKEN"):
        MondayAdapter(settings, {})


def test_end_to_end_full_then_incremental(cassette: Cassette, store: Store) -> None:
    """The status column's `changed_at` dates each deal's stage, not the time of the sync."""
    secrets = {"MONDAY_TOKEN": TOKEN}

    def run(name: str, now: str, *, full: bool = False) -> Any:
        with cassette(name, match_on=WITH_BODY):
            return run_sync(store, SOURCE, secrets, now, full=full)

    first = run("monday/full_sync.yaml", "2026-02-21T09:30:00", full=True)
    assert first.ok and first.fetched == 3
    before = deal_rows(store)
    assert before == {
        "crm:1823456701": ("negotiation", "Marie Dupont", 12000.0, "2026-02-03T13:30:00+00:00", 0),
        "crm:1823456702": ("closing", "Karim Benali", 8500.0, "2026-02-10T08:30:00+00:00", 0),
        "crm:1823456703": ("lost", None, None, "2026-02-01T16:45:30+00:00", 0),
    }

    # The cassette only answers the rule built from the bookmark (the day before 2026-02-21).
    second = run("monday/incremental.yaml", "2026-02-21T10:10:00")
    assert second.ok and not second.full and second.fetched == 2
    assert second.reached_outcome == [("crm:1823456702", "won")]
    after = deal_rows(store)
    assert after["crm:1823456702"] == (
        "won",
        "Karim Benali",
        15500.0,
        "2026-02-21T09:40:00+00:00",
        0,
    )
    assert after["crm:1823456701"] == before["crm:1823456701"]  # the overlap changed nothing
    assert after["crm:1823456703"] == before["crm:1823456703"]  # not in the feed: still there


def test_a_429_a_500_and_a_body_rate_limit_share_one_wait_budget(
    cassette: Cassette, sleeps: list[float]
) -> None:
    # One policy for every kind of "later": the HTTP 429's Retry-After (4 s), the 500's backoff
    # (1-2 s at the second attempt) and the body's retry_in_seconds (6 s) are charged to the same
    # request; 4 + 2 + 6 > 10, so the third wait is refused and the sync stops with one error.
    adapter = make(sleeps=sleeps)
    adapter.client.max_total_wait = 10.0
    with (
        cassette("monday/retry_cap.yaml", match_on=WITH_BODY),
        pytest.raises(GraphQLError) as caught,
    ):
        list(adapter.fetch(None))
    assert sleeps[0] == 4.0 and 1.0 <= sleeps[1] <= 2.0 and len(sleeps) == 2
    assert sum(sleeps) <= 10.0
    assert adapter.client.requests_made == 3  # the recorded success is never asked for
    message = str(caught.value)
    assert "COMPLEXITY_BUDGET_EXHAUSTED" in message and "3 attempts" in message
    assert TOKEN not in message
