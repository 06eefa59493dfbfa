"""`PgConnection`: a PostgreSQL connection that the store uses as it uses `sqlite3.Connection`.

Only the subset the store calls: `execute`, `executemany`, `total_changes`, `in_transaction`,
`close`. Every statement is the store's SQLite SQL, translated once (`bot.db.pg_sql.translate`,
cached). The connection is in autocommit mode, as the store's SQLite connection is
(`isolation_level=None`): `Store.transaction` sends BEGIN/COMMIT itself. Results have the
Python types SQLite gives: a comparison's result is 0 or 1 (not a bool), a `numeric` is a float.
psycopg's errors come out as `PgError` (see `bot.db.target`), so no caller imports psycopg.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from bot.db.pg_sql import numbered_params, translate
from bot.db.target import PgError

if TYPE_CHECKING:
    import psycopg

#: Statements whose row count is a number of changed rows (sqlite3's `total_changes` counts these).
_CHANGES = ("INSERT", "UPDATE", "DELETE", "MERGE")


#: Connections a process keeps open after their store closed, for the next store on the same
#: URL (a Slack request, a scheduled job): logging in again costs tens of milliseconds (SCRAM),
#: more than most answers. At most this many, all URLs together, the oldest dropped first.
MAX_IDLE = 8
#: An idle connection older than this is checked (one round trip) before it is reused.
CHECK_AFTER_S = 2.0

_PoolKey = tuple[str, float, float | None]
_idle: list[tuple[_PoolKey, float, psycopg.Connection[Any]]] = []
_idle_lock = threading.Lock()


def connect(
    url: str,
    *,
    timeout_s: float,
    statement_timeout_s: float | None = None,
    application: str = "pipeline-bot",
) -> PgConnection:
    """A connection to `url`: an idle one this process kept (`MAX_IDLE`), else a new one
    (psycopg imported here, on first use). `timeout_s` bounds connecting and the wait for a
    lock (`lock_timeout`), as the busy timeout does on SQLite; `statement_timeout_s`, if
    given, every statement (a health probe must not hang on a stuck server)."""
    key: _PoolKey = (url, timeout_s, statement_timeout_s)
    while True:
        with _idle_lock:
            found = next((i for i in range(len(_idle) - 1, -1, -1) if _idle[i][0] == key), None)
            if found is None:
                break
            _, since, raw = _idle.pop(found)
        if time.monotonic() - since < CHECK_AFTER_S or _alive(raw):
            return PgConnection(raw, key)
        raw.close()
    return _new(url, key, timeout_s, statement_timeout_s, application)


def _new(url: str, key: _PoolKey, timeout_s: float, statement_timeout_s: float | None,
         application: str) -> PgConnection:  # fmt: skip
    import psycopg

    # at least 1 ms: 0 would mean "wait for ever" to PostgreSQL, "do not wait" to the caller
    options = f"-c lock_timeout={max(1, int(timeout_s * 1000))}"
    if statement_timeout_s is not None:
        options += f" -c statement_timeout={max(1, int(statement_timeout_s * 1000))}"
    try:
        raw = psycopg.connect(
            url,
            autocommit=True,
            connect_timeout=max(1, round(timeout_s)),
            application_name=application,
            options=options,
        )
    except psycopg.Error as exc:
        raise as_pg_error(exc) from None
    _sqlite_types(raw)
    return PgConnection(raw, key)


def _sqlite_types(raw: psycopg.Connection[Any]) -> None:
    """Results typed as SQLite gives them: a boolean expression as 0/1, a numeric as a float."""
    from psycopg.adapt import Loader
    from psycopg.types.numeric import FloatLoader

    class BoolAsInt(Loader):
        def load(self, data: Any) -> int:
            return 1 if bytes(data) in (b"t", b"\x01") else 0

    raw.adapters.register_loader("bool", BoolAsInt)
    raw.adapters.register_loader("numeric", FloatLoader)


def as_pg_error(exc: BaseException) -> PgError:
    """psycopg's error as a `PgError`: its first line (the server's message), and its code."""
    text = str(exc).strip() or type(exc).__name__
    error = PgError(text, getattr(exc, "sqlstate", None))
    error.__cause__ = exc
    return error


class PgCursor:
    """The rows of one statement: iterable, `fetchone`, `fetchall`, `description`, `rowcount`."""

    def __init__(self, cursor: psycopg.Cursor[Any]):
        self._cursor = cursor
        self.rowcount: int = cursor.rowcount
        self.description = cursor.description

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        if self.description is None:
            return iter(())
        return iter(self._cursor)

    def fetchone(self) -> tuple[Any, ...] | None:
        return self._cursor.fetchone() if self.description is not None else None

    def fetchall(self) -> list[tuple[Any, ...]]:
        return self._cursor.fetchall() if self.description is not None else []


class PgConnection:
    """The store's PostgreSQL connection (see the module docstring)."""

    def __init__(self, raw: psycopg.Connection[Any], pool_key: _PoolKey | None = None):
        self.raw = raw
        self.total_changes = 0
        self._pool_key = pool_key
        self._closed = False

    def execute(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> PgCursor:
        cursor = self._cursor()
        try:
            query = translate(sql)
            cursor.execute(query, _params(query, params))
        except Exception as exc:
            raise self._failed(exc) from None
        self._count(cursor)
        return PgCursor(cursor)

    def executemany(
        self, sql: str, seq_of_params: Iterable[Sequence[Any] | Mapping[str, Any]]
    ) -> PgCursor:
        cursor = self._cursor()
        try:
            query = translate(sql)
            cursor.executemany(query, (_params(query, p) for p in seq_of_params))
        except Exception as exc:
            raise self._failed(exc) from None
        self._count(cursor)
        return PgCursor(cursor)

    def _cursor(self) -> psycopg.Cursor[Any]:
        if self._closed:  # its server connection may serve another store by now
            raise PgError("Cannot operate on a closed database.")
        return self.raw.cursor()

    def run_as_written(self, sql: str) -> None:
        """Run PostgreSQL SQL untranslated and without parameters (`%` means `%`): the
        compatibility functions' definitions."""
        try:
            self._cursor().execute(sql.encode())
        except Exception as exc:
            raise self._failed(exc) from None

    def _count(self, cursor: psycopg.Cursor[Any]) -> None:
        if cursor.rowcount > 0 and (cursor.statusmessage or "").startswith(_CHANGES):
            self.total_changes += cursor.rowcount

    def _failed(self, exc: Exception) -> Exception:
        import psycopg

        return as_pg_error(exc) if isinstance(exc, psycopg.Error) else exc

    @property
    def in_transaction(self) -> bool:
        from psycopg.pq import TransactionStatus

        return self.raw.info.transaction_status != TransactionStatus.IDLE

    def close(self) -> None:
        """Keep the server connection for the next store on the same URL when it is sound and
        outside any transaction (`MAX_IDLE`), else close it; this object is unusable after.
        (What a kept connection carries over: its prepared statements and temporary tables;
        the store takes no session-level lock.)"""
        from psycopg.pq import TransactionStatus

        if self._closed:
            return
        self._closed = True
        raw = self.raw
        if raw.broken:  # the server went away: those kept for the same URL are likely gone too
            with _idle_lock:
                stale = [entry[2] for entry in _idle if entry[0] == self._pool_key]
                _idle[:] = [entry for entry in _idle if entry[0] != self._pool_key]
            for old in stale:
                old.close()
        if (
            self._pool_key is None
            or raw.closed
            or raw.broken
            or raw.info.transaction_status != TransactionStatus.IDLE
        ):
            raw.close()
            return
        with _idle_lock:
            _idle.append((self._pool_key, time.monotonic(), raw))
            dropped = _idle[:-MAX_IDLE]
            del _idle[:-MAX_IDLE]
        for _, _, old in dropped:
            old.close()


def close_idle(url: str | None = None) -> None:
    """Close the connections kept idle (for `url`, or all): before the database is used as a
    template (`CREATE DATABASE … TEMPLATE`), or dropped without FORCE, which both refuse while
    any connection is open."""
    with _idle_lock:
        closing = [entry[2] for entry in _idle if url is None or entry[0][0] == url]
        _idle[:] = [entry for entry in _idle if url is not None and entry[0][0] != url]
    for raw in closing:
        raw.close()


def _alive(raw: psycopg.Connection[Any]) -> bool:
    """Whether the server still answers (after a restart, a kept connection does not)."""
    try:
        raw.execute("SELECT 1")
    except Exception:  # noqa: BLE001 - any failure means: do not reuse it
        return False
    return True


def _params(
    query: str, params: Sequence[Any] | Mapping[str, Any]
) -> Sequence[Any] | Mapping[str, Any]:
    """What psycopg takes: a mapping as is; a sequence for SQLite's numbered placeholders (`?2`,
    which `translate` names `%(2)s`) as the mapping by number; any other as a tuple (never
    None, so a literal `%%` is read as `%` even in a statement without parameters)."""
    if isinstance(params, Mapping):
        return params
    return numbered_params(params) if "%(" in query else tuple(params)
