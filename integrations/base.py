"""What every task-manager adapter produces, and the registry that finds an adapter by `kind`.

Adapters know their tool and nothing of Slack, stages or SQLite: they turn the tool's cards into
plain `Task` records with the status history the tool can give, and the sync engine does the rest.
"""

from __future__ import annotations

import codecs
import importlib
import linecache
import logging
import os
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar, cast
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, field_validator

from bot.i18n import Said
from integrations.kinds import KNOWN_KINDS, source_name  # noqa: F401 - re-exported

if TYPE_CHECKING:  # http.py imports this module: the client is imported where it is built
    from integrations.http import HttpClient

#: Deal fields a source may carry; `[sources.fields]` renames where each lives in the tool.
DEAL_FIELDS: tuple[str, ...] = (
    "id",
    "title",
    "client",
    "contact",
    "owner",
    "owner_email",
    "status",
    "amount",
    "currency",
    "probability",
    "started",
    "expected_close",
    "stage_entered",
    "next_step",
    "lost_reason",
    "url",
)


class SourceError(Exception):
    """A source could not be read; the message names the source and what to do, never a secret."""


class MissingCredentials(SourceError):
    """A secret the source needs is not in the environment or `.env`."""


class TargetNotFound(SourceError):
    """The configured board, project or list is unknown to the tool, or hidden from the token."""


class UnsupportedKind(SourceError):
    """The configured kind has no adapter in this installation."""


@dataclass(frozen=True)
class StatusChange:
    """One move of a task from one status to another, at the time the tool recorded it."""

    at: datetime
    to_status: str
    from_status: str | None = None


#: Deal fields whose every change the store keeps (the forecast's field history).
TRACKED_FIELDS: tuple[str, ...] = ("amount", "expected_close", "probability", "owner")


@dataclass(frozen=True)
class FieldChange:
    """One change of a tracked deal field (`TRACKED_FIELDS`) as the tool recorded it, values
    already parsed like the field itself (amount and probability floats, a date, an owner name);
    None means the field was empty."""

    at: datetime
    field: str
    from_value: float | date | str | None
    to_value: float | date | str | None


@dataclass
class Task:
    """One deal as a task manager or a sheet holds it; values already parsed, raw status kept.

    `history` holds the status changes the tool knows (all of them on a full fetch, at least the
    recent ones on an incremental fetch); an empty history means the tool gives none and the sync
    engine keeps its own snapshots. Adapters only supply evidence (`history`, `stage_entered`,
    `last_modified`): the sync engine alone decides which dates the current stage. `warnings`
    name cells that could not be read: the task still loads with that field empty.
    """

    id: str
    title: str
    status: str | None
    owner: str | None = None
    owner_email: str | None = None
    client: str | None = None
    contact: str | None = None
    amount: float | None = None
    currency: str | None = None
    probability: float | None = None
    started: datetime | None = None
    expected_close: date | None = None
    stage_entered: datetime | None = None
    next_step: str | None = None
    lost_reason: str | None = None
    url: str | None = None
    #: when the tool last changed the task (Trello `dateLastActivity`, Asana `modified_at`…): at
    #: the first sight of a task with no history of its current status, it is idle at least since
    last_modified: datetime | None = None
    removed: bool = False
    status_category: str | None = None
    history: list[StatusChange] = field(default_factory=list)
    #: changes of amount, close date, probability and owner from the tool's own history (empty:
    #: the sync engine records what it sees change between two syncs)
    field_history: list[FieldChange] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: the id this task had under an older identity rule of its source: a stored deal still
    #: under that id (and none under `id`) takes `id`, keeping its history
    formerly: str | None = None
    #: set by the sync engine: what it stores to recognise the same task at the next sync
    fingerprint: str | None = None


@dataclass(frozen=True)
class DealUpdate:
    """One structured change asked from Slack, in the tool's own terms (a status label the tool
    knows, a date, short texts): adapters write exactly these fields, never free text beyond them.
    Fields left None are not touched."""

    status: str | None = None
    lost_reason: str | None = None
    next_step: str | None = None
    expected_close: date | None = None
    #: the language of what the tool is given as text (a comment): the configured one
    language: str = "fr"


class WriteRefused(SourceError):
    """The tool refused a change asked from Slack (no transition to that status, no permission,
    still rate-limited after the retries): shown to the clicker only; nothing was changed."""


