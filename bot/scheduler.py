"""`serve`'s background jobs: sync (+ a daily full sync) then announcements, nudges, digest.

The `schedule` library runs the interval jobs (the sync every `sync.every_minutes`) and says
when the next one is due. What it lacks is kept here, and only that: calendar times in the
configured zone that stay 09:30 Paris across DST whatever the host's zone (`schedule`'s
`.at(time, tz)` needs pytz and keeps naive host-local times), public holidays skipped, and
catching up a slot missed while no process ran (`schedule` drops it). `next_run` and `last_run`
compute those slots with `zoneinfo`; the loop sleeps until the earliest of `schedule`'s next job
and the next slot (so a slot runs on its minute), waking at least every `tick_seconds`.

Several `serve` processes may share one database: each job runs under a lease row, and a
calendar slot is recorded in the database once done, so exactly one process runs each slot; the
interval sync is recorded too, so the sources are read once an interval, not once per process.
A slot missed while no process ran is caught up within `CATCH_UP`; a failed one is retried
after `RETRY_AFTER` within the same window (nudges are deduplicated per deal and day anyway).
Setting the stop event lets the running job finish, then the thread ends.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

import schedule

from bot import lease
from bot.announce import post_pending
from bot.clock import NO_DAYS_OFF, DaysOff
from bot.deps import Deps
from bot.digest import digest_channel, post_digest
from bot.errors import STORE_FAULTS
from bot.i18n import t
from bot.nudges import run_pass
from bot.outbox import Outbox
from bot.settings import WEEKDAYS
from bot.store import Store, iso, parse_iso, store_error
from bot.sync_command import result_line, sync_all
from integrations.kinds import source_name

log = logging.getLogger(__name__)

TICK_SECONDS = 20.0
CATCH_UP = timedelta(hours=2)
RETRY_AFTER = timedelta(minutes=10)
FULL_SYNC_EVERY = timedelta(hours=24)
JOB_TTL = timedelta(minutes=30)
#: `meta` key: when the last interval sync (by any process) started.
SYNC_DONE = "scheduler.sync.done"
#: Days looked at for the next/last slot: a week, plus room for public holidays in a row.
LOOK_DAYS = 15


# --- calendar times ---------------------------------------------------------------------------


def _slot(day: date, at: str, tz: tzinfo) -> datetime:
    """`at` local on `day`, as UTC. A time skipped by spring-forward runs when the clock jumps
    (02:30 → 03:30); a time repeated by fall-back runs at its first occurrence (fold=0)."""
    hours, minutes = (int(part) for part in at.split(":"))
    return datetime.combine(day, time(hours, minutes), tzinfo=tz).astimezone(UTC)


def _slots(now: datetime, at: str, days: Sequence[str], tz: tzinfo, days_off: DaysOff,
           step: int) -> Iterator[datetime]:  # fmt: skip
    """`at` local time on each of `days` from `now`'s local day, forwards (step 1) or back (-1),
    public holidays of `days_off` skipped (a holiday's slot never comes due)."""
    today = now.astimezone(tz).date()
    for offset in range(LOOK_DAYS):
        day = today + timedelta(days=step * offset)
        if WEEKDAYS[day.weekday()] in days and day not in days_off:
            yield _slot(day, at, tz)


def next_run(now: datetime, at: str, days: Sequence[str], tz: tzinfo,
             days_off: DaysOff = NO_DAYS_OFF) -> datetime | None:  # fmt: skip
    """The first instant strictly after `now` that is `at` local time on one of `days`."""
    return next((slot for slot in _slots(now, at, days, tz, days_off, 1) if slot > now), None)


def last_run(now: datetime, at: str, days: Sequence[str], tz: tzinfo,
             days_off: DaysOff = NO_DAYS_OFF) -> datetime | None:  # fmt: skip
    """The latest instant at or before `now` that is `at` local time on one of `days`."""
    return next((slot for slot in _slots(now, at, days, tz, days_off, -1) if slot <= now), None)


# --- the scheduler ----------------------------------------------------------------------------


@dataclass
class CalendarJob:
    name: str
    at: str
    days: list[str]
    run: Callable[[Store, datetime], object]
    days_off: DaysOff = NO_DAYS_OFF  # public holidays: no slot that day


class Scheduler:
    """The jobs of one `serve` process; `run(stop_event)` is the loop."""

    def __init__(self, deps: Deps, *, outbox_factory: Callable[[], Outbox],
                 holder: str | None = None, tick_seconds: float = TICK_SECONDS,
                 retry_after: timedelta = RETRY_AFTER) -> None:  # fmt: skip
        self.deps = deps
        self.holder = holder or lease.new_holder()
        self.retry_after = retry_after
        self.tick_seconds = tick_seconds
        self._outbox_factory = outbox_factory  # built on first use: a sync needs no Slack
        self._outbox: Outbox | None = None
        self._done: dict[str, datetime] = {}
        self._retry_at: dict[str, datetime] = {}
        self.stop_event = threading.Event()
        config = deps.settings.config
        self.calendar = [
            CalendarJob(
                "nudges",
                config.nudges.at,
                list(config.nudges.days),
                self.nudge_job,
                deps.settings.days_off,
            ),
            CalendarJob("digest", config.digest.at, [config.digest.day], self.digest_job),
        ]
        #: one sync at a time in this process (the interval's and the webhooks'): the lease is
        #: per process, so it alone would let this process's two threads sync at once
        self._sync_lock = threading.Lock()
        #: why the last `run_job` returned False: "busy" (another process) or "failed"
        self.last_refusal = ""
        #: called after a sync that changed something, with the time (`serve` adds the App Home
        #: refresh with its Slack client: the scheduler knows nothing of Slack's views)
        self.after_change: list[Callable[[datetime], object]] = []
        self.jobs = schedule.Scheduler()
        self.jobs.every(config.sync.every_minutes).minutes.do(self.run_sync)

    # -- plumbing --

    def outbox(self) -> Outbox:
        if self._outbox is None:
            self._outbox = self._outbox_factory()
        return self._outbox

    def run_job(self, name: str, func: Callable[[Store, datetime], object]) -> bool:
        """Run `func` under the job's lease; False if another process holds it or it failed.

        A failure is logged with its traceback and never escapes: the loop goes on.
        """
        self.last_refusal = "failed"
        if self.stop_event.is_set():
            return False
        job = f"job:{name}"
        try:
            store = self.deps.open_store()
            try:
                if not lease.acquire(store, job, self.holder, JOB_TTL, self.deps.now):
                    log.info("%s: another process is running it, skipped here", name)
                    self.last_refusal = "busy"
                    return False
                try:
                    func(store, self.deps.now())
                finally:
                    store.release_lease(job, self.holder)
            finally:
                store.close()
        except STORE_FAULTS as exc:  # the database, not a bug: one line
            failure = store_error(self.deps.settings.db_path, exc)
            log.error("scheduled job %s failed: %s", name, failure)
            return False
        except Exception:
            log.exception("scheduled job %s failed", name)
            return False
        return True

    def check_calendar(self) -> None:
        """Run each calendar job whose latest slot is due, not done, and not too old."""
        now = self.deps.now()
        tz = self.deps.settings.tz
        for job in self.calendar:
            slot = last_run(now, job.at, job.days, tz, job.days_off)
            if slot is None or now - slot > CATCH_UP or self._done.get(job.name) == slot:
                continue
            retry = self._retry_at.get(job.name)
            if retry is not None and now < retry:
                continue
            if self.run_job(job.name, self._once_per_slot(job, slot)):
                self._done[job.name] = slot
                self._retry_at.pop(job.name, None)
            else:
                self._retry_at[job.name] = now + self.retry_after

    def _once_per_slot(self, job: CalendarJob, slot: datetime) -> Callable[[Store, datetime], None]:
        """The job, skipped if any process already recorded this slot as done."""

        def run(store: Store, now: datetime) -> None:
            key = f"scheduler.{job.name}.done"
            if (store.meta(key) or "") >= iso(slot):
                log.info("%s for %s already done by another process", job.name, iso(slot))
                return
            log.info("running %s (slot %s)", job.name, iso(slot))
            job.run(store, now)
            store.set_meta(key, iso(slot))

        return run

    # -- the jobs --

    def run_sync(self) -> bool:
        """The interval's sync under the lock and the lease; False when it did not run."""
        with self._sync_lock:
            return self.run_job("sync", self._interval_sync)

    def _interval_sync(self, store: Store, now: datetime) -> None:
        """The sync every `sync.every_minutes`, skipped when any process ran it within nine
        tenths of that: each replica's timer fires, the sources are read once an interval."""
        every = timedelta(minutes=self.deps.settings.config.sync.every_minutes)
        last = parse_iso(store.meta(SYNC_DONE))
        if last is not None and timedelta(0) <= now - last < every * 0.9:
            log.info("sync: done at %s by another process, skipped", iso(last))
            return
        log.info("sync of every source (due every %s)", every)
        self.sync_job(store, now)
        store.set_meta(SYNC_DONE, iso(now))

    def webhook_sync(self, name: str) -> bool:
        """For `bot.webhooks.WebhookSyncs`: True once done or failed (a failure is logged,
        polling will retry), False only while another process holds the sync."""
        with self._sync_lock:
            ran = self.run_job("sync", lambda store, now: self.sync_job(store, now, [name]))
            return ran or self.last_refusal != "busy"

    def sync_job(self, store: Store, now: datetime, names: Sequence[str] | None = None) -> None:
        """Sync every source (full once a day: incremental feeds can't see deletions), or
        `names` incrementally, then what follows any sync (`after_sync`)."""
        settings = self.deps.settings
        if not settings.config.sources:
            return
        full = names is None and self._full_due(store, now)
        changed = False
        for result in sync_all(settings, store, names=names, full=full, now=self.deps.now):
            (log.info if result.ok else log.warning)(
                "sync %s", result_line(result, settings.language)
            )
            changed = changed or bool(result.changed or result.removed)
        self.after_sync(store, now, changed)

    def after_sync(self, store: Store, now: datetime, changed: bool = True) -> None:
        """What follows every sync, scheduled or asked for by a webhook: announce the won and
        lost deals it queued, then, when it changed something, the `after_change` steps (the
        App Home of whoever opened it lately, published again). A failing step is logged."""
        settings = self.deps.settings
        if settings.config.announce.won_lost and settings.config.slack.channel:
            posted = post_pending(settings, store, self.outbox().post, now)
            if posted:
                log.info("announced %d won/lost deal(s)", posted)
        if not changed:
            return
        for step in self.after_change:
            try:
                step(now)
            except Exception:  # one step's failure (Slack down) must not fail the sync job
                log.exception("after-sync step %s failed", getattr(step, "__name__", step))

    def _full_due(self, store: Store, now: datetime) -> bool:
        for raw in self.deps.settings.config.sources:
            state = store.sync_state(source_name(raw)) or {}
            last_full = state.get("last_full")
            if not last_full or now - datetime.fromisoformat(last_full) >= FULL_SYNC_EVERY:
                return True
        return False

    def nudge_job(self, store: Store, now: datetime) -> None:
        result = run_pass(self.deps.settings, store, self.outbox(), now, holder=self.holder)
        log.info("nudges: %s", result.line("en"))

    def digest_job(self, store: Store, now: datetime) -> None:
        settings = self.deps.settings
        channel = digest_channel(settings)
        if not channel:  # a config choice, not a failure to retry: say so once per slot
            log.warning("weekly digest skipped: %s", t("digest.no_channel", "en"))
            return
        post_digest(settings, store, self.outbox(), now)
        log.info("digest posted to %s", channel)

    # -- the loop --

    def run(self, stop_event: threading.Event) -> None:
        """Sync once at start, then run due jobs until `stop_event` is set."""
        self.stop_event = stop_event
        log.info("scheduler started (holder %s)", self.holder)
        self.run_sync()
        while not stop_event.is_set():
            try:
                self.check_calendar()
                self.jobs.run_pending()
            except Exception:  # run_job already catches; this guards the loop itself
                log.exception("scheduler loop error")
            stop_event.wait(self.seconds_to_next())
        log.info("scheduler stopped")

    def seconds_to_next(self) -> float:
        """How long the loop may sleep: until `schedule`'s next job or the next calendar slot,
        whichever is first, and never more than `tick_seconds`."""
        now = self.deps.now()
        waits = [self.tick_seconds]
        if self.jobs.idle_seconds is not None:
            waits.append(self.jobs.idle_seconds)
        for job in self.calendar:
            slot = next_run(now, job.at, job.days, self.deps.settings.tz, job.days_off)
            if slot is not None:
                waits.append((slot - now).total_seconds())
        return max(min(waits), 0.01)


def run_in_background(scheduler: Scheduler, stop_event: threading.Event) -> threading.Thread:
    """Start the scheduler thread (called by `serve`). Not a daemon: after setting
    `stop_event`, join it so the running job finishes before the process exits."""
    thread = threading.Thread(target=scheduler.run, args=(stop_event,), name="scheduler")
    thread.start()
    return thread
