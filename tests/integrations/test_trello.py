"""Trello adapter against hand-written cassettes of the documented API shapes.

Each cassette is one scenario and the exact list of requests it takes: `all_played` proves no
request was skipped, and record mode `none` fails any request not in it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.sync import sync_source, window_start
from integrations.base import FieldChange, StatusChange, validate_source
from integrations.http import AuthError
from integrations.trello import TrelloAdapter, TrelloSettings, card_created
from integrations.values import utc_iso
from tests.helpers import store_at, utc
from tests.integrations.support import PIPELINE, Cassette, build, by_id

FAKE_KEY = "fake-trello-key-0123456789abcdef"
FAKE_TOKEN = "fake-trello-token-ATTA0123456789abcdef"
SECRETS = {"TRELLO_API_KEY": FAKE_KEY, "TRELLO_TOKEN": FAKE_TOKEN}
BOARD = "65f0c3a2b1d4e5f6a7b8c9d0"

QUALIF = "Client sur le point d'arriver"
DEVIS = "Appel et devis"
BALLE = "Balle dans le camp du client"
CONCLUSION = "Conclusion du contrat"
TRAVAIL = "Travail en cours"
ECARTE = "Écarté"

C1 = "69806790a1b2c3d4e5f60001"  # Boulangerie Dupain
C2 = "698b1460a1b2c3d4e5f60002"  # Studio Lumière
C3 = "691c89f0a1b2c3d4e5f60003"  # Garage Martin
C4 = "696f3d08a1b2c3d4e5f60004"  # Cabinet Rousseau
C5 = "699c507ca1b2c3d4e5f60005"  # Librairie Page
C6 = "69a7fdf0a1b2c3d4e5f60006"  # Fromagerie Lambert (new in the incremental window)
C7 = "683c1690a1b2c3d4e5f60007"  # Traiteur Blanc (its list gets archived)


def make_adapter(
    sleeps: list[float] | None = None,
    progress: list[tuple[int, int]] | None = None,
    **fields: str,
) -> TrelloAdapter:
    default_fields = {
        "amount": "Montant",
        "probability": "Probabilité",
        "client": "Client",
        "expected_close": "Date de signature",
        "contact": "Contact",
        "lost_reason": "Raison de la perte",
    }
    return build(
        TrelloAdapter,
        {"kind": "trello", "name": "agence", "board": BOARD, "fields": fields or default_fields},
        SECRETS,
        sleeps=sleeps,
        progress=progress,
    )


def test_settings_defaults_and_registry() -> None:
    settings = validate_source({"kind": "trello", "board": BOARD})
    assert isinstance(settings, TrelloSettings)
    assert settings.base_url == "https://api.trello.com/1"
    assert TrelloAdapter.secret_names == ("TRELLO_API_KEY", "TRELLO_TOKEN")
    assert TrelloAdapter.has_history


def test_card_creation_time_comes_from_the_id() -> None:
    assert card_created(C1) == utc("2026-02-02T09:00:00")
    assert (
        utc_iso(datetime(2026, 3, 2, 9, 0, tzinfo=UTC), millis=True) == "2026-03-02T09:00:00.000Z"
    )


def test_field_history_from_update_actions(cassette: Cassette, tmp_path: Path) -> None:
    adapter = make_adapter()
    with cassette("trello/field_history.yaml") as cass:
        tasks = by_id(list(adapter.fetch(None)))
        assert cass.all_played
    # the date custom field holds Lumière's close date: its due-date action is not that history
    assert tasks[C2].field_history == [
        FieldChange(utc("2026-02-10T09:00:00"), "expected_close", date(2026, 4, 30),
                    date(2026, 5, 15)),
        FieldChange(utc("2026-02-11T14:00:00"), "probability", 20.0, 40.0),
    ]  # fmt: skip
    # Librairie Page has no date custom field: its due date is the close date, history included
    assert tasks[C5].field_history == [
        FieldChange(utc("2026-02-25T16:00:00"), "expected_close", date(2026, 3, 15),
                    date(2026, 3, 31)),
        FieldChange(utc("2026-02-26T09:30:00"), "amount", 1000.0, 1200.5),
    ]  # fmt: skip
    assert tasks[C1].field_history == []

    store = store_at(tmp_path / "p.db")
    with cassette("trello/field_history.yaml"):
        sync_source(store, PIPELINE, make_adapter(), now=lambda: utc("2026-03-01T08:00:00"))
    rows = store.rows("SELECT deal_id, at, field, from_value, to_value, origin FROM field_changes"
                      " WHERE deal_id = ? ORDER BY at", (f"agence:{C5}",))  # fmt: skip
    assert [(r["at"], r["field"], r["from_value"], r["to_value"], r["origin"]) for r in rows] == [
        ("2026-02-25T16:00:00+00:00", "expected_close", "2026-03-15", "2026-03-31", "tool"),
        ("2026-02-26T09:30:00+00:00", "amount", "1000.0", "1200.5", "tool"),
    ]


def test_full_sync(cassette: Cassette) -> None:
    progress: list[tuple[int, int]] = []
    adapter = make_adapter(progress=progress)
    with cassette("trello/full_sync.yaml") as cass:
        tasks = by_id(list(adapter.fetch(None)))
        assert cass.all_played
    assert adapter.client.requests_made == 3  # board, actions, cards
    assert set(tasks) == {C1, C2, C3, C4, C5}
    assert progress == [(1, 0), (2, 0), (3, 5)]

    dupain = tasks[C1]
    assert dupain.title == "Refonte du site - Boulangerie Dupain"
    assert dupain.status == BALLE
    assert dupain.owner == "Marie Dupont"
    assert dupain.owner_email is None  # Trello does not share e-mails
    assert dupain.amount == 12000.0 and dupain.currency == "EUR"  # "12 000 €", narrow no-break
    assert dupain.probability == 60.0
    assert dupain.client == "Boulangerie Dupain"  # dropdown option resolved by idValue
    assert dupain.contact == "Paul Dupain"
    assert dupain.expected_close == date(2026, 4, 30)  # no "Date de signature": the due date
    assert dupain.started == utc("2026-02-02T09:00:00")
    assert dupain.last_modified == utc("2026-02-20T10:15:00")
    assert dupain.url == "https://trello.com/c/aB3dE5fG/12-refonte-du-site-boulangerie-dupain"
    assert not dupain.removed and dupain.warnings == []
    # Real move times; the list renamed since ("Appel & devis") shows under its current name.
    assert dupain.history == [
        StatusChange(utc("2026-02-02T09:00:00"), QUALIF, None),
        StatusChange(utc("2026-02-05T14:30:00"), DEVIS, QUALIF),
        StatusChange(utc("2026-02-20T10:15:00"), BALLE, DEVIS),
    ]

    lumiere = tasks[C2]
    assert lumiere.owner == "Julien Moreau"  # the first member
    assert lumiere.amount is None
    assert lumiere.warnings == [
        "card 'Identité visuelle - Studio Lumière' (698b1460a1b2c3d4e5f60002): field 'Montant' "
        "value 'abc' is not an amount; left empty"
    ]
    assert lumiere.probability == 40.0  # number field 0.4 is a fraction
    assert lumiere.expected_close == date(2026, 5, 15)  # the date custom field wins over due
    assert lumiere.history == [  # copied into the first list, then moved
        StatusChange(utc("2026-02-10T11:20:00"), QUALIF, None),
        StatusChange(utc("2026-02-12T16:00:00"), DEVIS, QUALIF),
    ]

    martin = tasks[C3]
    assert martin.status == ECARTE and martin.owner is None
    assert martin.amount == 8000.0
    assert martin.lost_reason == "Budget reporté à 2027"
    assert martin.started == utc("2025-11-18T15:00:00")
    # Moved in from another board into a list that is no longer here: its name of the time.
    assert martin.history == [
        StatusChange(utc("2025-12-01T10:00:00"), "Prospection 2025", None),
        StatusChange(utc("2026-01-15T09:00:00"), ECARTE, "Prospection 2025"),
    ]

    rousseau = tasks[C4]
    assert rousseau.amount == 4500.5 and rousseau.client == "Cabinet Rousseau"
    # No action at all: created in the list it is still in, at the time its id says.
    assert rousseau.history == [StatusChange(utc("2026-01-20T08:30:00"), QUALIF, None)]

    page = tasks[C5]
    assert page.amount == 1200.5 and page.probability == 100.0
    assert page.expected_close == date(2026, 3, 31)
    assert page.history == [  # converted from a checklist item
        StatusChange(utc("2026-02-23T13:05:00"), CONCLUSION, None),
        StatusChange(utc("2026-02-27T17:00:00"), TRAVAIL, CONCLUSION),
    ]


def test_custom_field_names_default_to_the_deal_field_names(cassette: Cassette) -> None:
    adapter = make_adapter(client="Client")  # "amount" not renamed: no field is called "amount"
    with cassette("trello/full_sync.yaml"):
        tasks = by_id(list(adapter.fetch(None)))
    assert tasks[C1].client == "Boulangerie Dupain"
    assert tasks[C1].amount is None and tasks[C2].warnings == []


def test_incremental_sync(cassette: Cassette) -> None:
    adapter = make_adapter()
    since = datetime(2026, 3, 2, 9, 5, tzinfo=ZoneInfo("Europe/Paris"))  # 08:05 UTC
    with cassette("trello/incremental.yaml") as cass:
        tasks = by_id(list(adapter.fetch(window_start(adapter, since))))
        assert cass.all_played
        sent = dict(next(r for r in cass.requests if r.path.endswith("/actions")).query)
    # the bookmark minus the 5-minute overlap, as Trello writes dates
    assert sent["since"] == "2026-03-02T08:00:00.000Z"
    # board, actions since, open cards, and each card archived since (read by itself; one of
    # them was deleted meanwhile: its 404 is skipped, the sync goes on)
    assert adapter.client.requests_made == 5
    # Unchanged cards (C2, C5) and a card archived long ago are not yielded.
    assert set(tasks) == {C1, C3, C4, C6, C7}

    dupain = tasks[C1]
    assert dupain.status == CONCLUSION and not dupain.removed
    assert dupain.probability == 80.0
    assert dupain.history == [StatusChange(utc("2026-03-03T16:45:00"), CONCLUSION, BALLE)]

    assert tasks[C3].removed  # archived since the bookmark, read by itself: data kept
    assert (tasks[C3].status, tasks[C3].title) == (ECARTE, "Application mobile - Garage Martin")
    assert tasks[C7].removed  # its list was archived since the bookmark
    assert not tasks[C4].removed and tasks[C4].amount == 5000.0  # custom field edited only
    assert tasks[C4].history == []  # no move: the engine keeps what it knows

    lambert = tasks[C6]
    assert lambert.title == "Campagne print - Fromagerie Lambert"
    assert lambert.owner == "Marie Dupont" and lambert.amount == 3200.0
    assert lambert.history == [StatusChange(utc("2026-03-04T09:40:00"), QUALIF, None)]


def test_actions_on_a_second_page(cassette: Cassette, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(TrelloAdapter, "actions_page_size", 5)
    monkeypatch.setattr(TrelloAdapter, "cards_page_size", 3)
    progress: list[tuple[int, int]] = []
    adapter = make_adapter(progress=progress)
    with cassette("trello/second_page.yaml") as cass:
        tasks = by_id(list(adapter.fetch(None)))
        assert cass.all_played
        befores = sorted(dict(r.query).get("before", "") for r in cass.requests)
    assert befores[-2:] == [C1, "698b14607e1d2c3b4a5f6003"]  # oldest card, oldest action
    assert adapter.client.requests_made == 5
    assert progress == [(1, 0), (2, 0), (3, 0), (4, 3), (5, 5)]
    assert set(tasks) == {C1, C2, C3, C4, C5}
    # C1's creation and first move are on page 2, its last move on page 1: all three are kept.
    assert [change.at for change in tasks[C1].history] == [
        utc("2026-02-02T09:00:00"),
        utc("2026-02-05T14:30:00"),
        utc("2026-02-20T10:15:00"),
    ]
    assert tasks[C2].history[0] == StatusChange(utc("2026-02-10T11:20:00"), QUALIF, None)


def test_rate_limited_then_served(cassette: Cassette, sleeps: list[float]) -> None:
    adapter = make_adapter(sleeps=sleeps)
    with cassette("trello/rate_limited.yaml") as cass:
        tasks = by_id(list(adapter.fetch(None)))
        assert cass.all_played
    # No Retry-After on Trello's 429: one jittered backoff of 0.5-1 s, then the same request.
    assert len(sleeps) == 1 and 0.5 <= sleeps[0] <= 1.0
    assert adapter.client.requests_made == 4
    assert set(tasks) == {C1, C2, C3, C4, C5}
    assert len(tasks[C1].history) == 3 and tasks[C1].amount == 12000.0


def test_server_error_then_served(cassette: Cassette, sleeps: list[float]) -> None:
    adapter = make_adapter(sleeps=sleeps)
    with cassette("trello/server_error.yaml") as cass:
        tasks = by_id(list(adapter.fetch(None)))
        assert cass.all_played
    assert len(sleeps) == 1 and adapter.client.requests_made == 4
    assert set(tasks) == {C1, C2, C3, C4, C5}
    assert tasks[C5].history[-1] == StatusChange(utc("2026-02-27T17:00:00"), TRAVAIL, CONCLUSION)


def test_unauthorized_names_the_variables_and_hides_them(cassette: Cassette) -> None:
    adapter = make_adapter()
    with cassette("trello/unauthorized.yaml"), pytest.raises(AuthError) as caught:
        list(adapter.fetch(None))
    message = str(caught.value)
    assert "TRELLO_API_KEY" in message and "TRELLO_TOKEN" in message
    assert "401" in message and "agence" in message
    assert FAKE_KEY not in message and FAKE_TOKEN not in message
    assert "key=" not in message and "token=" not in message


def test_cassettes_hold_no_secret() -> None:
    for path in (Path(__file__).parent.parent / "cassettes" / "trello").glob("*.yaml"):
        text = path.read_text()
        assert "key=" not in text and "token=" not in text, path.name
