"""Benchmark: `/healthz` and signed `/pipeline` latency while N slow or idle sockets are held.

    python bench/slow_clients.py [--sockets 500] [--seconds 30] [--trickle 5] [--body-mb 100]

Starts the real `serve` command (subprocess, loopback only, Web API on a local stand-in) on a
small seeded database, then opens `--sockets` connections split in three kinds an attacker
would use: half a request header followed by one byte every `--trickle` seconds, full headers
and half a body trickled the same way, and idle sockets that send nothing. A socket the server
closes is re-opened, so N stay held all along. Meanwhile `/healthz` and a signed `/pipeline
summary` are timed (each on a new connection, 10 s timeout) for `--seconds`. Then, with
`--body-mb`, one unsigned body of that size is sent (with Content-Length, then chunked) and the
server's peak RSS (VmHWM) is read before and after. Prints figures; asserts nothing; every loop
is bounded, sockets are closed and the server is stopped with SIGTERM at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import resource
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.slack import build_database, start_server  # noqa: E402
from tests.slack_http import command_body, signed_headers  # noqa: E402
from tests.slack_standin import SlackStandIn  # noqa: E402

KINDS = ("half-header", "half-body", "idle")
REQUEST_TIMEOUT = 10.0


@dataclass
class Held:
    """The slow sockets: kept at N, re-opened when the server drops one."""

    host: str
    port: int
    count: int
    sockets: list[tuple[str, socket.socket | None]] = field(default_factory=list)
    reopened: int = 0
    refused: int = 0

    def open(self, kind: str) -> socket.socket | None:
        conn = socket.socket()
        conn.settimeout(2)
        try:
            conn.connect((self.host, self.port))
            if kind == "half-header":
                conn.sendall(b"POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            elif kind == "half-body":
                conn.sendall(
                    b"POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    b"Content-Type: application/x-www-form-urlencoded\r\n"
                    b"X-Slack-Request-Timestamp: 1\r\nX-Slack-Signature: v0=00\r\n"
                    b"Content-Length: 4000\r\n\r\ntoken=abc&text="
                )
        except OSError:
            self.refused += 1
            conn.close()
            return None
        return conn

    def fill(self) -> None:
        for index in range(self.count):
            kind = KINDS[index % len(KINDS)]
            self.sockets.append((kind, self.open(kind)))

    def trickle(self) -> None:
        """One byte on each slow socket; a closed one is re-opened (the attacker insists)."""
        for index, (kind, conn) in enumerate(self.sockets):
            alive = conn is not None
            if alive and kind != "idle":
                try:
                    conn.sendall(b"x")  # type: ignore[union-attr]
                except OSError:
                    alive = False
            if alive and conn is not None:
                try:  # the server closed it (EOF) or answered it (an error page)?
                    conn.setblocking(False)
                    if conn.recv(1, socket.MSG_PEEK) is not None:
                        alive = False
                except BlockingIOError:
                    alive = True  # nothing to read: still held
                except OSError:
                    alive = False
                finally:
                    conn.settimeout(2)
            if not alive:
                if conn is not None:
                    conn.close()
                self.reopened += 1
                self.sockets[index] = (kind, self.open(kind))

    def held(self) -> int:
        return sum(1 for _, conn in self.sockets if conn is not None)

    def close(self) -> None:
        for _, conn in self.sockets:
            if conn is not None:
                conn.close()


def timed(call: object) -> tuple[float, bool]:
    """(milliseconds, failed?) of one request on a new connection."""
    started = time.perf_counter()
    try:
        answer = call()  # type: ignore[operator]
        failed = answer.status_code != 200
    except requests.RequestException:
        failed = True
    return (time.perf_counter() - started) * 1000, failed


def health(base: str) -> requests.Response:
    return requests.get(f"{base}/healthz", timeout=REQUEST_TIMEOUT)


def pipeline(base: str) -> requests.Response:
    body = command_body("summary")
    return requests.post(
        f"{base}/slack/events",
        data=body.encode(),
        headers=signed_headers(body),
        timeout=REQUEST_TIMEOUT,
    )


def report(label: str, results: list[tuple[float, bool]]) -> None:
    if not results:
        print(f"{label:<22} no request finished")
        return
    times = sorted(ms for ms, _ in results)
    cuts = statistics.quantiles(times, n=100, method="inclusive") if len(times) > 1 else times * 99
    errors = sum(1 for _, failed in results if failed)
    print(
        f"{label:<22} n={len(results):>4}  p50={cuts[49]:8.1f} ms  p95={cuts[94]:8.1f} ms  "
        f"max={times[-1]:8.1f} ms  errors={errors}"
    )


def measure(base: str, held: Held, seconds: float, trickle: float) -> None:
    results: dict[str, list[tuple[float, bool]]] = {"/healthz": [], "signed /pipeline": []}
    stop = threading.Event()

    def sample(label: str, call: object) -> None:
        while not stop.is_set():
            results[label].append(timed(lambda: call(base)))  # type: ignore[operator]
            stop.wait(0.25)

    samplers = [
        threading.Thread(target=sample, args=("/healthz", health)),
        threading.Thread(target=sample, args=("signed /pipeline", pipeline)),
    ]
    for thread in samplers:
        thread.start()
    deadline = time.monotonic() + seconds
    lowest = held.held()
    while time.monotonic() < deadline:
        time.sleep(min(trickle, max(0.0, deadline - time.monotonic())))
        held.trickle()
        lowest = min(lowest, held.held())
    stop.set()
    for thread in samplers:
        thread.join(timeout=REQUEST_TIMEOUT + 5)
    print(
        f"slow sockets: {held.count} wanted, at least {lowest} held at every trickle, "
        f"{held.reopened} re-opened after the server dropped them, {held.refused} refused"
    )
    for label, found in results.items():
        report(label, found)


def peak_rss_kb(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) of the server process in kB (Linux)."""
    values: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            values[name] = int(rest.split()[0])
    return values["VmRSS"], values["VmHWM"]


