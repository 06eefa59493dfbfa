"""`pipeline-bot sync`: every configured source in turn, one line of result each.

A source that fails does not stop the others; the exit status is 1 when any failed. On a terminal
a long sync shows its progress on stderr; piped or in cron it stays quiet.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any, TextIO

from bot.i18n import localise, t
from bot.render.money import number
from bot.replay import remember
from bot.settings import Settings
from bot.sheets import describe_rows
from bot.store import Store, iso
from bot.sync import SyncResult, make_adapter, record_failure, sync_source
from bot.terminal import echo
from integrations.base import source_name


class Progress:
    """`\\r`-rewritten progress line on a terminal; nothing at all elsewhere."""

    def __init__(self, source: str, stream: TextIO):
        self.source = source
        self.stream = stream
        self.enabled = stream.isatty()
        self.shown = False

    def __call__(self, pages: int, tasks: int) -> None:
        if self.enabled:
            self.stream.write(f"\r{self.source}: {pages} page(s), {tasks} card(s)…")
            self.stream.flush()
            self.shown = True

    def clear(self) -> None:
        if self.shown:
            self.stream.write("\r\033[K")
            self.stream.flush()


def result_line(result: SyncResult, language: str) -> str:
    """The one-line result of a source, in `language`."""
    seconds = number(result.seconds, language, 1)
    if not result.ok:
        return t("sync.failed", language, source=result.source, seconds=seconds,
                 error=localise(result.error or "", language))  # fmt: skip
    kind = t("sync.full" if result.full else "sync.incremental", language)
    return t("sync.result", language, source=result.source, kind=kind, fetched=result.fetched,
             changed=result.changed, stage_changes=result.stage_changes, removed=result.removed,
             warnings=len(result.warnings), seconds=seconds)  # fmt: skip


def sync_all(
    settings: Settings,
    store: Store,
    *,
    names: Iterable[str] | None = None,
    full: bool = False,
    progress_stream: TextIO | None = None,
    http_options: dict[str, Any] | None = None,
    allow_empty: bool = False,
    now: Callable[[], datetime] | None = None,
) -> list[SyncResult]:
    """Sync the chosen sources (all by default) and return their results, failures included.
    `now`: the clock of the caller (`serve`'s scheduler), else the system's."""
    clock = now or (lambda: datetime.now(UTC))
    wanted = set(names or [])
    results: list[SyncResult] = []
    secrets = settings.secrets.as_env()
    for raw in settings.config.sources:
        name = source_name(raw)
        if wanted and name not in wanted:
            continue
        progress = Progress(name, progress_stream) if progress_stream else None
        try:
            adapter = make_adapter(raw, secrets, base_dir=settings.base_dir,
                                   timezone=settings.config.timezone, progress=progress,
                                   http_options=http_options)  # fmt: skip
        except Exception as exc:  # noqa: BLE001 - a source that can't even start fails alone
            failed = SyncResult(source=name, full=full)
            record_failure(failed, str(raw.get("kind")), exc)
            with store.transaction():
                store.save_sync_state(name, last_attempt=iso(clock()),
                                      last_error=failed.error)  # fmt: skip
            results.append(failed)
            continue
        result = sync_source(store, settings.pipeline, adapter, full=full, now=clock,
                             allow_empty=allow_empty)  # fmt: skip
        if progress:
            progress.clear()
        results.append(result)
    return results


def run_sync(
    settings: Settings, *, names: list[str] | None, full: bool, allow_empty: bool = False
) -> int:
    """`allow_empty` (with `full`): accept a sheet that comes back with no deal at all, and
    mark its stored deals removed (otherwise such a sync is refused and nothing is removed)."""
    from bot.check import validate_sources

    validate_sources(settings)
    known = {source_name(raw) for raw in settings.config.sources}
    unknown = sorted(set(names or []) - known)
    if unknown:
        from bot.errors import UsageError

        raise UsageError(
            f"no source named {', '.join(unknown)} "
            f"(configured: {', '.join(sorted(known)) or 'none'})"
        )
    if not settings.config.sources:
        echo(t("sync.no_sources", settings.language))
        return 1
    # a source renamed or dropped from the config: its deals kept, out of every answer
    store = Store.open(settings.db_path, settings.pipeline, settings.source_names)
    try:
        results = sync_all(settings, store, names=names, full=full, progress_stream=sys.stderr,
                           allow_empty=allow_empty)  # fmt: skip
        remember(settings, store, [r.source for r in results])
    finally:
        store.close()
    language = settings.language
    for result in results:
        echo(result_line(result, language))
        if result.ok and result.rows is not None:
            echo(f"  {describe_rows(result.source, result.rows, language)}")
        for warning in result.warnings:
            echo(t("sync.warning", language, warning=localise(warning, language)))
    return 0 if all(r.ok for r in results) else 1
