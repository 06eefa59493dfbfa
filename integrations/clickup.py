"""ClickUp (API v2): the tasks of one list, with the time each entered its status.

Requests per sync, in order (see tests/cassettes/clickup/ for each scenario):
- per page of tasks (0-based, until `last_page` or an empty page):
  `GET /list/{id}/task?page=N&include_closed=true&subtasks=true&order_by=updated`
  (+ `date_updated_gt=<unix ms>` on an incremental sync), then the status history of that page in
  one call: `GET /task/bulk_time_in_status/task_ids?task_ids=a&task_ids=b` (100 ids at most; the
  bulk endpoint wants two or more, so a lone task uses `GET /task/{id}/time_in_status`);
- on an incremental sync only, the same listing with `archived=true`: archived tasks are hidden
  from the normal listing, and an archived task is a removed deal. (Whether `archived=true` lists
  archived tasks only or all of them is not documented; only tasks flagged `archived` are taken.)

A closed status (`status.type == "closed"`) is a finished deal, often a won one: not removed.

History limitation: "Time in Status" keeps one entry per status, with the time the task last
entered it; a deal that went back to an earlier status shows only that latest entry. It also needs
the "Total time in Status" ClickApp: when ClickUp refuses the call, the sync goes on with no
history (the engine keeps its own snapshots) and says so once.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any

from pydantic import field_validator

from bot.i18n import Said
from integrations import signatures
from integrations.base import (
    Adapter,
    DealUpdate,
    SourceDocs,
    SourceSettings,
    StatusChange,
    Task,
    Webhook,
    WriteRefused,
    id_from_url,
    register,
)
from integrations.deal_fields import RawValue, apply_value, find_by_name, task_label, wanted_fields
from integrations.http import HttpError, paginate
from integrations.values import currency_code, from_unix_ms, noon_utc
from integrations.writes import named_field, pick_option, pick_status, plan_write, refusals

DEFAULT_BASE_URL = "https://api.clickup.com/api/v2"
#: Most task ids the bulk time-in-status endpoint takes in one call.
BULK_LIMIT = 100
#: Refusals of the time-in-status endpoint that mean "no history here" rather than a broken sync
#: (ClickApp disabled, plan or permission limits; the exact answer is undocumented). The listing
#: just succeeded with the same token, so even a 401 here is about the feature, not the token;
#: a token revoked mid-sync still fails the sync on the next listing.
NO_HISTORY_STATUSES = frozenset({400, 401, 403, 404})
_LIST_IN_URL = re.compile(r"/li/(\d+)|/l/(?:li/)?(\d+)")
#: The task events a webhook asks for: enough to see every move, edit and removal.
WEBHOOK_EVENTS = [
    "taskCreated",
    "taskUpdated",
    "taskDeleted",
    "taskMoved",
    "taskStatusUpdated",
    "taskAssigneeUpdated",
    "taskDueDateUpdated",
]
_NUMERIC_TYPES = frozenset({"number", "currency", "emoji", "progress", "formula"})


class ClickUpSettings(SourceSettings):
    """`[[sources]]` for ClickUp: the `list` id (or its URL) and the API root."""

    base_url: str | None = DEFAULT_BASE_URL
    list: str
    #: the workspace ("team" in API v2) webhooks are registered in; needed only when the token
    #: sees several workspaces
    team: str | None = None

    @field_validator("list")
    @classmethod
    def _list_id(cls, value: str) -> str:
        return id_from_url(value, _LIST_IN_URL, Said("config.clickup_list"))


@register
class ClickUpAdapter(Adapter[ClickUpSettings]):
    """ClickUp tasks as deals; history from "Time in Status" (real times, one per status)."""

    kind = "clickup"
    settings_model = ClickUpSettings
    secret_names = ("CLICKUP_TOKEN",)
    docs = SourceDocs(
        title="ClickUp",
        key=(
            "`list` (id or URL; `team`, the workspace id, only for webhooks when the token sees "
            "several)"
        ),
        status="the status",
        history='time in status (the "Total time in Status" ClickApp)',
        secrets="Settings → Apps → API Token (pk_…).",
        check="`GET /list/{list}`",
        webhooks=(
            "the `secret` returned when the webhook was created (`webhooks register` keeps it)."
        ),
    )
    #: An incremental window starts this much before the bookmark: `date_updated_gt` is exact to the
    #: millisecond but our clock and ClickUp's may differ; upserts absorb the overlap.
    overlap = timedelta(minutes=5)
    has_history = True
    target_setting = "list"
    task_shape = {
        "name": str, "status": dict, "assignees": [dict], "url": str, "archived": bool,
        "date_created": (str, float), "date_updated": (str, float), "due_date": (str, float),
        "custom_fields": [dict],
    }  # fmt: skip

    webhook_secret_name = "CLICKUP_WEBHOOK_SECRET"

    def verify_webhook(
        self, headers: Mapping[str, str], body: bytes, callback_url: str, secret: str
    ) -> bool:
        """`X-Signature`: hex HMAC-SHA256 of the body with the secret ClickUp returned when the
        webhook was created."""
        given = signatures.header(headers, "X-Signature")
        return signatures.hex_hmac_sha256(secret, body, given)

    def connect(self) -> None:
        self.client = self.http_client(
            DEFAULT_BASE_URL,
            headers={"Authorization": self.secrets["CLICKUP_TOKEN"]},  # a pk_ token: no "Bearer"
        )
        self._history_available = True
        self._checked_fields = False

    # -- fetch -------------------------------------------------------------------------------

    def probe(self) -> str:
        """`GET /list/{id}`: the list's name."""
        found = self.client.get(f"/list/{self.settings.list}")
        return str(found.get("name") or self.settings.list)

    # -- write -------------------------------------------------------------------------------

    writable = True

    def write(self, task_id: str, update: DealUpdate) -> None:
        """Set the task's status (the list's own spelling of it) and due date in one
        `PUT /task/{id}`, each field `[sources.fields]` names through
        `POST /task/{id}/field/{field_id}`, and one comment (`POST /task/{id}/comment`) for a
        reason or next step with no field.

        The list's statuses (`GET /list/{id}`) and fields (`GET /list/{id}/field`) are read
        first: an unknown status, field or option is refused with nothing written. Setting the
        status a task already has changes nothing.
        """
        plan = plan_write(self.settings, update)
        task: dict[str, Any] = {}
        with refusals(self.name):
            if update.status is not None:
                listed = self.client.get(f"/list/{self.settings.list}")
                names = [str(s.get("status") or "") for s in listed.get("statuses") or []
                         if isinstance(s, Mapping)]  # fmt: skip
                task["status"] = pick_status(self.name, update.status, names, "ClickUp")
            values = self._field_values(plan.fields) if plan.fields else []
            if plan.due is not None:
                task["due_date"] = _noon_ms(plan.due)
                task["due_date_time"] = False
            if task:
                self.client.send("PUT", f"/task/{task_id}", json=task)
            for field_id, value in values:
                self.client.post(f"/task/{task_id}/field/{field_id}", json=value)
            if plan.comment:
                comment = {"comment_text": plan.comment, "notify_all": False}
                self.client.post(f"/task/{task_id}/comment", json=comment)

    def _field_values(
        self, fields: Mapping[str, tuple[str, str | date]]
    ) -> list[tuple[str, dict[str, Any]]]:
        """(field id, body) per named field: a drop-down takes its option's id, a date unix
        milliseconds (no time), any other the text."""
        listed = self.client.get(f"/list/{self.settings.list}/field")
        known = [(str(f.get("name") or ""), f) for f in listed.get("fields") or []
                 if isinstance(f, Mapping) and f.get("id")]  # fmt: skip
        values: list[tuple[str, dict[str, Any]]] = []
        for deal, (name, value) in fields.items():
            found = named_field(self.name, name, deal, known)
            kind = found.get("type")
            if kind == "drop_down":
                options = [(str(o.get("name") or ""), str(o["id"]))
                           for o in (found.get("type_config") or {}).get("options") or []
                           if o.get("id")]  # fmt: skip
                body: dict[str, Any] = {"value": pick_option("ClickUp", name, str(value), options)}
            elif kind == "date" and isinstance(value, date):
                body = {"value": _noon_ms(value), "value_options": {"time": False}}
            else:
                body = {"value": str(value)}
            values.append((str(found["id"]), body))
        return values

    # -- webhooks ----------------------------------------------------------------------------

    def _team(self) -> str:
        """The workspace ("team") id: `team`, else the only one the token sees (`GET /team`)."""
        if self.settings.team:
            return self.settings.team
        teams = [t for t in self.client.get("/team").get("teams") or [] if t.get("id")]
        if len(teams) != 1:
            names = ", ".join(f"{t.get('name')} ({t['id']})" for t in teams) or "—"
            raise WriteRefused(Said("webhooks.which_team", names=names, source=self.name))
        return str(teams[0]["id"])

    def register_webhook(self, url: str) -> Webhook:
        """`POST /team/{team}/webhook` for the list's task events. ClickUp answers with the
        secret it signs notifications with: it must go in `CLICKUP_WEBHOOK_SECRET`."""
        hook = {"endpoint": url, "events": WEBHOOK_EVENTS, "list_id": _number(self.settings.list)}
        with refusals(self.name):
            made = self.client.post(f"/team/{self._team()}/webhook", json=hook)
        found = made.get("webhook") or {}
        return Webhook(str(made.get("id") or found["id"]), str(found.get("endpoint") or url),
                       secret=found.get("secret"))  # fmt: skip

    def list_webhooks(self) -> list[Webhook]:
        """The token's webhooks on this list (`GET /team/{team}/webhook`)."""
        with refusals(self.name):
            listed = self.client.get(f"/team/{self._team()}/webhook")
        return [
            Webhook(str(hook["id"]), str(hook.get("endpoint") or ""))
            for hook in listed.get("webhooks") or []
            if isinstance(hook, Mapping) and str(hook.get("list_id")) == self.settings.list
        ]

    def remove_webhook(self, webhook_id: str) -> None:
        """`DELETE /webhook/{id}`."""
        with refusals(self.name):
            self.client.send("DELETE", f"/webhook/{webhook_id}")

    def fetch(self, since: datetime | None) -> Iterator[Task]:
        """Tasks of the list: all live ones, or those updated since `since` (archived ones
        flagged `removed`)."""
        params: dict[str, Any] = {
            "include_closed": "true",
            "subtasks": "true",
            "order_by": "updated",
        }
        if since is not None:
            params["date_updated_gt"] = str(int(since.timestamp() * 1000))
        seen: set[str] = set()
        passes = [params] if since is None else [params, {**params, "archived": "true"}]

        def pages() -> Iterator[list[Task]]:
            """The live tasks' pages, then (incremental) the archived ones' not seen yet."""
            for archived_pass, pass_params in enumerate(passes):
                for raws in paginate(partial(self._list_page, pass_params), source=self.name):
                    tasks = [
                        task
                        for raw in raws
                        if not isinstance(raw, Mapping)
                        or (
                            str(raw.get("id")) not in seen
                            and (not archived_pass or raw.get("archived"))
                        )
                        if (task := self.read_task(raw, self._task)) is not None
                    ]
                    self._attach_history([t for t in tasks if not t.removed])
                    seen.update(task.id for task in tasks)
                    yield tasks

        yield from self._counted(pages())

    def _list_page(
        self, params: Mapping[str, Any], page: int | None
    ) -> tuple[list[dict[str, Any]], int | None]:
        number = page or 0
        body = self.client.get(f"/list/{self.settings.list}/task", {"page": number, **params})
        tasks = list(body.get("tasks") or [])
        if not tasks or body.get("last_page", False):
            return tasks, None
        return tasks, number + 1

    # -- history -----------------------------------------------------------------------------

    def _attach_history(self, tasks: Sequence[Task]) -> None:
        for start in range(0, len(tasks), BULK_LIMIT):
            if not self._history_available:
                return
            chunk = {t.id: t for t in tasks[start : start + BULK_LIMIT]}
            try:
                answers = self._time_in_status(list(chunk))
            except HttpError as exc:
                if exc.status not in NO_HISTORY_STATUSES:
                    raise
                self._history_available = False
                self._warn(
                    f"source '{self.name}': ClickUp gives no status history ({exc}); enable the "
                    "'Total time in Status' ClickApp for real stage times. Until then stage "
                    "times come from the syncs themselves."
                )
                return
            for task_id, task in chunk.items():
                answer = answers.get(task_id)
                if isinstance(answer, Mapping):
                    task.history = _history(answer, task.started)

    def _time_in_status(self, ids: list[str]) -> Mapping[str, Any]:
        """Task id -> {current_status, status_history} for up to `BULK_LIMIT` tasks."""
        if len(ids) == 1:
            return {ids[0]: self.client.get(f"/task/{ids[0]}/time_in_status")}
        answer = self.client.get("/task/bulk_time_in_status/task_ids", {"task_ids": ids})
        return answer if isinstance(answer, Mapping) else {}

    # -- mapping -----------------------------------------------------------------------------

    def _task(self, raw: Mapping[str, Any]) -> Task:
        task_id = str(raw.get("id"))
        status = raw.get("status") or {}
        assignees = raw.get("assignees") or []
        first = assignees[0] if assignees else {}
        task = Task(
            id=task_id,
            title=str(raw.get("name") or "").strip() or task_id,
            status=status.get("status"),
            status_category=status.get("type"),
            owner=first.get("username") or None,
            owner_email=first.get("email") or None,
            url=raw.get("url") or None,
            removed=bool(raw.get("archived")),
        )
        task.started = _ms(task, "date_created", raw.get("date_created"))
        task.last_modified = _ms(task, "date_updated", raw.get("date_updated"))
        custom = [
            (str(cf.get("name", "")), cf)
            for cf in raw.get("custom_fields") or []
            if isinstance(cf, Mapping)
        ]
        for deal, name in wanted_fields(self.settings).items():
            field = find_by_name(name, custom)
            if field is None:
                if deal in self.settings.fields and not self._checked_fields:
                    self._warn(
                        f"source '{self.name}': no ClickUp custom field named '{name}' (for "
                        f"{deal}, set in [sources.fields]) on list {self.settings.list}; that deal "
                        "field stays empty"
                    )
                continue
            apply_value(task, deal, name, _field_value(task, deal, name, field))
        self._checked_fields = True
        if task.expected_close is None and raw.get("due_date"):
            due = _ms(task, "due_date", raw["due_date"])
            task.expected_close = due.date() if due else None
        return task


