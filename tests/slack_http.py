"""Helpers for the Slack tests: settings, a served app on 127.0.0.1, signed requests.

Everything goes through real HTTP: waitress serves the real WSGI app (Bolt behind it) on a free
port, Web API calls go to the local stand-in (`SLACK_API_URL`), and requests are signed the way
Slack signs them.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import requests
from slack_sdk.signature import SignatureVerifier

from bot.config_schema import validate_config
from bot.deps import Deps
from bot.secrets import Secrets
from bot.settings import Settings
from bot.slack.app import build_app
from bot.slack.wsgi import ConnectionPolicy, HttpServer, make_wsgi
from bot.store import Store
from tests.helpers import db_target, utc, wait_for
from tests.slack_standin import Call, SlackStandIn

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
NOW = utc("2026-03-20T10:00")


def make_settings(
    tmp_path: Path,
    slack_api: SlackStandIn | None = None,
    *,
    secrets: Mapping[str, str] | None = None,
    **config: Any,
) -> Settings:
    """Settings as a command or the app builds them, the database in `tmp_path`: `config` over
    English, the tests' bot token and signing secret (and any other `secrets`, by field name),
    Web API calls to the stand-in (without one, to a closed loopback port: nothing can reach
    Slack)."""
    values = {
        "slack_bot_token": "xoxb-test-token",
        "slack_signing_secret": SECRET,
        "slack_api_url": slack_api.base_url if slack_api else "http://127.0.0.1:9/api/",
        **(secrets or {}),
    }
    return Settings(
        config=validate_config({"language": "en", **config}),
        secrets=Secrets(**values),
        db_path=db_target(tmp_path / "pipeline.db"),
        base_dir=tmp_path,
    )


class FailingDeps(Deps):
    """Opening the store raises `error`: a locked database, a bug."""

    def __init__(self, settings: Settings, error: Exception):
        super().__init__(settings, now=lambda: NOW)
        self.error = error

    def open_store(self) -> Store:
        raise self.error


class GatedDeps(Deps):
    """Opening the store waits for the test's go: an answer that misses the ack's budget."""

    def __init__(self, settings: Settings):
        super().__init__(settings, now=lambda: NOW)
        self.go = threading.Event()

    def open_store(self) -> Store:
        assert self.go.wait(10)
        return super().open_store()


class CountingDeps(Deps):
    """Counts how often a listener reached the store."""

    def __init__(self, settings: Settings):
        super().__init__(settings, now=lambda: NOW)
        self.opened = 0

    def open_store(self) -> Store:
        self.opened += 1
        return super().open_store()


def send_until_closed(conn: socket.socket, chunks: Iterable[bytes]) -> int:
    """Send `chunks` until the server closes the socket (as it does once it refuses a body):
    how many bytes went out."""
    sent = 0
    for chunk in chunks:
        try:
            conn.sendall(chunk)
        except (BrokenPipeError, ConnectionResetError):
            break
        sent += len(chunk)
    return sent


@dataclass
class Served:
    base: str
    #: the stand-in's root URL: where a slash command's `response_url` points
    slack: str
    deps: Deps | None = None

    @property
    def response_url(self) -> str:
        """A `response_url` on the stand-in, in Slack's `/commands/<team>/<id>/<token>` shape: a
        late answer is recorded there, never sent to Slack."""
        return f"{self.slack}/commands/T1/1/hook"

    @property
    def events_url(self) -> str:
        return f"{self.base}/slack/events"

    @property
    def port(self) -> int:
        return int(self.base.rsplit(":", 1)[1])

    def status_of_head(self, head: bytes) -> bytes:
        """Send a request's head alone and return the answer's status line. A body too large
        by its `Content-Length` must be refused without being read: sending none of it leaves
        nothing unread on the server's socket, whose close would then reset the connection
        before the answer is read (a race under load)."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as conn:
            conn.sendall(head)
            return conn.recv(200).split(b"\r\n")[0]


@contextmanager
def serving(
    settings: Settings,
    deps: Deps | None = None,
    policy: ConnectionPolicy | None = None,
    webhooks: Callable[[str], None] | None = None,
    trusted_proxy: str | None = None,
    **build: Any,
) -> Iterator[Served]:
    """The real WSGI app under waitress on a free loopback port, for the `with` block;
    `webhooks` receives the source of each verified task-manager notification."""
    deps = deps or Deps(settings, now=lambda: NOW)
    app = build_app(settings, deps, **build)
    wsgi = make_wsgi(app, deps, webhooks=webhooks)
    server = HttpServer(wsgi, host="127.0.0.1", port=0, policy=policy, trusted_proxy=trusted_proxy)
    stop = threading.Event()
    thread = server.start_thread(stop, tick=0.02)
    try:
        slack = settings.secrets.slack_api_url.rstrip("/").removesuffix("/api")
        yield Served(f"http://127.0.0.1:{server.port}", slack, deps)
    finally:
        stop.set()
        thread.join(timeout=10)


def signed_headers(
    body: str,
    secret: str = SECRET,
    timestamp: int | None = None,
    content_type: str = "application/x-www-form-urlencoded",
) -> dict[str, str]:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=stamp, body=body)
    return {
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": signature,
        "Content-Type": content_type,
    }


