"""Jira adapter against hand-written cassettes of Jira Cloud REST v3 (tests/cassettes/jira/)."""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pydantic
import pytest

from bot.sync import window_start
from integrations.base import FieldChange, MissingCredentials, StatusChange, validate_source
from integrations.http import AuthError
from integrations.jira import JiraAdapter, JiraSettings
from tests.integrations.support import (
    WITH_BODY,
    Cassette,
    body,
    build,
    by_id,
    query,
    record_requests,
)

SITE = "https://agence-exemple.atlassian.net"
EMAIL = "robot-pipeline@agence-exemple.fr"
TOKEN = "ATATT3xFfGF0-fake-token-for-tests"
FIELDS = {
    "client": "Client",
    "amount": "Montant",
    "probability": "Probabilité",
    "contact": "Contact",
    "next_step": "Prochaine étape",
    "lost_reason": "Raison de la perte",
    "expected_close": "Date de signature prévue",
}


def paris(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo("Europe/Paris"))


def make(
    sleeps: list[float] | None = None,
    progress: list[tuple[int, int]] | None = None,
    **overrides: Any,
) -> JiraAdapter:
    raw: dict[str, Any] = {
        "kind": "jira",
        "name": "ventes",
        "base_url": SITE,
        "project": "VENTE",
        "fields": FIELDS,
    }
    return build(
        JiraAdapter,
        {**raw, **overrides},
        {"JIRA_EMAIL": EMAIL, "JIRA_API_TOKEN": TOKEN},
        sleeps=sleeps,
        progress=progress,
    )


def test_field_history_from_the_changelog(cassette: Cassette) -> None:
    adapter = make()
    sent = record_requests(adapter)
    with cassette("jira/field_history.yaml", match_on=WITH_BODY) as cass:
        deals = by_id(adapter.fetch(None))
    assert cass.all_played
    # one bulk request asks for the status and every tracked field's changes
    assert body(sent[2])["fieldIds"] == ["status", "customfield_10051", "customfield_10052",
                                         "customfield_10056", "assignee", "duedate"]  # fmt: skip
    # VENTE-1's close date is its due date: the due date's changes are its history; a custom
    # field "changed" to the value it had is no change
    assert deals["VENTE-1"].field_history == [
        FieldChange(paris("2026-02-05T11:00"), "expected_close", date(2026, 3, 15),
                    date(2026, 3, 31)),
        FieldChange(paris("2026-02-05T11:00"), "amount", 10000.0, 12000.0),
    ]  # fmt: skip
    # VENTE-2's close date is the custom field: the due date's change is not that history
    assert deals["VENTE-2"].field_history == [
        FieldChange(paris("2026-02-01T10:00"), "expected_close", date(2026, 3, 31),
                    date(2026, 4, 15)),
        FieldChange(paris("2026-02-01T10:00"), "owner", "Marie Dupont", "Karim Benali"),
    ]  # fmt: skip
    assert deals["VENTE-3"].field_history == []


