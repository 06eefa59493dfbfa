"""Benchmark: every command as a whole process at 10k, 100k and 1M deals, beside the floor.

    python -m bench.scaling                       # 10k, 100k and 1M deals (1M takes long)
    python -m bench.scaling --sizes 10k,100k --runs 3

Builds (seeded) a CSV source per size the way an agency's sheet looks: ~40 account managers, the
agency's statuses (plus a few unmapped ones), stage dates spread over a year so that a realistic
share of the open deals is stalled and some moved this week. Then times, as separate processes,
`sync`, a re-sync of the unchanged file, a re-sync with 1 % of the rows changed, every query in
text and `--json`, `nudge --dry-run` and `digest --dry-run`; each beside a bare `python -c`
process doing the same SQLite work (parse the CSV and insert the same rows with the same indexes;
run the query's SQL and print the rows, as JSON for `--json`). Prints per size the time and peak
memory (ru_maxrss of that process alone) of both, and the growth factor from one size to the next
beyond the fixed start-up. The sizes are built first; then each command runs at every size in
turn, so that the growth compares runs taken seconds apart, not minutes. Figures only: tests
never assert on wall-clock time.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.queries import CLIENTS, WORDS  # noqa: E402 - the same agency vocabulary

PARIS = ZoneInfo("Europe/Paris")

#: (status, share): the agency's statuses (bot.pipeline.DEFAULT_STATUS_MAP) and a few unmapped
STATUSES = (
    ("Client sur le point d'arriver", 0.14),
    ("Appel et devis", 0.14),
    ("Balle dans le camp du client", 0.13),
    ("Conclusion du contrat", 0.07),
    ("Travail en cours", 0.10),
    ("Prendre un retour", 0.05),
    ("Travail terminé", 0.20),
    ("Écarté", 0.15),
    ("En pause", 0.02),
)
OPEN_STATUSES = {s for s, _ in STATUSES[:4]}
FIRST = ("Marie", "Paul", "Élodie", "Jean", "Sophie", "Luc", "Camille", "Hugo", "Léa", "Nina")
LAST = ("Dupain", "Leroy", "Aubert", "Martin")  # 40 managers
TOWNS = ("Lyon", "Nantes", "Lille", "Rennes", "Dijon", "Tours", "Brest", "Metz", "Nîmes", "Pau",
         "Caen", "Reims", "Angers", "Annecy", "Arles", "Vannes", "Niort", "Albi")  # fmt: skip
REASONS = ("Prix trop élevé", "Concurrent choisi", "Projet abandonné", "Pas de budget", "")
HEADER = [
    "id",
    "title",
    "client",
    "owner",
    "owner_email",
    "status",
    "amount",
    "probability",
    "expected_close",
    "stage_entered",
    "started",
    "next_step",
    "lost_reason",
    "url",
]

QUERIES = ["summary", "stalled", "forecast", "funnel", "owners", "lost", "deal boulangerie",
           "changes 7", "stage négociations", "owner marie", "unmapped"]  # fmt: skip
#: answers that list deals or events: their JSON is the big one
LISTS = {"stalled", "deal boulangerie", "changes 7", "stage négociations", "owner marie"}
TARGET_GROWTH, TARGET_DIGEST_S, TARGET_RESYNC, TARGET_SYNC_MB = 12.0, 2.0, 0.10, 300.0
TARGET_JSON, TARGET_STARTUP = 2.0, 4.0


# --------------------------------------------------------------------------- the source


def write_csv(path: Path, deals: int, anchor: datetime, seed: int) -> None:
    """The sheet: one row per deal, streamed to disk (1M rows never sit in memory)."""
    rng = random.Random(seed)
    owners = [f"{f} {n}" for f in FIRST for n in LAST]
    statuses = [s for s, _ in STATUSES]
    weights = [w for _, w in STATUSES]
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, delimiter=";")
        writer.writerow(HEADER)
        for i in range(deals):
            status = rng.choices(statuses, weights)[0]
            # a sixth moved in the last weeks (~5 % of all this week), the rest over a year
            days = rng.expovariate(1 / 20) if rng.random() < 0.15 else rng.uniform(0, 365)
            entered = anchor - timedelta(days=min(days, 365), hours=rng.uniform(1, 8))
            started = entered - timedelta(days=rng.uniform(0, 60))
            owner = owners[int(rng.paretovariate(1.2)) % len(owners)]
            client = f"{rng.choice(CLIENTS)} {rng.choice(TOWNS)}"
            close = (anchor + timedelta(days=rng.uniform(-60, 180))).date()
            writer.writerow([
                f"D{i:07d}", f"{rng.choice(WORDS)} {rng.choice(WORDS).lower()} {i}", client,
                owner, f"{owner.lower().replace(' ', '.')}@agence.example", status,
                f"{rng.randrange(5, 400) * 250} €", rng.choice(("", "", "", "30", "50", "70")),
                close.isoformat() if status in OPEN_STATUSES else "",
                entered.astimezone(PARIS).strftime("%Y-%m-%d %H:%M"),
                started.astimezone(PARIS).strftime("%Y-%m-%d"),
                "Relancer" if rng.random() < 0.3 else "",
                rng.choice(REASONS) if status == "Écarté" else "",
                f"https://crm.example/deals/{i}",
            ])  # fmt: skip


def change_rows(src: Path, dst: Path, share: float, seed: int) -> int:
    """Copy the sheet with `share` of the rows moved to the next status (no "since" date)."""
    rng = random.Random(seed)
    statuses = [s for s, _ in STATUSES[:8]]
    changed = 0
    with src.open(encoding="utf-8", newline="") as inp, dst.open("w", encoding="utf-8",
                                                                  newline="") as out:  # fmt: skip
        reader, writer = csv.reader(inp, delimiter=";"), csv.writer(out, delimiter=";")
        writer.writerow(next(reader))
        for row in reader:
            if rng.random() < share and row[5] in statuses:
                row[5] = statuses[(statuses.index(row[5]) + 1) % len(statuses)]
                row[9] = ""
                changed += 1
            writer.writerow(row)
    return changed


def write_config(folder: Path, csv_path: Path) -> Path:
    config = folder / "pipeline.toml"
    config.write_text(
        'timezone = "Europe/Paris"\nlanguage = "fr"\ncurrency = "EUR"\n\n'
        f'[[sources]]\nkind = "csv"\nname = "sheet"\npath = "{csv_path}"\ndelimiter = ";"\n',
        encoding="utf-8",
    )
    return config


# --------------------------------------------------------------------------- the floor


def bare_sync_code() -> str:
    """Parse the CSV and insert the same rows (deal, status change, stage event) with the same
    schema and indexes as the store (copied from the synced database)."""
    return """
