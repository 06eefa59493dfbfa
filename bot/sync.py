"""The sync engine: stream an adapter's tasks into the store, record each status change once.

Why this shape: the bookmark (the start time of the last *complete* sync) advances only
after every page is stored, so a sync that dies half-way is simply re-run from the old bookmark and
upserts absorb what was already written. Sources that are one document (a CSV, the demo) are
written in a single transaction, so a crash leaves the store exactly as it was. Removal is only
decided at the end of a complete full sync: incremental feeds cannot see deletions.
"""

from __future__ import annotations

import hashlib
import importlib
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.errors import STORE_FAULTS, StoreError
from bot.i18n import Said, said_of
from bot.pipeline import Pipeline, normalise
from bot.store import EVIDENCE, Store, encode_value, iso, store_error
from integrations.base import (
    TRACKED_FIELDS,
    Adapter,
    ProgressCallback,
    RowReport,
    SourceError,
    Task,
    Unparsed,
    adapter_class,
    validate_source,
)
from integrations.values import is_currency_code

log = logging.getLogger(__name__)

BATCH_SIZE = 500
#: How recent a won/lost move must be to be announced (the contract's "last 7 days").
ANNOUNCE_WITHIN = timedelta(days=7)


@dataclass
class SyncResult:
    """What one source's sync did, for the one-line report and the exit status."""

    source: str
    full: bool
    fetched: int = 0
    #: deals written (the others were unchanged since the last sync: same fingerprint)
    written: int = 0
    changed: int = 0
    stage_changes: int = 0
    removed: int = 0
    warnings: list[str] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0
    reached_outcome: list[tuple[str, str]] = field(default_factory=list)
    #: a sheet's row accounting (rows read, stored, skipped, repeated); None for task managers
    rows: RowReport | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def sync_source(
    store: Store,
    pipeline: Pipeline,
    adapter: Adapter,
    *,
    full: bool = False,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    single_transaction: bool = False,
    allow_empty: bool = False,
) -> SyncResult:
    """Pull one source into the store; never raises for a source problem (see `result.error`).

    A snapshot source (a sheet) that comes back with no deal at all while the store holds
    deals from it is refused, and nothing is removed: an empty export or an empty 200 is far
    likelier than an agency with no deal left. `allow_empty` accepts a truly emptied sheet.

    A failure of the store itself (a full disk...) is recorded in the sync state when it can be,
    then raised as `StoreError`: no other source can be written either.
    """
    started = now()
    clock = time.perf_counter()
    name = adapter.name
    state = store.sync_state(name) or {}
    bookmark = None if full or not state.get("bookmark") else datetime.fromisoformat(
        state["bookmark"])  # fmt: skip
    if adapter.snapshot:
        bookmark, single_transaction = None, True
    result = SyncResult(source=name, full=bookmark is None)
    failure: StoreError | None = None
    first_sync = not state.get("last_success")
    store.ensure_mapping(pipeline)
    outer: AbstractContextManager[None] = (
        store.transaction() if single_transaction else nullcontext()
    )
    try:
        with outer:
            # `[sources.fields] status` points the status at a custom field: the tool's own
            # history tells the moves of another field, so the engine keeps its own snapshots.
            own_history = "status" not in adapter.settings.fields
            owners = store.owner_names()  # the spelling each owner is shown with, so far
            prints = Fingerprints(adapter)
            whole = prints.of_source(adapter) if result.full else None
            if not _replayed(state.get("source_print"), whole, adapter, result):
                store.forget_seen()
                rows = adapter.fetch_rows(window_start(adapter, bookmark))
                # a whole sheet into a new store: its indexes are built once, after the rows
                bulk = store.indexes_deferred() if single_transaction and store.is_empty() else None
                with bulk or nullcontext():
                    for batch in _batches(rows, BATCH_SIZE):
                        inner = nullcontext() if single_transaction else store.transaction()
                        with inner:
                            result.fetched += len(batch)
                            ids, tasks = _changed(store, name, batch, prints, own_history)
                            _store_batch(store, pipeline, name, ids, tasks, started, result,
                                         first_sync, owners)  # fmt: skip
                if adapter.snapshot and not result.fetched and not allow_empty:
                    stored = store.live_count(name)
                    if stored:
                        raise SourceError(Said("sync.empty_refused", source=name, n=stored))
                if result.full and adapter.unidentified:
                    # a task without an id could be any stored deal: none is told gone this time
                    result.warnings.append(Said("sync.unidentified", source=name,
                                                n=adapter.unidentified))  # fmt: skip
                elif result.full:
                    with nullcontext() if single_transaction else store.transaction():
                        unreadable = [f"{name}:{task_id}" for task_id in adapter.unreadable]
                        result.removed = store.mark_removed(name, iso(started), keep=unreadable)
                with nullcontext() if single_transaction else store.transaction():
                    store.unify_owners()  # new deals may make another spelling the most used
    except STORE_FAULTS as exc:  # the database, not the source (a full disk…):
        failure = store_error(store.path, exc)  # every source would fail the same way; raised
        result.error = Said(f"store.{failure.kind}", path=failure.description, error=failure.detail)
    except Exception as exc:  # noqa: BLE001 - one source's failure must never stop the others
        record_failure(result, adapter.kind, exc)
        log.warning("sync of source '%s' failed: %s", name, result.error,
                    exc_info=not isinstance(exc, SourceError | OSError))  # fmt: skip
    finally:
        adapter.close()
        result.warnings.extend(adapter.warnings)
        result.rows = adapter.rows
    values: dict[str, str | None] = {"last_attempt": iso(started)}
    if result.ok and adapter.has_field_history:
        with store.transaction():
            store.mark_field_history(name)
    if result.ok:
        values.update(bookmark=iso(started), last_success=iso(started), last_error=None)
        if first_sync:  # what it found had been there before: none of it is "new" (changes)
            values["first_success"] = iso(started)
        if result.full:
            values["last_full"] = iso(started)
        values["source_print"] = _source_print(whole, result)
    else:
        values["last_error"] = result.error
    try:
        with store.transaction():
            store.save_sync_state(name, **values)
    except STORE_FAULTS as exc:
        raise failure if failure is not None else store_error(store.path, exc) from None
    if failure is not None:
        raise failure  # recorded in the sync state; the command still ends in one line
    result.seconds = time.perf_counter() - clock
    return result


