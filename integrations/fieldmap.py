"""Put a task manager's custom-field values into `Task` fields, named as `[sources.fields]` says.

Why one place: every task manager keeps the deal fields it has no column for (client, amount,
probability…) in custom fields that the user names in their own language (`amount = "Montant"`).
The adapter only collects `display name -> raw value`; this module resolves the names, parses the
values the way sheets write them, and turns an unreadable value into a warning on the task (the
task still loads, with that field empty).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

from integrations.base import SourceSettings, Task
from integrations.values import parse_amount, parse_date, parse_datetime, parse_probability

#: A custom-field value as an adapter hands it over: text, a number, a date, a flag, or nothing.
RawValue = str | int | float | bool | date | None

#: Deal fields that live in custom fields by default (the tool has no native field for them).
CUSTOM_FIELDS: tuple[str, ...] = (
    "client",
    "contact",
    "amount",
    "currency",
    "probability",
    "expected_close",
    "stage_entered",
    "next_step",
    "lost_reason",
)

#: Deal fields the tool fills itself; a custom field overrides them only when `[sources.fields]`
#: names one explicitly (the contract: "only when it says so").
NATIVE_FIELDS: tuple[str, ...] = ("title", "owner", "owner_email", "status", "url", "started")

_SYMBOLS = {"€": "EUR", "$": "USD", "£": "GBP"}

_WHAT = {
    "amount": "an amount",
    "probability": "a probability",
    "expected_close": "a date",
    "stage_entered": "a date and time",
    "started": "a date and time",
}


def normalise_name(name: str) -> str:
    """Custom-field names compare without case or surrounding spaces (`Montant ` = `montant`)."""
    return " ".join(name.split()).casefold()


def apply_custom_fields(
    task: Task,
    values: Mapping[str, RawValue],
    settings: SourceSettings,
    *,
    noun: str = "card",
) -> None:
    """Fill `task` from `values` (custom-field display name -> raw value), adding warnings.

    `values` keys are normalised with `normalise_name`. Fields absent from `values` are left as
    they are, so the adapter's native values stay unless a custom field explicitly replaces them.
    """
    wanted = list(CUSTOM_FIELDS) + [f for f in NATIVE_FIELDS if f in settings.fields]
    for deal_field in wanted:
        display = settings.field_name(deal_field)
        key = normalise_name(display)
        if key not in values:
            continue
        raw = values[key]
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            continue
        try:
            _set(task, deal_field, raw)
        except ValueError:
            what = _WHAT.get(deal_field, "readable")
            task.warnings.append(
                f"{noun} '{task.title}': field '{display}' value '{_shown(raw)}' is not {what}"
            )


def _set(task: Task, deal_field: str, raw: RawValue) -> None:
    """Parse `raw` for `deal_field` and store it; ValueError when it cannot be read."""
    if deal_field == "amount":
        amount, currency = parse_amount(_number_or_text(raw))
        task.amount = amount
        if currency and not task.currency:
            task.currency = currency
    elif deal_field == "probability":
        task.probability = parse_probability(_number_or_text(raw))
    elif deal_field == "expected_close":
        task.expected_close = _as_date(raw)
    elif deal_field in ("stage_entered", "started"):
        setattr(task, deal_field, _as_datetime(raw))
    elif deal_field == "currency":
        text = _text(raw)
        task.currency = _SYMBOLS.get(text, text.upper() if len(text) == 3 else text)
    else:
        setattr(task, deal_field, _text(raw))


def _number_or_text(raw: RawValue) -> str | float | int | None:
    if isinstance(raw, bool | date):
        raise ValueError("not a number")
    return raw


def _as_date(raw: RawValue) -> date | None:
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    if isinstance(raw, str):
        return parse_date(raw)
    raise ValueError("not a date")


def _as_datetime(raw: RawValue) -> datetime | None:
    if isinstance(raw, datetime):
        if raw.tzinfo is None:
            raise ValueError("naive datetime")
        return raw
    if isinstance(raw, str):
        return parse_datetime(raw)
    raise ValueError("not a datetime")


def _text(raw: RawValue) -> str:
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return str(raw).strip()


def _shown(raw: RawValue) -> str:
    text = _text(raw)
    return text if len(text) <= 60 else text[:57] + "..."
