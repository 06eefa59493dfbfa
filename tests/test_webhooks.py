"""`POST /webhooks/<source>` through the real HTTP server on 127.0.0.1: each vendor's signature
good, wrong and missing, the set-up handshakes, and a signed Trello notification that makes the
moved card show in `query changes` (the incremental fetch replayed from a cassette).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import requests

from bot.deps import Deps
from bot.errors import StoreLocked
from bot.scheduler import Scheduler
from bot.settings import Settings
from bot.slack.home_tab import refresh_homes
from bot.slack.wsgi import MAX_BODY_BYTES
from bot.slack_client import make_client, make_outbox
from bot.store import Store
from bot.sync import make_adapter, sync_source
from bot.webhooks import WebhookSyncs, expect_handshake, remember_url, stored_secret
from tests.helpers import ON_POSTGRES, ask, replay, store_at, utc, wait_for
from tests.slack_http import (
    SECRET,
    FailingDeps,
    Served,
    block_texts,
    make_settings,
    published_view,
    send_event,
    serving,
)
from tests.slack_standin import SlackStandIn
from tests.test_slack_serve import clean_env, free_port
from tests.trello_standin import FakeTrello

BOARD = "65f0c3a2b1d4e5f6a7b8c9d0"
SOURCES: list[dict[str, Any]] = [
    {"kind": "trello", "board": BOARD},
    {"kind": "asana", "project": "1209876543210"},
    {"kind": "jira", "project": "VENTE", "base_url": "https://agence-exemple.atlassian.net"},
    {"kind": "clickup", "list": "901204567890"},
    {"kind": "notion", "database": "1a2b3c4d5e6f47a8b9c0d1e2f3a4b5c6"},
    {"kind": "monday", "board": "1234567890"},
    {"kind": "linear", "team": "SAL"},
    {"kind": "csv", "name": "sheet", "path": "deals.csv"},
]
CREDENTIALS = {
    "trello_api_key": "fake-trello-key-0123456789abcdef",
    "trello_token": "fake-trello-token-ATTA0123456789abcdef",
    "asana_token": "t", "jira_email": "robot@agence-exemple.fr", "jira_api_token": "t",
    "clickup_token": "pk_t", "notion_token": "t", "monday_token": "t", "linear_api_key": "t",
}  # fmt: skip
HOOK_SECRETS = {
    "trello": "trello-app-secret-3f9a",
    "asana": "asana-hook-secret-77c1",
    "jira": "jira-webhook-secret-0b2e",
    "clickup": "clickup-secret-5d8f",
    "notion": "secret_notion-verification-9e4a",
    "monday": "monday-signing-secret-1c6b",
    "linear": "lin_wh_linear-secret-2a7d",
}
ENV_NAME = {
    "trello": "trello_api_secret",
    "asana": "asana_webhook_secret",
    "jira": "jira_webhook_secret",
    "clickup": "clickup_webhook_secret",
    "notion": "notion_webhook_secret",
    "monday": "monday_webhook_secret",
    "linear": "linear_webhook_secret",
}
#: what Trello posts when a card changes list: the documented `updateCard` action shape
TRELLO_MOVE = {
    "model": {"id": BOARD, "name": "Agence - Affaires en cours"},
    "action": {
        "id": "69a71b2ca1b2c3d4e5f6a101",
        "idMemberCreator": "5f1a2b3c4d5e6f7a8b9c0d01",
        "type": "updateCard",
        "date": "2026-03-03T16:45:00.000Z",
        "data": {
            "board": {"id": BOARD, "name": "Agence - Affaires en cours", "shortLink": "aB3dE5gH"},
            "card": {
                "id": "69806790a1b2c3d4e5f60001",
                "name": "Refonte du site - Boulangerie Dupain",
                "idShort": 12,
                "shortLink": "aB3dE5fG",
                "idList": "65f0c3a2b1d4e5f6a7b8c9e4",
            },
            "listBefore": {
                "id": "65f0c3a2b1d4e5f6a7b8c9e3",
                "name": "Balle dans le camp du client",
            },
            "listAfter": {"id": "65f0c3a2b1d4e5f6a7b8c9e4", "name": "Conclusion du contrat"},
            "old": {"idList": "65f0c3a2b1d4e5f6a7b8c9e3"},
        },
        "memberCreator": {
            "id": "5f1a2b3c4d5e6f7a8b9c0d01",
            "fullName": "Marie Dupont",
            "username": "mariedupont",
        },  # fmt: skip
    },
}


def settings_for(tmp_path: Path, slack_api: SlackStandIn, sources: list[dict[str, Any]],
                 hook_secrets: dict[str, str], **config: Any) -> Settings:  # fmt: skip
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "deals.csv").write_text("id;title;status\n1;Logo;Appel et devis\n")
    hooks = {ENV_NAME[kind]: value for kind, value in hook_secrets.items()}
    return make_settings(tmp_path, slack_api, secrets={**CREDENTIALS, **hooks}, sources=sources,
                         **config)  # fmt: skip


@pytest.fixture
def queued() -> list[str]:
    return []


@pytest.fixture
def served(tmp_path: Path, slack_api: SlackStandIn, queued: list[str]) -> Iterator[Served]:
    settings = settings_for(tmp_path, slack_api, SOURCES, HOOK_SECRETS)
    Store(settings.db_path).close()
    with serving(settings, webhooks=queued.append) as running:
        yield running


# --- signing the way each vendor documents it ---------------------------------------------------


def _hex(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _jwt(secret: str, audience: str) -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    claims = {"accountId": 1825528, "userId": 4012689, "aud": audience,
              "exp": int(time.time()) + 300, "iat": int(time.time())}  # fmt: skip
    signed = f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part(claims)}"
    mac = hmac.new(secret.encode(), signed.encode(), hashlib.sha256).digest()
    return f"Bearer {signed}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"


def notification(kind: str) -> bytes:
    """A body in the vendor's documented shape (only Linear's content is read: its time)."""
    bodies: dict[str, Any] = {
        "trello": TRELLO_MOVE,
        "asana": {"events": [{"action": "changed", "resource": {"gid": "1209876543210042",
                  "resource_type": "task"}, "change": {"field": "memberships"}}]},
        "jira": {"webhookEvent": "jira:issue_updated", "issue": {"key": "VENTE-2"}},
        "clickup": {"event": "taskStatusUpdated", "task_id": "86c2ab1y2",
                    "webhook_id": "7689a169-a000-4985-8676-6902b96d6627"},
        "notion": {"type": "page.properties_updated", "entity": {"id": "1a2b", "type": "page"}},
        "monday": {"event": {"type": "update_column_value", "boardId": 1234567890,
                             "pulseId": 987654321, "columnId": "status"}},
        "linear": {"action": "update", "type": "Issue", "data": {"identifier": "SAL-12"},
                   "webhookTimestamp": int(time.time() * 1000)},
    }  # fmt: skip
    return json.dumps(bodies[kind], ensure_ascii=False).encode()


def signed(kind: str, body: bytes, url: str, secret: str) -> dict[str, str]:
    if kind == "trello":
        mac = hmac.new(secret.encode(), body + url.encode(), hashlib.sha1).digest()
        return {"X-Trello-Webhook": base64.b64encode(mac).decode()}
    if kind == "monday":
        return {"Authorization": _jwt(secret, url)}
    header, prefix = {
        "asana": ("X-Hook-Signature", ""),
        "jira": ("X-Hub-Signature", "sha256="),
        "clickup": ("X-Signature", ""),
        "notion": ("X-Notion-Signature", "sha256="),
        "linear": ("Linear-Signature", ""),
    }[kind]
    return {header: prefix + _hex(secret, body)}


def post(served: Served, source: str, body: bytes, headers: dict[str, str]) -> requests.Response:
    headers = {"Content-Type": "application/json", **headers}
    return requests.post(f"{served.base}/webhooks/{source}", data=body, headers=headers, timeout=10)


def refusals(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.levelno >= logging.WARNING and r.name == "bot.slack.wsgi"]  # fmt: skip


# --- the signatures -----------------------------------------------------------------------------

KINDS = list(HOOK_SECRETS)


@pytest.mark.parametrize("kind", KINDS)
def test_a_good_signature_queues_a_sync_of_that_source(
    kind: str, served: Served, queued: list[str]
) -> None:
    body = notification(kind)
    url = f"{served.base}/webhooks/{kind}"
    answer = post(served, kind, body, signed(kind, body, url, HOOK_SECRETS[kind]))
    assert answer.status_code == 200
    assert queued == [kind]


@pytest.mark.parametrize("kind", KINDS)
def test_a_wrong_or_missing_signature_is_401_and_nothing_is_done(
    kind: str, served: Served, queued: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    body = notification(kind)
    url = f"{served.base}/webhooks/{kind}"
    wrong = post(served, kind, body, signed(kind, body, url, "not-the-secret"))
    missing = post(served, kind, body, {})
    tampered = post(served, kind, body.replace(b"}", b" }", 1),
                    signed(kind, body, url, HOOK_SECRETS[kind]))  # fmt: skip
    assert [wrong.status_code, missing.status_code] == [401, 401]
    if kind != "monday":  # monday's JWT does not cover the body (the body is never trusted)
        assert tampered.status_code == 401
    assert wrong.json() == {"ok": False, "error": "unauthorized"}
    assert queued == ([kind] if kind == "monday" else [])
    lines = refusals(caplog)
    assert len(lines) == (2 if kind == "monday" else 3)
    assert all(f"/webhooks/{kind}" in line and "signature" in line for line in lines)
    assert all(HOOK_SECRETS[kind] not in line for line in lines)


def test_trello_signs_the_callback_url_as_the_proxy_received_it(
    tmp_path: Path, slack_api: SlackStandIn, served: Served, queued: list[str]
) -> None:
    body = notification("trello")
    public = "https://pipeline.agence-exemple.fr/webhooks/trello"
    proxied = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "pipeline.agence-exemple.fr"}
    secret = HOOK_SECRETS["trello"]
    # no trusted proxy: anyone's X-Forwarded-* are dropped, the local URL is what counts
    assert post(served, "trello", body, {**proxied, **signed("trello", body, public, secret)}
                ).status_code == 401  # fmt: skip
    settings = settings_for(tmp_path / "proxied", slack_api, SOURCES, HOOK_SECRETS)
    behind: list[str] = []
    with serving(settings, webhooks=behind.append, trusted_proxy="127.0.0.1") as running:
        good = post(running, "trello", body, {**proxied, **signed("trello", body, public, secret)})
        local = f"{running.base}/webhooks/trello"  # not what Trello signed behind the proxy
        bad = post(running, "trello", body, {**proxied, **signed("trello", body, local, secret)})
    assert (good.status_code, bad.status_code) == (200, 401)
    assert behind == ["trello"] and queued == []


def test_trello_url_kept_at_registration_is_checked_first(
    tmp_path: Path, served: Served, queued: list[str]
) -> None:
    registered = "https://bot.agence-exemple.fr/pipeline/webhooks/trello"  # a path-prefix proxy
    store = store_at(tmp_path / "pipeline.db")
    try:
        remember_url(store, "trello", registered)
    finally:
        store.close()
    body = notification("trello")
    answer = post(
        served, "trello", body, signed("trello", body, registered, HOOK_SECRETS["trello"])
    )
    assert answer.status_code == 200 and queued == ["trello"]


def test_linear_refuses_a_notification_older_than_a_minute(
    served: Served, queued: list[str]
) -> None:
    stale = json.dumps({"action": "update", "type": "Issue",
                        "webhookTimestamp": int((time.time() - 90) * 1000)}).encode()  # fmt: skip
    answer = post(
        served, "linear", stale, {"Linear-Signature": _hex(HOOK_SECRETS["linear"], stale)}
    )
    assert answer.status_code == 401 and queued == []


def test_unknown_source_head_and_other_methods(
    served: Served, queued: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    body = notification("trello")
    unknown = post(served, "nope", body, signed("trello", body, "", HOOK_SECRETS["trello"]))
    assert unknown.status_code == 404
    head = requests.head(f"{served.base}/webhooks/trello", timeout=10)
    assert head.status_code == 200 and head.content == b""
    assert requests.head(f"{served.base}/webhooks/nope", timeout=10).status_code == 404
    get = requests.get(f"{served.base}/webhooks/trello", timeout=10)
    assert get.status_code == 405 and "HEAD" in get.headers["Allow"]
    # a sheet has no notifications to check: refused like a bad signature
    assert post(served, "sheet", body, {}).status_code == 401
    assert queued == []
    assert "csv sources send no notifications" in refusals(caplog)[-1]


def test_a_body_over_the_cap_is_refused_before_it_is_read(
    served: Served, queued: list[str]
) -> None:
    big = b"{" + b" " * MAX_BODY_BYTES + b"}"
    head = (
        f"POST /webhooks/clickup HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"X-Signature: {_hex(HOOK_SECRETS['clickup'], big)}\r\nContent-Length: {len(big)}\r\n\r\n"
    ).encode()
    assert served.status_of_head(head).startswith(b"HTTP/1.1 413") and queued == []


def test_a_source_without_its_secret_refuses_every_notification(
    tmp_path: Path, slack_api: SlackStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    settings = settings_for(tmp_path, slack_api, [{"kind": "jira", "project": "VENTE",
                            "base_url": "https://agence-exemple.atlassian.net"}], {})  # fmt: skip
    queued: list[str] = []
    with serving(settings, webhooks=queued.append) as running:
        body = notification("jira")
        answer = post(running, "jira", body, signed("jira", body, "", "anything"))
    assert answer.status_code == 401 and queued == []
    assert any("set JIRA_WEBHOOK_SECRET" in line for line in refusals(caplog))


# --- the handshakes -----------------------------------------------------------------------------


def test_asana_handshake_echoes_and_keeps_the_secret_for_that_source(
    tmp_path: Path, slack_api: SlackStandIn
) -> None:
    settings = settings_for(tmp_path, slack_api, SOURCES, {})
    queued: list[str] = []
    with serving(settings, webhooks=queued.append) as running:
        shake = post(running, "asana", b"", {"X-Hook-Secret": "b3c0a9f1e2d4"})
        assert shake.status_code == 200 and shake.headers["X-Hook-Secret"] == "b3c0a9f1e2d4"
        body = notification("asana")
        good = post(running, "asana", body, signed("asana", body, "", "b3c0a9f1e2d4"))
        assert good.status_code == 200 and queued == ["asana"]
        # a second set-up request (anyone may send one) cannot replace the kept secret...
        forged = post(running, "asana", b"", {"X-Hook-Secret": "attacker"})
        assert forged.status_code == 401 and "X-Hook-Secret" not in forged.headers
        store = Store(settings.db_path)
        try:
            assert stored_secret(store, "asana") == "b3c0a9f1e2d4"
            # ...unless `webhooks register` opened the window just before asking Asana
            assert running.deps is not None
            expect_handshake(store, "asana", running.deps.now())
        finally:
            store.close()
        again = post(running, "asana", b"", {"X-Hook-Secret": "f00dcafe9876"})
        assert again.status_code == 200 and again.headers["X-Hook-Secret"] == "f00dcafe9876"
        old = post(running, "asana", body, signed("asana", body, "", "b3c0a9f1e2d4"))
        new = post(running, "asana", body, signed("asana", body, "", "f00dcafe9876"))
        assert (old.status_code, new.status_code) == (401, 200)
    assert queued == ["asana", "asana"]


def test_notion_verification_token_is_kept_and_shown_once(
    tmp_path: Path, slack_api: SlackStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    settings = settings_for(tmp_path, slack_api, SOURCES, {})
    queued: list[str] = []
    token = "secret_tMrlL1qK5vuQAh1b6cZGhFChZTSYJlce98V0pYn7yBl"
    with serving(settings, webhooks=queued.append) as running:
        shake = post(running, "notion", json.dumps({"verification_token": token}).encode(), {})
        assert shake.status_code == 200 and queued == []
        body = notification("notion")
        good = post(running, "notion", body, signed("notion", body, "", token))
        assert good.status_code == 200 and queued == ["notion"]
    shown = [r.getMessage() for r in caplog.records if "verification token" in r.getMessage()]
    assert len(shown) == 1 and token in shown[0]


def test_monday_challenge_is_echoed(served: Served, queued: list[str]) -> None:
    challenge = {"challenge": "3eZbrw1aBm2rZgRNFdxV2WQDFfgwLTyJTnFA0YaCpqszZf"}
    answer = post(served, "monday", json.dumps(challenge).encode(), {})
    assert answer.status_code == 200 and answer.json() == challenge
    assert queued == []


# --- a move in Trello shows within seconds ------------------------------------------------------

TRELLO_FIELDS = {"amount": "Montant", "probability": "Probabilité", "client": "Client",
                 "expected_close": "Date de signature", "contact": "Contact",
                 "lost_reason": "Raison de la perte"}  # fmt: skip
TRELLO_SOURCE = {"kind": "trello", "name": "agence", "board": BOARD, "fields": TRELLO_FIELDS}
DUPAIN = "agence:69806790a1b2c3d4e5f60001"


def dupain_moves(store_path: Path, to: str) -> Callable[[], list[dict[str, Any]]]:
    """Dupain's move to stage `to` as `query changes` lists it."""

    def look() -> list[dict[str, Any]]:
        store = store_at(store_path)
        try:
            events = list(ask(store, "changes 7", "2026-03-04T12:00")[0]["events"])
        finally:
            store.close()
        return [e for e in events if e["deal"] == DUPAIN and e["to"] == to]

    return look


