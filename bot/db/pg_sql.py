"""SQLite SQL to PostgreSQL SQL: the one place where the store's SQL changes dialect.

The store's SQL is written for SQLite (its default engine, which runs it untranslated). On a
PostgreSQL target every statement passes through `translate` once (cached), and the functions
SQLite has built in are created on the server from `COMPAT_FUNCTIONS` by the migration step.
"""

from __future__ import annotations

import functools
import re

# Statements creating PostgreSQL versions of the SQLite functions the store's SQL uses; run (again)
# by every migration of a PostgreSQL store, so each must be idempotent (CREATE OR REPLACE ...).
COMPAT_FUNCTIONS: list[str] = []

_INDEX_HINT = re.compile(r"\s+(?:INDEXED\s+BY\s+\w+|NOT\s+INDEXED)\b", re.IGNORECASE)


def _placeholders(sql: str) -> str:
    """`?` -> `%s`, `:name` -> `%(name)s`, literal `%` -> `%%`, outside quoted text and comments.

    Quoted text keeps its characters except `%`, which psycopg reads everywhere in a statement.
    """
    out: list[str] = []
    i, n = 0, len(sql)
    while i < n:
        c = sql[i]
        if c in "'\"":
            end = i + 1
            while end < n:
                if sql[end] == c:
                    if end + 1 < n and sql[end + 1] == c:
                        end += 2
                        continue
                    break
                end += 1
            out.append(sql[i : end + 1].replace("%", "%%"))
            i = end + 1
        elif c == "-" and sql.startswith("--", i):
            end = sql.find("\n", i)
            end = n if end < 0 else end
            out.append(sql[i:end].replace("%", "%%"))
            i = end
        elif c == "%":
            out.append("%%")
            i += 1
        elif c == "?":
            out.append("%s")
            i += 1
        elif c == ":" and i + 1 < n and (sql[i + 1].isalpha() or sql[i + 1] == "_"):
            if i > 0 and sql[i - 1] == ":":  # a PostgreSQL cast (`x::text`), kept as written
                out.append(c)
                i += 1
                continue
            end = i + 1
            while end < n and (sql[end].isalnum() or sql[end] == "_"):
                end += 1
            out.append(f"%({sql[i + 1 : end]})s")
            i = end
        else:
            out.append(c)
            i += 1
    return "".join(out)


@functools.lru_cache(maxsize=4096)
def translate(sql: str) -> str:
    """The PostgreSQL form of one SQLite statement (cached: the store repeats its statements)."""
    return _placeholders(_INDEX_HINT.sub("", sql))
