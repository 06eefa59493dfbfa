"""Test helpers: load hand-made tasks through the real sync engine into a real SQLite file."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from bot.analytics import Context
from bot.pipeline import DEFAULT_STAGES, Pipeline
from bot.query import answer, parse
from bot.render.json_out import to_json
from bot.render.text import Style, render
from bot.store import Store
from bot.sync import SyncResult, sync_source
from integrations.base import Adapter, SourceSettings, StatusChange, Task


class ListAdapter(Adapter):
    """An adapter over a Python list: every fetch returns the whole list (like a sheet)."""

    kind: ClassVar[str] = "list"
    snapshot: ClassVar[bool] = True
    has_history: ClassVar[bool] = True

    def __init__(self, name: str, tasks: Sequence[Task]):
        super().__init__(SourceSettings(kind="list", name=name), {})
        self.tasks = list(tasks)

    def fetch(self, since: datetime | None) -> Iterator[Task]:
        yield from self.tasks


def at(text: str) -> datetime:
    """`at("2026-03-02T09:00")` (UTC unless an offset is given)."""
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


#: `utc("2026-03-02T09:00")`: the same helper under the name some tests read better with.
utc = at


def wait_for(
    predicate: Callable[[], Any], what: str = "background work", timeout: float = 10.0
) -> Any:
    """Poll until `predicate()` is truthy (work Bolt or the scheduler does after answering) and
    return it; fail after `timeout` seconds. Only for things that must happen: a check that
    something did *not* happen waits for a sentinel instead."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")


def task(
    task_id: str,
    status: str | None,
    *moves: tuple[str, str],
    **fields: Any,
) -> Task:
    """A task whose history is `moves` = (ISO time, status) pairs, oldest first."""
    history = []
    previous = None
    for when, to in moves:
        history.append(StatusChange(at=at(when), to_status=to, from_status=previous))
        previous = to
    fields.setdefault("title", f"Deal {task_id}")
    return Task(id=task_id, status=status, history=history, **fields)


def load(
    store: Store,
    pipeline: Pipeline,
    tasks: Sequence[Task],
    *,
    source: str = "t",
    now: datetime | None = None,
) -> SyncResult:
    """Sync `tasks` as source `source` at `now` (default: the time of the newest move)."""
    moment = now or datetime.now(UTC)
    return sync_source(store, pipeline, ListAdapter(source, tasks), now=lambda: moment)


def new_store(tmp_path: Path, name: str = "pipeline.db") -> Store:
    return Store(tmp_path / name)


PARIS = ZoneInfo("Europe/Paris")


def ask(store: Store, words: str, as_of: str, language: str = "en") -> tuple[dict[str, Any], str]:
    """The JSON and the text `pipeline-bot query WORDS --as-of AS_OF` print."""
    now = datetime.fromisoformat(as_of).replace(tzinfo=PARIS)
    ctx = Context(pipeline=Pipeline(DEFAULT_STAGES), tz=PARIS, now=now, language=language)
    query = parse(words)
    result = answer(query, store, ctx)
    return to_json(query, result, now), render(result, Style(language, "EUR", PARIS))


def deal(store: Store, title: str, as_of: str) -> dict[str, Any]:
    found = ask(store, f"deal {title}", as_of)[0]["deals"]
    assert len(found) == 1
    return dict(found[0])


@contextmanager
def local_server(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """A real HTTP server on 127.0.0.1 answering with `handler`; yields its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
