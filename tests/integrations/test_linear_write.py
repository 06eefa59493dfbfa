"""Linear write-back from Slack and webhook registration, against hand-written cassettes in the
shapes of Linear's GraphQL API (tests/cassettes/linear/write_*.yaml, webhook_*.yaml): `issueUpdate`
with the `stateId` of the team's workflow state named by the status and the `dueDate`, one
`commentCreate` for a lost reason and a next step; refusals (no such state, a read-only key, still
rate limited) said in French or English, nothing changed."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from bot.i18n import localise
from integrations.base import DealUpdate, Webhook, WriteRefused
from integrations.linear import (
    COMMENT_QUERY,
    CREATE_WEBHOOK_QUERY,
    UPDATE_QUERY,
    WRITE_TARGET_QUERY,
    LinearAdapter,
)
from tests.integrations.support import WITH_BODY, Cassette, body, build, record_requests

ISSUE = "3f1c8b2e-7a4d-4e0b-9c1d-2e3f4a5b6c01"
SOURCE = {"kind": "linear", "name": "produit", "team": "SAL"}
SECRETS = {"LINEAR_API_KEY": "lin_api_FAKE", "LINEAR_WEBHOOK_SECRET": "whsec_FAKE0linear0secret"}
MOVE = DealUpdate(status="Balle dans le camp du client", expected_close=date(2026, 12, 18))
URL = "https://bot.agence-exemple.fr/webhooks/produit"
#: the recordings' clock (2026-11-30T12:00:00Z): Linear's reset header is an epoch time
CLOCK = 1796040000.0


def make(sleeps: list[float] | None = None, **http_options: Any) -> LinearAdapter:
    return build(LinearAdapter, SOURCE, SECRETS, sleeps=sleeps, clock=lambda: CLOCK,
                 **http_options)  # fmt: skip


def sent_queries(sent: list[Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(body(r)["query"], body(r)["variables"]) for r in sent]


def test_a_move_sets_the_teams_state_and_the_due_date(cassette: Cassette) -> None:
    adapter = make()
    assert adapter.writable
    sent = record_requests(adapter)
    with cassette("linear/write_move.yaml", match_on=WITH_BODY) as cass:
        adapter.write("SAL-1", MOVE)
    assert cass.all_played
    assert sent_queries(sent) == [
        (WRITE_TARGET_QUERY, {"id": "SAL-1"}),
        (UPDATE_QUERY, {"id": ISSUE, "input": {"stateId": "7ce3aa00-1b2c-4d3e-8f4a-5b6c7d8e9f0a",
                                                "dueDate": "2026-12-18"}}),
    ]  # fmt: skip


def test_a_lost_deal_is_cancelled_with_one_comment_even_when_clicked_twice(
    cassette: Cassette,
) -> None:
    adapter = make()
    sent = record_requests(adapter)
    lost = DealUpdate(status="Écarté", lost_reason="Budget coupé", next_step="Rappeler en janvier")
    with cassette("linear/write_lost_twice.yaml", match_on=WITH_BODY) as cass:
        adapter.write("SAL-1", lost)
        adapter.write("SAL-1", lost)
    assert cass.all_played
    comments = [v for q, v in sent_queries(sent) if q == COMMENT_QUERY]
    assert comments == [
        {
            "input": {
                "issueId": ISSUE,
                "body": "Raison de la perte : Budget coupé\nProchaine étape : Rappeler en janvier",
            }
        }
    ]


def test_a_state_the_team_lacks_is_refused_before_any_change(cassette: Cassette) -> None:
    adapter = make()
    sent = record_requests(adapter)
    with cassette("linear/write_unknown_status.yaml"), pytest.raises(WriteRefused) as refused:
        adapter.write("SAL-1", DealUpdate(status="Signé"))
    assert len(sent) == 1
    said = refused.value.args[0]
    assert localise(said, "fr").startswith(
        "la source « produit » n'a pas de statut « Signé » dans « SAL » (elle a : client sur le "
        "point d'arriver, appel et devis"
    )
    assert "nothing was changed" in localise(said, "en")


def test_a_read_only_key_is_told_it_cannot_write(cassette: Cassette) -> None:
    adapter = make()
    with cassette("linear/write_403.yaml"), pytest.raises(WriteRefused) as refused:
        adapter.write("SAL-1", MOVE)
    said = refused.value.args[0]
    assert localise(said, "fr").startswith(
        "la source « produit » a refusé la modification (HTTP 403) : le jeton peut lire"
    )
    assert localise(said, "en").startswith("source 'produit' refused the change (HTTP 403)")


def test_ratelimited_is_waited_out_until_the_reset_then_the_move_goes_through(
    cassette: Cassette, sleeps: list[float]
) -> None:
    adapter = make(sleeps)
    with cassette("linear/write_429_then_ok.yaml", match_on=WITH_BODY) as cass:
        adapter.write("SAL-1", MOVE)
    assert cass.all_played and sleeps == [20.0]


def test_still_ratelimited_after_the_retries_is_a_refusal(
    cassette: Cassette, sleeps: list[float]
) -> None:
    adapter = make(sleeps, max_retries=1)
    with cassette("linear/write_429_twice.yaml"), pytest.raises(WriteRefused) as refused:
        adapter.write("SAL-1", MOVE)
    assert localise(refused.value.args[0], "fr") == (
        "la source « produit » demande encore de ralentir : rien n'a été modifié, réessayez dans "
        "une minute"
    )


def test_webhooks_are_created_for_the_team_listed_and_deleted(cassette: Cassette) -> None:
    adapter = make()
    sent = record_requests(adapter)
    with cassette("linear/webhook_register.yaml", match_on=WITH_BODY) as cass:
        hook = adapter.register_webhook(URL)
    assert cass.all_played and hook == Webhook(id="b7e1f0c2-3d4a-4b5c-9d6e-7f8a9b0c1d2e", url=URL)
    created = sent_queries(sent)[-1]
    assert created[0] == CREATE_WEBHOOK_QUERY
    assert created[1]["input"]["secret"] == SECRETS["LINEAR_WEBHOOK_SECRET"]
    assert created[1]["input"]["resourceTypes"] == ["Issue", "Comment"]
    with cassette("linear/webhook_list.yaml", match_on=WITH_BODY):
        assert adapter.list_webhooks() == [hook]  # the other team's webhook is not ours
    with cassette("linear/webhook_remove.yaml", match_on=WITH_BODY) as cass:
        adapter.remove_webhook(hook.id)
    assert cass.all_played


def test_registering_without_a_signing_secret_is_refused_before_asking_linear() -> None:
    adapter = build(LinearAdapter, SOURCE, {"LINEAR_API_KEY": "lin_api_FAKE"})
    with pytest.raises(WriteRefused) as refused:
        adapter.register_webhook(URL)
    assert localise(refused.value.args[0], "fr").startswith(
        "source « produit » : définissez d'abord LINEAR_WEBHOOK_SECRET"
    )


def test_a_members_key_cannot_create_webhooks(cassette: Cassette) -> None:
    adapter = make()
    with cassette("linear/webhook_register_refused.yaml"), pytest.raises(WriteRefused) as refused:
        adapter.register_webhook(URL)
    assert localise(refused.value.args[0], "en").startswith(
        "source 'produit' refused the change (HTTP 403)"
    )
