"""CSV files and Google Sheets published as CSV (`kind = "csv"`).

A sheet has no history and no "updated since" filter: every sync reads the whole sheet (a snapshot)
and the sync engine records a status change when a row shows a new status. Column names are the
contract's deal fields, renamed by `[sources.fields]`, matched ignoring case, accents and spaces.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import ClassVar
from zoneinfo import ZoneInfo

from pydantic import model_validator

from integrations.base import (
    DEAL_FIELDS,
    Adapter,
    SourceError,
    SourceSettings,
    Task,
    register,
)
from integrations.deal_fields import normalise_name
from integrations.values import (
    currency_code,
    parse_amount,
    parse_date,
    parse_datetime,
    parse_probability,
)


class CsvSettings(SourceSettings):
    """`path` (relative to the config file) or `url`; `timezone` reads bare dates and times."""

    path: str | None = None
    url: str | None = None
    delimiter: str | None = None
    encoding: str = "utf-8-sig"
    timezone: str = "Europe/Paris"

    @model_validator(mode="after")
    def _one_location(self) -> CsvSettings:
        if bool(self.path) == bool(self.url):
            raise ValueError("a csv source needs exactly one of `path` or `url`")
        return self


@register
class CsvAdapter(Adapter[CsvSettings]):
    kind: ClassVar[str] = "csv"
    settings_model: ClassVar[type[SourceSettings]] = CsvSettings
    snapshot: ClassVar[bool] = True

    def fetch(self, since: datetime | None) -> Iterator[Task]:
        text = self._read()
        yield from parse_csv(text, self.settings)

    def _read(self) -> str:
        settings = self.settings
        if settings.path:
            path = Path(settings.path)
            try:
                return path.read_text(encoding=settings.encoding)
            except FileNotFoundError:
                raise SourceError(f"source '{self.name}': no such file {path}") from None
            except (OSError, UnicodeDecodeError) as exc:
                raise SourceError(f"source '{self.name}': cannot read {path}: {exc}") from None
        from integrations.http import HttpClient

        assert settings.url is not None
        client = HttpClient(self.name, settings.url, headers={"Accept": "text/csv, */*"},
                            **self.http_options)  # fmt: skip
        try:
            response = client.request("GET", settings.url)
        finally:
            client.close()
        if "html" in response.headers.get("Content-Type", ""):
            raise SourceError(
                f"source '{self.name}': the URL answered a web page, not CSV; publish the sheet "
                "to the web as CSV (File > Share > Publish to web > CSV) and use that link"
            )
        return response.content.decode(settings.encoding, errors="replace")


def parse_csv(text: str, settings: CsvSettings) -> Iterator[Task]:
    """Rows → tasks; unreadable cells become warnings naming row, column and value."""
    delimiter = settings.delimiter or _sniff(text)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        return
    columns = _columns(header, settings)
    if "title" not in columns:
        wanted = settings.field_name("title")
        raise SourceError(
            f"source '{settings.source_name}': no '{wanted}' column (columns: {', '.join(header)})"
        )
    tz = ZoneInfo(settings.timezone)
    seen: set[str] = set()
    for number, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        row = {f: cells[i].strip() if i < len(cells) else "" for f, i in columns.items()}
        untitled = not row.get("title")
        if untitled:
            row["title"] = f"(untitled, row {number})"
        task_id = row.get("id") or row["title"]
        duplicate = task_id in seen
        seen.add(task_id)
        task = _task(task_id, row, number, header, columns, settings, tz)
        if untitled:
            task.warnings.append(f"row {number}: no title; loaded as '{row['title']}'")
        if duplicate:
            task.warnings.append(
                f"row {number} ('{row['title']}'): the same deal appears on an earlier row; "
                "this later row wins"
            )
        yield task


def _task(
    task_id: str,
    row: dict[str, str],
    number: int,
    header: list[str],
    columns: dict[str, int],
    settings: CsvSettings,
    tz: ZoneInfo,
) -> Task:
    task = Task(id=task_id, title=row["title"], status=row.get("status") or None)
    for name in ("client", "contact", "owner", "owner_email", "next_step", "lost_reason", "url"):
        setattr(task, name, row.get(name) or None)

    def bad(field: str, reason: str) -> None:
        column = header[columns[field]]
        task.warnings.append(
            f"row {number} ('{task.title}'): column '{column}': {row[field]!r} {reason}; left empty"
        )

    if row.get("amount"):
        try:
            task.amount, task.currency = parse_amount(row["amount"])
        except ValueError:
            bad("amount", "is not an amount")
    if row.get("currency"):
        try:
            task.currency = currency_code(row["currency"])
        except ValueError:
            bad("currency", "is not a currency code (EUR, USD, €)")
    if row.get("probability"):
        try:
            task.probability = parse_probability(row["probability"])
        except ValueError:
            bad("probability", "is not a probability (60, 60 %, 0,6)")
    for name in ("started", "stage_entered"):
        if row.get(name):
            try:
                setattr(task, name, parse_datetime(row[name], tz))
            except ValueError:
                bad(name, "is not a date (2026-03-31 or 31/03/2026)")
    if row.get("expected_close"):
        try:
            task.expected_close = parse_date(row["expected_close"])
        except ValueError:
            bad("expected_close", "is not a date (2026-03-31 or 31/03/2026)")
    return task


def _columns(header: list[str], settings: CsvSettings) -> dict[str, int]:
    by_key = {_normalise_header(name): index for index, name in enumerate(header)}
    found: dict[str, int] = {}
    for field in DEAL_FIELDS:
        index = by_key.get(_normalise_header(settings.field_name(field)))
        if index is not None:
            found[field] = index
    return found


def _normalise_header(text: str) -> str:
    """Looser than custom-field names: `Montant (€)`, `montant-€` and `Montant` are one column."""
    return "".join(ch for ch in normalise_name(text) if ch.isalnum())


def _sniff(text: str) -> str:
    first = text.split("\n", 1)[0]
    return max((";", ",", "\t"), key=first.count)
