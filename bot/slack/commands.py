"""`/pipeline TEXT`: the same answer as `pipeline-bot query TEXT`, as Block Kit, within 3 seconds.

Slack shows `operation_timeout` unless the HTTP 200 comes within 3 s. The answer is computed on a
worker thread with a budget (2 s by default): ready in time, it rides in the ack itself (one round
trip, nothing to go wrong later); late, the ack says "working on it…" and the answer is posted to
the command's `response_url` the moment it is ready. This is Bolt's lazy-listener idea without its
cost: Bolt starts a lazy function for every request, we only post when the budget ran out.

Identical questions share one computation and its answer until the database changes
(`AnswerCache`), and a list answer builds only the deals its message shows, so the budget is
rarely needed even on 100,000 deals (ARCHITECTURE.md, "Why each speed device exists").

Every failure (an unknown query, a locked database, a bug) becomes an ephemeral message that says
what went wrong (logged with its traceback for bugs); Slack never sees an HTTP 500.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, replace
from typing import Any

from slack_bolt import App

from bot.answers import ask
from bot.db.target import DbTarget
from bot.deps import Deps
from bot.errors import STORE_FAULTS, StoreLocked
from bot.i18n import t
from bot.query import UnknownQuery, parse
from bot.render.blocks import MESSAGE_DEALS, clip, esc, message, notice, style_for
from bot.slack.charts import upload_chart, wants_chart
from bot.store import Store, store_error

log = logging.getLogger(__name__)

#: Seconds the ack waits for the answer before falling back to `response_url`.
ANSWER_BUDGET_S = 2.0

#: Any slash command routed to this app is a pipeline question (`/pipeline` in the manifest, but
#: a workspace may have renamed it to avoid a clash).
COMMAND = re.compile(r"^/")

#: Queries whose answer depends on who asks (the rest are shared between users).
USER_QUERIES = frozenset({"mine"})


@dataclass(frozen=True)
class Answer:
    """A reply ready to send; `shareable` answers may serve identical questions later."""

    payload: dict[str, Any]
    shareable: bool = False


def answer_payload(deps: Deps, text: str, user: str | None) -> Answer:
    """The complete reply to `/pipeline text` from `user`; never raises."""
    settings = deps.settings
    lang = settings.language
    try:
        store = deps.open_store()
        try:
            # the message lists MESSAGE_DEALS deals at most: only those are built
            reply = ask(settings, store, text, deps.now(), user=user, shown=MESSAGE_DEALS)
            payload = message(reply.result, style_for(settings), public=reply.query.public)
            return Answer(payload, shareable=True)
        finally:
            store.close()
    except UnknownQuery as exc:
        error = exc.localised(lang) if hasattr(exc, "localised") else str(exc)
        return Answer(notice(t("slack.unknown_query", lang, error=esc(error.rstrip(".")))))
    except STORE_FAULTS as exc:
        failure = store_error(settings.db_path, exc)
        if isinstance(failure, StoreLocked):
            log.warning("/pipeline %r from %s: database busy: %s", text, user, exc)
            return Answer(notice(t("slack.db_busy", lang)))
        log.error("/pipeline %r from %s: %s", text, user, failure)  # one line, no traceback
        return Answer(notice(t("slack.db_broken", lang)))
    except Exception as exc:  # a bug: the user is told, the traceback is logged
        return _failed(text, user, exc, lang)


def _failed(text: str, user: str | None, exc: Exception, lang: str) -> Answer:
    log.exception("/pipeline %r from %s failed", text, user)
    error = clip(f"{type(exc).__name__}: {exc}", 300)
    return Answer(
        notice(
            t("slack.failed", lang, question=esc(clip(text or "summary", 200)), error=esc(error))
        )
    )


class DataVersion:
    """A number that changes whenever another connection commits to the database.

    SQLite's `PRAGMA data_version` on one long-lived connection: exact (every commit by a sync,
    a button click or another process counts) and cheap, unlike file times, which WAL
    checkpoints move without any data changing. On PostgreSQL the store's own counter, which
    every write transaction of any replica bumps (`Store.data_version`).
    """

    def __init__(self, path: DbTarget):
        self.path = path
        self._store: Store | None = None
        self._lock = threading.Lock()

    def __call__(self) -> int:
        with self._lock:
            if self._store is None:
                self._store = Store(self.path)
            try:
                return self._store.data_version()
            except STORE_FAULTS:
                # a PostgreSQL server restarted (or the file went): the next call reconnects
                self._store.close()
                self._store = None
                raise

    def close(self) -> None:
        with self._lock:
            if self._store is not None:
                self._store.close()
                self._store = None


@dataclass
class _Entry:
    future: Future[Answer]
    at: float


class AnswerCache:
    """Identical questions share one computation, and its answer until the data changes.

    The analytics are CPU-bound Python (one GIL), so twenty people asking `stalled` after the
    Monday digest must not cost twenty computations. The key holds the database version and
    the local date (what every answer depends on besides the question), and only the question
    `mine` depends on who asks; `ttl` bounds staleness anyway. Errors are never shared.
    """

    def __init__(
        self,
        pool: ThreadPoolExecutor,
        version: Callable[[], Hashable],
        *,
        ttl: float = 60.0,
        size: int = 256,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.pool = pool
        self.version = version
        self.ttl = ttl
        self.size = size
        self.clock = clock
        self._entries: OrderedDict[Hashable, _Entry] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable | None, compute: Callable[[], Answer]) -> Future[Answer]:
        if key is None:
            return self.pool.submit(compute)
        now = self.clock()
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and (
                not entry.future.done() or (now - entry.at < self.ttl and _shareable(entry.future))
            ):
                self._entries.move_to_end(key)
                return entry.future
            future = self.pool.submit(compute)
            self._entries[key] = _Entry(future, now)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return future


def _shareable(future: Future[Answer]) -> bool:
    return future.exception() is None and future.result().shareable


def cache_key(deps: Deps, version: Hashable, text: str, user: str | None) -> Hashable | None:
    """What an answer depends on; None when it should not be shared (unparseable text).

    `public` is left out: it changes who sees the answer, not the answer.
    """
    try:
        query = parse(text)
    except UnknownQuery:
        return None
    day = deps.now().astimezone(deps.settings.tz).date()
    who = user if query.name in USER_QUERIES else None
    return (version, day, replace(query, public=False, chart=False), who)


def _visibility(answer: Answer, text: str) -> dict[str, Any]:
    """The answer for this asker: shared answers take the asker's `public` choice."""
    if not answer.shareable:
        return answer.payload
    public = parse(text).public
    return {**answer.payload, "response_type": "in_channel" if public else "ephemeral"}