import csv, sqlite3, sys
src, schema_db, db = sys.argv[1:4]
ddl = [r[0] for r in sqlite3.connect(schema_db).execute(
    "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' "
    "AND name IN ('deals','status_changes','stage_events') OR tbl_name IN "
    "('deals','status_changes','stage_events') AND type = 'index' AND sql IS NOT NULL")]
c = sqlite3.connect(db, isolation_level=None)
c.execute("PRAGMA journal_mode = WAL"); c.execute("PRAGMA synchronous = NORMAL")
for s in sorted(ddl, key=lambda s: not s.startswith("CREATE TABLE")): c.execute(s)
c.execute("BEGIN")
def rows():
    with open(src, encoding="utf-8", newline="") as f:
        r = csv.reader(f, delimiter=";"); next(r)
        for x in r: yield x
batch = []
def flush():
    c.executemany("INSERT INTO deals(id, source, task_id, title, client, owner, owner_email, "
        "status, status_norm, stage, amount, probability, expected_close, stage_entered, started,"
        " next_step, lost_reason, url, removed, first_seen, last_seen, search, visited) VALUES "
        "(?,'sheet',?,?,?,?,?,?,lower(?),?,?,?,?,?,?,?,?,?,0,?,?,?,1)",
        [(f"sheet:{x[0]}", x[0], x[1], x[2], x[3], x[4], x[5], x[5], x[5][:8],
          float(x[6].split()[0]), x[7] or None, x[8] or None, x[9], x[10], x[11], x[12], x[13],
          x[9], x[9], (x[1] + chr(10) + x[2]).lower()) for x in batch])
    c.executemany("INSERT INTO status_changes(deal_id, at, to_status, to_norm, origin) "
        "VALUES (?,?,?,lower(?),'snapshot')", [(f"sheet:{x[0]}", x[9], x[5], x[5]) for x in batch])
    c.executemany("INSERT INTO stage_events(deal_id, at, to_stage, status, source, removed) "
        "VALUES (?,?,?,?,'sheet',0)", [(f"sheet:{x[0]}", x[9], x[5][:8], x[5]) for x in batch])
    batch.clear()