def status_line(conn: socket.socket) -> str:
    return conn.recv(200).split(b"\r\n")[0].decode(errors="replace")


def send_big_body(port: int, megabytes: int, chunked: bool) -> str:
    """Stream an unsigned body of `megabytes` MB; returns the status line (or what happened)."""
    chunk = b"a" * (1 << 20)
    head = "POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    head += (
        "Transfer-Encoding: chunked\r\n\r\n"
        if chunked
        else f"Content-Length: {megabytes << 20}\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
        try:
            conn.sendall(head.encode())
            for _ in range(megabytes):
                conn.sendall(b"100000\r\n" + chunk + b"\r\n" if chunked else chunk)
            if chunked:
                conn.sendall(b"0\r\n\r\n")
        except OSError as exc:
            sent = "stopped sending: server closed the connection"
            with contextlib.suppress(OSError):
                return f"{status_line(conn)} ({sent})"
            return f"{sent} ({exc.__class__.__name__})"
        try:
            return status_line(conn) or "closed"
        except OSError as exc:
            return f"no answer ({exc.__class__.__name__})"


def big_bodies(pid: int, port: int, megabytes: int) -> None:
    for chunked in (False, True):
        rss, hwm = peak_rss_kb(pid)
        started = time.perf_counter()
        status = send_big_body(port, megabytes, chunked)
        elapsed = time.perf_counter() - started
        time.sleep(0.5)  # let the server finish with the request before reading its peak
        after_rss, after_hwm = peak_rss_kb(pid)
        how = "chunked" if chunked else "Content-Length"
        print(
            f"{megabytes} MB unsigned body ({how}): {status!r} in {elapsed:.2f} s; "
            f"RSS {rss / 1024:.1f} -> {after_rss / 1024:.1f} MB, "
            f"peak RSS rose by {(after_hwm - hwm) / 1024:.1f} MB"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sockets", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--trickle", type=float, default=5.0, help="seconds between bytes")
    parser.add_argument("--deals", type=int, default=2000)
    parser.add_argument("--body-mb", type=int, default=100, help="0: skip the big-body test")
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = min(hard, args.sockets * 2 + 256)
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))

    folder = Path(tempfile.mkdtemp(prefix="pipeline-slow-"))
    db = folder / "bench.db"
    build_database(db, args.deals)
    api = SlackStandIn().start()
    process, base = start_server(db, api)
    port = int(base.rsplit(":", 1)[1])
    held = Held("127.0.0.1", port, args.sockets)
    try:
        report("idle server /healthz", [timed(lambda: health(base)) for _ in range(20)])
        report("idle server /pipeline", [timed(lambda: pipeline(base)) for _ in range(20)])
        held.fill()
        print(f"opened {held.held()} slow sockets ({', '.join(KINDS)})")
        measure(base, held, args.seconds, args.trickle)
        held.close()
        if args.body_mb:
            time.sleep(1)
            big_bodies(process.pid, port, args.body_mb)
            report("/healthz after", [timed(lambda: health(base)) for _ in range(5)])
    finally:
        held.close()
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        api.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
