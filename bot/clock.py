"""Local days: what "today", "idle for 7 days" and "as of" mean in the agency's time zone.

Day counts are between *local dates*, so a stage entered at 23:30 UTC on a Monday in Paris (00:30
Tuesday local) counts from Tuesday; DST changes do not make a day longer or shorter.
"""

from __future__ import annotations

from bisect import bisect_right
from datetime import UTC, date, datetime, time, timedelta, tzinfo


class DaysOff:
    """A country's public holidays (the `holidays` library), for business-day counts and the
    nudge schedule; `DaysOff("")` has none.

    Lazy on purpose: the library is imported, and a year's holidays computed, only when a count
    or the schedule asks about a day of that year, so a `/pipeline` answer with calendar-day
    counting never pays for it.
    """

    def __init__(self, country: str = ""):
        self.country = country.strip().upper()
        self._years: dict[int, tuple[date, ...]] = {}

    def __bool__(self) -> bool:
        return bool(self.country)

    def __repr__(self) -> str:
        return f"DaysOff({self.country!r})"

    def of_year(self, year: int) -> tuple[date, ...]:
        """The holidays of `year` that fall on a weekday (Mon-Fri), sorted."""
        if not self.country:
            return ()
        found = self._years.get(year)
        if found is None:
            import holidays

            days = holidays.country_holidays(self.country, years=year)
            found = self._years[year] = tuple(sorted(d for d in days if d.weekday() < 5))
        return found

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and day in self.of_year(day.year)

    def weekdays_between(self, start: date, end: date) -> int:
        """Holidays on a weekday after `start` up to and including `end`."""
        if not self.country or end <= start:
            return 0
        count = 0
        for year in range(start.year, end.year + 1):
            days = self.of_year(year)
            count += bisect_right(days, end) - bisect_right(days, start)
        return count


#: No public holidays (`[nudges] holidays = ""`).
NO_DAYS_OFF = DaysOff("")


def is_working_day(day: date, days_off: DaysOff = NO_DAYS_OFF) -> bool:
    """Monday to Friday and not a public holiday."""
    return day.weekday() < 5 and day not in days_off


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


def business_days_between(start: date, end: date, days_off: DaysOff = NO_DAYS_OFF) -> int:
    """Mon-Fri days after `start` up to and including `end` (Friday → Monday = 1), public
    holidays of `days_off` left out."""
    if end <= start:
        return 0
    total = (end - start).days
    weeks, extra = divmod(total, 7)
    count = weeks * 5
    for offset in range(1, extra + 1):
        if (start + timedelta(days=weeks * 7 + offset)).weekday() < 5:
            count += 1
    return count - days_off.weekdays_between(start, end)


def days_between(start: date, end: date, counting: str, days_off: DaysOff = NO_DAYS_OFF) -> int:
    if counting == "business":
        return business_days_between(start, end, days_off)
    return (end - start).days


def latest_entry_for(days: int, today: date, counting: str,
                     days_off: DaysOff = NO_DAYS_OFF) -> date:  # fmt: skip
    """The latest entry date whose idle count reaches `days` by `today` (for SQL cut-offs)."""
    if counting != "business":
        return today - timedelta(days=days)
    candidate = today - timedelta(days=days)
    while business_days_between(candidate, today, days_off) < days:
        candidate -= timedelta(days=1)
    while business_days_between(candidate + timedelta(days=1), today, days_off) >= days:
        candidate += timedelta(days=1)
    return candidate


def add_days(start: datetime, days: int, counting: str, tz: tzinfo,
             days_off: DaysOff = NO_DAYS_OFF) -> datetime:  # fmt: skip
    """`start` moved `days` calendar or business days later, same local time of day."""
    local = start.astimezone(tz)
    if counting != "business":
        day = local.date() + timedelta(days=days)
    else:
        day, left = local.date(), days
        while left > 0:
            day += timedelta(days=1)
            if is_working_day(day, days_off):
                left -= 1
    return datetime.combine(day, local.timetz().replace(tzinfo=None), tzinfo=tz)
