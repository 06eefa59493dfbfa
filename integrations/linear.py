"""Linear (GraphQL): the issues of one team, with the real time of every state change.

Requests per sync (see tests/cassettes/linear/ for each scenario), all `POST /graphql`:
- per page of up to 50 issues: `issues(filter: …, first: 50, after: …)` with each issue's state,
  assignee, labels and its first 25 history entries, following `pageInfo.endCursor`;
- only for an issue with more history than that: `issue(id) { history(first: 100, after: …) }`
  until its history ends (old issues with many edits; most issues need none).
Pages of 50 and nested connections of 25 keep one query well under Linear's complexity limit
(connections multiply their children's cost by their size).

Filters: `{team: {key: {eq: "<team>"}}}`, plus `updatedAt: {gt: <bookmark - overlap>}` and
`includeArchived: true` on an incremental sync, so archived issues (`archivedAt` set) come back
and are yielded as removed. A full sync leaves archived issues out: the engine marks deals it no
longer sees as removed.

Linear has no custom fields. Deal fields other than its own (title, assignee, state, url,
createdAt, dueDate) are read, by display name through `deal_fields`, from:
- label groups: a label whose group (parent label) is named like the field, e.g. group « Client »
  with label « Boulangerie Dupain »;
- `Name: value` lines of the description, e.g. `Montant : 12 000 €` (Markdown bold and list
  bullets are ignored); a label group wins over a description line of the same name.
`expected_close` falls back to the issue's `dueDate`.

Errors: Linear signals rate limiting as HTTP 400 with `errors[].extensions.code == "RATELIMITED"`;
the adapter waits until `X-RateLimit-Requests-Reset` (epoch ms) and retries, within the HTTP
client's retry and wait budget. Other GraphQL errors end the sync with the vendor's message.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Mapping
from datetime import date, datetime, timedelta
from typing import Any, ClassVar

import requests
from pydantic import field_validator

from bot.i18n import Said
from integrations import signatures
from integrations.base import (
    Adapter,
    DealUpdate,
    FieldChange,
    SourceDocs,
    SourceError,
    SourceSettings,
    StatusChange,
    TargetNotFound,
    Task,
    Webhook,
    WriteRefused,
    register,
)
from integrations.deal_fields import RawValue, apply_value, find_by_name, read_time, wanted_fields
from integrations.graphql import (
    GraphQLError,
    StillRateLimited,
    error_code,
    error_text,
    errors_of,
    run_query,
)
from integrations.http import AuthError, RetryLater, json_body, paginate
from integrations.values import utc_iso
from integrations.writes import COMMENTED, comment_text, pick_status, refusals, signing_secret

#: How warnings name one deal of this tool.
NOUN = "issue"

DEFAULT_BASE_URL = "https://api.linear.app/graphql"
PAGE_SIZE = 50
HISTORY_SIZE = 25
HISTORY_PAGE = 100
LABELS_SIZE = 25
#: When the rate limit lifts: epoch milliseconds, on Linear's RATELIMITED answers (HTTP 400).
AUTH_HINT = "set LINEAR_API_KEY (a personal API key, see README)"

_HISTORY_FIELDS = (
    "nodes { createdAt fromState { name } toState { name } fromDueDate toDueDate "
    "fromAssignee { name } toAssignee { name } } pageInfo { hasNextPage endCursor }"
)
ISSUES_QUERY = (
    "query Deals($filter: IssueFilter, $first: Int, $after: String, $includeArchived: Boolean) { "
    "issues(filter: $filter, first: $first, after: $after, includeArchived: $includeArchived, "
    "orderBy: updatedAt) { "
    "nodes { id identifier title description url createdAt updatedAt archivedAt dueDate "
    "state { name type } assignee { name email } "
    f"labels(first: {LABELS_SIZE}) {{ nodes {{ name parent {{ name }} }} }} "
    f"history(first: {HISTORY_SIZE}) {{ {_HISTORY_FIELDS} }} }} "
    "pageInfo { hasNextPage endCursor } } }"
)
PROBE_QUERY = (
    "query Probe($key: String!) { teams(filter: {key: {eq: $key}}) { nodes { id key name } } }"
)
HISTORY_QUERY = (
    "query DealHistory($id: String!, $first: Int, $after: String) { "
    f"issue(id: $id) {{ history(first: $first, after: $after) {{ {_HISTORY_FIELDS} }} }} }}"
)
WRITE_TARGET_QUERY = (
    "query Target($id: String!) { issue(id: $id) { id identifier team { key states(first: 100) "
    "{ nodes { id name type } } } comments(first: 50) { nodes { body } } } }"
)
UPDATE_QUERY = (
    "mutation Move($id: String!, $input: IssueUpdateInput!) { issueUpdate(id: $id, input: "
    "$input) { success issue { id identifier state { name } dueDate } } }"
)
COMMENT_QUERY = (
    "mutation Comment($input: CommentCreateInput!) { commentCreate(input: $input) { success "
    "comment { id } } }"
)
TEAM_QUERY = (
    "query Team($key: String!) { teams(filter: {key: {eq: $key}}) { nodes { id key name } } }"
)
CREATE_WEBHOOK_QUERY = (
    "mutation Hook($input: WebhookCreateInput!) { webhookCreate(input: $input) { success "
    "webhook { id url enabled } } }"
)
WEBHOOKS_QUERY = "query Hooks { webhooks(first: 100) { nodes { id url enabled team { key } } } }"
DELETE_WEBHOOK_QUERY = "mutation Unhook($id: String!) { webhookDelete(id: $id) { success } }"
#: What a webhook notifies: issues (moves, dates) and their comments.
WEBHOOK_RESOURCES = ("Issue", "Comment")
WEBHOOK_LABEL = "pipeline-bot"
_LINE = re.compile(r"^\s*(?:[-*+]\s+)?\**\s*([^:*\n]{1,60}?)\s*\**\s*:\s*\**\s*(.+?)\s*$")
_TEAM_KEY = re.compile(r"[A-Za-z0-9_]{1,20}")


class LinearSettings(SourceSettings):
    """`[[sources]]` for Linear: the `team` key (the prefix of issue ids, e.g. "SAL")."""

    base_url: str | None = DEFAULT_BASE_URL
    team: str

    @field_validator("team")
    @classmethod
    def _team_key(cls, value: str) -> str:
        value = value.strip()
        if not _TEAM_KEY.fullmatch(value):
            raise ValueError(Said("config.linear_team"))
        return value.upper()


@register
class LinearAdapter(Adapter[LinearSettings]):
    """Linear issues as deals; history from each issue's state changes (real times)."""

    kind = "linear"
    settings_model = LinearSettings
    secret_names = ("LINEAR_API_KEY",)
    docs = SourceDocs(
        title="Linear",
        key="`team` (key, e.g. `SAL`)",
        status="the workflow state",
        history="the issue history",
        secrets="Settings → API → Personal API keys (lin_api_…).",
        check="`teams(filter: {key: {eq: team}}) { nodes { id key name } }`",
        webhooks=(
            "a long random string you choose before `pipeline-bot webhooks register` (it is "
            "sent as the webhook's secret), or the signing secret shown on the page of a "
            "webhook made by hand (Settings → API → Webhooks)."
        ),
    )
    #: An incremental window starts this much before the bookmark: `updatedAt` is exact, but clocks
    #: differ and a write may land just after it is stamped; upserts absorb the overlap.
    overlap = timedelta(minutes=5)
    has_history = True
    target_setting = "team"
    task_id_key = "identifier"
    task_title_key = "title"
    task_shape = {
        "id": str, "title": str, "description": str, "url": str, "createdAt": str,
        "updatedAt": str, "archivedAt": str, "dueDate": str, "state": dict, "assignee": dict,
        "labels": dict, "history": dict,
    }  # fmt: skip
    task_noun = NOUN

    webhook_secret_name = "LINEAR_WEBHOOK_SECRET"

    #: Linear's advice: refuse a notification whose `webhookTimestamp` is older than a minute.
    webhook_max_age_s: ClassVar[float] = 60.0

    def verify_webhook(
        self, headers: Mapping[str, str], body: bytes, callback_url: str, secret: str
    ) -> bool:
        """`Linear-Signature`: hex HMAC-SHA256 of the body; and the body's `webhookTimestamp`
        (epoch milliseconds) within a minute of now, so a captured notification can't be
        replayed later."""
        given = signatures.header(headers, "Linear-Signature")
        if not signatures.hex_hmac_sha256(secret, body, given):
            return False
        payload = signatures.json_object(body)
        stamp = payload.get("webhookTimestamp") if payload else None
        if not isinstance(stamp, int | float) or isinstance(stamp, bool):
            return False
        return abs(time.time() - stamp / 1000) <= self.webhook_max_age_s

    def connect(self) -> None:
        self.client = self.http_client(
            DEFAULT_BASE_URL,
            # a personal API key goes in as is: no "Bearer"
            headers={"Authorization": self.secrets["LINEAR_API_KEY"]},
            auth_hint=AUTH_HINT,
        )
        self._found: set[str] = set()

    # -- fetch -------------------------------------------------------------------------------

    def probe(self) -> str:
        """`teams(filter: {key: {eq: team}}) { nodes { id key name } }`: the team's name."""
        data = self._query(PROBE_QUERY, {"key": self.settings.team})
        teams = [t for t in (data.get("teams") or {}).get("nodes") or [] if isinstance(t, Mapping)]
        if not teams:
            raise TargetNotFound(
                f"source '{self.name}': Linear has no team with key {self.settings.team} visible "
                "to LINEAR_API_KEY"
            )
        return str(teams[0].get("name") or self.settings.team)

    def fetch(self, since: datetime | None) -> Iterator[Task]:
        """Issues of the team: all live ones, or those updated since `since` (archived ones
        flagged `removed`)."""
        variables = self.issue_variables(since)

        def issues_page(cursor: str | None) -> tuple[list[Any], str | None]:
            data = self._query(ISSUES_QUERY, {**variables, "after": cursor})
            issues = data.get("issues") or {}
            info = issues.get("pageInfo") or {}
            following = info.get("endCursor") if info.get("hasNextPage") else None
            return list(issues.get("nodes") or []), following or None

        yielded = yield from self._tasks_by_page(
            paginate(issues_page, source=self.name), self._task
        )
        missing = sorted(set(wanted_fields(self.settings)) & set(self.settings.fields))
        for deal in (d for d in missing if d not in self._found and yielded):
            self._warn(
                f"source '{self.name}': no issue has a label group or a description line named "
                f"'{self.settings.fields[deal]}' (for {deal}, set in [sources.fields]); that "
                "deal field stays empty"
            )

    def issue_variables(self, since: datetime | None) -> dict[str, Any]:
        """The variables of the issues query (without the cursor)."""
        team = {"team": {"key": {"eq": self.settings.team}}}
        if since is None:
            return {"filter": team, "first": PAGE_SIZE, "includeArchived": False}
        start = utc_iso(since)
        return {
            "filter": {"updatedAt": {"gt": start}, **team},
            "first": PAGE_SIZE,
            "includeArchived": True,
        }

    # -- requests ----------------------------------------------------------------------------

    def _query(self, query: str, variables: Mapping[str, Any]) -> Mapping[str, Any]:
        """One GraphQL call; `_validate` classifies the answer."""
        return run_query(self.client, query, variables, self._validate)

    def _validate(self, response: requests.Response) -> None:
        """Linear says "slow down" and "no" in the body (HTTP 400 or 200 with `errors`)."""
        if response.status_code not in (200, 400):
            return  # the client's status rules apply
        errors = errors_of(json_body(response))
        if not errors:
            return
        if any(error_code(e) == "RATELIMITED" for e in errors):
            raise RetryLater(
                "Linear answered RATELIMITED",
                rate_limited=True,
                final=lambda detail: StillRateLimited(
                    f"source '{self.name}': Linear still rate limited ({detail})"
                ),
            )
        raise self._error(errors)

    def _error(self, errors: list[dict[str, Any]]) -> SourceError:
        if any(error_code(e) == "AUTHENTICATION_ERROR" for e in errors):
            return AuthError(
                self.name, "POST", "/graphql", 400, f"the key was refused; {AUTH_HINT}"
            )
        if any(error_code(e) == "FORBIDDEN" for e in errors):  # e.g. a key without `write`
            return AuthError(self.name, "POST", "/graphql", 403,
                             f"{error_text(errors)}; {AUTH_HINT}")  # fmt: skip
        return GraphQLError(f"source '{self.name}': Linear refused the query: {error_text(errors)}")

    def _more_history(self, issue_id: str, cursor: str) -> list[Any]:
        """The rest of one issue's history, for the few issues with more than HISTORY_SIZE."""

        def history_page(after: str | None) -> tuple[list[Any], str | None]:
            data = self._query(
                HISTORY_QUERY, {"id": issue_id, "first": HISTORY_PAGE, "after": after or cursor}
            )
            history = (data.get("issue") or {}).get("history") or {}
            info = history.get("pageInfo") or {}
            following = info.get("endCursor") if info.get("hasNextPage") else None
            return list(history.get("nodes") or []), following or None

        return [node for page in paginate(history_page, source=self.name) for node in page]

    # -- mapping -----------------------------------------------------------------------------

    def _task(self, node: Mapping[str, Any]) -> Task:
        key = str(node.get("identifier") or node.get("id"))
        state = node.get("state") or {}
        assignee = node.get("assignee") or {}
        task = Task(
            id=key,
            title=str(node.get("title") or "").strip() or key,
            status=state.get("name"),
            status_category=state.get("type"),
            owner=assignee.get("name") or None,
            owner_email=assignee.get("email") or None,
            url=node.get("url") or None,
            removed=bool(node.get("archivedAt")),
        )
        task.started = read_time(task, "createdAt", node.get("createdAt"), NOUN)
        task.last_modified = read_time(task, "updatedAt", node.get("updatedAt"), NOUN)

        candidates = _labelled(node) + _described(node.get("description"))
        for deal, name in wanted_fields(self.settings).items():
            value = find_by_name(name, candidates)
            if value is not None:
                self._found.add(deal)
                apply_value(task, deal, name, value, NOUN)
        due_is_close = task.expected_close is None
        if due_is_close and node.get("dueDate"):
            apply_value(task, "expected_close", "dueDate", str(node["dueDate"]), NOUN)

        if not task.removed:
            history = node.get("history") or {}
            entries = list(history.get("nodes") or [])
            info = history.get("pageInfo") or {}
            if info.get("hasNextPage") and info.get("endCursor") and node.get("id"):
                entries += self._more_history(str(node["id"]), str(info["endCursor"]))
            task.history = _history(task, entries)
            task.field_history = _field_history(task, entries, due_is_close=due_is_close)
        return task

    # -- write -------------------------------------------------------------------------------

    writable = True

    def write(self, task_id: str, update: DealUpdate) -> None:
        """One read of the issue (its id, its team's workflow states, its comments), then
        `issueUpdate` with the `stateId` of the state named by the status (one the team has,
        never a new one) and the `dueDate`; Linear has no custom fields, so a lost reason and a
        next step go in one comment (`commentCreate`), unless the issue already has that exact
        comment. Writing the same update twice leaves the issue as the first write did."""
        with refusals(self.name):
            found = self._query(WRITE_TARGET_QUERY, {"id": task_id}).get("issue")
            if not isinstance(found, Mapping) or not found.get("id"):
                raise WriteRefused(Said("write.no_task", source=self.name, noun=NOUN, id=task_id))
            issue_id = str(found["id"])
            changes: dict[str, Any] = {}
            if update.status is not None:
                team = found.get("team") or {}
                states = {str(s.get("name")): str(s.get("id"))
                          for s in (team.get("states") or {}).get("nodes") or []
                          if isinstance(s, Mapping) and s.get("id")}  # fmt: skip
                name = pick_status(self.name, update.status, states,
                                   f"« {team.get('key') or self.settings.team} »")  # fmt: skip
                changes["stateId"] = states[name]
            if update.expected_close is not None:
                changes["dueDate"] = update.expected_close.isoformat()
            if changes:
                done = self._query(UPDATE_QUERY, {"id": issue_id, "input": changes})
                if not (done.get("issueUpdate") or {}).get("success"):
                    raise WriteRefused(Said("write.failed", source=self.name,
                                            error="issueUpdate: success false"))  # fmt: skip
            text = comment_text(update, COMMENTED)
            said = {str(c.get("body") or "").strip()
                    for c in (found.get("comments") or {}).get("nodes") or []
                    if isinstance(c, Mapping)}  # fmt: skip
            if text and text not in said:
                self._query(COMMENT_QUERY, {"input": {"issueId": issue_id, "body": text}})

    # -- webhooks ------------------------------------------------------------------------------

    def register_webhook(self, url: str) -> Webhook:
        """`webhookCreate` for the team's issues and comments, signed with
        LINEAR_WEBHOOK_SECRET (set it first: `serve` checks every notification with it).
        Creating webhooks needs an admin's API key."""
        secret = signing_secret(self)
        with refusals(self.name):
            teams = self._query(TEAM_QUERY, {"key": self.settings.team}).get("teams") or {}
            nodes = [t for t in teams.get("nodes") or [] if isinstance(t, Mapping)]
            if not nodes:
                raise WriteRefused(Said("write.no_task", source=self.name, noun="team",
                                        id=self.settings.team))  # fmt: skip
            payload = {"url": url, "teamId": str(nodes[0].get("id")), "label": WEBHOOK_LABEL,
                       "resourceTypes": list(WEBHOOK_RESOURCES), "secret": secret}  # fmt: skip
            made = self._query(CREATE_WEBHOOK_QUERY, {"input": payload}).get("webhookCreate")
        hook = (made or {}).get("webhook") or {}
        if not (made or {}).get("success") or not hook.get("id"):
            raise WriteRefused(Said("write.failed", source=self.name,
                                    error="webhookCreate: success false"))  # fmt: skip
        return Webhook(id=str(hook["id"]), url=str(hook.get("url") or url))

    def list_webhooks(self) -> list[Webhook]:
        """The workspace's webhooks on this source's team."""
        with refusals(self.name):
            hooks = (self._query(WEBHOOKS_QUERY, {}).get("webhooks") or {}).get("nodes") or []
        return [
            Webhook(id=str(hook["id"]), url=str(hook.get("url") or ""))
            for hook in hooks
            if isinstance(hook, Mapping)
            and hook.get("id")
            and ((hook.get("team") or {}).get("key") or "").upper() == self.settings.team
        ]

    def remove_webhook(self, webhook_id: str) -> None:
        """`webhookDelete(id)`."""
        with refusals(self.name):
            done = self._query(DELETE_WEBHOOK_QUERY, {"id": webhook_id}).get("webhookDelete")
        if not (done or {}).get("success"):
            raise WriteRefused(Said("write.failed", source=self.name,
                                    error="webhookDelete: success false"))  # fmt: skip


