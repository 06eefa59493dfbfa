"""The scheduler: DST-proof calendar times, leases, once-per-slot jobs, a loop that survives
failures and stops cleanly; and the won/lost announcements it posts after each sync."""

from __future__ import annotations

import logging
import socket
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot import lease
from bot.clock import parse_as_of
from bot.deps import Deps
from bot.scheduler import CalendarJob, Scheduler, last_run, next_run, run_in_background
from bot.settings import Settings
from bot.slack_client import make_outbox
from bot.store import Store
from tests import agency
from tests.agency import agency_config, load_agency
from tests.helpers import store_at, utc
from tests.slack_http import make_settings
from tests.slack_standin import SlackStandIn

PARIS = ZoneInfo("Europe/Paris")
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]
EVERY_DAY = [*WEEKDAYS, "sat", "sun"]


# --- calendar times across DST -----------------------------------------------------------------


def test_nudge_time_across_spring_forward() -> None:
    # Friday 27 March 2026 is still CET (UTC+1); Monday 30 March is CEST (UTC+2).
    assert next_run(utc("2026-03-26T12:00"), "09:30", WEEKDAYS, PARIS) == utc("2026-03-27T08:30")
    assert next_run(utc("2026-03-27T09:00"), "09:30", WEEKDAYS, PARIS) == utc("2026-03-30T07:30")
    # every day: Sunday 29 March, the day of the change, is already summer time at 09:30
    assert next_run(utc("2026-03-28T12:00"), "09:30", EVERY_DAY, PARIS) == utc("2026-03-29T07:30")


def test_nudge_time_across_fall_back() -> None:
    assert next_run(utc("2026-10-22T12:00"), "09:30", WEEKDAYS, PARIS) == utc("2026-10-23T07:30")
    assert next_run(utc("2026-10-23T12:00"), "09:30", WEEKDAYS, PARIS) == utc("2026-10-26T08:30")
    assert next_run(utc("2026-10-24T12:00"), "09:30", EVERY_DAY, PARIS) == utc("2026-10-25T08:30")


def test_skipped_and_repeated_local_times_run_once() -> None:
    # 02:30 does not exist on 29 March: it runs when the clock jumps (03:30 CEST = 01:30 UTC)
    assert next_run(utc("2026-03-28T12:00"), "02:30", EVERY_DAY, PARIS) == utc("2026-03-29T01:30")
    # 02:30 happens twice on 25 October: the first one only, then the next day
    first = next_run(utc("2026-10-24T12:00"), "02:30", EVERY_DAY, PARIS)
    assert first == utc("2026-10-25T00:30")
    assert next_run(first, "02:30", EVERY_DAY, PARIS) == utc("2026-10-26T01:30")


def test_weekly_digest_and_last_run() -> None:
    assert next_run(utc("2026-03-16T08:00"), "09:00", ["mon"], PARIS) == utc("2026-03-23T08:00")
    assert last_run(utc("2026-03-16T08:00"), "09:00", ["mon"], PARIS) == utc("2026-03-16T08:00")
    assert last_run(utc("2026-03-16T07:59"), "09:00", ["mon"], PARIS) == utc("2026-03-09T08:00")
    assert next_run(utc("2026-03-16T08:00"), "09:00", [], PARIS) is None


# --- leases ------------------------------------------------------------------------------------


def test_two_contenders_one_wins(tmp_path: Path) -> None:
    now = utc("2026-03-16T08:00")
    ttl = timedelta(minutes=10)
    stores = [store_at(tmp_path / "pipeline.db") for _ in range(8)]
    barrier = threading.Barrier(len(stores))
    won: list[str] = []

    def contend(index: int) -> None:
        barrier.wait()
        if lease.acquire(stores[index], "job:nudges", f"remote{index}:1:x", ttl, lambda: now):
            won.append(f"remote{index}:1:x")

    threads = [threading.Thread(target=contend, args=(i,)) for i in range(len(stores))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(won) == 1
    assert stores[0].lease("job:nudges")["holder"] == won[0]
    loser = "other:2:y"
    assert not lease.acquire(stores[1], "job:nudges", loser, ttl, lambda: now + ttl / 2)
    assert lease.acquire(stores[1], "job:nudges", loser, ttl, lambda: now + ttl)  # expired
    stores[1].release_lease("job:nudges", loser)
    assert stores[2].lease("job:nudges") is None
    for store in stores:
        store.close()


def test_lease_of_a_dead_local_process_is_taken_over(tmp_path: Path) -> None:
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)  # fmt: skip
    dead = f"{socket.gethostname()}:{child.stdout.strip()}:x"
    store = store_at(tmp_path / "pipeline.db")
    now = datetime.now(UTC)
    assert lease.acquire(store, "nudges", dead, timedelta(hours=1), lambda: now)
    assert lease.acquire(store, "nudges", "me:1:y", timedelta(hours=1), lambda: now)
    store.close()


