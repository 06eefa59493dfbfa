"""Notion (API 2022-06-28): the pages of one database, one deal per page.

Requests per sync (see tests/cassettes/notion/ for each scenario): one
`POST /databases/{id}/query` per page of up to 100 pages, following `next_cursor` while `has_more`.
An incremental sync adds `{"timestamp": "last_edited_time", "last_edited_time": {"on_or_after": …}}`
to the body. Properties come with every page, keyed by their display name, so no schema call is
needed to resolve names.

Field mapping:
- title: the database's `title` property; status: the `status_property` (a `status` or `select`);
- owner: the `people` property named by `[sources.fields] owner`, else the first `people` property
  Notion lists on the page (set `owner` when the database has several); its e-mail when Notion
  shares it (`person.email`, needs the "read user information including e-mail" capability);
- started: `created_time`; url: the page's `url`;
- the rest by display name through `deal_fields` (amount, client, probability…); `expected_close`
  falls back to a date property named by `[sources.fields] due`, else one called « Due », « Due
  date », « Échéance », « Date d'échéance », « Date limite » or « Deadline » (case and accents
  ignored).

Notion keeps no property history: `has_history` is False and the sync engine dates stage changes
from its own snapshots (or from a `stage_entered` date property when the database has one).
Archived or trashed pages (`archived`, `in_trash`) are yielded as removed; the database query
itself hides them, so it is the daily full sync that notices most of them gone.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from typing import Any

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
    Task,
    Webhook,
    WriteRefused,
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
from integrations.http import HttpError, paginate
from integrations.values import utc_iso
from integrations.writes import leftover_comment, named_field, no_field, pick_status, refusals

#: How warnings name one deal of this tool.
NOUN = "page"

DEFAULT_BASE_URL = "https://api.notion.com/v1"
NOTION_VERSION = "2022-06-28"
PAGE_SIZE = 100
_HEX_ID = re.compile(r"([0-9a-f]{32})(?![0-9a-f])", re.IGNORECASE)


class NotionSettings(SourceSettings):
    """`[[sources]]` for Notion: the `database` id (or its URL) and the status property's name."""

    base_url: str | None = DEFAULT_BASE_URL
    database: str
    status_property: str = "Status"

    @field_validator("database")
    @classmethod
    def _database_id(cls, value: str) -> str:
        """A database id as Notion shows it: 32 hex digits, with or without dashes, or inside
        the database's URL (`https://www.notion.so/agence/Ventes-<id>?v=<view id>`)."""
        path = value.strip().split("?", 1)[0].split("#", 1)[0]
        found = _HEX_ID.findall(path.replace("-", ""))
        if not found:
            raise ValueError(Said("config.notion_database"))
        raw = found[-1].lower()
        return f"{raw[:8]}-{raw[8:12]}-{raw[12:16]}-{raw[16:20]}-{raw[20:]}"


