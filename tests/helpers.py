"""Test helpers: load hand-made tasks through the real sync engine into a real database (a SQLite
file, or a database on a real PostgreSQL server in the PostgreSQL run)."""

from __future__ import annotations

import atexit
import contextlib
import functools
import io
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import warnings
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import vcr

from bot.analytics import Context
from bot.db.target import is_postgres
from bot.pipeline import DEFAULT_STAGES, Pipeline
from bot.query import answer, parse
from bot.render.json_out import to_json
from bot.render.text import Style, render
from bot.store import Store
from bot.sync import SyncResult, sync_source
from integrations.base import Adapter, SourceSettings, StatusChange, Task
from tests.pg_server import PgServer


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


def utc(text: str) -> datetime:
    """`utc("2026-03-02T09:00")`: an aware datetime, UTC unless the text gives an offset."""
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


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
        history.append(StatusChange(at=utc(when), to_status=to, from_status=previous))
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


#: The engine the whole run tests: `PIPELINE_TEST_ENGINE=postgresql` runs every test on a real
#: PostgreSQL server this process starts (tests/pg_server.py); SQLite by default.
ENGINE = os.environ.get("PIPELINE_TEST_ENGINE", "sqlite").strip().lower() or "sqlite"
if ENGINE not in ("sqlite", "postgresql"):
    raise RuntimeError(f"PIPELINE_TEST_ENGINE must be sqlite or postgresql, not {ENGINE!r}")
ON_POSTGRES = ENGINE == "postgresql"

_pg_databases: dict[Path, str] = {}
_pg_lock = threading.Lock()


def db_target(path: str | Path) -> str | Path:
    """Where a test's database is: `path` itself on SQLite; on PostgreSQL the URL of a fresh
    database standing for `path` (the same one each time this test asks for `path`, so a test
    and the commands it runs share it), copied from one migrated once per test process and
    dropped when the test ends."""
    if not ON_POSTGRES or is_postgres(path):
        return path
    path = Path(path)
    with _pg_lock:
        if path not in _pg_databases:
            _pg_databases[path] = pg_server().new_database(_migrate)
        return _pg_databases[path]


def drop_test_databases(keep: Collection[Path]) -> None:
    """Drop the PostgreSQL databases handed out for any path but `keep` (a wider-scoped
    fixture's)."""
    from bot.db.pg_connection import close_idle

    with _pg_lock:
        for path in [p for p in _pg_databases if p not in keep]:
            url = _pg_databases.pop(path)
            close_idle(url)  # the connections this process kept for reuse go first
            pg_server().drop_database(url)


@functools.cache
def pg_server() -> PgServer:
    """This process's PostgreSQL server, started on first use, stopped when the process ends."""
    server = PgServer().start()
    atexit.register(server.stop)
    return server


def _migrate(url: str) -> None:
    from bot.db.pg_connection import close_idle

    Store(url).close()
    close_idle(url)  # a template must have no connection open, even an idle one kept for reuse


def store_at(path: str | Path) -> Store:
    """The store of `db_target(path)`; a new one is first copied from a database migrated once
    per test process: what a new database is after its first open, without migrating it again."""
    if ON_POSTGRES:
        return Store(db_target(path))
    path = Path(path)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(_migrated_template(), path)
    return Store(path)


@functools.cache
def _migrated_template() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="pipeline-bot-tests-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    Store(folder / "template.db").close()  # closed: the WAL checkpointed into the file
    return folder / "template.db"


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


ROOT = Path(__file__).resolve().parent.parent
CASSETTES = ROOT / "tests" / "cassettes"

#: Hand-written vcrpy cassettes in the vendors' shapes, replayed with record mode `none`: a
#: request not in the cassette fails, so no test can reach a vendor; credentials are filtered.
REPLAYER = vcr.VCR(
    cassette_library_dir=str(CASSETTES),
    record_mode="none",
    match_on=["method", "scheme", "host", "port", "path", "query"],
    filter_headers=["authorization"],
    filter_query_parameters=["key", "token"],
    decode_compressed_response=True,
)