def test_full_sync_maps_fields_and_real_status_times(cassette: Cassette) -> None:
    progress: list[tuple[int, int]] = []
    adapter = make(progress=progress)
    sent = record_requests(adapter)
    with cassette("jira/full_sync.yaml") as cass:
        tasks = list(adapter.fetch(None))
    assert cass.all_played and len(sent) == 3
    assert [f"{r.method} {urlsplit(r.url or '').path}" for r in sent] == [
        "GET /rest/api/3/field",
        "GET /rest/api/3/search/jql",
        "POST /rest/api/3/changelog/bulkfetch",
    ]
    assert query(sent[1])["jql"] == ["project = VENTE ORDER BY created ASC"]
    # Exactly the custom fields the configured display names resolve to (not Sprint).
    assert query(sent[1])["fields"] == [
        "summary,status,assignee,created,updated,duedate,customfield_10050,customfield_10051,"
        "customfield_10052,customfield_10053,customfield_10054,customfield_10055,customfield_10056"
    ]
    assert progress == [(1, 3)]

    deals = by_id(tasks)
    assert list(deals) == ["VENTE-1", "VENTE-2", "VENTE-3"]
    dupain = deals["VENTE-1"]
    assert dupain.title == "Refonte du site — Boulangerie Dupain"
    assert dupain.status == "balle dans le camp du client"
    assert dupain.status_category == "indeterminate"
    assert (dupain.owner, dupain.owner_email) == ("Marie Dupont", "marie.dupont@agence-exemple.fr")
    assert (dupain.amount, dupain.currency, dupain.probability) == (12000.0, "EUR", 60.0)
    assert (dupain.client, dupain.contact) == ("Boulangerie Dupain", "Julie Dupain")
    assert dupain.next_step == "Relancer sur le devis v2"
    assert dupain.expected_close == date(2026, 3, 31)  # no custom date: the due date
    assert dupain.url == f"{SITE}/browse/VENTE-1"
    assert dupain.started == datetime(2026, 1, 12, 8, 15, 2, 118000, tzinfo=UTC)
    assert dupain.last_modified == paris("2026-02-20T16:40:11.502")
    assert dupain.history == [
        StatusChange(paris("2026-01-12T09:15:02.118"), "client sur le point d'arriver"),
        StatusChange(
            paris("2026-01-20T10:02:44.310"), "appel et devis", "client sur le point d'arriver"
        ),
        StatusChange(
            paris("2026-02-03T14:30:00"), "balle dans le camp du client", "appel et devis"
        ),
    ]
    assert dupain.warnings == [] and not dupain.removed

    martin = deals["VENTE-2"]
    assert (martin.owner, martin.owner_email) == ("Karim Benali", None)
    assert martin.amount is None  # "douze mille" is not an amount...
    assert len(martin.warnings) == 1  # ...and the user is told which task, field and value
    assert all(part in martin.warnings[0] for part in ("VENTE-2", "Montant", "douze mille"))
    assert martin.probability == 80.0  # a number field holding 0.8
    assert martin.expected_close == date(2026, 4, 15)  # the custom date wins
    assert [c.to_status for c in martin.history] == [
        "appel et devis",
        "balle dans le camp du client",
        "conclusion du contrat",
    ]
    assert martin.history[-1].at == paris("2026-02-10T09:30:00")

    lefevre = deals["VENTE-3"]
    assert lefevre.owner is None and lefevre.lost_reason == "Budget insuffisant"
    assert (lefevre.status, lefevre.status_category) == ("écarté", "done")
    assert not lefevre.removed  # a lost deal is a deal, not a deletion
    # The resolution item of the same change is not a status change.
    assert [(c.from_status, c.to_status) for c in lefevre.history] == [
        (None, "client sur le point d'arriver"),
        ("client sur le point d'arriver", "écarté"),
    ]


def test_second_page_and_paged_changelog(cassette: Cassette) -> None:
    progress: list[tuple[int, int]] = []
    adapter = make(progress=progress)
    sent = record_requests(adapter)
    with cassette("jira/second_page.yaml", match_on=WITH_BODY) as cass:
        tasks = list(adapter.fetch(None))
    assert cass.all_played and len(sent) == 6
    assert [t.id for t in tasks] == ["VENTE-1", "VENTE-2", "VENTE-3"]
    assert progress == [(1, 2), (2, 3)]
    assert query(sent[4])["nextPageToken"] == ["CAEaAggD"]
    # VENTE-1's changes came on two pages of the bulk answer: both are kept, in time order.
    assert [c.to_status for c in by_id(tasks)["VENTE-1"].history] == [
        "client sur le point d'arriver",
        "appel et devis",
        "balle dans le camp du client",
    ]
    assert len(by_id(tasks)["VENTE-3"].history) == 2


def test_incremental_sends_the_jql_built_from_the_bookmark(cassette: Cassette) -> None:
    adapter = make()
    sent = record_requests(adapter)
    bookmark = datetime(2026, 2, 21, 9, 30, tzinfo=UTC)
    with cassette("jira/incremental.yaml") as cass:
        tasks = list(adapter.fetch(window_start(adapter, bookmark)))
    assert cass.all_played and len(sent) == 4
    search = next(r for r in sent if (r.url or "").find("/search/jql") > 0)
    # One hour early, in the API user's zone (Europe/Paris, UTC+1 in February), to the minute.
    assert query(search)["jql"] == [
        'project = VENTE AND updated >= "2026-02-21 09:30" ORDER BY updated ASC'
    ]
    assert [t.id for t in tasks] == ["VENTE-2"]
    won = tasks[0]
    assert (won.status, won.status_category, won.removed) == ("travail en cours", "done", False)
    assert won.amount == 15500.0
    assert won.history[-1] == StatusChange(
        paris("2026-02-21T10:04:58"), "travail en cours", "conclusion du contrat"
    )