for x in rows():
    batch.append(x)
    if len(batch) >= 500: flush()
flush()
c.execute("COMMIT")
"""


def bare_resync_code() -> str:
    """Parse the CSV, read what is stored for each row, write the rows that differ."""
    return """
import csv, sqlite3, sys
src, db = sys.argv[1:3]
c = sqlite3.connect(db, isolation_level=None)
stored = {r[0]: r[1:] for r in c.execute("SELECT task_id, title, client, owner, status, "
                                          "expected_close FROM deals")}
c.execute("BEGIN")
changed = []
with open(src, encoding="utf-8", newline="") as f:
    r = csv.reader(f, delimiter=";"); next(r)
    for x in r:
        if stored.get(x[0]) != (x[1], x[2], x[3], x[5], x[8] or None):
            changed.append((x[5], f"sheet:{x[0]}"))
c.executemany("UPDATE deals SET status = ? WHERE id = ?", changed)
c.execute("ROLLBACK")
print(len(changed))
"""


def bare_query_code() -> str:
    """Run the statements and print the rows: as JSON objects for `--json`, else one a line."""
    return """
import json, sqlite3, sys
db, mode, statements = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
c = sqlite3.connect(db)
out = []
for sql, params in statements:
    cur = c.execute(sql, params)
    names = [d[0] for d in cur.description]
    out.append([dict(zip(names, row)) for row in cur] if mode == "json" else cur.fetchall())
if mode == "json":
    sys.stdout.write(json.dumps(out, ensure_ascii=False))
else:
    sys.stdout.write("\\n".join(" ".join(map(str, row)) for rows in out for row in rows))
