"""Benchmark: signed `/pipeline` requests against `pipeline-bot serve` on a 100,000-deal database.

    python bench/slack.py [--deals 100000] [--requests 200] [--concurrency 20] [--db PATH|URL]

Builds (or reuses) a seeded database through the store's own schema, starts the real `serve`
command in a subprocess (waitress, Bolt, signature checks) with the Web API pointed at a local
stand-in, then times 200 sequential requests and 200 more sent 20 at a time, over loopback, from
send to HTTP answer: first with the data changed before every request (nothing cached can
answer: the worst case), then unchanged. Target: p95 ≤ 500 ms and no errors. It signs requests
and stands in for the Web API with the test suite's helpers (`tests/slack_http.py`,
`tests/slack_standin.py`). Prints figures; asserts nothing; every
loop is bounded, and the server is stopped with SIGTERM at the end.

`--db postgresql://…`: the same on PostgreSQL. The deals are built in a SQLite file as above and
copied into that database by `migrate-store`'s own copy (when it holds no deals), and `serve`
runs on the URL.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.queries import engine_line, fill_postgres  # noqa: E402
from bot.pipeline import normalise  # noqa: E402
from bot.query import QUERIES  # noqa: E402
from bot.settings import load_settings  # noqa: E402
from bot.store import Store, iso  # noqa: E402
from tests.slack_http import SECRET, command_body, signed_headers  # noqa: E402
from tests.slack_standin import SlackStandIn  # noqa: E402

OWNERS = [f"Owner {i:02d}" for i in range(40)]
#: status → share of deals: most deals open, a third won or lost.
STATUS_WEIGHTS = {
    "Client sur le point d'arriver": 18,
    "Appel et devis": 16,
    "Balle dans le camp du client": 14,
    "Conclusion du contrat": 10,
    "Travail terminé": 25,
    "Écarté": 12,
    "Statut inconnu": 5,
}
WANTED_QUERIES = [
    "",
    "stalled",
    "summary",
    "owners",
    "forecast",
    "funnel",
    "lost",
    "help",
    "bloqués public",
]


def build_database(path: Path, deals: int, seed: int = 7) -> None:
    """`deals` seeded deals with one status change each, then the mapping derives the stages."""
    rng = random.Random(seed)
    now = datetime.now(UTC)  # `serve` ages deals on the real clock: build relative to it
    statuses = list(STATUS_WEIGHTS)
    weights = list(STATUS_WEIGHTS.values())
    store = Store(path)
    deal_rows: list[tuple[Any, ...]] = []
    changes: list[tuple[Any, ...]] = []
    for index in range(deals):
        status = rng.choices(statuses, weights)[0]
        entered = now - timedelta(days=rng.expovariate(1 / 6), hours=rng.random() * 24)
        deal_id = f"bench:{index}"
        owner = rng.choice(OWNERS)
        deal_rows.append(
            (
                deal_id,
                "bench",
                str(index),
                f"Deal {index}: site",
                f"Client {index % 3000}",
                owner,
                f"{owner.lower().replace(' ', '.')}@agence.fr",
                status,
                normalise(status),
                round(rng.uniform(1_000, 80_000), 2),
                rng.choice([None, None, 30, 50, 70]),
                (now + timedelta(days=rng.randint(-30, 180))).date().isoformat(),
                f"https://trello.com/c/{index}",
                iso(now),
                iso(now),
            )
        )
        changes.append((deal_id, iso(entered), None, status, normalise(status), "bench"))
    with store.transaction():
        store.conn.executemany(
            "INSERT INTO deals(id, source, task_id, title, client, owner, owner_email, status, "
            "status_norm, amount, probability, expected_close, url, first_seen, last_seen, removed)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)",
            deal_rows,
        )
        store.conn.executemany(
            "INSERT INTO status_changes(deal_id, at, from_status, to_status, to_norm, origin) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            changes,
        )
    settings = load_settings(None, str(path), cwd=path.parent)
    store.ensure_mapping(settings.pipeline)  # derives stage and stage_entered, like a sync
    store.close()


class Touch:
    """Write to the database the way a sync or a button click does (invalidates cached answers)."""

    def __init__(self, db: Path | str):
        self.store = Store(db)
        self.count = 0

    def __call__(self) -> None:
        self.count += 1
        with self.store.transaction():  # as a sync or a click writes: the data version moves
            self.store.set_meta("bench.touch", str(self.count))

    def close(self) -> None:
        self.store.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(db: Path | str, api: SlackStandIn) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "PIPELINE_"))}
    env.update(
        SLACK_BOT_TOKEN="xoxb-bench",
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=api.base_url,
        PIPELINE_DB=str(db),
        PIPELINE_HOST="127.0.0.1",
        PYTHONPATH=str(ROOT),
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve", "--port", str(port)],
        cwd=db.parent if isinstance(db, Path) else tempfile.gettempdir(),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{base}/healthz", timeout=1).ok:
                return process, base
        except requests.ConnectionError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("serve did not answer /healthz within 60 s")


def one_request(base: str, text: str, user: str, response_url: str) -> tuple[float, bool, bool]:
    """(seconds to the HTTP answer, error?, answered late via response_url?)."""
    body = command_body(text, user=user, response_url=response_url)
    headers = signed_headers(body)
    started = time.perf_counter()
    try:
        answer = requests.post(
            f"{base}/slack/events", data=body.encode(), headers=headers, timeout=10
        )
    except requests.RequestException:
        return time.perf_counter() - started, True, False
    elapsed = time.perf_counter() - started
    if answer.status_code != 200:
        return elapsed, True, False
    payload = answer.json()
    late = "Working on it" in payload.get("text", "") or "Je m'en occupe" in payload.get("text", "")
    failed = "Something went wrong" in payload.get("text", "") or "Un problème" in payload.get(
        "text", ""
    )
    return elapsed, failed, late


def report(label: str, results: list[tuple[float, bool, bool]], wall: float) -> None:
    times = sorted(r[0] * 1000 for r in results)
    cuts = statistics.quantiles(times, n=100, method="inclusive")
    errors = sum(1 for r in results if r[1])
    late = sum(1 for r in results if r[2])
    print(
        f"{label:<28} n={len(results):>3}  p50={cuts[49]:7.1f} ms  p95={cuts[94]:7.1f} ms  "
        f"max={times[-1]:7.1f} ms  errors={errors}  late={late}  "
        f"throughput={len(results) / wall:6.1f} req/s"
    )


def _holds_deals(url: str) -> bool:
    store = Store(url)
    try:
        return bool(store.scalar("SELECT COUNT(*) FROM deals"))
    finally:
        store.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deals", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--db", default=None, metavar="PATH|postgresql://…",
                        help="reuse or create this database (a URL: PostgreSQL)")  # fmt: skip
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="pipeline-bench-"))
    url = args.db if args.db and args.db.startswith(("postgresql://", "postgres://")) else None
    path = folder / "bench.db" if url or not args.db else Path(args.db)
    if url is None or not _holds_deals(url):
        if not path.exists():
            started = time.perf_counter()
            build_database(path, args.deals)
            print(f"built {args.deals:,} deals in {time.perf_counter() - started:.1f} s: {path}")
        if url is not None:
            fill_postgres(path, url, rebuild=True)
    db: Path | str = url or path
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"engine: {engine_line(db)}; load average {load}")
    queries = [
        q
        for q in WANTED_QUERIES
        if not q or q.split()[0] in QUERIES or q.split()[0] in {s.french for s in QUERIES.values()}
    ]
    print(f"queries: {', '.join(repr(q) for q in queries)}")
    api = SlackStandIn().start()
    process, base = start_server(db, api)
    try:
        mix = [(queries[i % len(queries)], f"U{i % 40:02d}") for i in range(args.requests)]
        reply_to = f"{api.url}/response"  # a late answer goes to the stand-in

        def ask(text: str, user: str) -> tuple[float, bool, bool]:
            return one_request(base, text, user, reply_to)

        ask("", "U00")  # warm-up: imports, first connection
        touch = Touch(db)
        cold: list[tuple[float, bool, bool]] = []
        started = time.perf_counter()
        for text, user in mix:
            touch()  # the data changed: nothing cached can answer
            cold.append(ask(text, user))
        report("sequential, data changed", cold, time.perf_counter() - started)
        started = time.perf_counter()
        sequential = [ask(text, user) for text, user in mix]
        report("sequential, data unchanged", sequential, time.perf_counter() - started)
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
            concurrent = list(pool.map(lambda item: ask(*item), mix))
        report(f"{args.concurrency} concurrent", concurrent, time.perf_counter() - started)
        bursts: list[tuple[float, bool, bool]] = []
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
            for first in range(0, len(mix), args.concurrency):
                touch()  # every burst of 20 meets changed data
                batch = mix[first : first + args.concurrency]
                bursts += pool.map(lambda item: ask(*item), batch)
        report(
            f"{args.concurrency} concurrent, data changed", bursts, time.perf_counter() - started
        )
        print("per query, sequential with data changed:")
        for query in queries:
            picked = [r for (text, _), r in zip(mix, cold, strict=True) if text == query]
            if len(picked) >= 2:
                report(f"  {query or '(empty) summary'!r}", picked, sum(r[0] for r in picked))
        touch.close()
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        api.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
