"""Statuses no stage claims, with how many live deals carry each (`pipeline-bot check` too).

A deal with no status at all is unmapped too, listed under the empty status `""`, so the
statuses' counts always add up to the summary's `unmapped.count`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.analytics.core import Context
from bot.i18n import t
from bot.store import Store


@dataclass
class UnmappedStatus:
    status: str  # "" for deals with no status
    count: int

    def shown(self, language: str) -> str:
        """The status as a person reads it: "(no status)" for the empty one."""
        return self.status or t("unmapped.no_status", language)

    def quoted(self, language: str) -> str:
        """« status » in a sentence (`check`, Slack), "(no status)" for the empty one."""
        return f"« {self.status} »" if self.status else self.shown(language)


@dataclass
class Unmapped:
    as_of: datetime
    statuses: list[UnmappedStatus]

    @property
    def count(self) -> int:
        return sum(s.count for s in self.statuses)

    def fix(self, language: str) -> str:
        """What to do about them: map the commonest status, or fill the empty ones."""
        named = [s.status for s in self.statuses if s.status]
        if named:
            return t("unmapped.fix", language, status=named[0])
        return t("unmapped.fix_empty", language)


def unmapped(store: Store, ctx: Context) -> Unmapped:
    """Most common first; spellings of one status (case, accents) are counted together."""
    rows = store.unmapped_statuses()
    return Unmapped(ctx.now, [UnmappedStatus(r["status"], int(r["count"])) for r in rows])
