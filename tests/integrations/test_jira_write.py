"""Jira write-back (transitions, fields, comments) and admin webhooks against hand-written
cassettes of Jira Cloud REST v3: what is sent, and what the clicker reads when Jira says no."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from bot.i18n import localise, said_of
from integrations.base import DealUpdate, Webhook, WriteRefused
from integrations.jira import JiraAdapter
from tests.integrations.support import Cassette, body, build, record_requests

SITE = "https://agence-exemple.atlassian.net"
SECRETS = {"JIRA_EMAIL": "robot-pipeline@agence-exemple.fr",
           "JIRA_API_TOKEN": "ATATT3xFfGF0-fake-token-for-tests",
           "JIRA_WEBHOOK_SECRET": "jira-webhook-secret-for-tests"}  # fmt: skip
HOOK_URL = "https://pipeline.agence.example/webhooks/ventes"


def jira(fields: dict[str, str] | None = None, **http_options: Any) -> JiraAdapter:
    raw = {"kind": "jira", "name": "ventes", "base_url": SITE, "project": "VENTE",
           "fields": fields or {}}  # fmt: skip
    return build(JiraAdapter, raw, SECRETS, **http_options)


def refusal(caught: pytest.ExceptionInfo[WriteRefused]) -> tuple[str, str]:
    said = said_of(caught.value)
    return localise(said, "fr"), localise(said, "en")


def test_applies_the_transition_leading_to_the_status_once(cassette: Cassette) -> None:
    adapter = jira()
    sent = record_requests(adapter)
    with cassette("jira/write_transition.yaml") as cass:
        adapter.write("VENTE-12", DealUpdate(status="Balle dans le camp du client"))
        adapter.write("VENTE-12", DealUpdate(status="balle dans le camp du client"))
        assert cass.all_played
    posts = [r for r in sent if r.method == "POST"]
    assert len(posts) == 1  # the second click finds the issue there already: nothing written
    assert posts[0].path_url == "/rest/api/3/issue/VENTE-12/transitions"
    assert body(posts[0]) == {"transition": {"id": "21"}}


def test_status_no_transition_reaches_is_refused(cassette: Cassette) -> None:
    adapter = jira()
    sent = record_requests(adapter)
    with cassette("jira/write_no_transition.yaml"), pytest.raises(WriteRefused) as caught:
        adapter.write("VENTE-12", DealUpdate(status="Travail terminé"))
    assert [r.method for r in sent] == ["GET", "GET"]
    fr, en = refusal(caught)
    assert fr == (
        "source « ventes » : Jira n'a aucune transition de « Appel et devis » vers « Travail "
        "terminé » pour VENTE-12 (statuts accessibles : Balle dans le camp du client, Conclusion "
        "du contrat, Écarté) : rien n'a été modifié"
    )
    assert en == (
        "source 'ventes': Jira has no transition from « Appel et devis » to « Travail terminé » "
        "for VENTE-12 (reachable from there: Balle dans le camp du client, Conclusion du contrat, "
        "Écarté): nothing was changed"
    )


def test_forbidden_transition_is_refused(cassette: Cassette) -> None:
    adapter = jira()
    with cassette("jira/write_forbidden.yaml") as cass, pytest.raises(WriteRefused) as caught:
        adapter.write("VENTE-12", DealUpdate(status="Balle dans le camp du client"))
    assert cass.all_played
    fr, en = refusal(caught)
    assert fr.startswith("la source « ventes » a refusé la modification (HTTP 403) : le jeton")
    assert en.startswith("source 'ventes' refused the change (HTTP 403): the token may read")
    assert SECRETS["JIRA_API_TOKEN"] not in fr + en


def test_lost_with_named_fields_in_their_types_forms(cassette: Cassette) -> None:
    adapter = jira({"lost_reason": "Raison de la perte", "next_step": "Notes de suivi",
                    "expected_close": "Date de signature prévue"})  # fmt: skip
    sent = record_requests(adapter)
    update = DealUpdate(status="Écarté", lost_reason="Budget reporté",
                        next_step="Relancer en septembre", expected_close=date(2026, 9, 15))  # fmt: skip
    with cassette("jira/write_fields.yaml") as cass:
        adapter.write("VENTE-12", update)
        assert cass.all_played
    transition = next(r for r in sent if r.method == "POST")
    assert body(transition) == {"transition": {"id": "41"}}
    put = next(r for r in sent if r.method == "PUT")
    assert body(put) == {
        "fields": {
            "customfield_10055": {"value": "Budget reporté"},  # a select
            "customfield_10057": {  # a paragraph field: ADF
                "type": "doc",
                "version": 1,
                "content": [
                    {
                        "type": "paragraph",
                        "content": [{"type": "text", "text": "Relancer en septembre"}],
                    }  # fmt: skip
                ],
            },
            "customfield_10056": "2026-09-15",  # a date picker
        }
    }


def test_comment_and_due_date_after_a_rate_limit(cassette: Cassette, sleeps: list[float]) -> None:
    adapter = jira(sleep=sleeps.append)
    sent = record_requests(adapter)
    update = DealUpdate(lost_reason="Budget reporté", next_step="Relancer en septembre",
                        expected_close=date(2026, 4, 30))  # fmt: skip
    with cassette("jira/write_comment_due.yaml") as cass:
        adapter.write("VENTE-12", update)
        assert cass.all_played
    assert sleeps == [5.0]  # Jira's Retry-After
    assert [r.method for r in sent] == ["PUT", "PUT", "POST"]
    assert body(sent[1]) == {"fields": {"duedate": "2026-04-30"}}
    paragraphs = body(sent[2])["body"]["content"]
    assert [p["content"][0]["text"] for p in paragraphs] == [
        "Raison de la perte : Budget reporté",
        "Prochaine étape : Relancer en septembre",
    ]


def test_admin_webhook_register_list_remove(cassette: Cassette) -> None:
    adapter = jira()
    sent = record_requests(adapter)
    with cassette("jira/webhooks.yaml") as cass:
        made = adapter.register_webhook(HOOK_URL)
        listed = adapter.list_webhooks()
        adapter.remove_webhook(made.id)
        assert cass.all_played
    assert made == Webhook("7", HOOK_URL)
    assert listed == [made]  # the site's other webhook is not this source's
    assert body(sent[0]) == {
        "name": "pipeline-bot: source 'ventes'",
        "url": HOOK_URL,
        "events": ["jira:issue_created", "jira:issue_updated", "jira:issue_deleted"],
        "filters": {"issue-related-events-section": "project = VENTE"},
        "excludeBody": False,
        "secret": "jira-webhook-secret-for-tests",
    }
    assert (sent[-1].method, sent[-1].path_url) == ("DELETE", "/rest/webhooks/1.0/webhook/7")


def test_no_webhook_without_its_secret(cassette: Cassette) -> None:
    secrets = {k: v for k, v in SECRETS.items() if k != "JIRA_WEBHOOK_SECRET"}
    raw = {"kind": "jira", "name": "ventes", "base_url": SITE, "project": "VENTE"}
    adapter = build(JiraAdapter, raw, secrets)
    with cassette("jira/webhooks.yaml") as cass, pytest.raises(WriteRefused) as caught:
        adapter.register_webhook(HOOK_URL)
    assert cass.play_count == 0  # nothing was sent
    fr, en = refusal(caught)
    assert fr.startswith("source « ventes » : définissez d'abord JIRA_WEBHOOK_SECRET (une longue")
    assert en.startswith("source 'ventes': set JIRA_WEBHOOK_SECRET first (a long random string")
