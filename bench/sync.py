"""Benchmark: full and incremental sync of a large Trello board and Asana project, end to end.

A local threaded HTTP server (127.0.0.1, its own process) plays the vendor with the documented
shapes: N cards/tasks and 5 moves each (createCard + 4 list moves on Trello; added_to_project + 4
section_changed stories on Asana). The real adapter and sync engine write into a real SQLite file
in a temporary folder, through `base_url`. Then 1% of the cards move and an incremental sync runs.

    python bench/sync.py                    # 20,000 cards / 100,000 actions, Trello and Asana
    python bench/sync.py --cards 100000 --tool trello

Prints cards/s of the full sync, the incremental time as a % of the full one, the requests each
made, and the client's peak memory (max RSS of the syncing process, which holds no server data).
Targets: full >= 2,000 cards/s, incremental <= 10% of full, peak <= 150 MB with 100,000 cards.
Everything is bounded: the server serves until told to stop and every wait has a timeout.
"""

from __future__ import annotations

import argparse
import bisect
import json
import multiprocessing as mp
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

STATUSES = [
    "Client sur le point d'arriver",
    "Appel et devis",
    "Balle dans le camp du client",
    "Conclusion du contrat",
    "Travail en cours",
    "Écarté",
]
MOVES_PER_CARD = 4  # plus the creation: 5 actions / stories per card
BOARD = "65f0c3a2b1d4e5f6a7b8c9d0"
PROJECT = "1209876543210001"
START = datetime(2025, 1, 1, tzinfo=UTC)
SPAN = timedelta(days=300)  # creations spread over it; every move is long past


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def path_of(i: int) -> list[int]:
    """The lists a card visits: create in 0, then 4 moves ending somewhere in the pipeline."""
    return [0, 1, 2, 1 + i % 3, 2 + i % 4][: MOVES_PER_CARD + 1]


# --------------------------------------------------------------------------- fake Trello


