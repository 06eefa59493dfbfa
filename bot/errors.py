"""Errors that end a command with one line and exit status 2 (a user's mistake, not a bug)."""

from __future__ import annotations

from pathlib import Path


class UsageError(Exception):
    """A user mistake: printed as one line, exit status 2."""


class StoreError(Exception):
    """The database file cannot be used (locked, read-only, corrupt, full, a folder...).

    `kind` picks the message (`store.<kind>` in bot/i18n.py): one line naming the file and what
    to do about it, in the configured language; `str()` is the English line, for logs.
    """

    def __init__(self, path: str | Path, kind: str, detail: str = ""):
        self.path = Path(path)
        self.kind = kind
        self.detail = detail
        super().__init__(self.localised("en"))

    def localised(self, language: str) -> str:
        from bot.i18n import t

        return t(f"store.{self.kind}", language, path=self.path, error=self.detail)


class StoreLocked(StoreError):
    """The database stayed locked by another process past the busy timeout."""

    def __init__(self, path: str | Path, detail: str = ""):
        super().__init__(path, "locked", detail)
