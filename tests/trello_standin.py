"""A local server playing Trello with the answers recorded in `tests/cassettes/trello/`, for
what vcrpy cannot reach: another process (`serve` as users run it) and the webhook benchmark.

Requests are matched by method, path and query, minus the credentials and `since` (a later
incremental sync asks from a later bookmark and gets the same recorded answer); `phase` says
which cassette answers. Anything not recorded is a 404.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import yaml

from tests.helpers import local_server

CASSETTES = Path(__file__).resolve().parent / "cassettes" / "trello"


def _key(method: str, url: str) -> tuple[str, str, str]:
    parts = urlsplit(url)
    query = sorted((k, v) for k, v in parse_qsl(parts.query) if k not in {"key", "token", "since"})
    return method, parts.path, urlencode(query)


def recorded(name: str) -> dict[tuple[str, str, str], tuple[int, bytes]]:
    """The cassette's answers by (method, path, query without credentials nor `since`: a
    later incremental sync asks from a later bookmark and gets the same recorded answer)."""
    data = yaml.safe_load((CASSETTES / name).read_text(encoding="utf-8"))
    out = {}
    for item in data["interactions"]:
        request, response = item["request"], item["response"]
        body = response["body"]["string"]
        out[_key(request["method"], request["uri"])] = (
            int(response["status"]["code"]),
            body.encode() if isinstance(body, str) else bytes(body),
        )
    return out


class FakeTrello:
    """A local server answering as the cassette `phase` recorded it (404 for anything else)."""

    def __init__(self, latency_s: float = 0.0) -> None:
        self.answers = {name: recorded(name) for name in ("full_sync.yaml", "incremental.yaml")}
        self.phase = "full_sync.yaml"
        self.latency_s = latency_s
        self.requests = 0

    @contextmanager
    def running(self) -> Iterator[str]:
        """Serve on 127.0.0.1 for the `with` block; yields the API root for `base_url`."""
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                fake.requests += 1
                if fake.latency_s:
                    time.sleep(fake.latency_s)
                found = fake.answers[fake.phase].get(_key("GET", self.path))
                status, body = found or (404, b'{"message": "not recorded"}')
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                return

        with local_server(Handler) as base:
            yield f"{base}/1"  # where the API root is: `base_url` of a Trello source