# --- calendar jobs -----------------------------------------------------------------------------


class Clock:
    def __init__(self, settings: Settings, start: str):
        self.tz = settings.tz
        self.now = parse_as_of(start, settings.tz)

    def set(self, text: str) -> None:
        self.now = parse_as_of(text, self.tz)

    def __call__(self) -> datetime:
        return self.now


def make_scheduler(settings: Settings, clock: Clock, holder: str, **options: Any) -> Scheduler:
    deps = Deps(settings, now=clock)
    return Scheduler(deps, outbox_factory=lambda: make_outbox(settings), holder=holder,
                     **options)  # fmt: skip


@pytest.fixture
def agency_settings(tmp_path: Path, slack_api: SlackStandIn) -> Settings:
    slack_api.users_by_email.update(agency.EMAILS)
    settings = make_settings(tmp_path, slack_api, **agency_config())
    load_agency(settings).close()
    return settings


def channels(slack_api: SlackStandIn) -> list[str]:
    return [c.body["channel"] for c in slack_api.called("chat.postMessage")]


def test_each_slot_runs_once_across_two_processes(agency_settings, slack_api) -> None:
    clock = Clock(agency_settings, "2026-03-16T09:30:05")  # Monday: nudges 09:30, digest 09:00
    first = make_scheduler(agency_settings, clock, "host-a:1:a")
    second = make_scheduler(agency_settings, clock, "host-b:2:b")
    first.check_calendar()
    second.check_calendar()
    first.check_calendar()
    assert channels(slack_api) == ["UALICE", "UBRUNO", "UCHLOE", "C0TEAM", "C0TEAM"]
    digest = slack_api.called("chat.postMessage")[-1]
    assert digest.body["text"] == "Pipeline review, week of Mar 16, 2026"

    clock.set("2026-03-17T09:31")  # Tuesday: nudges again, no digest
    second.check_calendar()
    first.check_calendar()
    assert len(channels(slack_api)) == 5 + 4


def test_a_slot_missed_for_too_long_is_not_caught_up(agency_settings, slack_api) -> None:
    clock = Clock(agency_settings, "2026-03-17T09:45")  # restarted 15 minutes late: caught up
    make_scheduler(agency_settings, clock, "a:1:a").check_calendar()
    assert len(channels(slack_api)) == 4
    clock.set("2026-03-18T12:00")  # 2 h 30 after Wednesday's slot: left for tomorrow
    make_scheduler(agency_settings, clock, "b:2:b").check_calendar()
    assert len(channels(slack_api)) == 4


def test_the_loop_wakes_on_the_slot_not_at_the_next_tick(agency_settings, slack_api) -> None:
    """Monday 09:29:50 Paris: nudges at 09:30 run 10 s later, not up to a tick (20 s) late; the
    interval sync (`schedule`) is further away than the tick."""
    clock = Clock(agency_settings, "2026-03-16T09:29:50")
    scheduler = make_scheduler(agency_settings, clock, "a:1:a", tick_seconds=20.0)
    scheduler.jobs.run_pending()  # schedule's sync job: next due in `sync.every_minutes`
    assert scheduler.seconds_to_next() == pytest.approx(10.0)
    clock.set("2026-03-16T09:30:05")  # past the slot, the next one is tomorrow: the tick bounds it
    assert scheduler.seconds_to_next() == pytest.approx(20.0, abs=0.5)


