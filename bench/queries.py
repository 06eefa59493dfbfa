"""Benchmark every /pipeline answer on 100,000 deals and 1,000,000 stage events.

    python -m bench.queries [PATH] [--runs 15] [--process-runs 10] [--rebuild]
                            [--db postgresql://…]

Builds (seeded, once; `--rebuild` to redo) a database with the store's own schema: deals,
status changes and stage events consistent with each other, meta 'mapping' set to the default
pipeline's fingerprint so no command re-maps it. Then prints, per query, the median in-process
time of `ask(...).json()` next to hand-written SQL computing the same figures in the same process,
the whole `python -m bot.cli query summary --json` process next to a bare `python -c` process
running the equivalent GROUP BY, and peak memory (ru_maxrss) of each query process; and whether
each target is met. Figures only: tests never assert on wall-clock time.

`--db postgresql://…` runs the same on PostgreSQL: the SQLite database at PATH (built as above) is
copied into that database by `migrate-store`'s own copy when it holds no deals (or with
`--rebuild`), and every figure is taken there; the hand-written SQL goes through the same dialect
layer as the store's (`bot.db.pg_sql.translate`), the bare process uses psycopg.
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.pipeline import DEFAULT_STAGES, DEFAULT_STATUS_MAP, Pipeline, normalise  # noqa: E402
from bot.store import Store, search_key  # noqa: E402

PARIS = ZoneInfo("Europe/Paris")
AS_OF = "2026-03-30"
NOW = datetime(2026, 3, 30, 12, 0, tzinfo=PARIS)
DEALS, EVENTS = 100_000, 1_000_000
TARGET_RATIO, TARGET_MS, TARGET_PROCESS, TARGET_MB = 2.0, 150.0, 6.0, 200.0

QUERIES = [
    "summary",
    "stalled",
    "forecast",
    "funnel",
    "owners",
    "lost",
    "deal dupain",
    "changes 7",
    "stage négociations",
    "owner marie",
    "unmapped",
    "calibration",
    "accuracy",
]

WORDS = (
    "Refonte",
    "Site",
    "Application",
    "Logo",
    "Boutique",
    "Charte",
    "Audit",
    "Campagne",
    "Vidéo",
    "Intranet",
    "Newsletter",
    "Identité",
    "Stratégie",
    "Salon",
    "Brochure",
)
CLIENTS = (
    "Boulangerie",
    "Garage",
    "Café",
    "Hôtel",
    "Cabinet",
    "Mairie",
    "Librairie",
    "Fleurs",
    "Pharmacie",
    "Atelier",
    "Studio",
    "Maison",
    "Ferme",
    "Clinique",
    "École",
)
NAMES = (
    "Dupain",
    "Leroy",
    "Zoé",
    "Aubert",
    "Martin",
    "Bernard",
    "Petit",
    "Durand",
    "Moreau",
    "Lefèvre",
    "Roux",
    "Fournier",
    "Girard",
    "Bonnet",
    "Mercier",
    "Blanc",
    "Garnier",
    "Faure",
    "Rousseau",
    "Vincent",
    "Müller",
    "Lambert",
    "Fontaine",
    "Chevalier",
)
SYLLABLES = (
    "ber",
    "nard",
    "la",
    "mo",
    "reau",
    "fon",
    "taine",
    "ro",
    "ux",
    "gi",
    "rard",
    "le",
    "vin",
    "cent",
    "bon",
    "net",
    "mer",
    "cier",
    "gar",
    "nier",
    "chev",
    "al",
    "lier",
    "fau",
    "re",
    "sel",
    "tin",
    "pe",
    "tit",
    "co",
    "lin",
    "dar",
    "gent",
    "ma",
)
FIRST = ("Marie", "Paul", "Élodie", "Jean", "Sophie", "Luc", "Camille", "Hugo", "Léa", "Nina")


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def build(path: Path, deals: int, events: int, seed: int) -> None:
    """Write the database: every table consistent with the others, as a sync would leave it."""
    rng = random.Random(seed)
    pipeline = Pipeline(DEFAULT_STAGES)
    path.unlink(missing_ok=True)
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    store = Store(path)
    conn = store.conn
    status_of = {}
    for status, stage in DEFAULT_STATUS_MAP.items():
        status_of.setdefault(stage, status)
    keys = [s.key for s in pipeline.stages]
    open_keys = [s.key for s in pipeline.open_stages]
    bit = {k: 1 << i for i, k in enumerate(keys)}
    owners = [
        (f"{f} {n}", f"{normalise(f)}.{normalise(n)}@agence.fr".replace(" ", ""))
        for f in FIRST
        for n in NAMES[:4]
    ]
    per_deal = events / deals * 1.15  # open deals are half-way; repeats are dropped
    start = datetime(2023, 1, 2, 8, 0, tzinfo=UTC)
    end = datetime(2026, 3, 30, 9, 0, tzinfo=UTC)
    surnames = sorted(
        {
            "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).title()
            for _ in range(3000)
        }
        | {"Dupain", "Dupâin"}
    )
    deal_rows, change_rows, event_rows, quiet_rows, field_rows = [], [], [], [], []
    for i in range(deals):
        steps = max(1, int(rng.gauss(per_deal, 2)))
        # a walk through the stages: mostly forward, sometimes back; then won, lost or open
        path_keys = ["qualification"]
        position = 0
        while len(path_keys) < steps:
            if position >= len(open_keys) - 1 or rng.random() < 0.45:
                position = max(0, position - 1) if position else 1
            else:
                position += 1
            path_keys.append(open_keys[position])
        ending = rng.random()
        if ending < 0.45:
            path_keys[-1] = "won"
        elif ending < 0.85:
            path_keys[-1] = "lost"
        unmapped = rng.random() < 0.01
        if ending < 0.85:  # closed deals: any time in the three years, closed within ~4 months
            length = timedelta(days=rng.uniform(10, 120))
            first = start + rng.random() * (end - length - start)
        else:  # open deals: started in the last 4 months, still moving, half-way through
            first = end - timedelta(days=rng.uniform(1, 120))
            length = end - first
            path_keys = path_keys[: max(1, len(path_keys) // 2)]
        moments = sorted(first + rng.random() * length for _ in path_keys)
        moments[0] = first
        deal_id = f"bench:{i}"
        removed = 1 if rng.random() < 0.01 else 0
        visited, previous_status, previous_stage = 0, None, None
        firsts: dict[int, str] = {}  # pipeline position → first time there
        for k, (stage, moment) in enumerate(zip(path_keys, moments, strict=True)):
            if k and stage == previous_stage:
                continue
            status = status_of[stage]
            at = iso(moment)
            change_rows.append((deal_id, at, previous_status, status, normalise(status), "history"))
            if event_rows and event_rows[-1][0] == deal_id:
                event_rows[-1][6] = at
            event_rows.append([deal_id, at, previous_stage, stage, status, "bench", None, removed])
            visited |= bit[stage]
            firsts.setdefault(keys.index(stage), at)
            previous_status, previous_stage = status, stage
        stage: str | None = previous_stage
        status = previous_status
        entered = event_rows[-1][1]
        if unmapped:
            status, stage = "En pause", None
            at = iso(moments[-1] + timedelta(hours=1))
            change_rows.append((deal_id, at, previous_status, status, normalise(status), "history"))
            event_rows[-1][6] = at
            event_rows.append([deal_id, at, previous_stage, None, status, "bench", None, removed])
            entered = at
        later, entries = "", []  # per position: first time there or in a later stage
        for position in reversed(range(len(keys))):
            here = firsts.get(position, "")
            later = min(filter(None, (here, later)), default="")
            entries.append(later)
        entered_at = "|".join(reversed(entries))
        owner, email = rng.choice(owners) if rng.random() < 0.95 else (None, None)
        title = f"{rng.choice(WORDS)} {rng.choice(WORDS).lower()} {i}"
        client = f"{rng.choice(CLIENTS)} {rng.choice(surnames)}"
        amount = round(rng.uniform(500, 60000), 2) if rng.random() < 0.9 else None
        probability = float(rng.choice((10, 25, 50, 75, 90))) if rng.random() < 0.3 else None
        close = (
            (NOW + timedelta(days=rng.randint(-120, 400))).date().isoformat()
            if (rng.random() < 0.85)
            else None
        )
        reason = (
            rng.choice(("Prix", "prix", "Délai", "Concurrent", "", None))
            if (stage == "lost")
            else None
        )
        deal_rows.append(
            (
                deal_id,
                "bench",
                str(i),
                title,
                client,
                None,
                owner,
                email,
                status,
                normalise(status),
                stage,
                amount,
                "EUR",
                probability,
                iso(first),
                close,
                entered,
                None,
                reason,
                f"https://example.com/{i}",
                removed,
                iso(end),
                iso(end),
                iso(end),
                search_key(title, client),
                visited,
                entered_at,
            )
        )
        if close is not None and rng.random() < 0.1:  # its close date was pushed once or twice
            day, pushed = date.fromisoformat(close), []
            for _ in range(rng.randint(1, 2)):
                before = day - timedelta(days=rng.randint(7, 45))
                pushed.append((before.isoformat(), day.isoformat()))
                day = before
            for k, (old, new) in enumerate(reversed(pushed)):
                at = first + (moments[-1] - first) * (k + 1) / (len(pushed) + 1)
                field_rows.append((deal_id, iso(at), "expected_close", old, new, "tool", None))
        if stage in open_keys and rng.random() < 0.01:
            quiet_rows.append(
                (deal_id, "snooze", stage, "U1", iso(end), iso(NOW + timedelta(days=2)))
            )
    with store.transaction():
        conn.executemany(
            "INSERT INTO deals(id, source, task_id, title, client, contact, owner, owner_email,"
            " status, status_norm, stage, amount, currency, probability, started,"
            " expected_close, stage_entered, next_step, lost_reason, url, removed, first_seen,"
            " last_seen, updated, search, visited, entered) VALUES (" + ",".join("?" * 27) + ")",
            deal_rows,
        )
        conn.executemany(
            "INSERT INTO status_changes(deal_id, at, from_status, to_status, to_norm, origin)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            change_rows,
        )
        conn.executemany(
            "INSERT INTO stage_events(deal_id, at, from_stage, to_stage, status, source, left_at,"
            " removed, stay_days) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8,"
            " julianday(?7) - julianday(?2))",
            event_rows,
        )
        conn.executemany(
            "INSERT INTO quiet(deal_id, kind, stage, by_user, at, until) VALUES (?, ?, ?, ?, ?, ?)",
            quiet_rows,
        )
        store.add_field_changes(field_rows)
        store.mark_field_history("bench")
        store.set_meta("mapping", pipeline.fingerprint())
    # no ANALYZE: users' databases have no statistics either, so neither has the benchmark's
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()


# --- the same figures in hand-written SQL, for comparison ---------------------------------

PROB = (
    "CASE stage WHEN 'qualification' THEN COALESCE(probability, 10) WHEN 'meeting' THEN "
    "COALESCE(probability, 40) WHEN 'negotiation' THEN COALESCE(probability, 60) WHEN "
    "'closing' THEN COALESCE(probability, 80) WHEN 'won' THEN 100 WHEN 'lost' THEN 0 END"
)
OPEN = "('qualification', 'meeting', 'negotiation', 'closing')"


def cutoffs() -> dict[str, str]:
    """Stalled: entered before the start of the local day `stall_days` before today."""
    out = {}
    for stage in DEFAULT_STAGES:
        if stage.is_open and stage.stall_days:
            day = NOW.date() - timedelta(days=stage.stall_days - 1)
            out[stage.key] = iso(datetime(day.year, day.month, day.day, tzinfo=PARIS))
    return out


def stall_sql() -> str:
    parts = " OR ".join(f"(stage = '{k}' AND stage_entered < '{v}')" for k, v in cutoffs().items())
    return (
        f"(({parts}) AND NOT EXISTS (SELECT 1 FROM quiet q WHERE q.deal_id = deals.id AND "
        f"q.stage = deals.stage AND q.until > '{iso(NOW)}'))"
    )


def stalled_select(columns: str, group_by: str = "") -> str:
    """The stalled deals found the fast way (as the bot does): one index range scan per stage
    (`stage = ? AND stage_entered < cut-off`) joined by UNION ALL, not one OR'ed predicate."""
    quiet = (
        "NOT EXISTS (SELECT 1 FROM quiet q WHERE q.deal_id = deals.id AND q.stage = deals.stage "
        f"AND q.until > '{iso(NOW)}')"
    )
    return " UNION ALL ".join(
        f"SELECT {columns} FROM deals WHERE removed = 0 AND stage = '{k}' AND "
        f"stage_entered < '{v}' AND {quiet}{group_by}"
        for k, v in cutoffs().items()
    )


