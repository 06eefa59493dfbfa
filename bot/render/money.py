"""Money, numbers and dates the way each language writes them (`12 000 €` / `€12,000`)."""

from __future__ import annotations

import re
from datetime import date, datetime, tzinfo

from bot.i18n import t

NARROW_NBSP = "\u202f"
_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "CHF": "CHF"}
_MONTHS = {
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    "fr": ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.",
           "nov.", "déc."),
}  # fmt: skip


def number(value: float, language: str, decimals: int = 0) -> str:
    text = f"{value:,.{decimals}f}"
    if language == "fr":
        return text.replace(",", NARROW_NBSP).replace(".", ",")
    return text


_CODE = re.compile(r"[A-Z]{3}")
#: The generic currency sign, for a code that is not one (`<@U999EVIL>` stored by an old sync).
UNKNOWN_CURRENCY = "¤"


def currency_symbol(currency: str | None) -> str:
    """`€` for EUR, the code itself for other ISO-4217-like codes, `¤` for anything else: a
    currency cell is text from a source and must never reach a message as it was written."""
    code = (currency or "").strip().upper()
    if code in _SYMBOLS:
        return _SYMBOLS[code]
    return code if _CODE.fullmatch(code) else UNKNOWN_CURRENCY


def money(value: float | None, currency: str, language: str) -> str:
    """Whole units unless there are cents: `12 000 €`, `€12,000`, `7 500,50 €`."""
    if value is None:
        return "—"
    decimals = 0 if float(value).is_integer() else 2
    amount = number(abs(value), language, decimals)
    sign = "-" if value < 0 else ""
    symbol = currency_symbol(currency)
    if language == "fr":
        return f"{sign}{amount}\u00a0{symbol}"
    if len(symbol) == 1:
        return f"{sign}{symbol}{amount}"
    return f"{sign}{amount} {symbol}"


def short_date(value: date | datetime | str | None, language: str, tz: tzinfo | None = None) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
    if isinstance(value, datetime):
        value = value.astimezone(tz).date() if tz else value.date()
    month = _MONTHS.get(language, _MONTHS["en"])[value.month - 1]
    if language == "fr":
        return f"{value.day} {month} {value.year}"
    return f"{month} {value.day}, {value.year}"


def month_name(key: str, language: str) -> str:
    """`2026-12` → `Dec 2026` / `déc. 2026`."""
    year, month = key.split("-")
    return f"{_MONTHS.get(language, _MONTHS['en'])[int(month) - 1]} {year}"


def percent(fraction: float | None, language: str, decimals: int | None = None) -> str:
    """`0.25` → `25%` / `25 %`; None → `—`; `decimals` fixes the digits after the mark."""
    if fraction is None:
        return "—"
    if decimals is None:
        decimals = 0 if (fraction * 100).is_integer() else 1
    value = number(fraction * 100, language, decimals)
    return f"{value}\u00a0%" if language == "fr" else f"{value}%"


def days_text(value: float | None, language: str) -> str:
    if value is None:
        return "—"
    shown = number(value, language, 0 if float(value).is_integer() else 1)
    return t("days", language, n=shown)