def replay(name: str, **options: Any) -> AbstractContextManager[Any]:
    """`with replay("trello/full_sync.yaml") as cass:` replays that file, each answer once
    (`cass.all_played` says none was left); `ignore_localhost=True` lets the bot's endpoint and
    the Slack stand-in stay real beside it."""
    return REPLAYER.use_cassette(name, allow_playback_repeats=False, **options)


def cli(
    folder: Path, *args: str, env: Mapping[str, str] | None = None, process: bool = False
) -> subprocess.CompletedProcess[str]:
    """`pipeline-bot ARGS` run in `folder` with the environment less any `PIPELINE_*`/`SLACK_*`
    variable (plus `env`): exit status, stdout and stderr as a user sees them.

    In this process by default (`bot.cli.main`, a fresh start's state for what a process would
    not share: cwd, environment, logging's last resort on stderr, Python's default warning
    filters, the secrets the redactor knows); `process=True` starts `python -m bot.cli` for
    the tests that are about the process itself (entry point, imports, signals)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PIPELINE_", "SLACK_"))}
    if ON_POSTGRES and "--db" not in args:  # ./pipeline.db: this test's PostgreSQL database
        clean["PIPELINE_DB"] = str(db_target(folder / "pipeline.db"))
    clean.update(env or {})
    if process:
        clean["PYTHONPATH"] = str(ROOT)  # the checkout under test, whatever is pip-installed
        return subprocess.run(
            [sys.executable, "-m", "bot.cli", *args],
            cwd=folder, capture_output=True, text=True, timeout=120, env=clean,
        )  # fmt: skip
    out, err = io.StringIO(), io.StringIO()
    with (
        _as_a_fresh_process(folder, clean),
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
    ):
        code = _exit_status(list(args))
    return subprocess.CompletedProcess(
        ["pipeline-bot", *args], code, _universal(out.getvalue()), _universal(err.getvalue())
    )


def _exit_status(argv: list[str]) -> int:
    """What `sys.exit(main())` makes the exit status; an escaping exception is printed as the
    interpreter would print it (a test then sees the traceback on stderr)."""
    from bot.cli import main

    try:
        return main(argv)
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            return exc.code or 0
        print(exc.code, file=sys.stderr)
        return 1
    except Exception:
        traceback.print_exc()
        return 1


@contextmanager
def _as_a_fresh_process(folder: Path, environ: Mapping[str, str]) -> Iterator[None]:
    import bot.redact

    root = logging.getLogger()
    saved_env, saved_cwd, saved_handlers = dict(os.environ), os.getcwd(), root.handlers[:]
    with bot.redact._lock:
        saved_secrets = (set(bot.redact._values), bot.redact._pattern)
        bot.redact._values.clear()
        bot.redact._pattern = None
    os.environ.clear()
    os.environ.update(environ)
    os.chdir(folder)
    root.handlers = []  # no handler: warnings go to logging's last resort, on stderr
    try:
        with warnings.catch_warnings():
            warnings.resetwarnings()
            for category in (DeprecationWarning, PendingDeprecationWarning, ImportWarning,
                             ResourceWarning):  # fmt: skip
                warnings.simplefilter("ignore", category)  # the interpreter's defaults
            warnings.showwarning = _print_warning
            yield
    finally:
        root.handlers = saved_handlers
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)
        with bot.redact._lock:
            bot.redact._values.clear()
            bot.redact._values.update(saved_secrets[0])
            bot.redact._pattern = saved_secrets[1]


def _print_warning(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                   file: Any = None, line: str | None = None) -> None:  # fmt: skip
    sys.stderr.write(warnings.formatwarning(message, category, filename, lineno, line))


def _universal(text: str) -> str:
    """Newlines as `subprocess.run(text=True)` reads them."""
    return text.replace("\r\n", "\n").replace("\r", "\n")