def test_lease_held_elsewhere_then_retried(agency_settings, slack_api) -> None:
    clock = Clock(agency_settings, "2026-03-17T09:30:05")
    scheduler = make_scheduler(agency_settings, clock, "a:1:a", retry_after=timedelta(minutes=5))
    store = store_at(agency_settings.db_path)
    assert lease.acquire(store, "job:nudges", "b:2:b", timedelta(minutes=30), clock)
    scheduler.check_calendar()
    assert channels(slack_api) == []  # the other process runs it
    store.release_lease("job:nudges", "b:2:b")
    store.close()
    scheduler.check_calendar()
    assert channels(slack_api) == []  # waits for the retry time
    clock.set("2026-03-17T09:36")
    scheduler.check_calendar()
    assert len(channels(slack_api)) == 4


def test_failing_job_is_logged_and_the_loop_goes_on_then_stops(agency_settings, caplog) -> None:
    clock = Clock(agency_settings, "2026-03-17T09:30:05")
    scheduler = make_scheduler(agency_settings, clock, "a:1:a", tick_seconds=0.01,
                               retry_after=timedelta(0))  # fmt: skip
    calls: list[str] = []
    succeeded = threading.Event()

    def flaky(store: Store, now: datetime) -> None:
        calls.append("call")
        if len(calls) == 1:
            raise RuntimeError("Slack is down")
        succeeded.set()

    scheduler.calendar[0] = CalendarJob("nudges", "09:30", WEEKDAYS, flaky)
    stop = threading.Event()
    with caplog.at_level(logging.ERROR, logger="bot.scheduler"):
        thread = run_in_background(scheduler, stop)
        assert succeeded.wait(10)
        assert thread.is_alive()
        stop.set()
        thread.join(10)
    assert not thread.is_alive()
    assert len(calls) == 2  # failed, retried once, then done for this slot
    failure = next(r for r in caplog.records if r.getMessage() == "scheduled job nudges failed")
    assert failure.exc_info is not None and "Slack is down" in str(failure.exc_info[1])


def test_stop_lets_the_running_job_finish(agency_settings) -> None:
    clock = Clock(agency_settings, "2026-03-17T09:30:05")
    scheduler = make_scheduler(agency_settings, clock, "a:1:a", tick_seconds=0.01)
    started, release, finished = threading.Event(), threading.Event(), threading.Event()

    def slow(store: Store, now: datetime) -> None:
        started.set()
        release.wait(10)
        finished.set()

    scheduler.calendar[0] = CalendarJob("nudges", "09:30", WEEKDAYS, slow)
    stop = threading.Event()
    thread = run_in_background(scheduler, stop)
    assert started.wait(10)
    stop.set()  # what serve does on SIGTERM
    release.set()
    thread.join(10)
    assert finished.is_set() and not thread.is_alive()
    store = store_at(agency_settings.db_path)
    assert store.lease("job:nudges") is None
    assert store.meta("scheduler.nudges.done") == "2026-03-17T08:30:00+00:00"
    store.close()


# --- sync, full sync once a day, announcements -------------------------------------------------