def _noon_ms(day: date) -> int:
    """A date as ClickUp's unix milliseconds (`noon_utc`)."""
    return int(noon_utc(day).timestamp() * 1000)


def _number(text: str) -> int | str:
    """A list id as ClickUp's JSON writes it (a number), when it is one."""
    return int(text) if text.isdigit() else text


def _history(answer: Mapping[str, Any], created: datetime | None) -> list[StatusChange]:
    """Status changes from one task's time in status: each status at the time it was (last)
    entered, in time order; the current status counts too.

    Time in Status keeps each status's latest entry only (and nothing from before the ClickApp
    was on), so the stay before the first entry would have no stage: it starts at the task's
    creation, in the status ClickUp creates tasks in, the list's first (lowest `orderindex`)
    among those the task has been in.
    """
    entered: dict[str, datetime] = {}
    entries = [*(answer.get("status_history") or []), answer.get("current_status") or {}]
    entries = [entry for entry in entries if isinstance(entry, Mapping)]
    for entry in entries:
        name = entry.get("status")
        try:
            at = from_unix_ms((entry.get("total_time") or {}).get("since"))
        except (TypeError, ValueError):
            at = None
        if name and at and (name not in entered or at > entered[name]):
            entered[str(name)] = at
    changes: list[StatusChange] = []
    previous: str | None = None
    for name, at in sorted(entered.items(), key=lambda item: item[1]):
        changes.append(StatusChange(at=at, to_status=name, from_status=previous))
        previous = name
    if changes and created is not None and created < changes[0].at:
        ranked = [e for e in entries if e.get("status") in entered]
        first = min(ranked, key=lambda e: (_rank(e.get("orderindex")), entered[e["status"]]))
        changes.insert(0, StatusChange(at=created, to_status=str(first["status"])))
        if len(changes) > 1 and changes[1].from_status is None:
            changes[1] = StatusChange(changes[1].at, changes[1].to_status, changes[0].to_status)
    return changes


