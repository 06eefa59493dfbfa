"""SQLite SQL to PostgreSQL SQL: the one place where the store's SQL changes dialect.

The store's SQL is written for SQLite (its default engine, which runs it untranslated: no cost
there). On a PostgreSQL target every statement passes through `translate` once (cached), and the
functions SQLite has built in are created on the server from `COMPAT_FUNCTIONS` by the
migration step. What differs, and how it is made the same:

- placeholders: `?` -> `%s`, `?N` -> `%(N)s` (`numbered_params` gives the mapping), `:name` ->
  `%(name)s`, a literal `%` -> `%%`;
- index hints (`INDEXED BY <index>`, `NOT INDEXED`) are dropped (PostgreSQL has statistics);
- `INSERT OR IGNORE` -> `ON CONFLICT DO NOTHING`; `a IS ?` (SQLite's null-safe equality) ->
  `IS NOT DISTINCT FROM`; `CROSS JOIN t ON` (SQLite's join-order hint) -> `JOIN t ON`;
  `temp.t` -> `pg_temp.t`; `LIKE` -> `ILIKE` (SQLite's LIKE ignores ASCII case);
  `IFNULL` -> `COALESCE`; `json_each(?)` -> `json_array_elements_text(?)`;
- NULLs sort first ascending and last descending in SQLite, the other way round in PostgreSQL:
  every ORDER BY term says so explicitly (`NULLS FIRST` / `NULLS LAST`), except keys that are
  never NULL (`id`, `rowid`, `at`, `deal_id`), whose index order PostgreSQL may then use;
- a `GROUP BY` whose `MAX(x)`/`MIN(x)` comes with bare columns (SQLite takes them from the row
  holding the extreme) -> `DISTINCT ON (keys) ... ORDER BY keys, x DESC`;
- the schema questions (`sqlite_master`, `PRAGMA table_info`) -> `information_schema`;
- a deal's `rowid` (the owner lists pick deals by it) is its key `id`;
- `d.amount = ''` is dropped: a float column of PostgreSQL cannot hold the empty text that
  SQLite's loose typing may keep in a REAL column.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from typing import Any

#: Statements creating PostgreSQL versions of the SQLite functions the store's SQL uses; run
#: (again) by every migration of a PostgreSQL store, so each is idempotent (CREATE OR REPLACE).
COMPAT_FUNCTIONS: list[str] = [
    # TOTAL(x): the float sum, 0.0 over no row (SUM gives NULL), NULLs skipped. SQLite 3.40 adds
    # in row order without compensation, as float8pl does.
    "CREATE OR REPLACE AGGREGATE total(double precision) (SFUNC = float8pl, "
    "STYPE = double precision, INITCOND = '0', COMBINEFUNC = float8pl, PARALLEL = SAFE)",
    # TOTAL(a = b): SQLite's comparisons are integers 0/1
    "CREATE OR REPLACE FUNCTION pb_total_bool(s double precision, b boolean) "
    "RETURNS double precision LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE "
    "AS 'SELECT s + b::int'",
    "CREATE OR REPLACE AGGREGATE total(boolean) (SFUNC = pb_total_bool, "
    "STYPE = double precision, INITCOND = '0', COMBINEFUNC = float8pl, PARALLEL = SAFE)",
    # julianday(text): SQLite's own arithmetic (whole milliseconds since the Julian epoch,
    # divided once), so differences of two are the same floats to the last bit. Text without
    # an offset is UTC, as in SQLite, whatever the session's time zone. Not STRICT, and tested
    # with LIKE rather than a regular expression, so PostgreSQL inlines it (6× faster).
    "CREATE OR REPLACE FUNCTION julianday(t text) RETURNS double precision "
    "LANGUAGE sql STABLE PARALLEL SAFE AS $$ SELECT (round(date_part('epoch', "
    "CASE WHEN t LIKE '%+__:__' OR t LIKE '%-__:__' OR t LIKE '%Z' "
    "THEN t::timestamptz ELSE t::timestamp AT TIME ZONE 'UTC' END) * 1000) "
    "+ 210866760000000) / 86400000.0::double precision $$",
    # instr(a, b): 1-based character position of b in a, 0 when absent
    "CREATE OR REPLACE FUNCTION instr(a text, b text) RETURNS integer "
    "LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS 'SELECT strpos(a, b)'",
]

#: ORDER BY keys that are never NULL: left as written, so an index in that order still serves.
_NEVER_NULL = frozenset({"id", "rowid", "at", "deal_id"})

_LITERAL = re.compile(r"'(?:[^']|'')*'")
_MASK = re.compile(r"\x00(\d+)\x00")


def _rules() -> list[tuple[re.Pattern[str], str]]:
    """(pattern, replacement) of each rewrite, applied in order to the statement with its
    string literals masked (so text in quotes is never rewritten)."""
    flags = re.IGNORECASE
    return [
        (re.compile(r"\s+(?:INDEXED\s+BY\s+\w+|NOT\s+INDEXED)\b", flags), ""),
        (re.compile(r"\bIFNULL\s*\(", flags), "COALESCE("),
        (re.compile(r"\bIS\s+NOT\s+(?=[?:])", flags), "IS DISTINCT FROM "),
        (re.compile(r"\bIS\s+(?=[?:])", flags), "IS NOT DISTINCT FROM "),
        (re.compile(r"\bCROSS\s+JOIN\s+(\w+(?:\s+(?:AS\s+)?\w+)?)\s+ON\b", flags), r"JOIN \1 ON"),
        (re.compile(r"\btemp\.(?=\w)", flags), "pg_temp."),
        (re.compile(r"(?<!\w)(NOT\s+)?LIKE\b", flags), r"\1ILIKE"),
        (
            re.compile(r"\bjson_each\s*\(\s*(\?\d*|:\w+)\s*\)", flags),
            r"json_array_elements_text(\1::json)",
        ),
        # a deal's rowid is its key: PostgreSQL's `deals` has no rowid, and `id` is the same pick
        (re.compile(r"\bd\.rowid\b", flags), "d.id"),
        (re.compile(r"\bSELECT\s+rowid\s+FROM\s+deals\b", flags), "SELECT id FROM deals"),
    ]


#: `d.amount = ''`: a float column of PostgreSQL never holds the empty text SQLite may keep.
_EMPTY_AMOUNT = re.compile(r"\s+OR\s+d\.amount\s*=\s*''", re.IGNORECASE)


_RULES = _rules()
_INSERT_IGNORE = re.compile(r"^\s*INSERT\s+OR\s+IGNORE\s+INTO\b", re.IGNORECASE)
_TABLES = re.compile(
    r"^\s*SELECT\s+name\s+FROM\s+sqlite_master\s+WHERE\s+type\s*=\s*\x00(\d+)\x00"
    r"(?:\s+ORDER\s+BY\s+name)?\s*$",
    re.IGNORECASE,
)
_TABLE_INFO = re.compile(
    r"^\s*PRAGMA\s+table_info\s*\(\s*[\"\[]?(\w+)[\"\]]?\s*\)\s*$", re.IGNORECASE
)
_GROUPED = re.compile(
    r"^\s*SELECT\s+(?P<items>.+?)\s+FROM\s+(?P<rest>.+?)\s+GROUP\s+BY\s+"
    r"(?P<keys>[\w.]+(?:\s*,\s*[\w.]+)*)\s*$",
    re.IGNORECASE | re.DOTALL,
)
_EXTREME = re.compile(r"^(MAX|MIN)\s*\(\s*([\w.]+)\s*\)$", re.IGNORECASE)
_ORDER_END = re.compile(r"\b(LIMIT|OFFSET|UNION|EXCEPT|INTERSECT)\b", re.IGNORECASE)


def _split_top(text: str, sep: str = ",") -> list[str]:
    """`text` split at each `sep` outside parentheses (string literals are masked already)."""
    parts, depth, start = [], 0, 0
    for i, c in enumerate(text):
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == sep and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


def _with_nulls(term: str, sql: str) -> str:
    """One ORDER BY term with SQLite's NULL placement said explicitly, unless it cannot be NULL
    (a key, or a column the statement says `IS NOT NULL` of): an index in that order serves."""
    stripped = term.strip()
    if not stripped or re.search(r"\bNULLS\s+(FIRST|LAST)\s*$", stripped, re.IGNORECASE):
        return term
    descending = re.search(r"\s+DESC$", stripped, re.IGNORECASE) is not None
    bare = re.sub(r"\s+(ASC|DESC)$", "", stripped, flags=re.IGNORECASE)
    if bare.rsplit(".", 1)[-1].lower() in _NEVER_NULL or (
        re.fullmatch(r"[\w.]+", bare)
        and re.search(rf"(?<![\w.]){re.escape(bare)}\s+IS\s+NOT\s+NULL\b", sql, re.IGNORECASE)
    ):
        return term
    lead, trail = term[: len(term) - len(term.lstrip())], term[len(term.rstrip()) :]
    return f"{lead}{stripped} {'NULLS LAST' if descending else 'NULLS FIRST'}{trail}"


def _order_nulls(sql: str) -> str:
    """Every `ORDER BY` clause (at any depth) with its terms' NULL placement made explicit."""
    out: list[str] = []
    pos = 0
    for match in re.finditer(r"\bORDER\s+BY\b", sql, re.IGNORECASE):
        if match.start() < pos:
            continue
        start = match.end()
        depth, end = 0, len(sql)
        i = start
        while i < len(sql):
            c = sql[i]
            if c == "(":
                depth += 1
            elif c == ")":
                if depth == 0:
                    end = i
                    break
                depth -= 1
            elif depth == 0 and c == ";":
                end = i
                break
            elif depth == 0 and (i == start or not (sql[i - 1].isalnum() or sql[i - 1] == "_")):
                stop = _ORDER_END.match(sql, i)
                if stop:
                    end = i
                    break
            i += 1
        clause = sql[start:end]
        # an ORDER BY inside the clause's own parentheses (a window, a subquery) in turn
        terms = [_order_nulls(term) for term in _split_top(clause)]
        fixed = ",".join(_with_nulls(term, sql) for term in terms)
        out.append(sql[pos:start])
        out.append(fixed)
        pos = end
    out.append(sql[pos:])
    return "".join(out)


