"""Jira Cloud (REST v3): issues of a project or a JQL filter, with the real time of every move.

Requests per sync, in order (see tests/cassettes/jira/ for each scenario):
- `GET /rest/api/3/field` once: custom-field display names -> `customfield_NNNNN` ids, so the search
  asks for exactly the fields a deal needs;
- `GET /rest/api/3/myself` once on an incremental sync: JQL date literals are read in the API
  user's time zone, so the bookmark is written in that zone;
- per page of up to 100 issues: `GET /rest/api/3/search/jql` (token paging until `isLast`), then one
  `POST /rest/api/3/changelog/bulkfetch` for the status changes of the whole page (no call per
  issue; the bulk answer has its own `nextPageToken`);
- `GET /rest/api/3/status` once, only when a changelog item gives a status by id alone (no
  `toString`/`fromString`, as real changelogs sometimes do): the site's statuses by id.

Task ids are issue keys (`VENTE-12`): what people see in Jira and in Slack. Jira search never shows
deleted or archived issues, so this adapter never yields `removed=True`; the daily full sync is
what notices them gone.
"""

from __future__ import annotations

import base64
import logging
import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import model_validator

from bot.i18n import Said
from integrations import signatures
from integrations.base import (
    TRACKED_FIELDS,
    Adapter,
    DealUpdate,
    FieldChange,
    SourceDocs,
    SourceSettings,
    StatusChange,
    Task,
    Webhook,
    WriteRefused,
    register,
)
from integrations.deal_fields import (
    RawValue,
    apply_value,
    find_by_name,
    parse_field,
    read_time,
    wanted_fields,
)
from integrations.http import paginate
from integrations.values import normalise, parse_datetime
from integrations.writes import WritePlan, named_field, plan_write, refusals, signing_secret

log = logging.getLogger(__name__)

PAGE_SIZE = 100
#: Fields every search asks for, before the custom fields a deal needs.
SYSTEM_FIELDS: tuple[str, ...] = ("summary", "status", "assignee", "created", "updated", "duedate")
#: When the API user's time zone is unknown, the literal is written in UTC this much earlier: zones
#: run from UTC-12 to UTC+14, and a literal read in UTC-12 is 12 hours later than in UTC.
UNKNOWN_ZONE_MARGIN = timedelta(hours=12)
_ORDER_BY = re.compile(r"\s+order\s+by\s+.*$", re.IGNORECASE | re.DOTALL)
_BARE_JQL_VALUE = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
#: Short JQL words a project key could spell; such a key must be quoted.
_JQL_RESERVED = frozenset({
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "empty", "if", "in", "into", "is",
    "it", "no", "not", "null", "of", "on", "or", "order", "s", "such", "t", "that", "the",
    "their", "then", "there", "these", "they", "this", "to", "was", "will", "with",
})  # fmt: skip


class JiraSettings(SourceSettings):
    """`[[sources]]` for Jira: the site's `base_url`, and a `project` key or a `jql` filter."""

    base_url: str
    project: str | None = None
    jql: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _base_url_required(cls, data: Any) -> Any:
        # Checked before field validation so the message says what to write, not "Field required".
        if isinstance(data, Mapping) and not str(data.get("base_url") or "").strip():
            raise ValueError(Said("config.jira_base_url"))
        return data

    @model_validator(mode="after")
    def _project_or_jql(self) -> JiraSettings:
        if bool(self.project and self.project.strip()) == bool(self.jql and self.jql.strip()):
            raise ValueError(Said("config.jira_target"))
        return self


