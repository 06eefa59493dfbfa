"""CSV files and Google Sheets published as CSV (`kind = "csv"`).

A sheet has no history and no "updated since" filter: every sync reads the whole sheet (a snapshot)
and the sync engine records a status change when a row shows a new status.

One mechanism each, for a path and a URL alike:
- bytes: a URL is downloaded under a size and a total-time limit into a spooled temporary file,
  so both are a seekable byte stream read in chunks (memory stays flat in the sheet's size);
- encoding (`sniff_encoding`): a BOM says UTF-8 (or UTF-16); otherwise the *whole* stream is
  checked as UTF-8 in one streaming pass, and any invalid byte, even on the last row, means
  Windows-1252 (what French Excel writes). Decoding is then strict: a byte that fits neither is a
  clear error naming the row, never a silent U+FFFD;
- delimiter (`sniff_delimiter`): `,`, `;` or tab, the one the header line uses most outside quotes;
- headers (`resolve_columns`): the contract's synonym table, matched by `header_key` (case,
  accents, spaces and punctuation ignored), `[sources.fields]` overriding it;
- rows (`SheetReader`): blank rows, rows with neither title nor status and totals rows are
  skipped and reported by row number; identity by the id column, else by client and title.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import hashlib
import io
import tempfile
import time
from array import array
from collections.abc import Generator, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from itertools import chain
from pathlib import Path
from typing import IO, Any, ClassVar
from zoneinfo import ZoneInfo

import requests
import urllib3
from pydantic import model_validator

from bot.i18n import Said
from integrations.base import (
    DEAL_FIELDS,
    Adapter,
    RowReport,
    SourceDocs,
    SourceError,
    SourceSettings,
    Task,
    Unparsed,
    register,
)
from integrations.http import HttpClient, HttpError
from integrations.values import (
    currency_code,
    header_key,
    normalise,
    parse_amount,
    parse_date,
    parse_datetime,
    parse_probability,
)

#: Header names recognised for each deal field besides its own name (the contract's table).
HEADER_SYNONYMS: dict[str, tuple[str, ...]] = {
    "id": ("ref", "réf", "référence", "reference", "n°", "numéro"),
    "title": ("titre", "affaire", "deal", "opportunité", "opportunity", "projet", "project",
              "nom", "name", "intitulé"),
    "client": ("société", "entreprise", "company", "account", "compte", "organisation"),
    "contact": ("interlocuteur",),
    "owner": ("responsable", "commercial", "manager", "chargé d'affaires", "assignee",
              "assigned to", "propriétaire"),
    "owner_email": ("email", "e-mail", "courriel"),
    "status": ("statut", "état", "stage", "étape"),
    "amount": ("montant", "montant HT", "montant TTC", "value", "valeur", "budget", "prix",
               "price"),
    "currency": ("devise",),
    "probability": ("probabilité", "proba", "chances"),
    "started": ("start", "début", "date de début", "créé le", "created", "date de création"),
    "expected_close": ("close date", "clôture prévue", "date de clôture",
                       "date de clôture prévue", "échéance", "due date"),
    "stage_entered": ("depuis", "depuis le", "status since", "dernier changement",
                      "last change"),
    "next_step": ("prochaine étape", "action suivante", "prochaine action", "next action"),
    "lost_reason": ("raison du refus", "raison de la perte", "motif de perte", "motif",
                    "reason"),
    "url": ("lien", "link"),
}  # fmt: skip


def _header_table() -> dict[str, str]:
    table: dict[str, str] = {}
    for deal_field in DEAL_FIELDS:
        for name in (deal_field, *HEADER_SYNONYMS.get(deal_field, ())):
            key = header_key(name)
            if table.setdefault(key, deal_field) != deal_field:  # the table must stay one-to-one
                raise AssertionError(f"header {name!r} claimed by two fields")
    return table


#: header_key(name) -> deal field, for every recognised header.
FIELD_OF_HEADER: dict[str, str] = _header_table()

#: How many rows from the top may hold a title and blank lines above the header.
HEADER_SCAN = 10
#: What the csv module accepts at most per cell (its default limit): longer cells are cut.
CELL_LIMIT = 131_072
#: Beyond this a "cell" is not a cell: the file is not a sheet (the csv module stops there).
_HARD_CELL_LIMIT = 64 * 1024 * 1024
_CHUNK = 1024 * 1024
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16"))  # fmt: skip
_ENCODING_NAMES = {"utf-8-sig": "UTF-8", "utf-8": "UTF-8", "cp1252": "Windows-1252",
                   "utf-16": "UTF-16"}  # fmt: skip


class CsvSettings(SourceSettings):
    """`path` (relative to the config file) or `url`; `timezone` reads bare dates and times.

    `encoding` and `delimiter` force what is otherwise detected; `max_mb` and `max_seconds`
    bound a URL download (a sheet bigger or slower than that is refused in one line).
    """

    path: str | None = None
    url: str | None = None
    delimiter: str | None = None
    encoding: str | None = None
    timezone: str = "Europe/Paris"
    max_mb: float = 50
    max_seconds: float = 120

    @model_validator(mode="after")
    def _one_location(self) -> CsvSettings:
        if bool(self.path) == bool(self.url):
            raise ValueError(Said("config.csv_location"))
        return self


#: `CsvSettings` that say where the sheet is, not how its cells read (left out of the salt of
#: a row's fingerprint)
WHERE_NOT_HOW = frozenset({"path", "url", "max_mb", "max_seconds"})


@dataclass
class Columns:
    """Which column holds each deal field, and what the matching had to say."""

    header: list[str]
    index: dict[str, int] = field(default_factory=dict)
    #: (deal field, header used, header also matching it but ignored)
    also: list[tuple[str, str, str]] = field(default_factory=list)
    #: (deal field, name `[sources.fields]` gave, nearest headers) for names matching no header
    unknown: list[tuple[str, str, list[str]]] = field(default_factory=list)

    def name(self, deal_field: str) -> str:
        return self.header[self.index[deal_field]]


def resolve_columns(header: list[str], fields: Mapping[str, str]) -> Columns:
    """The column of each deal field: `[sources.fields]` names first, then the synonym table,
    left to right (when two headers claim one field, the first wins and the other is noted)."""
    keys = [header_key(name) for name in header]
    columns = Columns(header=header)
    for deal_field, name in fields.items():
        wanted = header_key(name)
        if wanted in keys:
            columns.index[deal_field] = keys.index(wanted)
        else:
            near = difflib.get_close_matches(wanted, [k for k in keys if k], n=3, cutoff=0.5)
            columns.unknown.append((deal_field, name, [header[keys.index(k)] for k in near]))
    taken = set(columns.index.values())
    for position, key in enumerate(keys):
        claims = FIELD_OF_HEADER.get(key) if key else None
        if claims is None or position in taken or claims in fields:
            continue
        if claims in columns.index:
            columns.also.append((claims, columns.name(claims), header[position]))
        else:
            columns.index[claims] = position
    return columns


def sniff_encoding(stream: IO[bytes]) -> str:
    """UTF-8 (with or without BOM) when every byte of the stream is valid UTF-8, else cp1252.

    Why the whole stream: a sheet in Windows-1252 may be pure ASCII for thousands of rows before
    its first `é`; deciding on a prefix would then fail (or worse, garble) far down the file.
    One pass in chunks costs a read of the file, not its size in memory. The stream is left at
    its start.
    """
    stream.seek(0)
    head = stream.read(4)
    stream.seek(0)
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return encoding
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        while chunk := stream.read(_CHUNK):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "cp1252"
    finally:
        stream.seek(0)
    return "utf-8"


def sniff_delimiter(line: str) -> str:
    """`;`, tab or `,`: whichever the header line uses most outside quotes (`,` when none)."""
    counts = {";": 0, "\t": 0, ",": 0}
    quoted = False
    for char in line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _encoding_for(forced: str | None, charset: str | None, stream: IO[bytes]) -> str:
    """The forced `encoding`, else the response's charset, else what the bytes say; UTF-8 is
    read as `utf-8-sig` so a BOM never sticks to the first header."""
    named = forced or charset
    if named:
        try:
            canonical = codecs.lookup(named).name
        except LookupError:
            raise ValueError(f"unknown encoding {named!r}") from None
        return "utf-8-sig" if canonical == "utf-8" else canonical
    return sniff_encoding(stream)


@dataclass
class Sheet:
    """What reading a sheet found, beside its tasks: for `check` and the `sync` line."""

    rows: RowReport = field(default_factory=RowReport)
    columns: Columns | None = None
    encoding: str = ""
    delimiter: str = ""
    #: per-source problems with the sheet as a whole (a header claimed twice…)
    notes: list[str] = field(default_factory=list)

    @property
    def encoding_name(self) -> str:
        return _ENCODING_NAMES.get(self.encoding, self.encoding)


@register
class CsvAdapter(Adapter[CsvSettings]):
    kind: ClassVar[str] = "csv"
    docs = SourceDocs(
        title="CSV / Google Sheets",
        key="`path` (relative to the config) or `url`",
        status="the `status` column",
        history="a `stage_entered` (« Depuis le ») column, else snapshots between syncs",
    )
    settings_model: ClassVar[type[SourceSettings]] = CsvSettings
    snapshot: ClassVar[bool] = True

    def connect(self) -> None:
        self.sheet = Sheet()
        self.rows = self.sheet.rows

    def fetch(self, since: datetime | None) -> Iterator[Task]:
        for row in self._unparsed():
            yield row.parse()

    def source_fingerprint(self) -> str | None:
        """The file's bytes and this source's settings, hashed (a URL: None, read as rows)."""
        if not self.settings.path:
            return None
        digest = hashlib.blake2b(self.settings.model_dump_json().encode(), digest_size=16)
        try:
            with Path(self.settings.path).open("rb") as stream:
                while chunk := stream.read(1 << 20):
                    digest.update(chunk)
        except OSError:
            return None  # reading it as rows reports the problem
        return digest.hexdigest()

    def fetch_rows(self, since: datetime | None) -> Iterator[Task | Unparsed]:
        """Rows parsed only if the sync engine asks (their fingerprint changed)."""
        yield from self._unparsed()

    def _unparsed(self) -> Iterator[Unparsed]:
        self.sheet = Sheet()
        self.rows = self.sheet.rows
        with self._open() as (stream, charset):
            reader = SheetReader(self.settings, self.sheet)
            yield from reader.unparsed(stream, charset)
        for note in self.sheet.notes:
            self._warn(note)

    def _open(self) -> _Opened:
        settings = self.settings
        if settings.path:
            path = Path(settings.path)
            try:
                return _Opened(path.open("rb"), None)
            except FileNotFoundError:
                raise SourceError(Said("csv.no_file", source=self.name, path=path)) from None
            except OSError as exc:
                raise SourceError(
                    Said("csv.cannot_read", source=self.name, path=path, error=exc.strerror)
                ) from None
        assert settings.url is not None
        return self._download(settings.url)

    def _download(self, url: str) -> _Opened:
        """The body of `url` in a spooled temporary file, under `max_mb` and `max_seconds`."""
        settings = self.settings
        limit = int(settings.max_mb * 1024 * 1024)
        deadline = time.monotonic() + settings.max_seconds
        client = HttpClient(self.name, url, headers={"Accept": "text/csv, */*"},
                            **self.http_options)  # fmt: skip
        body = tempfile.SpooledTemporaryFile(max_size=_CHUNK)  # noqa: SIM115 - returned open
        try:
            response = client.request("GET", url, stream=True)
            kind = response.headers.get("Content-Type", "")
            if "html" in kind:
                raise SourceError(Said("csv.web_page", source=self.name))
            declared = response.headers.get("Content-Length", "")
            too_big = Said("csv.too_big", source=self.name, mb=f"{settings.max_mb:g}")
            if declared.isdigit() and int(declared) > limit:
                raise SourceError(too_big)
            size = 0
            while chunk := _read_some(response, client, url):
                size += len(chunk)
                if size > limit:
                    raise SourceError(too_big)
                if time.monotonic() > deadline:
                    raise SourceError(
                        Said("csv.too_slow", source=self.name, seconds=f"{settings.max_seconds:g}")
                    )
                body.write(chunk)
            response.close()
        except BaseException:
            body.close()
            raise
        finally:
            client.close()
        body.seek(0)
        return _Opened(body, response.encoding if "charset" in kind.lower() else None)


def _read_some(response: requests.Response, client: HttpClient, url: str) -> bytes:
    """What the server has sent so far (at most 64 KiB): returns as soon as any bytes arrive, so
    a server dripping one byte every few seconds is caught by the total-time limit."""
    try:
        return bytes(response.raw.read1(65536, decode_content=True))
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        reason = "timed out" if "timed out" in str(exc).lower() else "connection broken"
        raise HttpError(client.source, "GET", url, None, reason) from None


def _filled(cells: list[str]) -> int:
    return sum(1 for cell in cells if cell.strip())


def _bad_byte(stream: IO[bytes], encoding: str, error: UnicodeDecodeError) -> tuple[int, str]:
    """The line number and the byte (`0x81`) that `encoding` cannot read: decoding works in
    chunks, so the error itself only knows its place in one chunk."""
    stream.seek(0)
    for number, line in enumerate(stream, start=1):
        try:
            line.decode(encoding)
        except UnicodeDecodeError as exc:
            return number, f"0x{line[exc.start]:02x}"
    return 1, f"0x{error.object[error.start]:02x}"


class _Opened:
    """A byte stream and the charset its server named, closed after reading."""

    def __init__(self, stream: IO[bytes], charset: str | None):
        self.stream, self.charset = stream, charset

    def __enter__(self) -> tuple[IO[bytes], str | None]:
        return self.stream, self.charset

    def __exit__(self, *exc: object) -> None:
        self.stream.close()


class SheetReader:
    """Rows of one sheet → tasks, every row accounted for in `sheet.rows`."""

    def __init__(self, settings: CsvSettings, sheet: Sheet):
        self.settings = settings
        self.sheet = sheet
        self.source = settings.source_name
        self.tz = ZoneInfo(settings.timezone)
        self.row = 1

    def tasks(self, stream: IO[bytes], charset: str | None = None) -> Iterator[Task]:
        """Each row's task (see `unparsed`)."""
        for row in self.unparsed(stream, charset):
            yield row.parse()

    def unparsed(self, stream: IO[bytes], charset: str | None = None) -> Iterator[Unparsed]:
        """Decode, find the header and yield each row, its cells' fingerprint and how to parse
        it (a problem with the sheet as a whole raises `SourceError` before the first row, so
        nothing of it is written). The fingerprint covers the source's settings and the header
        (a renamed column or another timezone reads the same cells differently); a row with
        notes has none, so its warnings are reported at every sync.

        With an id column the sheet is read twice (a seekable stream: a file, or the
        downloaded copy): the first pass finds the last row of each id, so a repeated id
        yields only its winning row, once, and the store never sees two versions of a deal.
        """
        sheet = self.sheet
        try:
            sheet.encoding = _encoding_for(self.settings.encoding, charset, stream)
        except ValueError as exc:
            raise SourceError(f"source '{self.source}': {exc}") from None
        csv.field_size_limit(max(csv.field_size_limit(), _HARD_CELL_LIMIT))
        try:
            records = self._records(stream)
            found = self._header(records)
            if found is None:
                return
            start, header, rows = found
            columns = self._columns(header)
            # where the sheet lies and how long a download may take do not change how a cell
            # reads: a sheet moved to another folder or URL is not re-read whole
            read_as = self.settings.model_dump_json(exclude=set(WHERE_NOT_HOW))
            context = "\x1e".join([read_as, *header]).encode()
            salt = hashlib.blake2b(context, digest_size=16).hexdigest()
            ids = SheetIds()
            if "id" in columns.index:
                ids = self._ids(stream, start, columns.index["id"])
                records.close()  # the id pass moved the stream: the rows are read again
                rows = ((n, c) for n, c in self._records(stream) if n > start)
            identity = Identity(ids, sheet.rows, sheet.notes)
            for self.row, cells in rows:
                row = self._row(self.row, cells, columns, identity, salt)
                if row is not None:
                    yield row
        except UnicodeDecodeError as exc:
            line, byte = _bad_byte(stream, sheet.encoding, exc)
            said = Said("csv.undecodable", source=self.source, line=line, byte=byte,
                        encoding=sheet.encoding_name)  # fmt: skip
            raise SourceError(said) from None
        except csv.Error as exc:
            raise SourceError(Said("csv.bad_csv", source=self.source, row=self.row,
                                   error=str(exc))) from None  # fmt: skip

    def _records(self, stream: IO[bytes]) -> Generator[tuple[int, list[str]], None, None]:
        """(row number, cells) of every record from the start, the header being row 1."""
        stream.seek(0)
        text = io.TextIOWrapper(stream, encoding=self.sheet.encoding, newline="")
        try:
            first = text.readline()
            if not self.sheet.delimiter:
                self.sheet.delimiter = self.settings.delimiter or sniff_delimiter(first)
            reader = csv.reader(chain([first], text), delimiter=self.sheet.delimiter)
            yield from enumerate(reader, start=1)
        finally:
            if not stream.closed:  # leave the byte stream open for a second pass
                text.detach()

    def _header(
        self, records: Iterator[tuple[int, list[str]]]
    ) -> tuple[int, list[str], Iterator[tuple[int, list[str]]]] | None:
        """The header's row number, its cells, and the rows after it (None: an empty sheet).

        The header is row 1, except when a sheet opens with a title and blank lines (rows of at
        most one filled cell, as Excel exports a heading above the table): then the first row
        within `HEADER_SCAN` with two filled cells is the header if it names a title column.
        The rows above it are skipped and reported ("above_header").
        """
        scanned: list[tuple[int, list[str]]] = []
        for number, cells in records:
            scanned.append((number, cells))
            if _filled(cells) >= 2 or len(scanned) >= HEADER_SCAN:
                break
        filled = [(number, cells) for number, cells in scanned if _filled(cells)]
        if not filled:
            return None
        number, cells = filled[0]
        last_number, last = scanned[-1]
        if last_number != number and _filled(last) >= 2:
            fields = {k: v for k, v in self.settings.fields.items() if k in DEAL_FIELDS}
            if "title" in resolve_columns([c.strip() for c in last], fields).index:
                number, cells = last_number, last
        for above, above_cells in scanned:
            if above < number:
                self.sheet.rows.read += 1
                self.sheet.rows.skip(above, "above_header" if _filled(above_cells) else "empty")
        after = [(n, c) for n, c in scanned if n > number]
        return number, [cell.strip() for cell in cells], chain(after, records)

    def _ids(self, stream: IO[bytes], header: int, column: int) -> SheetIds:
        """The first pass over a sheet with an id column: which ids repeat, and the last row of
        each of those.

        Memory stays flat in the sheet's size: the pass keeps 8 bytes of hash per id (a dict of
        every id to its row took 190 MB at a million rows); only when two hashes are equal does
        a second look read those rows' ids as text, so the rule is exact (a hash collision of
        two different ids is told apart there)."""
        import numpy as np

        digests = array(
            "Q", (_digest(explicit) for _, explicit in self._id_cells(stream, header, column))
        )
        if not digests:
            return SheetIds()
        taken = np.sort(np.frombuffer(digests, dtype=np.uint64))
        del digests
        twice = taken[1:][taken[1:] == taken[:-1]]
        if not len(twice):
            return SheetIds(taken, {})
        shared = {int(d) for d in twice}
        last: dict[str, int] = {}
        seen: dict[str, int] = {}
        for number, explicit in self._id_cells(stream, header, column):
            if _digest(explicit) in shared:
                last[explicit] = number
                seen[explicit] = seen.get(explicit, 0) + 1
        return SheetIds(taken, {key: row for key, row in last.items() if seen[key] > 1})

    def _id_cells(self, stream: IO[bytes], header: int, column: int) -> Iterator[tuple[int, str]]:
        """(row, id) of every row below the header with an id, read from the stream's start."""
        for number, cells in self._records(stream):
            self.row = number
            if number > header and column < len(cells) and cells[column].strip():
                yield number, cells[column].strip()[:CELL_LIMIT]

    def _columns(self, header: list[str]) -> Columns:
        columns = resolve_columns(header, {k: v for k, v in self.settings.fields.items()
                                           if k in DEAL_FIELDS})  # fmt: skip
        self.sheet.columns = columns
        shown = ", ".join(f"'{h}'" for h in header if h)
        for deal_field, name, near in columns.unknown:
            nearest = ", ".join(f"'{n}'" for n in near) if near else shown
            raise SourceError(Said("csv.unknown_field", source=self.source, field=deal_field,
                                   name=name, nearest=nearest))  # fmt: skip
        if "title" not in columns.index:
            raise SourceError(Said("csv.no_title", source=self.source, columns=shown))
        for deal_field, used, other in columns.also:
            self.sheet.notes.append(
                Said(
                    "csv.header_twice", source=self.source, field=deal_field, used=used, other=other
                )  # fmt: skip
            )
        return columns

    def _row(
        self, number: int, cells: list[str], columns: Columns, identity: Identity, salt: str
    ) -> Unparsed | None:
        rows = self.sheet.rows
        rows.read += 1
        if not any(cell.strip() for cell in cells):
            rows.skip(number, "empty")
            return None
        notes: list[str] = []
        values: dict[str, str] = {}
        for deal_field, index in columns.index.items():
            cell = cells[index].strip() if index < len(cells) else ""
            if len(cell) > CELL_LIMIT:
                notes.append(Said("csv.cell_cut", row=number, column=columns.header[index],
                                  length=len(cell), limit=CELL_LIMIT))  # fmt: skip
                cell = cell[:CELL_LIMIT]
            values[deal_field] = cell
        title, status = values.get("title", ""), values.get("status", "")
        if not title and not status:
            rows.skip(number, "no_title_status")
            return None
        if not status and header_key(title).startswith(("total", "soustotal", "subtotal")):
            rows.skip(number, "total")
            return None
        if not title:
            values["title"] = f"(untitled, row {number})"
            notes.append(Said("csv.untitled", row=number, title=values["title"]))
        task_id = identity.of(number, values, notes)
        if task_id is None:
            return None
        fingerprint = None if notes else salt + "\x1f".join(cells)
        parse = partial(_noted_task, task_id, values, number, columns, self.tz, notes, title)
        return Unparsed(task_id, fingerprint, parse)