"""


def bare_statements(anchor: datetime) -> dict[str, list[tuple[str, list[Any]]]]:
    """The SQL each answer needs (as bench/queries.py writes it by hand), per command."""

    def utc(moment: datetime) -> str:
        return moment.astimezone(UTC).isoformat(timespec="seconds")

    def day_start(days: int) -> str:
        day = anchor.date() - timedelta(days=days - 1)
        return utc(datetime(day.year, day.month, day.day, tzinfo=PARIS))

    prob = ("CASE stage WHEN 'qualification' THEN COALESCE(probability, 10) WHEN 'meeting' THEN "
            "COALESCE(probability, 40) WHEN 'negotiation' THEN COALESCE(probability, 60) WHEN "
            "'closing' THEN COALESCE(probability, 80) WHEN 'won' THEN 100 ELSE 0 END")  # fmt: skip
    open_ = "('qualification', 'meeting', 'negotiation', 'closing')"
    cut = {"qualification": day_start(7), "meeting": day_start(7), "negotiation": day_start(7),
           "closing": day_start(5)}  # fmt: skip
    stalled = " OR ".join(f"(stage = '{k}' AND stage_entered < '{v}')" for k, v in cut.items())
    deal_cols = "id, title, client, owner, stage, stage_entered, amount, url, next_step"
    week = utc(anchor - timedelta(days=7))
    summary = [
        (f"SELECT stage, COUNT(*), TOTAL(amount), TOTAL(amount * {prob} / 100) FROM deals "
         "WHERE removed = 0 GROUP BY stage", []),
        (f"SELECT stage, COUNT(*) FROM deals WHERE removed = 0 AND ({stalled}) GROUP BY stage",
         []),
    ]  # fmt: skip
    stalled_rows = (f"SELECT {deal_cols} FROM deals WHERE removed = 0 AND ({stalled}) "
                    "ORDER BY stage_entered, id", [])  # fmt: skip
    changes = ("SELECT e.at, e.deal_id, d.title, e.from_stage, e.to_stage FROM stage_events e "
               "JOIN deals d ON d.id = e.deal_id WHERE e.at >= ? AND e.at <= ? AND e.removed = 0"
               " ORDER BY e.at DESC", [week, utc(anchor)])  # fmt: skip
    return {
        "summary": summary,
        "stalled": [stalled_rows],
        "forecast": [(f"SELECT substr(expected_close, 1, 7) AS m, COUNT(*), TOTAL(amount), "
                      f"TOTAL(amount * {prob} / 100) FROM deals WHERE removed = 0 AND stage IN "
                      f"{open_} GROUP BY m", [])],
        "funnel": [("SELECT stage, visited, COUNT(*) FROM deals WHERE removed = 0 GROUP BY "
                    "stage, visited", []),
                   ("SELECT to_stage, COUNT(*), TOTAL(stay_days) FROM stage_events WHERE "
                    "stay_days IS NOT NULL AND removed = 0 GROUP BY to_stage", [])],
        "owners": [(f"SELECT owner, COUNT(*), TOTAL(amount), TOTAL(amount * {prob} / 100), "
                    f"TOTAL(CASE WHEN {stalled} THEN 1 END) FROM deals WHERE removed = 0 AND "
                    f"stage IN {open_} GROUP BY owner", [])],
        "lost": [("SELECT trim(lost_reason), COUNT(*), TOTAL(amount) FROM deals WHERE "
                  "removed = 0 AND stage = 'lost' GROUP BY trim(lost_reason)", [])],
        "deal boulangerie": [(f"SELECT {deal_cols} FROM deals WHERE removed = 0 AND "
                              "instr(search, 'boulangerie') ORDER BY stage, stage_entered, id",
                              [])],
        "changes 7": [changes],
        "stage négociations": [(f"SELECT {deal_cols} FROM deals WHERE removed = 0 AND "
                                "stage = 'negotiation' ORDER BY stage_entered, id", [])],
        "owner marie": [(f"SELECT {deal_cols} FROM deals WHERE removed = 0 AND stage IN {open_}"
                         " AND owner LIKE 'Marie %' ORDER BY stage, stage_entered, id", [])],
        "unmapped": [("SELECT status, COUNT(*) FROM deals WHERE removed = 0 AND stage IS NULL "
                      "GROUP BY status_norm", [])],
        "nudge": [(f"SELECT {deal_cols} FROM deals WHERE removed = 0 AND ({stalled}) "
                   "ORDER BY owner, stage_entered, id", [])],
        "digest": [*summary, changes,
                   ("SELECT COUNT(*) FROM deals WHERE removed = 0 AND COALESCE(started, "
                    "first_seen) >= ?", [week]),
                   (f"SELECT COUNT(*) FROM deals WHERE removed = 0 AND ({stalled})", [])],
    }  # fmt: skip


# --------------------------------------------------------------------------- measuring


@dataclass
class Run:
    seconds: float
    peak_mb: float


def clean_env() -> dict[str, str]:
    """The environment a user's command runs in: no `PIPELINE_*` override, and Python's own
    default of caching compiled modules (`pip install` byte-compiles a package; this machine's
    `PYTHONDONTWRITEBYTECODE=1` would make every query compile its 34 modules again, 0.08 s
    that no installed copy pays)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("PIPELINE_") and k != "PYTHONDONTWRITEBYTECODE"}  # fmt: skip
    env["PYTHONPATH"] = str(ROOT)
    return env