class FakeTrello:
    def __init__(self, cards: int) -> None:
        self.lists: list[dict[str, Any]] = [
            {"id": f"{BOARD[:20]}{k:04x}", "name": name, "closed": False, "idBoard": BOARD}
            for k, name in enumerate(STATUSES)
        ]
        self.cards: list[dict[str, Any]] = []
        self.actions: list[dict[str, Any]] = []  # oldest first while building
        seq = 0
        for i in range(cards):
            created = START + SPAN * i / cards
            visits = path_of(i)
            card_id = f"{int(created.timestamp()):08x}{i:016x}"
            last = created
            for step, lst in enumerate(visits):
                when = created + timedelta(hours=step * 30)
                seq += 1
                action_id = f"{int(when.timestamp()):08x}{seq:016x}"
                card_ref = {"id": card_id, "name": f"Affaire {i}"}
                data: dict[str, Any]
                if step == 0:
                    data = {"card": card_ref, "list": self._ref(lst)}
                    kind = "createCard"
                else:
                    data = {
                        "card": {**card_ref, "idList": self.lists[lst]["id"]},
                        "old": {"idList": self.lists[visits[step - 1]]["id"]},
                        "listBefore": self._ref(visits[step - 1]),
                        "listAfter": self._ref(lst),
                    }
                    kind = "updateCard"
                action = {"id": action_id, "type": kind, "date": stamp(when), "data": data}
                self.actions.append(action)
                last = when
            self.cards.append(
                {
                    "id": card_id,
                    "name": f"Affaire {i}",
                    "idList": self.lists[visits[-1]]["id"],
                    "idMembers": [f"5b8f1e2a3c4d5e6f7a8b{i % 5:04x}"],
                    "due": None,
                    "dateLastActivity": stamp(last),
                    "url": f"https://trello.com/c/{i:08x}/{i}-affaire-{i}",
                    "closed": False,
                    "customFieldItems": [
                        {"id": f"c{i:023x}", "value": {"text": f"{1000 + i % 90 * 500} €"},
                         "idCustomField": "cf-montant", "idModel": card_id, "modelType": "card"},
                        {"id": f"d{i:023x}", "value": {"number": str(10 + i % 9 * 10)},
                         "idCustomField": "cf-proba", "idModel": card_id, "modelType": "card"},
                    ],
                }
            )  # fmt: skip
        self.actions.sort(key=lambda a: a["id"], reverse=True)  # newest first, like Trello
        self._sorted: list[str] | None = None
        self._card_json: list[str] | None = None
        self._card_ids: list[str] = []
        self._position: dict[str, int] = {}
        self.members = [
            {"id": f"5b8f1e2a3c4d5e6f7a8b{k:04x}", "fullName": f"Commercial {k}", "username": "c"}
            for k in range(5)
        ]
        self.custom_fields = [
            {"id": "cf-montant", "name": "Montant", "type": "text"},
            {"id": "cf-proba", "name": "Probabilité", "type": "number"},
        ]

    def _ref(self, k: int) -> dict[str, str]:
        return {"id": self.lists[k]["id"], "name": self.lists[k]["name"]}

    def move(self, share: float) -> int:
        """Move every (1/share)-th card one list on, now; newest actions go first."""
        now = datetime.now(UTC)
        step = max(1, round(1 / share))
        moved: list[dict[str, Any]] = []
        by_id = {lst["id"]: k for k, lst in enumerate(self.lists)}
        for n, card in enumerate(self.cards[::step]):
            before = by_id[card["idList"]]
            after = (before + 1) % len(self.lists)
            when = now + timedelta(milliseconds=n)
            card["idList"] = self.lists[after]["id"]
            card["dateLastActivity"] = stamp(when)
            moved.append({
                "id": f"{int(when.timestamp()):08x}{10**12 + n:016x}", "type": "updateCard",
                "date": stamp(when),
                "data": {"card": {"id": card["id"], "name": card["name"]},
                         "old": {"idList": self.lists[before]["id"]},
                         "listBefore": self._ref(before), "listAfter": self._ref(after)},
            })  # fmt: skip
        self.actions[:0] = sorted(moved, key=lambda a: a["id"], reverse=True)
        self._sorted = None
        if self._card_json is not None:  # re-serialise only the cards that moved
            changed = {m["data"]["card"]["id"] for m in moved}
            for n, card_id in enumerate(reversed(self._card_ids)):
                if card_id in changed:
                    self._card_json[n] = json.dumps(self.cards[self._position[card_id]])
        return len(moved)

    def board(self, query: dict[str, str]) -> Any:
        return {
            "id": BOARD,
            "name": "Bench",
            "lists": self.lists,
            "customFields": self.custom_fields,
            "members": self.members,
        }

    def board_cards(self, query: dict[str, str]) -> bytes:
        """Cards newest first, `limit` a page from `before`: serialised once per card."""
        if self._card_json is None:
            ordered = sorted(self.cards, key=lambda c: c["id"], reverse=True)
            self._card_ids = [c["id"] for c in reversed(ordered)]  # ascending
            self._card_json = [json.dumps(c) for c in ordered]
            self._position = {c["id"]: n for n, c in enumerate(self.cards)}
        limit = int(query.get("limit", "1000"))
        start = 0
        if "before" in query:
            start = len(self._card_ids) - bisect.bisect_left(self._card_ids, query["before"])
        return ("[" + ",".join(self._card_json[start : start + limit]) + "]").encode()

    def _keys(self) -> list[str]:
        """Action ids ascending (cached until the next move)."""
        if self._sorted is None:
            self._sorted = [a["id"] for a in reversed(self.actions)]
        return self._sorted

    def board_actions(self, query: dict[str, str]) -> Any:
        limit = min(int(query.get("limit", "50")), 1000)
        start = 0
        if "before" in query:  # ids sort like dates: bisect the descending list
            keys = self._keys()
            start = len(keys) - bisect.bisect_left(keys, query["before"])
        page = []
        since = query.get("since")
        for action in self.actions[start:]:
            if since and action["date"] <= since:
                break
            page.append(action)
            if len(page) >= limit:
                break
        return page


# --------------------------------------------------------------------------- fake Asana


