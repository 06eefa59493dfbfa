"""`pipeline-bot migrate-store --to postgresql://… [--replace]`: the SQLite store into PostgreSQL.

Glue only: checks the two targets, opens both stores (the PostgreSQL one is created or upgraded
by the store's own migrations), hands the copy to `bot.db.migrate_store`, and prints the rows
per table and the next step. The SQLite file is only read.
"""

from __future__ import annotations

import argparse

from bot.commands.common import open_store
from bot.errors import UsageError
from bot.i18n import t
from bot.settings import Settings
from bot.terminal import echo


def migrate_store(settings: Settings, args: argparse.Namespace) -> int:
    """Copy the configured SQLite store into the PostgreSQL store `--to` (see the module)."""
    from bot.db.migrate_store import CopyFailed, MissingTable, TargetNotEmpty, migrate
    from bot.db.target import describe, is_postgres

    lang, target = settings.language, str(args.to).strip()
    if not is_postgres(target):
        raise UsageError(t("migrate.not_url", lang, target=target))
    source_name = settings.db_description
    if is_postgres(settings.db_path):
        raise UsageError(t("migrate.from_postgres", lang, source=source_name))
    shown = describe(target)
    source = open_store(settings)  # an existing file, migrated to this release's schema
    try:
        echo(t("migrate.copying", lang, source=source_name, target=shown))
        copied = migrate(source.conn, target, replace=args.replace)
    except TargetNotEmpty as exc:
        raise UsageError(t("migrate.not_empty", lang, target=shown, n=exc.deals,
                           source=source_name)) from None  # fmt: skip
    except MissingTable as exc:
        raise UsageError(t("migrate.missing_table", lang, target=shown, table=exc.table,
                           columns=", ".join(exc.columns) or "—")) from None  # fmt: skip
    except CopyFailed as exc:
        raise UsageError(t("migrate.failed", lang, target=shown, error=exc,
                           source=source_name)) from None  # fmt: skip
    finally:
        source.close()
    for table, rows in copied:
        echo(t("migrate.table", lang, table=table, rows=rows))
    echo(t("migrate.done", lang, rows=sum(c.rows for c in copied), tables=len(copied),
           source=source_name))  # fmt: skip
    echo(t("migrate.next", lang, target=shown))
    return 0