def run_once(argv: list[str], cwd: Path) -> Run:
    """One process: wall time, and its own peak RSS (wait4 gives this child's rusage only)."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, env=clean_env(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)  # fmt: skip
    assert proc.stderr is not None
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    error = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv[:8])}... failed ({proc.returncode}):\n{error[-2000:]}")
    return Run(seconds, usage.ru_maxrss / 1024)


def median_run(argv: list[str], cwd: Path, runs: int) -> Run:
    return _median([run_once(argv, cwd) for _ in range(runs)])


def _median(got: list[Run]) -> Run:
    return Run(statistics.median(r.seconds for r in got), statistics.median(r.peak_mb for r in got))


@dataclass
class Row:
    command: str
    ours: Run
    bare: Run
    #: the fixed start-up (`query help`) measured beside it, that its growth is counted beyond
    start: float


@dataclass
class Size:
    """One size's source and databases, and the rows measured on it so far."""

    label: str
    folder: Path
    source: Path
    cli: list[str]
    as_of: str
    statements: dict[str, list[tuple[str, list[Any]]]]
    rows: list[Row]


def show(label: str, row: Row) -> None:
    print(f"    {label:>5} {row.command:<30} {row.ours.seconds:8.2f} s {row.ours.peak_mb:7.0f} MB"
          f"   bare {row.bare.seconds:8.2f} s {row.bare.peak_mb:7.0f} MB   start-up "
          f"{row.start * 1000:.0f} ms", flush=True)  # fmt: skip


def prepare_size(label: str, deals: int, work: Path, seed: int, start: float) -> Size:
    """The size's sheet, written and synced (the sync is measured once: it fills the database),
    beside the bare sync of the same sheet."""
    folder = work / label
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    anchor = datetime.now(PARIS).replace(second=0, microsecond=0)
    source = folder / "deals.csv"
    started = time.perf_counter()
    write_csv(source, deals, anchor, seed)
    print(f"  built {source} ({source.stat().st_size / 1e6:.0f} MB) in "
          f"{time.perf_counter() - started:.1f} s", flush=True)  # fmt: skip
    config = write_config(folder, source)
    db = folder / "bot.db"
    cli = [sys.executable, "-m", "bot.cli", "--config", str(config), "--db", str(db)]
    ours = run_once([*cli, "sync"], folder)
    bare_db = folder / "bare.db"
    bare = run_once([sys.executable, "-c", bare_sync_code(), str(source), str(db), str(bare_db)],
                    folder)  # fmt: skip
    bare_db.unlink(missing_ok=True)
    size = Size(label, folder, source, cli, anchor.isoformat(), bare_statements(anchor), [])
    size.rows.append(Row("sync", ours, bare, start))
    show(label, size.rows[-1])
    return size


Twins = tuple[list[str], list[str]]


def commands(size: Size) -> dict[str, Twins]:
    """Each command that leaves the database as it found it, as (ours, its bare twin): every
    query in text and JSON, `nudge` and `digest --dry-run`, and a re-sync of the unchanged
    sheet (it changes nothing but the sync's date)."""
    py, bare_q = sys.executable, bare_query_code()
    out: dict[str, Twins] = {}
    for text in QUERIES:
        for mode in ("text", "json"):
            flag = ["--json"] if mode == "json" else []
            out[f"query {text}{' --json' if flag else ''}"] = (
                [*size.cli, "query", *text.split(), *flag, "--as-of", size.as_of],
                [py, "-c", bare_q, str(size.folder / "bot.db"), mode,
                 json.dumps(size.statements[text])],
            )  # fmt: skip
    for command in ("nudge", "digest"):
        out[f"{command} --dry-run"] = (
            [*size.cli, command, "--dry-run", "--as-of", size.as_of],
            [py, "-c", bare_q, str(size.folder / "bot.db"), "text",
             json.dumps(size.statements[command])],
        )  # fmt: skip
    out["re-sync unchanged"] = (
        [*size.cli, "sync"],
        [py, "-c", bare_resync_code(), str(size.source), str(size.folder / "bot.db")],
    )
    return out


