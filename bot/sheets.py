"""What a sheet's rows became, for `sync`'s line and `check`'s report, in the configured language.

Why here: `sync` and `check` account for a sheet's rows the same way (read = stored + skipped +
repeated), and `check` reads a sheet through the very reader `sync` uses, writing nothing, so
what it shows is what `sync` will store.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from bot.i18n import localise, said_of, t
from bot.settings import Settings
from bot.terminal import echo
from integrations.base import DEAL_FIELDS, RowReport, SourceError, source_name
from integrations.values import normalise

#: Warnings `check` lists for one sheet before "… and N more".
SHOWN_WARNINGS = 10


def ranges(numbers: Iterable[int]) -> str:
    """`2, 5-7, 9`: row numbers as a person reads them, however many rows are empty."""
    spans: list[list[int]] = []
    for number in sorted(set(numbers)):
        if spans and number == spans[-1][1] + 1:
            spans[-1][1] = number
        else:
            spans.append([number, number])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in spans)


def skipped_detail(rows: RowReport, language: str) -> str:
    """`empty: 12; total: 30-31`: skipped rows grouped by reason."""
    by_reason: dict[str, list[int]] = {}
    for number, reason in rows.skipped:
        by_reason.setdefault(reason, []).append(number)
    return t("skip.separator", language).join(
        t("skip.detail", language, reason=t(f"skip.{reason}", language), rows=ranges(numbers))
        for reason, numbers in by_reason.items()
    )


def describe_rows(source: str, rows: RowReport, language: str, key: str = "sync.rows") -> str:
    """One line: rows read, deals stored, rows skipped (with their numbers), rows repeated."""
    line = t(key, language, source=source, read=rows.read, stored=rows.stored,
             skipped=len(rows.skipped))  # fmt: skip
    if rows.skipped:
        line += f" ({skipped_detail(rows, language)})"
    if rows.repeated:
        line += t("sync.rows.repeated", language, n=len(rows.repeated),
                  rows=ranges(r for r, _ in rows.repeated))  # fmt: skip
    return line


def check_sheet(settings: Settings, raw: dict[str, Any], stored: int | None) -> int:
    """Read one sheet without writing anything and print what `sync` would make of it; returns
    how many things need attention. `stored`: live deals the store holds from it (None: no
    database yet)."""
    from bot.sync import make_adapter
    from integrations.csv_source import CsvAdapter

    language = settings.language
    name = source_name(raw)
    try:
        adapter = make_adapter(raw, settings.secrets.as_env(), base_dir=settings.base_dir,
                               timezone=settings.config.timezone)  # fmt: skip
        assert isinstance(adapter, CsvAdapter)
        statuses: Counter[str] = Counter()
        spelling: dict[str, str] = {}
        warnings: list[str] = []
        for task in adapter.fetch(None):
            key = normalise(task.status or "")
            spelling.setdefault(key, task.status or "")
            if settings.pipeline.stage_of(task.status) is None:
                statuses[key] += 1
            warnings.extend(task.warnings)
        warnings.extend(adapter.warnings)
    except SourceError as exc:
        error = localise(said_of(exc), language)
        echo(t("check.sheet.failed", language, source=name, error=error))
        return 1
    sheet = adapter.sheet
    attention = 0
    delimiter = "tab" if sheet.delimiter == "\t" else sheet.delimiter
    echo(t("check.sheet.read", language, source=name, encoding=sheet.encoding_name,
            delimiter=delimiter))  # fmt: skip
    columns = sheet.columns
    if columns is None:  # nothing but an empty header
        echo(t("check.sheet.empty", language))
        if stored:
            attention += 1
            echo(t("check.sheet.empty_refused", language, n=stored, source=name))
        return attention
    echo(describe_rows(name, sheet.rows, language, key="check.sheet.rows"))
    used = ", ".join(f"{f} ← '{columns.name(f)}'" for f in DEAL_FIELDS if f in columns.index)
    echo(t("check.sheet.columns", language, columns=used))
    missing = [f for f in DEAL_FIELDS if f not in columns.index]
    if missing:
        echo(t("check.sheet.no_column", language, fields=", ".join(missing)))
    if "id" not in columns.index:
        echo(t("check.sheet.no_id", language))
    if "stage_entered" not in columns.index:
        echo(t("check.sheet.no_since", language))
    if not sheet.rows.stored and stored:
        attention += 1
        echo(t("check.sheet.empty_refused", language, n=stored, source=name))
    if "status" not in columns.index:
        attention += 1
        echo(t("check.sheet.no_status", language))
    elif statuses:
        attention += 1
        echo(t("check.sheet.unmapped", language))
        for key, count in statuses.most_common():
            shown = f"« {spelling[key]} »" if key else t("check.sheet.no_status_value", language)
            echo(t("check.sheet.unmapped_row", language, status=shown, n=count))
    if warnings:
        attention += 1
        echo(t("check.sheet.warnings", language, n=len(warnings)))
        for warning in warnings[:SHOWN_WARNINGS]:
            echo(f"    {localise(warning, language)}")
        if len(warnings) > SHOWN_WARNINGS:
            echo(t("check.sheet.more", language, n=len(warnings) - SHOWN_WARNINGS))
    return attention
