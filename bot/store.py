"""The SQLite store: the schema, its migrations and every write (analytics only read).

Raw statuses are the truth (`status_changes`); stages are derived from them with the configured
mapping, and `stage_events` / `deals.stage` are a materialised view rebuilt whenever the mapping's
fingerprint changes. So editing `[status_map]` re-maps every deal and its history with no re-sync.
WAL mode and a busy timeout let the scheduler, the CLI and the Slack handlers share the file.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from bot.db.target import DbTarget, PgError, describe, is_postgres
from bot.errors import StoreError, StoreLocked
from bot.pipeline import Pipeline, normalise

if TYPE_CHECKING:
    import sqlite_utils
    from sqlite_utils.migrations import Migrations

    from bot.db.pg_connection import PgConnection

BUSY_TIMEOUT_MS = 15_000
#: `deals.removed` (and `stage_events.removed`) of a deal whose source is no longer in the config:
#: kept, but out of every answer like a removed one (1), until the source is configured again.
HIDDEN = 2

DEAL_COLUMNS: dict[str, type] = {
    "id": str,
    "source": str,
    "task_id": str,
    "title": str,
    "client": str,
    "contact": str,
    "owner": str,
    "owner_email": str,
    "status": str,
    "status_norm": str,
    "stage": str,
    "amount": float,
    "currency": str,
    "probability": float,
    "started": str,
    "expected_close": str,
    "stage_entered": str,
    "next_step": str,
    "lost_reason": str,
    "url": str,
    "removed": int,
    "first_seen": str,
    "last_seen": str,
    "updated": str,
}

#: What dated the start of a deal's current stay, best first (see `bot/sync.py`): the tool's own
#: history, the source's `stage_entered` field, a status change seen between two syncs, the task's
#: last-modified time at its first sight, else the sync that first saw it. Stored per status
#: change (`status_changes.origin`) and, for the current stay, in `deals.stage_entered_from`.
EVIDENCE: tuple[str, ...] = ("history", "field", "observed", "last_modified", "first_seen")


class LazyMigrations:
    """sqlite-utils' `Migrations`, built only when a database may have something to migrate.

    Importing sqlite-utils (click, pluggy, tabulate…) costs about as much start-up as everything
    else a query imports (ARCHITECTURE.md, "Why each speed device exists"), and a database that is
    up to date needs none of it. So once sqlite-utils has applied every migration, their number
    is written in SQLite's own `PRAGMA user_version`, and `all_applied` reads that one pragma:
    nothing of sqlite-utils' bookkeeping is read by hand. A database from before (0) or from an
    older release (a smaller number) goes through sqlite-utils, which knows what is pending. The
    decorator, `pending` and `apply` behave as sqlite-utils' own.
    """

    def __init__(self, name: str):
        self.name = name
        self.registered: list[tuple[str, Callable[[Any], None], bool]] = []
        #: a migration's PostgreSQL data step, by name (see bot/db/pg_schema.py)
        self.postgres: dict[str, Callable[[PgConnection], None]] = {}
        self._real: Migrations | None = None

    def __call__(self, *, name: str | None = None, transactional: bool = True,
                 postgres: Callable[[PgConnection], None] | None = None,
                 ) -> Callable[[Any], Any]:  # fmt: skip
        """Register a migration; one that rewrites stored rows also gives `postgres`, the same
        step for a PostgreSQL store (its schema changes are derived: bot/db/pg_schema.py)."""

        def register(func: Callable[[Any], None]) -> Callable[[Any], None]:
            self.registered.append((name or func.__name__, func, transactional))
            if postgres is not None:
                self.postgres[name or func.__name__] = postgres
            self._real = None
            return func

        return register

    def real(self) -> Migrations:
        if self._real is None:
            from sqlite_utils.migrations import Migrations

            self._real = Migrations(self.name)
            for name, func, transactional in self.registered:
                self._real(name=name, transactional=transactional)(func)
        return self._real

    def pending(self, db: sqlite_utils.Database) -> list[Any]:
        return self.real().pending(db)

    def apply(self, db: sqlite_utils.Database, **options: Any) -> None:
        """Apply what is pending; with nothing left, mark the database up to date."""
        real = self.real()
        real.apply(db, **options)
        if not real.pending(db):
            marked = int(db.conn.execute("PRAGMA user_version").fetchone()[0])
            db.conn.execute(f"PRAGMA user_version = {max(marked, len(self.registered))}")

    def all_applied(self, conn: sqlite3.Connection) -> bool:
        """True when this release's migrations were all applied (or a later release's)."""
        return int(conn.execute("PRAGMA user_version").fetchone()[0]) >= len(self.registered)

    def apply_postgres(self, conn: PgConnection) -> list[str]:
        """Bring a PostgreSQL store up to date (bot/db/pg_schema.py); the names applied."""
        from bot.db import pg_schema

        names = [name for name, _, _ in self.registered]
        if pg_schema.up_to_date(conn, self.name, names):
            return []
        registered = [(name, func, self.postgres.get(name)) for name, func, _ in self.registered]
        return pg_schema.migrate(conn, self.name, registered)


migrations = LazyMigrations("pipeline-bot")


#: What `save_sync_state` may write (m001's `sync_state` table, m012's `source_print`).
SYNC_STATE_COLUMNS = ("bookmark", "last_success", "last_attempt", "last_full", "last_error",
                      "source_print", "first_success")  # fmt: skip


@migrations()
def m001_initial(db: sqlite_utils.Database) -> None:
    deals = db.table("deals")
    deals.create(DEAL_COLUMNS, pk="id", not_null={"source", "title"}, defaults={"removed": 0})
    db.table("status_changes").create(
        {"deal_id": str, "at": str, "from_status": str, "to_status": str, "to_norm": str,
         "origin": str},
    )  # fmt: skip
    db.table("status_changes").create_index(["deal_id", "at", "to_norm"], unique=True)
    db.table("stage_events").create(
        {"id": int, "deal_id": str, "at": str, "from_stage": str, "to_stage": str,
         "status": str, "source": str},
        pk="id",
    )  # fmt: skip
    db.table("stage_events").create_index(["deal_id", "at"])
    db.table("sync_state").create(
        {"source": str, "bookmark": str, "last_success": str, "last_attempt": str,
         "last_full": str, "last_error": str},
        pk="source",
    )  # fmt: skip
    db.table("meta").create({"key": str, "value": str}, pk="key")


@migrations()
def m002_nudge_log(db: sqlite_utils.Database) -> None:
    """The nudge log (at most once a deal a local day), snoozes/follow-ups, announcements."""
    db.table("nudges").create(
        {"deal_id": str, "day": str, "owner": str, "recipient": str, "sent_at": str,
         "channel": str, "ts": str},
    )  # fmt: skip
    db.table("nudges").create_index(["deal_id", "day"], unique=True)
    db.table("quiet").create(
        {"id": int, "deal_id": str, "kind": str, "stage": str, "by_user": str, "at": str,
         "until": str},
        pk="id",
    )  # fmt: skip
    db.table("quiet").create_index(["deal_id", "stage"])
    db.table("announcements").create(
        {"deal_id": str, "outcome": str, "at": str, "announced_at": str},
        pk=("deal_id", "outcome"),
    )  # fmt: skip
    db.table("leases").create({"job": str, "holder": str, "expires": str}, pk="job")


@migrations()
def m003_query_indexes(db: sqlite_utils.Database) -> None:
    """Indexes the /pipeline queries lean on (covering the summary's GROUP BY)."""
    db.table("deals").create_index(["removed", "stage", "amount", "probability"])
    db.table("deals").create_index(["owner"])
    db.table("stage_events").create_index(["at"])


@migrations()
def m004_analytics(db: sqlite_utils.Database) -> None:
    """Derived columns that keep every /pipeline answer an index walk at 100,000 deals.

    `deals.search` (normalised title + client: SQLite cannot strip accents), `deals.visited`
    (bit i set when the deal's history passed through stage i: the funnel's "reached"),
    `stage_events.left_at`/`stay_days` (when that stay ended and its length: the funnel's medians)
    and `stage_events.removed` (a copy of the deal's flag, so the stay index can skip removed
    deals). The stage mapping is forgotten so the next command re-derives them all.
    """
    db.table("deals").add_column("search", str)
    db.table("deals").add_column("visited", int)
    db.table("stage_events").add_column("left_at", str)
    db.table("stage_events").add_column("stay_days", float)
    db.table("stage_events").add_column("removed", int, not_null_default=0)
    db.conn.create_function("pb_search", 2, search_key, deterministic=True)
    db.execute("UPDATE deals SET search = pb_search(title, client)")
    db.execute(
        "CREATE INDEX idx_stage_events_stays ON stage_events(to_stage, stay_days) "
        "WHERE stay_days IS NOT NULL AND removed = 0"
    )
    # one index per answer, each covering what it reads (see bench/queries.py)
    for columns in (
        ["removed", "stage", "visited"],  # funnel
        ["removed", "stage", "stage_entered", "amount", "probability", "owner"],  # stalled, owners
        ["removed", "stage", "expected_close", "amount", "probability"],  # forecast
        ["removed", "stage", "lost_reason", "amount"],  # lost
        ["removed", "owner", "owner_email"],  # owner NAME, mine
        ["removed", "search"],  # deal TEXT
    ):
        db.table("deals").create_index(columns)
    db.execute("DELETE FROM meta WHERE key = 'mapping'")


@migrations()
def m005_nudge_indexes(db: sqlite_utils.Database) -> None:
    """Look-ups of the nudges, buttons and announcements: the active quiet row of a deal's stage,
    pending announcements, and outcome events of a week (for the digest)."""
    db.table("quiet").create_index(["deal_id", "kind", "stage", "until"], if_not_exists=True)
    db.table("announcements").create_index(["announced_at", "at"], if_not_exists=True)
    db.table("stage_events").create_index(["to_stage", "at"], if_not_exists=True)


@migrations()
def m006_query_indexes(db: sqlite_utils.Database) -> None:
    """Indexes for `changes` and `owner NAME` at 100,000 deals (see bench/queries.py).

    `changes` (bot/analytics/changes.py): the events of a time window read from a covering `at`
    index alone (it replaces the plain one on `at`, its prefix; `id` right after `at` makes the
    newest-first order the index's own), and each event's deal looked up by key in a covering
    index, without reading the table row. `owner NAME` / `mine`: the open deals of a few owners,
    by name or by e-mail, found by index seeks."""
    db.execute(
        "CREATE INDEX IF NOT EXISTS idx_stage_events_at_covering ON stage_events"
        "(at, id, removed, deal_id, from_stage, to_stage, status)"
    )
    db.execute("DROP INDEX IF EXISTS idx_stage_events_at")
    db.execute(
        "CREATE INDEX IF NOT EXISTS idx_deals_id_covering ON deals"
        "(id, removed, title, owner, amount)"
    )
    # owner first: an index that starts with `removed` would tempt SQLite (no statistics) to
    # walk it for every `removed = 0` query, as it does its first such index
    for column in ("owner", "owner_email"):
        db.execute(
            f"CREATE INDEX IF NOT EXISTS idx_deals_{column}_removed_stage ON deals"
            f"({column}, removed, stage)"
        )


@migrations()
def m007_field_changes(db: sqlite_utils.Database) -> None:
    """Field history: every change of a deal's amount, expected close, probability and owner.

    `origin` is "tool" (the task manager's own history, its real time) or "snapshot" (seen
    changed between two syncs, at the sync's time); `by_user` the Slack user when the change was
    made from Slack. Values are text (`encode_value`). The unique index makes re-reading the same
    tool history a no-op; (field, at) serves the forecast's "value at a past instant"."""
    db.execute(
        "CREATE TABLE field_changes (id INTEGER PRIMARY KEY, deal_id TEXT NOT NULL, "
        "at TEXT NOT NULL, field TEXT NOT NULL, from_value TEXT, to_value TEXT, "
        "origin TEXT NOT NULL, by_user TEXT)"
    )
    db.execute(
        "CREATE UNIQUE INDEX idx_field_changes_once ON field_changes"
        "(deal_id, field, at, IFNULL(to_value, ''))"
    )
    db.execute("CREATE INDEX idx_field_changes_field_at ON field_changes(field, at, deal_id)")


#: Deal fields whose changes `field_changes` keeps, and how their values are typed.
FIELD_TYPES: dict[str, type] = {
    "amount": float,
    "expected_close": date,
    "probability": float,
    "owner": str,
}


def encode_value(value: object) -> str | None:
    """A tracked field's value as stored: numbers as Python writes floats, dates ISO, text as is."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise TypeError("a flag is not a tracked field value")
    if isinstance(value, int | float):
        return repr(float(value))
    if isinstance(value, date):
        return value.isoformat()[:10]
    return str(value)


def decode_value(field: str, text: str | None) -> float | date | str | None:
    """The typed value of a stored one (`encode_value` reversed)."""
    if text is None:
        return None
    kind = FIELD_TYPES.get(field, str)
    if kind is float:
        return float(text)
    if kind is date:
        return date.fromisoformat(text[:10])
    return text


@migrations()
def m008_stage_evidence(db: sqlite_utils.Database) -> None:
    """`deals.stage_entered_from`: which evidence dated the current stay (`EVIDENCE`).

    Status changes were tagged "tool" or "snapshot"; a snapshot made at the deal's first sight is
    "first_seen", one without a previous status (a first sight dated by a "since" cell) "field",
    any other "observed". The mapping is forgotten so the next command derives the new column.
    """
    db.table("deals").add_column("stage_entered_from", str)
    # the summary's `age_unknown` count walks only the deals it counts
    db.execute(
        "CREATE INDEX idx_deals_age_unknown ON deals(removed, stage) "
        "WHERE stage_entered_from = 'first_seen'"
    )
    db.execute("UPDATE status_changes SET origin = 'history' WHERE origin = 'tool'")
    db.execute(
        "UPDATE status_changes SET origin = CASE "
        "WHEN at = (SELECT first_seen FROM deals d WHERE d.id = status_changes.deal_id) "
        "THEN 'first_seen' WHEN from_status IS NULL THEN 'field' ELSE 'observed' END "
        "WHERE origin = 'snapshot'"
    )
    db.execute("DELETE FROM meta WHERE key = 'mapping'")


@migrations()
def m009_owner_spellings(db: sqlite_utils.Database) -> None:
    """`deals.owner_raw`: the owner as the source wrote it; `deals.owner` becomes the one spelling
    shown for every owner name that differs only in case, accents or spaces (`unify_owners`)."""
    db.table("deals").add_column("owner_raw", str)
    db.execute("UPDATE deals SET owner_raw = owner")
    db.execute("CREATE INDEX idx_deals_owner_raw ON deals(owner_raw, owner, removed)")
    unify_owners(db.conn)


def owner_spellings(conn: sqlite3.Connection) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """Per owner key (`normalise`d name), the spelling shown: the one most live deals use (then,
    on a tie, one that is neither all lower nor all upper case, single-spaced, first in order);
    and the (raw, shown) pairs of stored deals whose shown name is not that spelling yet."""
    used: dict[str, dict[str, float]] = {}
    shown_now: list[tuple[str, str | None]] = []
    for raw, owner, count, live in conn.execute(
        "SELECT owner_raw, owner, COUNT(*), TOTAL(removed = 0) FROM deals "
        "WHERE owner_raw IS NOT NULL GROUP BY owner_raw, owner"
    ):
        spellings = used.setdefault(normalise(raw), {})
        spellings[raw] = spellings.get(raw, 0) + live + count / 1e9  # removed ones break ties
        shown_now.append((raw, owner))
    best = {
        key: min(spellings, key=lambda raw: (-spellings[raw], raw in (raw.lower(), raw.upper()),
                                             raw != " ".join(raw.split()), raw))
        for key, spellings in used.items()
    }  # fmt: skip
    stale = sorted({(raw, best[normalise(raw)]) for raw, owner in shown_now
                    if owner != best[normalise(raw)]})  # fmt: skip
    return best, stale


def unify_owners(conn: sqlite3.Connection) -> int:
    """Show every deal's owner with its key's chosen spelling (`owner_spellings`): the one rule
    that makes "Marie Dupont" and "marie  dupont" one owner in every answer. Returns the number
    of deals whose shown owner changed."""
    _, stale = owner_spellings(conn)
    before = conn.total_changes
    conn.executemany("UPDATE deals SET owner = ?2 WHERE owner_raw = ?1 AND owner IS NOT ?2", stale)
    return conn.total_changes - before


@migrations()
def m010_forecast_indexes(db: sqlite_utils.Database) -> None:
    """`accuracy`: the deals expected to close in a month, found by their close date (then
    their stay at the month's start by the (deal_id, at) index)."""
    db.execute(
        "CREATE INDEX IF NOT EXISTS idx_deals_expected_close ON deals(expected_close, removed)"
    )


@migrations()
def m011_stage_entries(db: sqlite_utils.Database) -> None:
    """`deals.entered`: per stage, in pipeline order, when the deal was first in that stage or
    a later one (`|`-separated stored timestamps, empty when never): calibration's back-test
    clock, read from the deal row instead of a million stage events. The mapping is forgotten
    so the next command derives it."""
    if "entered" not in db.table("deals").columns_dict:  # a pre-release build may have it
        db.table("deals").add_column("entered", str)
    db.execute("DELETE FROM meta WHERE key = 'mapping'")


@migrations()
def m012_row_fingerprint(db: sqlite_utils.Database) -> None:
    """`deals.fingerprint`: what the deal's row or task said at the last sync (bot/sync.py), so a
    re-sync skips the deals that did not change (no upsert through the indexes, no rebuild);
    `sync_state.source_print`: the same for a whole sheet file, and how many deals it gave."""
    db.execute("ALTER TABLE deals ADD COLUMN fingerprint TEXT")
    db.execute("ALTER TABLE sync_state ADD COLUMN source_print TEXT")


@migrations()
def m013_changed_by(db: sqlite_utils.Database) -> None:
    """`by_user`: the Slack user who made a status change from Slack (null: from the tool), on
    the raw change and on the stage event it begins; `changes` reads it from its covering index,
    rebuilt with the column. Every change stored before came from the tools (null is right):
    no event needs deriving again."""
    db.execute("ALTER TABLE status_changes ADD COLUMN by_user TEXT")
    db.execute("ALTER TABLE stage_events ADD COLUMN by_user TEXT")
    db.execute("DROP INDEX IF EXISTS idx_stage_events_at_covering")
    db.execute(
        "CREATE INDEX idx_stage_events_at_covering ON stage_events"
        "(at, id, removed, deal_id, from_stage, to_stage, status, by_user)"
    )


@migrations()
def m014_webhooks(db: sqlite_utils.Database) -> None:
    """`webhooks`: the change notifications `pipeline-bot webhooks register` asked each tool
    for (the tool's id, the URL it notifies, when), so `list` and `remove` find them again."""
    db.execute(
        "CREATE TABLE IF NOT EXISTS webhooks (source TEXT NOT NULL, id TEXT NOT NULL, "
        "url TEXT NOT NULL, created TEXT NOT NULL, PRIMARY KEY (source, id))"
    )


@migrations()
def m015_first_success(db: sqlite_utils.Database) -> None:
    """`sync_state.first_success`: when a source's first sync succeeded. A deal first seen by
    then was already in the tool: its first stage event marks when pipeline-bot started
    watching, not a new deal (`changes`, the digest's "new this week"). Stores synced before
    this column take their deals' earliest first sight."""
    db.execute("ALTER TABLE sync_state ADD COLUMN first_success TEXT")
    db.execute(
        "UPDATE sync_state SET first_success = (SELECT MIN(d.first_seen) FROM deals d "
        "WHERE d.source = sync_state.source) WHERE last_success IS NOT NULL"
    )


@migrations()
def m016_owner_cover(db: sqlite_utils.Database) -> None:
    """`owners` groups open deals by owner: over an index in owner order that holds every column
    it reads (and `id`, for the snooze check), the GROUP BY streams instead of sorting every open
    deal in a temporary B-tree, which grew faster than the deals (×20 from 100k to 1M, the sort
    spilling out of the cache). The index replaces (owner) and (owner, removed, stage), its
    prefixes, so a sync maintains one index fewer."""
    db.execute("DROP INDEX IF EXISTS idx_deals_owner")
    db.execute("DROP INDEX IF EXISTS idx_deals_owner_removed_stage")
    db.execute(
        "CREATE INDEX IF NOT EXISTS idx_deals_owner_cover ON deals"
        "(owner, removed, stage, stage_entered, amount, probability, id)"
    )


@migrations()
def m017_replica_state(db: sqlite_utils.Database) -> None:
    """What `serve` remembered in memory and any replica must see, since Slack may send each
    request to another one: `home_viewers` (who opened their App Home lately: refreshed after
    a sync, which any replica may run) and `modal_messages` (the message a modal was opened
    from, updated when the modal is submitted, maybe to another replica)."""
    db.execute(
        "CREATE TABLE IF NOT EXISTS home_viewers (user_id TEXT PRIMARY KEY, seen TEXT NOT NULL)"
    )
    db.execute("CREATE INDEX IF NOT EXISTS idx_home_viewers_seen ON home_viewers(seen)")
    db.execute(
        "CREATE TABLE IF NOT EXISTS modal_messages (token TEXT PRIMARY KEY, "
        "message TEXT NOT NULL, kept TEXT NOT NULL)"
    )


@migrations()
def m018_changes_cover(db: sqlite_utils.Database) -> None:
    """`changes` looks up each deal of the window's events by id for its title, owner, amount
    and, to tell a new deal from one already there when pipeline-bot started watching, its
    source and first sighting. The last two were not in m006's covering index, so each look-up
    also read the deal's row, out of order: 5.4 µs a deal at 1M deals against 4.0 µs with this
    index (which replaces m006's, its prefix)."""
    db.execute("DROP INDEX IF EXISTS idx_deals_id_covering")
    db.execute(
        "CREATE INDEX IF NOT EXISTS idx_deals_id_cover ON deals"
        "(id, removed, title, owner, amount, source, first_seen)"
    )


#: SQL true for a deal first seen by its source's first sync (or while none has succeeded yet):
#: already in the tool when pipeline-bot started watching, so not a new deal.
WAS_THERE_SQL = (
    "d.first_seen <= COALESCE((SELECT s.first_success FROM sync_state s "
    "WHERE s.source = d.source), '9999')"
)


def search_key(title: str | None, client: str | None) -> str:
    """What `deal TEXT` searches: title and client, normalised, on two lines."""
    return f"{normalise(title or '')}\n{normalise(client or '')}"


def iso(moment: datetime) -> str:
    """Stored form of a timestamp: UTC, second precision, sortable as text."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime given to the store")
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def parse_iso(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


#: `pg_advisory_xact_lock` key every write transaction of a PostgreSQL store holds ("pbwr"):
#: they follow one another as SQLite's BEGIN IMMEDIATE makes them, so a check-then-write (a
#: second click, a racing sync) sees the first one's rows on either engine.
PG_WRITE_LOCK = 0x70627772

#: Indexes a sync reads while it writes (a deal's stage events, to rebuild them): never deferred.
READ_WHILE_SYNCING = frozenset({"idx_stage_events_deal_id_at"})


class Store:
    """A pipeline-bot database (a SQLite file, or a PostgreSQL URL); opening it applies pending
    migrations.

    On SQLite `conn` is the `sqlite3.Connection` itself (nothing between the store's SQL and
    SQLite); on PostgreSQL it is a `PgConnection`, which takes the same calls and SQL.
    """

    def __init__(self, path: DbTarget, *, migrate: bool = True, busy_timeout_ms: int | None = None):
        busy_timeout_ms = BUSY_TIMEOUT_MS if busy_timeout_ms is None else busy_timeout_ms
        self._db: sqlite_utils.Database | None = None
        self.postgres = is_postgres(path)
        if self.postgres:
            self.path: DbTarget = str(path).strip()
            self._open_postgres(busy_timeout_ms, migrate)
            return
        self.path = Path(path)
        try:
            if str(path) != ":memory:":
                self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(str(path), timeout=busy_timeout_ms / 1000,
                                   isolation_level=None, check_same_thread=False)  # fmt: skip
        except (sqlite3.Error, OSError) as exc:
            raise store_error(self.path, exc) from None
        self.conn = conn
        deadline = time.monotonic() + busy_timeout_ms / 1000
        try:
            self._while_locked(deadline, lambda: self._setup(busy_timeout_ms))
            if migrate and not migrations.all_applied(conn):
                self._while_locked(deadline, lambda: migrations.apply(self.db))
        except sqlite3.Error as exc:
            conn.close()
            raise store_error(self.path, exc) from None

    def _open_postgres(self, busy_timeout_ms: int, migrate: bool) -> None:
        from bot.db.pg_connection import connect

        try:
            conn = connect(str(self.path), timeout_s=busy_timeout_ms / 1000)
        except ImportError as exc:  # psycopg is an extra: pipeline-bot[postgres]
            raise StoreError(self.path, "pg_driver", str(exc)) from None
        except PgError as exc:
            raise store_error(self.path, exc) from None
        # the same calls and SQL as sqlite3's (see PgConnection); typed as the SQLite one so
        # that callers written for it need no cast
        self.conn = cast(sqlite3.Connection, conn)
        try:
            if migrate:
                migrations.apply_postgres(conn)
        except PgError as exc:
            conn.close()
            raise store_error(self.path, exc) from None

    @property
    def description(self) -> str:
        """The database as messages show it (a URL's password masked)."""
        return describe(self.path)

    @classmethod
    def open(
        cls, path: DbTarget, pipeline: Pipeline, sources: Collection[str] | None = None
    ) -> Store:
        """The store for a command or a Slack request: migrated, re-mapped when the stage
        mapping changed since the last use, and, given the configured `sources`, with the deals
        of any other source kept out (`ensure_sources`). A locked database raises `StoreLocked`."""
        store = cls(path)
        store.ensure_mapping(pipeline)
        if sources is not None:
            store.ensure_sources(sources)
        return store

    def _setup(self, busy_timeout_ms: int) -> None:
        self.conn.execute(f"PRAGMA busy_timeout = {busy_timeout_ms}")
        self.conn.execute("PRAGMA journal_mode = WAL")
        self.conn.execute("PRAGMA synchronous = NORMAL")

    def _while_locked(self, deadline: float, step: Callable[[], object]) -> None:
        """Run `step`, retrying while another process holds the lock, until `deadline`.

        SQLite's busy timeout does not cover a read transaction that must become a write one (a
        migration checks, then alters): it fails at once rather than deadlock. Retrying the whole
        step (each migration is its own transaction) waits like the busy timeout would.
        """
        while True:
            try:
                step()
                return
            except sqlite3.OperationalError as exc:
                if not _is_locked(exc):
                    raise
                if time.monotonic() >= deadline:
                    self.conn.close()
                    raise StoreLocked(self.path, str(exc)) from exc
                time.sleep(0.05)

    @property
    def db(self) -> sqlite_utils.Database:
        """sqlite-utils over the same connection, imported on first use (see LazyMigrations).
        SQLite only: a PostgreSQL store's schema comes from bot/db/pg_schema.py."""
        if self.postgres:
            raise TypeError("sqlite-utils works on a SQLite store only")
        if self._db is None:
            import sqlite_utils

            self._db = sqlite_utils.Database(self.conn)
        return self._db

    def close(self) -> None:
        self.conn.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One all-or-nothing write: an exception rolls every statement back.

        SQLite may have rolled back already (a full disk does): an explicit ROLLBACK would then
        fail with "no transaction is active" and hide the real error, so it is sent only when a
        transaction is still open.

        On PostgreSQL the write lock is explicit (`PG_WRITE_LOCK`), and the commit bumps the
        data version (`data_version`).
        """
        if self.postgres:
            with self._pg_transaction():
                yield
            return
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise store_error(self.path, exc) from exc
        try:
            yield
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise
        else:
            self.conn.execute("COMMIT")

    @contextmanager
    def _pg_transaction(self) -> Iterator[None]:
        from bot.db.pg_schema import VERSION_TABLE

        try:
            self.conn.execute("BEGIN")
            self.conn.execute("SELECT pg_advisory_xact_lock(?)", (PG_WRITE_LOCK,))
        except PgError as exc:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise store_error(self.path, exc) from exc
        try:
            yield
            self.conn.execute(f"UPDATE {VERSION_TABLE} SET version = version + 1 WHERE id = 1")
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def data_version(self) -> int:
        """A number that changes when another connection commits (the answer cache's key).

        SQLite's `PRAGMA data_version`; on PostgreSQL the counter every write transaction of
        any process bumps as it commits (`_store_version`), so one replica's change is seen by
        every replica's cache."""
        if self.postgres:
            from bot.db.pg_schema import VERSION_TABLE

            return int(self.scalar(f"SELECT version FROM {VERSION_TABLE} WHERE id = 1"))
        return int(self.scalar("PRAGMA data_version"))

    # --- reading -------------------------------------------------------------------------

    def rows(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[dict[str, Any]]:
        cursor = self.conn.execute(sql, params)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor]

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        row = self.conn.execute(sql, params).fetchone()
        return row[0] if row else None

    def deals_by_ids(self, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for chunk in _chunks(ids, 500):
            marks = ",".join("?" * len(chunk))
            for row in self.rows(f"SELECT * FROM deals WHERE id IN ({marks})", chunk):
                out[row["id"]] = row
        return out

    def live_deals(self) -> list[dict[str, Any]]:
        return self.rows("SELECT * FROM deals WHERE removed = 0 ORDER BY id")

    def unmapped_statuses(self) -> list[dict[str, Any]]:
        """Live deals no stage claims, by status (spellings of one counted together); deals with
        no status under `""`, so the counts add up to every unmapped deal."""
        rows = self.rows(
            "SELECT * FROM (SELECT CASE WHEN COALESCE(status_norm, '') = '' THEN '' "
            "ELSE MIN(status) END AS shown, COUNT(*) AS count FROM deals "
            "WHERE removed = 0 AND stage IS NULL GROUP BY COALESCE(status_norm, '')) AS unmapped "
            "ORDER BY count DESC, shown = '', shown"
        )
        return [{"status": row["shown"], "count": row["count"]} for row in rows]

    def history(self, deal_id: str) -> list[dict[str, Any]]:
        return self.rows(
            "SELECT at, from_stage, to_stage, status, by_user FROM stage_events WHERE deal_id = ? "
            "ORDER BY at, id",
            (deal_id,),
        )

    def sync_state(self, source: str) -> dict[str, Any] | None:
        found = self.rows("SELECT * FROM sync_state WHERE source = ?", (source,))
        return found[0] if found else None

    def meta(self, key: str) -> str | None:
        value = self.scalar("SELECT value FROM meta WHERE key = ?", (key,))
        return str(value) if value is not None else None

    # --- writing -------------------------------------------------------------------------

    def set_meta(self, key: str, value: str) -> None:
        self.conn.execute(
            "INSERT INTO meta(key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def upsert_deals(self, rows: Iterable[dict[str, Any]]) -> None:
        """Insert or update deals by id; columns a row does not name keep their stored value.

        Plain SQL rather than sqlite-utils' `upsert_all`: the schema is fixed by migrations, and
        the generic path (per-value JSON checks, query building per batch) was a fifth of a sync.
        """
        batch = [{**row, "search": search_key(row.get("title"), row.get("client"))}
                 for row in rows]  # fmt: skip
        if not batch:
            return
        columns = list(batch[0])
        unknown = (
            set(columns) - set(DEAL_COLUMNS) - {"search", "visited", "owner_raw", "fingerprint"}
        )
        if unknown:
            raise ValueError(f"not deal columns: {', '.join(sorted(unknown))}")
        names = ", ".join(columns)
        marks = ", ".join(f":{c}" for c in columns)
        updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c != "id")
        self.conn.executemany(
            f"INSERT INTO deals ({names}) VALUES ({marks}) ON CONFLICT(id) DO UPDATE SET {updates}",
            batch,
        )

    def refresh_seen(self, rows: Sequence[tuple[str | None, str, str]]) -> None:
        """(fingerprint, last_seen, id): a deal read again exactly as stored."""
        self.conn.executemany("UPDATE deals SET fingerprint = ?, last_seen = ? WHERE id = ?", rows)

    def add_status_changes(self, changes: Iterable[tuple[str, str, str | None, str, str]]) -> int:
        """Insert (deal_id, at, from, to, origin) once each; returns how many were new."""
        before = self.conn.total_changes
        self.conn.executemany(
            "INSERT OR IGNORE INTO status_changes(deal_id, at, from_status, to_status, to_norm,"
            " origin) VALUES (?, ?, ?, ?, ?, ?)",
            ((d, at, f, t, normalise(t), o) for d, at, f, t, o in changes),
        )
        return self.conn.total_changes - before

    def add_field_changes(
        self, changes: Iterable[tuple[str, str, str, str | None, str | None, str, str | None]]
    ) -> int:
        """Insert (deal_id, at, field, from, to, origin, by) once each (values already encoded);
        returns how many were new. A tool's change replaces the snapshot of the same move that
        an earlier sync recorded at its own (later) time."""
        rows = list(changes)
        before = self.conn.total_changes
        self.conn.executemany(
            "INSERT OR IGNORE INTO field_changes(deal_id, at, field, from_value, to_value,"
            " origin, by_user) VALUES (?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        added = self.conn.total_changes - before
        tool = [(d, f, fr, to, at) for d, at, f, fr, to, origin, _ in rows if origin == "tool"]
        if tool:
            self.conn.executemany(
                "DELETE FROM field_changes WHERE origin = 'snapshot' AND deal_id = ? AND field = ?"
                " AND from_value IS ? AND to_value IS ? AND at >= ?",
                tool,
            )
        return added

    def latest_field_values(self, ids: Sequence[str]) -> dict[tuple[str, str], str | None]:
        """Per (deal, field), the value its newest recorded change set (encoded)."""
        out: dict[tuple[str, str], str | None] = {}
        for chunk in _chunks(ids, 500):
            marks = ",".join("?" * len(chunk))
            for deal_id, field, _, value in self.conn.execute(
                "SELECT deal_id, field, MAX(at), to_value FROM field_changes "
                f"WHERE deal_id IN ({marks}) GROUP BY deal_id, field",
                chunk,
            ):
                out[deal_id, field] = value
        return out

    def field_changes(self, ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        """Each deal's field changes, oldest first (values still encoded)."""
        out: dict[str, list[dict[str, Any]]] = {}
        for chunk in _chunks(ids, 500):
            marks = ",".join("?" * len(chunk))
            for row in self.rows(
                "SELECT deal_id, at, field, from_value, to_value, origin, by_user "
                f"FROM field_changes WHERE deal_id IN ({marks}) ORDER BY deal_id, at, id",
                chunk,
            ):
                out.setdefault(row["deal_id"], []).append(row)
        return out

    def changes_of_field(self, field: str) -> list[tuple[str, str, str | None, str | None]]:
        """Every (deal_id, at, from, to) change of one field, in time order: to know a field's
        value at a past instant (the forecast's back-test), or how often it moved (hygiene)."""
        return list(
            self.conn.execute(
                "SELECT deal_id, at, from_value, to_value FROM field_changes WHERE field = ? "
                "ORDER BY at, id",
                (field,),
            )
        )

    def latest_statuses(self, ids: Sequence[str]) -> dict[str, tuple[str, str, str]]:
        """Per deal, the (at, to_norm, origin) of its newest recorded status change."""
        out: dict[str, tuple[str, str, str]] = {}
        for chunk in _chunks(ids, 500):
            marks = ",".join("?" * len(chunk))
            for deal_id, at, norm, origin in self.conn.execute(
                f"SELECT deal_id, MAX(at), to_norm, origin FROM status_changes "
                f"WHERE deal_id IN ({marks}) GROUP BY deal_id",
                chunk,
            ):
                out[deal_id] = (at, norm, origin)
        return out

    def redate_latest(self, deal_id: str, old_at: str, new_at: str, origin: str) -> bool:
        """Move a deal's newest status change from `old_at` to `new_at` (better evidence came:
        a "since" value where the engine had only guessed), unless that would put it at or
        before the change preceding it. Returns whether it moved."""
        before = self.scalar(
            "SELECT MAX(at) FROM status_changes WHERE deal_id = ? AND at < ?", (deal_id, old_at)
        )
        if before is not None and new_at <= before:
            return False
        # a change already at `new_at` with the same status stays as it is (the unique index)
        cursor = self.conn.execute(
            "UPDATE status_changes SET at = ?, origin = ? WHERE deal_id = ? AND at = ? "
            "AND NOT EXISTS (SELECT 1 FROM status_changes o WHERE o.deal_id = ? AND o.at = ? "
            "AND o.to_norm = status_changes.to_norm)",
            (new_at, origin, deal_id, old_at, deal_id, new_at),
        )
        return cursor.rowcount > 0

    def rebuild_stage_events(self, pipeline: Pipeline, ids: Sequence[str] | None = None) -> int:
        """Derive stage events and `stage`/`stage_entered` from raw status changes.

        Consecutive statuses of the same stage are one stay: moving between two statuses of one
        stage is not a stage change. `ids=None` rebuilds every deal (after a mapping change)
        and re-maps their current stage; with `ids` (a sync batch) the current stage was just
        written by `upsert_deals` with the same mapping. Returns the stage events written.
        """
        stage_of = _memo_stage(pipeline)
        if ids is None:
            self.conn.execute("DELETE FROM stage_events")
            cursor = self.conn.execute(
                "SELECT c.deal_id, c.at, c.to_status, c.to_norm, d.source, d.removed, c.origin, "
                "c.by_user FROM status_changes c "
                "JOIN deals d ON d.id = c.deal_id ORDER BY c.deal_id, c.at, c.rowid"
            )
            written = self._write_events(cursor, stage_of)
            self._remap_all_current(stage_of)
            return written
        written = 0
        for chunk in _chunks(ids, 500):
            marks = ",".join("?" * len(chunk))
            self.conn.execute(f"DELETE FROM stage_events WHERE deal_id IN ({marks})", chunk)
            cursor = self.conn.execute(
                "SELECT c.deal_id, c.at, c.to_status, c.to_norm, d.source, d.removed, c.origin, "
                "c.by_user FROM status_changes c "
                f"JOIN deals d ON d.id = c.deal_id WHERE c.deal_id IN ({marks}) "
                "ORDER BY c.deal_id, c.at, c.rowid",
                chunk,
            )
            written += self._write_events(cursor, stage_of)
        return written

    def _write_events(self, cursor: Iterable[tuple[str, str, str, str, str, int, str, str | None]],
                      stage_of: _StageOf) -> int:  # fmt: skip
        """One event per stage change; each stay learns when it ended (`left_at`).

        An event's `by_user` is the Slack user of a change made from Slack within its stay: the
        tool's own record of that very move (dated a moment before, by nobody) comes back with
        the next sync, and must not hide who made it.

        Also derives per deal `stage_entered`, `stage_entered_from` (the evidence of the change
        that began the current stay) and `visited` (a bit per stage its history went through,
        bit = position in pipeline order). Events are flushed only between deals, so a stay's
        end is always known before it is written.
        """
        events: list[list[Any]] = []
        entered: list[tuple[str, str | None, int, str, str]] = []
        positions = len(stage_of.bits)
        firsts: list[str | None] = [None] * positions
        written = 0
        current_deal: str | None = None
        current_stage: str | None = None
        first_at: str | None = None
        first_from: str | None = None
        visited = 0

        def flush_deal() -> None:
            if current_deal is not None and first_at is not None:
                reached, earliest = [], None  # first time in each stage or a later one
                for first in reversed(firsts):
                    if first is not None and (earliest is None or first < earliest):
                        earliest = first
                    reached.append(earliest or "")
                entries = "|".join(reversed(reached))
                entered.append((first_at, first_from, visited, entries, current_deal))

        for deal_id, at, status, norm, source, removed, origin, by in cursor:
            stage = stage_of(norm)
            if deal_id != current_deal:
                flush_deal()
                if len(events) >= 5000:
                    written += self._insert_events(events)
                    events.clear()
                current_deal, current_stage, first_at, visited = deal_id, stage, at, 0
                first_from = origin
                firsts = [None] * positions
                events.append([deal_id, at, None, stage, status, source, None, removed or 0, by])
            elif stage != current_stage:
                events[-1][6] = at
                events.append([deal_id, at, current_stage, stage, status, source, None,
                               removed or 0, by])  # fmt: skip
                current_stage, first_at, first_from = stage, at, origin
            elif by is not None and events[-1][8] is None:
                events[-1][8] = by  # the tool's record of a move made from Slack came first
            visited |= stage_of.bit(stage)
            where = stage_of.position(stage)
            if where is not None and firsts[where] is None:
                firsts[where] = at
        flush_deal()
        written += self._insert_events(events)
        self.conn.executemany(
            "UPDATE deals SET stage_entered = ?, stage_entered_from = ?, visited = ?, entered = ? "
            "WHERE id = ?",
            entered,
        )
        return written

    def _insert_events(self, events: list[list[Any]]) -> int:
        self.conn.executemany(
            "INSERT INTO stage_events(deal_id, at, from_stage, to_stage, status, source, left_at,"
            " removed, by_user, stay_days) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9,"
            " julianday(?7) - julianday(?2))",
            events,  # numbered: each value bound once, a seventh faster on SQLite than twice
        )
        return len(events)

    def _remap_all_current(self, stage_of: Any) -> None:
        """Every deal's current stage from its raw status (one UPDATE per distinct status)."""
        norms = [r[0] for r in self.conn.execute("SELECT DISTINCT status_norm FROM deals")]
        self.conn.executemany(
            "UPDATE deals SET stage = ? WHERE status_norm IS ?",
            [(stage_of(norm), norm) for norm in norms],
        )

    def owner_names(self) -> dict[str, str]:
        """Owner key (`normalise`d name) → the spelling shown for it (see `owner_spellings`)."""
        return owner_spellings(self.conn)[0]

    def unify_owners(self) -> int:
        """After a sync wrote deals: every deal's owner shown with its key's spelling."""
        return unify_owners(self.conn)

    def ensure_sources(self, sources: Collection[str]) -> bool:
        """Keep out of every answer the deals of a source the config no longer names (renamed
        or removed), and bring them back when it names it again; no source configured at all
        (the demo, a database read without its config) hides nothing.

        The one filter for every answer: such deals are flagged `removed = HIDDEN`, and every
        query reads `removed = 0`. Nothing is deleted. The sources the store knows are those of
        `sync_state` (a few rows) and the hidden ones are kept in `meta`, so an unchanged config
        costs two tiny reads and writes nothing."""
        configured = set(sources)
        known = {row[0] for row in self.conn.execute("SELECT source FROM sync_state")}
        hidden = set(filter(None, (self.meta("hidden_sources") or "").split("\n")))
        wanted = known - configured if configured else set()
        if wanted == hidden:
            return False
        with self.transaction():
            for names, flag, to in ((wanted - hidden, 0, HIDDEN), (hidden - wanted, HIDDEN, 0)):
                if not names:
                    continue
                marks = ",".join("?" * len(names))
                for table in ("deals", "stage_events"):
                    self.conn.execute(
                        f"UPDATE {table} SET removed = {to} WHERE removed = {flag} "
                        f"AND source IN ({marks})",
                        sorted(names),
                    )
            self.set_meta("hidden_sources", "\n".join(sorted(wanted)))
        return True

    def hidden_sources(self) -> list[tuple[str, int]]:
        """(source, deals) of the sources the config does not name (see `ensure_sources`)."""
        return [
            (row[0], int(row[1]))
            for row in self.conn.execute(
                f"SELECT source, COUNT(*) FROM deals WHERE removed = {HIDDEN} GROUP BY source "
                "ORDER BY source"
            )
        ]

    def ensure_mapping(self, pipeline: Pipeline) -> bool:
        """Re-map every stored deal when the stage mapping changed since last time."""
        fingerprint = pipeline.fingerprint()
        if self.meta("mapping") == fingerprint:
            return False
        with self.transaction():
            self.rebuild_stage_events(pipeline)
            self.set_meta("mapping", fingerprint)
        return True

    def save_sync_state(self, source: str, **values: str | None) -> None:
        """Record a sync's outcome. Only the table's own columns: a misspelt key is a bug to
        hear about now, not a new column that silently holds what the next sync never reads.
        Secrets are masked out of what is stored (an error that echoes a URL would carry
        Trello's key and token)."""
        from bot.redact import redact

        unknown = sorted(set(values) - set(SYNC_STATE_COLUMNS))
        if unknown:
            raise ValueError(f"sync_state has no column {', '.join(unknown)}")
        clean = {k: redact(v) if isinstance(v, str) else v for k, v in values.items()}
        names = ["source", *clean]
        self.conn.execute(
            f"INSERT INTO sync_state ({', '.join(names)}) VALUES ({', '.join('?' * len(names))}) "
            f"ON CONFLICT(source) DO UPDATE SET "
            + ", ".join(f"{name} = excluded.{name}" for name in clean),
            (source, *clean.values()),
        )

    def fingerprints(self, ids: Sequence[str]) -> dict[str, str]:
        """The stored fingerprint of each live deal of `ids` that has one (looked up by key)."""
        out: dict[str, str] = {}
        for chunk in _chunks(ids, 500):
            marks = ",".join("?" * len(chunk))
            for deal_id, fingerprint, removed in self.conn.execute(
                f"SELECT id, fingerprint, removed FROM deals WHERE id IN ({marks})", chunk
            ):
                if fingerprint is not None and not removed:
                    out[deal_id] = fingerprint
        return out

    def is_empty(self) -> bool:
        """No deal stored yet, from any source: the first sync of a new store."""
        return self.scalar("SELECT 1 FROM deals LIMIT 1") is None

    @contextmanager
    def indexes_deferred(self) -> Iterator[None]:
        """A first load into an empty store, its query indexes built once at the end.

        Inserting a million deals into a dozen indexes in random key order costs more per row as
        the indexes outgrow the cache (a sync grew ×14.5 in time for ×10 the rows); building
        an index from the loaded rows is one sort. Only inside the caller's transaction, so a
        failure rolls the drop back with the rows. Unique indexes (they decide what an insert
        may write) and `READ_WHILE_SYNCING` (a sync reads by deal id) stay."""
        if self.postgres:  # measured on SQLite only; PostgreSQL keeps its indexes as they are
            yield
            return
        if not self.conn.in_transaction:
            raise RuntimeError("indexes_deferred needs an open transaction")
        deferred = [
            (name, sql)
            for name, sql in self.conn.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                "AND tbl_name IN ('deals', 'stage_events') ORDER BY name"
            )
            if name not in READ_WHILE_SYNCING and not sql.upper().startswith("CREATE UNIQUE")
        ]
        for name, _ in deferred:
            self.conn.execute(f'DROP INDEX "{name}"')
        yield
        for _, sql in deferred:
            self.conn.execute(sql)

    def forget_seen(self) -> None:
        """Start a sync: no deal seen yet."""
        self._seen_table()
        self.conn.execute("DELETE FROM temp.seen")

    def _seen_table(self) -> None:
        """A temporary table of this connection: ids only, however big the source."""
        self.conn.execute("CREATE TEMP TABLE IF NOT EXISTS seen(id TEXT PRIMARY KEY)")

    def note_seen(self, ids: Sequence[str]) -> None:
        """Deals this sync saw, written or not (an unchanged one keeps its `last_seen`)."""
        if ids:
            self.conn.executemany(
                "INSERT OR IGNORE INTO temp.seen(id) VALUES (?)", ((i,) for i in ids)
            )

    def mark_removed(self, source: str, seen_at: str, keep: Sequence[str] = ()) -> int:
        """After a complete full sync: deals of `source` it did not see (`note_seen`) are gone
        upstream; those in `keep` (listed by the tool but unreadable) count as seen, at
        `seen_at`. By identity, not by time: a sync in the same second as the last one (whose
        deals carry the same `last_seen`) still tells what is gone."""
        self._seen_table()
        for chunk in _chunks(keep, 500):
            marks = ",".join("?" * len(chunk))
            self.conn.execute(
                f"UPDATE deals SET last_seen = ? WHERE id IN ({marks})", (seen_at, *chunk)
            )
        self.note_seen(keep)
        cursor = self.conn.execute(
            "UPDATE deals SET removed = 1 WHERE source = ? AND removed = 0 "
            "AND id NOT IN (SELECT id FROM temp.seen)",
            (source,),
        )
        if cursor.rowcount:
            self.conn.execute(
                "UPDATE stage_events SET removed = 1 WHERE removed = 0 AND deal_id IN "
                "(SELECT id FROM deals WHERE source = ? AND removed = 1)",
                (source,),
            )
        return cursor.rowcount

    def adopt_ids(self, renames: Mapping[str, str]) -> int:
        """Give stored deals new ids (old -> new), where the old one exists and the new one does
        not: every table naming a deal follows, so the deal keeps its history. Why: a source's
        identity rule changed (sheets: title alone, then client + title). Returns how many."""
        tables = self.tables_with_column("deal_id")
        done = 0
        for old, new in renames.items():
            exists = self.conn.execute(
                "SELECT (SELECT COUNT(*) FROM deals WHERE id = ?), "
                "(SELECT COUNT(*) FROM deals WHERE id = ?)", (old, new)).fetchone()  # fmt: skip
            if tuple(exists) != (1, 0):
                continue
            task_id = new.split(":", 1)[1]
            self.conn.execute("UPDATE deals SET id = ?, task_id = ? WHERE id = ?",
                              (new, task_id, old))  # fmt: skip
            for table in tables:
                self.conn.execute(f"UPDATE {table} SET deal_id = ? WHERE deal_id = ?", (new, old))
            done += 1
        return done

    def tables(self) -> list[str]:
        """The store's own tables (not the engine's nor the migrations' bookkeeping)."""
        from bot.db.pg_schema import BOOKKEEPING

        names = [row[0] for row in self.conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]  # fmt: skip
        return [n for n in names if n not in BOOKKEEPING and not n.startswith("sqlite_")]

    def tables_with_column(self, column: str) -> list[str]:
        """The store's tables that have `column` (read from the engine's own catalogue)."""
        return [name for name in self.tables()
                if any(col[1] == column for col in self.conn.execute(
                    f"PRAGMA table_info({name})"))]  # fmt: skip

    def empty(self) -> None:
        """Delete every stored row, keeping the schema: the demo starts again in a PostgreSQL
        database (a SQLite file is simply deleted)."""
        with self.transaction():
            for table in self.tables():
                self.conn.execute(f"DELETE FROM {table}")

    def live_count(self, source: str) -> int:
        """How many deals of `source` are live (not removed)."""
        return int(self.scalar(
            "SELECT COUNT(*) FROM deals WHERE source = ? AND removed = 0", (source,)))  # fmt: skip

    def deal(self, deal_id: str) -> dict[str, Any] | None:
        found = self.rows("SELECT * FROM deals WHERE id = ?", (deal_id,))
        return found[0] if found else None

    # --- changes made from Slack ---------------------------------------------------------

    def record_edit(self, deal_id: str, pipeline: Pipeline, at: datetime, by_user: str,
                    values: Mapping[str, Any]) -> list[str]:  # fmt: skip
        """Store a change already written to the task manager by Slack user `by_user`: `status`
        (a status change and its stage event, `by_user` on both), `lost_reason`, `next_step`,
        `expected_close` (a `date`; its field history too); a move from an open stage to won
        or lost is queued for announcement. Only fields that differ are
        written, in one transaction that re-reads the deal, so a second identical click (or two
        racing) changes nothing. Returns the fields changed ([] when none)."""
        stamp = iso(at)
        with self.transaction():
            found = self.rows("SELECT * FROM deals WHERE id = ?", (deal_id,))
            if not found:
                return []
            deal = found[0]
            changed: dict[str, Any] = {}
            for name, value in values.items():
                stored = deal.get(name)
                new = value.isoformat() if isinstance(value, date) else value
                if name == "status":
                    if normalise(str(new)) == (deal["status_norm"] or ""):
                        continue
                elif new == stored:
                    continue
                changed[name] = new
            if not changed:
                return []
            if "status" in changed:
                status = str(changed["status"])
                self.conn.execute(
                    "INSERT OR IGNORE INTO status_changes(deal_id, at, from_status, to_status,"
                    " to_norm, origin, by_user) VALUES (?, ?, ?, ?, ?, 'history', ?)",
                    (deal_id, stamp, deal["status"], status, normalise(status), by_user),
                )
                changed["status_norm"] = normalise(status)
                changed["stage"] = pipeline.stage_of(status)
            if "expected_close" in changed:
                self.add_field_changes([(deal_id, stamp, "expected_close",
                                         encode_value(deal["expected_close"]),
                                         encode_value(changed["expected_close"]), "tool",
                                         by_user)])  # fmt: skip
            sets = ", ".join(f"{name} = :{name}" for name in changed)
            self.conn.execute(
                f"UPDATE deals SET {sets}, fingerprint = NULL WHERE id = :id",
                {**changed, "id": deal_id},
            )
            if "status" in changed:
                self.rebuild_stage_events(pipeline, [deal_id])
                was, now = pipeline.by_key.get(deal["stage"] or ""), pipeline.by_key.get(
                    changed["stage"] or "")  # fmt: skip
                if was is not None and was.is_open and now is not None and now.outcome:
                    self.record_outcomes([(deal_id, now.key, stamp)])  # announced like a sync's
            return [name for name in values if name in changed]

    # --- nudge log -----------------------------------------------------------------------

    def nudged_on(self, day: str, deal_ids: Sequence[str]) -> set[str]:
        """Which of `deal_ids` were already nudged on local day `day` (YYYY-MM-DD)."""
        done: set[str] = set()
        for chunk in _chunks(deal_ids, 500):
            marks = ",".join("?" * len(chunk))
            done.update(
                r[0]
                for r in self.conn.execute(
                    f"SELECT deal_id FROM nudges WHERE day = ? AND deal_id IN ({marks})",
                    (day, *chunk),
                )
            )
        return done

    def claim_nudges(self, day: str, claims: Iterable[tuple[str, str, str]]) -> set[str]:
        """Claim (deal_id, owner, recipient) for local day `day` before sending: the deals won.

        A claim is a `nudges` row without `sent_at`; UNIQUE(deal_id, day) lets one process win
        each deal, whichever replica asks first, so a deal is never sent twice the same day.
        """
        won: set[str] = set()
        with self.transaction():  # in deal order: two replicas' claims never deadlock
            for deal_id, owner, recipient in sorted(claims):
                cursor = self.conn.execute(
                    "INSERT INTO nudges(deal_id, day, owner, recipient) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT(deal_id, day) DO NOTHING",
                    (deal_id, day, owner, recipient),
                )
                if cursor.rowcount == 1:
                    won.add(deal_id)
        return won

    def confirm_nudges(self, day: str, deal_ids: Sequence[str], sent_at: datetime,
                       channel: str | None, ts: str | None) -> None:  # fmt: skip
        """Slack took the message: the claims of `deal_ids` become sent nudges."""
        with self.transaction():
            for chunk in _chunks(deal_ids, 500):
                marks = ",".join("?" * len(chunk))
                self.conn.execute(
                    "UPDATE nudges SET sent_at = ?, channel = ?, ts = ? "
                    f"WHERE day = ? AND sent_at IS NULL AND deal_id IN ({marks})",
                    (iso(sent_at), channel, ts, day, *chunk),
                )

    def release_nudges(self, day: str, deal_ids: Sequence[str]) -> None:
        """Give back claims whose message was not sent, so a later pass may send them."""
        with self.transaction():
            for chunk in _chunks(deal_ids, 500):
                marks = ",".join("?" * len(chunk))
                self.conn.execute(
                    "DELETE FROM nudges WHERE day = ? AND sent_at IS NULL "
                    f"AND deal_id IN ({marks})",
                    (day, *chunk),
                )

    # --- snooze / followed up ------------------------------------------------------------

    def add_quiet(
        self, deal_id: str, kind: str, stage: str, by_user: str, at: datetime, until: datetime
    ) -> tuple[bool, dict[str, Any]]:
        """Quiet a deal in `stage` unless the same kind is already active there.

        Returns (created, row): a second click finds the first row and changes nothing. The
        check and the insert share one IMMEDIATE transaction, so two clicks racing make one row.
        """
        now = iso(at)
        with self.transaction():
            found = self.rows(
                "SELECT * FROM quiet WHERE deal_id = ? AND kind = ? AND stage = ? AND until > ? "
                "ORDER BY at LIMIT 1",
                (deal_id, kind, stage, now),
            )
            if found:
                return False, found[0]
            row = {"deal_id": deal_id, "kind": kind, "stage": stage, "by_user": by_user,
                   "at": now, "until": iso(until)}  # fmt: skip
            (new_id,) = self.conn.execute(
                "INSERT INTO quiet(deal_id, kind, stage, by_user, at, until) "
                "VALUES (:deal_id, :kind, :stage, :by_user, :at, :until) RETURNING id",
                row,
            ).fetchall()[0]
            return True, {"id": new_id, **row}

    def quiet_rows(self, deal_id: str) -> list[dict[str, Any]]:
        return self.rows("SELECT * FROM quiet WHERE deal_id = ? ORDER BY at, id", (deal_id,))

    # --- won/lost announcements ----------------------------------------------------------

    def record_outcomes(self, reached: Iterable[tuple[str, str, str]]) -> int:
        """Queue (deal_id, outcome stage, when it was reached as stored) for announcement; each
        (deal, outcome) pair at most once ever."""
        before = self.conn.total_changes
        self.conn.executemany(
            "INSERT OR IGNORE INTO announcements(deal_id, outcome, at) VALUES (?, ?, ?)",
            list(reached),
        )
        return self.conn.total_changes - before

    def pending_announcements(self, since: datetime) -> list[dict[str, Any]]:
        """Outcomes queued since `since`, not yet announced, still in that stage and not removed."""
        return self.rows(
            "SELECT a.deal_id, a.outcome, a.at, d.* FROM announcements a "
            "JOIN deals d ON d.id = a.deal_id "
            "WHERE a.announced_at IS NULL AND a.at >= ? AND d.stage = a.outcome AND d.removed = 0"
            " ORDER BY a.at, a.deal_id",
            (iso(since),),
        )

    def mark_announced(self, deal_id: str, outcome: str, at: datetime) -> None:
        self.mark_all_announced([(deal_id, outcome)], at)

    def mark_all_announced(self, outcomes: list[tuple[str, str]], at: datetime) -> None:
        """Mark (deal ID, outcome) pairs announced in one transaction (a summary covers many)."""
        with self.transaction():
            self.conn.executemany(
                "UPDATE announcements SET announced_at = ? WHERE deal_id = ? AND outcome = ?",
                [(iso(at), deal_id, outcome) for deal_id, outcome in outcomes],
            )

    # --- webhooks registered with the tools ----------------------------------------------

    def add_webhook(self, source: str, webhook_id: str, url: str, created: datetime) -> None:
        """Remember a webhook a tool created for `source` (the same id again: kept once)."""
        self.conn.execute(
            "INSERT INTO webhooks(source, id, url, created) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(source, id) DO UPDATE SET url = excluded.url",
            (source, webhook_id, url, iso(created)),
        )

    def webhooks(self) -> list[dict[str, Any]]:
        """Every stored webhook, by source then creation time."""
        return self.rows("SELECT * FROM webhooks ORDER BY source, created, id")

    def forget_webhook(self, source: str, webhook_id: str) -> None:
        self.conn.execute("DELETE FROM webhooks WHERE source = ? AND id = ?", (source, webhook_id))

    # --- Slack state any replica may need ---------------------------------------------

    def saw_home(self, user_id: str, at: datetime, *, unless_since: datetime,
                 forget_before: datetime) -> None:  # fmt: skip
        """`user_id` opened their App Home at `at`. Written only when not already seen since
        `unless_since`, and viewers not seen since `forget_before` go: two single statements
        that usually change nothing, so opening a Home does not count as a change of the data
        (the answer caches of every replica stay valid)."""
        self.conn.execute(
            "INSERT INTO home_viewers(user_id, seen) VALUES (?, ?) ON CONFLICT(user_id) "
            "DO UPDATE SET seen = excluded.seen WHERE home_viewers.seen < ?",
            (user_id, iso(at), iso(unless_since)),
        )
        self.conn.execute("DELETE FROM home_viewers WHERE seen < ?", (iso(forget_before),))

    def home_viewers(self, since: datetime, limit: int) -> list[str]:
        """The latest `limit` users who opened their App Home since `since`, oldest first."""
        rows = self.conn.execute(
            "SELECT user_id FROM home_viewers WHERE seen >= ? ORDER BY seen DESC, user_id LIMIT ?",
            (iso(since), limit),
        ).fetchall()
        return [str(row[0]) for row in reversed(rows)]

    def keep_modal_message(self, token: str, message: str, at: datetime,
                           forget_before: datetime) -> None:  # fmt: skip
        """Keep the message (JSON) a modal was opened from until it is submitted; messages
        kept before `forget_before` belong to modals abandoned long ago and go."""
        with self.transaction():
            self.conn.execute(
                "INSERT INTO modal_messages(token, message, kept) VALUES (?, ?, ?)",
                (token, message, iso(at)),
            )
            self.conn.execute("DELETE FROM modal_messages WHERE kept < ?", (iso(forget_before),))

    def take_modal_message(self, token: str) -> str | None:
        """The message kept under `token`, removed: one submission takes it, once."""
        with self.transaction():
            found = self.scalar("SELECT message FROM modal_messages WHERE token = ?", (token,))
            gone = self.conn.execute("DELETE FROM modal_messages WHERE token = ?", (token,))
        return str(found) if found is not None and gone.rowcount == 1 else None

    # --- leases: one process runs each scheduled job --------------------------------------

    def acquire_lease(self, job: str, holder: str, now: datetime, expires: datetime) -> bool:
        """Take (or renew) the lease on `job` if it is free, expired or already ours. Atomic on
        both engines: SQLite holds its write lock for the statement; PostgreSQL locks the
        conflicting row (as `SELECT … FOR UPDATE` would) and checks the `WHERE` on its latest
        version, and of two processes inserting a missing row the second takes the update path."""
        cursor = self.conn.execute(
            "INSERT INTO leases(job, holder, expires) VALUES (?, ?, ?) "
            "ON CONFLICT(job) DO UPDATE SET holder = excluded.holder, expires = excluded.expires "
            "WHERE leases.expires <= ? OR leases.holder = excluded.holder",
            (job, holder, iso(expires), iso(now)),
        )
        return cursor.rowcount == 1

    def take_over_lease(self, job: str, old_holder: str, holder: str, expires: datetime) -> bool:
        """Replace a lease whose holder is known to be dead (same host, process gone)."""
        cursor = self.conn.execute(
            "UPDATE leases SET holder = ?, expires = ? WHERE job = ? AND holder = ?",
            (holder, iso(expires), job, old_holder),
        )
        return cursor.rowcount == 1

    def release_lease(self, job: str, holder: str) -> None:
        self.conn.execute("DELETE FROM leases WHERE job = ? AND holder = ?", (job, holder))

    def lease(self, job: str) -> dict[str, Any] | None:
        found = self.rows("SELECT * FROM leases WHERE job = ?", (job,))
        return found[0] if found else None

    # --- digest --------------------------------------------------------------------------

    def stage_totals_at(self, moment: datetime) -> dict[str | None, tuple[int, float]]:
        """Per stage, how many live deals were in it at `moment` and their amounts today.

        One pass over the stays: a deal's stay that began at or before `moment` and ended after
        it (or never) is where the deal stood. Counted in SQL, so no deal becomes a Python row.
        The stays are read in table order (NOT INDEXED): by an index, SQLite fetched each stay's
        row again for `left_at` (six times slower for the same rows). A deal its source's first
        sync found, with no date from the tool, is taken to have been where it was found: a
        week-on-week change must not count it as arrived this week.
        """
        at = iso(moment)
        rows = self.conn.execute(
            "SELECT e.to_stage, COUNT(*), TOTAL(d.amount) FROM stage_events e NOT INDEXED "
            "CROSS JOIN deals d ON d.id = e.deal_id "
            "WHERE (e.at <= ? OR (e.from_stage IS NULL AND e.at = d.first_seen "
            f"AND {WAS_THERE_SQL})) AND (e.left_at IS NULL OR e.left_at > ?) AND d.removed = 0 "
            "GROUP BY e.to_stage",
            (at, at),
        )
        return {stage: (count, total) for stage, count, total in rows}

    def closed_deal_rows(self, outcomes: Sequence[str]) -> list[tuple[str, str, int, str]]:
        """(stage, closed at, visited, entered) of every live deal now in one of `outcomes`."""
        marks = ",".join("?" * len(outcomes))
        return list(
            self.conn.execute(
                "SELECT stage, stage_entered, visited, entered FROM deals "
                f"WHERE removed = 0 AND stage IN ({marks}) AND stage_entered IS NOT NULL",
                list(outcomes),
            )
        )

    def open_at(self, moment: str, open_stages: Sequence[str], close_from: str,
                close_before: str) -> list[dict[str, Any]]:  # fmt: skip
        """Live deals in one of `open_stages` at `moment` (their stay then) whose close date may
        have been in [close_from, close_before) then: today's is, or one its history went
        from or to is (a past value is always one of those). Each with `stage_then`."""
        if not open_stages:
            return []
        params = {f"s{i}": key for i, key in enumerate(open_stages)}
        marks = ",".join(f":{k}" for k in params)
        columns = (
            "d.id, d.amount, d.expected_close, d.probability, d.first_seen, d.started, d.source, "
            "e.to_stage AS stage_then"
        )
        stay = (
            f"e.deal_id = d.id AND e.to_stage IN ({marks}) AND e.at <= :at "
            "AND (e.left_at IS NULL OR e.left_at > :at)"
        )
        in_month = "{0} >= :lo AND {0} < :hi"
        return self.rows(
            # by close date (m008): SQLite, without statistics, would walk a `removed` index
            f"SELECT {columns} FROM deals d INDEXED BY idx_deals_expected_close "
            f"JOIN stage_events e ON {stay} "
            f"WHERE {in_month.format('d.expected_close')} AND d.removed = 0 "
            f"UNION SELECT {columns} FROM (SELECT DISTINCT deal_id FROM field_changes "
            f"WHERE field = 'expected_close' AND ({in_month.format('from_value')} OR "
            f"{in_month.format('to_value')})) f JOIN deals d ON d.id = f.deal_id "
            f"JOIN stage_events e ON {stay} WHERE d.removed = 0",
            {**params, "at": moment, "lo": close_from, "hi": close_before},
        )

    def won_between(self, won_stages: Sequence[str], start: str, end: str
                    ) -> list[tuple[str, float | None]]:  # fmt: skip
        """(deal_id, amount) of each live deal that reached a won stage in [start, end)."""
        if not won_stages:
            return []
        marks = ",".join("?" * len(won_stages))
        return list(
            self.conn.execute(
                "SELECT d.id, d.amount FROM deals d WHERE d.removed = 0 AND d.id IN "
                f"(SELECT deal_id FROM stage_events WHERE to_stage IN ({marks}) "
                "AND at >= ? AND at < ?)",
                (*won_stages, start, end),
            )
        )

    def mark_field_history(self, source: str) -> None:
        """Remember that `source` gives the tool's own field history (not only snapshots)."""
        self.set_meta(f"field_history:{source}", "tool")

    def sources_with_field_history(self) -> set[str]:
        return {
            row[0].removeprefix("field_history:")
            for row in self.conn.execute("SELECT key FROM meta WHERE key LIKE 'field_history:%'")
        }

    def entered_between(self, stages: Sequence[str], start: datetime,
                        end: datetime) -> list[dict[str, Any]]:  # fmt: skip
        """Live deals that entered one of `stages` in [start, end] and are still there.

        The week's events come from the (to_stage, at) index, then each deal is looked up by its
        key: a join let SQLite walk every deal of the stage for each event (quadratic). A deal's
        stage as its source's first sync found it, with no date from the tool, was not entered
        this week: pipeline-bot merely started watching (`WAS_THERE_SQL`).
        """
        if not stages:
            return []
        marks = ",".join("?" * len(stages))
        entered: dict[tuple[str, str], str] = {
            (deal_id, stage): at
            for deal_id, stage, at in self.conn.execute(
                "SELECT deal_id, to_stage, MAX(at) FROM stage_events e "
                f"WHERE to_stage IN ({marks}) AND at >= ? AND at <= ? AND NOT EXISTS (SELECT 1 "
                f"FROM deals d WHERE d.id = e.deal_id AND d.first_seen = e.at AND {WAS_THERE_SQL}) "
                "GROUP BY deal_id, to_stage",
                (*stages, iso(start), iso(end)),
            )
        }
        deals = self.deals_by_ids(sorted({deal_id for deal_id, _ in entered}))
        out = []
        for deal in deals.values():
            at = entered.get((deal["id"], deal["stage"]))
            if at is not None and not deal["removed"]:
                out.append({**deal, "entered_at": at})
        # SQL's ORDER BY stage, amount DESC, id: a NULL amount sorts last when descending
        out.sort(key=lambda d: (d["stage"], d["amount"] is None, -(d["amount"] or 0), d["id"]))
        return out

    def new_deals_between(self, start: datetime, end: datetime) -> list[dict[str, Any]]:
        """Live deals created in [start, end] (times are to the second: a deal seen by a sync in
        the very second of `end` is in): the tool's creation date, else first seen (a
        deal its source's first sync found has no creation date to go by: not new). No index
        holds that date: one pass in table order (SQLite would walk the `removed` index and
        fetch every live deal's row by it, ten times slower)."""
        return self.rows(
            "SELECT * FROM deals d NOT INDEXED WHERE removed = 0 "
            "AND COALESCE(started, first_seen) >= ? AND COALESCE(started, first_seen) <= ? "
            f"AND (started IS NOT NULL OR NOT {WAS_THERE_SQL}) "
            "ORDER BY amount DESC, id",
            (iso(start), iso(end)),
        )


class _StageOf:
    """Memoised status → stage key, and the `visited` bit of a stage key."""

    def __init__(self, pipeline: Pipeline):
        self.pipeline = pipeline
        self.cache: dict[str | None, str | None] = {}
        self.bits = {stage.key: 1 << index for index, stage in enumerate(pipeline.stages)}

    def __call__(self, norm: str | None) -> str | None:
        if norm not in self.cache:
            self.cache[norm] = self.pipeline.status_to_stage.get(norm) if norm else None
        return self.cache[norm]

    def bit(self, stage: str | None) -> int:
        return self.bits.get(stage, 0) if stage else 0

    def position(self, stage: str | None) -> int | None:
        bit = self.bit(stage)
        return bit.bit_length() - 1 if bit else None


def store_error(path: DbTarget, exc: BaseException) -> StoreError:
    """The one-line `StoreError` for what SQLite (or the file system), or PostgreSQL, said
    about `path`."""
    if isinstance(exc, StoreError):
        return exc
    if is_postgres(path):
        return _server_error(str(path), exc)
    path = Path(path)
    text = str(exc)
    lowered = text.lower()
    if path.is_dir():
        kind = "folder"
    elif isinstance(exc, sqlite3.OperationalError) and _is_locked(exc):
        return StoreLocked(path, text)
    elif "readonly" in lowered or "read-only" in lowered:
        kind = "readonly"
    elif "not a database" in lowered or "malformed" in lowered or "corrupt" in lowered:
        kind = "corrupt"
    elif "full" in lowered:
        kind = "full"
    elif "unable to open" in lowered or isinstance(exc, OSError):
        kind = "unopenable"
    else:
        kind = "failed"
    return StoreError(path, kind, text)


#: PostgreSQL's error codes (and, for a connection that failed before the server answered, the
#: words of libpq's message) -> the `store.<kind>` message that says what to do.
_SERVER_KINDS: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("locked", ("55P03", "40P01", "40001"), ("lock timeout", "deadlock detected")),
    ("pg_auth", ("28P01", "28000"), ("password authentication failed", "no password supplied",
                                     "authentication failed", "no pg_hba.conf entry")),
    ("pg_no_database", ("3D000",), ("does not exist",)),
    ("pg_denied", ("42501",), ()),
    ("full", ("53100",), ()),
    ("readonly", ("25006",), ()),
    ("pg_unreachable", ("08000", "08001", "08003", "08006", "57P01", "57P03"), (
        "connection refused", "could not connect", "timeout expired", "could not translate",
        "connection failed", "server closed the connection", "no route to host",
        "name or service not known", "is the server running", "connection is closed")),
)  # fmt: skip


def _server_error(url: str, exc: BaseException) -> StoreError:
    """A PostgreSQL fault as one line: which of the kinds above, the server's first line (the
    URL's password, should it appear, masked)."""
    from urllib.parse import unquote, urlsplit

    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    text = lines[0] if lines else type(exc).__name__
    # libpq's "connection failed: connection to server at "h", port p failed: FATAL:  why":
    # the URL shown beside it names the server already
    for marker in ("FATAL:", "failed:"):
        if marker in text:
            text = text.rsplit(marker, 1)[1].strip()
            break
    try:
        password = urlsplit(url).password
    except ValueError:
        password = None
    for secret in filter(None, {password, unquote(password or "")}):
        text = text.replace(secret, "***")
    code = getattr(exc, "sqlstate", None)
    lowered = text.lower()
    for kind, codes, words in _SERVER_KINDS:
        if code in codes or (code is None and any(word in lowered for word in words)):
            return StoreLocked(url, text) if kind == "locked" else StoreError(url, kind, text)
    return StoreError(url, "pg_failed", text)


def _is_locked(exc: sqlite3.OperationalError) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def _memo_stage(pipeline: Pipeline) -> _StageOf:
    return _StageOf(pipeline)


def _chunks(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