def measure_interleaved(sizes: list[Size], runs: int, start: list[str], work: Path) -> None:
    """Each command at every size in turn, `runs` rounds, each run beside its bare twin, each
    round after one run of the start-up command `start`: the growth from one size to the next
    compares runs taken seconds apart, beyond a start-up taken with them. Measured size after
    size, minutes apart, the 100k → 1M growth of one unchanged command read ×10.2 in one pass
    and ×15.9 in the next (the machine's speed drifts by the hour; the bare twins moved as
    much)."""
    twins = {size.label: commands(size) for size in sizes}
    for name in twins[sizes[0].label]:
        got: dict[str, list[tuple[Run, Run]]] = {size.label: [] for size in sizes}
        starts: list[float] = []
        for _ in range(runs):
            starts.append(run_once(start, work).seconds)
            for size in sizes:
                ours, bare = twins[size.label][name]
                got[size.label].append((run_once(ours, size.folder),
                                        run_once(bare, size.folder)))  # fmt: skip
        for size in sizes:
            pairs, base = got[size.label], statistics.median(starts)
            size.rows.append(Row(name, _median([a for a, _ in pairs]),
                                 _median([b for _, b in pairs]), base))  # fmt: skip
            show(size.label, size.rows[-1])


def measure_changed(size: Size, seed: int, start: float) -> None:
    """A re-sync with 1 % of the rows moved on (once: it changes the database)."""
    moved = size.folder / "moved.csv"
    count = change_rows(size.source, moved, 0.01, seed + 1)
    moved.replace(size.source)
    ours = run_once([*size.cli, "sync"], size.folder)
    bare = run_once([sys.executable, "-c", bare_resync_code(), str(size.source),
                     str(size.folder / "bot.db")], size.folder)  # fmt: skip
    size.rows.append(Row(f"re-sync 1 % changed ({count:,})", ours, bare, start))
    show(size.label, size.rows[-1])


def startup_command(work: Path) -> list[str]:
    """The fixed cost of a command: `query help` (no database work) as a whole process."""
    folder = work / "startup"
    folder.mkdir(parents=True, exist_ok=True)
    empty = folder / "none.csv"
    empty.write_text(";".join(HEADER) + "\n", encoding="utf-8")
    config = write_config(folder, empty)
    cli = [sys.executable, "-m", "bot.cli", "--config", str(config), "--db", str(folder / "bot.db")]
    run_once([*cli, "sync"], folder)
    return [*cli, "query", "help"]


# --------------------------------------------------------------------------- the table


def table(results: dict[str, list[Row]]) -> list[str]:
    labels = list(results)
    head = "| command |"
    rule = "|---|"
    for label in labels:
        head += f" {label} s | {label} MB | bare s | bare MB | × floor |"
        rule += "---:|---:|---:|---:|---:|"
    for a, b in zip(labels, labels[1:], strict=False):
        head += f" growth {a}→{b} |"
        rule += "---:|"
    lines = [head, rule]
    for n, row in enumerate(results[labels[0]]):
        line = f"| {row.command.split(' (')[0]} |"
        per = [results[label][n] for label in labels]
        for r in per:
            ratio = r.ours.seconds / r.bare.seconds if r.bare.seconds else float("inf")
            line += (f" {r.ours.seconds:.2f} | {r.ours.peak_mb:.0f} | {r.bare.seconds:.2f} | "
                     f"{r.bare.peak_mb:.0f} | {ratio:.1f}× |")  # fmt: skip
        for a, b in zip(per, per[1:], strict=False):
            line += f" ×{growth(a.ours.seconds, b.ours.seconds, b.start):.1f} |"
        lines.append(line)
    return lines


def growth(small: float, big: float, base: float) -> float:
    """Time ×, beyond the fixed start-up (a command at the start-up cost counts as ×1)."""
    return max(big - base, 0.0) / max(small - base, 0.05)