def synced_once(settings: Settings, deps: Deps) -> None:
    """The board's first full sync on 2 March, 08:05 UTC (the bookmark the cassettes expect)."""
    store = deps.open_store()
    try:
        adapter = make_adapter(TRELLO_SOURCE, settings.secrets.as_env())
        with replay("trello/full_sync.yaml", ignore_localhost=True):
            first = sync_source(store, settings.pipeline, adapter, full=True,
                                now=lambda: utc("2026-03-02T08:05:00"))  # fmt: skip
        assert first.ok
    finally:
        store.close()


def notify_then_wait(
    settings: Settings,
    deps: Deps,
    cassette: str,
    look: Callable[[], list[dict[str, Any]]],
    before: Callable[[Served], object] = lambda served: None,
) -> list[dict[str, Any]]:
    """`serve`'s parts (the endpoint, the scheduler's sync and its App Home refresh, the webhook
    queue) on 127.0.0.1; `before(served)`, then one signed Trello notification; what `look`
    finds once the sync it triggers is done."""
    runner = Scheduler(deps, outbox_factory=lambda: make_outbox(settings))
    runner.after_change.append(partial(refresh_homes, deps, make_client(settings)))
    stop = threading.Event()
    syncs = WebhookSyncs(runner.webhook_sync, stop)
    syncs.start()
    try:
        # the bot's own endpoint and the Slack stand-in stay real beside the replayed Trello
        with replay(cassette, ignore_localhost=True) as cass:
            with serving(settings, deps, webhooks=syncs.request) as running:
                before(running)
                body = notification("trello")
                url = f"{running.base}/webhooks/agence"
                headers = signed("trello", body, url, HOOK_SECRETS["trello"])
                assert post(running, "agence", body, headers).status_code == 200
                found: list[dict[str, Any]] = wait_for(look, "the move in changes", timeout=5)
                wait_for(lambda: syncs.runs == 1, "the end of the webhook's sync")
            assert cass.all_played  # one incremental fetch, every request of it
    finally:
        stop.set()
        syncs.wake_on_stop()
    return found


