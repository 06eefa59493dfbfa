"""monday.com (GraphQL API, version 2024-10): the items of one board, one deal per item.

Requests per sync (see tests/cassettes/monday/ for each scenario), all `POST /v2`:
- `boards(ids: [<board>]) { columns {id title type} items_page(limit: 500 …) {cursor items {…}} }`:
  the column titles (to find columns by display name) and the first page of items in one call;
- then `next_items_page(cursor: …, limit: 500)` until the cursor is null (cursors live 60 min).

Incremental sync: `items_page` takes a `query_params` rule on the `__last_updated__` pseudo-column,
`{compare_value: ["EXACT", "<date>"], operator: greater_than_or_equals, compare_attribute:
"UPDATED_AT"}`. The rule compares dates, not times, in a zone monday does not document, so it
starts one day before the bookmark's date; upserts absorb the overlap. monday documents the last
updated column as filterable and `__last_updated__` as a pseudo-column id, but not this exact rule:
when monday refuses it, the adapter says so once and lists the whole board instead (correct,
just more requests).

Field mapping: title = the item's name; status = the status column titled `status_column` (default:
the board's first `status` column); owner = the first person of the people column titled by
`[sources.fields] owner` (default: the first `people` column) — monday does not give e-mails in
column values, so `owner_email` stays empty unless a column holds it; started = `created_at`;
url = the item's `url`; the history is the status value's `changed_at` alone (when the item entered
its current status; monday keeps no full history: `has_history` is False), and most real values have
none: the item's `updated_at` is its `last_modified`, which the engine falls back on; the rest by
column title
through `deal_fields`; `expected_close` falls back to a date column titled by `[sources.fields]
due`, else « Due », « Due date », « Échéance », « Date d'échéance », « Date limite », « Deadline ».

Items whose `state` is archived or deleted are yielded as removed; `items_page` lists active items
only, so it is the daily full sync that notices most of them gone.

Errors come back as HTTP 200 with `errors[]`: one carrying `retry_in_seconds`
(COMPLEXITY_BUDGET_EXHAUSTED, rate limits) is waited out and retried within the HTTP client's retry
and wait budget; any other ends the sync with monday's message. 429/5xx are the HTTP client's.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
from pydantic import field_validator

from bot.i18n import Said
from integrations import signatures
from integrations.base import (
    Adapter,
    DealUpdate,
    Handshake,
    SourceDocs,
    SourceError,
    SourceSettings,
    StatusChange,
    TargetNotFound,
    Task,
    Webhook,
    WriteRefused,
    id_from_url,
    register,
)
from integrations.deal_fields import (
    RawValue,
    apply_value,
    find_by_name,
    find_due,
    read_time,
    wanted_fields,
)
from integrations.graphql import (
    GraphQLError,
    StillRateLimited,
    error_code,
    error_text,
    errors_of,
    run_query,
)
from integrations.http import AuthError, RetryLater, json_body, paginate
from integrations.writes import leftover_comment, no_field, pick_option, pick_status, refusals

#: How warnings name one deal of this tool.
NOUN = "item"

DEFAULT_BASE_URL = "https://api.monday.com/v2"
API_VERSION = "2024-10"
PAGE_SIZE = 500
AUTH_HINT = "set MONDAY_TOKEN (a personal API token, see README)"
AUTH_CODES = frozenset({"UserUnauthorizedException", "USER_UNAUTHORIZED", "Unauthorized"})
_ITEM_FIELDS = (
    "id name state created_at updated_at url group { title } column_values { id type text value }"
)
FIRST_PAGE_QUERY = (
    "query Deals($board: [ID!], $limit: Int!) { boards(ids: $board) { name "
    "columns { id title type } "
    f"items_page(limit: $limit) {{ cursor items {{ {_ITEM_FIELDS} }} }} }} }}"
)
CHANGED_PAGE_QUERY = (
    "query Deals($board: [ID!], $limit: Int!, $params: ItemsQuery) { boards(ids: $board) { name "
    "columns { id title type } "
    f"items_page(limit: $limit, query_params: $params) {{ cursor items {{ {_ITEM_FIELDS} }} }} "
    "} }"
)
PROBE_QUERY = "query Probe($board: [ID!]) { boards(ids: $board) { id name } }"
NEXT_PAGE_QUERY = (
    "query More($cursor: String!, $limit: Int!) { next_items_page(cursor: $cursor, limit: "
    f"$limit) {{ cursor items {{ {_ITEM_FIELDS} }} }} }}"
)
WRITE_TARGET_QUERY = (
    "query Target($board: [ID!], $item: [ID!]) { boards(ids: $board) { "
    "columns { id title type settings_str } } items(ids: $item) { id updates(limit: 25) { "
    "text_body } } }"
)
CHANGE_QUERY = (
    "mutation Change($board: ID!, $item: ID!, $column: String!, $value: JSON!) { "
    "change_column_value(board_id: $board, item_id: $item, column_id: $column, value: $value) "
    "{ id } }"
)
CHANGE_MANY_QUERY = (
    "mutation ChangeMany($board: ID!, $item: ID!, $values: JSON!) { "
    "change_multiple_column_values(board_id: $board, item_id: $item, column_values: $values) "
    "{ id } }"
)
COMMENT_QUERY = (
    "mutation Comment($item: ID!, $body: String!) { create_update(item_id: $item, body: $body) "
    "{ id } }"
)
#: The one event a webhook is registered for: any column of the board changed (status, dates,
#: amounts…). New and deleted items reach the store by polling.
WEBHOOK_EVENT = "change_column_value"
CREATE_WEBHOOK_QUERY = (
    "mutation Hook($board: ID!, $url: String!) { create_webhook(board_id: $board, url: $url, "
    f"event: {WEBHOOK_EVENT}) {{ id board_id }} }}"
)
WEBHOOKS_QUERY = "query Hooks($board: ID!) { webhooks(board_id: $board) { id event board_id } }"
DELETE_WEBHOOK_QUERY = "mutation Unhook($id: ID!) { delete_webhook(id: $id) { id board_id } }"
#: Column types a lost reason or a next step may be written to.
TEXT_TYPES = frozenset({"text", "long_text", "status", "dropdown"})
_BOARD_IN_URL = re.compile(r"/boards/(\d+)")
_RESET_IN = re.compile(r"reset in (\d+) seconds?")


class MondaySettings(SourceSettings):
    """`[[sources]]` for monday.com: the `board` id (or its URL) and the status column's title."""

    base_url: str | None = DEFAULT_BASE_URL
    board: str
    status_column: str | None = None

    @field_validator("board")
    @classmethod
    def _board_id(cls, value: str) -> str:
        board = id_from_url(value, _BOARD_IN_URL, Said("config.monday_board_url"))
        if not board.isdigit():
            raise ValueError(Said("config.monday_board"))
        return board


