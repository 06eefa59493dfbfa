"""The HTTP side: a small WSGI app (`POST /slack/events`, `POST /webhooks/<source>`,
`GET /healthz`) served by waitress.

Bolt's own `app.start()` is a development server; waitress is a production WSGI server with a
thread pool, and running its event loop ourselves (`serve_until`) lets SIGTERM stop it cleanly:
stop accepting, let answers in flight go out, then close. That loop also enforces the
`ConnectionPolicy` (request deadline, idle timeout, room near the connection limit), and every
`/slack/events` request is size-capped and its signature checked over the raw bytes before Bolt
parses anything (see docs/deploy.md, "The endpoint under load").
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

from bot.db.target import PgError, describe, is_postgres
from bot.deps import Deps
from bot.i18n import t
from bot.render.blocks import notice
from bot.slack.app import require_secret
from bot.slack.waitress_loop import Connection, WaitressLoop
from bot.webhooks import PREFIX, Reply, handle, source_of

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
#: Slack sends a few kB; anything larger is refused (413) before it is read, let alone parsed.
MAX_BODY_BYTES = 1 << 20
#: Slack's own rule: a signature older than five minutes is refused (replays).
SIGNATURE_MAX_AGE_S = 300
#: How often the connection policy looks at every socket (see `ConnectionPolicy`).
ENFORCE_EVERY_S = 0.1

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


def health(deps: Deps) -> tuple[bool, dict[str, Any]]:
    """(healthy, body): the store opens read-only and answers the queries `/pipeline` leans on.

    Read-only, so a probe never writes nor creates the file. Reading only the schema would pass
    a file corrupt past its first page; counting the open deals by stage walks the deals index,
    and the sync state and migrations tables are read as well. On PostgreSQL the same queries
    run in a read-only transaction, on a connection of its own, each bounded by a short timeout:
    a server that is down or stuck fails the probe within seconds.
    """
    target = deps.settings.db_path
    if is_postgres(target):
        return _server_health(str(target))
    path = Path(target)
    if not path.exists():
        return False, {"ok": False, "db": f"missing: {path} (run `pipeline-bot sync` first)"}
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=1)
        try:
            for sql in HEALTH_QUERIES:
                conn.execute(sql).fetchall()
        finally:
            conn.close()
    except sqlite3.Error as exc:
        log.warning("health check: database %s unusable: %s", path, exc)
        return False, {"ok": False, "db": f"error: {exc}"}
    return True, {"ok": True, "db": "ok"}


#: How long a PostgreSQL health probe may take to connect, and each of its queries.
HEALTH_TIMEOUT_S = 2.0


def _server_health(url: str) -> tuple[bool, dict[str, Any]]:
    from bot.errors import StoreError
    from bot.store import store_error

    try:
        from bot.db.pg_connection import connect

        conn = connect(url, timeout_s=HEALTH_TIMEOUT_S, statement_timeout_s=HEALTH_TIMEOUT_S)
        try:
            conn.execute("BEGIN READ ONLY")
            for sql in SERVER_HEALTH_QUERIES:
                conn.execute(sql).fetchall()
            conn.execute("ROLLBACK")
        finally:
            conn.close()
    except (PgError, ImportError) as exc:  # down, refused, stuck; or no driver
        failure = (
            StoreError(url, "pg_driver", str(exc))
            if isinstance(exc, ImportError)
            else store_error(url, exc)
        )
        log.warning("health check: database %s unusable: %s", describe(url), failure.detail)
        return False, {"ok": False, "db": f"error: {failure.detail}"}
    return True, {"ok": True, "db": "ok"}


HEALTH_QUERIES = (
    "PRAGMA user_version",  # the store's up-to-date mark (bot.store.LazyMigrations)
    "SELECT stage, COUNT(*), SUM(amount) FROM deals WHERE removed = 0 GROUP BY stage",
    "SELECT COUNT(*), MAX(last_attempt) FROM sync_state",
)
#: The same on PostgreSQL, whose migrations are recorded in sqlite-utils' table
#: (bot/db/pg_schema.py)
SERVER_HEALTH_QUERIES = ("SELECT COUNT(*) FROM _sqlite_migrations", *HEALTH_QUERIES[1:])


class Refused(Exception):
    """A request answered before Bolt sees it: `status` and the reason logged in one line."""

    def __init__(self, status: str, reason: str):
        super().__init__(reason)
        self.status = status


def read_verified_body(environ: dict[str, Any], secret: str, now: float) -> bytes:
    """The raw body of a request Slack signed, read at most `MAX_BODY_BYTES`; else `Refused`.

    Checked here, over the raw bytes and before any parsing, because Bolt decodes the body as
    UTF-8 and parses JSON and the timestamp *before* it checks the signature: garbage (a
    timestamp `abc`, invalid UTF-8, broken JSON) reached its error handler as a listener error.
    The size is refused from `Content-Length` and again while reading, so a large unsigned
    body is never held in memory.
    """
    stamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", "")
    signature = environ.get("HTTP_X_SLACK_SIGNATURE", "")
    if not stamp or not signature:
        raise Refused("401 Unauthorized", "no Slack signature")
    if not (stamp.isascii() and stamp.isdigit() and len(stamp) <= 12):
        raise Refused("401 Unauthorized", "malformed Slack timestamp")
    if abs(now - int(stamp)) > SIGNATURE_MAX_AGE_S:
        raise Refused("401 Unauthorized", "stale Slack signature")
    body = read_capped_body(environ)
    expected = hmac.new(secret.encode(), b"v0:" + stamp.encode() + b":" + body, hashlib.sha256)
    given = signature.encode("latin-1", errors="replace")
    if not hmac.compare_digest(b"v0=" + expected.hexdigest().encode(), given):
        raise Refused("401 Unauthorized", "bad Slack signature")
    return body


def read_capped_body(environ: dict[str, Any]) -> bytes:
    """The raw body, at most `MAX_BODY_BYTES`: refused (413) from `Content-Length` before any
    byte is read, and again while reading, so a large body is never held in memory."""
    declared = environ.get("CONTENT_LENGTH") or ""
    if declared and not (declared.isascii() and declared.isdigit()):
        raise Refused("400 Bad Request", "malformed Content-Length")
    if declared and int(declared) > MAX_BODY_BYTES:
        raise Refused("413 Content Too Large", f"body of {declared} bytes")
    body: bytes = environ["wsgi.input"].read(MAX_BODY_BYTES + 1)
    if len(body) > MAX_BODY_BYTES:
        raise Refused("413 Content Too Large", f"body over {MAX_BODY_BYTES} bytes")
    return body


def check_payload(body: bytes, content_type: str) -> None:
    """`Refused` (400) when a signed body is not what Slack sends: UTF-8, form or JSON."""
    try:
        text = body.decode("utf-8")
        if content_type.startswith("application/json"):
            json.loads(text)
        else:
            payload = parse_qs(text).get("payload")
            if payload:
                json.loads(payload[0])
    except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise Refused("400 Bad Request", f"malformed signed body ({type(exc).__name__})") from None


def make_wsgi(
    app: App,
    deps: Deps,
    *,
    events: bool = True,
    webhooks: Callable[[str], None] | None = None,
) -> WSGIApp:
    """Route `/slack/events` to Bolt (after checking the signature), the task managers'
    notifications on `/webhooks/<source>` to `bot.webhooks` (each verified sends its source's
    name to `webhooks`, which queues a sync), and answer `/healthz`.

    `events=False` (Socket Mode: Slack talks over the WebSocket, and there is no signing secret
    to check requests with) serves no `/slack/events`: nothing unsigned ever reaches Bolt.
    Webhooks carry their own signatures and are served in both modes when `webhooks` is given.
    """
    bolt = SlackRequestHandler(app, path=EVENTS_PATH)
    secret = ""
    if events:
        secret = require_secret(deps.settings, "SLACK_SIGNING_SECRET", "the app's signing secret")

    def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO") or "/"
        method = environ.get("REQUEST_METHOD", "GET")
        if path == HEALTH_PATH:
            healthy, report = health(deps)
            status = "200 OK" if healthy else "503 Service Unavailable"
            return _reply(start_response, status, report)
        if webhooks is not None and path.startswith(PREFIX):
            return _webhook(deps, webhooks, environ, start_response)
        if path != EVENTS_PATH or not events:
            return _reply(start_response, "404 Not Found", {"ok": False, "error": "not found"})
        if method != "POST":
            return _reply(
                start_response,
                "405 Method Not Allowed",
                {"ok": False, "error": "POST only"},
                (("Allow", "POST"),),
            )
        try:
            body = read_verified_body(environ, secret, time.time())
            check_payload(body, environ.get("CONTENT_TYPE", ""))
        except Refused as refused:
            log.warning(
                "refused a request to %s from %s: %s (%s)",
                path,
                environ.get("REMOTE_ADDR", "?"),
                "bad or stale Slack signature" if refused.status.startswith("401") else "refused",
                refused,
            )
            reason = refused.status.split(" ", 1)[1].lower()
            return _reply(start_response, refused.status, {"ok": False, "error": reason})
        environ = {**environ, "wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body))}
        try:
            return bolt(environ, start_response)  # type: ignore[arg-type]
        except Exception:  # Bolt answers its own errors; this is a bug below it: never a 500
            log.exception("Slack request to %s failed before Bolt could answer", path)
            text = t("slack.failed", deps.settings.language, question=path, error="internal")
            return _reply(start_response, "200 OK", notice(text))

    return application


def _webhook(
    deps: Deps,
    queue: Callable[[str], None],
    environ: dict[str, Any],
    start_response: StartResponse,
) -> Iterable[bytes]:
    """`/webhooks/<source>`: 404 for a source not configured, 200 to `HEAD` (Trello checks a
    callback that way), and a POST checked by `bot.webhooks.handle`; refusals logged in one
    line (never the body)."""
    path = environ.get("PATH_INFO") or "/"
    method = environ.get("REQUEST_METHOD", "GET")
    settings = deps.settings
    raw = source_of(settings, path)
    if raw is None:
        log.warning("refused a webhook to %s from %s: no such source",
                    path, environ.get("REMOTE_ADDR", "?"))  # fmt: skip
        return _reply(start_response, "404 Not Found", {"ok": False, "error": "no such source"})
    if method == "HEAD":
        start_response("200 OK", [("Content-Length", "0")])
        return [b""]
    if method != "POST":
        allow = (("Allow", "POST, HEAD"),)
        return _reply(start_response, "405 Method Not Allowed",
                      {"ok": False, "error": "POST only"}, allow)  # fmt: skip
    try:
        body = read_capped_body(environ)
        reply = handle(settings, deps.open_store, deps.now(), raw, environ, body, queue)
    except Refused as refused:
        reply = Reply(refused.status, reason=str(refused))
    except Exception as exc:  # the database (locked, unusable) or a bug: the tool retries later
        reply = Reply("503 Service Unavailable", reason=f"failed: {type(exc).__name__}: {exc}")
    if reply.refused:
        log.warning("refused a webhook to %s from %s: %s",
                    path, environ.get("REMOTE_ADDR", "?"), reply.reason)  # fmt: skip
        error = reply.status.split(" ", 1)[1].lower()
        return _reply(start_response, reply.status, {"ok": False, "error": error})
    start_response(reply.status, [("Content-Length", str(len(reply.body))), *reply.headers])
    return [reply.body]


@dataclass(frozen=True)
class ConnectionPolicy:
    """How long a client may take and how many may be connected, before it is dropped.

    waitress reads each request whole (headers and body) on its event loop before a worker
    thread sees it, so a slow client costs a socket, never a thread. What it lacks is a deadline
    for a request that trickles in (its `channel_timeout` counts from the last byte, so one byte
    every few seconds keeps a socket forever) and a way to stay reachable once `connection_limit`
    sockets are held (it stops accepting). `HttpServer` adds both on its own loop:
    `request_seconds` from a request's first byte to its last, `idle_seconds` for a connection
    with nothing in flight, and, near `connection_limit`, the longest-waiting sockets that are
    not being answered are closed to make room for new ones.
    """

    request_seconds: float = 10.0
    idle_seconds: int = 15
    connection_limit: int = 2000
    max_body_bytes: int = MAX_BODY_BYTES
    max_header_bytes: int = 64 * 1024

    @property
    def room(self) -> int:
        """Sockets kept free for new connections: eviction starts this far below the limit."""
        return max(8, self.connection_limit // 10)


def raise_open_files(wanted: int) -> int:
    """Lift this process's soft limit on open files towards `wanted` (the hard limit caps it):
    systemd's default soft limit, 1024, would stop a server holding a thousand sockets."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (OSError, ValueError) as exc:
            log.warning("cannot raise the open-file limit to %s: %s", target, exc)
    return wanted if soft == resource.RLIM_INFINITY else int(soft)