@register
class JiraAdapter(Adapter[JiraSettings]):
    """Jira Cloud issues as deals; history from the changelog (real times of every move)."""

    kind = "jira"
    settings_model = JiraSettings
    secret_names = ("JIRA_EMAIL", "JIRA_API_TOKEN")
    docs = SourceDocs(
        title="Jira Cloud",
        key="`project` or `jql`; `base_url` required",
        status="the workflow status",
        history="the changelog",
        secrets="the account's e-mail and an API token from id.atlassian.com → Security.",
        check="`GET /rest/api/3/project/{project}`, or one search of one issue for a `jql` source",
        webhooks="the secret typed when creating the webhook (System → WebHooks).",
    )
    #: An incremental window starts this much before the bookmark. JQL dates are to the minute and
    #: the search index lags writes by seconds to minutes; re-reading an hour of changes is cheap
    #: and the sync engine's upserts absorb the overlap.
    overlap = timedelta(hours=1)
    has_history = True
    target_setting = "project"
    task_id_key = "key"
    task_title_key = "key"
    task_shape = {"id": str, "fields": dict}
    task_noun = "issue"
    has_field_history = True

    webhook_secret_name = "JIRA_WEBHOOK_SECRET"

    def verify_webhook(
        self, headers: Mapping[str, str], body: bytes, callback_url: str, secret: str
    ) -> bool:
        """`X-Hub-Signature: sha256=<hex HMAC-SHA256 of the body>` with the webhook's secret
        (admin webhooks created with a secret)."""
        given = signatures.header(headers, "X-Hub-Signature")
        return signatures.hex_hmac_sha256(secret, body, given, prefix="sha256=")

    def connect(self) -> None:
        credentials = f"{self.secrets['JIRA_EMAIL']}:{self.secrets['JIRA_API_TOKEN']}"
        basic = base64.b64encode(credentials.encode()).decode("ascii")
        # Jira has no default site: JiraSettings requires base_url.
        self.client = self.http_client(
            headers={"Authorization": f"Basic {basic}"},
        )
        #: issues whose close date is their due date (no close-date custom field value)
        self._close_from_due: set[str] = set()
        #: status id -> name (`GET /rest/api/3/status`), read when a changelog item needs it
        self._statuses: dict[str, str] | None = None

    # -- fetch -------------------------------------------------------------------------------

    @property
    def target(self) -> str:
        return self.settings.project or self.settings.jql or ""

    def probe(self) -> str:
        """`GET /rest/api/3/project/{key}` (the project's name), or for a `jql` source one
        search of one issue (Jira answers 400 to a filter it cannot run)."""
        if self.settings.project:
            found = self.client.get(f"/rest/api/3/project/{quote(self.settings.project.strip())}")
            return str(found.get("name") or self.settings.project)
        one = {"jql": self.settings.jql, "maxResults": 1, "fields": "summary"}
        self.client.get("/rest/api/3/search/jql", one)
        return "JQL"

    def fetch(self, since: datetime | None) -> Iterator[Task]:
        """Issues of the project or filter: all of them, or those updated since `since`."""
        custom = self._resolve_fields()
        zone = self._user_zone() if since is not None else None
        jql = self.build_jql(since, zone)
        fields = ",".join([*SYSTEM_FIELDS, *sorted({fid for fid, _ in custom.values()})])

        def search_page(token: str | None) -> tuple[list[dict[str, Any]], str | None]:
            params: dict[str, Any] = {"jql": jql, "fields": fields, "maxResults": PAGE_SIZE}
            if token:
                params["nextPageToken"] = token
            body = self.client.get("/rest/api/3/search/jql", params)
            following = body.get("nextPageToken") or None
            if body.get("isLast") is True:
                following = None
            return list(body.get("issues") or []), following

        def read(issues: list[dict[str, Any]]) -> Iterable[Task]:
            """A page's issues, with the changelog of all of them asked at once."""
            by_id: dict[str, Task] = {}
            for issue in issues:
                task = self.read_task(issue, lambda one: self._task(one, custom))
                if task is not None:  # the changelog names issues by their numeric id
                    by_id[str(issue.get("id") or task.id)] = task
            if by_id:
                self._attach_history(by_id, custom)
            return by_id.values()

        yield from self._counted(map(read, paginate(search_page, source=self.name)))

    # -- write -------------------------------------------------------------------------------

    writable = True

    def write(self, task_id: str, update: DealUpdate) -> None:
        """Apply the transition that leads to `update.status`, then the due date and the fields
        `[sources.fields]` names in one `PUT /rest/api/3/issue/{key}`, then one comment (ADF)
        for a lost reason or next step with no field of its own.

        The issue's status and its transitions are read first (`GET .../issue/{key}?fields=
        status`, `GET .../transitions`): an issue already in that status is left alone, and a
        status no transition reaches is refused naming the ones that are reachable, before
        anything is written.
        """
        plan = plan_write(self.settings, update)
        with refusals(self.name):
            transition = self._transition(task_id, update.status) if update.status else None
            fields = self._field_values(plan)
            if transition is not None:
                self.client.post(f"/rest/api/3/issue/{quote(task_id)}/transitions",
                                 json={"transition": {"id": transition}})  # fmt: skip
            if fields:
                self.client.send("PUT", f"/rest/api/3/issue/{quote(task_id)}",
                                 json={"fields": fields})  # fmt: skip
            if plan.comment:
                self.client.post(f"/rest/api/3/issue/{quote(task_id)}/comment",
                                 json={"body": _adf(plan.comment)})  # fmt: skip

    def _transition(self, key: str, status: str) -> str | None:
        """The id of the transition from the issue's status to `status`; None when the issue
        is in that status already."""
        issue = self.client.get(f"/rest/api/3/issue/{quote(key)}", {"fields": "status"})
        current = str(((issue.get("fields") or {}).get("status") or {}).get("name") or "")
        if normalise(current) == normalise(status):
            return None
        listed = self.client.get(f"/rest/api/3/issue/{quote(key)}/transitions")
        reachable = [
            (str((t.get("to") or {}).get("name") or ""), str(t["id"]))
            for t in listed.get("transitions") or []
            if isinstance(t, Mapping) and t.get("id") and (t.get("to") or {}).get("name")
        ]
        found = find_by_name(status, reachable)
        if found is None:
            names = ", ".join(dict.fromkeys(name for name, _ in reachable)) or "—"
            raise WriteRefused(Said("write.no_transition", source=self.name, issue=key,
                                    current=current, status=status, names=names))  # fmt: skip
        return found

    def _field_values(self, plan: WritePlan) -> dict[str, Any]:
        """`fields` of the issue update: `duedate`, and each named field in the form its type
        takes (`GET /rest/api/3/field`): a paragraph field ADF, a select `{"value": ...}`, a
        date `yyyy-MM-dd`, other text as it is."""
        values: dict[str, Any] = {}
        if plan.due is not None:
            values["duedate"] = plan.due.isoformat()
        if not plan.fields:
            return values
        listed = self.client.get("/rest/api/3/field")
        candidates = [(str(f["name"]), f) for f in listed if isinstance(f, Mapping)
                      and f.get("id") and f.get("name")]  # fmt: skip
        for deal, (name, value) in plan.fields.items():
            found = named_field(self.name, name, deal, candidates)
            schema = found.get("schema") or {}
            text = value.isoformat() if isinstance(value, date) else str(value)
            if str(schema.get("custom") or "").endswith(":textarea"):
                values[str(found["id"])] = _adf(text)
            elif schema.get("type") == "option":
                values[str(found["id"])] = {"value": text}
            elif schema.get("type") == "datetime":
                values[str(found["id"])] = f"{text}T12:00:00.000+0000"
            else:
                values[str(found["id"])] = text
        return values

    # -- webhooks ----------------------------------------------------------------------------

    @property
    def _hook_name(self) -> str:
        return f"pipeline-bot: source '{self.name}'"

    def register_webhook(self, url: str) -> Webhook:
        """An admin webhook (`POST /rest/webhooks/1.0/webhook`, the token's user must be a Jira
        admin) for the issues of the project or the `jql`, signed with `JIRA_WEBHOOK_SECRET`
        (Jira then sends `X-Hub-Signature`): without the secret, `serve` could verify nothing."""
        secret = signing_secret(self)
        scope = _ORDER_BY.sub("", (self.settings.jql or "").strip()) or (
            f"project = {_jql_value(self.settings.project or '')}"
        )
        hook = {
            "name": self._hook_name,
            "url": url,
            "events": ["jira:issue_created", "jira:issue_updated", "jira:issue_deleted"],
            "filters": {"issue-related-events-section": scope},
            "excludeBody": False,
            "secret": secret,
        }
        with refusals(self.name):
            made = self.client.post("/rest/webhooks/1.0/webhook", json=hook)
        return _webhook(made)

    def list_webhooks(self) -> list[Webhook]:
        """This source's admin webhooks (`GET /rest/webhooks/1.0/webhook`: the site's, by name
        or by the callback `serve` answers for this source)."""
        with refusals(self.name):
            listed = self.client.get("/rest/webhooks/1.0/webhook")
        mine = f"/webhooks/{quote(self.name, safe='')}"  # as `serve`'s path is registered
        return [
            _webhook(hook)
            for hook in listed
            if isinstance(hook, Mapping)
            and (hook.get("name") == self._hook_name or str(hook.get("url", "")).endswith(mine))
        ]

    def remove_webhook(self, webhook_id: str) -> None:
        """`DELETE /rest/webhooks/1.0/webhook/{id}`."""
        with refusals(self.name):
            self.client.send("DELETE", f"/rest/webhooks/1.0/webhook/{quote(webhook_id)}")

    def build_jql(self, since: datetime | None, zone: tzinfo | None) -> str:
        """The search: everything on a full sync; on an incremental one, issues updated since
        `since` (the bookmark minus `overlap`), written to the minute in `zone` (the API user's
        time zone)."""
        user_jql = (self.settings.jql or "").strip()
        if since is None:
            if user_jql:
                return user_jql
            return f"project = {_jql_value(self.settings.project or '')} ORDER BY created ASC"
        start = since
        if zone is None:
            start, zone = since - UNKNOWN_ZONE_MARGIN, UTC
        stamp = start.astimezone(zone).strftime("%Y-%m-%d %H:%M")
        scope = (
            f"({_ORDER_BY.sub('', user_jql)})"
            if user_jql
            else f"project = {_jql_value(self.settings.project or '')}"
        )
        return f'{scope} AND updated >= "{stamp}" ORDER BY updated ASC'

    # -- requests ----------------------------------------------------------------------------

    def _resolve_fields(self) -> dict[str, tuple[str, str]]:
        """Deal field -> (field id, display name), from `GET /field` (custom fields first)."""
        listed = self.client.get("/rest/api/3/field")
        ordered = sorted(
            (f for f in listed if isinstance(f, dict) and f.get("id") and f.get("name")),
            key=lambda f: not f.get("custom", False),
        )
        candidates = [(str(f["name"]), str(f["id"])) for f in ordered]
        resolved: dict[str, tuple[str, str]] = {}
        for deal, name in wanted_fields(self.settings).items():
            field_id = find_by_name(name, candidates)
            if field_id is not None:
                resolved[deal] = (field_id, name)
            elif deal in self.settings.fields:
                self._warn(
                    f"source '{self.name}': no Jira field named '{name}' (for {deal}, set in "
                    "[sources.fields]); that deal field stays empty"
                )
        return resolved

    def _user_zone(self) -> tzinfo | None:
        """The time zone Jira reads JQL dates in: the API user's (`GET /myself`)."""
        me = self.client.get("/rest/api/3/myself")
        name = me.get("timeZone") if isinstance(me, dict) else None
        zone = _zone(str(name)) if name else None
        if zone is not None:
            return zone
        self._warn(
            f"source '{self.name}': Jira did not say the API user's time zone ({name!r}); "
            f"the incremental window starts {UNKNOWN_ZONE_MARGIN} earlier to be safe"
        )
        return None

    def _status_name(self, name: Any, status_id: Any) -> str | None:
        """A changelog item's status: its `toString`/`fromString`, else (real items may carry
        only the ids in `to`/`from`) the name of that id in the site's status list."""
        if isinstance(name, str) and name.strip():
            return name
        if status_id in (None, ""):
            return None
        if self._statuses is None:
            listed = self.client.get("/rest/api/3/status")
            self._statuses = {
                str(status["id"]): str(status["name"])
                for status in (listed if isinstance(listed, list) else [])
                if isinstance(status, Mapping) and status.get("id") and status.get("name")
            }
        return self._statuses.get(str(status_id))

    def _attach_history(
        self, by_id: dict[str, Task], custom: Mapping[str, tuple[str, str]]
    ) -> None:
        """Status changes of a page of issues in one bulk request (paged by its own token), and
        the changes of the tracked fields (assignee, due date, the custom fields of amount,
        probability and close date) from the same changelog."""
        ids = list(by_id)
        moves: dict[str, list[tuple[datetime, int, StatusChange]]] = {i: [] for i in ids}
        tracked = _tracked_field_ids(custom)
        edits: dict[str, list[tuple[datetime, int, bool, FieldChange]]] = {i: [] for i in ids}

        def changelog_page(token: str | None) -> tuple[list[dict[str, Any]], str | None]:
            body: dict[str, Any] = {"issueIdsOrKeys": ids, "fieldIds": ["status", *tracked]}
            if token:
                body["nextPageToken"] = token
            answer = self.client.post("/rest/api/3/changelog/bulkfetch", json=body)
            return list(answer.get("issueChangeLogs") or []), answer.get("nextPageToken") or None

        for logs in paginate(changelog_page, source=self.name):
            for issue_log in logs:
                issue_id = str(issue_log.get("issueId"))
                if issue_id not in by_id:
                    continue
                for history in issue_log.get("changeHistories") or []:
                    at = _changelog_time(history.get("created"))
                    if at is None:
                        continue
                    order = int(history["id"]) if str(history.get("id", "")).isdigit() else 0
                    for item in history.get("items") or []:
                        edit = _field_change(item, at, tracked)
                        if edit is not None:
                            due = str(item.get("fieldId") or item.get("field")) == "duedate"
                            edits[issue_id].append((at, order, due, edit))
                        if not _is_status_item(item):
                            continue
                        to = self._status_name(item.get("toString"), item.get("to"))
                        if to is None:
                            self._warn(
                                f"source '{self.name}': issue {by_id[issue_id].id}: a status "
                                f"change at {at.isoformat()} names status id {item.get('to')!r}, "
                                "which this Jira site does not list; that move is left out"
                            )
                            continue
                        before = self._status_name(item.get("fromString"), item.get("from"))
                        change = StatusChange(at=at, to_status=to, from_status=before)
                        moves[issue_id].append((at, order, change))
        for issue_id, task in by_id.items():
            changes = [c for _, _, c in sorted(moves[issue_id], key=lambda m: (m[0], m[1]))]
            initial = changes[0].from_status if changes else task.status
            if task.started is not None and initial:
                # The changelog has no entry for the status an issue was created in.
                changes.insert(0, StatusChange(at=task.started, to_status=initial))
            task.history = changes
            ordered = sorted(edits[issue_id], key=lambda m: (m[0], m[1]))
            # the due date's history is the close date's only when the due date is the close date
            due_is_close = task.id in self._close_from_due
            task.field_history = [
                change for _, _, due, change in ordered if due_is_close or not due
            ]

    # -- mapping -----------------------------------------------------------------------------

    def _task(self, issue: Mapping[str, Any], custom: Mapping[str, tuple[str, str]]) -> Task:
        key = str(issue.get("key") or issue.get("id"))
        fields: Mapping[str, Any] = issue.get("fields") or {}
        status = fields.get("status") or {}
        assignee = fields.get("assignee") or {}
        task = Task(
            id=key,
            title=str(fields.get("summary") or "").strip() or key,
            status=status.get("name"),
            status_category=(status.get("statusCategory") or {}).get("key"),
            owner=assignee.get("displayName") or None,
            owner_email=assignee.get("emailAddress") or None,
            url=f"{self.settings.base_url}/browse/{key}",
        )
        task.started = read_time(task, "created", fields.get("created"))
        task.last_modified = read_time(task, "updated", fields.get("updated"))
        for deal, (field_id, name) in custom.items():
            apply_value(task, deal, name, _plain(fields.get(field_id), deal))
        if task.expected_close is None and fields.get("duedate"):
            apply_value(task, "expected_close", "duedate", fields["duedate"])
            self._close_from_due.add(task.id)
        return task


