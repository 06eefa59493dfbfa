"""Asana: the tasks of one project are deals, the task's section (or an enum field) its status.

Requests, counted because Asana's limits are per minute (150 free, 1,500 paid):

- Tasks: `GET /tasks?project=..&limit=100&opt_fields=..` (plus `modified_since=` on an incremental
  sync), following `next_page.offset`: ceil(tasks / 100) requests.
- History: Asana records each section move as a `section_changed` story (an enum change as
  `enum_custom_field_changed`) with its real time; the same stories give the field history
  (`due_date_changed`, `*_custom_field_changed`, `assigned`). Stories are per task, so they are
  read through `POST /batch`, 10 story requests per call: ceil(tasks / 10) more requests rather
  than one per task. A task with more than 100 stories costs a further batch slot per extra page.

Full sync = ceil(n/100) + ceil(n/10) requests; incremental = the same over the tasks modified since
the bookmark (a section move adds a story, which counts as a modification).

Completed tasks stay deals (their section says won or lost); a task deleted or taken out of the
project no longer appears, and the engine's daily full sync marks it removed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any

from pydantic import field_validator

from bot.i18n import Said
from integrations import signatures
from integrations.base import (
    TRACKED_FIELDS,
    Adapter,
    DealUpdate,
    FieldChange,
    Handshake,
    SourceDocs,
    SourceSettings,
    StatusChange,
    Task,
    Webhook,
    id_from_url,
    register,
)
from integrations.deal_fields import (
    RawValue,
    apply_custom_fields,
    apply_value,
    parse_field,
    wanted_fields,
)
from integrations.http import RETRY_STATUSES, HttpError, RetryBudget, RetryLater, paginate
from integrations.values import normalise, parse_datetime, utc_iso
from integrations.writes import named_field, pick_option, pick_status, plan_write, refusals

DEFAULT_BASE_URL = "https://app.asana.com/api/1.0"

TASK_FIELDS = ",".join(
    [
        "name",
        "assignee.name",
        "assignee.email",
        "created_at",
        "modified_at",
        "due_on",
        "completed",
        "completed_at",
        "memberships.project.gid",
        "memberships.section.name",
        "custom_fields.name",
        "custom_fields.type",
        "custom_fields.number_value",
        "custom_fields.enum_value.name",
        "custom_fields.display_value",
        "custom_fields.currency_code",
        "permalink_url",
    ]
)
#: (a section's `gid` comes with it unasked, as with every Asana object)
STORY_FIELDS = [
    "created_at",
    "resource_subtype",
    "old_section.name",
    "new_section.name",
    "new_section.project.gid",
    "custom_field.name",
    "old_enum_value.name",
    "new_enum_value.name",
    # field history: due date, number / text / date custom fields, assignee
    "old_dates.due_on",
    "new_dates.due_on",
    "old_number_value",
    "new_number_value",
    "old_text_value",
    "new_text_value",
    "old_date_value.date",
    "new_date_value.date",
    "assignee.name",
]
#: What a write reads of the task first: where it is, and its custom fields with their options.
WRITE_FIELDS = ",".join(
    [
        "memberships.project.gid",
        "memberships.section.name",
        "custom_fields.name",
        "custom_fields.type",
        "custom_fields.enum_value.name",
        "custom_fields.enum_options.name",
    ]
)
PAGE_SIZE = 100
BATCH_SIZE = 10  # Asana's maximum number of actions in one batch request


#: app.asana.com/0/<project>/… (classic links) or …/project/<project>/… (newer ones)
_PROJECT_IN_URL = re.compile(r"app\.asana\.com/0/(\d+)|/project/(\d+)")


class AsanaSettings(SourceSettings):
    """`[[sources]] kind = "asana"`: `project` gid; `status_field` names an enum custom field
    to read the status from instead of the task's section."""

    kind: str = "asana"
    base_url: str | None = DEFAULT_BASE_URL
    project: str
    status_field: str | None = None

    @field_validator("project")
    @classmethod
    def _project_gid(cls, value: str) -> str:
        return id_from_url(value, _PROJECT_IN_URL, Said("config.asana_project"))


