"""Asana write-back (sections, custom fields, stories) and webhooks against hand-written
cassettes of Asana's documented calls: what is sent, and what the clicker reads on a refusal."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from bot.i18n import localise, said_of
from integrations.asana import AsanaAdapter
from integrations.base import DealUpdate, Webhook, WriteRefused
from tests.integrations.support import Cassette, body, build, record_requests

SECRETS = {"ASANA_TOKEN": "2/1209876543200001/1209876543299999:fakeasanatoken0123456789"}
PROJECT = "1209876543210001"
LUMIERE = "1209876543210102"
HOOK_URL = "https://pipeline.agence.example/webhooks/affaires"


def asana(fields: dict[str, str] | None = None, **settings: Any) -> AsanaAdapter:
    http = {k: settings.pop(k) for k in ("sleep",) if k in settings}
    raw = {"kind": "asana", "name": "affaires", "project": PROJECT, "fields": fields or {},
           **settings}  # fmt: skip
    return build(AsanaAdapter, raw, SECRETS, **http)


def refusal(caught: pytest.ExceptionInfo[WriteRefused]) -> tuple[str, str]:
    said = said_of(caught.value)
    return localise(said, "fr"), localise(said, "en")


def test_moves_to_the_section_once(cassette: Cassette) -> None:
    adapter = asana()
    sent = record_requests(adapter)
    with cassette("asana/write_move.yaml") as cass:
        adapter.write(LUMIERE, DealUpdate(status="Balle dans le camp du client"))
        adapter.write(LUMIERE, DealUpdate(status="Balle dans le camp du client"))
        assert cass.all_played
    posts = [r for r in sent if r.method == "POST"]
    assert len(posts) == 1  # already in that section the second time: not moved to its top
    assert posts[0].path_url == "/api/1.0/sections/1209876543211003/addTask"
    assert body(posts[0]) == {"data": {"task": LUMIERE}}


def test_unknown_section_is_refused(cassette: Cassette) -> None:
    adapter = asana()
    sent = record_requests(adapter)
    with cassette("asana/write_unknown_section.yaml"), pytest.raises(WriteRefused) as caught:
        adapter.write(LUMIERE, DealUpdate(status="Négociation"))
    assert [r.method for r in sent] == ["GET", "GET"]
    fr, en = refusal(caught)
    assert fr.startswith("la source « affaires » n'a pas de statut « Négociation » dans Asana "
                         "(elle a : Client sur le point d'arriver, Appel et devis, ")  # fmt: skip
    assert en.startswith("source 'affaires' has no status « Négociation » in Asana (it has: ")


def test_forbidden_move_is_refused(cassette: Cassette) -> None:
    adapter = asana()
    with cassette("asana/write_forbidden.yaml") as cass, pytest.raises(WriteRefused) as caught:
        adapter.write(LUMIERE, DealUpdate(status="Balle dans le camp du client"))
    assert cass.all_played
    fr, en = refusal(caught)
    assert fr.startswith("la source « affaires » a refusé la modification (HTTP 403)")
    assert en.startswith("source 'affaires' refused the change (HTTP 403)")
    assert SECRETS["ASANA_TOKEN"] not in fr + en


def test_lost_with_named_fields(cassette: Cassette) -> None:
    adapter = asana({"lost_reason": "Raison de la perte", "next_step": "Prochaine étape",
                     "expected_close": "Date de signature"})  # fmt: skip
    sent = record_requests(adapter)
    update = DealUpdate(status="Écarté", lost_reason="budget reporté",
                        next_step="Relancer en septembre", expected_close=date(2026, 9, 15))  # fmt: skip
    with cassette("asana/write_fields.yaml") as cass:
        adapter.write(LUMIERE, update)
        assert cass.all_played
    move = next(r for r in sent if r.method == "POST")
    assert move.path_url == "/api/1.0/sections/1209876543211006/addTask"  # « Écarté »
    put = next(r for r in sent if r.method == "PUT")
    assert body(put) == {"data": {"custom_fields": {
        "1209876543230007": "1209876543240001",  # the enum's option « Budget reporté »
        "1209876543230008": "Relancer en septembre",
        "1209876543230009": {"date": "2026-09-15"},
    }}}  # fmt: skip


def test_status_from_an_enum_field_sets_its_option(cassette: Cassette) -> None:
    adapter = asana(status_field="Étape")
    sent = record_requests(adapter)
    with cassette("asana/write_status_field.yaml") as cass:
        adapter.write(LUMIERE, DealUpdate(status="Balle dans le camp du client"))
        assert cass.all_played
    assert [r.method for r in sent] == ["GET", "PUT"]
    assert body(sent[1]) == {"data": {"custom_fields": {"1209876543230010": "1209876543250003"}}}


def test_comment_and_due_date_after_a_rate_limit(cassette: Cassette, sleeps: list[float]) -> None:
    adapter = asana(sleep=sleeps.append)
    sent = record_requests(adapter)
    update = DealUpdate(
        next_step="Relancer le client sur le devis", expected_close=date(2026, 4, 30)
    )
    with cassette("asana/write_comment_due.yaml") as cass:
        adapter.write(LUMIERE, update)
        assert cass.all_played
    assert sleeps == [2.0]  # Asana's Retry-After
    assert [r.method for r in sent] == ["PUT", "PUT", "POST"]
    assert body(sent[1]) == {"data": {"due_on": "2026-04-30"}}
    assert body(sent[2]) == {"data": {"text": "Prochaine étape : Relancer le client sur le devis"}}


def test_webhooks_register_list_remove(cassette: Cassette) -> None:
    adapter = asana()
    sent = record_requests(adapter)
    with cassette("asana/webhooks.yaml") as cass:
        made = adapter.register_webhook(HOOK_URL)
        listed = adapter.list_webhooks()
        adapter.remove_webhook(made.id)
        assert cass.all_played
    assert made == Webhook("1209876543270001", HOOK_URL)
    assert listed == [made]
    assert body(sent[0]) == {"data": {"resource": PROJECT, "target": HOOK_URL,
                                      "filters": [{"resource_type": "task"}]}}  # fmt: skip
    assert (sent[-1].method, sent[-1].path_url) == ("DELETE", "/api/1.0/webhooks/1209876543270001")