class Identity:
    """The one identity rule for sheet rows.

    With an id column, a row is its id; a repeated id: the later row wins, the earlier ones are
    reported and not loaded. Without one (or on a row whose id cell is empty), a row is its
    client and title, normalised (`normalise`: case, accents, spaces and apostrophes ignored):
    `dupain/site vitrine`. Rows repeating both are told apart by order of appearance: the
    second is `…#2`, the third `…#3`.

    Why this is stable enough across re-syncs: adding, removing, editing or moving *other* rows
    never changes a row's identity; fixing the case or accents of a title keeps it. Only
    removing or reordering rows that repeat the same client and title shifts which of them is
    `#2` (an id column settles even that). No row with a title is ever merged with another: a
    generated identity that happens to equal one already given takes the next free number.
    """

    def __init__(self, ids: SheetIds, rows: RowReport, notes: list[str]):
        #: the first pass's findings: every id's hash, and the winning row of each repeated id
        self.ids = ids
        self.rows = rows
        self.notes = notes
        #: digests of the identities generated so far (explicit ids are in `ids.taken`): 8
        #: bytes of hash each, not the text
        self.given: set[int] = set()
        self.repeats: dict[str, int] = {}

    def of(self, number: int, values: Mapping[str, str], notes: list[str]) -> str | None:
        """The row's task id, or None for a row whose id a later row takes over (reported)."""
        explicit = values.get("id", "")
        if explicit:
            winner = self.ids.winners.get(explicit, number)
            if winner != number:
                self.rows.repeated.append((number, winner))
                self.notes.append(Said("csv.repeated_id", row=number, id=explicit, later=winner))
                return None
            self.rows.stored += 1
            return explicit
        if self.ids.any:
            notes.append(Said("csv.no_id", row=number))
        client, title = normalise(values.get("client", "")), normalise(values["title"])
        base = f"{client}/{title}" if client else title
        count = self.repeats.get(base, 1)
        key = base if count == 1 else f"{base}#{count}"
        while self._taken(_digest(key)):  # a repeat (or, once in 2^64, a hash collision)
            count += 1
            key = f"{base}#{count}"
        if count > 1:  # only repeated rows are remembered by name: they are few
            self.repeats[base] = count
        self.given.add(_digest(key))
        self.rows.stored += 1
        return key

    def _taken(self, digest: int) -> bool:
        return digest in self.given or self.ids.has(digest)


