"""`/pipeline` through real HTTP: answers in the ack, late answers via response_url, errors."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from bot.settings import Settings
from bot.store import StoreLocked
from tests.helpers import load, store_at, task, wait_for
from tests.slack_http import (
    NOW,
    CountingDeps,
    FailingDeps,
    GatedDeps,
    block_texts,
    make_settings,
    send_command,
    sentinel,
    serving,
)
from tests.slack_standin import SlackStandIn

PEOPLE = {"marie dupont": "UMARIE", "Elodie.Petit@agence.fr": "UELODIE"}


def agency(settings: Settings) -> None:
    """Four deals: two stalled (one owner known by name, one by e-mail), one fresh, one won."""
    store = store_at(settings.db_path)
    load(
        store,
        settings.pipeline,
        [
            task(
                "a1",
                "Balle dans le camp du client",
                ("2026-03-01T09:00", "Balle dans le camp du client"),
                title="Refonte Dupain",
                client="Boulangerie Dupain",
                owner="Marie Dupont",
                amount=12000,
                url="https://trello.com/c/a1",
            ),
            task(
                "a2",
                "Appel et devis",
                ("2026-03-18T09:00", "Appel et devis"),
                title="Site vitrine Lefèvre",
                client="Lefèvre",
                owner="Jean Martin",
                amount=5000,
            ),
            task(
                "a3",
                "Conclusion du contrat",
                ("2026-03-02T09:00", "Conclusion du contrat"),
                title="Appli <Garage> & co",
                client="Garage",
                owner="E. Petit",
                owner_email="elodie.petit@agence.fr",
                amount=30000,
                url="https://trello.com/c/a3",
            ),
            task(
                "a4",
                "Travail terminé",
                ("2026-03-05T09:00", "Travail terminé"),
                title="Logo Fleuriste",
                owner="Jean Martin",
                amount=8000,
            ),
        ],
        now=NOW,
    )
    store.close()


@pytest.fixture
def settings(tmp_path: Path, slack_api: SlackStandIn) -> Settings:
    made = make_settings(tmp_path, slack_api, people=PEOPLE)
    agency(made)
    return made


def test_summary_answers_in_the_ack_ephemeral_with_stage_figures(
    settings: Settings, slack_api: SlackStandIn
) -> None:
    with serving(settings) as served:
        answer = send_command(served, "", response_url=f"{slack_api.url}/commands/T1/1/hook")
        sentinel(served, slack_api)  # a late post to response_url would have been made by now
    assert answer.status_code == 200
    body = answer.json()
    assert body["response_type"] == "ephemeral"
    text = block_texts(body["blocks"])
    assert body["blocks"][0]["type"] == "header"
    assert "Pipeline by stage" in body["blocks"][0]["text"]["text"]
    assert "*Negotiation*\n1 deal(s) · €12,000 · weighted €7,200 · ⚠️ 1 stalled" in text
    assert "*Won*\n1 deal(s) · €8,000" in text
    assert "3 deal(s) · €47,000" in text  # open pipeline
    assert not slack_api.called("hook")  # answered in the ack: nothing posted to response_url


def test_public_suffix_posts_in_channel(settings: Settings) -> None:
    with serving(settings) as served:
        body = send_command(served, "stalled public").json()
    assert body["response_type"] == "in_channel"
    assert "Stalled deals: 2" in block_texts(body["blocks"])


def test_stalled_links_tasks_mentions_owners_and_gives_next_steps(settings: Settings) -> None:
    with serving(settings) as served:
        body = send_command(served, "bloqués").json()
    sections = [b["text"]["text"] for b in body["blocks"] if b["type"] == "section"]
    dupain = next(s for s in sections if "Dupain" in s)
    assert dupain.startswith("*<https://trello.com/c/a1|Refonte Dupain>* · Boulangerie Dupain")
    assert "<@UMARIE>" in dupain  # owner matched on name, case-blind
    assert "19 d idle (limit 7)" in dupain
    assert dupain.endswith("➡️ Chase the client about the quote")  # the stage's next step
    garage = next(s for s in sections if "Garage" in s)
    assert "<@UELODIE>" in garage  # owner matched on e-mail
    assert "Appli &lt;Garage&gt; &amp; co" in garage  # mrkdwn control characters escaped
    assert "Closing" in garage


def test_french_configuration_answers_in_french(tmp_path: Path, slack_api: SlackStandIn) -> None:
    settings = make_settings(tmp_path, slack_api, language="fr", people=PEOPLE)
    agency(settings)
    with serving(settings) as served:
        body = send_command(served, "résumé").json()
    text = block_texts(body["blocks"])
    assert "Pipeline par étape" in text
    assert "*Négociations*\n1 affaire(s) · 12\u202f000\u00a0€ · pondéré 7\u202f200\u00a0€" in text


def test_unknown_query_gets_an_ephemeral_suggestion_not_an_error_status(settings: Settings) -> None:
    with serving(settings) as served:
        answer = send_command(served, "stalld")
    assert answer.status_code == 200
    body = answer.json()
    assert body["response_type"] == "ephemeral"
    assert "did you mean 'stalled'?" in body["text"]


def test_a_bug_becomes_an_ephemeral_message_never_a_500(settings: Settings) -> None:
    deps = FailingDeps(settings, RuntimeError("disk on fire"))
    with serving(settings, deps) as served:
        answer = send_command(served, "stalled")
    assert answer.status_code == 200
    body = answer.json()
    assert body["response_type"] == "ephemeral"
    assert (
        "Something went wrong while answering `stalled` (RuntimeError: disk on fire)"
        in body["text"]
    )


def test_a_locked_database_says_so(settings: Settings) -> None:
    deps = FailingDeps(settings, StoreLocked("the database is locked"))
    with serving(settings, deps) as served:
        body = send_command(served, "").json()
    assert "database is busy" in body["text"]
    assert body["response_type"] == "ephemeral"


def test_slow_answer_acks_at_once_then_posts_to_response_url(
    settings: Settings, slack_api: SlackStandIn
) -> None:
    deps = GatedDeps(settings)
    with serving(settings, deps, answer_budget=0.3) as served:
        answer = send_command(
            served, "stalled public", response_url=f"{slack_api.url}/commands/T1/42/late-hook"
        )
        assert answer.status_code == 200
        ack: dict[str, Any] = answer.json()
        assert ack["response_type"] == "ephemeral"
        assert "Working on it" in ack["text"]
        assert not slack_api.called("late-hook")  # nothing posted before the answer is ready
        deps.go.set()
        posted = wait_for(lambda: slack_api.called("late-hook"))
    assert len(posted) == 1
    late = posted[0].body
    assert late["response_type"] == "in_channel"
    assert late["replace_original"] is False
    assert "Stalled deals: 2" in block_texts(late["blocks"])


def test_identical_questions_share_one_answer_until_the_data_changes(settings: Settings) -> None:
    deps = CountingDeps(settings)
    with serving(settings, deps) as served:
        first = send_command(served, "stalled", user="U1").json()
        again = send_command(served, "  stalled ", user="U2").json()
        assert deps.opened == 1  # the second asker got the same answer without a recomputation
        assert again["blocks"] == first["blocks"]
        store = store_at(settings.db_path)  # a sync lands a new stalled deal
        load(store, settings.pipeline,
             [task("a5", "Appel et devis", ("2026-03-02T09:00", "Appel et devis"), title="Neuf")],
             source="extra", now=NOW)  # fmt: skip
        store.close()
        fresh = send_command(served, "stalled", user="U1").json()
    assert deps.opened == 2
    assert "Stalled deals: 3" in block_texts(fresh["blocks"])
    assert "Stalled deals: 2" in block_texts(first["blocks"])


def test_mine_lists_the_askers_own_deals_with_links_and_next_steps(settings: Settings) -> None:
    with serving(settings) as served:
        marie = send_command(served, "moi", user="UMARIE").json()
        stranger = send_command(served, "mine", user="UNOBODY").json()
    text = block_texts(marie["blocks"])
    assert "Open deals of Marie Dupont: 1" in text
    assert "*<https://trello.com/c/a1|Refonte Dupain>* · Boulangerie Dupain" in text
    assert "<@UMARIE> · Negotiation · ⚠️ 19 d in stage (stalled) · €12,000" in text
    assert "➡️ Chase the client about the quote" in text
    assert "Garage" not in text and "Lefèvre" not in text
    assert "Dupain" not in json.dumps(stranger)  # someone else's `mine` is not Marie's


def test_owners_mention_people_slack_knows(settings: Settings) -> None:
    with serving(settings) as served:
        body = send_command(served, "charge").json()
    text = block_texts(body["blocks"])
    assert "<@UMARIE>: 1 deal(s) · €12,000 · weighted €7,200 · ⚠️ 1 stalled" in text
    assert "Jean Martin: 1 deal(s) · €5,000 · weighted €2,000" in text
    assert "*Total*: 3 deal(s) · €47,000 · weighted €33,200 · ⚠️ 2 stalled" in text


def test_deal_search_shows_stage_owner_history(settings: Settings) -> None:
    with serving(settings) as served:
        body = send_command(served, "deal garage").json()
    text = block_texts(body["blocks"])
    assert "*<https://trello.com/c/a3|Appli &lt;Garage&gt; &amp; co>* · Garage" in text
    assert "<@UELODIE> · Closing" in text
    assert "In this stage since Mar 2, 2026 (18 d, stalled)" in text
    assert "History: Mar 2, 2026 → Closing" in text


def test_errors_are_in_the_configured_language(tmp_path: Path, slack_api: SlackStandIn) -> None:
    settings = make_settings(tmp_path, slack_api, language="fr", people=PEOPLE)
    agency(settings)
    with serving(settings) as served:
        typo = send_command(served, "bloques2").json()
        unknown_user = send_command(served, "moi", user="UNEW").json()
    assert typo["text"].startswith(
        "⚠️ question inconnue « bloques2 » : vouliez-vous dire « bloqués » ?"
    )
    assert "`/pipeline aide` liste ce que vous pouvez demander." in typo["text"]
    assert "l'utilisateur Slack UNEW n'est pas dans [people]" in unknown_user["text"]


def test_a_burst_of_slow_questions_is_acknowledged_within_slacks_3_seconds(
    settings: Settings, slack_api: SlackStandIn
) -> None:
    deps = GatedDeps(settings)  # every answer is stuck until the test says go
    hook = f"{slack_api.url}/commands/T1/7/burst-hook"
    with serving(settings, deps) as served:  # the real 2 s budget
        with ThreadPoolExecutor(max_workers=12) as pool:

            def ask(i: int) -> tuple[float, dict[str, Any]]:
                started = time.monotonic()
                answer = send_command(served, f"deal Client{i}", user=f"U{i}", response_url=hook)
                return time.monotonic() - started, answer.json()

            answers = list(pool.map(ask, range(12)))
        deps.go.set()
        wait_for(lambda: len(slack_api.called("burst-hook")) == 12)
    assert all(seconds < 3.0 for seconds, _ in answers), [round(s, 2) for s, _ in answers]
    assert all("Working on it" in body["text"] for _, body in answers)
