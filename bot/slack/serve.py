"""`pipeline-bot serve`: the Slack bot (HTTP or Socket Mode) and the scheduler, until SIGTERM.

HTTP mode: waitress on `--port` / `$PORT` / 3000 (`$PIPELINE_HOST`, default 0.0.0.0) serving
`POST /slack/events`, `POST /webhooks/<source>` (the task managers' change notifications, each
followed by a sync of that source within seconds) and `GET /healthz`. Socket Mode when
`SLACK_APP_TOKEN` is set (no public URL needed); `/healthz` and the webhooks are still served.
SIGTERM/SIGINT set one stop event shared with the scheduler, so both wind down together.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
from functools import partial
from types import FrameType
from typing import Any

from slack_bolt.error import BoltError
from slack_sdk.errors import SlackClientError

from bot import scheduler
from bot.deps import Deps
from bot.errors import STORE_FAULTS, StoreLocked
from bot.settings import Settings
from bot.slack.app import MissingSlackSecret, build_app, require_secret
from bot.slack.home_tab import refresh_homes
from bot.slack.wsgi import HttpServer, make_wsgi
from bot.slack_client import make_outbox
from bot.store import store_error
from bot.webhooks import WebhookSyncs

log = logging.getLogger("bot.serve")

DEFAULT_PORT = 3000
#: `serve`'s exit status when the database can't be used (corrupt, read-only, full, a folder):
#: deploy/pipeline-bot.service lists it in RestartPreventExitStatus, so no restart loop.
STORE_UNUSABLE_EXIT = 3
HOST_ENV = "PIPELINE_HOST"
#: The reverse proxy's address: its X-Forwarded-Proto/-Host are believed (webhook signatures).
PROXY_ENV = "PIPELINE_TRUSTED_PROXY"


class ServeError(Exception):
    """A problem `serve` reports in one line; `code` is the exit status."""

    def __init__(self, message: str, code: int = 2):
        super().__init__(message)
        self.code = code


def resolve_port(cli_port: int | None, environ: dict[str, str] | None = None) -> int:
    """`--port`, else `$PORT`, else 3000."""
    env = os.environ if environ is None else environ
    if cli_port is not None:
        port, origin = cli_port, "--port"
    elif env.get("PORT"):
        raw = env["PORT"]
        if not raw.strip().isdigit():
            raise ServeError(f"PORT must be a port number, got {raw!r}")
        port, origin = int(raw), "PORT"
    else:
        return DEFAULT_PORT
    if not 0 <= port <= 65535:
        raise ServeError(f"{origin} must be between 0 and 65535, got {port}")
    return port


def notify_systemd(state: str) -> None:
    """Tell systemd (`systemctl status` shows it as "Status:") when it gave us a socket for it;
    otherwise (Docker, a terminal) the line on stderr is what the operator sees."""
    address = os.environ.get("NOTIFY_SOCKET")
    if not address:
        return
    if address.startswith("@"):
        address = "\0" + address[1:]  # an abstract socket
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as conn:
            conn.sendto(state.encode(), address)
    except OSError as exc:
        log.warning("cannot notify systemd: %s", exc)


def _check_secrets(settings: Settings, socket_mode: bool) -> None:
    try:
        require_secret(settings, "SLACK_BOT_TOKEN", "the bot token (xoxb-…)")
        if not socket_mode:
            require_secret(settings, "SLACK_SIGNING_SECRET", "the app's signing secret")
    except MissingSlackSecret as exc:
        raise ServeError(str(exc)) from None


def _start_app(settings: Settings, deps: Deps, socket_mode: bool) -> Any:
    try:
        return build_app(settings, deps, socket_mode=socket_mode)
    except MissingSlackSecret as exc:
        raise ServeError(str(exc)) from None
    except BoltError as exc:  # auth.test refused the token
        raise ServeError(f"Slack refused SLACK_BOT_TOKEN ({exc}); check the bot token") from None
    except (SlackClientError, OSError) as exc:
        url = settings.secrets.slack_api_url
        raise ServeError(f"cannot reach the Slack Web API at {url} ({exc})", code=1) from None


def serve(settings: Settings, cli_port: int | None) -> int:
    """Run until SIGTERM/SIGINT; returns the exit status."""
    port = resolve_port(cli_port)
    socket_mode = settings.secrets.slack_app_token is not None and bool(
        settings.secrets.slack_app_token.get_secret_value()
    )
    deps = Deps(settings)
    _check_secrets(settings, socket_mode)  # before anything touches the database
    try:  # migrations and re-mapping now, not on the first question
        deps.open_store().close()
    except STORE_FAULTS as exc:
        failure = store_error(settings.db_path, exc)
        # locked: another process is busy with it, a restart later is right; anything else
        # (corrupt, read-only, full, a folder) needs a person: a status systemd won't restart on
        code = 1 if isinstance(failure, StoreLocked) else STORE_UNUSABLE_EXIT
        raise ServeError(failure.localised(settings.language), code=code) from None
    stop = threading.Event()
    app = _start_app(settings, deps, socket_mode)
    try:
        socket_handler = _connect_socket_mode(settings, app) if socket_mode else None
        host = os.environ.get(HOST_ENV, "0.0.0.0")
        runner = scheduler.Scheduler(deps, outbox_factory=lambda: make_outbox(settings))
        runner.after_change.append(partial(refresh_homes, deps, app.client))
        syncs = WebhookSyncs(runner.webhook_sync, stop)
        try:
            wsgi = make_wsgi(app, deps, events=not socket_mode, webhooks=syncs.request)
            proxy = os.environ.get(PROXY_ENV) or None
            http = HttpServer(wsgi, host=host, port=port, trusted_proxy=proxy)
        except OSError as exc:
            if socket_handler is not None:
                socket_handler.close()
            raise ServeError(f"cannot listen on {host}:{port} ({exc})", code=1) from None
    except ServeError:
        stop.set()  # whatever was started winds down with us
        raise
    _on_signals(stop)
    background = scheduler.run_in_background(runner, stop)
    webhook_thread = syncs.start()
    mode = "Socket Mode" if socket_mode else f"HTTP on POST /slack/events, port {http.port}"
    log.info(
        "pipeline-bot serving (%s; GET /healthz on port %s; database %s)",
        mode,
        http.port,
        settings.db_description,
    )
    try:
        http.serve_until(stop)
    finally:
        stop.set()
        if socket_handler is not None:
            socket_handler.close()
        syncs.wake_on_stop()
        background.join(timeout=10)
        webhook_thread.join(timeout=10)  # a webhook's sync in flight finishes
    log.info("pipeline-bot stopped")
    return 0


def _connect_socket_mode(settings: Settings, app: Any) -> Any:
    """Open the Socket Mode connection now, so a bad app token fails at start in one line."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler
    from slack_sdk.errors import SlackApiError

    app_token = require_secret(settings, "SLACK_APP_TOKEN", "the app-level token (xapp-…)")
    handler = SocketModeHandler(app, app_token)
    try:
        handler.connect()
    except SlackApiError as exc:
        error = exc.response.get("error") if exc.response is not None else exc
        raise ServeError(
            f"Slack refused SLACK_APP_TOKEN ({error}); it must be an app-level token (xapp-…) "
            "with the connections:write scope"
        ) from None
    except (SlackClientError, OSError, KeyError, ValueError) as exc:
        url = settings.secrets.slack_api_url
        raise ServeError(
            f"cannot open a Socket Mode connection via {url} ({exc!r})", code=1
        ) from None
    return handler


def _on_signals(stop: threading.Event) -> None:
    if threading.current_thread() is not threading.main_thread():
        return  # signals can only be handled on the main thread (embedded use, tests)

    def handle(signum: int, frame: FrameType | None) -> None:
        log.info("received %s: stopping", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)