def test_build_jql_variants() -> None:
    adapter = make()
    since = window_start(adapter, datetime(2026, 7, 1, 12, 0, tzinfo=UTC))  # an hour early
    # Summer: Paris is UTC+2, so 11:00Z is 13:00 there.
    assert adapter.build_jql(since, ZoneInfo("Europe/Paris")) == (
        'project = VENTE AND updated >= "2026-07-01 13:00" ORDER BY updated ASC'
    )
    # A user west of UTC: a UTC literal would skip 4 hours of changes; the zone keeps them.
    assert adapter.build_jql(since, ZoneInfo("America/New_York")) == (
        'project = VENTE AND updated >= "2026-07-01 07:00" ORDER BY updated ASC'
    )
    # Zone unknown: UTC, 12 hours earlier still, safe for every zone.
    assert adapter.build_jql(since, None) == (
        'project = VENTE AND updated >= "2026-06-30 23:00" ORDER BY updated ASC'
    )
    filtered = make(project=None, jql="project = VENTE AND labels = deal ORDER BY rank")
    assert filtered.build_jql(None, None) == "project = VENTE AND labels = deal ORDER BY rank"
    assert filtered.build_jql(since, ZoneInfo("UTC")) == (
        '(project = VENTE AND labels = deal) AND updated >= "2026-07-01 11:00" ORDER BY updated ASC'
    )
    assert make(project="AGENCE WEB").build_jql(None, None) == (
        'project = "AGENCE WEB" ORDER BY created ASC'
    )
    assert make(project="IN").build_jql(None, None) == 'project = "IN" ORDER BY created ASC'
    assert make(project="ORDER").build_jql(None, None) == 'project = "ORDER" ORDER BY created ASC'
    with pytest.raises(ValueError, match="timezone-aware"):
        window_start(adapter, datetime(2026, 7, 1, 12, 0))  # noqa: DTZ001 - the point


def test_429_waits_what_retry_after_says_and_loses_nothing(
    cassette: Cassette, sleeps: list[float]
) -> None:
    adapter = make(sleeps=sleeps)
    sent = record_requests(adapter)
    with cassette("jira/rate_limited.yaml") as cass:
        tasks = list(adapter.fetch(None))
    assert cass.all_played and len(sent) == 4
    assert sleeps == [7.0]
    assert [t.id for t in tasks] == ["VENTE-1"]
    assert tasks[0].amount == 12000.0 and len(tasks[0].history) == 3


def test_500_is_retried_with_backoff(cassette: Cassette, sleeps: list[float]) -> None:
    adapter = make(sleeps=sleeps)
    with cassette("jira/server_error.yaml") as cass:
        tasks = list(adapter.fetch(None))
    assert cass.all_played
    assert len(sleeps) == 1 and 0.5 <= sleeps[0] <= 1.0  # first backoff step, with jitter
    assert [c.to_status for c in tasks[0].history][-1] == "balle dans le camp du client"


def test_401_names_the_variables_and_never_the_secret(cassette: Cassette) -> None:
    adapter = make()
    sent = record_requests(adapter)
    with cassette("jira/unauthorized.yaml"), pytest.raises(AuthError) as caught:
        list(adapter.fetch(None))
    message = str(caught.value)
    assert "JIRA_EMAIL" in message and "JIRA_API_TOKEN" in message
    basic = base64.b64encode(f"{EMAIL}:{TOKEN}".encode()).decode()
    assert TOKEN not in message and EMAIL not in message and basic not in message
    assert len(sent) == 1  # a refusal is not retried


def test_a_configured_field_missing_in_jira_is_reported(cassette: Cassette) -> None:
    adapter = make(fields={**FIELDS, "currency": "Devise"})
    with cassette("jira/full_sync.yaml"):
        tasks = list(adapter.fetch(None))
    assert len(tasks) == 3
    assert len(adapter.warnings) == 1 and "'Devise'" in adapter.warnings[0]


def test_settings_require_base_url() -> None:
    with pytest.raises(pydantic.ValidationError) as caught:
        validate_source({"kind": "jira", "project": "VENTE"})
    assert "base_url" in str(caught.value)
    assert "atlassian.net" in str(caught.value)  # says what to write


@pytest.mark.parametrize(
    ("extra", "complaint"),
    [
        ({}, "exactly one of project"),
        ({"project": "VENTE", "jql": "project = VENTE"}, "exactly one of project"),
        ({"project": "VENTE", "base_url": "agence.atlassian.net"}, "https://"),
    ],
)
def test_settings_reject_ambiguous_or_odd_sources(extra: dict[str, str], complaint: str) -> None:
    with pytest.raises(pydantic.ValidationError, match=complaint):
        JiraSettings.model_validate({"kind": "jira", "base_url": SITE, **extra})


def test_settings_trim_the_site_address() -> None:
    settings = JiraSettings.model_validate(
        {"kind": "jira", "base_url": f"{SITE}/", "project": "VENTE"}
    )
    assert settings.base_url == SITE


def test_missing_token_is_named() -> None:
    settings = validate_source({"kind": "jira", "base_url": SITE, "project": "VENTE"})
    with pytest.raises(MissingCredentials, match="JIRA_API_TOKEN"):
        JiraAdapter(settings, {"JIRA_EMAIL": EMAIL})
