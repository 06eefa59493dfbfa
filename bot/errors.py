"""Errors that end a command with one line and exit status 2 (a user's mistake, not a bug)."""

from __future__ import annotations

from pathlib import Path


class UsageError(Exception):
    """A user mistake: printed as one line, exit status 2."""


class StoreError(Exception):
    """The database cannot be used (locked, read-only, corrupt, full, a folder, a PostgreSQL
    server unreachable...).

    `kind` picks the message (`store.<kind>` in bot/i18n.py): one line naming the file and what
    to do about it, in the configured language; `str()` is the English line, for logs.
    """

    def __init__(self, path: str | Path, kind: str, detail: str = ""):
        from bot.db.target import is_postgres

        # a PostgreSQL URL stays text (a Path would fold its `//`); shown by `description`
        self.path: str | Path = path if is_postgres(path) else Path(path)
        self.kind = kind
        self.detail = detail
        super().__init__(self.localised("en"))

    def localised(self, language: str) -> str:
        from bot.i18n import t

        return t(f"store.{self.kind}", language, path=self.description, error=self.detail)

    @property
    def description(self) -> str:
        """The database as messages show it (a URL's password masked)."""
        from bot.db.target import describe

        return describe(self.path)


class StoreLocked(StoreError):
    """The database stayed locked by another process past the busy timeout."""

    def __init__(self, path: str | Path, detail: str = ""):
        super().__init__(path, "locked", detail)


def _store_faults() -> tuple[type[Exception], ...]:
    from bot.db.target import DATABASE_ERRORS

    return (StoreError, *DATABASE_ERRORS)


#: What a store fault may raise: `StoreError`, or any database driver's error
#: (`bot.db.target.DATABASE_ERRORS`); a catch site that must answer in one line catches these.
STORE_FAULTS: tuple[type[Exception], ...] = _store_faults()
