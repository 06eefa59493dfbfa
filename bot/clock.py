"""Local days: what "today", "idle for 7 days" and "as of" mean in the agency's time zone.

Day counts are between *local dates*, so a stage entered at 23:30 UTC on a Monday in Paris (00:30
Tuesday local) counts from Tuesday; DST changes do not make a day longer or shorter.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo


class BadDate(ValueError):
    """An --as-of value that is neither a date (ISO or dd/mm/yyyy) nor an ISO date-time."""


def parse_as_of(text: str | None, tz: tzinfo) -> datetime:
    """`--as-of`: a bare date (ISO or dd/mm/yyyy) is that day at 12:00 local; a date-time
    without offset is local."""
    if not text:
        return datetime.now(UTC)
    raw = text.strip()
    day = _bare_date(raw)
    if day is not None:
        return datetime.combine(day, time(12, 0), tzinfo=tz)
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise BadDate(
            f"--as-of: {text!r} is not a date (2026-03-31 or 31/03/2026) or date-time "
            "(2026-03-31T09:30)"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)


def _bare_date(raw: str) -> date | None:
    """A date in any ISO 8601 form (2026-03-31, 20260331) or as French sheets write it
    (31/03/2026, the same reading as a sheet's date cells), or None when `raw` is not one."""
    from integrations.values import parse_date

    for read in (date.fromisoformat, parse_date) if "/" in raw else (date.fromisoformat,):
        try:
            return read(raw)
        except ValueError:
            continue
    return None


def local_date(moment: datetime, tz: tzinfo) -> date:
    return moment.astimezone(tz).date()


def day_start(day: date, tz: tzinfo) -> datetime:
    """The instant a local day begins, in UTC (DST-safe: resolved by the zone itself)."""
    return datetime.combine(day, time(0, 0), tzinfo=tz).astimezone(UTC)


def business_days_between(start: date, end: date) -> int:
    """Mon-Fri days after `start` up to and including `end` (Friday → Monday = 1)."""
    if end <= start:
        return 0
    total = (end - start).days
    weeks, extra = divmod(total, 7)
    count = weeks * 5
    for offset in range(1, extra + 1):
        if (start + timedelta(days=weeks * 7 + offset)).weekday() < 5:
            count += 1
    return count


def days_between(start: date, end: date, counting: str) -> int:
    if counting == "business":
        return business_days_between(start, end)
    return (end - start).days


def latest_entry_for(days: int, today: date, counting: str) -> date:
    """The latest entry date whose idle count reaches `days` by `today` (for SQL cut-offs)."""
    if counting != "business":
        return today - timedelta(days=days)
    candidate = today - timedelta(days=days)
    while business_days_between(candidate, today) < days:
        candidate -= timedelta(days=1)
    while business_days_between(candidate + timedelta(days=1), today) >= days:
        candidate += timedelta(days=1)
    return candidate


def add_days(start: datetime, days: int, counting: str, tz: tzinfo) -> datetime:
    """`start` moved `days` calendar or business days later, same local time of day."""
    local = start.astimezone(tz)
    if counting != "business":
        day = local.date() + timedelta(days=days)
    else:
        day, left = local.date(), days
        while left > 0:
            day += timedelta(days=1)
            if day.weekday() < 5:
                left -= 1
    return datetime.combine(day, local.timetz().replace(tzinfo=None), tzinfo=tz)