def test_a_signed_trello_move_shows_in_changes_within_seconds(
    tmp_path: Path, slack_api: SlackStandIn
) -> None:
    settings = settings_for(
        tmp_path, slack_api, [TRELLO_SOURCE], {"trello": HOOK_SECRETS["trello"]}
    )
    deps = Deps(settings, now=lambda: utc("2026-03-04T10:00:00"))
    synced_once(settings, deps)
    look = dupain_moves(settings.db_path, "closing")
    assert look() == []
    found = notify_then_wait(settings, deps, "trello/incremental.yaml", look)
    assert [(e["from"], e["at"][:16]) for e in found] == [("negotiation", "2026-03-03T17:45")]


def test_a_deal_won_in_trello_is_announced_after_the_webhook_sync(
    tmp_path: Path, slack_api: SlackStandIn
) -> None:
    settings = settings_for(tmp_path, slack_api, [TRELLO_SOURCE], {"trello": HOOK_SECRETS["trello"]},
                            slack={"channel": "C0TEAM"})  # fmt: skip
    deps = Deps(settings, now=lambda: utc("2026-03-04T10:00:00"))
    synced_once(settings, deps)
    notify_then_wait(
        settings, deps, "trello/webhook_won.yaml", dupain_moves(settings.db_path, "won")
    )
    posts = wait_for(lambda: slack_api.called("chat.postMessage"), "the announcement")
    assert [p.body["channel"] for p in posts] == ["C0TEAM"]
    assert "Boulangerie Dupain" in json.dumps(posts[0].body, ensure_ascii=False)