@register
class NotionAdapter(Adapter[NotionSettings]):
    """Notion database pages as deals; no history from the tool (the engine snapshots)."""

    kind = "notion"
    settings_model = NotionSettings
    secret_names = ("NOTION_TOKEN",)
    docs = SourceDocs(
        title="Notion",
        key=(
            '`database` (id or URL), `status_property` (default `"Status"`: a status or select '
            "property)"
        ),
        status="the status property",
        history="none (Notion keeps no history): `last_edited_time` at first sight, then snapshots",
        secrets="an internal integration secret (secret_… / ntn_…); share the database with it.",
        check="`GET /databases/{database}`",
        webhooks=(
            "hands its secret over when the webhook is set up (kept in the database); set this "
            "only to pin one."
        ),
    )
    #: Notion rounds `last_edited_time` down to the minute, and clocks differ: start the window this
    #: much before the bookmark; upserts absorb the overlap.
    overlap = timedelta(minutes=5)
    has_history = False
    target_setting = "database"
    task_title_key = "url"
    task_shape = {
        "properties": dict, "url": str, "created_time": str, "last_edited_time": str,
        "archived": bool, "in_trash": bool,
    }  # fmt: skip
    task_noun = NOUN

    webhook_secret_name = "NOTION_WEBHOOK_SECRET"

    def webhook_handshake(self, headers: Mapping[str, str], body: bytes) -> Handshake | None:
        """Notion's first request holds only `verification_token`: pasted back in Notion, it
        activates the subscription and signs every later event."""
        payload = signatures.json_object(body)
        token = payload.get("verification_token") if payload else None
        if (
            not isinstance(token, str)
            or not token
            or signatures.header(headers, "X-Notion-Signature")
        ):
            return None
        return Handshake(secret=token)

    def verify_webhook(
        self, headers: Mapping[str, str], body: bytes, callback_url: str, secret: str
    ) -> bool:
        """`X-Notion-Signature: sha256=<hex HMAC-SHA256 of the body>` keyed with the
        subscription's verification token."""
        given = signatures.header(headers, "X-Notion-Signature")
        return signatures.hex_hmac_sha256(secret, body, given, prefix="sha256=")

    def connect(self) -> None:
        self.client = self.http_client(
            DEFAULT_BASE_URL,
            headers={
                "Authorization": f"Bearer {self.secrets['NOTION_TOKEN']}",
                "Notion-Version": NOTION_VERSION,
            },
        )
        self._warned: set[str] = set()

    # -- fetch -------------------------------------------------------------------------------

    def probe(self) -> str:
        """`GET /databases/{id}`: the database's title (Notion answers 404 for a database not
        shared with the integration as for one that does not exist)."""
        found = self.client.get(f"/databases/{self.settings.database}")
        return _text(found.get("title")).strip() or self.settings.database

    def fetch(self, since: datetime | None) -> Iterator[Task]:
        """Pages of the database: all of them, or those edited since `since`."""
        body = self.query_body(since)
        yield from self._tasks_by_page(
            paginate(self._query_page(body), source=self.name),
            self._task,
            keep=lambda page: page.get("object", "page") == "page",
        )

    def query_body(self, since: datetime | None) -> dict[str, Any]:
        """The body of `POST /databases/{id}/query` (without the cursor)."""
        body: dict[str, Any] = {"page_size": PAGE_SIZE}
        if since is not None:
            start = utc_iso(since)
            body["filter"] = {
                "timestamp": "last_edited_time",
                "last_edited_time": {"on_or_after": start},
            }
        return body

    def _query_page(self, body: Mapping[str, Any]) -> Any:
        path = f"/databases/{self.settings.database}/query"

        def page(cursor: str | None) -> tuple[list[Any], str | None]:
            sent = {**body, "start_cursor": cursor} if cursor else dict(body)
            try:
                answer = self.client.post(path, json=sent)
            except HttpError as exc:
                if exc.status == 404:
                    raise SourceError(
                        f"source '{self.name}': Notion database {self.settings.database} not "
                        "found: check the id, and share the database with the integration "
                        "(••• › Connections) whose token is NOTION_TOKEN"
                    ) from None
                raise
            following = answer.get("next_cursor") if answer.get("has_more") else None
            return list(answer.get("results") or []), following or None

        return page

    # -- mapping -----------------------------------------------------------------------------

    def _task(self, page: Mapping[str, Any]) -> Task:
        page_id = str(page.get("id"))
        props: Mapping[str, Any] = page.get("properties") or {}
        named = [(str(name), prop) for name, prop in props.items() if isinstance(prop, Mapping)]
        title_prop = next((p for _, p in named if p.get("type") == "title"), None)
        title = _text(title_prop.get("title")) if title_prop else ""
        task = Task(
            id=page_id,
            title=title.strip() or page_id,
            status=None,
            url=page.get("url") or None,
            removed=bool(page.get("archived") or page.get("in_trash")),
        )
        task.started = read_time(task, "created_time", page.get("created_time"), NOUN)
        task.last_modified = read_time(task, "last_edited_time", page.get("last_edited_time"), NOUN)

        status_name = self.settings.fields.get("status") or self.settings.status_property
        status_prop = find_by_name(status_name, named)
        if status_prop is None:
            self._warn_once(
                "status",
                f"source '{self.name}': no property named '{status_name}' (status_property) "
                "in the Notion database; its deals have no status",
            )
        else:
            status = _plain(status_prop, "status")
            task.status = str(status) if status is not None else None

        owner_name = self.settings.fields.get("owner")
        owner_prop = (
            find_by_name(owner_name, named)
            if owner_name
            else next((p for _, p in named if p.get("type") == "people"), None)
        )
        if owner_prop is not None:
            apply_value(task, "owner", owner_name or "people", _plain(owner_prop, "owner"), NOUN)
            if "owner_email" not in self.settings.fields:
                apply_value(task, "owner_email", "people", _plain(owner_prop, "owner_email"), NOUN)

        for deal, name in wanted_fields(self.settings).items():
            if deal in ("owner", "status"):
                continue  # read above: the owner's e-mail goes with it, the status is a setting
            prop = find_by_name(name, named)
            if prop is None:
                if deal in self.settings.fields:
                    self._warn_once(
                        deal,
                        f"source '{self.name}': no Notion property named '{name}' (for {deal}, "
                        "set in [sources.fields]); that deal field stays empty",
                    )
                continue
            apply_value(task, deal, name, _plain(prop, deal), NOUN)

        if task.expected_close is None:
            due_name = self.settings.fields.get("due")
            due = find_due(due_name, named, lambda prop: prop.get("type") == "date")
            if due is not None:
                apply_value(task, "expected_close", due_name or "due", _plain(due, "due"), NOUN)
        return task

    def _warn_once(self, key: str, message: str) -> None:
        if key in self._warned:
            return
        self._warned.add(key)
        self._warn(message)

    # -- write -------------------------------------------------------------------------------

    writable = True

    def write(self, task_id: str, update: DealUpdate) -> None:
        """`PATCH /pages/{id}` with the status (an option the database lists, never a new one),
        the close date and the texts `[sources.fields]` names; the texts with no property of
        their own go in one comment (`POST /comments`), unless the page already has that exact
        comment. Writing the same update twice leaves the page as the first write did."""
        with refusals(self.name):
            properties: dict[str, Any] = {}
            if (
                update.status is not None
                or update.expected_close is not None
                or any(
                    getattr(update, name) and name in self.settings.fields
                    for name in ("lost_reason", "next_step")
                )
            ):
                properties = self._properties_for(update, self._schema())
            if properties:
                self.client.send("PATCH", f"/pages/{task_id}", json={"properties": properties})
            text = leftover_comment(self.settings, update)
            if text and text not in self._comments(task_id):
                self.client.post(
                    "/comments",
                    json={"parent": {"page_id": task_id}, "rich_text": _rich_text(text)},
                )

    def _schema(self) -> dict[str, Mapping[str, Any]]:
        """The database's properties by name (`GET /databases/{id}`): their types, and the
        options of status and select properties."""
        found = self.client.get(f"/databases/{self.settings.database}")
        props = found.get("properties") if isinstance(found, Mapping) else None
        return {
            str(name): prop for name, prop in (props or {}).items() if isinstance(prop, Mapping)
        }

    def _properties_for(
        self, update: DealUpdate, schema: dict[str, Mapping[str, Any]]
    ) -> dict[str, Any]:
        """The `properties` of the PATCH body, each in the shape of its property's type."""
        named = list(schema.items())
        out: dict[str, Any] = {}
        if update.status is not None:
            wanted = self.settings.fields.get("status") or self.settings.status_property
            name, prop = self._property(wanted, named, "status", ("status", "select"))
            kind = str(prop.get("type"))
            options = [str(o.get("name")) for o in (prop.get(kind) or {}).get("options") or []
                       if isinstance(o, Mapping)]  # fmt: skip
            status = pick_status(self.name, update.status, options, f"« {name} »")
            out[name] = {kind: {"name": status}}
        if update.expected_close is not None:
            close = self.settings.fields.get("expected_close") or self.settings.fields.get("due")
            if close:
                name, _ = self._property(close, named, "expected_close", ("date",))
            else:
                due = find_due(None, [(n, (n, p)) for n, p in named],
                               lambda pair: pair[1].get("type") == "date")  # fmt: skip
                if due is None:
                    raise no_field(self.name, "Due", "expected_close")
                name = due[0]
            out[name] = {"date": {"start": update.expected_close.isoformat()}}
        for deal in ("lost_reason", "next_step"):
            value = getattr(update, deal)
            if not value or deal not in self.settings.fields:
                continue
            name, prop = self._property(
                self.settings.fields[deal], named, deal, ("rich_text", "select")
            )
            kind = str(prop.get("type"))
            text = _rich_text(value)
            out[name] = {"select": {"name": value}} if kind == "select" else {"rich_text": text}
        return out

    def _property(
        self,
        wanted: str,
        named: list[tuple[str, Mapping[str, Any]]],
        deal: str,
        kinds: tuple[str, ...],
    ) -> tuple[str, Mapping[str, Any]]:
        """The database property called `wanted`, of one of `kinds`; refused otherwise."""
        name, prop = named_field(self.name, wanted, deal, [(n, (n, p)) for n, p in named])
        if prop.get("type") not in kinds:
            raise WriteRefused(Said("write.wrong_type", source=self.name, field=deal, name=name,
                                    kind=str(prop.get("type"))))  # fmt: skip
        return name, prop

    def _comments(self, page_id: str) -> set[str]:
        """The text of the page's comments (`GET /comments?block_id=`, first 100), so the
        same comment is not added twice."""
        answer = self.client.get("/comments", params={"block_id": page_id, "page_size": 100})
        results = answer.get("results") if isinstance(answer, Mapping) else None
        return {
            _text(comment.get("rich_text"))
            for comment in results or []
            if isinstance(comment, Mapping)
        }

    # -- webhooks ------------------------------------------------------------------------------

    def register_webhook(self, url: str) -> Webhook:
        """Notion has no API to create a webhook subscription: it is made on the
        integration's settings page (developers.notion.com → the integration → Webhooks)."""
        raise WriteRefused(Said("webhooks.notion_manual", source=self.name, url=url))

    def list_webhooks(self) -> list[Webhook]:
        """Notion cannot list subscriptions through its API either."""
        raise WriteRefused(Said("webhooks.notion_manual", source=self.name, url="—"))

    def remove_webhook(self, webhook_id: str) -> None:
        """Nor delete them: the settings page does."""
        raise WriteRefused(Said("webhooks.notion_manual", source=self.name, url="—"))


