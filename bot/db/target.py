"""What a store is opened on: a SQLite file (a path) or a PostgreSQL server (a URL).

A target is `str | Path`. Only a `postgresql://` (or `postgres://`) URL names a server; any
other text is a file path. A URL may carry a password: `describe` is what messages and logs show.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

#: What a database target may be: a SQLite file's path, or a PostgreSQL URL (as text).
DbTarget = str | Path

_SCHEMES = ("postgresql://", "postgres://")


def is_postgres(target: DbTarget | None) -> bool:
    """True when `target` names a PostgreSQL server rather than a SQLite file."""
    return isinstance(target, str) and target.strip().lower().startswith(_SCHEMES)


def describe(target: DbTarget) -> str:
    """`target` as messages show it: a path as is, a URL with its password masked."""
    if not is_postgres(target):
        return str(target)
    from urllib.parse import urlsplit, urlunsplit

    text = str(target).strip()
    try:
        parts = urlsplit(text)
        netloc = parts.netloc
    except ValueError:
        return text.split("://", 1)[0] + "://…"
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        if ":" in userinfo:
            userinfo = userinfo.split(":", 1)[0] + ":***"
        netloc = f"{userinfo}@{host}"
    query = "&".join(
        f"{key}=***" if key.lower() in ("password", "passfile", "sslpassword") else item
        for item in parts.query.split("&")
        if item
        for key in [item.split("=", 1)[0]]
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def from_text(text: str) -> DbTarget:
    """A target given as text (`--db`, `$PIPELINE_DB`): a URL stays text, else a path."""
    return text.strip() if is_postgres(text) else Path(text).expanduser()


def exists(target: DbTarget) -> bool:
    """Whether there may be data to read: a SQLite file exists; a server is always asked."""
    return is_postgres(target) or Path(target).exists()


class PgError(Exception):
    """What the PostgreSQL driver raised, as `PgConnection` passes it on.

    psycopg takes a tenth of a second to import: catch sites name this class (in
    `DATABASE_ERRORS`) instead of psycopg's, so a SQLite command never imports it. `sqlstate` is
    the server's error code (None for a client-side fault, e.g. a lost connection); the
    original error is the `__cause__`.
    """

    def __init__(self, message: str, sqlstate: str | None = None):
        super().__init__(message)
        self.sqlstate = sqlstate


#: Every error a database driver raises through the store: what a catch site that must not
#: crash on a store fault catches (with `StoreError`).
DATABASE_ERRORS: tuple[type[Exception], ...] = (sqlite3.Error, PgError)
