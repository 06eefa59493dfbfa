"""The App Home: `app_home_opened` → `views.publish` of the user's own deals, once per event."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.deps import Deps
from bot.settings import Settings
from bot.slack.home_tab import refresh_homes
from bot.slack_client import make_client
from tests.helpers import load, store_at, task, wait_for
from tests.slack_check import assert_safe
from tests.slack_http import (
    NOW,
    FailingDeps,
    block_texts,
    make_settings,
    published_view,
    send_event,
    sentinel,
    serving,
)
from tests.slack_standin import SlackStandIn
from tests.test_slack_pipeline import PEOPLE, agency


@pytest.fixture
def settings(tmp_path: Path, slack_api: SlackStandIn) -> Settings:
    made = make_settings(tmp_path, slack_api, people=PEOPLE)
    agency(made)
    return made


def opened(user: str, tab: str = "home") -> dict[str, str]:
    return {"type": "app_home_opened", "user": user, "channel": "D1", "tab": tab}


def test_home_shows_the_users_open_and_stalled_deals_and_team_totals(
    settings: Settings, slack_api: SlackStandIn
) -> None:
    with serving(settings) as served:
        answer = send_event(served, opened("UMARIE"), "Ev100")
        assert answer.status_code == 200
        call = wait_for(lambda: slack_api.called("views.publish"))[0]
    assert call.body["user_id"] == "UMARIE"
    view = published_view(call)
    assert view["type"] == "home"
    assert len(view["blocks"]) <= 100
    text = block_texts(view["blocks"])
    assert "Your open deals" in text
    assert "1 deal(s) · €12,000 · weighted €7,200" in text  # Marie's own totals
    assert "*<https://trello.com/c/a1|Refonte Dupain>*" in text
    assert "➡️ Chase the client about the quote" in text  # her stalled deal's next step
    assert "Garage" not in text and "Lefèvre" not in text  # other people's deals
    assert "Team pipeline" in text
    assert "3 deal(s) · €47,000" in text  # the team's open pipeline


def test_owner_matched_by_email_sees_their_deal(
    settings: Settings, slack_api: SlackStandIn
) -> None:
    with serving(settings) as served:
        send_event(served, opened("UELODIE"), "Ev200")
        view = published_view(wait_for(lambda: slack_api.called("views.publish"))[0])
    text = block_texts(view["blocks"])
    assert "Appli &lt;Garage&gt; &amp; co" in text
    assert "Dupain" not in text


def test_a_retried_event_is_published_once(settings: Settings, slack_api: SlackStandIn) -> None:
    with serving(settings) as served:
        send_event(served, opened("UMARIE"), "Ev300")
        wait_for(lambda: slack_api.called("views.publish"))
        retry = send_event(served, opened("UMARIE"), "Ev300", retry=1)
        assert retry.status_code == 200
        send_event(served, opened("UMARIE"), "Ev301")  # a new opening does publish again
        wait_for(lambda: len(slack_api.called("views.publish")) >= 2)
        sentinel(served, slack_api)  # the retry, sent before both, has been handled by now
        assert len(slack_api.called("views.publish")) == 3  # Ev300, Ev301, the sentinel


def test_messages_tab_publishes_nothing(settings: Settings, slack_api: SlackStandIn) -> None:
    with serving(settings) as served:
        send_event(served, opened("UMARIE", tab="messages"), "Ev400")
        send_event(served, opened("UMARIE"), "Ev401")
        wait_for(lambda: slack_api.called("views.publish"))
        sentinel(served, slack_api)
    published = [c.body["user_id"] for c in slack_api.called("views.publish")]
    assert published == ["UMARIE", "USENTINEL"]  # the messages tab published nothing


def test_unlinked_user_is_told_how_to_link_and_sees_team_totals(
    settings: Settings, slack_api: SlackStandIn
) -> None:
    with serving(settings) as served:
        send_event(served, opened("UNEW"), "Ev500")
        view = published_view(wait_for(lambda: slack_api.called("views.publish"))[0])
    text = block_texts(view["blocks"])
    assert '`"Your Name" = "UNEW"` under `[people]`' in text
    assert "3 deal(s) · €47,000" in text


def test_a_busy_owner_home_stays_within_100_blocks(tmp_path: Path, slack_api: SlackStandIn) -> None:
    settings = make_settings(tmp_path, slack_api, people={"Marie Dupont": "UMARIE"})
    store = store_at(settings.db_path)
    tasks = [
        task(
            f"m{i:03d}",
            "Appel et devis",
            ("2026-02-01T09:00", "Appel et devis"),
            title=f"Deal {i:03d} " + "x" * 200,
            owner="Marie Dupont",
            amount=1000 + i,
        )
        for i in range(300)
    ]
    load(store, settings.pipeline, tasks, now=NOW)
    store.close()
    with serving(settings) as served:
        send_event(served, opened("UMARIE"), "Ev600")
        view = published_view(wait_for(lambda: slack_api.called("views.publish"), timeout=20)[0])
    assert len(view["blocks"]) <= 100
    assert all(len(b["text"]["text"]) <= 3000 for b in view["blocks"] if b["type"] == "section")
    assert_safe([view], mentions={"UMARIE"})
    text = block_texts(view["blocks"])
    assert "300 deal(s)" in text
    assert "… and 285 more. See them all with `/pipeline mine`." in text


def test_a_failure_is_shown_in_the_home_tab_without_figures(
    settings: Settings, slack_api: SlackStandIn
) -> None:
    deps = FailingDeps(settings, RuntimeError("disk on fire"))
    with serving(settings, deps) as served:
        send_event(served, opened("UMARIE"), "Ev700")
        view = published_view(wait_for(lambda: slack_api.called("views.publish"))[0])
    text = block_texts(view["blocks"])
    assert "Couldn't load your pipeline (RuntimeError: disk on fire)" in text
    assert "€" not in text


def test_a_home_opened_on_one_replica_is_refreshed_by_another_after_a_sync(
    settings: Settings, slack_api: SlackStandIn
) -> None:
    """Slack sent the opening to replica A; replica B ran the sync that changed something: B
    publishes the Home again, knowing the viewer from the store, not from A's memory."""
    with serving(settings) as replica_a:
        send_event(replica_a, opened("UMARIE"), "Ev800")
        wait_for(lambda: slack_api.called("views.publish"))
    replica_b = Deps(settings, now=lambda: NOW)
    assert refresh_homes(replica_b, make_client(settings), NOW) == 1
    again = slack_api.called("views.publish")[1]
    assert again.body["user_id"] == "UMARIE"
    assert "Your open deals" in block_texts(published_view(again)["blocks"])
    assert refresh_homes(replica_b, make_client(settings), NOW + timedelta(days=2)) == 0
