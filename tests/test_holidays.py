"""Public holidays (`[nudges] holidays`, the `holidays` library) are not working days: no nudge goes
out on them and business-day idle counts skip them. 2026: Easter Monday is April 6, the
14th of July a Tuesday."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from bot import analytics
from bot.answers import context_for
from bot.clock import NO_DAYS_OFF, DaysOff, add_days, business_days_between, parse_as_of
from bot.config_schema import validate_config
from bot.deps import Deps
from bot.scheduler import Scheduler
from bot.settings import ConfigError, Settings
from bot.slack_client import make_outbox
from tests import agency
from tests.agency import agency_config, load_agency
from tests.helpers import db_target, load, store_at, task
from tests.slack_http import make_settings
from tests.slack_standin import SlackStandIn

FR = DaysOff("FR")
M = "appel et devis"


def test_business_days_skip_french_public_holidays() -> None:
    # Monday 13 July → Wednesday 15 July: Tuesday 14 is Bastille Day
    assert business_days_between(date(2026, 7, 13), date(2026, 7, 15)) == 2
    assert business_days_between(date(2026, 7, 13), date(2026, 7, 15), FR) == 1
    # Thursday 2 April → Tuesday 7 April: Friday 3, (Easter Monday 6), Tuesday 7
    assert business_days_between(date(2026, 4, 2), date(2026, 4, 7)) == 3
    assert business_days_between(date(2026, 4, 2), date(2026, 4, 7), FR) == 2
    # a holiday on a Sunday changes nothing (2026-11-01, All Saints' Day)
    assert business_days_between(date(2026, 10, 30), date(2026, 11, 2), FR) == 1
    # across a new year: 1 January is a holiday in both years' lists
    assert business_days_between(date(2025, 12, 31), date(2026, 1, 2), FR) == 1
    assert date(2026, 7, 14) in FR and date(2026, 4, 6) in FR
    assert date(2026, 7, 15) not in FR and date(2026, 7, 14) not in NO_DAYS_OFF


def test_snooze_and_follow_up_periods_skip_holidays_when_counting_business_days() -> None:
    settings = Settings(validate_config({"language": "fr", "stall_counting": "business"}))
    start = parse_as_of("2026-07-13T10:00", settings.tz)  # Monday
    later = add_days(start, 2, "business", settings.tz, settings.days_off)
    assert later.date() == date(2026, 7, 16)  # Wednesday 15, Thursday 16 (14 July skipped)
    assert add_days(start, 2, "business", settings.tz).date() == date(2026, 7, 15)


def test_default_country_follows_the_language() -> None:
    assert Settings(validate_config({"language": "fr"})).holidays == "FR"
    assert Settings(validate_config({"language": "en"})).holidays == ""
    assert Settings(validate_config({"language": "fr", "nudges": {"holidays": ""}})).holidays == ""
    assert (
        Settings(validate_config({"language": "en", "nudges": {"holidays": "be"}})).holidays == "BE"
    )
    with pytest.raises(ConfigError) as error:
        validate_config({"nudges": {"holidays": "ZZ"}})
    assert error.value.problems == [
        "pipeline.toml: nudges.holidays: unknown country code for public holidays "
        '(e.g. "FR", "BE", "CH"; "" for none) (got \'ZZ\')'
    ]


def idle_and_stalled(tmp_path: Path, language: str, as_of: str) -> tuple[int | None, list[str]]:
    """A meeting deal entered on Monday 6 July (stall_days 7), counted in business days."""
    settings = Settings(validate_config({"language": language, "stall_counting": "business"}),
                        db_path=db_target(tmp_path / f"{language}.db"))  # fmt: skip
    store = store_at(settings.db_path)
    load(store, settings.pipeline, [task("x", M, ("2026-07-06T09:00", M), title="Site")])
    ctx = context_for(settings, parse_as_of(as_of, settings.tz))
    idle = ctx.idle_days("2026-07-06T09:00:00+00:00")
    stalled = [d.id for d in analytics.stalled(store, ctx).deals]
    store.close()
    return idle, stalled


def test_holidays_do_not_count_as_idle_business_days(tmp_path: Path) -> None:
    # 7, 8, 9, 10, 13, (14), 15 July: 7 business days in English (no holidays), 6 in French
    assert idle_and_stalled(tmp_path, "en", "2026-07-15") == (7, ["t:x"])
    assert idle_and_stalled(tmp_path, "fr", "2026-07-15") == (6, [])
    assert idle_and_stalled(tmp_path, "fr", "2026-07-16") == (7, ["t:x"])


# --- the nudge schedule -------------------------------------------------------------------------


class Clock:
    def __init__(self, settings: Settings, start: str):
        self.settings = settings
        self.now = parse_as_of(start, settings.tz)

    def set(self, text: str) -> None:
        self.now = parse_as_of(text, self.settings.tz)

    def __call__(self) -> Any:
        return self.now


def nudged(tmp_path: Path, slack_api: SlackStandIn, days: list[str], **nudges: Any) -> list[int]:
    """How many nudge messages the scheduler sends at 09:31 on each of `days` (digest moved to
    Sunday so only nudges are posted)."""
    slack_api.users_by_email.update(agency.EMAILS)
    settings = make_settings(
        tmp_path, slack_api, **agency_config(nudges=nudges, digest={"day": "sun"})
    )
    load_agency(settings).close()
    clock = Clock(settings, f"{days[0]}T09:31")
    scheduler = Scheduler(Deps(settings, now=clock), outbox_factory=lambda: make_outbox(settings),
                          holder="a:1:a")  # fmt: skip
    counts = []
    for day in days:
        clock.set(f"{day}T09:31")
        before = len(slack_api.called("chat.postMessage"))
        scheduler.check_calendar()  # runs the due job in this thread: nothing is pending after
        counts.append(len(slack_api.called("chat.postMessage")) - before)
    return counts


def test_no_nudge_on_the_14th_of_july_nor_on_easter_monday(tmp_path: Path,
                                                           slack_api: SlackStandIn) -> None:  # fmt: skip
    days = ["2026-04-06", "2026-04-07", "2026-07-14", "2026-07-15"]
    assert nudged(tmp_path, slack_api, days, holidays="FR") == [0, 4, 0, 4]


def test_without_holidays_those_days_get_nudges(tmp_path: Path, slack_api: SlackStandIn) -> None:
    days = ["2026-04-06", "2026-07-14"]
    assert nudged(tmp_path, slack_api, days, holidays="") == [4, 4]