def write_csv(path: Path, rows: list[tuple[str, str, str, str, str]]) -> None:
    lines = ["id,title,client,owner,status,amount,lost_reason"]
    lines += [f"{i},{title},{client},Alice,{status},5000,{reason}"
              for i, title, client, status, reason in rows]  # fmt: skip
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_won_and_lost_announced_once_after_sync(tmp_path: Path, slack_api: SlackStandIn) -> None:
    csv = tmp_path / "deals.csv"
    write_csv(csv, [("1", "Site", "Dupain", "appel et devis", ""),
                    ("2", "Logo", "Lemoine", "conclusion du contrat", ""),
                    ("3", "Old win", "Ancien", "travail terminé", "")])  # fmt: skip
    settings = make_settings(
        tmp_path, slack_api, **agency_config(sources=[{"kind": "csv", "path": str(csv)}])
    )
    now = datetime.now(UTC)
    scheduler = make_scheduler(settings, Clock(settings, now.isoformat()), "a:1:a")
    assert scheduler.run_job("sync", scheduler.sync_job)
    assert slack_api.called("chat.postMessage") == []  # a first sync never announces

    write_csv(csv, [("1", "Site", "Dupain", "travail terminé", ""),
                    ("2", "Logo", "Lemoine", "écarté", "Prix"),
                    ("3", "Old win", "Ancien", "travail terminé", "")])  # fmt: skip
    slack_api.queue("chat.postMessage", {"ok": False, "error": "not_in_channel"})
    assert scheduler.run_job("sync", scheduler.sync_job)
    assert len(slack_api.called("chat.postMessage")) == 1  # refused: stays queued

    restarted = make_scheduler(settings, Clock(settings, now.isoformat()), "b:2:b")
    assert restarted.run_job("sync", restarted.sync_job)
    texts = [c.body["text"] for c in slack_api.called("chat.postMessage")[1:]]
    assert texts == ["🎉 Won: *Site* (Dupain): €5,000 · Alice",
                     "Lost: *Logo* (Lemoine): €5,000 · Alice · reason: Prix"]  # fmt: skip
    assert {c.body["channel"] for c in slack_api.called("chat.postMessage")} == {"C0TEAM"}
    assert restarted.run_job("sync", restarted.sync_job)
    assert len(slack_api.called("chat.postMessage")) == 3  # never repeated


def test_announcements_off(tmp_path: Path, slack_api: SlackStandIn) -> None:
    csv = tmp_path / "deals.csv"
    write_csv(csv, [("1", "Site", "Dupain", "appel et devis", "")])
    settings = make_settings(
        tmp_path,
        slack_api,
        **agency_config(announce={"won_lost": False}, sources=[{"kind": "csv", "path": str(csv)}]),
    )
    scheduler = make_scheduler(settings, Clock(settings, datetime.now(UTC).isoformat()), "a:1:a")
    scheduler.run_job("sync", scheduler.sync_job)
    write_csv(csv, [("1", "Site", "Dupain", "travail terminé", "")])
    scheduler.run_job("sync", scheduler.sync_job)
    assert slack_api.calls == []


def test_full_sync_once_a_day(tmp_path: Path) -> None:
    settings = make_settings(
        tmp_path, **agency_config(sources=[{"kind": "csv", "path": "deals.csv"}])
    )
    clock = Clock(settings, "2026-03-16T10:00")
    scheduler = make_scheduler(settings, clock, "a:1:a")
    store = store_at(settings.db_path)
    assert scheduler._full_due(store, clock())
    store.save_sync_state("csv", last_full="2026-03-16T08:00:00+00:00")
    assert not scheduler._full_due(store, clock())
    clock.set("2026-03-17T09:00")
    assert scheduler._full_due(store, clock())
    store.close()


def test_french_announcement(tmp_path: Path) -> None:
    from bot.announce import announcement_text

    settings = make_settings(tmp_path, **agency_config(language="fr"))
    deal = {"id": "t:1", "title": "Logo", "client": "Lemoine", "amount": 5000.0, "owner": "Alice",
            "url": "https://tasks.example/1", "outcome": "lost", "lost_reason": "Prix",
            "currency": None}  # fmt: skip
    assert announcement_text(deal, settings) == (
        "Perdue : *<https://tasks.example/1|Logo>* (Lemoine) : 5\u202f000\u00a0€ · Alice · "
        "motif : Prix"
    )
    won = {**deal, "outcome": "won", "lost_reason": None}
    assert announcement_text(won, settings).startswith(
        "🎉 Gagnée : *<https://tasks.example/1|Logo>*"
    )


def test_digest_without_a_channel_is_skipped_not_retried(tmp_path, slack_api, caplog) -> None:
    settings = make_settings(
        tmp_path, slack_api, **agency_config(slack={}, nudges={"days": ["sat"]})
    )
    load_agency(settings).close()
    clock = Clock(settings, "2026-03-16T09:00:30")
    scheduler = make_scheduler(settings, clock, "a:1:a", retry_after=timedelta(0))
    with caplog.at_level(logging.WARNING, logger="bot.scheduler"):
        scheduler.check_calendar()
        scheduler.check_calendar()
    assert slack_api.calls == []
    skipped = [r for r in caplog.records if r.getMessage().startswith("weekly digest skipped")]
    assert len(skipped) == 1