def register(
    app: App,
    deps: Deps,
    *,
    budget: float = ANSWER_BUDGET_S,
    workers: int = 4,
) -> AnswerCache:
    """Register `/pipeline`; returns its answer cache."""
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="pipeline-answer")
    cache = AnswerCache(pool, DataVersion(deps.settings.db_path))

    def pipeline_command(ack: Any, command: dict[str, Any], respond: Any, client: Any) -> None:
        text = str(command.get("text") or "").strip()
        user = command.get("user_id")
        try:
            version = cache.version()
        except STORE_FAULTS:  # a broken database: the answer says so, uncached
            ack(_visibility(answer_payload(deps, text, user), text))
            return
        key = cache_key(deps, version, text, user)
        future = cache.get(key, lambda: answer_payload(deps, text, user))
        try:
            answer = future.result(timeout=budget)
        except FutureTimeout:
            ack(notice(t("slack.working", deps.settings.language)))
            future.add_done_callback(lambda done: _deliver_late(done, respond, text, user))
        else:
            ack(_visibility(answer, text))
        if wants_chart(text):  # drawn and uploaded beside the text answer, after the ack
            pool.submit(upload_chart, deps, client, respond, text, command)

    app.command(COMMAND)(pipeline_command)
    return cache


def _deliver_late(done: Future[Answer], respond: Any, text: str, user: str | None) -> None:
    """Post an answer that missed the ack's budget to the command's `response_url`."""
    payload = _visibility(done.result(), text)  # answer_payload never raises
    try:
        sent = respond({**payload, "replace_original": False})
    except Exception:  # the network to Slack failed: nobody else to tell, so log loudly
        log.exception("/pipeline %r from %s: could not post the late answer", text, user)
        return
    if sent.status_code != 200:
        log.error(
            "/pipeline %r from %s: response_url answered HTTP %s: %s",
            text,
            user,
            sent.status_code,
            clip(str(sent.body), 200),
        )