def _bare_extreme(sql: str) -> str:
    """`SELECT k, MAX(x), y FROM ... GROUP BY k` (y taken from the row of the maximum, as SQLite
    does) as `SELECT DISTINCT ON (k) k, x, y FROM ... ORDER BY k, x DESC, y`; ties go to the
    smallest other values, the row SQLite meets first walking its index."""
    match = _GROUPED.match(sql)
    if not match:
        return sql
    items = [item.strip() for item in _split_top(match["items"])]
    keys = [key.strip() for key in match["keys"].split(",")]
    extremes = [(i, _EXTREME.match(item)) for i, item in enumerate(items)]
    found = [(i, m) for i, m in extremes if m]
    bare = [item for item in items if item not in keys and re.fullmatch(r"[\w.]+", item)]
    if len(found) != 1 or not bare or len(bare) + len(keys) + 1 != len(items):
        return sql
    index, extreme = found[0]
    column = extreme[2]
    items[index] = column
    direction = "DESC NULLS LAST" if extreme[1].upper() == "MAX" else "ASC NULLS LAST"
    order = ", ".join([*keys, f"{column} {direction}", *(f"{b} NULLS FIRST" for b in bare)])
    return (
        f"SELECT DISTINCT ON ({', '.join(keys)}) {', '.join(items)} FROM {match['rest']} "
        f"ORDER BY {order}"
    )


