"""Leases: when several processes share one database, only one runs a given job at a time.

A lease is a row in `leases` (job, holder, expires) taken by one statement that only one process
can win, on SQLite as on PostgreSQL (`Store.acquire_lease`; ARCHITECTURE.md, "Several `serve`
replicas"); it expires on its own so a killed process cannot block a job forever, and a holder on
this machine whose process is gone is replaced at once (a re-run after a crash need not wait for
the expiry).
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from bot.store import Store

log = logging.getLogger(__name__)


class LeaseBusy(Exception):
    """Another live process holds the lease."""

    def __init__(self, job: str, holder: str):
        self.job = job
        self.holder = holder
        super().__init__(f"{job} is held by {holder}")


def new_holder() -> str:
    """`host:pid:random`: unique per process and use, readable in the database."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _dead_local_holder(holder: str) -> bool:
    host, _, rest = holder.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, owned by another user
    return False


def acquire(store: Store, job: str, holder: str, ttl: timedelta,
            now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> bool:  # fmt: skip
    """Take the lease if free, expired, ours, or held by a dead process on this machine."""
    moment = now()
    if store.acquire_lease(job, holder, moment, moment + ttl):
        return True
    current = store.lease(job)
    if current and _dead_local_holder(current["holder"]):
        log.warning("lease %s: holder %s is gone, taking over", job, current["holder"])
        return store.take_over_lease(job, current["holder"], holder, moment + ttl)
    return False


class Lease:
    """A held lease; `renew()` pushes the expiry back during a long job."""

    def __init__(self, store: Store, job: str, holder: str, ttl: timedelta,
                 now: Callable[[], datetime]):  # fmt: skip
        self.store, self.job, self.holder, self.ttl, self.now = store, job, holder, ttl, now

    def renew(self) -> None:
        moment = self.now()
        if not self.store.acquire_lease(self.job, self.holder, moment, moment + self.ttl):
            log.warning("lease %s was taken over by another process", self.job)


@contextmanager
def held(store: Store, job: str, ttl: timedelta, *, holder: str | None = None,
         now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> Iterator[Lease]:  # fmt: skip
    """Hold `job`'s lease for the block; raises `LeaseBusy` if a live process holds it."""
    me = holder or new_holder()
    if not acquire(store, job, me, ttl, now):
        current = store.lease(job)
        raise LeaseBusy(job, current["holder"] if current else "?")
    try:
        yield Lease(store, job, me, ttl, now)
    finally:
        store.release_lease(job, me)
