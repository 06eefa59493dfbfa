"""`pipeline-bot`: the command line. Parses arguments, builds `Settings` once, dispatches.

User mistakes (bad arguments, an invalid config, an unknown query) end with one line on stderr and
exit status 2, never a traceback. Heavy modules (Slack, HTTP adapters) are imported only by the
commands that use them, so `pipeline-bot query` starts fast.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from bot.commands.common import as_of, open_store
from bot.errors import STORE_FAULTS, StoreError, UsageError
from bot.settings import ConfigError, Settings, load_settings
from bot.terminal import echo, printable

if TYPE_CHECKING:  # the command imports it only when it runs
    from bot.answers import Reply

#: Who is asking, for `query mine`: a Slack user ID of `[people]` or an owner name.
USER_ENV = "PIPELINE_USER"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


class _Version(argparse.Action):
    """`--version`: the installed version is looked up only when asked (reading the
    distribution's metadata costs every other command ~15 ms of start-up)."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS,
                 help: str | None = "show the version and exit") -> None:  # fmt: skip
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, help=help)

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: object, option_string: str | None = None) -> NoReturn:  # fmt: skip
        sys.stdout.write(f"pipeline-bot {version()}\n")
        parser.exit()


#: Every command that needs the settings: "module:function(settings, args)", imported on use so
#: that `query` never pays for Slack or the adapters. `init` and `demo` choose their own config.
COMMANDS: dict[str, str] = {
    "check": "bot.cli:cmd_check",
    "sync": "bot.cli:cmd_sync",
    "query": "bot.cli:cmd_query",
    "nudge": "bot.commands.slack:nudge",
    "digest": "bot.commands.slack:digest",
    "announce": "bot.commands.slack:announce",
    "serve": "bot.commands.slack:serve",
    "webhooks": "bot.commands.webhooks:webhooks",
    "migrate-store": "bot.commands.migrate:migrate_store",
}
#: Commands that build one answer (or one batch of messages) and exit: run with Python's cycle
#: collector off (`one_answer`). Not `sync` (a sheet's rows come and go; its memory must stay
#: flat) nor `serve` (long-lived).
ONE_ANSWER = frozenset({"query", "nudge", "digest"})


def build_parser() -> argparse.ArgumentParser:
    common = _Parser(add_help=False)
    common.add_argument("--config", default=argparse.SUPPRESS, help="pipeline.toml to use")
    common.add_argument("--db", default=argparse.SUPPRESS, help="SQLite file to use")
    as_of = _Parser(add_help=False)
    as_of.add_argument("--as-of", dest="as_of", default=None, metavar="DATE|DATETIME",
                       help="the clock for ages and 'today' (ISO 8601; default: now)")  # fmt: skip

    parser = _Parser(prog="pipeline-bot", description="Your sales pipeline, in Slack.",
                     parents=[common])  # fmt: skip
    parser.add_argument("--version", action=_Version)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    sub.add_parser("init", parents=[common],
                   help="write a commented pipeline.toml and .env.example here")  # fmt: skip
    sub.add_parser("demo", parents=[common],
                   help="load the bundled demo agency and show its pipeline")  # fmt: skip
    sub.add_parser("check", parents=[common],
                   help="validate the config, credentials and unmapped statuses")  # fmt: skip
    sync = sub.add_parser("sync", parents=[common], help="pull deals from the sources")
    sync.add_argument("--source", action="append", metavar="NAME",
                      help="only this source (repeatable)")  # fmt: skip
    sync.add_argument("--full", action="store_true", help="re-read everything, not just changes")
    sync.add_argument("--allow-empty", dest="allow_empty", action="store_true",
                      help="with --full: accept a sheet that comes back empty and mark its "
                      "deals removed (refused otherwise)")  # fmt: skip
    query = sub.add_parser("query", parents=[common, as_of], help="answer a /pipeline question")
    query.add_argument("words", nargs="*", help="the question, e.g. stalled, deal Dupain")
    query.add_argument("--json", action="store_true", help="print the contract's JSON")
    query.add_argument(
        "--png",
        metavar="PATH",
        default=None,
        help="also write the answer's chart: summary, forecast, funnel, owners",
    )
    nudge = sub.add_parser("nudge", parents=[common, as_of], help="send stalled-deal nudges now")
    nudge.add_argument("--dry-run", action="store_true", help="print them, send nothing")
    digest = sub.add_parser("digest", parents=[common, as_of], help="post the weekly digest")
    digest.add_argument("--dry-run", action="store_true", help="print it, send nothing")
    announce = sub.add_parser("announce", parents=[common, as_of],
                              help="post the pending won/lost announcements now")  # fmt: skip
    announce.add_argument("--dry-run", action="store_true", help="print them, send nothing")
    serve = sub.add_parser("serve", parents=[common], help="run the Slack bot and scheduler")
    serve.add_argument("--port", type=int, default=None, help="HTTP port (default $PORT or 3000)")
    hooks = sub.add_parser("webhooks", parents=[common],
                           help="register, list or remove the task managers' change "
                           "notifications to serve's /webhooks/<source>")  # fmt: skip
    hooks.add_argument("action", choices=("register", "list", "remove"))
    hooks.add_argument("ids", nargs="*", metavar="ID", help="remove: only these webhooks")
    hooks.add_argument("--url", default=None,
                       help="register: the public https address of serve")  # fmt: skip
    hooks.add_argument("--source", action="append", metavar="NAME",
                       help="only this source (repeatable)")  # fmt: skip
    move = sub.add_parser("migrate-store", parents=[common],
                          help="copy this SQLite store into a PostgreSQL store")  # fmt: skip
    move.add_argument("--to", required=True, metavar="postgresql://…",
                      help="the PostgreSQL store to fill (empty, or --replace)")  # fmt: skip
    move.add_argument("--replace", action="store_true",
                      help="overwrite a PostgreSQL store that already holds deals")  # fmt: skip
    return parser