@register
class MondayAdapter(Adapter[MondaySettings]):
    """monday.com items as deals; the status's `changed_at` (when there is one) dates the
    current stage."""

    kind = "monday"
    settings_model = MondaySettings
    secret_names = ("MONDAY_TOKEN",)
    docs = SourceDocs(
        title="monday.com",
        key="`board` (id or URL), `status_column` (title; default the first status column)",
        status="the status column",
        history=(
            "the status's `changed_at` when monday gives one, else the item's `updated_at` at "
            "first sight; then snapshots"
        ),
        secrets="Profile → Developers → My access tokens.",
        check="`boards(ids: [board]) { id name }` (an empty list: unknown board)",
        webhooks=(
            "your app's Signing Secret (Developers → your app → Basic Information); monday "
            "signs only the webhooks an app made, so MONDAY_TOKEN must be that app's token."
        ),
    )
    #: The `__last_updated__` rule compares dates in an undocumented zone: start a day early.
    overlap = timedelta(days=1)
    has_history = False
    task_shape = {
        "name": str, "state": str, "created_at": str, "updated_at": str, "url": str,
        "group": dict, "column_values": [dict],
    }  # fmt: skip
    task_noun = NOUN

    webhook_secret_name = "MONDAY_WEBHOOK_SECRET"

    def webhook_handshake(self, headers: Mapping[str, str], body: bytes) -> Handshake | None:
        """monday checks a new webhook's URL by posting `{"challenge": ...}` and expecting the
        same JSON back; echoing it changes nothing here."""
        payload = signatures.json_object(body)
        challenge = payload.get("challenge") if payload and len(payload) == 1 else None
        if not isinstance(challenge, str):
            return None
        return Handshake(body=json.dumps({"challenge": challenge}).encode())

    def verify_webhook(
        self, headers: Mapping[str, str], body: bytes, callback_url: str, secret: str
    ) -> bool:
        """`Authorization`: a JWT signed HS256 with the app's signing secret, unexpired, whose
        audience (when it names one) is the callback URL. The JWT does not cover the body: the
        body only triggers a sync, it is never trusted for data."""
        token = signatures.header(headers, "Authorization")
        if token[:7].lower() == "bearer ":
            token = token[7:].strip()
        return signatures.jwt_hs256_claims(token, secret, audience=callback_url) is not None

    def connect(self) -> None:
        self.client = self.http_client(
            DEFAULT_BASE_URL,
            headers={"Authorization": self.secrets["MONDAY_TOKEN"], "API-Version": API_VERSION},
            auth_hint=AUTH_HINT,
        )
        self._columns: dict[str, str] = {}  # deal field (or "status"/"owner"/"due") -> column id

    # -- fetch -------------------------------------------------------------------------------

    def probe(self) -> str:
        """`boards(ids: [board]) { id name }`: the board's name; monday answers an empty list
        for a board that does not exist or that the token's user cannot see."""
        data = self._query(PROBE_QUERY, {"board": [self.settings.board]})
        boards = [b for b in data.get("boards") or [] if isinstance(b, Mapping)]
        if not boards:
            raise TargetNotFound(
                f"source '{self.name}': monday board {self.settings.board} not found, or not "
                "visible to the user whose token is MONDAY_TOKEN"
            )
        return str(boards[0].get("name") or self.settings.board)

    def fetch(self, since: datetime | None) -> Iterator[Task]:
        """Items of the board: all of them, or those updated since the day before `since`."""
        params = self.query_params(since)

        def items_page(cursor: str | None) -> tuple[list[Any], str | None]:
            if cursor:
                data = self._query(NEXT_PAGE_QUERY, {"cursor": cursor, "limit": PAGE_SIZE})
                page = data.get("next_items_page") or {}
            else:
                page = self._first_page(params)
            return list(page.get("items") or []), page.get("cursor") or None

        yield from self._tasks_by_page(paginate(items_page, source=self.name), self._task)

    def query_params(self, since: datetime | None) -> dict[str, Any] | None:
        """The `items_page` filter of an incremental sync (None: the whole board)."""
        if since is None:
            return None
        day = since.astimezone(UTC).date().isoformat()
        return {
            "rules": [
                {
                    "column_id": "__last_updated__",
                    "compare_value": ["EXACT", day],
                    "operator": "greater_than_or_equals",
                    "compare_attribute": "UPDATED_AT",
                }
            ]
        }

    def _first_page(self, params: dict[str, Any] | None) -> Mapping[str, Any]:
        """The board's columns and first page of items (filtered when `params`)."""
        variables: dict[str, Any] = {"board": [self.settings.board], "limit": PAGE_SIZE}
        if params is None:
            data = self._query(FIRST_PAGE_QUERY, variables)
        else:
            try:
                data = self._query(CHANGED_PAGE_QUERY, {**variables, "params": params})
            except GraphQLError as exc:
                self._warn(
                    f"source '{self.name}': monday refused the last-updated filter ({exc}); "
                    "listing the whole board instead"
                )
                data = self._query(FIRST_PAGE_QUERY, variables)
        boards = [b for b in data.get("boards") or [] if isinstance(b, Mapping)]
        if not boards:
            raise SourceError(
                f"source '{self.name}': monday board {self.settings.board} not found, or not "
                "visible to the user whose token is MONDAY_TOKEN"
            )
        self._resolve_columns(boards[0].get("columns") or [])
        return boards[0].get("items_page") or {}

    # -- requests ----------------------------------------------------------------------------

    def _query(self, query: str, variables: Mapping[str, Any]) -> Mapping[str, Any]:
        """One GraphQL call; `_validate` classifies the answer."""
        return run_query(self.client, query, variables, self._validate)

    def _validate(self, response: requests.Response) -> None:
        """monday answers HTTP 200 with `errors`: a complexity or rate limit says how long to
        wait (retried), a refused token or any other error is final."""
        if response.status_code != 200:
            return  # the client's status rules apply
        errors = errors_of(json_body(response))
        if not errors:
            return
        if any(error_code(e) in AUTH_CODES for e in errors):
            status = _status_code(errors) or 200  # the status monday means (403), in the body
            raise AuthError(self.name, "POST", "/v2", status, f"the token was refused; {AUTH_HINT}")
        delay = _retry_in(errors)
        if delay is None:
            raise GraphQLError(
                f"source '{self.name}': monday refused the query: {error_text(errors)}"
            )
        said = error_text(errors)
        raise RetryLater(
            f"monday said {said}",
            delay,
            final=lambda detail: StillRateLimited(
                f"source '{self.name}': monday still says {detail}"
            ),
        )

    # -- mapping -----------------------------------------------------------------------------

    def _resolve_columns(self, columns: list[Any]) -> None:
        """Column ids for the status, the owner, the due date and each configured deal field."""
        listed = [c for c in columns if isinstance(c, Mapping) and c.get("id")]
        by_title = [(str(c.get("title", "")), str(c["id"])) for c in listed]

        def first_of(kind: str) -> str | None:
            return next((str(c["id"]) for c in listed if c.get("type") == kind), None)

        resolved: dict[str, str] = {}
        status_title = self.settings.status_column or self.settings.fields.get("status")
        status_id = find_by_name(status_title, by_title) if status_title else first_of("status")
        if status_id:
            resolved["status"] = status_id
        else:
            self._warn(
                f"source '{self.name}': "
                + (
                    f"no column titled '{status_title}' (status_column)"
                    if status_title
                    else "no status column"
                )
                + f" on monday board {self.settings.board}; its deals have no status"
            )
        owner_title = self.settings.fields.get("owner")
        owner_id = find_by_name(owner_title, by_title) if owner_title else first_of("people")
        if owner_id:
            resolved["owner"] = owner_id
        due = find_due(
            self.settings.fields.get("due"),
            [(str(c.get("title", "")), c) for c in listed],
            lambda column: column.get("type") == "date",
        )
        if due is not None:
            resolved["due"] = str(due["id"])
        for deal, title in wanted_fields(self.settings).items():
            if deal in ("status", "owner"):
                continue
            column_id = find_by_name(title, by_title)
            if column_id:
                resolved[deal] = column_id
            elif deal in self.settings.fields:
                self._warn(
                    f"source '{self.name}': no column titled '{title}' (for {deal}, set in "
                    f"[sources.fields]) on monday board {self.settings.board}; that deal field "
                    "stays empty"
                )
        self._columns = resolved

    def _task(self, item: Mapping[str, Any]) -> Task:
        item_id = str(item.get("id"))
        values = {
            str(v.get("id")): v for v in item.get("column_values") or [] if isinstance(v, Mapping)
        }
        task = Task(
            id=item_id,
            title=str(item.get("name") or "").strip() or item_id,
            status=None,
            url=item.get("url") or None,
            removed=str(item.get("state") or "active") in ("archived", "deleted"),
        )
        task.started = read_time(task, "created_at", item.get("created_at"), NOUN)
        task.last_modified = read_time(task, "updated_at", item.get("updated_at"), NOUN)

        status = values.get(self._columns.get("status", ""))
        if status is not None:
            task.status = str(status.get("text") or "").strip() or None
            # monday's own record of the move into the current label; most real values carry
            # only `{"index": N}` (automations, imports): the engine then falls back on the
            # item's `updated_at` (`last_modified`)
            changed_at = _column_value(status.get("value")).get("changed_at")
            entered = read_time(task, "status changed_at", changed_at, NOUN) if changed_at else None
            if task.status and entered:
                task.history = [StatusChange(at=entered, to_status=task.status)]
        owner = values.get(self._columns.get("owner", ""))
        if owner is not None:
            first = str(owner.get("text") or "").split(",")[0].strip()
            apply_value(task, "owner", "owner", first or None, NOUN)

        for deal, column_id in self._columns.items():
            if deal in ("status", "owner", "due") or column_id not in values:
                continue
            name = self.settings.field_name(deal)
            apply_value(task, deal, name, _plain(values[column_id]), NOUN)
        due = values.get(self._columns.get("due", ""))
        if task.expected_close is None and due is not None:
            apply_value(task, "expected_close", "due", _plain(due), NOUN)
        return task

    # -- write -------------------------------------------------------------------------------

    writable = True

    def write(self, task_id: str, update: DealUpdate) -> None:
        """One read of the board's columns and the item's latest updates; every name checked
        against them first (a status or dropdown label the column lists, never a new one); then
        one mutation for the columns: `change_column_value` for one, `change_multiple_column_values`
        for several (all or nothing); then `create_update` for the texts no column is named for,
        unless the item already has that exact update. Writing the same update twice leaves the
        item as the first write did."""
        with refusals(self.name):
            data = self._query(
                WRITE_TARGET_QUERY, {"board": [self.settings.board], "item": [task_id]}
            )
            boards = [b for b in data.get("boards") or [] if isinstance(b, Mapping)]
            items = [i for i in data.get("items") or [] if isinstance(i, Mapping)]
            if not boards or not items:
                raise WriteRefused(Said("write.no_task", source=self.name, noun=NOUN, id=task_id))
            columns = [c for c in boards[0].get("columns") or [] if isinstance(c, Mapping)]
            self._resolve_columns(columns)
            values = self._values_for(update, {str(c.get("id")): c for c in columns})
            variables = {"board": self.settings.board, "item": task_id}
            if len(values) == 1:
                ((column_id, value),) = values.items()
                self._query(CHANGE_QUERY, {**variables, "column": column_id,
                                           "value": json.dumps(value)})  # fmt: skip
            elif values:
                self._query(CHANGE_MANY_QUERY, {**variables, "values": json.dumps(values)})
            text = leftover_comment(self.settings, update)
            said = {str(u.get("text_body") or "").strip() for u in items[0].get("updates") or []
                    if isinstance(u, Mapping)}  # fmt: skip
            if text and text not in said:
                self._query(COMMENT_QUERY, {"item": task_id, "body": text})

    def _values_for(
        self, update: DealUpdate, columns: Mapping[str, Mapping[str, Any]]
    ) -> dict[str, Any]:
        """Column id -> its new value in monday's JSON form for that column type."""
        out: dict[str, Any] = {}
        if update.status is not None:
            column = columns.get(self._columns.get("status", ""))
            title = self.settings.status_column or self.settings.fields.get("status") or "status"
            if column is None:
                raise no_field(self.name, title, "status")
            status = pick_status(self.name, update.status, _labels(column),
                                 f"« {column.get('title')} »")  # fmt: skip
            out[str(column["id"])] = {"label": status}
        if update.expected_close is not None:
            wanted = self.settings.fields.get("expected_close")
            column_id = self._columns.get("expected_close") or (
                None if wanted else self._columns.get("due")
            )
            column = columns.get(column_id or "")
            if column is None:
                raise no_field(self.name, wanted or "Due", "expected_close")
            self._check_type(column, "expected_close", frozenset({"date"}))
            out[str(column["id"])] = {"date": update.expected_close.isoformat()}
        for deal in ("lost_reason", "next_step"):
            value = getattr(update, deal)
            if not value or deal not in self.settings.fields:
                continue
            column = columns.get(self._columns.get(deal, ""))
            if column is None:
                raise no_field(self.name, self.settings.fields[deal], deal)
            self._check_type(column, deal, TEXT_TYPES)
            kind, title = column.get("type"), str(column.get("title"))
            if kind in ("status", "dropdown"):  # a label the column offers, never a new one
                value = pick_option("monday", title, value, [(n, n) for n in _labels(column)])
            out[str(column["id"])] = (
                {"label": value} if kind == "status"
                else {"labels": [value]} if kind == "dropdown"
                else {"text": value} if kind == "long_text"
                else value
            )  # fmt: skip
        return out

    def _check_type(self, column: Mapping[str, Any], deal: str, kinds: frozenset[str]) -> None:
        if column.get("type") not in kinds:
            raise WriteRefused(Said("write.wrong_type", source=self.name, field=deal,
                                    name=str(column.get("title")),
                                    kind=str(column.get("type"))))  # fmt: skip

    # -- webhooks ------------------------------------------------------------------------------

    def register_webhook(self, url: str) -> Webhook:
        """`create_webhook(board_id, url, event: change_column_value)`: monday first posts a
        challenge to `url`, which `serve` must answer (so `serve` must be reachable there).
        monday signs notifications (the `Authorization` JWT) only for webhooks an app created,
        with the app's Signing Secret: without MONDAY_WEBHOOK_SECRET `serve` could check none,
        so registering is refused until it is set."""
        if not self.secrets.get(self.webhook_secret_name):
            raise WriteRefused(Said("webhooks.monday_app", source=self.name))
        with refusals(self.name):
            data = self._query(CREATE_WEBHOOK_QUERY, {"board": self.settings.board, "url": url})
        created = data.get("create_webhook") or {}
        return Webhook(id=str(created.get("id")), url=url)

    def list_webhooks(self) -> list[Webhook]:
        """`webhooks(board_id)`: monday does not say where a webhook points (url is empty)."""
        with refusals(self.name):
            data = self._query(WEBHOOKS_QUERY, {"board": self.settings.board})
        return [
            Webhook(id=str(hook.get("id")), url="")
            for hook in data.get("webhooks") or []
            if isinstance(hook, Mapping) and hook.get("id") is not None
        ]

    def remove_webhook(self, webhook_id: str) -> None:
        """`delete_webhook(id)`."""
        with refusals(self.name):
            self._query(DELETE_WEBHOOK_QUERY, {"id": webhook_id})