def _rich_text(text: str) -> list[dict[str, Any]]:
    """A text as a Notion rich-text array, cut in the 2,000-character pieces Notion accepts."""
    pieces = [text[i : i + 2000] for i in range(0, len(text), 2000)] or [""]
    return [{"type": "text", "text": {"content": piece}} for piece in pieces]


def _text(rich: Any) -> str:
    """The plain text of a rich-text array (title, rich_text)."""
    if not isinstance(rich, list):
        return ""
    return "".join(str(part.get("plain_text", "")) for part in rich if isinstance(part, Mapping))


def _plain(prop: Mapping[str, Any], deal_field: str) -> RawValue:
    """A property value as text, a number or a date string, by its Notion type."""
    kind = str(prop.get("type", ""))
    value = prop.get(kind)
    if value is None:
        return None
    if kind in ("title", "rich_text"):
        return _text(value) or None
    if kind in ("select", "status"):
        return str(value.get("name")) if isinstance(value, Mapping) else None
    if kind == "multi_select":
        return ", ".join(str(o.get("name")) for o in value if isinstance(o, Mapping)) or None
    if kind == "date":
        return str(value.get("start")) if isinstance(value, Mapping) else None
    if kind == "people":
        people = [p for p in value if isinstance(p, Mapping)]
        if not people:
            return None
        if deal_field == "owner_email":
            return (people[0].get("person") or {}).get("email") or None
        if deal_field == "owner":
            return people[0].get("name") or None
        return ", ".join(str(p.get("name")) for p in people if p.get("name")) or None
    if kind == "formula" and isinstance(value, Mapping):
        inner = value.get(str(value.get("type")))
        if isinstance(inner, Mapping):
            return str(inner.get("start")) if inner.get("start") else None
        return inner if isinstance(inner, str | int | float) else None
    if kind == "rollup" and isinstance(value, Mapping):
        inner = value.get(str(value.get("type")))
        if isinstance(inner, int | float | str):
            return inner
        if isinstance(inner, Mapping):
            return str(inner.get("start")) if inner.get("start") else None
        return None
    if kind == "unique_id" and isinstance(value, Mapping):
        prefix = value.get("prefix")
        return f"{prefix}-{value.get('number')}" if prefix else value.get("number")
    if kind in ("number", "url", "email", "phone_number", "created_time", "last_edited_time"):
        return value if isinstance(value, str | int | float) else None
    return None  # checkbox, relation, files, created_by…: nothing a deal field can hold