def test_an_app_home_left_open_is_published_again_after_the_webhook_sync(
    tmp_path: Path, slack_api: SlackStandIn
) -> None:
    settings = settings_for(tmp_path, slack_api, [TRELLO_SOURCE], {"trello": HOOK_SECRETS["trello"]},
                            people={"Marie Dupont": "UMARIE"})  # fmt: skip
    deps = Deps(settings, now=lambda: utc("2026-03-04T10:00:00"))
    synced_once(settings, deps)

    def homes() -> list[str]:
        return [block_texts(published_view(c)["blocks"]) for c in slack_api.called("views.publish")
                if c.body.get("user_id") == "UMARIE"]  # fmt: skip

    def open_home(served: Served) -> None:
        event = {"type": "app_home_opened", "user": "UMARIE", "channel": "D1", "tab": "home"}
        send_event(served, event, "EvHome1")
        wait_for(homes, "Marie's App Home")

    notify_then_wait(settings, deps, "trello/incremental.yaml",
                     dupain_moves(settings.db_path, "closing"), before=open_home)  # fmt: skip
    first, again = wait_for(lambda: homes()[1:] and homes(), "her App Home published again")

    def dupain_stage(home: str) -> str:
        lines = home.splitlines()  # the deal's title line, then its owner and stage
        return lines[next(i for i, text in enumerate(lines) if "Boulangerie Dupain" in text) + 1]

    assert "Negotiation" in dupain_stage(first)
    assert "Closing" in dupain_stage(again)