def window_start(adapter: Adapter, bookmark: datetime | None) -> datetime | None:
    """Where an incremental fetch starts: the bookmark minus the adapter's `overlap` (clocks
    differ, tools round their times; upserts absorb the repeats). The one place both rules
    live: no adapter subtracts or checks again. A naive bookmark is refused, never read as
    this machine's local time."""
    if bookmark is None:
        return None
    if bookmark.tzinfo is None:
        raise ValueError("the bookmark must be timezone-aware")
    return bookmark - adapter.overlap


def record_failure(result: SyncResult, kind: str, exc: Exception) -> None:
    """Say why a source failed, in `result.error`. A source problem (HTTP, file, a refused
    value) says itself; anything else is a payload this version cannot read, named as such with
    the exception (the traceback goes to the log)."""
    if isinstance(exc, SourceError | OSError | ValueError) and str(exc):
        result.error = said_of(exc)
        return
    result.error = Said("sync.unexpected", source=result.source, kind=kind,
                        error=f"{type(exc).__name__} ({exc})")  # fmt: skip


class Fingerprints:
    """The fingerprint stored with a deal: what its row or task said, and the code that read it.

    The same fingerprint at the next sync means the deal would be written exactly as it is, so it
    is skipped (not upserted, its stage events not rebuilt). The code is part of it: a new version
    of the parser or of the engine re-reads every row once, and writes only the deals that then
    read differently (`_same_row`); the others get their new fingerprint.
    """

    MODULES = ("integrations.base", "integrations.values", "integrations.deal_fields",
               "bot.store", __name__)  # fmt: skip

    def __init__(self, adapter: Adapter):
        code = hashlib.blake2b(digest_size=16)
        for name in (type(adapter).__module__, *self.MODULES):
            path = getattr(importlib.import_module(name), "__file__", None)
            if path:
                code.update(Path(path).read_bytes())
        self.code = code

    def of_source(self, adapter: Adapter) -> str | None:
        """The whole source's fingerprint (`Adapter.source_fingerprint`) with the code's."""
        whole = adapter.source_fingerprint() if adapter.snapshot else None
        if whole is None:
            return None
        digest = self.code.copy()
        digest.update(whole.encode())
        return digest.hexdigest()

    def of(self, item: Task | Unparsed) -> str | None:
        """None when the item must be processed whatever was stored (it has warnings)."""
        if isinstance(item, Unparsed):
            raw = item.fingerprint
        else:
            raw = None if item.warnings else repr(item)
        if raw is None:
            return None
        digest = self.code.copy()
        digest.update(raw.encode())
        return digest.hexdigest()


