"""Every request's signature is checked: bad or stale → 401 and nothing done."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
import requests
from slack_sdk.signature import Clock, SignatureVerifier

from bot.deps import Deps
from bot.settings import Settings
from bot.slack.app import build_app
from bot.slack.wsgi import HttpServer, make_wsgi
from bot.store import Store
from tests.helpers import load, store_at, task
from tests.slack_http import (
    NOW,
    SECRET,
    CountingDeps,
    Served,
    command_body,
    make_settings,
    sentinel,
    serving,
    signed_headers,
    web_calls,
)
from tests.slack_standin import SlackStandIn

# Slack's documented signing example (api.slack.com/authentication/verifying-requests-from-slack).
VECTOR_TIMESTAMP = 1531420618
VECTOR_BODY = (
    "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V"
    "&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text="
    "&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIG"
    "lgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
)
VECTOR_SIGNATURE = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"


class FrozenClock(Clock):
    def __init__(self, now: float):
        self.moment = now

    def now(self) -> float:
        return self.moment


def test_slack_documented_vector_signs_and_verifies_at_its_own_time() -> None:
    verifier = SignatureVerifier(SECRET, clock=FrozenClock(VECTOR_TIMESTAMP + 10))
    assert (
        verifier.generate_signature(timestamp=str(VECTOR_TIMESTAMP), body=VECTOR_BODY)
        == VECTOR_SIGNATURE
    )
    assert verifier.is_valid(VECTOR_BODY, str(VECTOR_TIMESTAMP), VECTOR_SIGNATURE)
    assert not verifier.is_valid(VECTOR_BODY + "x", str(VECTOR_TIMESTAMP), VECTOR_SIGNATURE)
    late = SignatureVerifier(SECRET, clock=FrozenClock(VECTOR_TIMESTAMP + 301))
    assert not late.is_valid(VECTOR_BODY, str(VECTOR_TIMESTAMP), VECTOR_SIGNATURE)


@pytest.fixture
def remapped(tmp_path: Path, slack_api: SlackStandIn) -> tuple[Settings, str]:
    """A database loaded with the built-in mapping, served with a changed `[status_map]`:
    the first request that reaches the store rewrites its mapping (a write we can watch)."""
    plain = make_settings(tmp_path, slack_api)
    store = store_at(plain.db_path)
    load(
        store,
        plain.pipeline,
        [task("d1", "Prospect chaud", ("2026-03-01T09:00", "Prospect chaud"))],
        now=NOW,
    )
    before = store.meta("mapping")
    store.close()
    assert before is not None
    changed = make_settings(tmp_path, slack_api, status_map={"Prospect chaud": "qualification"})
    return changed, before


def _mapping(settings: Settings) -> str | None:
    store = store_at(settings.db_path)
    try:
        return store.meta("mapping")
    finally:
        store.close()


def _post(served: Served, body: str, headers: dict[str, str]) -> requests.Response:
    return requests.post(served.events_url, data=body.encode(), headers=headers, timeout=10)


def test_bad_stale_or_missing_signatures_get_401_and_nothing_is_done(
    remapped: tuple[Settings, str], slack_api: SlackStandIn
) -> None:
    settings, mapping_before = remapped
    deps = CountingDeps(settings)
    hook = f"{slack_api.url}/commands/T1/9/hook"
    body = command_body("stalled public", response_url=hook)
    with serving(settings, deps) as served:
        wrong_secret = _post(served, body, signed_headers(body, secret="not-the-secret"))
        stale = _post(served, body, signed_headers(body, timestamp=int(time.time()) - 301))
        tampered = _post(served, body.replace("stalled", "summary"), signed_headers(body))
        unsigned = _post(served, body, {"Content-Type": "application/x-www-form-urlencoded"})
        vector = _post(
            served,
            VECTOR_BODY,
            {
                "X-Slack-Request-Timestamp": str(VECTOR_TIMESTAMP),
                "X-Slack-Signature": VECTOR_SIGNATURE,
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )  # correctly signed, but in 2018
        refused = [wrong_secret, stale, tampered, unsigned, vector]
        assert [r.status_code for r in refused] == [401] * 5
        assert all("blocks" not in r.text for r in refused)
        assert _mapping(settings) == mapping_before  # no database write (the sentinel will)
        assert deps.opened == 0  # no listener reached the store
        sentinel(served, slack_api)  # anything started in the background has shown by now
        # no Web API call and nothing posted to response_url: only the sentinel's publish
        assert [c.method for c in web_calls(slack_api)] == ["views.publish"]

        # The same request, properly signed, does reach the store (so the probes above can fail).
        opened = deps.opened
        good = _post(served, body, signed_headers(body))
    assert good.status_code == 200
    assert good.json()["response_type"] == "in_channel"
    assert deps.opened == opened + 1
    assert _mapping(settings) != mapping_before


def test_slack_url_verification_is_answered_only_when_signed(
    tmp_path: Path, slack_api: SlackStandIn
) -> None:
    """Slack checks the request URL (the manifest's event_subscriptions) with a signed challenge."""
    settings = make_settings(tmp_path, slack_api)
    body = '{"token": "legacy", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P", "type": "url_verification"}'  # noqa: E501
    with serving(settings) as served:
        good = _post(served, body, signed_headers(body, content_type="application/json"))
        bad = _post(served, body, signed_headers(body, secret="x", content_type="application/json"))
    assert good.status_code == 200
    assert good.json() == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}
    assert bad.status_code == 401
    assert "3eZbrw1" not in bad.text


def test_socket_mode_http_port_serves_health_only(tmp_path: Path, slack_api: SlackStandIn) -> None:
    """In Socket Mode there is no signing secret to check HTTP requests with: none reach Bolt."""
    settings = make_settings(tmp_path, slack_api)
    Store(settings.db_path).close()  # `serve` creates it before listening
    deps = Deps(settings, now=lambda: NOW)
    app = build_app(settings, deps, socket_mode=True)
    server = HttpServer(make_wsgi(app, deps, events=False), host="127.0.0.1", port=0)
    stop = threading.Event()
    thread = server.start_thread(stop, tick=0.02)
    try:
        base = f"http://127.0.0.1:{server.port}"
        before = len(slack_api.calls)
        answer = requests.post(
            f"{base}/slack/events",
            data=command_body("stalled", response_url=f"{slack_api.url}/commands/T1/1/hook"),
            timeout=10,
        )
        assert answer.status_code == 404
        assert len(slack_api.calls) == before  # nothing was done
        assert requests.get(f"{base}/healthz", timeout=10).status_code == 200
    finally:
        stop.set()
        thread.join(timeout=10)