def _schema_questions(sql: str, literals: list[str]) -> str | None:
    """`sqlite_master`'s tables and `PRAGMA table_info`, asked of `information_schema`."""
    tables = _TABLES.match(sql)
    if tables and literals[int(tables[1])] == "'table'":
        return (
            "SELECT table_name AS name FROM information_schema.tables "
            "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' "
            "ORDER BY table_name"
        )
    info = _TABLE_INFO.match(sql)
    if info:
        name = info[1].lower()
        return (
            "SELECT ordinal_position - 1 AS cid, column_name AS name, data_type AS type, "
            "(is_nullable = 'NO')::int AS notnull, column_default AS dflt_value, 0 AS pk "
            "FROM information_schema.columns WHERE table_schema = current_schema() "
            f"AND table_name = '{name}' ORDER BY ordinal_position"
        )
    return None


def _placeholders(sql: str) -> str:
    """`?` -> `%s`, `?N` -> `%(N)s`, `:name` -> `%(name)s`, literal `%` -> `%%`, outside quoted
    text and comments. Quoted text keeps its characters except `%`, which psycopg reads
    everywhere in a statement."""
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
            end = i + 1
            while end < n and sql[end].isdigit():
                end += 1
            out.append(f"%({sql[i + 1 : end]})s" if end > i + 1 else "%s")
            i = end
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
    literals: list[str] = []

    def mask(match: re.Match[str]) -> str:
        literals.append(match[0])
        return f"\x00{len(literals) - 1}\x00"

    text = _LITERAL.sub(mask, _EMPTY_AMOUNT.sub("", sql))
    asked = _schema_questions(text, literals)
    if asked is not None:
        return _placeholders(asked)
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    ignore = _INSERT_IGNORE.match(text)
    if ignore:
        text = "INSERT INTO" + text[ignore.end() :].rstrip().rstrip(";") + " ON CONFLICT DO NOTHING"
    text = _bare_extreme(text)
    text = _order_nulls(text)
    text = _MASK.sub(lambda m: literals[int(m[1])], text)
    return _placeholders(text)


def numbered_params(params: Sequence[Any] | Mapping[str, Any]) -> Mapping[str, Any]:
    """The parameters of a statement written with `?N` (SQLite's numbered placeholders, which
    `translate` makes `%(N)s`) as the mapping psycopg reads them from."""
    if isinstance(params, Mapping):
        return params
    return {str(number): value for number, value in enumerate(params, start=1)}
