"""What Slack listeners and scheduled jobs need, passed in rather than imported as globals."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bot.settings import Settings
from bot.store import Store


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Deps:
    """The settings, a way to open the store (one connection per use) and the clock (shared
    by the Slack listeners and `serve`'s scheduler; whatever else they share is in the store,
    where every `serve` replica sees it)."""

    settings: Settings
    now: Callable[[], datetime] = field(default=_utc_now)

    def open_store(self) -> Store:
        return Store.open(self.settings.db_path, self.settings.pipeline,
                          self.settings.source_names)  # fmt: skip