# --- coalescing ---------------------------------------------------------------------------------


def test_bursts_coalesce_and_a_notification_during_a_sync_costs_one_more() -> None:
    calls: list[str] = []
    started, go = threading.Event(), threading.Event()
    busy_once = {"b"}

    def run(source: str) -> bool:
        calls.append(source)
        if len(calls) == 1:
            started.set()
            assert go.wait(10)
        if source in busy_once:  # another process held the sync: tried again shortly
            busy_once.discard(source)
            return False
        return True

    stop = threading.Event()
    syncs = WebhookSyncs(run, stop, retry_s=0.01)
    syncs.start()
    try:
        syncs.request("agence")
        assert started.wait(10)
        for _ in range(20):  # a burst while "agence" syncs
            syncs.request("agence")
        syncs.request("b")
        syncs.request("c")
        go.set()
        wait_for(lambda: syncs.runs == 4, "the queue to drain")
        syncs.request("sentinel")  # anything queued by mistake would run before it
        wait_for(lambda: syncs.runs == 5, "the sentinel's sync")
    finally:
        stop.set()
        syncs.wake_on_stop()
    # one sync for the burst; "b" was busy elsewhere the first time, so it ran after "c"
    assert calls == ["agence", "agence", "b", "c", "b", "sentinel"]


