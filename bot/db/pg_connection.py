"""`PgConnection`: a PostgreSQL connection that the store uses as it uses `sqlite3.Connection`.

Only the subset the store calls: `execute`, `executemany`, `total_changes`, `in_transaction`,
`close`. Every statement is the store's SQLite SQL, translated once (`bot.db.pg_sql.translate`,
cached). The connection is in autocommit mode, as the store's SQLite connection is
(`isolation_level=None`): `Store.transaction` sends BEGIN/COMMIT itself. Results have the
Python types SQLite gives: a comparison's result is 0 or 1 (not a bool), a `numeric` is a float.
psycopg's errors come out as `PgError` (see `bot.db.target`), so no caller imports psycopg.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from bot.db.pg_sql import numbered_params, translate
from bot.db.target import PgError

if TYPE_CHECKING:
    import psycopg

#: Statements whose row count is a number of changed rows (sqlite3's `total_changes` counts these).
_CHANGES = ("INSERT", "UPDATE", "DELETE", "MERGE")


def connect(
    url: str,
    *,
    timeout_s: float,
    statement_timeout_s: float | None = None,
    application: str = "pipeline-bot",
) -> PgConnection:
    """Open `url` (psycopg imported here, on first use). `timeout_s` bounds connecting and the
    wait for a lock (`lock_timeout`), as the busy timeout does on SQLite; `statement_timeout_s`,
    if given, every statement (a health probe must not hang on a stuck server)."""
    import psycopg

    options = f"-c lock_timeout={int(timeout_s * 1000)}"
    if statement_timeout_s is not None:
        options += f" -c statement_timeout={int(statement_timeout_s * 1000)}"
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
    return PgConnection(raw)


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

    def __init__(self, raw: psycopg.Connection[Any]):
        self.raw = raw
        self.total_changes = 0

    def execute(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> PgCursor:
        cursor = self.raw.cursor()
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
        cursor = self.raw.cursor()
        try:
            query = translate(sql)
            cursor.executemany(query, (_params(query, p) for p in seq_of_params))
        except Exception as exc:
            raise self._failed(exc) from None
        self._count(cursor)
        return PgCursor(cursor)

    def run_as_written(self, sql: str) -> None:
        """Run PostgreSQL SQL untranslated and without parameters (`%` means `%`): the
        compatibility functions' definitions."""
        try:
            self.raw.execute(sql.encode())
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
        self.raw.close()


def _params(
    query: str, params: Sequence[Any] | Mapping[str, Any]
) -> Sequence[Any] | Mapping[str, Any]:
    """What psycopg takes: a mapping as is; a sequence for SQLite's numbered placeholders (`?2`,
    which `translate` names `%(2)s`) as the mapping by number; any other as a tuple (never
    None, so a literal `%%` is read as `%` even in a statement without parameters)."""
    if isinstance(params, Mapping):
        return params
    return numbered_params(params) if "%(" in query else tuple(params)
