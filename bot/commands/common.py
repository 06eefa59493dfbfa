"""What every command shares: the clock it runs at and the store it may open.

Commands that only read the pipeline refuse a database file that does not exist rather than
create an empty one and answer zeros (a command run in the wrong folder).
"""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import Any

from bot.db.target import exists
from bot.errors import UsageError
from bot.settings import Settings


def as_of(settings: Settings, args: argparse.Namespace) -> datetime:
    """`--as-of` (or now) in the configured zone; a date that can't be read is a usage error."""
    from bot.clock import BadDate, parse_as_of

    try:
        return parse_as_of(getattr(args, "as_of", None), settings.tz)
    except BadDate as exc:
        raise UsageError(str(exc)) from None


def require_db(settings: Settings) -> None:
    """Refuse a database file that does not exist (see the module's docstring)."""
    if not exists(settings.db_path):
        from bot.i18n import t

        raise UsageError(t("cli.no_db", settings.language, path=settings.db_description))


def open_store(settings: Settings) -> Any:
    """The store of an existing database, re-mapped if the stage mapping changed since the last
    command (a database that can't be used raises `StoreError`, which `bot.cli` turns into one
    line)."""
    from bot.store import Store

    require_db(settings)
    return Store.open(settings.db_path, settings.pipeline, settings.source_names)
