"""`migrate-store`: copy a SQLite store, every table and row, into a PostgreSQL store.

The target's schema comes from the store's own migrations (opening it as a `Store` creates or
upgrades it); this module only moves rows. The tables are read from the SQLite file itself, not
from a list kept here, so a table a later migration adds is copied without touching this file.
Everything is written in one PostgreSQL transaction: a failure half-way leaves the target as it
was. The SQLite side is read in one read transaction, so a `serve` still writing to it cannot
give the copy half of a sync.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from typing import Any, NamedTuple

from bot.db.pg_schema import BOOKKEEPING
from bot.db.target import PgError


class CopyFailed(Exception):
    """PostgreSQL refused a row or the connection failed during the copy: nothing was written.
    `str()` is the server's first line."""


class TargetNotEmpty(Exception):
    """The target already holds deals and `--replace` was not given: nothing was written."""

    def __init__(self, deals: int):
        super().__init__(deals)
        self.deals = deals


class MissingTable(Exception):
    """A table of the SQLite store that the PostgreSQL store lacks (a schema older than the file's
    or a table no migration made): nothing was written."""

    def __init__(self, table: str, columns: list[str]):
        super().__init__(table)
        self.table = table
        self.columns = columns


class Copied(NamedTuple):
    table: str
    rows: int


def sqlite_tables(conn: sqlite3.Connection) -> dict[str, list[str]]:
    """The store's tables and their columns, in creation order, bookkeeping tables left out."""
    names = [
        row[0]
        for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY rowid"
        )
        if not row[0].startswith("sqlite_") and row[0] not in BOOKKEEPING
    ]
    return {name: [c[1] for c in conn.execute(f'PRAGMA table_info("{name}")')] for name in names}


def pg_columns(cur: Any) -> dict[str, list[str]]:
    """Every table of the PostgreSQL store (in its current schema) and its columns."""
    cur.execute(
        "SELECT table_name, column_name FROM information_schema.columns"
        " WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position"
    )
    tables: dict[str, list[str]] = {}
    for table, column in cur.fetchall():
        tables.setdefault(table, []).append(column)
    return tables


def _rows(conn: sqlite3.Connection, table: str, columns: list[str]) -> Iterator[tuple[Any, ...]]:
    listed = ", ".join(f'"{c}"' if c != "rowid" else c for c in columns)
    cursor = conn.execute(f'SELECT {listed} FROM "{table}"')
    while batch := cursor.fetchmany(5000):
        yield from batch


def migrate(source: sqlite3.Connection, target: str, *, replace: bool) -> list[Copied]:
    """Create (or upgrade) the PostgreSQL store at the URL `target` with the store's own
    migrations, then copy every table of `source` (a SQLite store's connection) into it, in one
    transaction, and return the rows per table.

    Refuses (`TargetNotEmpty`) when the target holds deals, unless `replace`: then the target's
    rows of every copied table are dropped first. The write runs as the store's own writes do
    (its write lock held, the data version bumped at commit: every replica's answer cache sees
    the change). Identity columns continue past the copied ids.
    """
    import psycopg

    from bot.store import Store

    store = Store(target)  # the schema, by the same migrations as SQLite, under their lock
    source.execute("BEGIN")  # one snapshot of the file for the whole copy
    try:
        raw = store.conn.raw  # type: ignore[attr-defined]  # the PgConnection's psycopg one
        with store.transaction(), raw.cursor() as cur:
            copied = _copy_all(source, cur, replace=replace)
        _vacuum(raw, [c.table for c in copied])
        return copied
    except (psycopg.Error, PgError) as exc:
        text = str(exc).strip()
        raise CopyFailed(text.splitlines()[0] if text else type(exc).__name__) from None
    finally:
        source.execute("ROLLBACK")  # read only: nothing to keep
        store.close()


def _copy_all(source: sqlite3.Connection, cur: Any, *, replace: bool) -> list[Copied]:
    from psycopg import sql

    tables = sqlite_tables(source)
    present = pg_columns(cur)
    for table, columns in tables.items():
        missing = [c for c in columns if c not in present.get(table, [])]
        if missing or table not in present:
            raise MissingTable(table, missing)
        # a table with no primary key has SQLite's implicit rowid as a real column on
        # PostgreSQL (insertion order): it is copied too
        if "rowid" in present[table] and "rowid" not in columns:
            columns.insert(0, "rowid")
    cur.execute("SELECT COUNT(*) FROM deals")
    deals = cur.fetchone()[0]
    if deals and not replace:
        raise TargetNotEmpty(deals)
    cur.execute(sql.SQL("TRUNCATE {}").format(sql.SQL(", ").join(map(sql.Identifier, tables))))
    copied = [_copy_table(source, cur, table, columns) for table, columns in tables.items()]
    for table in tables:
        _restart_identities(cur, table)
    return copied


def _vacuum(raw: Any, tables: list[str]) -> None:
    """VACUUM (ANALYZE) the copied tables, after the commit (it cannot run in a transaction):
    the planner gets the new rows' statistics and the index-only scans the covering indexes are
    for work at once, instead of after autovacuum's next visit."""
    import psycopg
    from psycopg import sql

    try:
        for table in tables:
            raw.execute(sql.SQL("VACUUM (ANALYZE) {}").format(sql.Identifier(table)))
    except psycopg.Error as exc:  # the rows are committed: only the tidying is left undone
        logging.getLogger(__name__).warning("VACUUM after the copy failed (%s): autovacuum "
                                            "will do it later", exc)  # fmt: skip


def _copy_table(source: sqlite3.Connection, cur: Any, table: str, columns: list[str]) -> Copied:
    """COPY one table's rows (streamed, a batch at a time), then check the count on both sides."""
    from psycopg import sql

    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    with cur.copy(statement) as copy:
        for row in _rows(source, table, columns):
            copy.write_row(row)
    cur.execute(sql.SQL("SELECT COUNT(*) FROM {}").format(sql.Identifier(table)))
    return Copied(table, cur.fetchone()[0])


def _restart_identities(cur: Any, table: str) -> None:
    """Identity (or serial) columns of `table` restart after the largest copied value, so the next
    row PostgreSQL numbers does not collide with a copied one."""
    from psycopg import sql

    cur.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema()"
        " AND table_name = %s AND (is_identity = 'YES' OR column_default LIKE 'nextval(%%')",
        (table,),
    )
    for (column,) in cur.fetchall():
        cur.execute(
            sql.SQL(
                "SELECT setval(pg_get_serial_sequence(%s, %s), COALESCE(MAX({}), 0) + 1, false)"
                " FROM {}"
            ).format(sql.Identifier(column), sql.Identifier(table)),
            (table, column),
        )