@dataclass
class SheetIds:
    """What the first pass learnt of a sheet's id column (`SheetReader._ids`)."""

    #: every row's id, as its 8-byte digest, sorted (a generated identity must not equal one)
    taken: Any = None
    #: repeated id -> the row that wins for it (the last one); ids seen once are not here
    winners: dict[str, int] = field(default_factory=dict)

    @property
    def any(self) -> bool:
        """The sheet has an id column with at least one id."""
        return self.taken is not None and len(self.taken) > 0

    def has(self, digest: int) -> bool:
        if not self.any:
            return False
        at = int(self.taken.searchsorted(self.taken.dtype.type(digest)))
        return at < len(self.taken) and int(self.taken[at]) == digest


def _digest(key: str) -> int:
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big")


def _noted_task(task_id: str, row: dict[str, str], number: int, columns: Columns, tz: ZoneInfo,
                notes: list[str], title: str) -> Task:  # fmt: skip
    """A row's task, the row's own notes (untitled, cut cells…) first among its warnings."""
    task = _task(task_id, row, number, columns, tz)
    task.warnings[:0] = notes
    if not row.get("id") and normalise(title) != title:
        # Before client + title, a sheet without ids knew a row by its title alone: that
        # deal takes the new id and keeps its history. A title that is its own normal form
        # ("logo") could be another row's new id, so it is never taken over.
        task.formerly = title
    return task


