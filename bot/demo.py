"""`pipeline-bot demo`: the bundled demo agency, loaded through the real sync path, then shown.

No network and no credentials. Unless `--config`/`$PIPELINE_CONFIG` names another config, the demo
uses its own (`bot/data/demo.toml`: the eight-stage pipeline and its statuses), so what it prints is
the same whatever folder it runs in.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

from bot.answers import ask
from bot.db.target import DbTarget, describe, exists, is_postgres
from bot.i18n import t
from bot.query import QUERIES
from bot.settings import CONFIG_ENV, DB_ENV, Settings, load_settings
from bot.store import Store
from bot.sync import sync_source
from bot.terminal import echo
from integrations.base import SourceError
from integrations.demo import DemoAdapter, DemoSettings

#: What the demo prints, in order; queries not installed are skipped.
SHOWN = ("summary", "stalled", "forecast")


def demo_config_path() -> Path:
    return Path(str(resources.files("bot").joinpath("data/demo.toml")))


def demo_settings(explicit_config: str | None, db: str | None) -> Settings:
    """The demo's settings: the given config if any, else the bundled demo agency's."""
    config = explicit_config or os.environ.get(CONFIG_ENV) or str(demo_config_path())
    chosen_db = db or os.environ.get(DB_ENV) or "pipeline-demo.db"  # never the config's `db`
    return load_settings(config, chosen_db)


def prepare_db(path: DbTarget) -> None:
    """Start from an empty file (or PostgreSQL database), but never wipe a database that holds
    someone's real deals."""
    if exists(path):
        store = Store(path)
        try:
            foreign = store.scalar("SELECT COUNT(*) FROM deals WHERE source != 'demo'")
            if not foreign and store.postgres:
                store.empty()
        finally:
            store.close()
        if foreign:
            raise SourceError(
                f"{describe(path)} holds {foreign} deal(s) of your own sources; the demo needs "
                "its own database (drop --db, or give a new path)"
            )
    if is_postgres(path):
        return
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def run_demo(settings: Settings, now: datetime | None = None) -> int:
    moment = now or datetime.now(UTC)
    try:
        prepare_db(settings.db_path)
    except SourceError as exc:
        from bot.errors import UsageError

        raise UsageError(str(exc)) from None
    store = Store(settings.db_path)
    try:
        adapter = DemoAdapter(DemoSettings(kind="demo", today=moment.date()), {})
        result = sync_source(store, settings.pipeline, adapter, now=lambda: moment)
        owners = store.scalar("SELECT COUNT(DISTINCT owner) FROM deals")
        echo(
            f"Demo agency loaded: {result.fetched} deals, {owners} managers, "
            f"into {settings.db_description}\n"
        )
        for name in SHOWN:
            if name in QUERIES:
                echo(ask(settings, store, name, moment).text())
                echo()
    finally:
        store.close()
    config = settings.config_path or demo_config_path()
    echo(
        t("demo.more", settings.language) + "\n"
        f'  pipeline-bot --config "{config}" --db "{settings.db_description}" query entonnoir\n'
        f'  pipeline-bot --config "{config}" --db "{settings.db_description}" query deal Dupain '
        "--json"
    )
    return 0