@register
class AsanaAdapter(Adapter[AsanaSettings]):
    kind = "asana"
    settings_model = AsanaSettings
    secret_names = ("ASANA_TOKEN",)
    docs = SourceDocs(
        title="Asana",
        key="`project` (gid or URL; optional `status_field`)",
        status="the section (or an enum custom field)",
        history="`section_changed` stories of this project",
        secrets="My Settings → Apps → Developer apps → Personal access token.",
        check="`GET /projects/{project}?opt_fields=name`",
        webhooks=(
            "hands its secret over when the webhook is set up (kept in the database); set this "
            "only to pin one."
        ),
    )
    #: An incremental window starts a little before the bookmark: our clock is not Asana's;
    #: upserts absorb the overlap.
    overlap = timedelta(minutes=5)
    has_history = True
    target_setting = "project"
    task_id_key = "gid"
    task_shape = {
        "name": str, "assignee": dict, "created_at": str, "modified_at": str, "due_on": str,
        "completed": bool, "memberships": [dict], "custom_fields": [dict], "permalink_url": str,
    }  # fmt: skip
    has_field_history = True

    webhook_secret_name = "ASANA_WEBHOOK_SECRET"

    def webhook_handshake(self, headers: Mapping[str, str], body: bytes) -> Handshake | None:
        """Asana's set-up request carries `X-Hook-Secret` and expects it echoed: that value
        signs every later notification of this webhook."""
        secret = signatures.header(headers, "X-Hook-Secret")
        if not secret:
            return None
        return Handshake(secret=secret, headers=(("X-Hook-Secret", secret),))

    def verify_webhook(
        self, headers: Mapping[str, str], body: bytes, callback_url: str, secret: str
    ) -> bool:
        """`X-Hook-Signature`: hex HMAC-SHA256 of the body with the handshake's secret."""
        given = signatures.header(headers, "X-Hook-Signature")
        return signatures.hex_hmac_sha256(secret, body, given)

    def connect(self) -> None:
        self.client = self.http_client(
            DEFAULT_BASE_URL,
            headers={"Authorization": f"Bearer {self.secrets['ASANA_TOKEN']}"},
        )
        self._sections: set[str] | None = None

    def probe(self) -> str:
        """`GET /projects/{gid}?opt_fields=name`: the project's name."""
        body = self.client.get(f"/projects/{self.settings.project}", {"opt_fields": "name"})
        return str((body.get("data") or {}).get("name") or self.settings.project)

    # -- write -------------------------------------------------------------------------------

    writable = True

    def write(self, task_id: str, update: DealUpdate) -> None:
        """Move the task to the section named `update.status` in the configured project
        (`POST /sections/{gid}/addTask`; with `status_field`, set that enum field instead),
        then `due_on` and the fields `[sources.fields]` names in one `PUT /tasks/{gid}`, then
        one comment (`POST /tasks/{gid}/stories`) for a reason or next step with no field.

        The task is read first (`GET /tasks/{gid}`: its section, its custom fields and their
        options) and the project's sections when it must move, so an unknown name is refused
        with nothing written, and a task already in that section is not moved again (Asana
        would put it back on top of the section).
        """
        plan = plan_write(self.settings, update)
        data: dict[str, Any] = {}
        custom: dict[str, Any] = {}
        section: str | None = None
        with refusals(self.name):
            task: Mapping[str, Any] = {}
            if update.status is not None or plan.fields:
                answer = self.client.get(f"/tasks/{task_id}", {"opt_fields": WRITE_FIELDS})
                task = answer.get("data") or {}
            fields = [(str(f.get("name") or ""), f) for f in task.get("custom_fields") or []
                      if isinstance(f, Mapping) and f.get("gid")]  # fmt: skip
            if update.status is not None and self.settings.status_field:
                self._status_value(update.status, fields, custom)
            elif update.status is not None:
                section = self._section_to(update.status, task)
            for deal, (name, value) in plan.fields.items():
                found = named_field(self.name, name, deal, fields)
                custom[str(found["gid"])] = _custom_value(found, name, value)
            if plan.due is not None:
                data["due_on"] = plan.due.isoformat()
            if custom:
                data["custom_fields"] = custom
            if section is not None:
                self.client.post(f"/sections/{section}/addTask", json={"data": {"task": task_id}})
            if data:
                self.client.send("PUT", f"/tasks/{task_id}", json={"data": data})
            if plan.comment:
                self.client.post(f"/tasks/{task_id}/stories", json={"data": {"text": plan.comment}})

    def _section_to(self, status: str, task: Mapping[str, Any]) -> str | None:
        """The gid of the project's section named `status`; None when the task is in it."""
        for membership in task.get("memberships") or []:
            if (membership.get("project") or {}).get("gid") == self.settings.project:
                current = (membership.get("section") or {}).get("name")
                if current and normalise(current) == normalise(status):
                    return None
        body = self.client.get(
            f"/projects/{self.settings.project}/sections", {"opt_fields": "name"}
        )
        sections = {str(s.get("name") or ""): str(s["gid"]) for s in body.get("data") or []
                    if isinstance(s, Mapping) and s.get("gid")}  # fmt: skip
        return sections[pick_status(self.name, status, sections, "Asana")]

    def _status_value(
        self, status: str, fields: list[tuple[str, Mapping[str, Any]]], custom: dict[str, Any]
    ) -> None:
        """`status_field` (an enum) set to the option named `status`, unless it is already."""
        name = str(self.settings.status_field)
        found = named_field(self.name, name, "status", fields)
        current = (found.get("enum_value") or {}).get("name")
        if current and normalise(current) == normalise(status):
            return
        options = {str(o.get("name") or ""): str(o["gid"]) for o in found.get("enum_options") or []
                   if o.get("gid")}  # fmt: skip
        custom[str(found["gid"])] = options[pick_status(self.name, status, options, name)]

    # -- webhooks ----------------------------------------------------------------------------

    def register_webhook(self, url: str) -> Webhook:
        """`POST /webhooks` on the project, for its tasks' events. Asana calls `url` with an
        `X-Hook-Secret` handshake while this request waits, and `serve` keeps that secret."""
        hook = {"resource": self.settings.project, "target": url,
                "filters": [{"resource_type": "task"}]}  # fmt: skip
        with refusals(self.name):
            made = self.client.post("/webhooks", json={"data": hook})
        data = made.get("data") or {}
        return Webhook(str(data["gid"]), str(data.get("target") or url))

    def list_webhooks(self) -> list[Webhook]:
        """`GET /webhooks?workspace=..&resource=<project>` (the workspace is the project's)."""
        with refusals(self.name):
            project = self.client.get(
                f"/projects/{self.settings.project}", {"opt_fields": "workspace"}
            )
            workspace = ((project.get("data") or {}).get("workspace") or {}).get("gid")
            listed = self.client.get(
                "/webhooks", {"workspace": workspace, "resource": self.settings.project}
            )
        return [
            Webhook(str(hook["gid"]), str(hook.get("target") or ""))
            for hook in listed.get("data") or []
            if isinstance(hook, Mapping) and hook.get("gid")
        ]

    def remove_webhook(self, webhook_id: str) -> None:
        """`DELETE /webhooks/{gid}`."""
        with refusals(self.name):
            self.client.send("DELETE", f"/webhooks/{webhook_id}")

    def fetch(self, since: datetime | None) -> Iterator[Task]:
        """Every task of the project (since None), or those modified since `since`."""
        params: dict[str, Any] = {
            "project": self.settings.project,
            "limit": PAGE_SIZE,
            "opt_fields": TASK_FIELDS,
        }
        if since is not None:
            params["modified_since"] = utc_iso(since, millis=True)

        def page(offset: str | None) -> tuple[list[dict[str, Any]], str | None]:
            body = self.client.get("/tasks", {**params, **({"offset": offset} if offset else {})})
            return body.get("data") or [], (body.get("next_page") or {}).get("offset")

        def read(raws: list[Any]) -> list[Task]:
            """A page's tasks, with the stories of all of them asked in batches."""
            stories = self._stories(
                [str(raw["gid"]) for raw in raws if isinstance(raw, Mapping) and raw.get("gid")]
            )
            to_task = partial(self._task, stories=stories)
            return [task for raw in raws if (task := self.read_task(raw, to_task)) is not None]

        yield from self._counted(map(read, paginate(page, source=self.name)))

    def _stories(self, gids: list[str]) -> dict[str, list[dict[str, Any]]]:
        """Every story of each task, through `POST /batch` (10 story requests per call).

        A batch answers 200 even when some of its requests hit a rate limit or a server error:
        only those are asked again, in a later batch, after the client's one retry policy has
        waited (the longest `Retry-After` they gave), each within its own request's budget. A
        task deleted meanwhile (404) just has no history.
        """
        found: dict[str, list[dict[str, Any]]] = {gid: [] for gid in gids}
        pending: list[tuple[str, str | None, RetryBudget]] = [
            (gid, None, RetryBudget()) for gid in gids
        ]
        rounds = 0
        while pending:
            rounds += 1
            if rounds > 10_000:  # 100 stories a page: a million stories on one page of tasks
                raise HttpError(self.name, "POST", "/batch", None, "too many story pages")
            chunk, pending = pending[:BATCH_SIZE], pending[BATCH_SIZE:]
            actions = [self._story_action(gid, offset) for gid, offset, _ in chunk]
            body = self.client.post("/batch", json={"data": {"actions": actions}})
            results = body.get("data") or []
            if len(results) != len(chunk):
                raise HttpError(
                    self.name,
                    "POST",
                    "/batch",
                    200,
                    f"{len(results)} results for {len(chunk)} actions",
                )
            again: list[tuple[str, str | None, RetryBudget]] = []
            told: list[float] = []
            for (gid, offset, budget), result in zip(chunk, results, strict=True):
                code = result.get("status_code")
                answer = result.get("body") or {}
                if code == 200:
                    found[gid].extend(answer.get("data") or [])
                    following = (answer.get("next_page") or {}).get("offset")
                    if following:
                        pending.append((gid, following, RetryBudget()))
                elif code in RETRY_STATUSES:
                    again.append((gid, offset, budget))
                    wait = _seconds((result.get("headers") or {}).get("Retry-After"))
                    told += [wait] if wait is not None else []
                elif code != 404:
                    raise HttpError(
                        self.name, "GET", f"/tasks/{gid}/stories", code, _message(answer)
                    )
            if again:
                verdict = RetryLater(
                    f"{len(again)} story request(s) of the batch failed", max(told, default=None)
                )
                self.client.wait_to_retry(verdict, None, "POST /batch", *(b for _, _, b in again))
                pending = again + pending
        return found

    @staticmethod
    def _story_action(gid: str, offset: str | None) -> dict[str, Any]:
        options: dict[str, Any] = {"limit": PAGE_SIZE, "fields": STORY_FIELDS}
        if offset:
            options["offset"] = offset
        return {"relative_path": f"/tasks/{gid}/stories", "method": "get", "options": options}

    def _task(self, raw: Mapping[str, Any], stories: Mapping[str, list[dict[str, Any]]]) -> Task:
        assignee = raw.get("assignee") or {}
        values, currencies = _custom_values(raw.get("custom_fields") or [])
        task = Task(
            id=raw["gid"],
            title=raw.get("name") or "",
            status=self._status(raw, values),
            owner=assignee.get("name"),
            owner_email=assignee.get("email"),
            url=raw.get("permalink_url"),
            started=parse_datetime(raw.get("created_at")),
            last_modified=parse_datetime(raw.get("modified_at")),
            status_category="done" if raw.get("completed") else None,
        )
        apply_custom_fields(task, values, self.settings, noun="task")
        # a currency field says its currency beside the number: the deal's, unless a field says
        if task.amount is not None and task.currency is None:
            task.currency = currencies.get(normalise(self.settings.field_name("amount")))
        close_is_due = task.expected_close is None
        if close_is_due:
            apply_value(task, "expected_close", "due_on", raw.get("due_on"))
        own = stories.get(task.id, [])
        task.history = self._history(task, own)
        task.field_history = self._field_history(own, close_is_due)
        return task

    def _field_history(
        self, stories: list[dict[str, Any]], close_is_due: bool
    ) -> list[FieldChange]:
        """Changes of the tracked fields from the stories: `due_date_changed` (the close date
        when no custom field holds it), `number_`/`text_`/`date_`/`enum_custom_field_changed`
        of the fields `[sources.fields]` names, and `assigned`/`unassigned` (the owner: Asana's
        story names only the new assignee, so the one before is the previous story's)."""
        wanted = wanted_fields(self.settings)
        by_name = {normalise(wanted[f]): f for f in TRACKED_FIELDS if f in wanted}
        changes: list[FieldChange] = []
        owner: str | None = None
        dated: list[tuple[datetime, dict[str, Any]]] = []
        for story in stories:
            moment = parse_datetime(story.get("created_at"))
            if moment is not None:
                dated.append((moment, story))
        dated.sort(key=lambda pair: pair[0])
        for at, story in dated:
            subtype = str(story.get("resource_subtype") or "")
            if subtype == "due_date_changed" and close_is_due:
                deal = "expected_close"
                before = (story.get("old_dates") or {}).get("due_on")
                after = (story.get("new_dates") or {}).get("due_on")
            elif subtype in ("assigned", "unassigned"):
                deal, before = "owner", owner
                after = (story.get("assignee") or {}).get("name") if subtype == "assigned" else None
                owner = after
            elif subtype.endswith("_custom_field_changed"):
                name = normalise((story.get("custom_field") or {}).get("name") or "")
                found = by_name.get(name)
                if found is None:
                    continue
                deal = found
                before, after = _story_values(story, subtype.removesuffix("_custom_field_changed"))
            else:
                continue
            change = FieldChange(at, deal, parse_field(deal, before), parse_field(deal, after))
            if change.from_value != change.to_value:
                changes.append(change)
        return changes

    def _status(self, raw: Mapping[str, Any], values: Mapping[str, RawValue]) -> str | None:
        if self.settings.status_field:
            value = values.get(normalise(self.settings.status_field))
            return str(value) if value not in (None, "") else None
        for membership in raw.get("memberships") or []:
            if (membership.get("project") or {}).get("gid") == self.settings.project:
                return (membership.get("section") or {}).get("name")
        return None

    def _project_sections(self) -> set[str]:
        """The gids of the configured project's sections (`GET /projects/{gid}/sections`), read
        once, the first time a story's section names no project."""
        if self._sections is None:
            body = self.client.get(
                f"/projects/{self.settings.project}/sections", {"opt_fields": "name"}
            )
            self._sections = {
                str(section.get("gid"))
                for section in body.get("data") or []
                if isinstance(section, Mapping) and section.get("gid")
            }
        return self._sections

    def _in_project(self, section: Mapping[str, Any]) -> bool:
        """Whether a story's section belongs to the configured project: by the project the
        story names, else (real stories often name none: a task in two projects has the other
        project's moves too) by the project's own section ids."""
        project = (section.get("project") or {}).get("gid")
        if project:
            return str(project) == self.settings.project
        return str(section.get("gid")) in self._project_sections()

    def _history(self, task: Task, stories: list[dict[str, Any]]) -> list[StatusChange]:
        """Status moves from the stories, plus where the task started (at its creation).

        Asana writes no story for the section a task is created in: it is the section the first
        move left, or the current one when the task never moved.
        """
        field = normalise(self.settings.status_field) if self.settings.status_field else None
        changes: list[StatusChange] = []
        for story in stories:
            at = parse_datetime(story.get("created_at"))
            if at is None:
                continue
            subtype = story.get("resource_subtype")
            if field is None and subtype == "section_changed":
                new, old = story.get("new_section") or {}, story.get("old_section") or {}
                if not self._in_project(new):
                    continue  # a move inside another project the task is also in
                to, before = new.get("name"), old.get("name")
            elif field is not None and subtype == "enum_custom_field_changed":
                if normalise((story.get("custom_field") or {}).get("name") or "") != field:
                    continue
                to = (story.get("new_enum_value") or {}).get("name")
                before = (story.get("old_enum_value") or {}).get("name")
            else:
                continue
            if to:
                changes.append(StatusChange(at, to, before))
        changes.sort(key=lambda change: change.at)
        initial = changes[0].from_status if changes else task.status
        if initial and task.started and (not changes or task.started <= changes[0].at):
            changes.insert(0, StatusChange(task.started, initial))
        return changes


