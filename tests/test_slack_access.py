"""`[slack] allowed_users` / `allowed_channels` on /pipeline, the App Home and the buttons."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests

from bot.settings import Settings
from bot.slack.access import is_allowed
from tests.helpers import wait_for
from tests.slack_http import (
    block_texts,
    make_settings,
    published_view,
    send_command,
    send_event,
    serving,
    signed_headers,
)
from tests.slack_standin import SlackStandIn
from tests.test_slack_pipeline import PEOPLE, agency

FIGURES = ("€", "Negotiation", "Dupain", "deal(s)")


@pytest.fixture
def guarded(tmp_path: Path, slack_api: SlackStandIn) -> Settings:
    settings = make_settings(
        tmp_path,
        slack_api,
        people={**PEOPLE, "Jean Martin": "UOUT"},
        slack={"allowed_users": ["UMARIE"], "allowed_channels": ["CSALES"]},
    )
    agency(settings)
    return settings


def test_both_lists_must_pass() -> None:
    from bot.config_schema import validate_config
    from bot.secrets import Secrets

    def settings(users: list[str], channels: list[str]) -> Settings:
        config = validate_config({"slack": {"allowed_users": users, "allowed_channels": channels}})
        return Settings(config=config, secrets=Secrets(), db_path=Path("x.db"))

    both = settings(["U1"], ["C1"])
    assert is_allowed(both, "U1", "C1")
    assert not is_allowed(both, "U2", "C1")
    assert not is_allowed(both, "U1", "C2")
    assert is_allowed(both, "U1", None)  # App Home / the bot's DM: only the user list applies
    assert not is_allowed(both, "U2", None)
    assert is_allowed(settings([], []), "anyone", "anywhere")
    assert is_allowed(settings([], ["C1"]), "anyone", "C1")
    assert not is_allowed(settings([], ["C1"]), "anyone", "C2")


def test_allowed_user_in_allowed_channel_gets_figures(guarded: Settings) -> None:
    with serving(guarded) as served:
        body = send_command(served, "", user="UMARIE", channel="CSALES").json()
    assert "Negotiation" in block_texts(body["blocks"])


@pytest.mark.parametrize(
    ("user", "channel", "why"),
    [
        ("UOUT", "CSALES", "your Slack user is not among the allowed users"),
        ("UMARIE", "CRANDOM", "this channel is not among the allowed channels"),
    ],
)
def test_refused_command_explains_and_shows_no_figures(
    guarded: Settings, user: str, channel: str, why: str
) -> None:
    with serving(guarded) as served:
        answer = send_command(served, "stalled public", user=user, channel=channel)
    assert answer.status_code == 200
    body = answer.json()
    assert body["response_type"] == "ephemeral"  # even with `public`
    assert why in body["text"]
    assert not any(word in answer.text for word in FIGURES)


def test_refused_user_gets_an_app_home_without_figures(
    guarded: Settings, slack_api: SlackStandIn
) -> None:
    with serving(guarded) as served:
        send_event(served, {"type": "app_home_opened", "user": "UOUT", "tab": "home"}, "Ev1")
        publish = wait_for(lambda: slack_api.called("views.publish"))[0]
    view = published_view(publish)
    assert publish.body["user_id"] == "UOUT"
    text = block_texts(view["blocks"])
    assert "You don't have access to pipeline-bot's figures" in text
    assert not any(word in text for word in FIGURES)


def test_refused_button_click_is_answered_through_response_url(
    guarded: Settings, slack_api: SlackStandIn
) -> None:
    payload: dict[str, Any] = {
        "type": "block_actions",
        "team": {"id": "T1"},
        "user": {"id": "UOUT"},
        "api_app_id": "A1",
        "channel": {"id": "CSALES"},
        "container": {"type": "message", "channel_id": "CSALES"},
        "response_url": f"{slack_api.url}/actions/T1/5/button-hook",
        "trigger_id": "t1",
        "actions": [{"action_id": "snooze", "type": "button", "value": "t:a1", "block_id": "b"}],
    }
    body = "payload=" + requests.utils.quote(json.dumps(payload))
    with serving(guarded) as served:
        answer = requests.post(
            served.events_url, data=body.encode(), headers=signed_headers(body), timeout=10
        )
    assert answer.status_code == 200
    posted = slack_api.called("button-hook")
    assert len(posted) == 1
    assert posted[0].body["response_type"] == "ephemeral"
    assert posted[0].body["replace_original"] is False
    assert "your Slack user is not among the allowed users" in posted[0].body["text"]