@dataclass(frozen=True)
class Webhook:
    """A change notification the tool was asked to send, as its API lists it."""

    id: str
    url: str
    #: the signing secret when the tool makes one and hands it back at registration (ClickUp):
    #: shown once, to put in the environment (`CLICKUP_WEBHOOK_SECRET`)
    secret: str | None = None


@dataclass(frozen=True)
class Handshake:
    """What a tool's set-up request for a notification expects back: Asana's `X-Hook-Secret`
    echoed, Notion's `verification_token`, monday's `challenge`. `secret` is the signing secret
    the tool chose (kept for that source) or None when the exchange hands over none."""

    secret: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""


@dataclass
class Unparsed:
    """A row read but not parsed yet (a sheet's line): its task id, a fingerprint of its raw
    cells, and `parse()` for its Task. The sync engine parses only the rows whose fingerprint
    differs from the one stored at the last sync, so an unchanged sheet costs a read and a hash
    per row. `fingerprint` is None for a row that must always be processed (its warnings are
    reported at every sync)."""

    id: str
    fingerprint: str | None
    parse: Callable[[], Task]


@dataclass(frozen=True)
class SourceDocs:
    """How a source is presented to the people who configure it, written once beside its
    adapter: `python -m integrations.catalogue` turns it (with `kind` and `secret_names`) into
    the docs' tables and the `.env.example` lines. Markdown, one short phrase each."""

    #: the tool's name as people know it ("Jira Cloud", "monday.com")
    title: str
    #: its own keys in `[[sources]]` ("`board` (id, short link or URL)")
    key: str
    #: where the deal's status comes from ("the card's list")
    status: str
    #: where the status history comes from ("board actions")
    history: str
    #: where to get the secrets, for `.env.example` and docs/configuration.md ("" for none)
    secrets: str = ""
    #: the one request `check` makes (None: no request, e.g. a sheet)
    check: str | None = None
    #: where to get `webhook_secret_name`'s value, for `.env.example` ("" for none)
    webhooks: str = ""


#: Hosts a `base_url` may reach over plain http.
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


def https_or_local(value: str) -> str | None:
    """`value` without its trailing slash when it is https to a host, or plain http to this
    machine only (a local test server or tunnel); None for anything else."""
    parts = urlsplit(value.strip())
    if (parts.scheme == "https" and parts.hostname) or (
        parts.scheme == "http" and parts.hostname in LOCAL_HOSTS
    ):
        return value.strip().rstrip("/")
    return None


