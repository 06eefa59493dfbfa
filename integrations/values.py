"""Read cells the way people write them in sheets and custom fields (French and English habits).

Every parser returns None for an empty cell and raises `ValueError` with a short reason for a cell
it cannot read, so the caller can report the row, the column and the value and still load the row.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime, time, tzinfo
from functools import lru_cache

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "`": "'", "´": "'", "′": "'"})
_SPACE_RUN = re.compile(r"\s+")


@lru_cache(maxsize=8192)
def normalise(text: str) -> str:
    """The one matching key for what people type: statuses, names, custom fields, owners.

    Case, accents, the kind of apostrophe (`d’arriver` = `d'arriver`) and repeated or outer
    spaces are ignored. Cached: a sync normalises every status change, and a board has only a
    handful of statuses.
    """
    if text.isascii():  # nothing to decompose: the common case, several times faster
        return _SPACE_RUN.sub(" ", text.translate(_APOSTROPHES)).strip().casefold()
    decomposed = unicodedata.normalize("NFKD", text.translate(_APOSTROPHES))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACE_RUN.sub(" ", stripped).strip().casefold()


def header_key(text: str) -> str:
    """A column header's matching key: `normalise` without spaces and punctuation, so
    `Montant (€)`, `montant-HT` and `Montant HT` meet, and `E-mail` is `email`."""
    return "".join(ch for ch in normalise(text) if ch.isalnum())


_SPACES = re.compile(r"[\s\u00a0\u202f\u2009\u2007']+")
# Longest alternatives first: "euros" must not leave "os" behind after matching "eur".
_CURRENCY = re.compile(r"(€|\$|£|euros?|eur|usd|gbp|chf)", re.IGNORECASE)
_NUMBER = re.compile(r"^[+-]?\d[\d.,]*$")
_CURRENCY_CODES = {"€": "EUR", "$": "USD", "£": "GBP", "eur": "EUR", "euro": "EUR", "euros": "EUR"}


_ISO_CODE = re.compile(r"[A-Z]{3}")


def currency_code(text: str) -> str:
    """A currency as written (`€`, `eur`, `euros`, `USD`) → its ISO code (`EUR`, `USD`).

    Anything that is not three letters once read (`<@U999EVIL>`, `dollars US`) raises
    `ValueError`: the cell is reported and the deal takes the configured currency, so a
    currency cell never carries text into a message.
    """
    cleaned = text.strip()
    code = _CURRENCY_CODES.get(cleaned.lower(), cleaned.upper())
    if not is_currency_code(code):
        raise ValueError(f"not a currency code: {text!r}")
    return code


def is_currency_code(code: str) -> bool:
    """Three capital letters, like ISO 4217 (`EUR`): what a deal's currency may hold."""
    return bool(_ISO_CODE.fullmatch(code))


def parse_number(text: str) -> float:
    """A number written with French or English separators.

    One separator followed by exactly three digits groups thousands; otherwise it is the decimal
    mark. With both `.` and `,` present, the last one is the decimal mark.
    """
    cleaned = _SPACES.sub("", text)
    if not _NUMBER.match(cleaned):
        raise ValueError(f"not a number: {text!r}")
    sign = -1.0 if cleaned.startswith("-") else 1.0
    cleaned = cleaned.lstrip("+-")
    dots, commas = cleaned.count("."), cleaned.count(",")
    if dots and commas:
        decimal = "." if cleaned.rfind(".") > cleaned.rfind(",") else ","
        group = "," if decimal == "." else "."
        whole, _, frac = cleaned.rpartition(decimal)
        if not _groups_ok(whole, group):
            raise ValueError(f"not a number: {text!r}")
        return sign * float(whole.replace(group, "") + "." + frac)
    sep = "." if dots else "," if commas else ""
    if not sep:
        return sign * float(cleaned)
    parts = cleaned.split(sep)
    if len(parts) > 2:
        if not _groups_ok(cleaned, sep):
            raise ValueError(f"not a number: {text!r}")
        return sign * float(cleaned.replace(sep, ""))
    if len(parts[1]) == 3 and parts[0] not in ("", "0", "-0"):
        return sign * float(parts[0] + parts[1])
    return sign * float(parts[0] + "." + parts[1])