def _custom_value(field: Mapping[str, Any], name: str, value: str | date) -> Any:
    """A custom field's value as `PUT /tasks` takes it: an enum its option's gid, a date
    `{"date": "yyyy-mm-dd"}`, text as it is."""
    text = value.isoformat() if isinstance(value, date) else value
    if field.get("type") == "enum":
        options = [(str(o.get("name") or ""), str(o["gid"]))
                   for o in field.get("enum_options") or [] if o.get("gid")]  # fmt: skip
        return pick_option("Asana", name, text, options)
    if field.get("type") == "date":
        return {"date": text}
    return text


def _story_values(story: Mapping[str, Any], kind: str) -> tuple[RawValue, RawValue]:
    """(before, after) of a custom-field change story of type `kind` (number, text, date, enum)."""
    if kind == "date":
        return ((story.get("old_date_value") or {}).get("date"),
                (story.get("new_date_value") or {}).get("date"))  # fmt: skip
    if kind == "enum":
        return ((story.get("old_enum_value") or {}).get("name"),
                (story.get("new_enum_value") or {}).get("name"))  # fmt: skip
    return story.get(f"old_{kind}_value"), story.get(f"new_{kind}_value")


def _custom_values(
    fields: list[Mapping[str, Any]],
) -> tuple[dict[str, RawValue], dict[str, str]]:
    """`normalised display name -> value` (numbers as numbers, enums by option name, else text),
    and `name -> currency code` for the currency fields (`currency_code`, e.g. "EUR")."""
    values: dict[str, RawValue] = {}
    currencies: dict[str, str] = {}
    for custom in fields:
        name = normalise(custom.get("name") or "")
        kind = custom.get("type")
        code = custom.get("currency_code")
        if isinstance(code, str) and code.strip():
            currencies[name] = code.strip().upper()
        if kind == "number":
            values[name] = custom.get("number_value")
        elif kind == "enum":
            values[name] = (custom.get("enum_value") or {}).get("name")
        else:
            values[name] = custom.get("display_value")
    return values, currencies


def _message(answer: Mapping[str, Any]) -> str:
    errors = answer.get("errors") or []
    if errors and isinstance(errors[0], Mapping):
        return str(errors[0].get("message") or "error")[:200]
    return "error"


def _seconds(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