class FakeAsana:
    def __init__(self, tasks: int) -> None:
        self.tasks: list[dict[str, Any]] = []
        self.stories: dict[str, list[dict[str, Any]]] = {}
        for i in range(tasks):
            gid = str(1_209_876_543_300_000 + i)
            created = START + SPAN * i / tasks
            visits = path_of(i)
            stories = [{"gid": f"{gid}0", "created_at": stamp(created),
                        "resource_subtype": "added_to_project"}]  # fmt: skip
            last = created
            for step in range(1, len(visits)):
                when = created + timedelta(hours=step * 30)
                stories.append(self._moved(f"{gid}{step}", when, visits[step - 1], visits[step]))
                last = when
            self.stories[gid] = stories
            self.tasks.append(
                {
                    "gid": gid, "name": f"Affaire {i}",
                    "assignee": {"gid": str(100 + i % 5), "name": f"Commercial {i % 5}",
                                 "email": f"commercial{i % 5}@agence.example"},
                    "created_at": stamp(created), "modified_at": stamp(last), "due_on": None,
                    "completed": False, "completed_at": None,
                    "memberships": [{"project": {"gid": PROJECT}, "section": {
                        "gid": str(visits[-1]), "name": STATUSES[visits[-1]]}}],
                    "custom_fields": [
                        {"gid": "1", "name": "Montant", "type": "text",
                         "display_value": f"{1000 + i % 90 * 500} €"},
                        {"gid": "2", "name": "Probabilité", "type": "number",
                         "number_value": 10 + i % 9 * 10, "display_value": str(10 + i % 9 * 10)},
                    ],
                    "permalink_url": f"https://app.asana.com/0/{PROJECT}/{gid}",
                }
            )  # fmt: skip
        self.index = {task["gid"]: n for n, task in enumerate(self.tasks)}

    @staticmethod
    def _moved(gid: str, when: datetime, old: int, new: int) -> dict[str, Any]:
        return {
            "gid": gid,
            "created_at": stamp(when),
            "resource_subtype": "section_changed",
            "old_section": {"name": STATUSES[old]},
            "new_section": {"name": STATUSES[new], "project": {"gid": PROJECT}},
        }

    def move(self, share: float) -> int:
        now = datetime.now(UTC)
        step = max(1, round(1 / share))
        count = 0
        for n, task in enumerate(self.tasks[::step]):
            section = task["memberships"][0]["section"]
            before = int(section["gid"])
            after = (before + 1) % len(STATUSES)
            when = now + timedelta(milliseconds=n)
            section.update(gid=str(after), name=STATUSES[after])
            task["modified_at"] = stamp(when)
            self.stories[task["gid"]].append(self._moved(f"{task['gid']}m", when, before, after))
            count += 1
        return count

    def list_tasks(self, query: dict[str, str]) -> Any:
        limit = min(int(query.get("limit", "100")), 100)
        since = query.get("modified_since")
        start = int(query.get("offset", "0"))
        page: list[dict[str, Any]] = []
        n = start
        while n < len(self.tasks) and len(page) < limit:
            task = self.tasks[n]
            n += 1
            if since is None or task["modified_at"] >= since:
                page.append(task)
        more = any(since is None or t["modified_at"] >= since for t in self.tasks[n : n + 1]) or (
            since is not None and n < len(self.tasks) and self._any_after(n, since)
        )
        next_page = {"offset": str(n), "path": "", "uri": ""} if more else None
        return {"data": page, "next_page": next_page}

    def _any_after(self, n: int, since: str) -> bool:
        return any(t["modified_at"] >= since for t in self.tasks[n:])

    def batch(self, body: dict[str, Any]) -> Any:
        results = []
        for action in body["data"]["actions"][:10]:
            gid = action["relative_path"].split("/")[2]
            answer = {"data": self.stories.get(gid, []), "next_page": None}
            results.append({"status_code": 200, "headers": {}, "body": answer})
        return {"data": results}


# --------------------------------------------------------------------------- server


def serve(tool: str, cards: int, ready: Any, stop: Any) -> None:
    """The fake vendor: answers until `stop` is set (checked twice a second)."""
    fake: Any = FakeTrello(cards) if tool == "trello" else FakeAsana(cards)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # else headers and body wait on delayed ACKs (40 ms)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib name
            pass

        def _send(self, payload: Any, status: int = 200) -> None:
            raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def do_GET(self) -> None:  # noqa: N802 - stdlib name
            url = urlsplit(self.path)
            query = {k: v[-1] for k, v in parse_qs(url.query).items()}
            if tool == "trello" and url.path == f"/1/boards/{BOARD}":
                self._send(fake.board(query))
            elif tool == "trello" and url.path == f"/1/boards/{BOARD}/cards":
                self._send(fake.board_cards(query))
            elif tool == "trello" and url.path == f"/1/boards/{BOARD}/actions":
                self._send(fake.board_actions(query))
            elif tool == "asana" and url.path == "/api/1.0/tasks":
                self._send(fake.list_tasks(query))
            else:
                self._send({"error": "not found"}, 404)

        def do_POST(self) -> None:  # noqa: N802 - stdlib name
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            if self.path == "/_bench/move":
                self._send({"moved": fake.move(float(body["share"]))})
            elif tool == "asana" and self.path == "/api/1.0/batch":
                self._send(fake.batch(body))
            else:
                self._send({"error": "not found"}, 404)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.timeout = 0.5
    ready.put(server.server_address[1])
    deadline = time.monotonic() + 3600  # never outlive an hour, whatever happens
    while not stop.is_set() and time.monotonic() < deadline:
        server.handle_request()
    server.server_close()


# --------------------------------------------------------------------------- client