def _replayed(stored: str | None, whole: str | None, adapter: Adapter,
              result: SyncResult) -> bool:  # fmt: skip
    """True when the whole source is byte for byte the one the last sync read whole and clean
    (no warning, no skipped row): every deal is as stored, nothing is read, written or removed;
    the result says what that sync read."""
    if whole is None or not stored or stored.split()[0] != whole:
        return False
    result.fetched = int(stored.split()[1])
    if adapter.rows is not None:
        adapter.rows.read = adapter.rows.stored = result.fetched
    return True


def _source_print(whole: str | None, result: SyncResult) -> str | None:
    """What `_replayed` needs next time: only for a clean read (its warnings are reported at
    every sync, so a source with any is always read)."""
    rows = result.rows
    if whole is None or result.warnings or (rows is not None and (rows.skipped or rows.repeated)):
        return None
    return f"{whole} {result.fetched}"


def _changed(store: Store, source: str, batch: list[Task | Unparsed], prints: Fingerprints,
             own_history: bool) -> tuple[list[str], list[Task]]:  # fmt: skip
    """The deals of a batch that changed since the last sync, parsed (the rest not written);
    every one noted as seen, for the removal check of a full sync."""
    ids = [f"{source}:{item.id}" for item in batch]
    stored = store.fingerprints(ids)
    changed_ids: list[str] = []
    tasks: list[Task] = []
    store.note_seen(ids)
    for deal_id, item in zip(ids, batch, strict=True):
        if isinstance(item, Task) and not own_history:
            item.history = []
        fingerprint = prints.of(item)
        if fingerprint is not None and stored.get(deal_id) == fingerprint:
            continue
        task = item.parse() if isinstance(item, Unparsed) else item
        task.fingerprint = None if task.warnings else fingerprint
        changed_ids.append(deal_id)
        tasks.append(task)
    return changed_ids, tasks


