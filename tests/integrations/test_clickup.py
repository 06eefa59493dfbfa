"""ClickUp adapter against hand-written cassettes of ClickUp API v2 (tests/cassettes/clickup/)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlsplit

import pydantic
import pytest
import requests

from bot.sync import window_start
from integrations.base import StatusChange, validate_source
from integrations.clickup import DEFAULT_BASE_URL, ClickUpAdapter, ClickUpSettings
from integrations.http import AuthError
from tests.helpers import utc
from tests.integrations.support import Cassette, build, by_id, query, record_requests

LIST = "901204567890"
TOKEN = "pk_81234567_FAKE0TOKEN0FOR0TESTS0ONLY0XYZ"
FIELDS = {
    "client": "Client",
    "amount": "Montant",
    "probability": "Probabilité",
    "contact": "Contact",
    "next_step": "Prochaine étape",
    "lost_reason": "Raison de la perte",
    "expected_close": "Date de signature prévue",
}


def make(
    sleeps: list[float] | None = None,
    progress: list[tuple[int, int]] | None = None,
    clock: Callable[[], float] | None = None,
) -> ClickUpAdapter:
    options: dict[str, Any] = {"clock": clock} if clock is not None else {}
    return build(
        ClickUpAdapter,
        {"kind": "clickup", "list": LIST, "fields": FIELDS},
        {"CLICKUP_TOKEN": TOKEN},
        sleeps=sleeps,
        progress=progress,
        **options,
    )


def paths(sent: list[requests.PreparedRequest]) -> list[str]:
    return [urlsplit(r.url or "").path for r in sent]


def test_full_sync_maps_fields_and_status_times(cassette: Cassette) -> None:
    progress: list[tuple[int, int]] = []
    adapter = make(progress=progress)
    sent = record_requests(adapter)
    with cassette("clickup/full_sync.yaml") as cass:
        tasks = list(adapter.fetch(None))
    assert cass.all_played
    assert paths(sent) == [
        f"/api/v2/list/{LIST}/task",
        "/api/v2/task/bulk_time_in_status/task_ids",
    ]
    assert sent[0].headers["Authorization"] == TOKEN  # the personal token itself, no "Bearer"
    assert query(sent[0]) == {
        "page": ["0"],
        "include_closed": ["true"],
        "subtasks": ["true"],
        "order_by": ["updated"],
    }
    assert query(sent[1])["task_ids"] == ["86c2ab1x7", "86c2ab1y2", "86c2ab1z9"]
    assert progress == [(1, 3)]

    deals = by_id(tasks)
    roux = deals["86c2ab1x7"]
    assert roux.title == "Site vitrine — Fromagerie Roux"
    assert (roux.status, roux.status_category) == ("balle dans le camp du client", "custom")
    # Two assignees: the first one owns the deal.
    assert (roux.owner, roux.owner_email) == ("Marie Dupont", "marie.dupont@agence-exemple.fr")
    assert (roux.amount, roux.currency) == (12000.0, "EUR")  # currency field: number + its EUR
    assert roux.probability == 60.0  # drop-down option "60 %", found by its orderindex
    assert (roux.client, roux.contact) == ("Fromagerie Roux", "Paul Roux")
    assert roux.next_step == "Envoyer la maquette v2"
    assert roux.expected_close == date(2026, 3, 31)  # no custom date: the due date
    assert roux.url == "https://app.clickup.com/t/86c2ab1x7"
    assert roux.started == utc("2026-01-12T08:15:02.118")
    assert roux.history == [
        StatusChange(utc("2026-01-12T08:15:02.118"), "client sur le point d'arriver"),
        StatusChange(
            utc("2026-01-20T09:02:44.310"), "appel et devis", "client sur le point d'arriver"
        ),
        StatusChange(utc("2026-02-03T13:30:00"), "balle dans le camp du client", "appel et devis"),
    ]
    assert roux.warnings == []

    bernard = deals["86c2ab1y2"]
    assert (bernard.owner, bernard.owner_email) == (None, None)
    assert bernard.amount == 8500.5  # a currency value sent as the string "8500.50"
    assert bernard.probability is None  # orderindex 7 is no option of the drop-down...
    assert len(bernard.warnings) == 1  # ...and the user is told
    assert all(part in bernard.warnings[0] for part in ("86c2ab1y2", "Probabilité", "7"))
    assert bernard.expected_close == date(2026, 4, 15)  # the custom date field wins
    # Listed by status order, ordered here by the time each status was entered.
    assert [(c.from_status, c.to_status) for c in bernard.history] == [
        (None, "appel et devis"),
        ("appel et devis", "client sur le point d'arriver"),
    ]

    port = deals["86c2ab1z9"]
    assert (port.status, port.status_category) == ("travail terminé", "closed")
    assert not port.removed  # a closed task is a finished (here won) deal, not a removed one
    assert port.probability == 80.0 and port.owner == "Karim Benali"
    assert port.history[-1] == StatusChange(
        utc("2026-02-10T16:20:00"), "travail terminé", "conclusion du contrat"
    )


def test_second_page_and_a_lone_task_history(cassette: Cassette) -> None:
    progress: list[tuple[int, int]] = []
    adapter = make(progress=progress)
    sent = record_requests(adapter)
    with cassette("clickup/second_page.yaml") as cass:
        tasks = list(adapter.fetch(None))
    assert cass.all_played and len(sent) == 4
    assert [t.id for t in tasks] == ["86c2ab1x7", "86c2ab1y2", "86c2ab1z9"]
    assert [query(r).get("page") for r in sent] == [["0"], None, ["1"], None]
    assert paths(sent)[3] == "/api/v2/task/86c2ab1z9/time_in_status"
    assert progress == [(1, 2), (2, 3)]
    assert len(tasks[2].history) == 4


def test_incremental_uses_the_bookmark_and_flags_archived_tasks(cassette: Cassette) -> None:
    adapter = make()
    sent = record_requests(adapter)
    with cassette("clickup/incremental.yaml") as cass:
        tasks = list(adapter.fetch(window_start(adapter, datetime(2026, 2, 21, 9, 0, tzinfo=UTC))))
    assert cass.all_played and len(sent) == 3
    # Five minutes before the bookmark, in unix milliseconds.
    assert query(sent[0])["date_updated_gt"] == ["1771664100000"]
    assert query(sent[2])["archived"] == ["true"]
    assert query(sent[2])["date_updated_gt"] == ["1771664100000"]

    moved, gone = tasks
    assert (moved.id, moved.status, moved.removed) == ("86c2ab1y2", "appel et devis", False)
    assert moved.owner == "Marie Dupont" and moved.amount == 9200.0
    assert moved.history[-1] == StatusChange(
        utc("2026-02-21T09:11:58"), "appel et devis", "client sur le point d'arriver"
    )
    assert (gone.id, gone.removed) == ("86c2ab1w4", True)
    assert gone.lost_reason == "Budget insuffisant"
    assert gone.history == []  # no history asked for a removed deal


def test_429_waits_until_the_rate_limit_reset(
    cassette: Cassette, sleeps: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    # X-RateLimit-Reset is an absolute time: read it against the clock of the recording.
    adapter = make(sleeps=sleeps, clock=lambda: 1771666800.0)
    sent = record_requests(adapter)
    with cassette("clickup/rate_limited.yaml") as cass:
        tasks = list(adapter.fetch(None))
    assert cass.all_played and len(sent) == 3
    assert sleeps == [12.0]
    assert [t.id for t in tasks] == ["86c2ab1x7", "86c2ab1y2"]
    assert all(t.history for t in tasks)


def test_500_is_retried_with_backoff(cassette: Cassette, sleeps: list[float]) -> None:
    adapter = make(sleeps=sleeps)
    with cassette("clickup/server_error.yaml") as cass:
        tasks = list(adapter.fetch(None))
    assert cass.all_played
    assert len(sleeps) == 1 and 0.5 <= sleeps[0] <= 1.0  # first backoff step, with jitter
    assert [len(t.history) for t in tasks] == [3, 2]


def test_401_names_the_variable_and_never_the_token(cassette: Cassette) -> None:
    adapter = make()
    sent = record_requests(adapter)
    with cassette("clickup/unauthorized.yaml"), pytest.raises(AuthError) as caught:
        list(adapter.fetch(None))
    assert "CLICKUP_TOKEN" in str(caught.value)
    assert TOKEN not in str(caught.value)
    assert len(sent) == 1


def test_history_disabled_warns_once_and_still_loads(cassette: Cassette) -> None:
    progress: list[tuple[int, int]] = []
    adapter = make(progress=progress)
    sent = record_requests(adapter)
    with cassette("clickup/history_disabled.yaml") as cass:
        tasks = list(adapter.fetch(None))
    assert cass.all_played and len(sent) == 4  # history not asked again for page 1
    assert [t.id for t in tasks] == ["86c2ab1x7", "86c2ab1y2", "86c2ab1z9"]
    assert all(t.history == [] for t in tasks)
    assert len(adapter.warnings) == 1
    assert "Total time in Status" in adapter.warnings[0]
    assert TOKEN not in adapter.warnings[0]
    assert progress == [(1, 2), (2, 3), (3, 3)]  # the empty page 2 ends the listing


def test_settings_defaults_and_list_url() -> None:
    settings = validate_source({"kind": "clickup", "list": LIST})
    assert isinstance(settings, ClickUpSettings)
    assert settings.base_url == DEFAULT_BASE_URL
    copied = ClickUpSettings.model_validate(
        {"kind": "clickup", "list": f"https://app.clickup.com/9012345678/v/li/{LIST}"}
    )
    assert copied.list == LIST
    with pytest.raises(pydantic.ValidationError, match="list"):
        ClickUpSettings.model_validate({"kind": "clickup"})
