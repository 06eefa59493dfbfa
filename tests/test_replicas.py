"""Several `serve` replicas on one database, as a load balancer runs them: real processes, real
HTTP with real Slack signatures, the Slack Web API stand-in, one database for all.

Each scheduled job runs once (the lease), each stalled deal is nudged once a day (its claim), a
snooze clicked on one replica holds on the other, and an answer cached on one replica is
computed again once another replica changed the data. The database is the SQLite file or, in
the PostgreSQL run, a database on the run's real server (`tests.helpers.db_target`).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from bot import analytics
from bot.answers import context_for
from bot.settings import WEEKDAYS, Settings
from bot.store import Store
from tests import agency
from tests.agency import agency_config, blocks_of, deal_ids_in, load_agency
from tests.helpers import wait_for
from tests.slack_http import (
    SECRET,
    Served,
    block_texts,
    make_settings,
    send_action,
    send_command,
)
from tests.slack_standin import Call, SlackStandIn
from tests.test_slack_serve import ROOT, clean_env, free_port

DIGEST_CHANNEL = "C0DIGEST"
#: What a replica logs once it is done with a calendar job's slot: it ran it, another replica
#: held the job, another replica had done it, or it failed.
JOB_DONE = {
    job: (done, f"{job}: another process is running it", f"{job} for ",
          f"scheduled job {job} failed")
    for job, done in (("nudges", "nudges: Sent"), ("digest", f"digest posted to {DIGEST_CHANNEL}"))
}  # fmt: skip


@dataclass
class Replica:
    name: str
    process: subprocess.Popen[str]
    port: int
    log: Path
    slack: SlackStandIn

    @property
    def served(self) -> Served:
        return Served(f"http://127.0.0.1:{self.port}", self.slack.url)

    def logged(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def done_with(self, job: str) -> bool:
        """The replica is done with `job`'s slot: ran it, or saw another replica run it."""
        text = self.logged()
        return any(mark in text for mark in JOB_DONE[job])


def toml_value(value: Any) -> str:
    if isinstance(value, dict):
        raise TypeError("tables are written by `write_config`")
    return json.dumps(value, ensure_ascii=False)  # strings, lists and booleans read as TOML


