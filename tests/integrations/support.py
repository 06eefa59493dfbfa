"""What the adapter tests share: building an adapter as the sync engine does, watching the requests
it sends, and reading what a sync left in the store.

One copy, so every adapter is tested through the same construction path (registry, validated
settings, `http_options`) and a change to that path shows in every adapter's tests at once.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

import requests

from bot.pipeline import DEFAULT_STAGES, Pipeline
from bot.store import Store
from bot.sync import SyncResult, make_adapter, sync_source
from integrations.base import Adapter, Task, adapter_class, validate_source
from tests.helpers import utc

Cassette = Callable[..., AbstractContextManager[Any]]
A = TypeVar("A", bound=Adapter[Any])

#: Match on the JSON body too: for POST-only APIs (GraphQL, Notion) the body is the query.
WITH_BODY = ["method", "scheme", "host", "port", "path", "query", "body"]
PIPELINE = Pipeline(DEFAULT_STAGES)


def build(
    cls: type[A],
    raw: Mapping[str, Any],
    secrets: Mapping[str, str],
    *,
    sleeps: list[float] | None = None,
    progress: list[tuple[int, int]] | None = None,
    **http_options: Any,
) -> A:
    """An adapter found by its kind and given validated settings, as `sync` builds it; its retry
    waits are never slept (`sleeps` collects them to check), `progress` collects the (pages,
    tasks) reports."""
    http_options.setdefault("sleep", sleeps.append if sleeps is not None else skip_wait)
    adapter = adapter_class(cls.kind)(
        validate_source(raw),
        secrets,
        progress=(lambda p, t: progress.append((p, t))) if progress is not None else None,
        http_options=http_options,
    )
    assert isinstance(adapter, cls)
    return adapter


def record_requests(adapter: Any) -> list[requests.PreparedRequest]:
    """Every request the adapter sends through `adapter.client` (retries included), in order."""
    sent: list[requests.PreparedRequest] = []

    def hook(response: requests.Response, *args: Any, **kwargs: Any) -> None:
        sent.append(response.request)

    adapter.client.session.hooks["response"].append(hook)
    return sent


def body(request: requests.PreparedRequest) -> Any:
    raw = request.body or b"{}"
    return json.loads(raw.decode() if isinstance(raw, bytes) else raw)


def query(request: requests.PreparedRequest) -> dict[str, list[str]]:
    return parse_qs(urlsplit(request.url or "").query)


def by_id(tasks: Iterable[Task]) -> dict[str, Task]:
    return {t.id: t for t in tasks}


def skip_wait(seconds: float) -> None:
    """An adapter's retry wait, not slept: a replayed or loopback answer is there at once."""


def run_sync(
    store: Store,
    raw: dict[str, Any],
    secrets: dict[str, str] | None = None,
    now: str = "2026-03-02T08:00:00",
    *,
    full: bool = False,
    timezone: str | None = None,
) -> SyncResult:
    """One sync of source `raw` at `now` (UTC) through the real engine (`make_adapter`, then
    `sync_source`), its retry waits not slept."""
    adapter = make_adapter(raw, secrets or {}, timezone=timezone,
                           http_options={"sleep": skip_wait})  # fmt: skip
    return sync_source(store, PIPELINE, adapter, full=full, now=lambda: utc(now))


def deal_rows(store: Store) -> dict[str, tuple[Any, ...]]:
    """Deal id -> (stage, owner, amount, stage_entered, removed): what a user sees per deal."""
    return {
        r["id"]: (r["stage"], r["owner"], r["amount"], r["stage_entered"], r["removed"])
        for r in store.rows("SELECT * FROM deals ORDER BY id")
    }


def evidence(store: Store) -> dict[str, str | None]:
    """Deal id -> what dated its current stage (`stage_entered_from` of the deal JSON)."""
    return {r["id"]: r["stage_entered_from"] for r in store.rows("SELECT * FROM deals")}
