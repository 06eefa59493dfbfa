"""Asana adapter against hand-written cassettes of the documented API shapes.

Cassettes here also match on the request body, so the `POST /batch` calls prove exactly which
story requests were sent; `all_played` proves none was skipped.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.i18n import localise
from bot.sync import window_start
from integrations.asana import AsanaAdapter, AsanaSettings
from integrations.base import FieldChange, StatusChange, validate_source
from integrations.http import AuthError, HttpError
from integrations.values import utc_iso
from tests.helpers import utc
from tests.integrations.support import WITH_BODY, Cassette, build, by_id

FAKE_TOKEN = "2/1209876543200001/1209876543299999:fakeasanatoken0123456789"
PROJECT = "1209876543210001"

QUALIF = "Client sur le point d'arriver"
DEVIS = "Appel et devis"
BALLE = "Balle dans le camp du client"
CONCLUSION = "Conclusion du contrat"
ECARTE = "Écarté"

T1 = "1209876543210101"  # Boulangerie Dupain
T2 = "1209876543210102"  # Studio Lumière
T3 = "1209876543210103"  # Garage Martin (completed, lost)
T4 = "1209876543210104"  # Cabinet Rousseau (never moved)
T5 = "1209876543210105"  # Fromagerie Lambert (new in the incremental window)
T6 = "1209876543210106"  # Fleuriste Rose (status from an enum field)

FIELDS = {
    "amount": "Montant",
    "probability": "Probabilité",
    "client": "Client",
    "expected_close": "Date de signature",
    "contact": "Contact",
    "lost_reason": "Raison de la perte",
}


def make_adapter(
    sleeps: list[float] | None = None,
    progress: list[tuple[int, int]] | None = None,
    **extra: Any,
) -> AsanaAdapter:
    return build(
        AsanaAdapter,
        {"kind": "asana", "name": "agence", "project": PROJECT, "fields": FIELDS, **extra},
        {"ASANA_TOKEN": FAKE_TOKEN},
        sleeps=sleeps,
        progress=progress,
    )


def test_settings_defaults_and_registry() -> None:
    settings = validate_source({"kind": "asana", "project": PROJECT})
    assert isinstance(settings, AsanaSettings)
    assert settings.base_url == "https://app.asana.com/api/1.0"
    assert settings.status_field is None
    assert AsanaAdapter.secret_names == ("ASANA_TOKEN",) and AsanaAdapter.has_history
    assert utc_iso(datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Europe/Paris")), millis=True) == (
        "2026-03-02T08:00:00.000Z"
    )


def test_full_sync(cassette: Cassette) -> None:
    progress: list[tuple[int, int]] = []
    adapter = make_adapter(progress=progress)
    with cassette("asana/full_sync.yaml", match_on=WITH_BODY) as cass:
        tasks = by_id(list(adapter.fetch(None)))
        assert cass.all_played
    assert adapter.client.requests_made == 2  # 1 page of tasks + 1 batch of 4 story requests
    assert progress == [(1, 4)]
    assert set(tasks) == {T1, T2, T3, T4}

    dupain = tasks[T1]
    assert dupain.title == "Refonte du site - Boulangerie Dupain"
    assert dupain.status == BALLE  # the section in THIS project, not "Sprint 12" elsewhere
    assert dupain.owner == "Marie Dupont"
    assert dupain.owner_email == "marie.dupont@agence-exemple.fr"
    assert dupain.amount == 12000.0 and dupain.currency == "EUR"
    assert dupain.probability == 60.0
    assert dupain.client == "Boulangerie Dupain" and dupain.contact == "Paul Dupain"
    assert dupain.expected_close == date(2026, 4, 30)  # due_on: the date field is empty
    assert dupain.started == utc("2026-02-02T09:00:00")
    assert dupain.last_modified == utc("2026-02-20T10:15:00")
    assert dupain.url == f"https://app.asana.com/0/{PROJECT}/{T1}"
    assert dupain.warnings == [] and not dupain.removed
    # Real move times; the move inside the other project is not a status change here.
    assert dupain.history == [
        StatusChange(utc("2026-02-02T09:00:00"), QUALIF, None),
        StatusChange(utc("2026-02-05T14:30:00"), DEVIS, QUALIF),
        StatusChange(utc("2026-02-20T10:15:00"), BALLE, DEVIS),
    ]

    lumiere = tasks[T2]
    assert lumiere.owner == "Julien Moreau" and lumiere.amount is None
    assert lumiere.warnings == [
        "task 'Identité visuelle - Studio Lumière' (1209876543210102): field 'Montant' "
        "value 'abc' is not an amount; left empty"
    ]
    assert localise(lumiere.warnings[0], "fr") == (  # what `sync` prints for a French agency
        "task 'Identité visuelle - Studio Lumière' (1209876543210102) : champ 'Montant' : la "
        "valeur 'abc' n'est pas un montant ; laissé vide"
    )
    assert lumiere.probability == 40.0
    assert lumiere.expected_close == date(2026, 5, 15)  # the date custom field

    martin = tasks[T3]
    assert martin.status == ECARTE and martin.owner is None and martin.owner_email is None
    assert not martin.removed  # completed is not removed
    assert martin.status_category == "done"
    assert martin.amount == 8000.0 and martin.lost_reason == "Budget reporté à 2027"
    assert martin.history == [
        StatusChange(utc("2025-11-18T15:00:00"), DEVIS, None),
        StatusChange(utc("2026-01-15T09:00:00"), ECARTE, DEVIS),
    ]

    rousseau = tasks[T4]
    assert rousseau.amount == 4500.5 and rousseau.expected_close == date(2026, 6, 30)
    assert rousseau.history == [StatusChange(utc("2026-01-20T08:30:00"), QUALIF, None)]


def test_incremental_sync(cassette: Cassette) -> None:
    adapter = make_adapter()
    since = datetime(2026, 3, 2, 9, 5, tzinfo=ZoneInfo("Europe/Paris"))  # minus the overlap: 08:00Z
    with cassette("asana/incremental.yaml", match_on=WITH_BODY) as cass:
        tasks = by_id(list(adapter.fetch(window_start(adapter, since))))
        assert cass.all_played
        sent = dict(cass.requests[0].query)
    assert sent["modified_since"] == "2026-03-02T08:00:00.000Z"
    assert adapter.client.requests_made == 2
    assert set(tasks) == {T1, T5}

    dupain = tasks[T1]
    assert dupain.status == CONCLUSION and dupain.probability == 80.0
    assert dupain.history[-1] == StatusChange(utc("2026-03-03T16:45:00"), CONCLUSION, BALLE)
    assert len(dupain.history) == 4  # stories give the whole history, not just the window

    lambert = tasks[T5]
    assert lambert.status == QUALIF and lambert.amount == 3200.0 and lambert.client is None
    assert lambert.history == [StatusChange(utc("2026-03-04T09:40:00"), QUALIF, None)]


def test_second_page_of_tasks_and_of_stories(cassette: Cassette) -> None:
    progress: list[tuple[int, int]] = []
    adapter = make_adapter(progress=progress)
    with cassette("asana/second_page.yaml", match_on=WITH_BODY) as cass:
        tasks = by_id(list(adapter.fetch(None)))
        assert cass.all_played
        assert "offset" in dict(cass.requests[3].query)
    # page 1 + its batch + T1's second story page, page 2 + its batch
    assert adapter.client.requests_made == 5
    assert progress == [(1, 2), (2, 4)]
    assert set(tasks) == {T1, T2, T3, T4}
    # T1's last move is on its second story page.
    assert [change.to_status for change in tasks[T1].history] == [QUALIF, DEVIS, BALLE]


def test_rate_limited_waits_as_told(cassette: Cassette, sleeps: list[float]) -> None:
    adapter = make_adapter(sleeps=sleeps)
    with cassette("asana/rate_limited.yaml", match_on=WITH_BODY) as cass:
        tasks = by_id(list(adapter.fetch(None)))
        assert cass.all_played
    assert sleeps == [30.0]  # Retry-After: 30
    assert set(tasks) == {T1, T2, T3, T4}
    assert len(tasks[T1].history) == 3 and tasks[T1].amount == 12000.0


def test_server_errors_outer_and_inside_the_batch(cassette: Cassette, sleeps: list[float]) -> None:
    adapter = make_adapter(sleeps=sleeps)
    with cassette("asana/server_error.yaml", match_on=WITH_BODY) as cass:
        tasks = by_id(list(adapter.fetch(None)))
        assert cass.all_played
    assert len(sleeps) == 2  # the whole batch once, T2's story request once
    assert adapter.client.requests_made == 4
    assert tasks[T2].history == [
        StatusChange(utc("2026-02-10T11:20:00"), QUALIF, None),
        StatusChange(utc("2026-02-12T16:00:00"), DEVIS, QUALIF),
    ]
    assert len(tasks[T1].history) == 3


def test_unauthorized_names_the_variable_and_hides_it(cassette: Cassette) -> None:
    adapter = make_adapter()
    with cassette("asana/unauthorized.yaml"), pytest.raises(AuthError) as caught:
        list(adapter.fetch(None))
    message = str(caught.value)
    assert "ASANA_TOKEN" in message and "401" in message and "agence" in message
    assert FAKE_TOKEN not in message and "Bearer" not in message


def test_status_from_an_enum_custom_field(cassette: Cassette) -> None:
    adapter = make_adapter(status_field="Étape")
    with cassette("asana/enum_status.yaml", match_on=WITH_BODY) as cass:
        (task,) = list(adapter.fetch(None))
        assert cass.all_played
    assert task.id == T6 and task.status == BALLE  # not the section "Projets"
    assert task.amount == 9800.0
    # Enum changes are the history; the section move ("Projets" -> "En cours") is not.
    assert task.history == [
        StatusChange(utc("2026-02-16T10:00:05"), QUALIF, None),
        StatusChange(utc("2026-02-19T11:00:00"), DEVIS, QUALIF),
        StatusChange(utc("2026-02-25T15:30:00"), BALLE, DEVIS),
    ]


def test_field_history_from_stories(cassette: Cassette) -> None:
    adapter = make_adapter(status_field="Étape")
    with cassette("asana/field_history.yaml", match_on=WITH_BODY) as cass:
        (task,) = list(adapter.fetch(None))
        assert cass.all_played
    # assigned stories name only the new assignee: the one before is the previous story's; the
    # due date is the close date (no "Date de signature" on the task); "Heures" is no deal field
    assert task.field_history == [
        FieldChange(utc("2026-02-16T10:00:01"), "owner", None, "Marie Dupont"),
        FieldChange(utc("2026-02-17T09:00:00"), "expected_close", None, date(2026, 3, 31)),
        FieldChange(utc("2026-02-20T16:00:00"), "amount", 8000.0, 9800.0),
        FieldChange(utc("2026-02-21T08:30:00"), "expected_close", date(2026, 3, 31), None),
        FieldChange(utc("2026-02-22T10:00:00"), "owner", "Marie Dupont", "Julien Moreau"),
    ]


def test_cassettes_hold_no_secret() -> None:
    for path in (Path(__file__).parent.parent / "cassettes" / "asana").glob("*.yaml"):
        text = path.read_text()
        assert "Bearer" not in text and "Authorization" not in text, path.name


def test_a_story_request_failing_429_500_429_inside_batches_stops_at_one_wait_cap(
    cassette: Cassette, sleeps: list[float]
) -> None:
    # T2's story request fails inside three batches in a row: 429 (Retry-After 4), 500 (backoff
    # 1-2 s), 429 (Retry-After 6). The client's one policy charges every wait to T2's budget:
    # 4 + 2 + 6 > 10, so the sync stops there instead of sleeping outside the cap.
    adapter = make_adapter(sleeps=sleeps)
    adapter.client.max_total_wait = 10.0
    with (
        cassette("asana/batch_retry_cap.yaml", match_on=WITH_BODY),
        pytest.raises(HttpError) as caught,
    ):
        list(adapter.fetch(None))
    assert sleeps[0] == 4.0 and 1.0 <= sleeps[1] <= 2.0 and len(sleeps) == 2
    assert adapter.client.requests_made == 4  # tasks page + 3 batches; the 4th batch never sent
    message = str(caught.value)
    assert "still failing after 3 attempts" in message and FAKE_TOKEN not in message