def _labelled(node: Mapping[str, Any]) -> list[tuple[str, RawValue]]:
    """(group name, label name) for each label that belongs to a label group."""
    found: list[tuple[str, RawValue]] = []
    for label in (node.get("labels") or {}).get("nodes") or []:
        parent = (label or {}).get("parent") or {}
        if parent.get("name") and label.get("name"):
            found.append((str(parent["name"]), str(label["name"])))
    return found


def _described(description: Any) -> list[tuple[str, RawValue]]:
    """(name, value) for each `Name: value` line of a Markdown description."""
    if not isinstance(description, str):
        return []
    found: list[tuple[str, RawValue]] = []
    for line in description.splitlines():
        match = _LINE.match(line)
        if match and not match.group(2).startswith("//"):  # "Voir https://…" is a link
            found.append((match.group(1).strip(), match.group(2).strip().strip("*").strip()))
    return found


def _field_history(task: Task, entries: list[Any], *, due_is_close: bool) -> list[FieldChange]:
    """Owner and close-date changes from the issue history Linear keeps (`fromAssignee` /
    `toAssignee`, `fromDueDate` / `toDueDate`). The due date is the deal's close date only when
    no description line or label gave one (`due_is_close`); amounts live in labels and
    descriptions, whose history Linear does not keep, so those are seen between syncs."""
    changes: list[FieldChange] = []
    for entry in entries:
        if not isinstance(entry, Mapping):
            continue
        at = read_time(task, "history.createdAt", entry.get("createdAt"), NOUN)
        if at is None:
            continue
        before, after = _name(entry.get("fromAssignee")), _name(entry.get("toAssignee"))
        if before != after:
            changes.append(FieldChange(at, "owner", before, after))
        if due_is_close and ("fromDueDate" in entry or "toDueDate" in entry):
            was, now = _day(entry.get("fromDueDate")), _day(entry.get("toDueDate"))
            if was != now:
                changes.append(FieldChange(at, "expected_close", was, now))
    return sorted(changes, key=lambda change: change.at)


def _name(user: Any) -> str | None:
    return str(user["name"]) if isinstance(user, Mapping) and user.get("name") else None


def _day(value: Any) -> date | None:
    """A Linear `TimelessDate` ("2026-03-31"), None when empty or unreadable."""
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _history(task: Task, entries: list[Any]) -> list[StatusChange]:
    """State changes in time order, starting with the state the issue was created in."""
    moves: list[StatusChange] = []
    for entry in entries:
        to_state = ((entry or {}).get("toState") or {}).get("name")
        if not to_state:
            continue  # a change of something else (title, labels, assignee...)
        at = read_time(task, "history.createdAt", entry.get("createdAt"), NOUN)
        if at is None:
            continue
        from_state = (entry.get("fromState") or {}).get("name") or None
        moves.append(StatusChange(at=at, to_status=str(to_state), from_status=from_state))
    moves.sort(key=lambda change: change.at)
    initial = moves[0].from_status if moves else task.status
    if task.started is not None and initial and (not moves or moves[0].at >= task.started):
        # History records moves, not the state an issue was created in.
        moves.insert(0, StatusChange(at=task.started, to_status=initial))
    return moves