def _status_code(errors: list[dict[str, Any]]) -> int | None:
    """The HTTP status an application-level error stands for (`extensions.status_code`)."""
    for error in errors:
        code = (error.get("extensions") or {}).get("status_code")
        if isinstance(code, int) and not isinstance(code, bool):
            return code
    return None


def _retry_in(errors: list[dict[str, Any]]) -> float | None:
    """Seconds monday asks to wait before retrying, when an error says so."""
    for error in errors:
        extensions = error.get("extensions") or {}
        seconds = extensions.get("retry_in_seconds")
        if isinstance(seconds, int | float) and not isinstance(seconds, bool):
            return float(seconds)
        found = _RESET_IN.search(str(error.get("message") or ""))  # pre-2024 ComplexityException
        if found:
            return float(found.group(1))
    return None


def _labels(column: Mapping[str, Any]) -> list[str]:
    """The labels a status or dropdown column offers, from its `settings_str` (a status
    column's `{"labels": {"0": "Done", …}}`, a dropdown's `{"labels": [{"id": 1, "name": …}]}`)."""
    labels = _column_value(column.get("settings_str")).get("labels") or {}
    if isinstance(labels, Mapping):
        return [str(label) for label in labels.values()]
    return [str(label.get("name")) if isinstance(label, Mapping) else str(label)
            for label in labels]  # fmt: skip


def _column_value(raw: Any) -> dict[str, Any]:
    """A column `value` (a JSON string, or null)."""
    if not isinstance(raw, str) or not raw:
        return {}
    try:
        parsed = json.loads(raw)
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _plain(value: Mapping[str, Any]) -> RawValue:
    """A column value as text or a date string, by its column type."""
    if value.get("type") == "date":
        parsed = _column_value(value.get("value"))
        if parsed.get("date"):
            return str(parsed["date"])
    text = value.get("text")
    return str(text).strip() or None if text is not None else None