def _groups_ok(whole: str, group: str) -> bool:
    parts = whole.split(group)
    return bool(parts[0]) and len(parts[0]) <= 3 and all(len(p) == 3 for p in parts[1:])


def parse_amount(text: str | float | int | None) -> tuple[float | None, str | None]:
    """An amount and the currency its cell names, e.g. `12 000 €`, `€1,200.50`, `12k€`, `12 k`."""
    if text is None:
        return None, None
    if isinstance(text, int | float):
        return round(float(text), 2), None
    raw = text.strip()
    if not raw:
        return None, None
    currency = None
    found = _CURRENCY.search(raw)
    if found:
        currency = currency_code(found.group(1))
    body = _CURRENCY.sub("", raw)
    body = _SPACES.sub("", body)
    factor = 1.0
    if body[-1:].lower() in ("k", "m"):
        factor = 1000.0 if body[-1].lower() == "k" else 1_000_000.0
        body = body[:-1]
    if not body:
        raise ValueError(f"not an amount: {text!r}")
    try:
        value = parse_number(body)
    except ValueError:
        raise ValueError(f"not an amount: {text!r}") from None
    return round(value * factor, 2), currency


def parse_probability(text: str | float | int | None) -> float | None:
    """A probability in percent: `60`, `60 %`, `0,6`, `0.6` (≤ 1 with a decimal mark = fraction)."""
    if text is None:
        return None
    if isinstance(text, int | float):
        value = float(text)
        has_mark = isinstance(text, float) and not float(text).is_integer()
    else:
        raw = text.strip().rstrip("%").strip()
        if not raw:
            return None
        has_mark = "," in raw or "." in raw
        try:
            value = float(_SPACES.sub("", raw).replace(",", "."))
        except ValueError:
            raise ValueError(f"not a probability: {text!r}") from None
    if has_mark and 0 <= value <= 1:
        value *= 100
    if not 0 <= value <= 100:
        raise ValueError(f"probability out of 0-100: {text!r}")
    return round(value, 4)


def parse_date(text: str | None) -> date | None:
    """A date written ISO (`2026-03-31`, also with a time) or French style (`31/03/2026`)."""
    if text is None:
        return None
    raw = text.strip()
    if not raw:
        return None
    match = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", raw)
    try:
        if match:
            day, month, year = (int(g) for g in match.groups())
            return date(year, month, day)
        if len(raw) >= 10 and raw[4] == "-":
            return date.fromisoformat(raw[:10])
    except ValueError as exc:
        raise ValueError(f"not a date: {text!r}") from exc
    raise ValueError(f"not a date: {text!r}")


def parse_datetime(text: str | None, tz: tzinfo = UTC) -> datetime | None:
    """A timestamp (ISO 8601, offset with or without colon) or a bare date at 00:00 in `tz`."""
    if text is None:
        return None
    raw = text.strip()
    if not raw:
        return None
    iso = raw.replace("Z", "+00:00")
    iso = re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", iso)
    try:
        value = datetime.fromisoformat(iso)
    except ValueError:
        day = parse_date(raw)
        assert day is not None
        return datetime.combine(day, time(0, 0), tzinfo=tz)
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return value


def utc_iso(moment: datetime, *, millis: bool = False) -> str:
    """`moment` in UTC, ISO 8601 ending in `Z`, as the tools' filters take it: with `millis`
    the way Trello and Asana write times (`2026-03-02T08:00:00.000Z`), else as `isoformat`
    writes it (`2026-03-02T08:00:00Z`). A naive moment is refused: it would be read as this
    machine's local time."""
    if moment.tzinfo is None:
        raise ValueError("a timezone-aware datetime is required")
    utc = moment.astimezone(UTC)
    if millis:
        return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"
    return utc.isoformat().replace("+00:00", "Z")


def noon_utc(day: date) -> datetime:
    """A date written to a tool that stores a moment: noon UTC, the same calendar day from
    UTC-11 to UTC+11 (and read back as that date)."""
    return datetime.combine(day, time(12, 0), tzinfo=UTC)


def from_unix_ms(value: str | int | None) -> datetime | None:
    """ClickUp-style timestamps: unix milliseconds, as a string or a number."""
    if value in (None, ""):
        return None
    return datetime.fromtimestamp(int(value) / 1000, tz=UTC)