def _jql_value(value: str) -> str:
    """A project key as JQL wants it: bare when it is a plain key, quoted otherwise."""
    value = value.strip()
    if _BARE_JQL_VALUE.fullmatch(value) and value.lower() not in _JQL_RESERVED:
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _tracked_field_ids(custom: Mapping[str, tuple[str, str]]) -> dict[str, str]:
    """Changelog field id -> the tracked deal field it holds: the resolved custom fields of
    amount, probability and close date, the assignee (owner) and the due date (close date)."""
    tracked = {field_id: deal for deal, (field_id, _) in custom.items() if deal in TRACKED_FIELDS}
    tracked.setdefault("assignee", "owner")
    tracked.setdefault("duedate", "expected_close")
    return tracked


def _field_change(item: Mapping[str, Any], at: datetime, tracked: Mapping[str, str]
                  ) -> FieldChange | None:  # fmt: skip
    """A changelog item of a tracked field as a `FieldChange` (None: another field, or no change).
    Users and custom values are read from `fromString`/`toString`; the due date from `from`/`to`
    (ISO dates, where the strings carry a time)."""
    field_id = str(item.get("fieldId") or item.get("field") or "")
    deal = tracked.get(field_id)
    if deal is None:
        return None
    if field_id == "duedate":
        before, after = item.get("from"), item.get("to")
    else:
        before, after = item.get("fromString"), item.get("toString")
    change = FieldChange(at, deal, parse_field(deal, before), parse_field(deal, after))
    return None if change.from_value == change.to_value else change


