"""What every adapter's `write` shares: turning the tool's "no" into a `WriteRefused` for the
clicker, picking the tool's own spelling of a status, and the text of a comment.

Why one module: a write goes through the same `HttpClient` as reading, so its failures arrive as
the errors reading raises (`AuthError`, `HttpError` after the retries, a GraphQL error). The
clicker needs one short line saying what the tool refused, in their language, whichever tool it
is; and a write must never invent a status (a Notion select or a monday label would be created
on the fly), so the status is matched against the ones the tool lists first.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar

from bot.i18n import Said, said_of, t
from integrations.base import Adapter, DealUpdate, SourceError, SourceSettings, WriteRefused
from integrations.deal_fields import find_by_name

V = TypeVar("V")

#: The deal fields a comment carries when the tool has no field named for them, in this order.
COMMENTED = ("lost_reason", "next_step")


@contextmanager
def refusals(source: str) -> Iterator[None]:
    """Run a write; what reading would call an error becomes a `WriteRefused` saying why:
    the token lacks the right (401/403), still rate-limited after the retries (429), or the
    tool's own message (a GraphQL error, a 4xx body)."""
    from integrations.graphql import StillRateLimited
    from integrations.http import AuthError, HttpError

    try:
        yield
    except WriteRefused:
        raise
    except AuthError as exc:
        raise WriteRefused(Said("write.forbidden", source=source, status=exc.status)) from exc
    except HttpError as exc:
        if exc.status == 429:
            raise WriteRefused(Said("write.rate_limited", source=source)) from exc
        raise WriteRefused(Said("write.failed", source=source, error=said_of(exc))) from exc
    except StillRateLimited as exc:
        raise WriteRefused(Said("write.rate_limited", source=source)) from exc
    except SourceError as exc:
        raise WriteRefused(Said("write.failed", source=source, error=said_of(exc))) from exc


def pick_status(source: str, wanted: str, known: Iterable[str], where: str) -> str:
    """The tool's own spelling of the status `wanted` among `known` (case, accents and
    apostrophes ignored, as status matching does); a status the tool does not list is refused
    rather than created. `where` names the property, column or team for the message."""
    names = [name for name in known if name]
    found = find_by_name(wanted, [(name, name) for name in names])
    if found is None:
        raise WriteRefused(Said("write.unknown_status", source=source, status=wanted,
                                where=where, known=", ".join(names) or "—"))  # fmt: skip
    return found


def comment_text(update: DealUpdate, fields: Iterable[str]) -> str:
    """The comment saying the `fields` of `update` that have no field of their own in the tool
    (`Raison de la perte : …` on one line, `Prochaine étape : …` on the next, in
    `update.language`); "" when none."""
    lines = []
    for name in COMMENTED:
        value = getattr(update, name)
        if name in fields and value:
            lines.append(t(f"write.comment.{name}", update.language, value=value))
    return "\n".join(lines)


@dataclass
class WritePlan:
    """Where the values of one update go besides its status: the custom fields
    `[sources.fields]` names, the task's due date, and one comment for the rest."""

    #: deal field -> (the custom field's display name, the value)
    fields: dict[str, tuple[str, str | date]] = field(default_factory=dict)
    due: date | None = None
    comment: str = ""


def plan_write(settings: SourceSettings, update: DealUpdate) -> WritePlan:
    """The contract's rule for every tool: a lost reason, a next step or a close date goes to
    the field `[sources.fields]` names for it; else the close date to the due date and the
    texts into one comment (`comment_text`)."""
    plan = WritePlan()
    for deal in (*COMMENTED, "expected_close"):
        value = getattr(update, deal)
        if value is not None and deal in settings.fields:
            plan.fields[deal] = (settings.fields[deal], value)
    if update.expected_close is not None and "expected_close" not in plan.fields:
        plan.due = update.expected_close
    plan.comment = leftover_comment(settings, update)
    return plan


def leftover_comment(settings: SourceSettings, update: DealUpdate) -> str:
    """The comment for the lost reason and next step `[sources.fields]` names no field for
    (`comment_text`); the tools that write no custom field by id (Notion, monday) call it alone."""
    return comment_text(update, [f for f in COMMENTED if f not in settings.fields])


def pick_option(tool: str, field_name: str, wanted: str, options: Iterable[tuple[str, str]]
                ) -> str:  # fmt: skip
    """The id of the dropdown option named `wanted` among `(name, id)` pairs (names matched as
    statuses are); a value the field does not offer is refused rather than created."""
    pairs = [(name, option_id) for name, option_id in options if name]
    found = find_by_name(wanted, pairs)
    if found is None:
        raise WriteRefused(Said("write.no_option", tool=tool, field=field_name, value=wanted,
                                names=", ".join(name for name, _ in pairs) or "—"))  # fmt: skip
    return found


def no_field(source: str, field_name: str, deal_field: str) -> WriteRefused:
    """The refusal for a `[sources.fields]` name the tool does not have."""
    return WriteRefused(Said("write.no_field", source=source, name=field_name, field=deal_field))


def named_field(
    source: str, wanted: str, deal_field: str, candidates: Iterable[tuple[str, V]]
) -> V:
    """The tool's field called `wanted` among `(name, field)` pairs (matched as statuses are);
    a `[sources.fields]` name the tool does not have is refused (`no_field`), never created."""
    found = find_by_name(wanted, candidates)
    if found is None:
        raise no_field(source, wanted, deal_field)
    return found


def signing_secret(adapter: Adapter[Any]) -> str:
    """The secret in `adapter.webhook_secret_name`, for a tool that is handed its signing
    secret when the webhook is created (Jira, Linear): without it `serve` could check no
    notification, so registering is refused until it is set."""
    name = adapter.webhook_secret_name or ""
    secret = adapter.secrets.get(name) if name else None
    if not secret:
        raise WriteRefused(Said("webhooks.secret_first", source=adapter.name, name=name))
    return secret
