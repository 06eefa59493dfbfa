"""`POST /webhooks/<source name>`: the task managers' change notifications, checked, then acted on.

A notification only says "something changed on this board": the body is never trusted for data.
Once its signature holds (each tool's own scheme, `integrations/*.verify_webhook`), the source is
queued for an incremental sync that a background thread runs within seconds, followed by what
`serve` does after any sync (announcements). Bursts coalesce: any number of notifications
waiting for the same source cost one sync, and one arriving while that source syncs costs
exactly one more afterwards. Polling stays as the backstop for a notification that never came.

Secrets: the tool's `<TOOL>_WEBHOOK_SECRET` (Trello: `TRELLO_API_SECRET`), and the one a tool
hands over at set-up (Asana's `X-Hook-Secret`, Notion's `verification_token`, a secret returned
on registration), kept per source in the store's `meta` table under `webhooks.<source>.secret`.
A set-up request carries no signature, so it is taken only while the source has no secret yet,
or while `webhooks register` has opened a window for it (`expect_handshake`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from bot.redact import register as redact_values
from bot.settings import Settings
from bot.store import Store, iso
from bot.sync import make_adapter
from integrations.base import Adapter, SourceError, source_name

log = logging.getLogger(__name__)

PREFIX = "/webhooks/"
#: How long `webhooks register` lets a set-up request replace a source's stored secret.
HANDSHAKE_WINDOW = timedelta(minutes=2)
#: While another process holds the sync lease, a queued source is tried again this often.
BUSY_RETRY_S = 0.5


def _key(source: str, what: str) -> str:
    return f"webhooks.{source}.{what}"


def stored_secret(store: Store, source: str) -> str | None:
    """The signing secret a tool handed over for `source` (handshake or registration); from
    now on blanked out of logs like the secrets of the environment."""
    secret = store.meta(_key(source, "secret")) or None
    if secret:
        redact_values([secret])
    return secret


def keep_secret(store: Store, source: str, secret: str) -> None:
    """Keep the signing secret of `source`'s notifications (ClickUp and Linear return one when
    a webhook is created; Asana and Notion hand it over at set-up)."""
    redact_values([secret])
    store.set_meta(_key(source, "secret"), secret)


def registered_url(store: Store, source: str) -> str | None:
    """The callback URL `source`'s webhook was registered with (Trello signs it)."""
    return store.meta(_key(source, "url")) or None


def remember_url(store: Store, source: str, url: str) -> None:
    store.set_meta(_key(source, "url"), url)


def expect_handshake(store: Store, source: str, now: datetime) -> None:
    """Let a set-up request replace `source`'s secret for `HANDSHAKE_WINDOW` from `now`: call it
    just before asking the tool to create a webhook (it sends its set-up request meanwhile)."""
    store.set_meta(_key(source, "handshake_until"), iso(now + HANDSHAKE_WINDOW))


def _handshake_open(store: Store, source: str, now: datetime) -> bool:
    until = store.meta(_key(source, "handshake_until"))
    return bool(until) and iso(now) <= str(until)


def source_path(name: str) -> str:
    """The path of `name`'s endpoint, percent-encoded as a URL needs it."""
    return PREFIX + quote(name, safe="")


# --- the coalescing queue -----------------------------------------------------------------------


@dataclass
class WebhookSyncs:
    """Sources waiting for a sync because a tool said something changed, and the thread that
    syncs them. `run(name)` returns True when the sync ran, False when another process held the
    sync (then the source is tried again shortly: its change may have come after that sync
    read the tool). A failed sync is logged by `run` and not retried: polling is the backstop."""

    run: Callable[[str], bool]
    stop: threading.Event
    retry_s: float = BUSY_RETRY_S
    _pending: list[str] = field(default_factory=list)
    _cond: threading.Condition = field(default_factory=threading.Condition)
    _thread: threading.Thread | None = None
    #: syncs run so far (tests and the benchmark read it)
    runs: int = 0

    def request(self, source: str) -> None:
        """Queue `source` (once, however many notifications) and wake the worker."""
        with self._cond:
            if source not in self._pending:
                self._pending.append(source)
            self._cond.notify()

    def start(self) -> threading.Thread:
        self._thread = threading.Thread(target=self._work, name="webhook-syncs", daemon=True)
        self._thread.start()
        return self._thread

    def wake_on_stop(self) -> None:
        with self._cond:
            self._cond.notify_all()

    def _next(self) -> str | None:
        with self._cond:
            while not self._pending and not self.stop.is_set():
                self._cond.wait(0.5)
            return None if self.stop.is_set() else self._pending.pop(0)

    def _work(self) -> None:
        while (source := self._next()) is not None:
            try:
                ran = self.run(source)
            except Exception:  # `run` logs its own failures; this guards the thread itself
                log.exception("webhook sync of %s failed", source)
                ran = True
            if ran:
                self.runs += 1
            else:
                self.request(source)
                self.stop.wait(self.retry_s)


# --- the endpoint -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    """What the endpoint answers: a status line, extra headers, a body; `reason` is logged."""

    status: str
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()
    reason: str = ""

    @property
    def refused(self) -> bool:
        return not self.status.startswith("2")