def test_a_burst_of_signed_notifications_costs_two_syncs_at_most(
    tmp_path: Path, slack_api: SlackStandIn
) -> None:
    settings = settings_for(tmp_path, slack_api, SOURCES, HOOK_SECRETS)
    calls: list[str] = []
    started, go = threading.Event(), threading.Event()

    def run(source: str) -> bool:
        calls.append(source)
        started.set()
        return go.wait(10)

    stop = threading.Event()
    syncs = WebhookSyncs(run, stop)
    syncs.start()
    try:
        with serving(settings, webhooks=syncs.request) as running:
            body = notification("clickup")
            headers = signed("clickup", body, "", HOOK_SECRETS["clickup"])
            assert post(running, "clickup", body, headers).status_code == 200
            assert started.wait(10)
            answers = [post(running, "clickup", body, headers).status_code for _ in range(25)]
            go.set()
            wait_for(lambda: syncs.runs == 2, "the one sync after the burst")
            syncs.request("sentinel")
            wait_for(lambda: syncs.runs == 3, "the sentinel's sync")
    finally:
        stop.set()
        syncs.wake_on_stop()
    assert answers == [200] * 25
    assert calls == ["clickup", "clickup", "sentinel"]


def test_a_webhook_sync_waits_for_another_process_holding_the_sync(
    tmp_path: Path, slack_api: SlackStandIn
) -> None:
    sheet = {"kind": "csv", "name": "sheet", "path": "deals.csv"}
    settings = settings_for(tmp_path, slack_api, [sheet], {})
    deps = Deps(settings, now=lambda: utc("2026-03-04T10:00:00"))
    runner = Scheduler(
        deps, outbox_factory=lambda: make_outbox(settings), holder="this-host:1:aaaa"
    )
    store = deps.open_store()
    try:
        moment = deps.now()
        assert store.acquire_lease(
            "job:sync", "other-host:7:bbbb", moment, moment + timedelta(minutes=5)
        )
        assert runner.webhook_sync("sheet") is False  # busy elsewhere: the queue tries again
        assert store.sync_state("sheet") is None
        store.release_lease("job:sync", "other-host:7:bbbb")
        assert runner.webhook_sync("sheet") is True
        assert (store.sync_state("sheet") or {}).get("last_success")
    finally:
        store.close()