def write_config(path: Path, raw: dict[str, Any]) -> None:
    """`raw` (top-level values and one level of tables) as the `pipeline.toml` serve reads."""
    lines = [f"{k} = {toml_value(v)}" for k, v in raw.items() if not isinstance(v, dict)]
    for table, values in raw.items():
        if isinstance(values, dict):
            lines.append(f"[{table}]")
            lines += [f"{json.dumps(k)} = {toml_value(v)}" for k, v in values.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def due_config(now: datetime, tz: Any) -> dict[str, Any]:
    """The agency's config with the nudges and the digest due a minute ago, local time."""
    slot = now.astimezone(tz) - timedelta(minutes=1)
    at = slot.strftime("%H:%M")
    return agency_config(
        nudges={"at": at, "days": list(WEEKDAYS), "holidays": ""},
        digest={"day": WEEKDAYS[slot.weekday()], "at": at, "channel": DIGEST_CHANNEL},
    )


@pytest.fixture
def replicas(tmp_path: Path, slack_api: SlackStandIn) -> Iterator[tuple[Settings, list[Replica]]]:
    """Two `serve` processes on the agency's database, its nudges and digest due now."""
    slack_api.users_by_email.update(agency.EMAILS)
    probe = make_settings(tmp_path, slack_api, **agency_config())
    raw = due_config(datetime.now(UTC), probe.tz)
    settings = make_settings(tmp_path, slack_api, **raw)
    load_agency(settings).close()
    write_config(tmp_path / "pipeline.toml", raw)
    started: list[Replica] = []
    try:
        for name in ("a", "b"):
            port = free_port()
            log = tmp_path / f"serve-{name}.log"
            env = clean_env(tmp_path, SLACK_BOT_TOKEN="xoxb-test", SLACK_SIGNING_SECRET=SECRET,
                            SLACK_API_URL=slack_api.base_url)  # fmt: skip
            env["PIPELINE_DB"] = str(settings.db_path)  # the one database of every replica
            with log.open("w", encoding="utf-8") as sink:
                process = subprocess.Popen(
                    [sys.executable, "-m", "bot.cli", "serve", "--port", str(port)],
                    cwd=tmp_path, env=env, stdout=sink, stderr=subprocess.STDOUT, text=True,
                )  # fmt: skip
            started.append(Replica(name, process, port, log, slack_api))
        for replica in started:
            wait_for(lambda r=replica: healthy(r), f"replica {replica.name} to serve", 60)
        yield settings, started
    finally:
        for replica in started:
            if replica.process.poll() is None:
                replica.process.terminate()
                try:
                    replica.process.wait(20)
                except subprocess.TimeoutExpired:
                    replica.process.kill()
                    replica.process.wait()


def healthy(replica: Replica) -> bool:
    assert replica.process.poll() is None, replica.logged()
    try:
        return requests.get(f"{replica.served.base}/healthz", timeout=1).ok
    except requests.ConnectionError:
        return False  # not listening yet


def stalled_now(settings: Settings) -> list[str]:
    """The deals stalled today: what today's nudges must cover, each once."""
    store = Store(settings.db_path)
    try:
        ctx = context_for(settings, datetime.now(UTC), store=store)
        return [deal.id for deal in analytics.stalled(store, ctx).deals]
    finally:
        store.close()


def posted_to(slack: SlackStandIn, channel: str) -> list[Call]:
    return [c for c in slack.called("chat.postMessage") if c.body.get("channel") == channel]


def ask(replica: Replica, text: str) -> str:
    """`/pipeline TEXT` sent to this replica: what the asker reads (the ack, or the late answer
    when the ack only said it is working on it)."""
    before = len(replica.slack.called("hook"))
    answer = send_command(replica.served, text)
    assert answer.status_code == 200
    blocks = answer.json().get("blocks") or []
    if blocks:
        return block_texts(blocks)
    late = wait_for(lambda: replica.slack.called("hook")[before:], "the late answer", 30)
    return block_texts(blocks_of(late[0]))


def test_two_replicas_run_each_job_once_and_nudge_each_deal_once(
    replicas: tuple[Settings, list[Replica]], slack_api: SlackStandIn
) -> None:
    settings, both = replicas
    for job in JOB_DONE:
        for replica in both:
            wait_for(lambda r=replica, j=job: r.done_with(j), f"{replica.name} done with {job}", 60)

    logs = [replica.logged() for replica in both]
    # each replica syncs at start, then looks at the calendar: the sync was done or refused
    assert sum("sync of every source" in log for log in logs) == 1, logs
    assert sum("running nudges (slot" in log for log in logs) == 1, logs
    assert sum("running digest (slot" in log for log in logs) == 1, logs
    assert not any("scheduled job" in log or "Traceback" in log for log in logs), logs
    nudged = Counter(
        deal
        for call in slack_api.called("chat.postMessage")
        if call.body["channel"] != DIGEST_CHANNEL
        for deal in deal_ids_in(blocks_of(call))
    )
    expected = stalled_now(settings)
    assert set(expected) >= set(agency.STALLED_ORDER)
    assert nudged == Counter(expected)  # every stalled deal, each in one message only
    assert len(posted_to(slack_api, DIGEST_CHANNEL)) == 1


def test_a_snooze_on_one_replica_holds_on_the_other_and_refreshes_its_cached_answer(
    replicas: tuple[Settings, list[Replica]], slack_api: SlackStandIn
) -> None:
    _, (replica_a, replica_b) = replicas
    for replica in (replica_a, replica_b):
        wait_for(lambda r=replica: r.done_with("nudges"), f"{replica.name}'s nudges", 60)
    (alice,) = posted_to(slack_api, "UALICE")
    assert "Site refonte" in ask(replica_b, "stalled")  # computed, then cached by B
    assert "Site refonte" in ask(replica_b, "stalled")

    blocks = blocks_of(alice)
    snooze = next(
        element
        for block in blocks
        if block.get("block_id") == "nudge:t:a1"
        for element in block["elements"]
        if element["action_id"] == "snooze"
    )
    click = {"type": "button", "action_id": "snooze", "value": snooze["value"],
             "block_id": "nudge:t:a1"}  # fmt: skip
    message = {"text": alice.body["text"], "blocks": blocks}
    response_url = f"{slack_api.url}/respond/response_url"
    sent = send_action(replica_a.served.events_url, click, message, response_url=response_url,
                       user="UALICE", channel="UALICE")  # fmt: skip
    assert sent.status_code == 200
    update = wait_for(lambda: slack_api.called("chat.update"), "replica A's chat.update", 30)[0]
    assert "Snoozed by <@UALICE>" in block_texts(blocks_of(update))

    after = ask(replica_b, "stalled")  # B's cached answer predates A's write: computed again
    assert "Site refonte" not in after
    assert "Logo" in after  # the other stalled deals are still listed

    again = send_action(replica_b.served.events_url, click, message, response_url=response_url,
                        user="UBRUNO", channel="UALICE")  # fmt: skip
    assert again.status_code == 200
    reply = wait_for(lambda: slack_api.called("response_url"), "replica B's private reply", 30)
    assert reply[0].body["text"].startswith("Already snoozed by <@UALICE> until ")


# --- the store's guarantees under processes racing --------------------------------------------

RACE = textwrap.dedent(
    """
    import json, os, sys, time
    from datetime import UTC, datetime, timedelta
    sys.path.insert(0, {root!r})
    from bot.store import Store

    target, go, what, me = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
    store = Store(target)
    while not os.path.exists(go):  # every racer connected: all start together
        time.sleep(0.001)
    now = datetime.now(UTC)
    if what == "lease":
        won = [store.acquire_lease("job:nudges", me, now, now + timedelta(minutes=5))]
    elif what == "click":  # the same snooze button, sent to every replica at once
        won = [store.add_quiet("t:a1", "snooze", "meeting", me, now, now + timedelta(days=3))[0]]
    else:
        ids = ["d%03d" % n for n in range(200)]
        ids = ids if int(me) % 2 else ids[::-1]  # the racers meet in the middle
        won = sorted(store.claim_nudges("2026-03-16", [(i, "o", me) for i in ids]))
    print(json.dumps(won))
    """
)


def race(target: str | Path, folder: Path, what: str, racers: int) -> list[Any]:
    """`racers` processes, each with its own connection, doing `what` at the same moment."""
    go = folder / f"go-{what}"
    script = RACE.format(root=str(ROOT))
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(target), str(go), what, str(n)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for n in range(racers)
    ]
    go.touch()
    results = []
    for process in processes:
        out, err = process.communicate(timeout=60)
        assert process.returncode == 0, err
        results.append(json.loads(out))
    return results