def measure(tool: str, port: int, cards: int, share: float, out: Any) -> None:
    """Full sync, move `share` of the cards, incremental sync; report times and peak RSS."""
    import requests

    from bot.config_schema import validate_config
    from bot.settings import build_pipeline
    from bot.store import Store
    from bot.sync import make_adapter, sync_source

    pipeline = build_pipeline(validate_config({}, "bench"))
    if tool == "trello":
        base = f"http://127.0.0.1:{port}/1"
        raw: dict[str, Any] = {"kind": "trello", "name": "bench", "board": BOARD, "base_url": base}
        secrets = {"TRELLO_API_KEY": "bench-key", "TRELLO_TOKEN": "bench-token"}
    else:
        base = f"http://127.0.0.1:{port}/api/1.0"
        raw = {"kind": "asana", "name": "bench", "project": PROJECT, "base_url": base}
        secrets = {"ASANA_TOKEN": "bench-token"}
    raw["fields"] = {"amount": "Montant", "probability": "Probabilité"}

    results: dict[str, Any] = {"tool": tool, "cards": cards}
    with tempfile.TemporaryDirectory() as folder:
        store = Store(Path(folder) / "bench.db")
        try:
            for label, full in (("full", True), ("incremental", False)):
                if not full:
                    moved = requests.post(
                        f"http://127.0.0.1:{port}/_bench/move", json={"share": share}, timeout=60
                    ).json()["moved"]
                    results["moved"] = moved
                adapter: Any = make_adapter(raw, secrets)
                clock = time.perf_counter()
                result = sync_source(store, pipeline, adapter, full=full)
                seconds = time.perf_counter() - clock
                if not result.ok:
                    raise SystemExit(f"{tool} {label} sync failed: {result.error}")
                results[label] = {
                    "seconds": seconds,
                    "fetched": result.fetched,
                    "requests": adapter.http.requests_made,
                    "stage_changes": result.stage_changes,
                }
            results["deals"] = store.scalar("SELECT COUNT(*) FROM deals")
        finally:
            store.close()
    results["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out.put(results)


def run(tool: str, cards: int, share: float) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    ready, stop, out = ctx.Queue(), ctx.Event(), ctx.Queue()
    server = ctx.Process(target=serve, args=(tool, cards, ready, stop), daemon=True)
    server.start()
    try:
        port = ready.get(timeout=300)
        client = ctx.Process(target=measure, args=(tool, port, cards, share, out), daemon=True)
        client.start()
        try:
            results: dict[str, Any] = out.get(timeout=1800)
        finally:
            client.join(timeout=60)
            if client.is_alive():
                client.terminate()
        return results
    finally:
        stop.set()
        server.join(timeout=10)
        if server.is_alive():
            server.terminate()


def report(r: dict[str, Any]) -> str:
    full, inc = r["full"], r["incremental"]
    rate = full["fetched"] / full["seconds"] if full["seconds"] else float("inf")
    share = 100 * inc["seconds"] / full["seconds"] if full["seconds"] else 0.0
    ok = lambda good: "ok" if good else "MISSED"  # noqa: E731
    return "\n".join(
        [
            f"{r['tool']}: {r['cards']:,} cards, {r['cards'] * (MOVES_PER_CARD + 1):,} actions",
            f"  full sync:        {full['seconds']:7.2f} s  {rate:8,.0f} cards/s  "
            f"{full['requests']:5} requests  [{ok(rate >= 2000)} >= 2,000 cards/s]",
            f"  incremental ({r['moved']} moved): {inc['seconds']:6.2f} s  {share:5.1f}% of full  "
            f"{inc['requests']:5} requests  {inc['fetched']} fetched  "
            f"{inc['stage_changes']} stage changes  [{ok(share <= 10)} <= 10%]",
            f"  peak memory (client max RSS): {r['peak_mb']:.0f} MB"
            + (f"  [{ok(r['peak_mb'] <= 150)} <= 150 MB]" if r["cards"] >= 100_000 else ""),
            f"  deals stored: {r['deals']:,}",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=20_000)
    parser.add_argument("--tool", choices=["trello", "asana", "both"], default="both")
    parser.add_argument("--moved", type=float, default=0.01, help="share moved before incremental")
    args = parser.parse_args(argv)
    if not 0 < args.moved <= 1 or not 0 < args.cards <= 1_000_000:
        parser.error("--moved must be in (0, 1] and --cards in 1..1,000,000")
    tools = ["trello", "asana"] if args.tool == "both" else [args.tool]
    for tool in tools:
        print(report(run(tool, args.cards, args.moved)), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