class HttpServer:
    """waitress on `host:port` (port 0: any free port) with a loop we can stop, and the
    `ConnectionPolicy` enforced on that loop (waitress' internals: `bot/slack/waitress_loop.py`)."""

    def __init__(
        self,
        application: WSGIApp,
        host: str = "0.0.0.0",
        port: int = 3000,
        threads: int = 32,
        policy: ConnectionPolicy | None = None,
        trusted_proxy: str | None = None,
    ):
        """`trusted_proxy`: the address of the reverse proxy in front (`PIPELINE_TRUSTED_PROXY`),
        whose `X-Forwarded-Proto` and `X-Forwarded-Host` then give the scheme and host the
        client used (Trello signs that URL); anyone else's are dropped."""
        policy = policy or ConnectionPolicy()
        proxy: dict[str, Any] = {}
        if trusted_proxy:
            proxy = {
                "trusted_proxy": trusted_proxy,
                "trusted_proxy_count": 1,
                "trusted_proxy_headers": {"x-forwarded-proto", "x-forwarded-host"},
            }
        limit = min(policy.connection_limit, raise_open_files(policy.connection_limit + 256) - 256)
        self.policy = replace(policy, connection_limit=max(16, limit))
        self._since: dict[int, tuple[int, float]] = {}
        self.dropped = 0
        self.loop = WaitressLoop(
            application,
            host=host,
            port=port,
            threads=threads,
            ident="pipeline-bot",
            connection_limit=self.policy.connection_limit,
            channel_timeout=self.policy.idle_seconds,
            cleanup_interval=1,
            max_request_body_size=self.policy.max_body_bytes,
            max_request_header_size=self.policy.max_header_bytes,
            asyncore_use_poll=True,  # select() fails past file descriptor 1024
            **proxy,
        )

    @property
    def port(self) -> int:
        return self.loop.port

    def serve_until(
        self, stop: threading.Event, *, tick: float = 0.2, drain_seconds: float = 10.0
    ) -> None:
        """Serve until `stop` is set, then stop accepting, finish what is in flight, close."""
        try:
            next_check = 0.0
            while not stop.is_set():
                self.loop.pump(tick)
                now = time.monotonic()
                if now >= next_check:  # a pass over every socket: a few times a second at most
                    self.enforce(now)
                    next_check = now + ENFORCE_EVERY_S
            self.loop.stop_accepting()
            deadline = time.monotonic() + drain_seconds
            while self.loop.busy() and time.monotonic() < deadline:
                self.loop.pump(0.05)
        finally:
            self.loop.close()

    def enforce(self, now: float) -> None:
        """Drop requests past `request_seconds` and, near the limit, the longest waiters."""
        waiting: list[tuple[float, Connection]] = []
        seen: dict[int, tuple[int, float]] = {}
        open_channels = 0
        for conn in self.loop.connections():
            if conn.closing:
                continue  # already closing
            open_channels += 1
            if conn.answering:
                continue  # being answered: never cut
            key = id(conn.partial) if conn.partial is not None else 0
            first = self._since.get(conn.fd)
            since = first[1] if first is not None and first[0] == key else now
            seen[conn.fd] = (key, since)
            if conn.partial is not None and now - since > self.policy.request_seconds:
                self._drop(conn)
            else:
                waiting.append((since, conn))
        self._since = seen
        excess = open_channels - (self.policy.connection_limit - self.policy.room)
        if excess > 0:
            waiting.sort(key=lambda item: item[0])
            for _, conn in waiting[:excess]:
                self._drop(conn)

    def _drop(self, conn: Connection) -> None:
        self.loop.drop(conn)
        self.dropped += 1

    def start_thread(self, stop: threading.Event, *, tick: float = 0.2) -> threading.Thread:
        """Serve on a background thread (tests and the benchmark); `stop` is seen within `tick`
        seconds (the tests' servers stop many times: a short tick keeps that quick)."""
        thread = threading.Thread(
            target=self.serve_until, args=(stop,), kwargs={"tick": tick}, daemon=True,
            name="pipeline-http",
        )  # fmt: skip
        thread.start()
        return thread