def test_a_store_that_cannot_open_is_503_in_one_line(
    tmp_path: Path, slack_api: SlackStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    settings = settings_for(tmp_path, slack_api, SOURCES, HOOK_SECRETS)
    queued: list[str] = []
    deps = FailingDeps(settings, StoreLocked(str(settings.db_path)))
    with serving(settings, deps, webhooks=queued.append) as running:
        body = notification("jira")
        answer = post(running, "jira", body, signed("jira", body, "", HOOK_SECRETS["jira"]))
    assert answer.status_code == 503 and queued == []
    (line,) = refusals(caplog)
    assert line.startswith(
        "refused a webhook to /webhooks/jira from 127.0.0.1: failed: StoreLocked"
    )
    assert "is locked by another pipeline-bot process" in line and "\n" not in line


# --- `serve` as users run it ----------------------------------------------------------------------


def test_serve_syncs_a_source_on_its_signed_notification_behind_a_trusted_proxy(
    tmp_path: Path, slack_api: SlackStandIn
) -> None:
    trello = FakeTrello()
    port = free_port()
    with trello.running() as api_root:
        fields = "\n".join(f'{key} = "{name}"' for key, name in TRELLO_FIELDS.items())
        (tmp_path / "pipeline.toml").write_text(
            'language = "en"\n[[sources]]\nkind = "trello"\nname = "agence"\n'
            f'board = "{BOARD}"\nbase_url = "{api_root}"\n[sources.fields]\n{fields}\n',
            encoding="utf-8",
        )
        env = clean_env(
            tmp_path,
            SLACK_BOT_TOKEN="xoxb-test",
            SLACK_SIGNING_SECRET=SECRET,
            SLACK_API_URL=slack_api.base_url,
            TRELLO_API_KEY=CREDENTIALS["trello_api_key"],
            TRELLO_TOKEN=CREDENTIALS["trello_token"],
            TRELLO_API_SECRET=HOOK_SECRETS["trello"],
            PIPELINE_TRUSTED_PROXY="127.0.0.1",
        )
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "serve", "--port", str(port)],
            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:

            def first_sync_done() -> bool:
                assert process.poll() is None, process.communicate()[1]
                if not ON_POSTGRES and not (tmp_path / "pipeline.db").exists():
                    return False  # serve has not created the file yet
                store = store_at(tmp_path / "pipeline.db")
                try:
                    return bool((store.sync_state("agence") or {}).get("last_success"))
                finally:
                    store.close()

            wait_for(first_sync_done, "serve's first sync", timeout=30)  # at start, in full
            trello.phase = "incremental.yaml"
            look = dupain_moves(tmp_path / "pipeline.db", "closing")
            assert look() == []
            body = notification("trello")
            public = "https://pipeline.agence-exemple.fr/webhooks/agence"  # what Trello called
            proxied = {
                "X-Forwarded-Proto": "https",
                "X-Forwarded-Host": "pipeline.agence-exemple.fr",
            }
            url = f"http://127.0.0.1:{port}/webhooks/agence"
            wrong = requests.post(url, data=body, timeout=10, headers={
                **proxied, **signed("trello", body, public, "not-the-secret")})  # fmt: skip
            assert wrong.status_code == 401
            good = requests.post(url, data=body, timeout=10, headers={
                **proxied, **signed("trello", body, public, HOOK_SECRETS["trello"])})  # fmt: skip
            assert good.status_code == 200
            found = wait_for(look, "the move in changes", timeout=5)
            assert found[0]["from"] == "negotiation"
        finally:
            process.send_signal(signal.SIGTERM)
            _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr and HOOK_SECRETS["trello"] not in stderr
    assert "refused a webhook to /webhooks/agence" in stderr  # the wrong one, in one line