def version() -> str:
    """The installed distribution's version (what pip and `pip show` report)."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("pipeline-bot")
    except PackageNotFoundError:
        return "unknown (not installed: pip install -e .)"


def main(argv: Sequence[str] | None = None) -> int:
    from bot.redact import install_logging_filter

    install_logging_filter()
    try:
        args = build_parser().parse_args(argv)
        return dispatch(args)
    except (UsageError, StoreError) as exc:
        echo(f"pipeline-bot: {exc}", err=True)
        return 2
    except ConfigError as exc:
        from bot.i18n import localise, t

        for problem in exc.problems:
            echo(t("config.invalid", exc.language, problem=localise(problem, exc.language)),
                 err=True)  # fmt: skip
        return 2
    except KeyboardInterrupt:
        echo("pipeline-bot: interrupted", err=True)
        return 130
    except BrokenPipeError:
        # the reader went away (`| head`): stop quietly, as other command-line tools do
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141


def dispatch(args: argparse.Namespace) -> int:
    command: str = args.command
    if command == "init":
        return cmd_init(Path.cwd(), args)
    if command == "demo":
        from bot.demo import demo_settings, run_demo

        settings = demo_settings(getattr(args, "config", None), getattr(args, "db", None))
        return with_store_errors(settings, lambda: run_demo(settings))
    settings = load_settings(getattr(args, "config", None), getattr(args, "db", None))
    module, _, func = COMMANDS[command].partition(":")
    run: Callable[[Settings, argparse.Namespace], int] = getattr(
        importlib.import_module(module), func
    )
    with one_answer() if command in ONE_ANSWER else nullcontext():
        return with_store_errors(settings, lambda: run(settings, args))


@contextmanager
def one_answer() -> Iterator[None]:
    """Python's cycle collector off while one answer is built and written. Its objects (a
    `DealView` and a history list per deal of `deal X`) all live until the answer is out, and
    they hold no cycles; the collector would still walk them again and again as they pile up,
    in memory that no longer fits the CPU caches: at 1M deals a third of `deal boulangerie
    --json` (5.8 s → 3.7 s), a fifth at 100k (ARCHITECTURE.md, "Why each speed device exists").
    The process exits right after, handing back whatever is left."""
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def with_store_errors(settings: Settings, command: Callable[[], int]) -> int:
    """Run `command`; any failure of the database file (locked past the busy timeout, read-only,
    corrupt, full, a folder) becomes one line naming the file and what to do (exit 2), wherever
    in the command it happened."""
    from bot.store import store_error

    try:
        return command()
    except STORE_FAULTS as exc:
        failure = store_error(settings.db_path, exc)
        raise UsageError(failure.localised(settings.language)) from None


def cmd_query(settings: Settings, args: argparse.Namespace) -> int:
    from bot.answers import ask
    from bot.query import UnknownQuery, parse

    # The words and the date are checked before the database is opened (or created).
    try:
        question = parse(" ".join(args.words))
    except UnknownQuery as exc:
        raise UsageError(exc.localised(settings.language)) from None
    png = _png_path(question.name, args, settings.language)
    now = as_of(settings, args)
    # No Slack user on the command line: `mine` asks PIPELINE_USER who is asking.
    user = os.environ.get(USER_ENV) or None
    shown = None  # --json and --png: every deal
    if not args.json and png is None:  # the text lists 25 at most: only those are built
        from bot.render.text import MAX_ROWS

        shown = MAX_ROWS
    # --json alone: the long lists are written from the rows as they are read (`stream`), so
    # the store stays open until the answer is written
    stream = args.json and png is None
    store = open_store(settings)
    try:
        reply = ask(settings, store, question, now, user=user, shown=shown, stream=stream)
        if stream:
            _write_json(reply)
    except UnknownQuery as exc:
        raise UsageError(exc.localised(settings.language)) from None
    finally:
        store.close()
    if png is not None:  # the plotting library is imported only here, when a chart is asked
        from bot.charts import chart_style, write_png
        from bot.i18n import t

        try:
            write_png(reply.result, chart_style(settings), png)
        except OSError as exc:
            raise UsageError(
                t("cli.png_cannot_write", settings.language, path=png, error=exc.strerror or exc)
            ) from None
    if args.json and not stream:
        _write_json(reply)
    elif not args.json:
        echo(reply.text())
    return 0


def _write_json(reply: Reply) -> None:
    """Indented for a person at a terminal; compact (C encoder, streamed) for a program; either
    way without escape sequences or control characters (`printable`)."""
    reply.write_json(lambda text: sys.stdout.write(printable(text)),
                     indent=2 if sys.stdout.isatty() else None)  # fmt: skip


def _png_path(name: str, args: argparse.Namespace, language: str) -> Path | None:
    """`--png PATH` checked before the database is opened: a query with a chart, a folder that
    exists (exit 2 otherwise)."""
    from bot.i18n import t
    from bot.query import CHART_QUERIES, UnknownQuery

    if args.png is None:
        return None
    if name not in CHART_QUERIES:
        word = args.words[0] if args.words else name
        error = UnknownQuery("error.no_chart", word=word).localised(language)
        raise UsageError(t("cli.png_no_chart", language, error=error))
    path = Path(args.png).expanduser()
    if not path.parent.is_dir():
        raise UsageError(t("cli.png_no_folder", language, folder=path.parent, name=path.name))
    return path


def cmd_sync(settings: Settings, args: argparse.Namespace) -> int:
    if args.allow_empty and not args.full:
        from bot.i18n import t

        raise UsageError(t("cli.allow_empty_alone", settings.language))
    if not args.source and not args.full:
        from bot.replay import replay  # unchanged sheets: no adapter is even imported

        done = replay(settings)
        if done is not None:
            return done
    from bot.sync_command import run_sync

    return run_sync(settings, names=args.source, full=args.full, allow_empty=args.allow_empty)


def cmd_check(settings: Settings, args: argparse.Namespace) -> int:
    from bot.check import run_check

    return run_check(settings)


def cmd_init(folder: Path, args: argparse.Namespace) -> int:
    from bot.init import write_starter_files

    for line in write_starter_files(folder, init_language(args)):
        echo(line)
    return 0


def init_language(args: argparse.Namespace) -> str:
    """`init` speaks the language of a config already there; French (the default) when there is
    none, or when it cannot be read (init never fails on the config it would have written)."""
    try:
        return load_settings(getattr(args, "config", None), getattr(args, "db", None)).language
    except ConfigError:
        return "fr"


if __name__ == "__main__":
    sys.exit(main())