def _rank(orderindex: Any) -> float:
    """A status's place in the list (`orderindex`, a number or a numeric string); unknown last."""
    try:
        return float(orderindex)
    except (TypeError, ValueError):
        return float("inf")


def _ms(task: Task, name: str, value: Any) -> datetime | None:
    try:
        return from_unix_ms(value)
    except (TypeError, ValueError):
        task.warnings.append(f"{task_label(task)}: {name} = {value!r} is not a ClickUp timestamp")
        return None


def _field_value(task: Task, deal: str, name: str, field: Mapping[str, Any]) -> RawValue:
    """A custom field's value as text, a number or a time, by its ClickUp type."""
    value = field.get("value")
    if value is None or value == "" or value == []:
        return None
    kind = field.get("type")
    config = field.get("type_config") or {}
    if kind == "drop_down":
        for option in config.get("options") or []:
            if str(option.get("orderindex")) == str(value) or option.get("id") == value:
                return str(option.get("name"))
        task.warnings.append(
            f"{task_label(task)}: {deal} (field '{name}') = {value!r} is not one of the field's "
            "options; left empty"
        )
        return None
    if kind == "labels" and isinstance(value, list):
        names = {o.get("id"): o.get("label") or o.get("name") for o in config.get("options") or []}
        return ", ".join(str(names.get(v, v)) for v in value)
    if kind in ("users", "people") and isinstance(value, list):
        key = "email" if deal == "owner_email" else "username"
        return ", ".join(str(u.get(key)) for u in value if isinstance(u, Mapping) and u.get(key))
    if kind == "date":
        try:
            return from_unix_ms(value)
        except (TypeError, ValueError):
            return str(value)
    if kind in _NUMERIC_TYPES:
        if kind == "currency" and deal == "amount" and config.get("currency_type"):
            try:
                task.currency = task.currency or currency_code(str(config["currency_type"]))
            except ValueError:
                task.warnings.append(f"{task_label(task)}: currency "
                                     f"{str(config['currency_type'])[:60]!r} is not a currency "
                                     "code; the configured currency is used")  # fmt: skip
        try:
            return float(value)  # a number, or a number sent as a string ("12000.50")
        except (TypeError, ValueError):
            return str(value)
    if isinstance(value, str | int | float):
        return value
    return str(value)