def _is_status_item(item: Mapping[str, Any]) -> bool:
    # `fieldId` is missing on some items; match it when present, else the field name.
    field_id = item.get("fieldId")
    if field_id:
        return str(field_id).lower() == "status"
    return str(item.get("field", "")).lower() == "status"


def _changelog_time(value: Any) -> datetime | None:
    """A changelog `created`: an ISO string (`-0700` offsets), or epoch seconds/ms (the bulk
    endpoint's documented example shows a number, its schema a date-time: read both)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = value / 1000 if value > 1e11 else value
        return datetime.fromtimestamp(seconds, tz=UTC)
    if isinstance(value, str) and value.strip():
        try:
            return parse_datetime(value)
        except ValueError:
            log.warning("unreadable Jira changelog time %r; change skipped", value)
    return None


def _plain(value: Any, deal_field: str) -> RawValue:
    """A Jira field value as text or a number: options, users, ADF documents and lists."""
    if value is None or isinstance(value, str | int | float):
        return value
    if isinstance(value, list):
        parts = [str(p) for p in (_plain(v, deal_field) for v in value) if p not in (None, "")]
        return ", ".join(parts) or None
    if isinstance(value, dict):
        if value.get("type") == "doc":
            return _adf_text(value).strip() or None
        if deal_field == "owner_email" and value.get("emailAddress"):
            return str(value["emailAddress"])
        for key in ("value", "displayName", "name"):
            if value.get(key) is not None:
                return _plain(value[key], deal_field)
    return str(value)


def _adf_text(node: Mapping[str, Any]) -> str:
    """The text of an Atlassian Document Format node (paragraphs on their own lines)."""
    if node.get("type") == "text":
        return str(node.get("text", ""))
    inner = "".join(_adf_text(child) for child in node.get("content") or [])
    return inner + "\n" if node.get("type") == "paragraph" else inner


def _adf(text: str) -> dict[str, Any]:
    """Text as an Atlassian Document Format document, one paragraph per line (what v3 wants
    for a comment body or a paragraph field)."""
    paragraphs = [
        {"type": "paragraph", "content": [{"type": "text", "text": line}]}
        for line in text.split("\n")
        if line
    ]
    return {"type": "doc", "version": 1, "content": paragraphs}


def _webhook(hook: Mapping[str, Any]) -> Webhook:
    """An admin webhook as Jira answers it: its id is the last part of its `self` link."""
    return Webhook(str(hook.get("self") or "").rstrip("/").rsplit("/", 1)[-1], str(hook["url"]))