def _batches(tasks: Iterable[Task | Unparsed], size: int) -> Iterator[list[Task | Unparsed]]:
    batch: list[Task | Unparsed] = []
    for task in tasks:
        batch.append(task)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _store_batch(
    store: Store,
    pipeline: Pipeline,
    source: str,
    ids: list[str],
    tasks: list[Task],
    started: datetime,
    result: SyncResult,
    first_sync: bool,
    owners: dict[str, str],
) -> None:
    if not ids:
        return
    seen_at = iso(started)
    before = store.deals_by_ids(ids)
    formerly: dict[str, str] = {}  # old id -> new id; the first task to claim an old id has it
    for deal_id, task in zip(ids, tasks, strict=True):
        if task.formerly and deal_id not in before:
            formerly.setdefault(f"{source}:{task.formerly}", deal_id)
    if formerly and store.adopt_ids(formerly):
        before = store.deals_by_ids(ids)
    changes: list[tuple[str, str, str | None, str, str]] = []
    for deal_id, task in zip(ids, tasks, strict=True):
        for change in task.history:
            changes.append(
                (deal_id, iso(change.at), change.from_status, change.to_status, "history")
            )
        result.warnings.extend(task.warnings)
        if task.currency is not None and not is_currency_code(task.currency):
            # whichever adapter read it: a currency is a code, never text for a message
            result.warnings.append(Said("sync.not_currency", deal=deal_id,
                                        value=repr(task.currency[:60])))  # fmt: skip
            task.currency = None
    store.add_status_changes(changes)
    latest = store.latest_statuses(ids)
    snapshots: list[tuple[str, str, str | None, str, str]] = []
    # deals whose status history this batch may have changed: their stage events are rebuilt
    touched = {deal_id for deal_id, task in zip(ids, tasks, strict=True) if task.history}
    touched.update(formerly.values())
    for deal_id, task in zip(ids, tasks, strict=True):
        if task.status is None:
            continue
        last = latest.get(deal_id)
        if last is None or last[1] != normalise(task.status):
            at, origin = _evidence(task, last, started, first_sight=deal_id not in before)
            previous = before[deal_id]["status"] if deal_id in before else None
            snapshots.append((deal_id, iso(at), previous, task.status, origin))
            touched.add(deal_id)
        elif task.stage_entered is not None and EVIDENCE.index(last[2]) > EVIDENCE.index("field"):
            # a "since" value came after the engine could only guess (a column added later)
            field_at = iso(min(task.stage_entered, started))
            if field_at != last[0]:
                store.redate_latest(deal_id, last[0], field_at, "field")
                touched.add(deal_id)
    rows = [_deal_row(deal_id, source, task, pipeline, seen_at, before.get(deal_id), owners)
            for deal_id, task in zip(ids, tasks, strict=True)]  # fmt: skip
    # A row that reads exactly as stored, status history untouched (its fingerprint changed
    # with the code, or with a value the row does not keep): only its fingerprint and
    # `last_seen` are written, not its 14 indexes nor its stage events. After an upgrade, a
    # re-sync of an unchanged 100k sheet rewrote every deal: 24 s, twice the first sync.
    written: list[dict[str, Any]] = []
    kept: list[tuple[str | None, str, str]] = []
    for row in rows:
        if row["id"] in touched or not _same_row(before.get(row["id"]), row):
            written.append(row)
        else:
            kept.append((row["fingerprint"], row["last_seen"], row["id"]))
    store.refresh_seen(kept)
    store.upsert_deals(written)
    store.add_status_changes(snapshots)
    _record_field_changes(store, ids, tasks, rows, before, seen_at)
    store.rebuild_stage_events(pipeline, [row["id"] for row in written])
    result.written += len(rows)
    reached: list[tuple[str, str]] = []
    outcomes = _outcome_keys(pipeline)
    open_stages = {s.key for s in pipeline.open_stages}
    # `rows` is what was just written (the stage from the same mapping the rebuild applies):
    # no need to read the deals back.
    for new in rows:
        deal_id = new["id"]
        old = before.get(deal_id)
        if old is None or _differs(old, new):
            result.changed += 1
        if old is not None and old["stage"] != new["stage"]:
            result.stage_changes += 1
        if (not first_sync and old is not None and old["stage"] in open_stages
                and new["stage"] in outcomes and not new["removed"]):  # fmt: skip
            reached.append((deal_id, new["stage"]))
    # Queued in the batch's own transaction, so an outcome is announced (by `serve`) even if the
    # process stops right after this sync. See `_news` for what counts as news.
    news = _news(store, reached, started)
    store.record_outcomes(news)
    result.reached_outcome.extend((deal_id, stage) for deal_id, stage, _ in news)


def _news(
    store: Store, reached: list[tuple[str, str]], started: datetime
) -> list[tuple[str, str, str]]:
    """The won/lost moves worth announcing, with when each happened: a deal the previous sync
    held in an open stage (not unmapped: a status column fixed or a `[status_map]` change is
    not news, and neither is a deal first seen already closed), whose outcome, by the best
    evidence the rebuild used (the tool's history, the sheet's "since" cell, else this sync),
    is at most `ANNOUNCE_WITHIN` old."""
    if not reached:
        return []
    entered = store.deals_by_ids([deal_id for deal_id, _ in reached])
    oldest = iso(started - ANNOUNCE_WITHIN)
    news = []
    for deal_id, stage in reached:
        at = entered[deal_id]["stage_entered"] or iso(started)
        if at >= oldest:
            news.append((deal_id, stage, at))
    return news


def _record_field_changes(
    store: Store,
    ids: list[str],
    tasks: list[Task],
    rows: list[dict[str, Any]],
    before: dict[str, dict[str, Any]],
    seen_at: str,
) -> None:
    """Field history of a batch: the tool's own changes, then, for a tracked field whose value
    differs from the stored one and whose newest known change does not already say so, a
    snapshot at this sync's time. A deal's first sight records nothing: no change was seen."""
    store.add_field_changes(
        (deal_id, iso(change.at), change.field, encode_value(change.from_value),
         encode_value(change.to_value), "tool", None)
        for deal_id, task in zip(ids, tasks, strict=True)
        for change in task.field_history
    )  # fmt: skip
    latest = store.latest_field_values([r["id"] for r in rows if r["id"] in before])
    snapshots = []
    for new in rows:
        old = before.get(new["id"])
        if old is None:
            continue
        for name in TRACKED_FIELDS:
            was, now = encode_value(old.get(name)), encode_value(new.get(name))
            key = (new["id"], name)
            if was != now and (key not in latest or latest[key] != now):
                snapshots.append((new["id"], seen_at, name, was, now, "snapshot", None))
    store.add_field_changes(snapshots)


