"""Benchmark: from a signed Trello notification to the updated answer in `query changes`.

    python bench/webhooks.py [--runs 10] [--burst 20] [--latency-ms 0]

`serve`'s own parts in this process (waitress on 127.0.0.1 with the real WSGI app, the
scheduler's sync, the coalescing queue; Slack's Web API on the local stand-in), and a local HTTP
server playing Trello with the recorded answers of `tests/cassettes/trello/` (`--latency-ms` adds
that much to each of its answers, to stand for the real API's round trips). Each run: a fresh
database synced in full, then one signed notification of a card moved to « Conclusion du
contrat »; the clock runs from sending it until `query changes` (read the way the CLI reads it)
shows the move. Then a burst of `--burst` notifications sent at once for one move, to count the
syncs it costs. Prints figures; asserts nothing; every wait has a timeout.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.deps import Deps  # noqa: E402
from bot.scheduler import Scheduler  # noqa: E402
from bot.slack_client import make_outbox  # noqa: E402
from bot.sync import make_adapter, sync_source  # noqa: E402
from bot.webhooks import WebhookSyncs  # noqa: E402
from tests.helpers import ask, utc  # noqa: E402
from tests.slack_http import serving  # noqa: E402
from tests.slack_standin import SlackStandIn  # noqa: E402
from tests.test_webhooks import (  # noqa: E402
    DUPAIN,
    HOOK_SECRETS,
    TRELLO_SOURCE,
    notification,
    settings_for,
    signed,
)
from tests.trello_standin import FakeTrello  # noqa: E402

TIMEOUT_S = 30.0


def moved(settings: Any) -> bool:
    deps = Deps(settings)
    store = deps.open_store()
    try:
        events = ask(store, "changes 7", "2026-03-04T12:00")[0]["events"]
        return any(e["deal"] == DUPAIN and e["to"] == "closing" for e in events)
    finally:
        store.close()


def one_run(folder: Path, slack_api: SlackStandIn, trello: FakeTrello, base_url: str,
            burst: int) -> dict[str, float]:  # fmt: skip
    source = {**TRELLO_SOURCE, "base_url": base_url}
    settings = settings_for(folder, slack_api, [source], {"trello": HOOK_SECRETS["trello"]})
    deps = Deps(settings, now=lambda: utc("2026-03-04T10:00:00"))
    trello.phase = "full_sync.yaml"
    store = deps.open_store()
    try:
        adapter = make_adapter(source, settings.secrets.as_env())
        sync_source(store, settings.pipeline, adapter, full=True,
                    now=lambda: utc("2026-03-02T08:05:00"))  # fmt: skip
    finally:
        store.close()
    trello.phase = "incremental.yaml"
    runner = Scheduler(deps, outbox_factory=lambda: make_outbox(settings))
    stop = threading.Event()
    calls: list[str] = []

    def run(name: str) -> bool:
        done = runner.webhook_sync(name)
        calls.append(name)
        return done

    syncs = WebhookSyncs(run, stop)
    syncs.start()
    figures: dict[str, float] = {}
    try:
        with serving(settings, deps, webhooks=syncs.request) as running:
            body = notification("trello")
            url = f"{running.base}/webhooks/agence"
            headers = signed("trello", body, url, HOOK_SECRETS["trello"])
            headers["Content-Type"] = "application/json"
            before = trello.requests
            start = time.perf_counter()
            answer = requests.post(url, data=body, headers=headers, timeout=10)
            figures["ack_ms"] = (time.perf_counter() - start) * 1000
            assert answer.status_code == 200, answer.text
            deadline = time.monotonic() + TIMEOUT_S
            while not moved(settings):
                if time.monotonic() > deadline:
                    raise SystemExit("the move never showed in `query changes`")
                time.sleep(0.005)
            figures["answer_ms"] = (time.perf_counter() - start) * 1000
            figures["vendor_requests"] = trello.requests - before
            while not calls and time.monotonic() < deadline:
                time.sleep(0.005)
            if burst:
                with ThreadPoolExecutor(max_workers=burst) as pool:  # all at once, as Trello may
                    codes = list(
                        pool.map(
                            lambda _: (
                                requests.post(
                                    url, data=body, headers=headers, timeout=10
                                ).status_code
                            ),
                            range(burst),
                        )
                    )
                figures["burst_ok"] = codes.count(200)
                # queued after the burst (a name with no source: nothing to fetch), so once it
                # has run, every sync the burst caused has run
                syncs.request("sentinel")
                while "sentinel" not in calls and time.monotonic() < deadline:
                    time.sleep(0.005)
                figures["burst_syncs"] = calls.count("agence") - 1
    finally:
        stop.set()
        syncs.wake_on_stop()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--burst", type=int, default=20)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    args = parser.parse_args()
    trello = FakeTrello(args.latency_ms / 1000)
    slack_api = SlackStandIn().start()
    results: list[dict[str, float]] = []
    try:
        with trello.running() as base_url, tempfile.TemporaryDirectory() as tmp:
            for run in range(args.runs):
                folder = Path(tmp) / f"run{run}"
                results.append(one_run(folder, slack_api, trello, base_url, args.burst))
    finally:
        slack_api.stop()
    answer = [r["answer_ms"] for r in results]
    ack = [r["ack_ms"] for r in results]
    print(f"runs: {len(results)}, Trello answers delayed by {args.latency_ms:.0f} ms each, "
          f"{int(results[0]['vendor_requests'])} Trello requests per incremental sync")  # fmt: skip
    print(f"signed webhook -> 200:               median {statistics.median(ack):7.1f} ms  "
          f"(min {min(ack):.1f}, max {max(ack):.1f})")  # fmt: skip
    print(f"signed webhook -> `query changes`:   median {statistics.median(answer):7.1f} ms  "
          f"(min {min(answer):.1f}, max {max(answer):.1f})")  # fmt: skip
    if args.burst:
        syncs = sorted({int(r["burst_syncs"]) for r in results})
        accepted = min(int(r["burst_ok"]) for r in results)
        print(f"burst of {args.burst} notifications at once for one move: {accepted} answered 200, "
              f"{' or '.join(map(str, syncs))} sync(s) after them")  # fmt: skip


if __name__ == "__main__":
    main()
