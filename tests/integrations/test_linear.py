"""Linear adapter against hand-written cassettes of Linear's GraphQL API (tests/cassettes/linear/).

Every request is a `POST /graphql`: the cassettes match on the JSON body (query and variables),
and the tests also assert the variables sent, so each scenario pins the exact filter and cursor.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pydantic
import pytest

from bot.store import Store
from bot.sync import window_start
from integrations.base import FieldChange, MissingCredentials, StatusChange, validate_source
from integrations.graphql import GraphQLError
from integrations.http import AuthError
from integrations.linear import (
    DEFAULT_BASE_URL,
    HISTORY_QUERY,
    ISSUES_QUERY,
    LinearAdapter,
    LinearSettings,
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

KEY = "lin_api_FAKE0linear0key0for0tests0only0XYZ"
FIELDS = {
    "client": "Client",
    "amount": "Montant",
    "probability": "Probabilité",
    "lost_reason": "Raison de la perte",
    "expected_close": "Date de signature prévue",
}
SOURCE = {"kind": "linear", "name": "produit", "team": "SAL", "fields": FIELDS}
TEAM = {"team": {"key": {"eq": "SAL"}}}
FULL = {"filter": TEAM, "first": 50, "includeArchived": False, "after": None}


def make(
    sleeps: list[float] | None = None,
    progress: list[tuple[int, int]] | None = None,
    **overrides: Any,
) -> LinearAdapter:
    # X-RateLimit-Requests-Reset is an absolute time (epoch ms): read it against the recording's
    # clock, 2026-02-21T09:40:00Z.
    return build(
        LinearAdapter,
        {**SOURCE, **overrides},
        {"LINEAR_API_KEY": KEY},
        sleeps=sleeps,
        progress=progress,
        clock=lambda: 1771666800.0,
    )


def test_full_sync_maps_fields_and_state_history(cassette: Cassette) -> None:
    progress: list[tuple[int, int]] = []
    adapter = make(progress=progress)
    sent = record_requests(adapter)
    with cassette("linear/full_sync.yaml", match_on=WITH_BODY) as cass:
        tasks = list(adapter.fetch(None))
    assert cass.all_played and len(sent) == 1
    assert sent[0].method == "POST" and sent[0].url == DEFAULT_BASE_URL
    assert sent[0].headers["Authorization"] == KEY  # a personal key: no "Bearer"
    assert body(sent[0]) == {"query": ISSUES_QUERY, "variables": FULL}
    assert progress == [(1, 3)]
    assert LinearAdapter.has_history

    deals = by_id(tasks)
    assert list(deals) == ["SAL-1", "SAL-2", "SAL-3"]
    dupain = deals["SAL-1"]
    assert dupain.title == "Refonte du site — Boulangerie Dupain"
    assert (dupain.status, dupain.status_category) == ("balle dans le camp du client", "started")
    assert (dupain.owner, dupain.owner_email) == ("Marie Dupont", "marie.dupont@agence-exemple.fr")
    assert (dupain.amount, dupain.currency) == (12000.0, "EUR")  # "**Montant** : 12 000 €"
    assert dupain.probability == 60.0  # "- Probabilité : 60 %"
    assert dupain.client == "Boulangerie Dupain"  # the label of the « Client » group
    assert dupain.expected_close == date(2026, 3, 31)  # no signature line: dueDate
    assert dupain.url == (
        "https://linear.app/agence-exemple/issue/sal-1/refonte-du-site-boulangerie-dupain"
    )
    assert dupain.started == datetime(2026, 1, 12, 8, 15, 2, 118000, tzinfo=UTC)
    # Listed newest first by Linear, with a title edit in between: state changes in time order,
    # starting with the state the issue was created in.
    assert dupain.history == [
        StatusChange(dupain.started, "client sur le point d'arriver"),
        StatusChange(
            utc("2026-01-20T09:02:44.310"), "appel et devis", "client sur le point d'arriver"
        ),
        StatusChange(utc("2026-02-03T13:30:00"), "balle dans le camp du client", "appel et devis"),
    ]
    assert dupain.warnings == [] and not dupain.removed
    # The due date is the close date here: its change in Linear's history is field history.
    assert dupain.field_history == [
        FieldChange(utc("2026-01-25T10:00:00"), "expected_close", date(2026, 3, 15),
                    date(2026, 3, 31)),
    ]  # fmt: skip

    martin = deals["SAL-2"]
    assert (martin.owner, martin.amount, martin.probability) == ("Karim Benali", 8500.0, 80.0)
    assert martin.expected_close == date(2026, 4, 15)  # "15/04/2026" wins over dueDate
    # A description line gives the close date, so the due date's change is not its history;
    # the owner's change is.
    assert martin.field_history == [
        FieldChange(utc("2026-02-01T11:00:00"), "owner", "Julie Moreau", "Karim Benali"),
    ]
    assert [(c.at, c.to_status) for c in martin.history] == [
        (utc("2026-01-05T10:02:40"), "appel et devis"),
        (utc("2026-01-15T15:05:12"), "balle dans le camp du client"),
        (utc("2026-02-10T08:30:00"), "conclusion du contrat"),
    ]

    port = deals["SAL-3"]
    assert (port.status, port.status_category, port.owner) == ("écarté", "canceled", None)
    assert (port.client, port.lost_reason) == ("Hôtel du Port", "Budget insuffisant")
    assert port.amount is None and len(port.warnings) == 1
    assert all(part in port.warnings[0] for part in ("SAL-3", "Montant", "douze mille"))
    assert not port.removed  # a canceled issue is a lost deal, not a deletion
    assert adapter.warnings == []


def test_second_page_and_the_rest_of_a_long_history(cassette: Cassette) -> None:
    progress: list[tuple[int, int]] = []
    adapter = make(progress=progress)
    sent = record_requests(adapter)
    with cassette("linear/second_page.yaml", match_on=WITH_BODY) as cass:
        tasks = list(adapter.fetch(None))
    assert cass.all_played and len(sent) == 3
    assert [body(r)["query"] for r in sent] == [ISSUES_QUERY, HISTORY_QUERY, ISSUES_QUERY]
    assert body(sent[1])["variables"] == {
        "id": "3f1c8b2e-7a4d-4e0b-9c1d-2e3f4a5b6c02",
        "first": 100,
        "after": "aGlzdG9yeSBjdXJzb3IgMg",
    }
    assert body(sent[2])["variables"] == {**FULL, "after": "c2FsLTIgaXNzdWUgY3Vyc29y"}
    assert [t.id for t in tasks] == ["SAL-1", "SAL-2", "SAL-3"]
    assert progress == [(1, 2), (2, 3)]
    # The history's second page brings SAL-2's older move and the state it was created in.
    assert [c.to_status for c in by_id(tasks)["SAL-2"].history] == [
        "appel et devis",
        "balle dans le camp du client",
        "conclusion du contrat",
    ]


def test_incremental_sends_the_updated_at_filter(cassette: Cassette) -> None:
    adapter = make()
    sent = record_requests(adapter)
    with cassette("linear/incremental.yaml", match_on=WITH_BODY) as cass:
        tasks = list(adapter.fetch(window_start(adapter, datetime(2026, 2, 21, 9, 30, tzinfo=UTC))))
    assert cass.all_played and len(sent) == 1
    assert body(sent[0])["variables"] == {
        "filter": {"updatedAt": {"gt": "2026-02-21T09:25:00Z"}, **TEAM},
        "first": 50,
        "includeArchived": True,
        "after": None,
    }
    won, archived = tasks
    assert (won.id, won.status, won.status_category) == ("SAL-2", "travail en cours", "completed")
    assert (won.amount, won.removed) == (15500.0, False)
    assert won.history[-1] == StatusChange(
        utc("2026-02-21T09:40:00"), "travail en cours", "conclusion du contrat"
    )
    assert (archived.id, archived.removed, archived.history) == ("SAL-3", True, [])
    with pytest.raises(ValueError, match="timezone-aware"):
        adapter.issue_variables(datetime(2026, 2, 21, 9, 30))  # noqa: DTZ001 - the point


def test_ratelimited_400_waits_until_the_reset(cassette: Cassette, sleeps: list[float]) -> None:
    adapter = make(sleeps=sleeps)
    sent = record_requests(adapter)
    with cassette("linear/rate_limited.yaml", match_on=WITH_BODY) as cass:
        tasks = list(adapter.fetch(None))
    assert cass.all_played and len(sent) == 2
    assert body(sent[0]) == body(sent[1])  # the same query, sent again
    assert sleeps == [30.0]
    assert [t.id for t in tasks] == ["SAL-1", "SAL-2", "SAL-3"]
    assert all(t.history for t in tasks)


def test_ratelimited_gives_up_within_the_budget(cassette: Cassette, sleeps: list[float]) -> None:
    adapter = make(sleeps=sleeps)
    adapter.client.max_total_wait = 10.0  # the reset is 30 s away: more than we may wait
    with cassette("linear/rate_limited.yaml"), pytest.raises(GraphQLError) as caught:
        list(adapter.fetch(None))
    assert sleeps == [] and "rate limited" in str(caught.value) and KEY not in str(caught.value)


def test_500_is_retried_with_backoff(cassette: Cassette, sleeps: list[float]) -> None:
    # The 500 carries the rate-limit window's reset, 40 minutes away: not a reason to wait.
    adapter = make(sleeps=sleeps)
    with cassette("linear/server_error.yaml", match_on=WITH_BODY) as cass:
        tasks = list(adapter.fetch(None))
    assert cass.all_played
    assert len(sleeps) == 1 and 0.5 <= sleeps[0] <= 1.0  # first backoff step, with jitter
    assert len(tasks) == 3


def test_401_names_the_variable_and_never_the_key(cassette: Cassette) -> None:
    adapter = make()
    sent = record_requests(adapter)
    with cassette("linear/unauthorized.yaml"), pytest.raises(AuthError) as caught:
        list(adapter.fetch(None))
    assert "LINEAR_API_KEY" in str(caught.value) and "produit" in str(caught.value)
    assert KEY not in str(caught.value)
    assert len(sent) == 1  # a refusal is not retried


def test_graphql_errors_name_the_source_and_linear_s_message(cassette: Cassette) -> None:
    adapter = make()
    with cassette("linear/bad_team.yaml"), pytest.raises(GraphQLError) as caught:
        list(adapter.fetch(None))
    message = str(caught.value)
    assert "produit" in message and "Argument Validation Error (INVALID_INPUT)" in message


def test_a_configured_field_found_nowhere_is_reported(cassette: Cassette) -> None:
    adapter = make(fields={**FIELDS, "contact": "Contact"})
    with cassette("linear/full_sync.yaml"):
        tasks = list(adapter.fetch(None))
    assert len(tasks) == 3
    assert len(adapter.warnings) == 1 and "'Contact'" in adapter.warnings[0]


def test_settings() -> None:
    settings = validate_source({"kind": "linear", "team": " sal "})
    assert isinstance(settings, LinearSettings)
    assert (settings.team, settings.base_url) == ("SAL", DEFAULT_BASE_URL)
    with pytest.raises(pydantic.ValidationError, match="team key"):
        LinearSettings.model_validate({"kind": "linear", "team": "Équipe ventes"})
    with pytest.raises(MissingCredentials, match="LINEAR_API_KEY"):
        LinearAdapter(settings, {})


def test_end_to_end_full_then_incremental(cassette: Cassette, store: Store) -> None:
    """Stage times come from Linear's history, not from the time of the sync."""
    secrets = {"LINEAR_API_KEY": KEY}

    def run(name: str, now: str, *, full: bool = False) -> Any:
        with cassette(name, match_on=WITH_BODY):
            return run_sync(store, SOURCE, secrets, now, full=full)

    first = run("linear/full_sync.yaml", "2026-02-21T09:30:00", full=True)
    assert first.ok and first.fetched == 3
    before = deal_rows(store)
    assert before == {
        "produit:SAL-1": ("negotiation", "Marie Dupont", 12000.0, "2026-02-03T13:30:00+00:00", 0),
        "produit:SAL-2": ("closing", "Karim Benali", 8500.0, "2026-02-10T08:30:00+00:00", 0),
        "produit:SAL-3": ("lost", None, None, "2026-02-01T16:45:30+00:00", 0),
    }

    # The cassette only answers the filter built from the bookmark (09:30 minus five minutes).
    second = run("linear/incremental.yaml", "2026-02-21T10:10:00")
    assert second.ok and not second.full and second.fetched == 2
    assert second.reached_outcome == [("produit:SAL-2", "won")]
    after = deal_rows(store)
    assert after["produit:SAL-2"] == (
        "won",
        "Karim Benali",
        15500.0,
        "2026-02-21T09:40:00+00:00",
        0,
    )
    assert after["produit:SAL-3"][4] == 1  # archived: removed
    assert after["produit:SAL-1"] == before["produit:SAL-1"]
    assert [(e["to_stage"], e["at"]) for e in store.history("produit:SAL-2")] == [
        ("meeting", "2026-01-05T10:02:40+00:00"),
        ("negotiation", "2026-01-15T15:05:12+00:00"),
        ("closing", "2026-02-10T08:30:00+00:00"),
        ("won", "2026-02-21T09:40:00+00:00"),
    ]
