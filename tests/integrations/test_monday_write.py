"""monday.com write-back from Slack and webhook registration, against hand-written cassettes in
the shapes of the GraphQL API 2024-10 (tests/cassettes/monday/write_*.yaml, webhook_*.yaml):
`change_column_value` with a label the status column lists, `change_multiple_column_values` when the
close date or a named column goes with it (all or nothing), an update (`create_update`) for what has
no column; refusals (unknown label or option, a viewer's token, still rate limited, monday's own
error) said in French or English, nothing changed."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest

from bot.i18n import localise
from integrations.base import DealUpdate, Webhook, WriteRefused
from integrations.monday import (
    CHANGE_MANY_QUERY,
    CHANGE_QUERY,
    COMMENT_QUERY,
    CREATE_WEBHOOK_QUERY,
    WRITE_TARGET_QUERY,
    MondayAdapter,
)
from tests.integrations.support import WITH_BODY, Cassette, body, build, record_requests

BOARD, ITEM = "1234567890", "1823456701"
SOURCE = {
    "kind": "monday",
    "name": "crm",
    "board": BOARD,
    "fields": {"lost_reason": "Raison de la perte", "expected_close": "Date de signature prévue"},
}
MOVE = DealUpdate(status="balle dans le camp du client", expected_close=date(2026, 12, 18))
STATUS = DealUpdate(status="Balle dans le camp du client")
URL = "https://bot.agence-exemple.fr/webhooks/crm"
#: an app's token and its Signing Secret: monday signs the webhooks of apps only
SECRETS = {"MONDAY_TOKEN": "FAKE", "MONDAY_WEBHOOK_SECRET": "FAKE0monday0signing0secret"}


def make(sleeps: list[float] | None = None, **http_options: Any) -> MondayAdapter:
    return build(MondayAdapter, SOURCE, SECRETS, sleeps=sleeps, **http_options)


def sent_queries(sent: list[Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(body(r)["query"], body(r)["variables"]) for r in sent]


def test_a_move_sets_the_status_label_with_change_column_value(cassette: Cassette) -> None:
    adapter = make()
    assert adapter.writable
    sent = record_requests(adapter)
    with cassette("monday/write_status.yaml", match_on=WITH_BODY) as cass:
        adapter.write(ITEM, STATUS)
    assert cass.all_played
    assert sent_queries(sent) == [
        (WRITE_TARGET_QUERY, {"board": [BOARD], "item": [ITEM]}),
        (CHANGE_QUERY, {"board": BOARD, "item": ITEM, "column": "status",
                        "value": json.dumps({"label": "Balle dans le camp du client"})}),
    ]  # fmt: skip


def test_a_move_with_a_close_date_changes_both_columns_in_one_mutation(cassette: Cassette) -> None:
    adapter = make()
    sent = record_requests(adapter)
    with cassette("monday/write_move.yaml", match_on=WITH_BODY) as cass:
        adapter.write(ITEM, MOVE)
    assert cass.all_played and len(sent) == 2
    assert sent_queries(sent)[1] == (
        CHANGE_MANY_QUERY,
        {"board": BOARD, "item": ITEM, "values": json.dumps({
            "status": {"label": "Balle dans le camp du client"},
            "date_mkqa1b2c": {"date": "2026-12-18"}})},
    )  # fmt: skip


def test_a_lost_deal_fills_the_reason_column_and_posts_the_next_step_once(
    cassette: Cassette,
) -> None:
    adapter = make()
    sent = record_requests(adapter)
    lost = DealUpdate(status="écarté", lost_reason="budget coupé", next_step="Rappeler en janvier")
    with cassette("monday/write_lost_twice.yaml", match_on=WITH_BODY) as cass:
        adapter.write(ITEM, lost)
        adapter.write(ITEM, lost)  # the same click again: no second update
    assert cass.all_played
    queries = sent_queries(sent)
    assert [q for q, _ in queries].count(COMMENT_QUERY) == 1
    assert (
        COMMENT_QUERY,
        {"item": ITEM, "body": "Prochaine étape : Rappeler en janvier"},
    ) in queries
    changed = {"status": {"label": "Écarté"}, "dropdown_mkqd3e4f": {"labels": ["Budget coupé"]}}
    assert queries.count((CHANGE_MANY_QUERY, {"board": BOARD, "item": ITEM,
                                              "values": json.dumps(changed)})) == 2  # fmt: skip


def test_a_reason_the_dropdown_lacks_changes_nothing_not_even_the_status(
    cassette: Cassette,
) -> None:
    adapter = make()
    sent = record_requests(adapter)
    lost = DealUpdate(status="Écarté", lost_reason="Budget surprise")
    with cassette("monday/write_unknown_reason.yaml"), pytest.raises(WriteRefused) as refused:
        adapter.write(ITEM, lost)
    assert len(sent) == 1
    assert localise(refused.value.args[0], "fr") == (
        "le champ monday « Raison de la perte » n'a pas d'option « Budget surprise » (il a : "
        "Prix, Budget coupé) : rien n'a été modifié"
    )


def test_mondays_own_refusal_is_said_with_its_message(cassette: Cassette) -> None:
    adapter = make()
    with cassette("monday/write_graphql_error.yaml"), pytest.raises(WriteRefused) as refused:
        adapter.write(ITEM, STATUS)
    said = localise(refused.value.args[0], "fr")
    assert said.startswith("la source « crm » a refusé la modification : source 'crm': monday ")
    assert "invalid value - label does not exist in column" in said
    assert "(ColumnValueException)" in said


def test_a_label_the_column_lacks_is_refused_before_any_change(cassette: Cassette) -> None:
    adapter = make()
    sent = record_requests(adapter)
    with cassette("monday/write_unknown_status.yaml"), pytest.raises(WriteRefused) as refused:
        adapter.write(ITEM, DealUpdate(status="Signé"))
    assert len(sent) == 1
    said = refused.value.args[0]
    assert localise(said, "fr").startswith(
        "la source « crm » n'a pas de statut « Signé » dans « Statut » (elle a : Client sur le "
        "point d'arriver, Travail terminé, Balle dans le camp du client"
    )
    assert localise(said, "en").startswith("source 'crm' has no status « Signé » in « Statut »")


def test_a_viewers_token_is_told_it_cannot_write(cassette: Cassette) -> None:
    adapter = make()
    with cassette("monday/write_403.yaml"), pytest.raises(WriteRefused) as refused:
        adapter.write(ITEM, STATUS)
    said = refused.value.args[0]
    assert localise(said, "fr").startswith(
        "la source « crm » a refusé la modification (HTTP 403) : le jeton peut lire mais pas écrire"
    )
    assert localise(said, "en").startswith("source 'crm' refused the change (HTTP 403)")


def test_a_rate_limit_is_waited_out_then_the_change_goes_through(
    cassette: Cassette, sleeps: list[float]
) -> None:
    adapter = make(sleeps)
    with cassette("monday/write_429_then_ok.yaml", match_on=WITH_BODY) as cass:
        adapter.write(ITEM, STATUS)
    assert cass.all_played and sleeps == [3.0]


def test_still_rate_limited_after_the_retries_is_a_refusal(
    cassette: Cassette, sleeps: list[float]
) -> None:
    adapter = make(sleeps, max_retries=1)
    with cassette("monday/write_429_twice.yaml"), pytest.raises(WriteRefused) as refused:
        adapter.write(ITEM, STATUS)
    assert localise(refused.value.args[0], "en") == (
        "source 'crm' is still asking to slow down: nothing was changed, try again in a minute"
    )


def test_webhooks_are_created_listed_and_deleted_on_the_board(cassette: Cassette) -> None:
    adapter = make()
    sent = record_requests(adapter)
    with cassette("monday/webhook_register.yaml", match_on=WITH_BODY):
        assert adapter.register_webhook(URL) == Webhook(id="28536170", url=URL)
    assert sent_queries(sent) == [(CREATE_WEBHOOK_QUERY, {"board": BOARD, "url": URL})]
    assert "event: change_column_value" in CREATE_WEBHOOK_QUERY
    with cassette("monday/webhook_list.yaml", match_on=WITH_BODY):
        assert [hook.id for hook in adapter.list_webhooks()] == ["28536170", "27001234"]
    with cassette("monday/webhook_remove.yaml", match_on=WITH_BODY) as cass:
        adapter.remove_webhook("28536170")
    assert cass.all_played


def test_a_refused_webhook_says_so(cassette: Cassette) -> None:
    adapter = make()
    with cassette("monday/webhook_register_refused.yaml"), pytest.raises(WriteRefused) as refused:
        adapter.register_webhook(URL)
    assert "(HTTP 403)" in localise(refused.value.args[0], "fr")


def test_registering_without_the_apps_signing_secret_is_refused_before_asking_monday() -> None:
    adapter = build(MondayAdapter, SOURCE, {"MONDAY_TOKEN": "FAKE"})
    with pytest.raises(WriteRefused) as refused:
        adapter.register_webhook(URL)  # no cassette: a request would fail the test
    assert localise(refused.value.args[0], "en") == (
        "source 'crm': monday signs notifications only for webhooks a monday app creates: set "
        "MONDAY_TOKEN to your app's token and MONDAY_WEBHOOK_SECRET to its Signing Secret first "
        "(a personal token's webhooks arrive unsigned and `serve` refuses them)"
    )