def _task(task_id: str, row: dict[str, str], number: int, columns: Columns, tz: ZoneInfo) -> Task:
    task = Task(id=task_id, title=row["title"], status=row.get("status") or None)
    for name in ("client", "contact", "owner", "owner_email", "next_step", "lost_reason", "url"):
        setattr(task, name, row.get(name) or None)

    def bad(deal_field: str, key: str) -> None:
        column, value = columns.name(deal_field), repr(row[deal_field])
        task.warnings.append(Said(key, row=number, title=task.title, column=column, value=value))

    if row.get("amount"):
        try:
            task.amount, task.currency = parse_amount(row["amount"])
        except ValueError:
            bad("amount", "csv.not_amount")
    if row.get("currency"):
        try:
            task.currency = currency_code(row["currency"])
        except ValueError:
            bad("currency", "csv.not_currency")
    if row.get("probability"):
        try:
            task.probability = parse_probability(row["probability"])
        except ValueError:
            bad("probability", "csv.not_probability")
    for name in ("started", "stage_entered"):
        if row.get(name):
            try:
                setattr(task, name, parse_datetime(row[name], tz))
            except ValueError:
                bad(name, "csv.not_date")
    if row.get("expected_close"):
        try:
            task.expected_close = parse_date(row["expected_close"])
        except ValueError:
            bad("expected_close", "csv.not_date")
    return task
