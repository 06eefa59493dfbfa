"""The App Home tab: `app_home_opened` → `views.publish` of the user's own pipeline.

Bolt acknowledges events at once and runs this on its worker pool, so a slow database never
makes Slack retry. Retries still happen (network hiccups): an `event_id` already handled is
skipped, so one opening publishes once. That memory is this process's own: a retry sent to
another `serve` replica publishes the same view once more, which changes nothing on screen.
Who opened their Home lately is in the store (`home_viewers`): after a sync that changed
something, whichever replica ran it publishes their Home again (Slack keeps showing the last
view published, so without this a Home left open would show the pipeline as it was).
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from datetime import datetime, timedelta
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.answers import context_for
from bot.deps import Deps
from bot.home import gather
from bot.i18n import t
from bot.render.blocks import clip, esc, home_view, notice_view, style_for
from bot.slack.access import is_allowed

log = logging.getLogger(__name__)

#: Whose Home is published again after a sync: who opened it within this time, the latest few.
VIEWERS_WITHIN = timedelta(days=1)
MAX_VIEWERS = 200
#: An opening this soon after the last one recorded is not written again.
SEEN_STEP = timedelta(hours=1)


class RecentIds:
    """A bounded, thread-safe set of the last `size` event IDs (Slack retries within minutes)."""

    def __init__(self, size: int = 2000):
        self.size = size
        self._ids: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()

    def claim(self, event_id: str | None) -> bool:
        """True the first time an ID is seen (None is never a duplicate)."""
        if not event_id:
            return True
        with self._lock:
            if event_id in self._ids:
                return False
            self._ids[event_id] = None
            while len(self._ids) > self.size:
                self._ids.popitem(last=False)
            return True

    def release(self, event_id: str | None) -> None:
        """Forget an ID whose handling failed, so Slack's retry may try again."""
        if event_id:
            with self._lock:
                self._ids.pop(event_id, None)


def build_view(deps: Deps, user: str) -> dict[str, Any]:
    """The Home view of `user`: refusal, their pipeline, or what went wrong (never raises)."""
    settings = deps.settings
    lang = settings.language
    if not is_allowed(settings, user, None):
        return notice_view(t("home.refused", lang))
    try:
        store = deps.open_store()
        try:
            data = gather(store, context_for(settings, deps.now(), user, store))
        finally:
            store.close()
    except Exception as exc:  # the user sees what failed; the traceback goes to the log
        log.exception("App Home of %s could not be built", user)
        error = esc(clip(f"{type(exc).__name__}: {exc}", 300))
        return notice_view(t("home.failed", lang, error=error))
    return home_view(data, style_for(settings))


def refresh_homes(deps: Deps, client: WebClient, now: datetime) -> int:
    """Publish again the App Home of everyone who opened it lately (whichever replica they
    opened it on), for `serve` after a sync that changed something: a Home left open then
    shows the move. One failure is logged and the others go on; returns how many were
    published."""
    store = deps.open_store()
    try:
        viewers = store.home_viewers(now - VIEWERS_WITHIN, MAX_VIEWERS)
    finally:
        store.close()
    published = 0
    for user in viewers:
        try:
            client.views_publish(user_id=user, view=build_view(deps, user))
        except Exception:  # noqa: BLE001 - one user's Home must not stop the others'
            log.exception("views.publish of %s's App Home after a sync failed", user)
            continue
        published += 1
    if published:
        log.info("App Home refreshed for %d user(s)", published)
    return published


def saw_home(deps: Deps, user: str) -> None:
    """Remember that `user` opened their Home; a database fault is logged, the Home still
    opens (it is only not refreshed after the next sync)."""
    now = deps.now()
    try:
        store = deps.open_store()
        try:
            store.saw_home(user, now, unless_since=now - SEEN_STEP,
                           forget_before=now - VIEWERS_WITHIN)  # fmt: skip
        finally:
            store.close()
    except Exception:  # noqa: BLE001 - the Home itself must still be published
        log.exception("could not remember that %s opened their App Home", user)


def register(app: App, deps: Deps) -> RecentIds:
    seen = RecentIds()

    def home_opened(event: dict[str, Any], body: dict[str, Any], client: WebClient) -> None:
        if event.get("tab", "home") != "home":
            return
        event_id = body.get("event_id")
        if not seen.claim(event_id):
            log.info("App Home event %s already handled (Slack retry): skipped", event_id)
            return
        user = str(event.get("user") or "")
        if user:
            saw_home(deps, user)
        view = build_view(deps, user)
        try:
            client.views_publish(user_id=user, view=view)
        except Exception:
            seen.release(event_id)
            log.exception("views.publish of %s's App Home failed (event %s)", user, event_id)
            raise

    app.event("app_home_opened")(home_opened)
    return seen
