"""Notion write-back from Slack, against hand-written cassettes in the shapes of the Notion API
2022-06-28 (tests/cassettes/notion/write_*.yaml): `PATCH /v1/pages/{id}` with the status option as
the database spells it, the close date and the named text properties; a comment for what has no
property; refusals (unknown status, 403, still rate limited) said to the clicker in French or
English, with nothing changed."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from bot.i18n import localise
from integrations.base import DealUpdate, WriteRefused
from integrations.notion import NotionAdapter
from tests.integrations.support import WITH_BODY, Cassette, body, build, record_requests

DB = "8a3c2f5e-4b71-4d0e-9f12-6c7d8e9fa0b1"
PAGE = "59833787-2cf9-4fdf-8782-e53db20768a5"
SOURCE = {
    "kind": "notion",
    "name": "ventes",
    "database": DB,
    "status_property": "Statut",
    "fields": {"lost_reason": "Raison de la perte", "expected_close": "Date de signature prévue"},
}
MOVE = DealUpdate(status="balle dans le camp du client", expected_close=date(2026, 12, 18))


def make(sleeps: list[float] | None = None, **http_options: Any) -> NotionAdapter:
    return build(NotionAdapter, SOURCE, {"NOTION_TOKEN": "secret_FAKE"}, sleeps=sleeps,
                 **http_options)  # fmt: skip


def test_a_move_patches_the_page_with_the_status_as_notion_spells_it(cassette: Cassette) -> None:
    adapter = make()
    assert adapter.writable
    sent = record_requests(adapter)
    with cassette("notion/write_move.yaml", match_on=WITH_BODY):
        adapter.write(PAGE, MOVE)
    assert [(r.method, r.path_url) for r in sent] == [
        ("GET", f"/v1/databases/{DB}"),
        ("PATCH", f"/v1/pages/{PAGE}"),
    ]
    assert body(sent[1]) == {
        "properties": {
            "Statut": {"status": {"name": "Balle dans le camp du client"}},
            "Date de signature prévue": {"date": {"start": "2026-12-18"}},
        }
    }


def test_a_lost_reason_fills_its_property_and_the_next_step_is_commented_once(
    cassette: Cassette,
) -> None:
    adapter = make()
    sent = record_requests(adapter)
    lost = DealUpdate(status="Écarté", lost_reason="Budget coupé", next_step="Rappeler en janvier")
    with cassette("notion/write_lost_twice.yaml", match_on=WITH_BODY):
        adapter.write(PAGE, lost)
        adapter.write(PAGE, lost)  # the same click again: no second comment
    posts = [r for r in sent if r.method == "POST"]
    assert len(posts) == 1 and posts[0].path_url == "/v1/comments"
    assert body(posts[0]) == {
        "parent": {"page_id": PAGE},
        "rich_text": [
            {"type": "text", "text": {"content": "Prochaine étape : Rappeler en janvier"}}
        ],
    }
    patches = [body(r) for r in sent if r.method == "PATCH"]
    assert len(patches) == 2 and patches[0] == patches[1]
    assert patches[0]["properties"]["Raison de la perte"] == {
        "rich_text": [{"type": "text", "text": {"content": "Budget coupé"}}]
    }


def test_an_english_agency_gets_its_comment_in_english(cassette: Cassette) -> None:
    adapter = make()
    sent = record_requests(adapter)
    with cassette("notion/write_comment_en.yaml", match_on=WITH_BODY) as cass:
        adapter.write(PAGE, DealUpdate(next_step="Call back in January", language="en"))
    assert cass.all_played and [r.method for r in sent] == ["GET", "POST"]
    assert body(sent[-1])["rich_text"][0]["text"]["content"] == "Next step: Call back in January"


def test_a_status_the_database_lacks_is_refused_before_any_write(cassette: Cassette) -> None:
    adapter = make()
    sent = record_requests(adapter)
    with cassette("notion/write_unknown_status.yaml"), pytest.raises(WriteRefused) as refused:
        adapter.write(PAGE, DealUpdate(status="Signé"))
    assert [r.method for r in sent] == ["GET"]
    said = refused.value.args[0]
    assert localise(said, "fr").startswith(
        "la source « ventes » n'a pas de statut « Signé » dans « Statut » (elle a : Client sur le "
        "point d'arriver, Appel et devis, Balle dans le camp du client"
    )
    assert "set the stage's `status` in pipeline.toml" in localise(said, "en")


def test_a_read_only_integration_is_told_it_cannot_write(cassette: Cassette) -> None:
    adapter = make()
    with cassette("notion/write_403.yaml"), pytest.raises(WriteRefused) as refused:
        adapter.write(PAGE, MOVE)
    said = refused.value.args[0]
    assert localise(said, "fr").startswith(
        "la source « ventes » a refusé la modification (HTTP 403) : le jeton peut lire mais pas "
        "écrire"
    )
    assert localise(said, "en").startswith("source 'ventes' refused the change (HTTP 403)")


def test_a_rate_limit_is_waited_out_then_the_write_goes_through(
    cassette: Cassette, sleeps: list[float]
) -> None:
    adapter = make(sleeps)
    sent = record_requests(adapter)
    with cassette("notion/write_429_then_ok.yaml", match_on=WITH_BODY):
        adapter.write(PAGE, MOVE)
    assert sleeps == [2.0]
    assert [r.method for r in sent] == ["GET", "PATCH", "PATCH"]


def test_still_rate_limited_after_the_retries_is_a_refusal(
    cassette: Cassette, sleeps: list[float]
) -> None:
    adapter = make(sleeps, max_retries=1)
    with cassette("notion/write_429_twice.yaml"), pytest.raises(WriteRefused) as refused:
        adapter.write(PAGE, MOVE)
    assert sleeps == [2.0]
    assert localise(refused.value.args[0], "fr") == (
        "la source « ventes » demande encore de ralentir : rien n'a été modifié, réessayez dans "
        "une minute"
    )


def test_notion_webhooks_are_made_on_the_integration_page() -> None:
    adapter = make()
    with pytest.raises(WriteRefused) as refused:
        adapter.register_webhook("https://bot.agence.fr/webhooks/ventes")
    said = refused.value.args[0]
    assert (
        "Notion n'a pas d'API pour créer, lister ou supprimer des webhooks : ajoutez "
        "https://bot.agence.fr/webhooks/ventes dans la page de réglages" in localise(said, "fr")
    )
    with pytest.raises(WriteRefused):
        adapter.list_webhooks()
    with pytest.raises(WriteRefused):
        adapter.remove_webhook("any")