def source_of(settings: Settings, path: str) -> Mapping[str, Any] | None:
    """The configured `[[sources]]` table `path` (`/webhooks/<name>`, WSGI-decoded) names."""
    raw_name = path[len(PREFIX) :]
    try:  # WSGI hands the path over as latin-1: a UTF-8 name (`créa`) is re-decoded
        name = raw_name.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        name = raw_name
    return next((raw for raw in settings.config.sources if source_name(raw) == name), None)


def candidate_urls(environ: Mapping[str, Any], registered: str | None) -> list[str]:
    """The callback URLs Trello may have signed: the one stored at registration, then the URL
    this request reached as the client saw it (behind a trusted proxy, waitress has already
    put its `X-Forwarded-Proto`/`-Host` in the scheme and `Host`: `PIPELINE_TRUSTED_PROXY`).
    Signing any of them still needs the secret."""
    scheme = str(environ.get("wsgi.url_scheme") or "")
    host = str(environ.get("HTTP_HOST") or "")
    path = str(environ.get("PATH_INFO") or "")
    try:
        path = quote(path.encode("latin-1").decode("utf-8"), safe="/")
    except (UnicodeEncodeError, UnicodeDecodeError):
        path = quote(path, safe="/")
    urls = [registered] if registered else []
    if scheme and host:
        urls.append(f"{scheme}://{host}{path}")
    return list(dict.fromkeys(urls))


def headers_of(environ: Mapping[str, Any]) -> dict[str, str]:
    """The request's headers by their HTTP names (`X-Trello-Webhook`)."""
    out = {
        key[5:].replace("_", "-").title(): str(value)
        for key, value in environ.items()
        if key.startswith("HTTP_")
    }
    for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if environ.get(key):
            out[key.replace("_", "-").title()] = str(environ[key])
    return out


def _adapter(settings: Settings, raw: Mapping[str, Any]) -> Adapter[Any]:
    return make_adapter(dict(raw), settings.secrets.as_env(), base_dir=settings.base_dir,
                        timezone=settings.config.timezone)  # fmt: skip


def _secrets(adapter: Adapter[Any], env: Mapping[str, str], stored: str | None) -> Iterator[str]:
    named = adapter.webhook_secret_name
    if named and env.get(named):
        yield env[named]
    if stored:
        yield stored


def handle(
    settings: Settings,
    open_store: Callable[[], Store],
    now: datetime,
    raw: Mapping[str, Any],
    environ: Mapping[str, Any],
    body: bytes,
    queue: Callable[[str], None],
) -> Reply:
    """Check one notification to source `raw` and queue its sync; never raises on what a
    client sent. The store is opened only for a source's kept secret and URL."""
    name = source_name(raw)
    try:
        adapter = _adapter(settings, raw)
    except SourceError as exc:  # its credentials are missing: it could not sync anyway
        return Reply("503 Service Unavailable", reason=f"source unusable: {exc}")
    try:
        headers = headers_of(environ)
        store = open_store()
        try:
            stored = stored_secret(store, name)
            env = settings.secrets.as_env()
            handshake = adapter.webhook_handshake(headers, body)
            if handshake is not None:
                if handshake.secret is not None:
                    known = any(_secrets(adapter, env, stored))
                    if known and not _handshake_open(store, name, now):
                        return Reply(
                            "401 Unauthorized",
                            reason=f"{adapter.kind} set-up request while '{name}' already has a "
                            "secret (run `pipeline-bot webhooks register` to replace it)",
                        )
                    _announce_secret(adapter.kind, name, handshake.secret)
                    keep_secret(store, name, handshake.secret)
                return Reply("200 OK", handshake.body, handshake.headers)
            urls = candidate_urls(environ, registered_url(store, name))
        finally:
            store.close()
        secrets = list(_secrets(adapter, env, stored))
        if adapter.webhook_secret_name is None:
            return Reply("401 Unauthorized", reason=f"{adapter.kind} sources send no notifications")
        if not secrets:
            wanted = adapter.webhook_secret_name
            return Reply("401 Unauthorized", reason=f"no secret to check it with: set {wanted}")
        if not _verified(adapter, headers, body, urls or [""], secrets):
            return Reply("401 Unauthorized", reason=f"bad or missing {adapter.kind} signature")
    finally:
        adapter.close()
    queue(name)
    return Reply("200 OK", b'{"ok": true}', (("Content-Type", "application/json"),))


def _announce_secret(kind: str, source: str, secret: str) -> None:
    """Say that a set-up secret was kept. Notion's verification token must be pasted back in
    Notion's settings to activate the subscription, and this line is the only place the
    operator can read it: it is logged once, before it joins the redacted values."""
    if kind == "notion":
        log.warning(
            "Notion webhook set-up for source '%s': paste this verification token in the "
            "integration's webhook settings to activate it: %s",
            source,
            secret,
        )
    else:
        log.info("webhook set-up for source '%s' (%s): its signing secret is kept", source, kind)


def _verified(
    adapter: Adapter[Any],
    headers: Mapping[str, str],
    body: bytes,
    urls: Iterable[str],
    secrets: Iterable[str],
) -> bool:
    return any(
        adapter.verify_webhook(headers, body, url, secret) for url in urls for secret in secrets
    )