def verdicts(results: dict[str, list[Row]]) -> list[str]:
    out: list[str] = []

    def check(ok: bool, text: str) -> None:
        out.append(f"- [{'ok' if ok else 'MISSED'}] {text}")

    labels = list(results)
    for a, b in zip(labels, labels[1:], strict=False):
        worst = max(
            ((growth(x.ours.seconds, y.ours.seconds, y.start), x.command.split(" (")[0])
             for x, y in zip(results[a], results[b], strict=True)),
        )  # fmt: skip
        check(worst[0] <= TARGET_GROWTH,
              f"growth {a}→{b}: worst ×{worst[0]:.1f} ({worst[1]}), target ≤ ×12")  # fmt: skip
    for label, rows in results.items():
        by = {r.command.split(" (")[0]: r for r in rows}
        sync, resync = by["sync"].ours.seconds, by["re-sync unchanged"].ours.seconds
        check(resync <= TARGET_RESYNC * sync, f"{label}: re-sync unchanged {resync:.2f} s = "
              f"{100 * resync / sync:.0f} % of the sync's {sync:.2f} s (≤ 10 %)")  # fmt: skip
        if label == "100k":
            d = by["digest --dry-run"].ours.seconds
            check(d < TARGET_DIGEST_S, f"100k: digest --dry-run {d:.2f} s (< 2 s)")
        if label == "10k":
            q, b = by["query summary"].ours.seconds, by["query summary"].bare.seconds
            check(q <= TARGET_STARTUP * b, f"10k: query summary {q * 1000:.0f} ms = "
                  f"{q / b:.1f}× the bare process ({b * 1000:.0f} ms; ≤ 4×)")  # fmt: skip
        if label == "1M":
            mb = by["sync"].ours.peak_mb
            check(mb <= TARGET_SYNC_MB, f"1M: sync peak {mb:.0f} MB (≤ 300 MB)")
            for text in sorted(LISTS):
                r = by[f"query {text} --json"]
                t, m = r.ours.seconds / r.bare.seconds, r.ours.peak_mb / r.bare.peak_mb
                check(t <= TARGET_JSON and m <= TARGET_JSON,
                      f"1M: query {text} --json {t:.2f}× the bare dump in time, {m:.2f}× in "
                      "memory (≤ 2×)")  # fmt: skip
    return out


def size_of(label: str) -> int:
    """`10k` → 10,000, `1M` → 1,000,000."""
    scale = {"k": 1_000, "M": 1_000_000}.get(label[-1:], 1)
    return int(label[:-1] if scale != 1 else label) * scale


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10k,100k,1M", help="comma-separated: 10k,100k,1M")
    parser.add_argument("--runs", type=int, default=1, help="runs per query (median)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--work", default=None, help="folder for the sources and databases")
    args = parser.parse_args(argv)
    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    try:
        counts = {label: size_of(label) for label in sizes}
    except ValueError:
        parser.error(f"sizes are like 10k, 100k, 1M (got {args.sizes})")
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="pb-scaling-"))
    print(f"{os.cpu_count()} CPUs, SQLite {sqlite3.sqlite_version}, Python "
          f"{sys.version.split()[0]}; work folder {work}", flush=True)  # fmt: skip
    start_argv = startup_command(work)
    start = median_run(start_argv, work, 5)
    bare_start = median_run([sys.executable, "-c", "import sqlite3, json"], work, 5)
    print(f"start-up: query help {start.seconds * 1000:.0f} ms, bare python -c "
          f"{bare_start.seconds * 1000:.0f} ms", flush=True)  # fmt: skip
    built = []
    for label in sizes:
        print(f"{label} deals:", flush=True)
        built.append(prepare_size(label, counts[label], work, args.seed, start.seconds))
    print("every command, the sizes in turn:", flush=True)
    measure_interleaved(built, args.runs, start_argv, work)
    for size in built:
        measure_changed(size, args.seed, start.seconds)
    results = {size.label: size.rows for size in built}
    print()
    print("\n".join(table(results)))
    print()
    lines = verdicts(results)
    print("\n".join(lines))
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if all("[ok]" in line for line in lines) else 1


if __name__ == "__main__":
    sys.exit(main())