class SourceSettings(BaseModel):
    """The `[[sources]]` table of one source; each adapter subclasses it with its own keys."""

    model_config = ConfigDict(extra="forbid")

    kind: str
    name: str = ""
    base_url: str | None = None
    fields: dict[str, str] = {}

    @field_validator("fields")
    @classmethod
    def _deal_fields_only(cls, value: dict[str, str]) -> dict[str, str]:
        """A key that is not a deal field (`ammount`) would silently do nothing: refuse it."""
        unknown = [key for key in value if key not in DEAL_FIELDS]
        if unknown:
            raise ValueError(
                Said("config.not_deal_field", keys=", ".join(repr(k) for k in unknown),
                     fields=", ".join(DEAL_FIELDS))
            )  # fmt: skip
        return value

    # `encoding`, `delimiter` and `timezone`, for the adapters that have them, are checked with
    # the config: a bad one is an invalid config (exit 2), not a traceback in the middle of a sync.

    @field_validator("encoding", check_fields=False)
    @classmethod
    def _known_encoding(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                codecs.lookup(value)
            except LookupError:
                raise ValueError(Said("config.encoding")) from None
        return value

    @field_validator("delimiter", mode="before", check_fields=False)
    @classmethod
    def _one_character(cls, value: Any) -> Any:
        if isinstance(value, str) and value.strip().lower() == "tab":
            return "\t"
        if value is not None and (not isinstance(value, str) or len(value) != 1):
            raise ValueError(Said("config.delimiter"))
        return value

    @field_validator("timezone", check_fields=False)
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None:
            from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(Said("config.timezone")) from None
        return value

    @field_validator("base_url")
    @classmethod
    def _https_unless_local(cls, value: str | None) -> str | None:
        """Tokens travel with every request (Trello's in the query string): plain http only to
        this machine (a local test server or tunnel), never across a network. Kept without a
        trailing slash (a Jira site's links are built on it)."""
        if value is None:
            return value
        url = https_or_local(value)
        if url is None:
            raise ValueError(Said("config.https", got=repr(value)))
        return url

    @property
    def source_name(self) -> str:
        return self.name or self.kind

    def field_name(self, deal_field: str) -> str:
        """The column or custom-field name that holds `deal_field` in this source."""
        return self.fields.get(deal_field, deal_field)


@dataclass
class RowReport:
    """How a sheet's rows were accounted for: `read` = `stored` + skipped + repeated, always.

    `skipped` holds (row number, reason: "empty", "no_title_status", "total" or
    "above_header": a title line above the table); `repeated`
    holds (row number, the later row with the same id, which wins).
    """

    read: int = 0
    stored: int = 0
    skipped: list[tuple[int, str]] = field(default_factory=list)
    repeated: list[tuple[int, int]] = field(default_factory=list)

    def skip(self, row: int, reason: str) -> None:
        self.skipped.append((row, reason))


ProgressCallback = Callable[[int, int], None]
"""Called with (pages fetched so far, tasks yielded so far)."""


S = TypeVar("S", bound=SourceSettings)


class Adapter(ABC, Generic[S]):
    """One task manager. Subclasses declare `kind`, `settings_model` and `secret_names`.

    The constructor is the same for every adapter (the sync engine builds them all one way):
    it checks the secrets, validates `settings` into `settings_model` (typed `S` as
    `self.settings`), then calls `connect()`, the one place a subclass builds its client.
    `settings_model` must be that `S`: a class variable cannot be generic, so it is said twice.
    """

    kind: ClassVar[str]
    settings_model: ClassVar[type[SourceSettings]] = SourceSettings
    secret_names: ClassVar[tuple[str, ...]] = ()
    #: how the docs, `.env.example` and `check`'s table present this source (None: not listed)
    docs: ClassVar[SourceDocs | None] = None
    #: True when `Task.history` comes from the tool itself (real times of every move).
    has_history: ClassVar[bool] = False
    #: True when `Task.field_history` comes from the tool itself (every change since creation).
    has_field_history: ClassVar[bool] = False
    #: How far before the bookmark an incremental fetch starts (clocks differ, tools round their
    #: times or filter by day): the sync engine passes `fetch` the bookmark minus this, and the
    #: upserts absorb what is read twice.
    overlap: ClassVar[timedelta] = timedelta(0)
    #: True when every fetch returns every live task (a sheet): each sync is then a full one,
    #: written in one transaction, and rows missing from it are marked removed.
    snapshot: ClassVar[bool] = False
    #: How a raw task (the tool's JSON object) is checked before it becomes a `Task`: its id key
    #: (required), its title key (to name it in warnings), and the JSON types of its top-level
    #: keys (null always allowed; `[dict]`: a list of objects). A value of another type is
    #: dropped with a warning.
    task_id_key: ClassVar[str] = "id"
    task_title_key: ClassVar[str] = "name"
    task_shape: ClassVar[Mapping[str, type | tuple[type, ...] | list[type]]] = {}
    #: How warnings name one task of this tool ("card", "item", "page"…).
    task_noun: ClassVar[str] = "task"
    #: The setting that names what the source reads ("board", "project", "list"…): `check`
    #: names it so, with its value.
    target_setting: ClassVar[str] = "board"

    settings: S
    #: the tool's HTTP client, built in `connect()` by `self.client = self.http_client(...)`
    #: (every adapter names it so; sheets and the demo have none)
    client: HttpClient
    #: a sheet's row accounting, once `fetch` has run (None for task managers)
    rows: RowReport | None = None

    def __init__(
        self,
        settings: SourceSettings,
        secrets: Mapping[str, str],
        progress: ProgressCallback | None = None,
        http_options: Mapping[str, Any] | None = None,
    ) -> None:
        self.secrets = secrets
        self.progress = progress
        #: extra keyword arguments for `HttpClient` (tests pass `sleep=` so retries don't wait)
        self.http_options: dict[str, Any] = dict(http_options or {})
        #: problems with the source as a whole (a configured field it lacks…), for `sync` to print
        self.warnings: list[str] = []
        #: ids of tasks the tool listed but that could not be read (malformed): the sync keeps
        #: their deals as they were rather than count them removed
        self.unreadable: set[str] = set()
        #: tasks listed with no id at all: no deal can be told gone in this sync
        self.unidentified = 0
        self._clients: list[HttpClient] = []
        missing = [name for name in self.secret_names if not secrets.get(name)]
        if missing:
            raise MissingCredentials(
                f"source '{settings.source_name}' ({self.kind}): set {' and '.join(missing)} "
                "in the environment or in .env"
            )
        if not isinstance(settings, self.settings_model):
            settings = self.settings_model.model_validate(settings.model_dump())
        self.settings = cast(S, settings)
        self.connect()

    def connect(self) -> None:  # noqa: B027 - optional hook
        """Build the HTTP client and per-sync state; runs once the secrets are known present."""

    def http_client(
        self,
        default_base_url: str = "",
        *,
        headers: Mapping[str, str] | None = None,
        auth_params: Mapping[str, str] | None = None,
        auth_hint: str = "",
    ) -> HttpClient:
        """An `HttpClient` for this source at its `base_url` (else `default_base_url`), with the
        test hooks of `http_options`; `close()` closes it. A refused token names the variables to
        set (`secret_names`) unless `auth_hint` says more."""
        from integrations.http import HttpClient

        client = HttpClient(
            self.name,
            self.settings.base_url or default_base_url,
            headers=headers,
            auth_params=auth_params,
            auth_hint=auth_hint or self._secrets_hint(),
            **self.http_options,
        )
        self._clients.append(client)
        return client

    def _secrets_hint(self) -> str:
        """What a refused token tells to do: set the variables this source reads."""
        return f"set {' and '.join(self.secret_names)} (see README)" if self.secret_names else ""

    @property
    def name(self) -> str:
        return self.settings.source_name

    def _warn(self, message: str) -> None:  # a `Said` is printed in the configured language
        """Keep a problem with the source as a whole for `sync` to print (in the configured
        language), and log it under the adapter's own module, so log filters by tool keep
        working. At INFO: `serve` logs it; a command, which prints the warning itself, does not
        also get Python's bare English copy on stderr."""
        logging.getLogger(type(self).__module__).info("%s", message)
        self.warnings.append(message)

    def read_task(self, raw: Any, to_task: Callable[[Mapping[str, Any]], Task]) -> Task | None:
        """`to_task(raw)`, or None with a warning naming the task and the field when `raw` is
        malformed: a real payload with a missing key or a value of an unexpected type must cost
        that task (or that field), never the sync. A value whose type is not that of
        `task_shape` is dropped first (the task loads with that field empty, and says so)."""
        if not isinstance(raw, Mapping):
            self._warn(Said("adapter.not_object", source=self.name, noun=self.task_noun,
                            what=_json_type(raw)))  # fmt: skip
            return None
        label = _raw_label(self.task_noun, raw, self.task_id_key, self.task_title_key)
        task_id = raw.get(self.task_id_key)
        if task_id is None or isinstance(task_id, bool | dict | list) or str(task_id) == "":
            self.unidentified += 1
            self._warn(Said("adapter.no_id", label=label, field=self.task_id_key))
            return None
        cleaned, problems = dict(raw), []
        for key, kinds in self.task_shape.items():
            value = raw.get(key)
            if value is None:
                continue
            if isinstance(kinds, list):  # `[dict]`: a list of objects; odd entries are ignored
                if isinstance(value, list):
                    entries = [v for v in value if _has_type(v, kinds[0])]
                    if len(entries) < len(value):
                        cleaned[key] = entries
                        odd = next(v for v in value if not _has_type(v, kinds[0]))
                        problems.append(Said("adapter.odd_entry", label=label, field=key,
                                             what=_json_type(odd),
                                             expected=_json_type_name(kinds[0])))  # fmt: skip
                    continue
                kinds = list
            if not _has_type(value, kinds):
                del cleaned[key]
                expected = " / ".join(_json_type_name(k) for k in _kinds(kinds))
                problems.append(Said("adapter.wrong_type", label=label, field=key,
                                     what=_json_type(value), expected=expected))  # fmt: skip
        try:
            task = to_task(cleaned)
        except (KeyError, TypeError, AttributeError, ValueError, IndexError) as exc:
            self.unreadable.add(str(task_id))
            self._warn(Said("adapter.unreadable", label=label, field=_failed_field(exc),
                            error=f"{type(exc).__name__}: {exc}"))  # fmt: skip
            return None
        task.warnings.extend(problems)
        return task

    def _tasks_by_page(
        self,
        pages: Iterable[Iterable[Any]],
        to_task: Callable[[Mapping[str, Any]], Task],
        keep: Callable[[Mapping[str, Any]], bool] = lambda raw: True,
    ) -> Generator[Task, None, int]:
        """Each kept mapping of each page as a task (`read_task`), with `progress` after every
        page; returns how many tasks were yielded (`yielded = yield from ...`)."""
        return (yield from self._counted(
            [task for raw in raws
             if not (isinstance(raw, Mapping) and not keep(raw))
             if (task := self.read_task(raw, to_task)) is not None]
            for raws in pages
        ))  # fmt: skip

    def _counted(self, pages: Iterable[Iterable[Task]]) -> Generator[Task, None, int]:
        """Every task of every page, calling `progress(pages so far, tasks so far)` after each
        page (a page may hold no task: a page of events read first still counts): the one
        progress count of every adapter. Returns how many tasks were yielded."""
        yielded = 0
        for pages_read, tasks in enumerate(pages, start=1):
            for task in tasks:
                yield task
                yielded += 1
            if self.progress:
                self.progress(pages_read, yielded)
        return yielded

    @property
    def target(self) -> str:
        """The configured board, project or list (the value of `target_setting`)."""
        return str(getattr(self.settings, self.target_setting, "") or "")

    def probe(self) -> str:
        """One authenticated request for the configured board, project or list, writing
        nothing: its name as the tool shows it. For `check`: a refused token raises `AuthError`,
        an unknown or hidden target `TargetNotFound` (or the tool's own 400/404)."""
        raise NotImplementedError(f"{self.kind} has no probe")

    @abstractmethod
    def fetch(self, since: datetime | None) -> Iterator[Task]:
        """Yield the tasks changed since `since` (every live task when None), page by page.
        `since` is timezone-aware and already the bookmark minus `overlap` (`window_start`)."""

    def source_fingerprint(self) -> str | None:
        """A fingerprint of the whole source when it can be had without reading it as rows (a
        sheet file's bytes); None otherwise. The same at the next full sync: nothing to read."""
        return None

    def fetch_rows(self, since: datetime | None) -> Iterator[Task | Unparsed]:
        """What the sync engine reads: `fetch`, unless the adapter can fingerprint a row before
        parsing it (a sheet yields `Unparsed` rows)."""
        yield from self.fetch(since)

    #: True when the adapter implements `write` (sheets are read-only: no Slack controls).
    writable: ClassVar[bool] = False

    def write(self, task_id: str, update: DealUpdate) -> None:
        """Apply `update` to the task `task_id` in the tool, through the same HTTP client,
        retries and error classification as reading. Raises `WriteRefused` when the tool says
        no (the message, a `Said`, is for the clicker)."""
        raise WriteRefused(Said("write.read_only", source=self.name))

    #: The environment variable of the secret that signs this tool's notifications (None: the
    #: tool sends none that can be checked). A secret the tool hands over at set-up (Asana's
    #: handshake, Notion's verification token) is kept per source in the store as well.
    webhook_secret_name: ClassVar[str | None] = None

    def verify_webhook(
        self, headers: Mapping[str, str], body: bytes, callback_url: str, secret: str
    ) -> bool:
        """True when `body` (the raw bytes) carries the tool's valid signature made with
        `secret`; `callback_url` is the URL as registered (Trello signs it with the body).
        `headers` may be spelled in any case; never raises on what a client sent."""
        return False

    def webhook_handshake(self, headers: Mapping[str, str], body: bytes) -> Handshake | None:
        """The set-up exchange this request is, if it is one (it carries no signature yet)."""
        return None

    def register_webhook(self, url: str) -> Webhook:
        """Ask the tool to notify `url` of changes to the configured board/project/list."""
        raise WriteRefused(Said("webhooks.unsupported", source=self.name))

    def list_webhooks(self) -> list[Webhook]:
        """The notifications registered for this source's target."""
        raise WriteRefused(Said("webhooks.unsupported", source=self.name))

    def remove_webhook(self, webhook_id: str) -> None:
        """Stop the notification `webhook_id`."""
        raise WriteRefused(Said("webhooks.unsupported", source=self.name))

    def close(self) -> None:
        """Release the connections of every client built by `http_client`."""
        for client in self._clients:
            client.close()


_JSON_TYPES: dict[type, str] = {
    bool: "true/false", int: "number", float: "number", str: "text", list: "list",
    dict: "object",
}  # fmt: skip


def _kinds(kinds: type | tuple[type, ...]) -> tuple[type, ...]:
    return kinds if isinstance(kinds, tuple) else (kinds,)


def _has_type(value: Any, kinds: type | tuple[type, ...]) -> bool:
    """JSON typing: true/false is not a number, a whole number is a number."""
    allowed = _kinds(kinds)
    if isinstance(value, bool):
        return bool in allowed
    if isinstance(value, int) and float in allowed:
        return True
    return isinstance(value, allowed)


def _json_type_name(kind: type) -> str:
    return _JSON_TYPES.get(kind, kind.__name__)


def _json_type(value: Any) -> str:
    return next((name for kind, name in _JSON_TYPES.items() if type(value) is kind),
                type(value).__name__)  # fmt: skip


def _raw_label(noun: str, raw: Mapping[str, Any], id_key: str, title_key: str) -> str:
    """How a warning names a raw task: `card 'Refonte du site' (5f1a…)`, as `task_label` does."""
    title = raw.get(title_key)
    named = f" '{title}'" if isinstance(title, str) and title.strip() else ""
    ident = raw.get(id_key)
    return f"{noun}{named} ({ident})" if isinstance(ident, str | int) else f"{noun}{named}"


#: `raw.get("key")`, `raw["key"]`: the last key a line of adapter code reads
_KEY_READ = re.compile(r"""(?:\.get\(|\[)\s*["']([^"']+)["']""")


def _failed_field(exc: BaseException) -> str:
    """The field a conversion failed on: a KeyError's key, else the last key read on the line
    of adapter code that raised (the traceback's innermost `integrations/` frame)."""
    if isinstance(exc, KeyError) and exc.args:
        return str(exc.args[0])
    found = "?"
    trace = exc.__traceback__
    while trace is not None:
        code = trace.tb_frame.f_code
        if f"{os.sep}integrations{os.sep}" in code.co_filename:
            line = linecache.getline(code.co_filename, trace.tb_lineno)
            keys = _KEY_READ.findall(line)
            if keys:
                found = keys[-1]
        trace = trace.tb_next
    return found


_REGISTRY: dict[str, type[Adapter[Any]]] = {}
A = TypeVar("A", bound="type[Adapter[Any]]")


def register(cls: A) -> A:
    """Class decorator: make an adapter findable by its `kind`."""
    _REGISTRY[cls.kind] = cls
    return cls


def registered() -> list[type[Adapter[Any]]]:
    """Every adapter registered so far (those of the modules imported)."""
    return list(_REGISTRY.values())


def adapter_class(kind: str) -> type[Adapter[Any]]:
    """The adapter for `kind`, importing its module on first use (keeps start-up light)."""
    if kind not in _REGISTRY:
        module = KNOWN_KINDS.get(kind)
        if module is None:
            raise UnsupportedKind(f"unknown source kind '{kind}'")
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
            raise UnsupportedKind(
                f"source kind '{kind}' is not available in this version of pipeline-bot"
            ) from exc
    return _REGISTRY[kind]


def id_from_url(value: str, url_pattern: re.Pattern[str], expected: str) -> str:
    """An id as pasted: the id itself, or the tool's URL copied from the browser (the first
    group of `url_pattern` that matched); anything else is refused saying what is `expected`."""
    value = value.strip()
    found = url_pattern.search(value)
    if found:
        value = next(group for group in found.groups() if group)
    if not value or "/" in value or ":" in value:
        raise ValueError(Said("config.id_expected", expected=expected))
    return value


def validate_source(
    raw: Mapping[str, Any], *, timezone: str | None = None, base_dir: Path | None = None
) -> SourceSettings:
    """Validate one `[[sources]]` table with its adapter's own settings model.

    A relative `path` is relative to `base_dir` (the config file's folder); a source that reads
    bare dates and has no `timezone` of its own uses the configured one.
    """
    cls = adapter_class(str(raw.get("kind", "")))
    values = dict(raw)
    if base_dir is not None and values.get("path") and not Path(values["path"]).is_absolute():
        values["path"] = str(base_dir / values["path"])
    if timezone and "timezone" in cls.settings_model.model_fields:
        values.setdefault("timezone", timezone)
    return cls.settings_model.model_validate(values)
