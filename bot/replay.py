"""`sync` of sheets that did not change since the last clean sync, without loading the adapters.

The sync engine already skips a sheet file byte for byte the one its last clean sync read
(`sync_state.source_print`): nothing is parsed, written or removed. What it still paid is the
start-up of a sync: the adapters, pydantic, requests and each source's validation, several
times the work itself for a small sheet. Here the same decision is taken first, from what
decides it: each source's `[[sources]]` table as written, the configured time zone and folder,
the code that reads sheets and syncs, and the file's bytes. `remember` stores that key after a
clean sync (with the `source_print` it produced); `replay` recognises it, records the sync as the
engine would (its `sync_state` row, nothing else) and prints the same lines. Anything else (a
task manager, a URL, `--full`, a source named, a changed byte anywhere) goes the normal way.
"""

from __future__ import annotations

import hashlib
import json
import time
from datetime import UTC, datetime
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.db.target import exists
from bot.i18n import t
from bot.render.money import number
from bot.terminal import echo

if TYPE_CHECKING:
    from bot.settings import Settings
    from bot.store import Store

#: The code whose change may change what a sync of the same file writes or says.
BOT_MODULES = ("sync.py", "store.py", "sync_command.py", "sheets.py", "check.py", "replay.py",
               "pipeline.py")  # fmt: skip


def _code_digest() -> bytes:
    """Every module of `integrations` and the sync's own, hashed (read, never imported)."""
    digest = hashlib.blake2b(digest_size=16)
    spec = find_spec("integrations")
    folders = list(spec.submodule_search_locations or []) if spec else []
    files = sorted(p for folder in folders for p in Path(folder).glob("*.py"))
    here = Path(__file__).parent
    for path in [*files, *(here / name for name in BOT_MODULES)]:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.digest()


def _sheet_path(raw: dict[str, Any], base_dir: Path) -> Path | None:
    """The local file of a `csv` source, as `validate_source` resolves it; None otherwise."""
    path = raw.get("path")
    if raw.get("kind") != "csv" or raw.get("url") or not isinstance(path, str) or not path:
        return None
    return Path(path) if Path(path).is_absolute() else Path(str(base_dir / path))


def replay_key(settings: Settings, raw: dict[str, Any], code: bytes) -> str | None:
    """What decides a sync of this source, hashed; None when it is not a local sheet (or the
    file cannot be read: the normal sync says why)."""
    path = _sheet_path(raw, settings.base_dir)
    if path is None:
        return None
    digest = hashlib.blake2b(code, digest_size=16)
    table = json.dumps(raw, sort_keys=True, default=str, ensure_ascii=False)
    digest.update(f"{table}\n{settings.config.timezone}\n{settings.base_dir}\n".encode())
    try:
        with path.open("rb") as stream:
            while chunk := stream.read(1 << 20):
                digest.update(chunk)
    except OSError:
        return None
    return digest.hexdigest()


def _meta_key(name: str) -> str:
    return f"replay:{name}"


def remember(settings: Settings, store: Store, names: list[str]) -> None:
    """After a sync: for each of `names` (sources just synced) whose sync was clean (the engine
    kept a `source_print`), the key a later `replay` may trust; any other loses its key."""
    from integrations.kinds import source_name

    code = _code_digest()
    with store.transaction():
        for raw in settings.config.sources:
            name = source_name(raw)
            if name not in names:
                continue
            state = store.sync_state(name) or {}
            key = replay_key(settings, raw, code)
            if key and state.get("source_print") and not state.get("last_error"):
                store.set_meta(_meta_key(name), f"{key} {state['source_print']}")
            else:
                store.conn.execute("DELETE FROM meta WHERE key = ?", (_meta_key(name),))


def replay(settings: Settings) -> int | None:
    """`sync` (every source, not `--full`) when each configured source is a local sheet that
    `remember` recognises: the sync recorded and its lines printed, exit status 0. None when any
    is not: nothing was written, the caller syncs the normal way."""
    from bot.store import Store, iso
    from integrations.kinds import source_name

    sources = settings.config.sources
    if not sources or not exists(settings.db_path):
        return None
    clock = time.perf_counter()
    started = datetime.now(UTC)
    code = _code_digest()
    store = Store.open(settings.db_path, settings.pipeline, settings.source_names)
    try:
        prints: dict[str, tuple[str, int]] = {}
        for raw in sources:
            name = source_name(raw)
            key = replay_key(settings, raw, code)
            stored = (store.meta(_meta_key(name)) or "").split(" ", 1)
            state = store.sync_state(name) or {}
            source_print = state.get("source_print")
            if key is None or len(stored) != 2 or stored != [key, source_print or ""]:
                return None
            prints[name] = (str(source_print), int(str(source_print).split()[1]))
        at = iso(started)
        with store.transaction():
            for name, (source_print, _) in prints.items():
                store.save_sync_state(name, last_attempt=at, bookmark=at, last_success=at,
                                      last_error=None, last_full=at,
                                      source_print=source_print)  # fmt: skip
    finally:
        store.close()
    language = settings.language
    seconds = number(time.perf_counter() - clock, language, 1)
    for name, (_, fetched) in prints.items():
        echo(t("sync.result", language, source=name, kind=t("sync.full", language),
               fetched=fetched, changed=0, stage_changes=0, removed=0, warnings=0,
               seconds=seconds))  # fmt: skip
        echo("  " + t("sync.rows", language, source=name, read=fetched, stored=fetched, skipped=0))
    return 0
