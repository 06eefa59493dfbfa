"""`/pipeline TEXT`: the same answer as `pipeline-bot query TEXT`, as Block Kit, within 3 seconds.

Slack shows `operation_timeout` unless the HTTP 200 comes within 3 s. The answer is computed on a
worker thread with a budget (2 s by default): ready in time, it rides in the ack itself (one round
trip, nothing to go wrong later); late, the ack says "working on it…" and the answer is posted to
the command's `response_url` the moment it is ready. This is Bolt's lazy-listener idea without its
cost: Bolt starts a lazy function for every request, we only post when the budget ran out.

Every failure (an unknown query, a locked database, a bug) becomes an ephemeral message that says
what went wrong (logged with its traceback for bugs); Slack never sees an HTTP 500.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from slack_bolt import App

from bot.answers import ask
from bot.i18n import t
from bot.query import UnknownQuery
from bot.render.blocks import clip, message, notice, style_for
from bot.slack.deps import Deps
from bot.store import StoreLocked

log = logging.getLogger(__name__)

#: Seconds the ack waits for the answer before falling back to `response_url`.
ANSWER_BUDGET_S = 2.0

#: Any slash command routed to this app is a pipeline question (`/pipeline` in the manifest, but
#: a workspace may have renamed it to avoid a clash).
COMMAND = re.compile(r"^/")


def answer_payload(deps: Deps, text: str, user: str | None) -> dict[str, Any]:
    """The complete reply to `/pipeline text` from `user`; never raises."""
    settings = deps.settings
    lang = settings.language
    try:
        store = deps.open_store()
        try:
            reply = ask(settings, store, text, deps.now(), user=user)
            return message(reply.result, style_for(settings), public=reply.query.public)
        finally:
            store.close()
    except UnknownQuery as exc:
        return notice(t("slack.unknown_query", lang, error=str(exc)))
    except (StoreLocked, sqlite3.OperationalError) as exc:
        if isinstance(exc, sqlite3.OperationalError) and "locked" not in str(exc):
            return _failed(text, user, exc, lang)
        log.warning("/pipeline %r from %s: database busy: %s", text, user, exc)
        return notice(t("slack.db_busy", lang))
    except Exception as exc:  # a bug: the user is told, the traceback is logged
        return _failed(text, user, exc, lang)


def _failed(text: str, user: str | None, exc: Exception, lang: str) -> dict[str, Any]:
    log.exception("/pipeline %r from %s failed", text, user)
    error = clip(f"{type(exc).__name__}: {exc}", 300)
    return notice(t("slack.failed", lang, question=clip(text or "summary", 200), error=error))


def register(
    app: App, deps: Deps, *, budget: float = ANSWER_BUDGET_S, workers: int = 8
) -> ThreadPoolExecutor:
    """Register `/pipeline`; returns the answering pool (shut it down to drain late answers)."""
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="pipeline-answer")

    def pipeline_command(ack: Any, command: dict[str, Any], respond: Any) -> None:
        text = str(command.get("text") or "").strip()
        user = command.get("user_id")
        future = pool.submit(answer_payload, deps, text, user)
        try:
            payload = future.result(timeout=budget)
        except FutureTimeout:
            ack(notice(t("slack.working", deps.settings.language)))
            future.add_done_callback(lambda done: _deliver_late(done, respond, text, user))
            return
        ack(payload)

    app.command(COMMAND)(pipeline_command)
    return pool


def _deliver_late(done: Future[dict[str, Any]], respond: Any, text: str, user: str | None) -> None:
    """Post an answer that missed the ack's budget to the command's `response_url`."""
    payload = done.result()  # answer_payload never raises
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