def _evidence(
    task: Task, last: tuple[str, str, str] | None, started: datetime, *, first_sight: bool
) -> tuple[datetime, str]:
    """When a status the store has not recorded began, and which evidence says so.

    The contract's order, best first, for a status the tool's history does not hold: the
    source's `stage_entered` field; a change seen between two syncs (this one); at the first
    sight of the task, its last-modified time (it has been idle at least since then); else this
    sync. A date that is not after the last recorded change would reorder the history, and a
    future one is no evidence: each falls through to the next.
    """

    def usable(moment: datetime | None) -> bool:
        return moment is not None and moment <= started and (last is None or iso(moment) > last[0])

    if task.stage_entered is not None and usable(task.stage_entered):
        return task.stage_entered, "field"
    if not first_sight:
        return started, "observed"
    if task.last_modified is not None and usable(task.last_modified):
        return task.last_modified, "last_modified"
    return started, "first_seen"


def _outcome_keys(pipeline: Pipeline) -> set[str]:
    return {s.key for s in pipeline.stages if s.outcome}


_COMPARED = (
    "title", "client", "contact", "owner", "owner_email", "status", "amount", "currency",
    "probability", "expected_close", "next_step", "lost_reason", "url", "removed",
)  # fmt: skip


def _differs(old: dict[str, Any], new: dict[str, Any]) -> bool:
    return any(old.get(key) != new.get(key) for key in _COMPARED)


#: What a deal's row says of when and by which code it was read, not of the deal.
_BOOKKEEPING = frozenset({"last_seen", "fingerprint"})


def _same_row(old: dict[str, Any] | None, new: dict[str, Any]) -> bool:
    """Whether writing `new` would leave the stored row `old` as it is, but for bookkeeping."""
    return old is not None and all(
        old.get(key) == value for key, value in new.items() if key not in _BOOKKEEPING
    )


def _deal_row(
    deal_id: str,
    source: str,
    task: Task,
    pipeline: Pipeline,
    seen_at: str,
    before: dict[str, Any] | None,
    owners: dict[str, str],
) -> dict[str, Any]:
    """The stored row of a task. `owner` is the spelling shown for the task's owner (`owners`,
    filled with this spelling for an owner not seen before), `owner_raw` the tool's own."""
    owner_email = task.owner_email
    owner = owners.setdefault(normalise(task.owner), task.owner) if task.owner else None
    if not owner_email and task.owner and "@" in task.owner:
        owner_email = task.owner  # an owner written as an e-mail address is its own e-mail
    return {
        "id": deal_id,
        "source": source,
        "task_id": task.id,
        "title": task.title,
        "client": task.client,
        "contact": task.contact,
        "owner": owner,
        "owner_raw": task.owner,
        "owner_email": owner_email,
        "status": task.status,
        "status_norm": normalise(task.status) if task.status else None,
        "stage": pipeline.stage_of(task.status),
        "amount": task.amount,
        "currency": task.currency,
        "probability": task.probability,
        "started": iso(task.started) if task.started else None,
        "expected_close": task.expected_close.isoformat() if task.expected_close else None,
        "next_step": task.next_step,
        "lost_reason": task.lost_reason,
        "url": task.url,
        "removed": 1 if task.removed else 0,
        "first_seen": before["first_seen"] if before else seen_at,
        "last_seen": seen_at,
        "updated": iso(task.last_modified) if task.last_modified else None,
        "fingerprint": task.fingerprint,
    }


def make_adapter(
    raw: dict[str, Any],
    secrets: dict[str, str],
    *,
    base_dir: Path | None = None,
    timezone: str | None = None,
    progress: ProgressCallback | None = None,
    http_options: dict[str, Any] | None = None,
) -> Adapter:
    """Build the adapter of one `[[sources]]` table, validated by the adapter's own model.

    Relative `path`s are relative to the config file's folder; a source without its own
    `timezone` reads bare dates in the configured one.
    """
    settings = validate_source(raw, timezone=timezone, base_dir=base_dir)
    cls = adapter_class(settings.kind)
    return cls(settings, secrets, progress=progress, http_options=http_options)
