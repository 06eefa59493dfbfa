"""The HTTP side: a small WSGI app (`POST /slack/events`, `GET /healthz`) served by waitress.

Bolt's own `app.start()` is a development server; waitress is a production WSGI server with a
thread pool, and running its event loop ourselves (`serve_until`) lets SIGTERM stop it cleanly:
stop accepting, let answers in flight go out, then close.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from waitress import wasyncore
from waitress.server import create_server

from bot.i18n import t
from bot.render.blocks import notice
from bot.slack.deps import Deps

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def _reply(
    start_response: StartResponse,
    status: str,
    body: dict[str, Any],
    headers: tuple[tuple[str, str], ...] = (),
) -> list[bytes]:
    data = json.dumps(body, ensure_ascii=False).encode()
    start_response(
        status,
        [
            ("Content-Type", "application/json; charset=utf-8"),
            ("Content-Length", str(len(data))),
            *headers,
        ],
    )
    return [data]


def health(deps: Deps) -> dict[str, Any]:
    """`{"ok": true, "db": "ok"}`; the database is opened read-only so a probe never writes."""
    path = deps.settings.db_path
    if not path.exists():
        return {"ok": True, "db": "missing: run `pipeline-bot sync` first"}
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=1)
        try:
            conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
        finally:
            conn.close()
    except sqlite3.Error as exc:
        log.warning("health check: database %s unreadable: %s", path, exc)
        return {"ok": True, "db": f"error: {exc}"}
    return {"ok": True, "db": "ok"}


def make_wsgi(app: App, deps: Deps, *, events: bool = True) -> WSGIApp:
    """Route `/slack/events` to Bolt (which checks every signature) and answer `/healthz`.

    `events=False` (Socket Mode: Slack talks over the WebSocket, and there is no signing secret
    to check requests with) serves `/healthz` only: nothing unsigned ever reaches Bolt.
    """
    bolt = SlackRequestHandler(app, path=EVENTS_PATH)

    def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO") or "/"
        method = environ.get("REQUEST_METHOD", "GET")
        if path == HEALTH_PATH:
            return _reply(start_response, "200 OK", health(deps))
        if path != EVENTS_PATH or not events:
            return _reply(start_response, "404 Not Found", {"ok": False, "error": "not found"})
        if method != "POST":
            return _reply(
                start_response,
                "405 Method Not Allowed",
                {"ok": False, "error": "POST only"},
                (("Allow", "POST"),),
            )

        def start(status: str, headers: Any, *args: Any) -> Any:
            if status.startswith("401"):
                log.warning(
                    "refused a request to %s from %s: bad or stale Slack signature",
                    path,
                    environ.get("REMOTE_ADDR", "?"),
                )
            return start_response(status, headers, *args)

        try:
            return bolt(environ, start)  # type: ignore[arg-type]
        except Exception:  # Bolt answers its own errors; this is a bug below it: never a 500
            log.exception("Slack request to %s failed before Bolt could answer", path)
            text = t("slack.failed", deps.settings.language, question=path, error="internal")
            return _reply(start_response, "200 OK", notice(text))

    return application


class HttpServer:
    """waitress on `host:port` (port 0: any free port) with a loop we can stop."""

    def __init__(
        self, application: WSGIApp, host: str = "0.0.0.0", port: int = 3000, threads: int = 32
    ):
        self._map: dict[int, Any] = {}
        self.server: Any = create_server(
            application, map=self._map, host=host, port=port, threads=threads, ident="pipeline-bot"
        )

    @property
    def port(self) -> int:
        return int(self.server.effective_port)

    def serve_until(
        self, stop: threading.Event, *, tick: float = 0.2, drain_seconds: float = 10.0
    ) -> None:
        """Serve until `stop` is set, then stop accepting, finish what is in flight, close."""
        use_poll = self.server.adj.asyncore_use_poll
        try:
            while not stop.is_set():
                wasyncore.loop(timeout=tick, map=self._map, use_poll=use_poll, count=1)
            self.server.accepting = False
            deadline = time.monotonic() + drain_seconds
            while self._busy() and time.monotonic() < deadline:
                wasyncore.loop(timeout=0.05, map=self._map, use_poll=use_poll, count=1)
        finally:
            self.close()

    def _busy(self) -> bool:
        return any(
            ch.requests or ch.total_outbufs_len for ch in list(self.server.active_channels.values())
        )

    def close(self) -> None:
        self.server.task_dispatcher.shutdown(cancel_pending=True, timeout=5)
        wasyncore.close_all(self._map)

    def start_thread(self, stop: threading.Event) -> threading.Thread:
        """Serve on a background thread (tests and the benchmark)."""
        thread = threading.Thread(
            target=self.serve_until, args=(stop,), daemon=True, name="pipeline-http"
        )
        thread.start()
        return thread
