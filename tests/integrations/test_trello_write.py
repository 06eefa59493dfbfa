"""Trello write-back and webhooks against hand-written cassettes of Trello's documented calls.

What a user notices: the card lands in the list of that name (« Balle dans le camp du client »
for a deal moved to negotiation), the custom fields and due date hold what was asked, and a
refusal is one sentence, French by default, with nothing written.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from bot.i18n import localise, said_of
from integrations.base import DealUpdate, Webhook, WriteRefused
from integrations.csv_source import CsvAdapter
from integrations.trello import TrelloAdapter
from tests.integrations.support import Cassette, body, build, query, record_requests

SECRETS = {"TRELLO_API_KEY": "fake-trello-key-0123456789abcdef",
           "TRELLO_TOKEN": "fake-trello-token-ATTA0123456789abcdef"}  # fmt: skip
BOARD = "65f0c3a2b1d4e5f6a7b8c9d0"
LUMIERE = "698b1460a1b2c3d4e5f60002"
BALLE_LIST = "65f0c3a2b1d4e5f6a7b8c9e3"
ECARTE_LIST = "65f0c3a2b1d4e5f6a7b8c9e6"
HOOK_URL = "https://pipeline.agence.example/webhooks/agence"


def trello(fields: dict[str, str] | None = None, **http_options: Any) -> TrelloAdapter:
    raw = {"kind": "trello", "name": "agence", "board": BOARD, "fields": fields or {}}
    return build(TrelloAdapter, raw, SECRETS, **http_options)


def refusal(caught: pytest.ExceptionInfo[WriteRefused]) -> tuple[str, str]:
    """The refusal as the clicker reads it: (French, English)."""
    said = said_of(caught.value)
    return localise(said, "fr"), localise(said, "en")


def test_trello_is_writable_and_sheets_are_not() -> None:
    assert TrelloAdapter.writable and not CsvAdapter.writable


def test_move_to_the_list_named_by_the_status_twice(cassette: Cassette) -> None:
    adapter = trello()
    sent = record_requests(adapter)
    with cassette("trello/write_move.yaml") as cass:
        adapter.write(LUMIERE, DealUpdate(status="Balle dans le camp du client"))
        # the second identical click (the status as people type it): the same list, no error
        adapter.write(LUMIERE, DealUpdate(status="  balle dans le camp du CLIENT"))
        assert cass.all_played
    moves = [r for r in sent if r.method == "PUT"]
    assert [r.path_url.split("?")[0] for r in moves] == [f"/1/cards/{LUMIERE}"] * 2
    assert [query(r)["idList"] for r in moves] == [[BALLE_LIST], [BALLE_LIST]]
    assert all(r.body is None for r in moves)  # idList as a query parameter, as documented


def test_unknown_list_is_refused_and_nothing_written(cassette: Cassette) -> None:
    adapter = trello()
    sent = record_requests(adapter)
    with cassette("trello/write_unknown_list.yaml"), pytest.raises(WriteRefused) as caught:
        adapter.write(LUMIERE, DealUpdate(status="Négociation"))
    assert [r.method for r in sent] == ["GET"]
    fr, en = refusal(caught)
    assert fr == (
        "la source « agence » n'a pas de statut « Négociation » dans Trello (elle a : Client sur "
        "le point d'arriver, Appel et devis, Balle dans le camp du client, Conclusion du contrat, "
        "Travail en cours, Écarté, Archives 2025) : rien n'a été modifié ; indiquez le `status` "
        "de l'étape dans pipeline.toml"
    )
    assert en.startswith("source 'agence' has no status « Négociation » in Trello (it has: ")


def test_lost_with_reason_next_step_and_close_date_in_named_fields(cassette: Cassette) -> None:
    adapter = trello({"lost_reason": "Motif de perte", "next_step": "Prochaine étape",
                      "expected_close": "Date de signature"})  # fmt: skip
    sent = record_requests(adapter)
    update = DealUpdate(status="Écarté", lost_reason="budget reporte",
                        next_step="Relancer en septembre", expected_close=date(2026, 9, 15))  # fmt: skip
    with cassette("trello/write_fields.yaml") as cass:
        adapter.write(LUMIERE, update)
        assert cass.all_played
    writes = [r for r in sent if r.method == "PUT"]
    assert query(writes[0])["idList"] == [ECARTE_LIST]
    items = {r.path_url.split("/")[-2]: body(r) for r in writes[1:]}
    assert items == {
        "66a1b2c3d4e5f60718293a07": {"idValue": "66a1b2c3d4e5f60718293c01"},  # « Budget reporté »
        "66a1b2c3d4e5f60718293a08": {"value": {"text": "Relancer en septembre"}},
        "66a1b2c3d4e5f60718293a04": {"value": {"date": "2026-09-15T12:00:00.000Z"}},
    }
    assert not any(r.method == "POST" for r in sent)  # every value had its field: no comment


def test_reason_not_among_the_dropdown_options_is_refused(cassette: Cassette) -> None:
    adapter = trello({"lost_reason": "Motif de perte"})
    sent = record_requests(adapter)
    with cassette("trello/write_unknown_option.yaml"), pytest.raises(WriteRefused) as caught:
        adapter.write(LUMIERE, DealUpdate(status="Écarté", lost_reason="Trop cher"))
    assert [r.method for r in sent] == ["GET", "GET"]  # looked up, nothing moved
    fr, en = refusal(caught)
    assert fr == ("le champ Trello « Motif de perte » n'a pas d'option « Trop cher » (il a : "
                  "Budget reporté, Concurrent choisi) : rien n'a été modifié")  # fmt: skip
    assert en == ("the Trello field « Motif de perte » has no option « Trop cher » (it has: "
                  "Budget reporté, Concurrent choisi): nothing was changed")  # fmt: skip


def test_next_step_as_a_comment_and_close_date_as_the_due_date(cassette: Cassette) -> None:
    adapter = trello()
    sent = record_requests(adapter)
    update = DealUpdate(
        next_step="Relancer le client sur le devis", expected_close=date(2026, 4, 30)
    )
    with cassette("trello/write_comment_due.yaml") as cass:
        adapter.write(LUMIERE, update)
        assert cass.all_played
    put, comment = sent
    assert query(put)["due"] == ["2026-04-30T12:00:00.000Z"] and "idList" not in query(put)
    assert comment.path_url.startswith(f"/1/cards/{LUMIERE}/actions/comments?")
    assert query(comment)["text"] == ["Prochaine étape : Relancer le client sur le devis"]


def test_refused_permission_is_said_without_the_token(cassette: Cassette) -> None:
    adapter = trello()
    with cassette("trello/write_unauthorized.yaml"), pytest.raises(WriteRefused) as caught:
        adapter.write(LUMIERE, DealUpdate(status="Balle dans le camp du client"))
    fr, en = refusal(caught)
    assert fr == ("la source « agence » a refusé la modification (HTTP 401) : le jeton peut lire "
                  "mais pas écrire ; donnez-lui le droit de modifier (voir docs/webhooks.md)")  # fmt: skip
    assert en.startswith("source 'agence' refused the change (HTTP 401): the token may read but")
    assert SECRETS["TRELLO_TOKEN"] not in fr + en


def test_rate_limited_then_moved(cassette: Cassette, sleeps: list[float]) -> None:
    adapter = trello(sleep=sleeps.append)
    sent = record_requests(adapter)
    with cassette("trello/write_rate_limited.yaml") as cass:
        adapter.write(LUMIERE, DealUpdate(status="Balle dans le camp du client"))
        assert cass.all_played
    assert [r.method for r in sent] == ["GET", "PUT", "PUT"]  # the same PUT, once more
    assert len(sleeps) == 1 and 0.5 <= sleeps[0] <= 1.0  # no Retry-After: jittered backoff


def test_still_rate_limited_after_the_retries_is_refused(
    cassette: Cassette, sleeps: list[float]
) -> None:
    adapter = trello(sleep=sleeps.append, max_retries=1)
    with (
        cassette("trello/write_rate_limited_out.yaml") as cass,
        pytest.raises(WriteRefused) as caught,
    ):
        adapter.write(LUMIERE, DealUpdate(status="Balle dans le camp du client"))
    assert cass.all_played and len(sleeps) == 1
    fr, en = refusal(caught)
    assert fr == ("la source « agence » demande encore de ralentir : rien n'a été modifié, "
                  "réessayez dans une minute")  # fmt: skip
    assert en == ("source 'agence' is still asking to slow down: nothing was changed, try again "
                  "in a minute")  # fmt: skip


def test_webhooks_register_list_remove(cassette: Cassette) -> None:
    adapter = trello()
    sent = record_requests(adapter)
    with cassette("trello/webhooks.yaml") as cass:
        made = adapter.register_webhook(HOOK_URL)
        listed = adapter.list_webhooks()
        adapter.remove_webhook(made.id)
        assert cass.all_played
    assert made == Webhook("69aa01b2c3d4e5f6a7b8c901", HOOK_URL)
    assert listed == [made]  # the token's webhook on another board is not this source's
    post = next(r for r in sent if r.method == "POST")
    assert query(post) == {"idModel": [BOARD], "callbackURL": [HOOK_URL],
                           "description": ["pipeline-bot: source 'agence'"],
                           "key": [SECRETS["TRELLO_API_KEY"]],
                           "token": [SECRETS["TRELLO_TOKEN"]]}  # fmt: skip
    assert sent[-1].method == "DELETE" and sent[-1].path_url.startswith(
        "/1/webhooks/69aa01b2c3d4e5f6a7b8c901?"
    )


def test_callback_that_fails_trellos_check_is_refused(cassette: Cassette) -> None:
    adapter = trello()
    with cassette("trello/webhook_head_failed.yaml"), pytest.raises(WriteRefused) as caught:
        adapter.register_webhook(HOOK_URL)
    fr, en = refusal(caught)
    assert fr.startswith("la source « agence » a refusé la modification : source 'agence' : "
                         "POST /1/webhooks a échoué (HTTP 400) : URL (")  # fmt: skip
    assert en.endswith("did not return 200 status code, got 404")
    assert SECRETS["TRELLO_TOKEN"] not in fr + en


def test_listing_with_a_refused_token_does_not_show_it(cassette: Cassette) -> None:
    adapter = trello()
    with cassette("trello/webhooks_list_refused.yaml") as cass:
        with pytest.raises(WriteRefused) as caught:
            adapter.list_webhooks()
        assert cass.all_played
    fr, en = refusal(caught)
    assert "HTTP 401" in fr and "HTTP 401" in en
    assert SECRETS["TRELLO_TOKEN"] not in fr + en + repr(caught.value.__cause__)


def test_field_the_board_lacks_is_refused(cassette: Cassette) -> None:
    adapter = trello({"next_step": "Étape suivante"})
    sent = record_requests(adapter)
    with cassette("trello/write_unknown_option.yaml"), pytest.raises(WriteRefused) as caught:
        adapter.write(LUMIERE, DealUpdate(status="Écarté", next_step="Rappeler en mai"))
    assert [r.method for r in sent] == ["GET", "GET"]  # looked up, nothing moved
    fr, en = refusal(caught)
    assert fr == ("la source « agence » n'a pas de champ « Étape suivante » (pour next_step) : "
                  "rien n'a été modifié ; vérifiez [sources.fields] dans pipeline.toml")  # fmt: skip
    assert en.startswith("source 'agence' has no field « Étape suivante » (for next_step)")