def raw_queries() -> dict[str, Callable[[sqlite3.Connection], Any]]:
    stalled = stall_sql()
    today = NOW.date().isoformat()
    since = iso((NOW.replace(tzinfo=None) - timedelta(days=7)).replace(tzinfo=PARIS))  # local

    def all_rows(sql: str, *params: Any) -> Callable[[sqlite3.Connection], Any]:
        return lambda conn: conn.execute(sql, params).fetchall()

    def funnel(conn: sqlite3.Connection) -> Any:
        out = [
            conn.execute(
                "SELECT stage, visited, COUNT(*) FROM deals WHERE removed = 0 "
                "GROUP BY stage, visited"
            ).fetchall()
        ]
        counts = conn.execute(
            "SELECT to_stage, COUNT(*) FROM stage_events WHERE stay_days IS NOT NULL AND "
            f"removed = 0 AND to_stage IN {OPEN} GROUP BY to_stage"
        ).fetchall()
        for stage, n in counts:
            out.append(
                conn.execute(
                    "SELECT stay_days FROM stage_events WHERE to_stage = ? AND "
                    "stay_days IS NOT NULL AND removed = 0 ORDER BY stay_days LIMIT ? OFFSET ?",
                    (stage, 2 - n % 2, (n - 1) // 2),
                ).fetchall()
            )
        return out

    def deal(conn: sqlite3.Connection) -> Any:
        rows = conn.execute(
            "SELECT * FROM deals INDEXED BY idx_deals_removed_search WHERE removed = 0 AND "
            "instr(search, 'dupain') > 0 ORDER BY stage, stage_entered, id"  # the bot's plan
        ).fetchall()
        ids = [r[0] for r in rows]
        history = []
        for k in range(0, len(ids), 500):
            chunk = ids[k : k + 500]
            history += conn.execute(
                "SELECT deal_id, at, from_stage, to_stage, status FROM stage_events WHERE "
                f"deal_id IN ({','.join('?' * len(chunk))}) ORDER BY deal_id, at",
                chunk,
            ).fetchall()
        return rows, history

    def owner(conn: sqlite3.Connection) -> Any:
        conn.execute("SELECT DISTINCT owner, owner_email FROM deals WHERE removed = 0").fetchall()
        # over the (owner, removed, stage, …) index, as the bot's own look-up (m006, m016)
        return conn.execute(
            f"SELECT *, {stalled} FROM deals INDEXED BY idx_deals_owner_cover WHERE "
            f"removed = 0 AND stage IN {OPEN} AND owner IN (?, ?, ?, ?) "
            "ORDER BY stage, stage_entered, id",
            [f"Marie {n}" for n in NAMES[:4]],
        ).fetchall()

    def calibration(conn: sqlite3.Connection) -> Any:
        """What any calibration must read: closed deals' stages reached, and when each closed
        deal first entered each stage (the back-test's clock)."""
        closed = "('won', 'lost')"
        return (
            conn.execute(
                f"SELECT stage, visited, COUNT(*) FROM deals WHERE removed = 0 AND stage IN "
                f"{closed} GROUP BY stage, visited"
            ).fetchall(),
            conn.execute(
                "SELECT id, stage, stage_entered, visited FROM deals WHERE removed = 0 AND "
                f"stage IN {closed}"
            ).fetchall(),
            conn.execute(
                "SELECT e.deal_id, e.to_stage, MIN(e.at) FROM deals d JOIN stage_events e ON "
                f"e.deal_id = d.id WHERE d.removed = 0 AND d.stage IN {closed} "
                "GROUP BY e.deal_id, e.to_stage"
            ).fetchall(),
        )

    def accuracy(conn: sqlite3.Connection) -> Any:
        """Per month: the deals open at its start expected in it (today's close date, or one
        with a history), and the deals won in it."""
        out = []
        months = ["2025-09", "2025-10", "2025-11", "2025-12", "2026-01", "2026-02", "2026-03"]
        for this, after in zip(months, months[1:], strict=False):
            start = iso(datetime.fromisoformat(f"{this}-01T00:00").replace(tzinfo=PARIS))
            end = iso(datetime.fromisoformat(f"{after}-01T00:00").replace(tzinfo=PARIS))
            stay = (f"e.deal_id = d.id AND e.to_stage IN {OPEN} AND e.at <= ? AND "
                    "(e.left_at IS NULL OR e.left_at > ?)")  # fmt: skip
            out.append(conn.execute(
                f"SELECT d.id, d.amount, d.expected_close, d.probability, e.to_stage FROM deals d "
                f"JOIN stage_events e ON {stay} WHERE d.expected_close >= ? AND "
                "d.expected_close < ? AND d.removed = 0 UNION SELECT d.id, d.amount, "
                "d.expected_close, d.probability, e.to_stage FROM (SELECT DISTINCT deal_id FROM "
                "field_changes WHERE field = 'expected_close') f JOIN deals d ON d.id = f.deal_id "
                f"JOIN stage_events e ON {stay} WHERE d.removed = 0",
                (start, start, f"{this}-01", f"{after}-01", start, start),
            ).fetchall())  # fmt: skip
            out.append(conn.execute(
                "SELECT id, amount FROM deals WHERE removed = 0 AND id IN (SELECT deal_id FROM "
                "stage_events WHERE to_stage = 'won' AND at >= ? AND at < ?)", (start, end),
            ).fetchall())  # fmt: skip
        return out

    return {
        "calibration": calibration,
        "accuracy": accuracy,
        "summary": lambda conn: (
            conn.execute(
                f"SELECT stage, COUNT(*), TOTAL(amount), TOTAL(amount * {PROB} / 100) "
                "FROM deals WHERE removed = 0 GROUP BY stage"
            ).fetchall(),
            conn.execute(stalled_select("stage, COUNT(*)", " GROUP BY stage")).fetchall(),
        ),
        "stalled": all_rows(f"{stalled_select('*')} ORDER BY stage_entered, id"),
        "forecast": all_rows(
            "SELECT CASE WHEN expected_close IS NULL THEN 'none' WHEN expected_close < ? THEN "
            "'overdue' WHEN expected_close >= '2026-09-01' THEN 'later' ELSE "
            f"substr(expected_close, 1, 7) END AS b, COUNT(*), TOTAL(amount), "
            f"TOTAL(amount * {PROB} / 100) FROM deals WHERE removed = 0 AND stage IN {OPEN} "
            "GROUP BY b",
            today,
        ),
        "funnel": funnel,
        "owners": all_rows(
            f"SELECT owner, COUNT(*), TOTAL(amount), TOTAL(amount * {PROB} / 100), "
            f"TOTAL(CASE WHEN {stalled} THEN 1 END) FROM deals INDEXED BY "
            "idx_deals_removed_stage_stage_entered_amount_probability_owner "  # as the bot does
            f"WHERE removed = 0 AND stage IN {OPEN} GROUP BY owner"
        ),
        "lost": all_rows(
            "SELECT trim(lost_reason), COUNT(*), TOTAL(amount) FROM deals WHERE "
            "removed = 0 AND stage = 'lost' GROUP BY trim(lost_reason)"
        ),
        "deal dupain": deal,
        # driven by the `at` index (CROSS JOIN fixes the order: without statistics SQLite would
        # walk every live deal and probe its events), filtered on the events' copy of `removed`,
        # and the first-event probe only for events from no stage (as the bot does)
        "changes 7": all_rows(
            "SELECT e.at, e.deal_id, d.title, e.from_stage, e.to_stage, CASE WHEN e.from_stage IS "
            "NULL THEN NOT EXISTS (SELECT 1 FROM stage_events p WHERE p.deal_id = e.deal_id AND "
            "p.at < e.at) ELSE FALSE END FROM stage_events e CROSS JOIN deals d "
            "ON d.id = e.deal_id WHERE e.at >= ? AND e.at <= ? AND e.removed = 0 AND d.removed = 0 "
            "ORDER BY e.at DESC",
            since,
            iso(NOW),
        ),
        "stage négociations": all_rows(
            f"SELECT *, {stalled} FROM deals WHERE removed = 0 AND stage = 'negotiation' "
            "ORDER BY stage_entered, id"
        ),
        "owner marie": owner,
        "unmapped": all_rows(
            "SELECT MIN(status), COUNT(*) FROM deals WHERE removed = 0 AND stage IS "
            "NULL GROUP BY status_norm"
        ),
    }


def median_ms(run: Callable[[], Any], runs: int) -> float:
    run()  # warm the page cache and the statement cache
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def in_process(target: Path | str, runs: int) -> list[tuple[str, float, float, int]]:
    from bot.answers import ask
    from bot.settings import load_settings

    settings = load_settings(None, str(target), cwd=Path("/"))
    store = Store(target)
    raw = raw_queries()
    # the hand-written SQL on its own connection: sqlite3's, or the dialect layer's on PostgreSQL
    conn: Any = Store(target).conn if isinstance(target, str) else sqlite3.connect(str(target))
    out = []
    for text in QUERIES:
        ours = median_ms(lambda text=text: ask(settings, store, text, NOW).json(), runs)  # type: ignore[misc]
        bare = median_ms(lambda text=text: raw[text](conn), runs)  # type: ignore[misc]
        body = ask(settings, store, text, NOW).json()
        items = next((len(v) for k, v in body.items() if k in ("deals", "events")), 0)
        out.append((text, ours, bare, items))
    store.close()
    conn.close()
    return out


def clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIPELINE_")}
    env["PYTHONPATH"] = str(ROOT)
    return env


def process_ms(argv: list[str], runs: int) -> float:
    env = clean_env()
    subprocess.run(argv, capture_output=True, env=env, cwd="/tmp", check=True)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(argv, capture_output=True, env=env, cwd="/tmp", check=True)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def peak_mb(argv: list[str]) -> float:
    """ru_maxrss of one process running `argv` (measured from a fresh parent)."""
    probe = (
        "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, "
        "capture_output=True); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, *argv],
        capture_output=True,
        text=True,
        env=clean_env(),
        cwd="/tmp",
        check=True,
    )
    return int(done.stdout.strip()) / 1024  # kilobytes on Linux


def cli_argv(path: Path | str, text: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "bot.cli",
        "--db",
        str(path),
        "query",
        *text.split(),
        "--json",
        "--as-of",
        AS_OF,
    ]


def bare_argv(target: Path | str) -> list[str]:
    sql = (
        f"SELECT stage, COUNT(*), TOTAL(amount), TOTAL(amount * ({PROB}) / 100) FROM deals "
        "WHERE removed = 0 GROUP BY stage"
    )
    if isinstance(target, str):  # PostgreSQL: the same GROUP BY in its own words, over psycopg
        sql = sql.replace("TOTAL(", "SUM(")
        code = (
            f"import psycopg, json; c = psycopg.connect({target!r}); "
            f"print(json.dumps(c.execute({sql!r}).fetchall(), default=float))"
        )
        return [sys.executable, "-c", code]
    code = (
        f"import sqlite3, json; c = sqlite3.connect({str(target)!r}); "
        f"print(json.dumps(c.execute({sql!r}).fetchall()))"
    )
    return [sys.executable, "-c", code]


def fill_postgres(path: Path, url: str, rebuild: bool) -> None:
    """The SQLite benchmark database copied into the PostgreSQL database `url` (what
    `pipeline-bot migrate-store --replace` does), unless it already holds the deals."""
    from bot.db.migrate_store import migrate

    if not rebuild:
        store = Store(url)
        try:
            if store.scalar("SELECT COUNT(*) FROM deals"):
                return
        finally:
            store.close()
    started = time.perf_counter()
    conn = sqlite3.connect(str(path))
    try:
        copied = migrate(conn, url, replace=True)
    finally:
        conn.close()
    rows = sum(c.rows for c in copied)
    print(f"copied {rows:,} rows into PostgreSQL in {time.perf_counter() - started:.1f} s")


def engine_line(target: Path | str) -> str:
    """Which engine and version the figures are for."""
    if isinstance(target, str):
        store = Store(target)
        try:
            return f"PostgreSQL {store.scalar('SHOW server_version')}"
        finally:
            store.close()
    return f"SQLite {sqlite3.sqlite_version}"


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", nargs="?", default="/tmp/pipeline-bench.db")
    parser.add_argument("--runs", type=int, default=15, help="in-process runs per query")
    parser.add_argument("--process-runs", type=int, default=10, help="runs per process")
    parser.add_argument("--deals", type=int, default=DEALS)
    parser.add_argument("--events", type=int, default=EVENTS)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--rebuild", action="store_true", help="rebuild the database")
    parser.add_argument(
        "--db", default=None, metavar="postgresql://…", help="measure on this PostgreSQL database"
    )
    args = parser.parse_args(argv)
    path = Path(args.path)
    if args.rebuild or not path.exists():
        started = time.perf_counter()
        build(path, args.deals, args.events, args.seed)
        print(f"built {path} in {time.perf_counter() - started:.1f} s")
    target: Path | str = path
    if args.db:
        fill_postgres(path, args.db, args.rebuild)
        target = args.db
    store = Store(target)
    counts = [
        store.scalar(f"SELECT COUNT(*) FROM {t}")
        for t in ("deals", "stage_events", "status_changes")
    ]
    store.close()
    print(
        f"{counts[0]:,} deals, {counts[1]:,} stage events, {counts[2]:,} status changes; "
        f"as of {AS_OF}; {os.cpu_count()} CPUs; {engine_line(target)}; "
        f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}\n"
    )

    print(f"In process (median of {args.runs}): ask(...).json() vs hand-written SQL")
    print(
        f"{'query':<20} {'rows':>6} {'ours ms':>9} {'raw SQL ms':>11} {'ratio':>6}  "
        f"target ≤{TARGET_RATIO:g}× "
        f"and ≤{TARGET_MS:g} ms"
    )
    all_ok = True
    for text, ours, bare, items in in_process(target, args.runs):
        ratio = ours / bare if bare else float("inf")
        ok = ratio <= TARGET_RATIO and ours <= TARGET_MS
        all_ok &= ok
        shown = str(items) if items else ""
        print(f"{text:<20} {shown:>6} {ours:>9.1f} {bare:>11.1f} {ratio:>6.2f}  {verdict(ok)}")

    print(f"\nWhole process (median of {args.process_runs})")
    ours = process_ms(cli_argv(target, "summary"), args.process_runs)
    bare = process_ms(bare_argv(target), args.process_runs)
    ok = ours <= TARGET_PROCESS * bare
    all_ok &= ok
    print(f"{'query summary --json':<26} {ours:>8.1f} ms")
    print(f"{'bare python -c GROUP BY':<26} {bare:>8.1f} ms")
    print(f"{'ratio':<26} {ours / bare:>8.2f} ×   target ≤{TARGET_PROCESS:g}×  {verdict(ok)}")

    print(f"\nPeak memory (ru_maxrss of the query process), target ≤{TARGET_MB:g} MB")
    print(f"{'bare python -c GROUP BY':<26} {peak_mb(bare_argv(target)):>8.1f} MB")
    for text in QUERIES:
        mb = peak_mb(cli_argv(target, text))
        ok = mb <= TARGET_MB
        all_ok &= ok
        print(f"{'query ' + text:<26} {mb:>8.1f} MB  {verdict(ok)}")
    print(f"\nall targets met: {'yes' if all_ok else 'NO'}")
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
