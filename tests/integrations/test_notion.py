"""Notion adapter against hand-written cassettes of the Notion API 2022-06-28 (tests/cassettes/notion/).

Every request is a `POST /databases/{id}/query`: the cassettes match on the JSON body as well, so
each scenario also pins the exact query (page size, cursor, last_edited_time filter) sent.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlsplit

import pydantic
import pytest

from bot.store import Store
from bot.sync import make_adapter, sync_source, window_start
from integrations.base import MissingCredentials, SourceError, validate_source
from integrations.http import AuthError
from integrations.notion import DEFAULT_BASE_URL, NotionAdapter, NotionSettings
from tests.integrations.support import (
    PIPELINE,
    WITH_BODY,
    Cassette,
    body,
    build,
    by_id,
    deal_rows,
    evidence,
    record_requests,
    utc,
)

DB = "8a3c2f5e-4b71-4d0e-9f12-6c7d8e9fa0b1"
TOKEN = "secret_FAKE0notion0token0for0tests0only0XYZ"
FIELDS = {
    "client": "Client",
    "amount": "Montant",
    "probability": "Probabilité",
    "lost_reason": "Raison de la perte",
    "expected_close": "Date de signature prévue",
}
SOURCE = {
    "kind": "notion",
    "name": "ventes",
    "database": DB,
    "status_property": "Statut",
    "fields": FIELDS,
}


def make(
    sleeps: list[float] | None = None,
    progress: list[tuple[int, int]] | None = None,
    **overrides: Any,
) -> NotionAdapter:
    return build(
        NotionAdapter,
        {**SOURCE, **overrides},
        {"NOTION_TOKEN": TOKEN},
        sleeps=sleeps,
        progress=progress,
    )


def test_full_sync_maps_properties(cassette: Cassette) -> None:
    progress: list[tuple[int, int]] = []
    adapter = make(progress=progress)
    sent = record_requests(adapter)
    with cassette("notion/full_sync.yaml", match_on=WITH_BODY) as cass:
        tasks = list(adapter.fetch(None))
    assert cass.all_played and len(sent) == 1
    assert sent[0].method == "POST"
    assert urlsplit(sent[0].url or "").path == f"/v1/databases/{DB}/query"
    assert sent[0].headers["Authorization"] == f"Bearer {TOKEN}"
    assert sent[0].headers["Notion-Version"] == "2022-06-28"
    assert body(sent[0]) == {"page_size": 100}
    assert progress == [(1, 3)]
    assert not NotionAdapter.has_history

    deals = by_id(tasks)
    dupain = deals["59833787-2cf9-4fdf-8782-e53db20768a5"]
    assert dupain.title == "Refonte du site — Boulangerie Dupain"
    assert dupain.status == "balle dans le camp du client"
    # Two people properties: the first Notion lists (Responsable) owns the deal.
    assert (dupain.owner, dupain.owner_email) == ("Marie Dupont", "marie.dupont@agence-exemple.fr")
    assert (dupain.amount, dupain.currency) == (12000.0, "EUR")  # rich text "12 000 €"
    assert dupain.probability == 60.0  # select "60 %"
    assert dupain.client == "Boulangerie Dupain"
    assert dupain.expected_close == date(2026, 3, 31)  # no signature date: « Échéance »
    assert dupain.started == utc("2026-01-12T08:15:00")
    assert dupain.last_modified == utc("2026-02-20T15:40:00")
    assert dupain.url == (
        "https://www.notion.so/Refonte-du-site-Boulangerie-Dupain-598337872cf94fdf8782e53db20768a5"
    )
    assert dupain.history == [] and dupain.stage_entered is None
    assert dupain.warnings == [] and not dupain.removed

    martin = deals["7b1e4d2a-93c5-4f60-b8a7-0c1d2e3f4a5b"]
    assert (martin.owner, martin.owner_email) == ("Karim Benali", None)  # e-mail not shared
    assert (martin.amount, martin.currency) == (8500.0, None)  # a number property
    assert martin.probability == 80.0
    assert martin.expected_close == date(2026, 4, 15)  # the signature date wins over the due date

    port = deals["c2d3e4f5-a6b7-4c8d-9e0f-1a2b3c4d5e6f"]
    assert (port.status, port.owner, port.lost_reason) == ("écarté", None, "Budget insuffisant")
    assert port.amount is None  # "douze mille" is not an amount...
    assert len(port.warnings) == 1  # ...and the user is told which page, property and value
    assert all(part in port.warnings[0] for part in ("c2d3e4f5", "Montant", "douze mille"))
    assert not port.removed  # a lost deal is a deal
    assert adapter.warnings == []


def test_owner_property_by_name(cassette: Cassette) -> None:
    adapter = make(fields={**FIELDS, "owner": "Chef de projet"})
    with cassette("notion/full_sync.yaml"):
        deals = by_id(list(adapter.fetch(None)))
    martin = deals["7b1e4d2a-93c5-4f60-b8a7-0c1d2e3f4a5b"]
    assert (martin.owner, martin.owner_email) == ("Léa Moreau", "lea.moreau@agence-exemple.fr")
    assert deals["59833787-2cf9-4fdf-8782-e53db20768a5"].owner == "Karim Benali"


def test_second_page_follows_the_cursor(cassette: Cassette) -> None:
    progress: list[tuple[int, int]] = []
    adapter = make(progress=progress)
    sent = record_requests(adapter)
    with cassette("notion/second_page.yaml", match_on=WITH_BODY) as cass:
        tasks = list(adapter.fetch(None))
    assert cass.all_played and len(sent) == 2
    assert [body(r) for r in sent] == [
        {"page_size": 100},
        {"page_size": 100, "start_cursor": "fe2cc560-036c-44cd-90e8-294d5a74cebc"},
    ]
    assert [t.title for t in tasks] == [
        "Refonte du site — Boulangerie Dupain",
        "Identité visuelle — Cabinet Martin",
        "Application mobile — Hôtel du Port",
    ]
    assert progress == [(1, 2), (2, 3)]


def test_incremental_sends_the_last_edited_filter(cassette: Cassette) -> None:
    adapter = make()
    sent = record_requests(adapter)
    with cassette("notion/incremental.yaml", match_on=WITH_BODY) as cass:
        tasks = list(adapter.fetch(window_start(adapter, datetime(2026, 2, 21, 9, 30, tzinfo=UTC))))
    assert cass.all_played and len(sent) == 1
    # Five minutes before the bookmark: Notion rounds last_edited_time to the minute.
    assert body(sent[0]) == {
        "page_size": 100,
        "filter": {
            "timestamp": "last_edited_time",
            "last_edited_time": {"on_or_after": "2026-02-21T09:25:00Z"},
        },
    }
    won, trashed = tasks
    assert (won.status, won.amount, won.removed) == ("travail en cours", 15500.0, False)
    assert (trashed.id, trashed.removed) == ("c2d3e4f5-a6b7-4c8d-9e0f-1a2b3c4d5e6f", True)
    with pytest.raises(ValueError, match="timezone-aware"):
        window_start(adapter, datetime(2026, 2, 21, 9, 30))  # noqa: DTZ001 - the point


def test_429_waits_what_retry_after_says_and_loses_nothing(
    cassette: Cassette, sleeps: list[float]
) -> None:
    adapter = make(sleeps=sleeps)
    sent = record_requests(adapter)
    with cassette("notion/rate_limited.yaml", match_on=WITH_BODY) as cass:
        tasks = list(adapter.fetch(None))
    assert cass.all_played and len(sent) == 2
    assert sleeps == [2.0]
    assert len(tasks) == 3 and tasks[0].amount == 12000.0


def test_500_is_retried_with_backoff(cassette: Cassette, sleeps: list[float]) -> None:
    adapter = make(sleeps=sleeps)
    with cassette("notion/server_error.yaml", match_on=WITH_BODY) as cass:
        tasks = list(adapter.fetch(None))
    assert cass.all_played
    assert len(sleeps) == 1 and 0.5 <= sleeps[0] <= 1.0  # first backoff step, with jitter
    assert len(tasks) == 3


def test_401_names_the_variable_and_never_the_token(cassette: Cassette) -> None:
    adapter = make()
    sent = record_requests(adapter)
    with cassette("notion/unauthorized.yaml"), pytest.raises(AuthError) as caught:
        list(adapter.fetch(None))
    assert "NOTION_TOKEN" in str(caught.value) and "ventes" in str(caught.value)
    assert TOKEN not in str(caught.value)
    assert len(sent) == 1  # a refusal is not retried


def test_a_database_not_shared_says_what_to_do(cassette: Cassette) -> None:
    adapter = make()
    with cassette("notion/not_shared.yaml"), pytest.raises(SourceError) as caught:
        list(adapter.fetch(None))
    message = str(caught.value)
    assert DB in message and "share the database" in message and TOKEN not in message


def test_missing_properties_are_reported_once(cassette: Cassette) -> None:
    adapter = make(status_property="État", fields={**FIELDS, "contact": "Contact"})
    with cassette("notion/full_sync.yaml"):
        tasks = list(adapter.fetch(None))
    assert all(t.status is None for t in tasks)
    assert len(adapter.warnings) == 2
    assert "'État'" in adapter.warnings[0] and "'Contact'" in adapter.warnings[1]


def test_settings_accept_an_id_or_the_database_url() -> None:
    settings = validate_source({"kind": "notion", "database": DB.replace("-", "")})
    assert isinstance(settings, NotionSettings)
    assert settings.database == DB
    assert settings.base_url == DEFAULT_BASE_URL and settings.status_property == "Status"
    copied = NotionSettings.model_validate(
        {
            "kind": "notion",
            "database": "https://www.notion.so/agence/Ventes-8a3c2f5e4b714d0e9f126c7d8e9fa0b1"
            "?v=0f1e2d3c4b5a49687766554433221100",
        }
    )
    assert copied.database == DB
    with pytest.raises(pydantic.ValidationError, match="database"):
        NotionSettings.model_validate({"kind": "notion", "database": "Ventes"})


def test_missing_token_is_named() -> None:
    with pytest.raises(MissingCredentials, match="NOTION_TOKEN"):
        NotionAdapter(validate_source(SOURCE), {})


def test_end_to_end_full_then_incremental(cassette: Cassette, store: Store) -> None:
    """Notion keeps no history: at a page's first sight its stage is dated by its
    `last_edited_time` (idle at least since then); a later move by the sync that saw it."""
    first_at = utc("2026-02-21T09:30:00")
    adapter = make_adapter(SOURCE, {"NOTION_TOKEN": TOKEN}, http_options={"sleep": lambda _: None})
    with cassette("notion/full_sync.yaml", match_on=WITH_BODY):
        first = sync_source(store, PIPELINE, adapter, full=True, now=lambda: first_at)
    assert first.ok and first.fetched == 3
    assert any("douze mille" in w for w in first.warnings)

    before = deal_rows(store)
    assert before == {
        "ventes:59833787-2cf9-4fdf-8782-e53db20768a5": (
            "negotiation",
            "Marie Dupont",
            12000.0,
            "2026-02-20T15:40:00+00:00",
            0,
        ),
        "ventes:7b1e4d2a-93c5-4f60-b8a7-0c1d2e3f4a5b": (
            "closing",
            "Karim Benali",
            8500.0,
            "2026-02-10T08:30:00+00:00",
            0,
        ),
        "ventes:c2d3e4f5-a6b7-4c8d-9e0f-1a2b3c4d5e6f": (
            "lost",
            None,
            None,
            "2026-02-01T16:45:00+00:00",
            0,
        ),
    }
    assert set(evidence(store).values()) == {"last_modified"}

    # The bookmark is the start of the last sync: the cassette only answers the filter built
    # from it (09:30 minus five minutes), so this also proves the bookmark reaches the adapter.
    second_at = utc("2026-02-21T10:10:00")
    adapter = make_adapter(SOURCE, {"NOTION_TOKEN": TOKEN}, http_options={"sleep": lambda _: None})
    with cassette("notion/incremental.yaml", match_on=WITH_BODY):
        second = sync_source(store, PIPELINE, adapter, now=lambda: second_at)
    assert second.ok and not second.full and second.fetched == 2
    after = deal_rows(store)
    martin = after["ventes:7b1e4d2a-93c5-4f60-b8a7-0c1d2e3f4a5b"]
    assert martin == ("won", "Karim Benali", 15500.0, "2026-02-21T10:10:00+00:00", 0)
    assert second.reached_outcome == [("ventes:7b1e4d2a-93c5-4f60-b8a7-0c1d2e3f4a5b", "won")]
    assert after["ventes:c2d3e4f5-a6b7-4c8d-9e0f-1a2b3c4d5e6f"][4] == 1  # trashed: removed
    dupain = "ventes:59833787-2cf9-4fdf-8782-e53db20768a5"
    assert after[dupain] == before[dupain]  # untouched, not removed
    assert evidence(store)["ventes:7b1e4d2a-93c5-4f60-b8a7-0c1d2e3f4a5b"] == "observed"