@pytest.mark.parametrize("expired", [False, True], ids=["free", "expired"])
def test_one_of_many_processes_racing_for_a_lease_gets_it(tmp_path: Path, expired: bool) -> None:
    settings = make_settings(tmp_path)
    store = load_agency(settings)
    if expired:  # a holder that died an hour ago: its lease has run out
        then = datetime.now(UTC) - timedelta(hours=1)
        assert store.acquire_lease("job:nudges", "gone:1:x", then, then + timedelta(minutes=5))
    store.close()
    results = race(settings.db_path, tmp_path, "lease", 6)
    assert sorted(won for (won,) in results) == [False] * 5 + [True]
    store = Store(settings.db_path)
    holder = store.lease("job:nudges")
    store.close()
    assert holder is not None and holder["holder"] == str(results.index([True]))


def test_one_click_of_many_replicas_receiving_it_at_once_is_kept(tmp_path: Path) -> None:
    """A check-then-insert (`add_quiet`) in racing processes: one snooze row, one "created"."""
    settings = make_settings(tmp_path)
    load_agency(settings).close()
    results = race(settings.db_path, tmp_path, "click", 4)
    assert sorted(created for (created,) in results) == [False] * 3 + [True]
    store = Store(settings.db_path)
    rows = store.quiet_rows("t:a1")
    store.close()
    assert [row["by_user"] for row in rows] == [str(results.index([True]))]


def test_processes_racing_to_claim_the_same_deals_win_each_once(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    load_agency(settings).close()
    results = race(settings.db_path, tmp_path, "claim", 4)
    claimed = Counter(deal for won in results for deal in won)
    assert claimed == Counter(f"d{n:03d}" for n in range(200))  # every deal, by one process
