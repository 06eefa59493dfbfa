"""Custom fields shared by the task-manager adapters: which deal fields to look for, and how to
read a value into a `Task` without ever dropping the task.

Why one place: every tool names the custom fields differently but the rules are the contract's:
`[sources.fields]` gives the display name (default: the deal field's own name), a value that can't
be read leaves the field empty and is reported with the task, the field and the value.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time
from typing import Any, TypeVar

from bot.i18n import Said
from integrations.base import SourceSettings, Task
from integrations.values import (
    currency_code,
    normalise,
    parse_amount,
    parse_date,
    parse_datetime,
    parse_probability,
)

#: Deal fields that only a custom field can hold.
CUSTOM_ONLY: tuple[str, ...] = (
    "client",
    "contact",
    "amount",
    "currency",
    "probability",
    "expected_close",
    "next_step",
    "lost_reason",
    "stage_entered",
)
#: Deal fields the tool holds itself; a custom field replaces them only when the user says so.
OWN_FIELDS: tuple[str, ...] = ("title", "owner", "owner_email", "status", "url", "started")

RawValue = str | int | float | bool | date | datetime | None
V = TypeVar("V")


def wanted_fields(settings: SourceSettings) -> dict[str, str]:
    """Deal field -> display name of the custom field that holds it, for this source."""
    wanted = {deal: settings.field_name(deal) for deal in CUSTOM_ONLY}
    for deal in OWN_FIELDS:
        if deal in settings.fields:
            wanted[deal] = settings.fields[deal]
    return wanted


def find_by_name(name: str, candidates: Iterable[tuple[str, V]]) -> V | None:
    """The candidate whose display name is `name`: exact match first, then normalised."""
    pairs = list(candidates)
    for candidate_name, value in pairs:
        if candidate_name == name:
            return value
    key = normalise(name)
    for candidate_name, value in pairs:
        if normalise(candidate_name) == key:
            return value
    return None


#: Date fields read as the due date when `[sources.fields] due` names none.
DUE_NAMES = frozenset(
    normalise(n)
    for n in ("due", "due date", "échéance", "date d'échéance", "date limite", "deadline")
)


def find_due(
    name: str | None, candidates: Sequence[tuple[str, V]], is_date: Callable[[V], bool]
) -> V | None:
    """The due-date field: the one `[sources.fields] due` names, else the first date field
    called like a due date (`DUE_NAMES`), so boards in English or French need no setting."""
    if name:
        return find_by_name(name, candidates)
    return next((v for n, v in candidates if is_date(v) and normalise(n) in DUE_NAMES), None)


#: How a warning names what a value should have been.
#: What a deal field's value should have been, for the warning (an i18n key each).
_WHAT = {
    "amount": "field.what.amount",
    "currency": "field.what.currency",
    "probability": "field.what.probability",
    "expected_close": "field.what.date",
    "stage_entered": "field.what.datetime",
    "started": "field.what.datetime",
}


def task_label(task: Task, noun: str = "task") -> str:
    """How warnings name a task: `card 'Refonte du site' (5f1a…)`."""
    return f"{noun} '{task.title}' ({task.id})"


def apply_value(
    task: Task, deal_field: str, display_name: str, raw: RawValue, noun: str = "task"
) -> None:
    """Parse `raw` into `task.<deal_field>`; an unreadable value leaves it empty, with a warning."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return
    try:
        _apply(task, deal_field, raw)
    except ValueError:
        shown = _as_text(raw)
        shown = shown if len(shown) <= 60 else shown[:57] + "..."
        what = Said(_WHAT.get(deal_field, "field.what.readable"))
        task.warnings.append(
            Said("field.unreadable", label=task_label(task, noun), field=display_name,
                 value=shown, what=what)
        )  # fmt: skip


def apply_custom_fields(
    task: Task, values: Mapping[str, RawValue], settings: SourceSettings, *, noun: str = "task"
) -> None:
    """Fill `task` from `values` (custom-field name normalised by `normalise` -> raw value).

    Fields absent from `values` keep the adapter's native values, unless `[sources.fields]`
    explicitly points a native field at a custom field (the contract: "only when it says so").
    """
    for deal_field, display in wanted_fields(settings).items():
        key = normalise(display)
        if key in values:
            apply_value(task, deal_field, display, values[key], noun)


def parse_field(deal_field: str, raw: RawValue) -> float | date | str | None:
    """`raw` read as `deal_field` reads it (for values in a tool's history); None when empty or
    unreadable: a past value that can't be read is not worth a warning."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    scratch = Task(id="", title="", status=None)
    try:
        _apply(scratch, deal_field, raw)
    except ValueError:
        return None
    value = getattr(scratch, deal_field)
    return value if isinstance(value, float | date | str) else None


def _apply(task: Task, deal_field: str, raw: RawValue) -> None:
    if deal_field == "amount":
        if isinstance(raw, date):
            raise ValueError("a date is not an amount")
        amount, currency = parse_amount(raw)
        task.amount = amount
        if currency and not task.currency:
            task.currency = currency
    elif deal_field == "probability":
        if isinstance(raw, date):
            raise ValueError("a date is not a probability")
        task.probability = parse_probability(raw)
    elif deal_field == "expected_close":
        task.expected_close = _as_date(raw)
    elif deal_field in ("stage_entered", "started"):
        setattr(task, deal_field, _as_datetime(raw))
    elif deal_field == "currency":
        text = _as_text(raw)
        task.currency = currency_code(text)
    else:
        setattr(task, deal_field, _as_text(raw))


def _as_text(raw: RawValue) -> str:
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    if isinstance(raw, datetime | date):
        return raw.isoformat()
    return str(raw).strip()


def _as_date(raw: RawValue) -> date | None:
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    if isinstance(raw, str):
        return parse_date(raw)
    raise ValueError(f"not a date: {raw!r}")


def _as_datetime(raw: RawValue) -> datetime | None:
    if isinstance(raw, datetime):
        return raw if raw.tzinfo else raw.replace(tzinfo=UTC)
    if isinstance(raw, date):
        return datetime.combine(raw, time(0, 0), tzinfo=UTC)
    if isinstance(raw, str):
        return parse_datetime(raw)
    raise ValueError(f"not a date and time: {raw!r}")


def read_time(task: Task, name: str, value: Any, noun: str = "task") -> datetime | None:
    """A tool's own timestamp field (ISO 8601); unreadable → None and a warning on the task."""
    if not value:
        return None
    try:
        return parse_datetime(str(value))
    except ValueError as exc:
        task.warnings.append(
            Said("field.bad_time", label=task_label(task, noun), name=name, value=repr(value),
                 error=str(exc))
        )  # fmt: skip
        return None