def command_body(
    text: str,
    *,
    user: str = "U1",
    channel: str = "C1",
    response_url: str,
) -> str:
    return urlencode(
        {
            "token": "legacy",
            "team_id": "T1",
            "team_domain": "agence",
            "channel_id": channel,
            "channel_name": "ventes",
            "user_id": user,
            "user_name": "someone",
            "command": "/pipeline",
            "text": text,
            "api_app_id": "A1",
            "response_url": response_url,
            "trigger_id": f"trig-{time.monotonic_ns()}",
        }
    )


def send_command(served: Served, text: str, **fields: Any) -> requests.Response:
    """`/pipeline TEXT`, signed; its `response_url` on the stand-in unless `fields` give one."""
    fields.setdefault("response_url", served.response_url)
    body = command_body(text, **fields)
    return requests.post(
        served.events_url, data=body.encode(), headers=signed_headers(body), timeout=10
    )


def send_event(
    served: Served, event: dict[str, Any], event_id: str, retry: int | None = None
) -> requests.Response:
    body = json.dumps(
        {
            "token": "legacy",
            "team_id": "T1",
            "api_app_id": "A1",
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(NOW.timestamp()),
            "event": event,
        }
    )
    headers = signed_headers(body, content_type="application/json")
    if retry is not None:
        headers["X-Slack-Retry-Num"] = str(retry)
        headers["X-Slack-Retry-Reason"] = "http_timeout"
    return requests.post(served.events_url, data=body.encode(), headers=headers, timeout=10)


def send_action(
    events_url: str,
    action: dict[str, Any],
    message: dict[str, Any],
    *,
    response_url: str,
    user: str = "UALICE",
    channel: str = "DALICE",
    signature: str | None = None,
) -> requests.Response:
    """`action` (a button, a select, a date picker) used on `message` (its `text` and `blocks`)
    in `channel`, as Slack posts the `block_actions` payload: form-encoded and signed
    (`signature` replaces the right one)."""
    payload = {
        "type": "block_actions",
        "user": {"id": user, "username": user.lower(), "team_id": "T1"},
        "api_app_id": "A1", "token": "legacy", "team": {"id": "T1", "domain": "agence"},
        "container": {"type": "message", "message_ts": "1700000000.000001",
                      "channel_id": channel, "is_ephemeral": False},
        "channel": {"id": channel, "name": "directmessage"},
        "message": {"type": "message", "ts": "1700000000.000001", "text": message["text"],
                    "blocks": message["blocks"]},
        "response_url": response_url,
        "trigger_id": f"trig-{time.monotonic_ns()}",
        "actions": [{"action_ts": "1700000001.0", **action}],
    }  # fmt: skip
    return send_interaction(events_url, payload, signature=signature)


def send_interaction(events_url: str, payload: dict[str, Any], *,
                     signature: str | None = None) -> requests.Response:  # fmt: skip
    """Any interactive payload (`block_actions`, `view_submission`) as Slack posts it: one
    form field `payload` holding the JSON, signed (`signature` replaces the right one)."""
    body = urlencode({"payload": json.dumps(payload)})
    headers = signed_headers(body)
    if signature is not None:
        headers["X-Slack-Signature"] = signature
    return requests.post(events_url, data=body.encode(), headers=headers, timeout=10)


def sentinel(served: Served, slack_api: SlackStandIn) -> Call:
    """Send a request that certainly has an effect (an App Home opening by `USENTINEL`) and wait
    for it: background work started by the requests sent before it has been picked up by then, so
    a check that something did *not* happen can follow without sleeping."""

    def published() -> list[Call]:
        return [
            c for c in slack_api.called("views.publish") if c.body.get("user_id") == "USENTINEL"
        ]

    before = len(published())
    event = {"type": "app_home_opened", "user": "USENTINEL", "channel": "D1", "tab": "home"}
    send_event(served, event, f"EvSentinel{time.monotonic_ns()}")
    wait_for(lambda: len(published()) > before, "the sentinel's views.publish")
    return published()[-1]


def web_calls(slack_api: SlackStandIn) -> list[Call]:
    """Calls other than the `auth.test` made when the app is built."""
    return [c for c in slack_api.calls if c.method != "auth.test"]


def block_texts(blocks: list[dict[str, Any]]) -> str:
    """Every text in a list of blocks, joined: what a user would read."""
    out: list[str] = []
    for block in blocks:
        text = block.get("text")
        if isinstance(text, dict):
            out.append(text.get("text", ""))
        for element in block.get("elements") or []:
            if isinstance(element, dict) and isinstance(element.get("text"), str):
                out.append(element["text"])
        for item in block.get("fields") or []:
            out.append(item.get("text", ""))
    return "\n".join(out)


def as_of(moment: datetime) -> Callable[[], datetime]:
    return lambda: moment


def published_view(call: Call) -> dict[str, Any]:
    """The `view` of a recorded `views.publish` (JSON body, or form-encoded JSON text)."""
    view = call.body["view"]
    return view if isinstance(view, dict) else json.loads(view)
