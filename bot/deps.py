"""What Slack listeners and scheduled jobs need, passed in rather than imported as globals."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.settings import Settings
from bot.store import Store


def _utc_now() -> datetime:
    return datetime.now(UTC)


class HomeViewers:
    """Who opened the App Home lately, newest last, at most `size`: after a sync changed
    something, `serve` publishes their Home again (Slack keeps showing the last view published,
    so without this a Home left open would show the pipeline as it was at its opening)."""

    def __init__(self, size: int = 200, within: timedelta = timedelta(days=1)) -> None:
        self.size = size
        self.within = within
        self._seen: OrderedDict[str, datetime] = OrderedDict()
        self._lock = threading.Lock()

    def saw(self, user: str, at: datetime) -> None:
        if not user:
            return
        with self._lock:
            self._seen.pop(user, None)
            self._seen[user] = at
            while len(self._seen) > self.size:
                self._seen.popitem(last=False)

    def recent(self, now: datetime) -> list[str]:
        """The users who opened their Home within `within` of `now`, oldest first."""
        with self._lock:
            return [user for user, at in self._seen.items() if now - at <= self.within]


@dataclass
class Deps:
    """The settings, a way to open the store (one connection per use), the clock, and who
    looked at their App Home (shared by the Slack listeners and `serve`'s scheduler)."""

    settings: Settings
    now: Callable[[], datetime] = field(default=_utc_now)
    home_viewers: HomeViewers = field(default_factory=HomeViewers)

    def open_store(self) -> Store:
        return Store.open(self.settings.db_path, self.settings.pipeline,
                          self.settings.source_names)  # fmt: skip
