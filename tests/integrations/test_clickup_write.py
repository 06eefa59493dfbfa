"""ClickUp write-back (status, due date, custom fields, comments) and webhooks against
hand-written cassettes of ClickUp API v2: what is sent, and what the clicker reads on a refusal."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from bot.i18n import localise, said_of
from integrations.base import DealUpdate, Webhook, WriteRefused
from integrations.clickup import ClickUpAdapter
from tests.integrations.support import Cassette, body, build, record_requests

LIST = "901204567890"
SECRETS = {"CLICKUP_TOKEN": "pk_81234567_FAKE0TOKEN0FOR0TESTS0ONLY0XYZ"}
ROUX = "86c2ab1x7"
HOOK_URL = "https://pipeline.agence.example/webhooks/clickup"


def clickup(fields: dict[str, str] | None = None, **http_options: Any) -> ClickUpAdapter:
    raw = {"kind": "clickup", "list": LIST, "fields": fields or {}}
    return build(ClickUpAdapter, raw, SECRETS, **http_options)


def refusal(caught: pytest.ExceptionInfo[WriteRefused]) -> tuple[str, str]:
    said = said_of(caught.value)
    return localise(said, "fr"), localise(said, "en")


def test_sets_the_status_in_the_lists_spelling_twice(cassette: Cassette) -> None:
    adapter = clickup()
    sent = record_requests(adapter)
    with cassette("clickup/write_move.yaml") as cass:
        adapter.write(ROUX, DealUpdate(status="Balle dans le camp du client"))
        adapter.write(ROUX, DealUpdate(status="Balle dans le camp du client"))
        assert cass.all_played
    puts = [r for r in sent if r.method == "PUT"]
    assert [r.path_url for r in puts] == [f"/api/v2/task/{ROUX}"] * 2
    assert [body(r) for r in puts] == [{"status": "balle dans le camp du client"}] * 2


def test_unknown_status_is_refused(cassette: Cassette) -> None:
    adapter = clickup()
    sent = record_requests(adapter)
    with cassette("clickup/write_unknown_status.yaml"), pytest.raises(WriteRefused) as caught:
        adapter.write(ROUX, DealUpdate(status="Négociation"))
    assert [r.method for r in sent] == ["GET"]
    fr, en = refusal(caught)
    assert fr == (
        "la source « clickup » n'a pas de statut « Négociation » dans ClickUp (elle a : client "
        "sur le point d'arriver, appel et devis, balle dans le camp du client, conclusion du "
        "contrat, travail en cours, écarté) : rien n'a été modifié ; indiquez le `status` de "
        "l'étape dans pipeline.toml"
    )
    assert en.startswith("source 'clickup' has no status « Négociation » in ClickUp (it has: ")


def test_forbidden_is_refused(cassette: Cassette) -> None:
    adapter = clickup()
    with cassette("clickup/write_forbidden.yaml") as cass, pytest.raises(WriteRefused) as caught:
        adapter.write(ROUX, DealUpdate(status="Balle dans le camp du client"))
    assert cass.all_played
    fr, en = refusal(caught)
    assert fr.startswith("la source « clickup » a refusé la modification (HTTP 403)")
    assert en.startswith("source 'clickup' refused the change (HTTP 403)")
    assert SECRETS["CLICKUP_TOKEN"] not in fr + en


def test_lost_with_named_fields(cassette: Cassette) -> None:
    adapter = clickup({"lost_reason": "Raison de la perte", "next_step": "Prochaine étape",
                       "expected_close": "Date de signature"})  # fmt: skip
    sent = record_requests(adapter)
    update = DealUpdate(status="écarté", lost_reason="Budget reporté",
                        next_step="Relancer en septembre", expected_close=date(2026, 9, 15))  # fmt: skip
    with cassette("clickup/write_fields.yaml") as cass:
        adapter.write(ROUX, update)
        assert cass.all_played
    assert body(next(r for r in sent if r.method == "PUT")) == {"status": "écarté"}
    posted = {r.path_url.rsplit("/", 1)[-1]: body(r) for r in sent if r.method == "POST"}
    assert posted == {
        "5c1e8f2a-7b3d-4e6f-9a8b-2c4d6e8f0a13": {"value": "e1f6d3c0-1a2b-4c3d-8e9f-0a1b2c3d4e01"},
        "7d2f9a1b-3c4e-4f5a-8b6c-1d2e3f4a5b14": {"value": "Relancer en septembre"},
        # 2026-09-15 at noon UTC, no time shown
        "9e3a0b2c-4d5f-4a6b-9c7d-2e3f4a5b6c15": {"value": 1789473600000,
                                                 "value_options": {"time": False}},
    }  # fmt: skip


def test_comment_and_due_date_after_a_rate_limit(cassette: Cassette, sleeps: list[float]) -> None:
    adapter = clickup(sleep=sleeps.append, clock=lambda: 1772702100.0)
    sent = record_requests(adapter)
    update = DealUpdate(next_step="Envoyer la maquette v2", expected_close=date(2026, 4, 30))
    with cassette("clickup/write_comment_due.yaml") as cass:
        adapter.write(ROUX, update)
        assert cass.all_played
    assert sleeps == [5.0]  # until X-RateLimit-Reset
    assert [r.method for r in sent] == ["PUT", "PUT", "POST"]
    assert body(sent[1]) == {"due_date": 1777550400000, "due_date_time": False}
    assert body(sent[2]) == {"comment_text": "Prochaine étape : Envoyer la maquette v2",
                             "notify_all": False}  # fmt: skip


def test_webhooks_register_list_remove(cassette: Cassette) -> None:
    adapter = clickup()
    sent = record_requests(adapter)
    with cassette("clickup/webhooks.yaml") as cass:
        made = adapter.register_webhook(HOOK_URL)
        listed = adapter.list_webhooks()
        adapter.remove_webhook(made.id)
        assert cass.all_played
    # ClickUp makes the signing secret and says it once: the CLI shows it for the environment
    assert made == Webhook("4b67ac88-e506-4a29-9d42-26e504e3435e", HOOK_URL,
                           secret="7x1PK3mISQG0jBqeNYuhWn8alZdRtf5E")  # fmt: skip
    assert listed == [Webhook(made.id, HOOK_URL)]  # the workspace's other webhook is not ours
    assert body(sent[1])["list_id"] == 901204567890
    assert "taskStatusUpdated" in body(sent[1])["events"]
    assert (sent[-1].method, sent[-1].path_url) == ("DELETE", f"/api/v2/webhook/{made.id}")


def test_several_workspaces_need_the_team_setting(cassette: Cassette) -> None:
    adapter = clickup()
    with cassette("clickup/webhooks_two_workspaces.yaml") as cass:
        with pytest.raises(WriteRefused) as caught:
            adapter.register_webhook(HOOK_URL)
        assert cass.all_played
    fr, en = refusal(caught)
    assert fr == ("ce jeton ClickUp voit comme espaces de travail : Agence Exemple (9012345), "
                  "Freelances (9067890) ; indiquez `team` (l'id de l'espace) pour la source "
                  "« clickup » dans pipeline.toml")  # fmt: skip
    assert en.startswith("this ClickUp token sees Agence Exemple (9012345), Freelances (9067890)")
