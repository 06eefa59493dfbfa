"""Nudges through the real store and the local Slack stand-in: who gets what, once a day."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from bot import analytics, cli
from bot.answers import context_for
from bot.clock import parse_as_of
from bot.lease import LeaseBusy, held
from bot.nudges import (
    PassStopped,
    Recipients,
    email_lookup,
    plan_nudges,
    run_pass,
    send_plan,
)
from bot.settings import Settings
from bot.slack_client import make_outbox
from bot.store import Store
from tests import agency
from tests.agency import AS_OF, agency_config, blocks_of, deal_ids_in, load_agency
from tests.helpers import local_server, store_at
from tests.slack_check import assert_safe
from tests.slack_http import make_settings
from tests.slack_standin import SlackStandIn


@pytest.fixture
def setup(tmp_path: Path, slack_api: SlackStandIn) -> Iterator[tuple[Settings, Store]]:
    slack_api.users_by_email.update(agency.EMAILS)
    settings = make_settings(tmp_path, slack_api, **agency_config())
    store = load_agency(settings)
    yield settings, store
    store.close()


def as_of(settings: Settings, text: str = AS_OF) -> datetime:
    return parse_as_of(text, settings.tz)


def posted(slack_api: SlackStandIn) -> list[tuple[str, list[str]]]:
    """(channel, deal ids) of every chat.postMessage Slack accepted, in order."""
    return [
        (c.body["channel"], deal_ids_in(blocks_of(c))) for c in slack_api.called("chat.postMessage")
    ]


def ok(channel: str) -> dict[str, object]:
    return {"ok": True, "channel": channel, "ts": "1700000000.000001"}


def logged(store: Store) -> set[str]:
    return {r["deal_id"] for r in store.rows("SELECT deal_id FROM nudges")}


def test_one_message_per_owner_with_exact_deals(setup, slack_api: SlackStandIn) -> None:
    settings, store = setup
    result = run_pass(settings, store, make_outbox(settings), as_of(settings))

    assert posted(slack_api) == [
        ("UALICE", ["t:a1", "t:a2"]),  # [people] by name
        ("UBRUNO", ["t:b1", "t:b2"]),  # users.lookupByEmail, longest idle first
        ("UCHLOE", ["t:c1"]),  # [people] "chloe durand" matches "Chloé Durand"
        ("C0TEAM", ["t:d1"]),  # no Slack user: the team channel, naming the owner
    ]
    lookups = slack_api.called("users.lookupByEmail")
    assert [c.body["email"] for c in lookups] == ["bruno@agence.fr"]  # cached for b2
    assert (result.messages, result.deals, result.failed) == (4, 6, 0)
    assert (
        result.line("en") == "Sent 4 message(s) about 6 deal(s), 0 failed (0 already nudged today)."
    )
    team = slack_api.called("chat.postMessage")[3]
    assert "No Slack user found for Dan" in blocks_of(team)[0]["text"]["text"]
    assert logged(store) == set(agency.STALLED_ORDER)


def test_message_content_and_buttons(setup, slack_api: SlackStandIn) -> None:
    settings, store = setup
    run_pass(settings, store, make_outbox(settings), as_of(settings))
    alice = slack_api.called("chat.postMessage")[0]
    blocks = blocks_of(alice)
    assert alice.body["text"] == "2 stalled deal(s) need your attention"
    assert blocks[0]["text"]["text"] == "Hi Alice Martin, these deals of yours haven't moved (2):"
    assert blocks[1]["text"]["text"] == (
        "*<https://tasks.example/a1|Site refonte>* · Dupain\n"
        "Meeting · 14 d idle (limit 7) · €12,000\n"
        "👉 Next step: Hold the call and send the quote"
    )
    # negotiation waits on the client: chase them rather than act; mrkdwn escaped
    assert blocks[3]["text"]["text"] == (
        "*<https://tasks.example/a2|Logo &lt;new&gt; &amp; co>* · Boulangerie Lemoine\n"
        "Negotiation · 11 d idle (limit 7) · €8,000\n"
        "⏳ The ball is in the client's court: chase them (Chase the client about the quote)"
    )
    buttons = blocks[2]["elements"]
    assert [b["action_id"] for b in buttons] == [
        "open_task",
        "snooze",
        "snooze_until",
        "followed_up",
    ]
    assert buttons[0]["url"] == "https://tasks.example/a1"
    assert buttons[1]["text"]["text"] == "Snooze 3 d"


def test_french_message(tmp_path: Path, slack_api: SlackStandIn) -> None:
    settings = make_settings(tmp_path, slack_api, **agency_config(language="fr"))
    store = load_agency(settings)
    run_pass(settings, store, make_outbox(settings), as_of(settings))
    store.close()
    blocks = blocks_of(slack_api.called("chat.postMessage")[0])
    assert blocks[0]["text"]["text"] == "Bonjour Alice Martin, ces affaires n'avancent plus (2) :"
    assert blocks[1]["text"]["text"] == (
        "*<https://tasks.example/a1|Site refonte>* · Dupain\n"
        "Réunion · 14 j sans mouvement (max 7) · 12\u202f000\u00a0€\n"
        "👉 Prochaine étape : Tenir l'appel et envoyer le devis"
    )
    assert blocks[2]["elements"][1]["text"]["text"] == "Reporter de 3 j"


def test_second_pass_same_day_sends_nothing_next_day_sends_again(setup, slack_api) -> None:
    settings, store = setup
    out = make_outbox(settings)
    run_pass(settings, store, out, as_of(settings))
    again = run_pass(settings, store, out, as_of(settings, "2026-03-16T18:00"))
    assert (again.messages, again.skipped) == (0, 6)
    assert len(slack_api.called("chat.postMessage")) == 4

    next_day = run_pass(settings, store, out, as_of(settings, "2026-03-17"))
    assert (next_day.messages, next_day.deals) == (4, 6)
    days = store.rows("SELECT day, COUNT(*) AS n FROM nudges GROUP BY day ORDER BY day")
    assert days == [{"day": "2026-03-16", "n": 6}, {"day": "2026-03-17", "n": 6}]


def test_local_day_not_utc_day(setup, slack_api) -> None:
    """23:30 UTC on the 16th is already the 17th in Paris: a new day, nudged again."""
    settings, store = setup
    out = make_outbox(settings)
    run_pass(settings, store, out, as_of(settings, "2026-03-16T08:00+00:00"))
    late = run_pass(settings, store, out, as_of(settings, "2026-03-16T23:30+00:00"))
    assert late.messages == 4


def test_rate_limited_in_the_middle_everything_sent_once(setup, slack_api) -> None:
    settings, store = setup
    slack_api.queue("chat.postMessage", ok("UALICE"))
    slack_api.rate_limit("chat.postMessage", retry_after=1)  # the second message gets a 429
    result = run_pass(settings, store, make_outbox(settings), as_of(settings))
    calls = slack_api.called("chat.postMessage")
    assert [c.body["channel"] for c in calls] == ["UALICE", "UBRUNO", "UBRUNO", "UCHLOE", "C0TEAM"]
    assert (result.messages, result.deals, result.failed) == (4, 6, 0)
    assert logged(store) == set(agency.STALLED_ORDER)


def test_crash_after_third_message_rerun_sends_only_the_rest(setup, slack_api) -> None:
    settings, store = setup
    for channel in ("UALICE", "UBRUNO", "UCHLOE"):
        slack_api.queue("chat.postMessage", ok(channel))
    slack_api.queue("chat.postMessage", {"ok": False, "error": "internal_error"}, status=500)
    out = make_outbox(settings)
    with pytest.raises(PassStopped) as stopped:
        run_pass(settings, store, out, as_of(settings))
    assert stopped.value.result.messages == 3
    assert logged(store) == {"t:a1", "t:a2", "t:b1", "t:b2", "t:c1"}
    assert store.lease("nudges") is None  # released: the re-run need not wait

    rerun = run_pass(settings, store, out, as_of(settings))
    assert (rerun.messages, rerun.deals, rerun.skipped) == (1, 1, 5)
    assert posted(slack_api)[-1] == ("C0TEAM", ["t:d1"])
    assert logged(store) == set(agency.STALLED_ORDER)


def test_channel_not_found_for_one_owner_does_not_stop_the_others(setup, slack_api, caplog) -> None:
    settings, store = setup
    slack_api.queue("chat.postMessage", ok("UALICE"))
    slack_api.queue("chat.postMessage", {"ok": False, "error": "channel_not_found"})
    with caplog.at_level(logging.WARNING, logger="bot.nudges"):
        result = run_pass(settings, store, make_outbox(settings), as_of(settings))
    assert [c.body["channel"] for c in slack_api.called("chat.postMessage")] == [
        "UALICE", "UBRUNO", "UCHLOE", "C0TEAM"]  # fmt: skip
    assert (result.messages, result.deals, result.failed) == (3, 4, 1)
    assert "could not nudge Bruno Petit (t:b1, t:b2): channel_not_found" in caplog.text
    assert logged(store) == {"t:a1", "t:a2", "t:c1", "t:d1"}  # Bruno's go tomorrow or on re-run


def test_no_team_channel_owner_without_slack_is_reported_failed(tmp_path, slack_api) -> None:
    settings = make_settings(tmp_path, slack_api, **agency_config(slack={}))
    store = load_agency(settings)
    result = run_pass(settings, store, make_outbox(settings), as_of(settings))
    store.close()
    assert result.failed == 2  # Dan (no e-mail) and Bruno (lookup finds no user)
    assert {c.body["channel"] for c in slack_api.called("chat.postMessage")} == {"UALICE", "UCHLOE"}


def test_max_per_owner_then_and_n_more(tmp_path, slack_api) -> None:
    slack_api.users_by_email.update(agency.EMAILS)
    settings = make_settings(tmp_path, slack_api, **agency_config(nudges={"max_per_owner": 1}))
    store = load_agency(settings)
    run_pass(settings, store, make_outbox(settings), as_of(settings))
    bruno = slack_api.called("chat.postMessage")[1]
    assert deal_ids_in(blocks_of(bruno)) == ["t:b1"]
    assert blocks_of(bruno)[-1]["elements"][0]["text"] == "… and 1 more"
    assert "t:b2" not in logged(store)  # not shown, not nudged
    store.close()


def test_team_channel_cut_at_block_limit(tmp_path, slack_api) -> None:
    from tests.helpers import load, task

    settings = make_settings(tmp_path, slack_api, **agency_config())
    store = store_at(settings.db_path)
    many = [task(f"x{i:02d}", "appel et devis", ("2026-03-01T09:00", "appel et devis"),
                 owner=f"Owner {i:02d}") for i in range(30)]  # fmt: skip
    load(store, settings.pipeline, many)
    result = run_pass(settings, store, make_outbox(settings), as_of(settings))
    (call,) = slack_api.called("chat.postMessage")
    blocks = blocks_of(call)
    assert len(blocks) <= 50
    assert_safe([call.body])  # every limit, every text escaped
    shown = deal_ids_in(blocks)
    assert blocks[-1]["elements"][0]["text"] == f"… and {30 - len(shown)} more"
    assert result.deals == len(shown) == len(logged(store)) == 16  # 1 + 16 × 3 + 1 blocks
    store.close()


def test_another_pass_running_holds_the_lease(setup, slack_api) -> None:
    settings, store = setup
    with (
        held(store, "nudges", timedelta(minutes=5), holder="elsewhere:1:x"),
        pytest.raises(LeaseBusy),
    ):
        run_pass(settings, store, make_outbox(settings), as_of(settings))
    assert slack_api.calls == []


def test_snoozed_deal_is_not_nudged(setup, slack_api) -> None:
    settings, store = setup
    now = as_of(settings)
    store.add_quiet("t:a1", "snooze", "meeting", "UALICE", now, now + timedelta(days=3))
    run_pass(settings, store, make_outbox(settings), now)
    assert posted(slack_api)[0] == ("UALICE", ["t:a2"])


def other_replica_claims(settings: Settings, day: str, deal_ids: list[str]) -> set[str]:
    """Another `serve` replica (its own connection to the database) claims `deal_ids` first."""
    other = Store(settings.db_path)
    try:
        return other.claim_nudges(day, [(d, "someone", "UOTHER") for d in deal_ids])
    finally:
        other.close()


def test_deals_another_replica_claimed_are_left_out_of_the_messages(tmp_path, slack_api) -> None:
    """Between this pass's plan and its messages another process claims a1, b1 and d1: they are
    not sent here; Alice's message is drawn again without a1, Bruno's (one deal a message) lists
    b2, which it had cut, and the team message, with nothing left, is not sent."""
    slack_api.users_by_email.update(agency.EMAILS)
    settings = make_settings(tmp_path, slack_api, **agency_config(nudges={"max_per_owner": 1}))
    store = load_agency(settings)
    now = as_of(settings)
    out = make_outbox(settings)
    ctx = context_for(settings, now, store=store)
    plan = plan_nudges(settings, store, ctx, Recipients(settings.config.people,
                                                        email_lookup(out.find_user)))  # fmt: skip
    assert [deal_ids_in(m.rendered.blocks) for m in plan.messages] == [
        ["t:a1"], ["t:b1"], ["t:c1"], ["t:d1"]]  # fmt: skip
    assert other_replica_claims(settings, plan.day, ["t:a1", "t:b1", "t:d1"]) == {
        "t:a1", "t:b1", "t:d1"}  # fmt: skip

    result = send_plan(plan, store, out, language="en")

    assert posted(slack_api) == [("UALICE", ["t:a2"]), ("UBRUNO", ["t:b2"]), ("UCHLOE", ["t:c1"])]
    assert (result.messages, result.deals, result.skipped) == (3, 3, 3)
    rows = {r["deal_id"]: r for r in store.rows("SELECT * FROM nudges")}
    assert {d for d, r in rows.items() if r["sent_at"]} == {"t:a2", "t:b2", "t:c1"}
    assert {d for d, r in rows.items() if r["recipient"] == "UOTHER"} == {"t:a1", "t:b1", "t:d1"}
    assert rows["t:a1"]["sent_at"] is None  # the other replica's claim, left as it was
    store.close()


def test_a_connection_refused_gives_the_claims_back_for_the_rerun(setup, slack_api) -> None:
    settings, store = setup
    closed = make_settings(settings.base_dir / "closed", None)  # Web API on a closed port
    out = replace(make_outbox(settings), post=make_outbox(closed).post)
    with pytest.raises(PassStopped):
        run_pass(settings, store, out, as_of(settings))
    assert store.scalar("SELECT COUNT(*) FROM nudges") == 0  # nothing reached Slack: unclaimed

    rerun = run_pass(settings, store, make_outbox(settings), as_of(settings))
    assert (rerun.messages, rerun.deals, rerun.skipped) == (4, 6, 0)
    assert logged(store) == set(agency.STALLED_ORDER)


class HangsUp(BaseHTTPRequestHandler):
    """A Web API that reads each request, then closes the connection without an answer: Slack
    may or may not have posted the message."""

    def do_POST(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.close_connection = True

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        return


def test_a_message_whose_fate_is_unknown_is_not_sent_again_that_day(setup, slack_api) -> None:
    """The connection dropped after the request went out: Alice's deals keep their claim, so
    the rerun nudges everyone else and not her twice the same day."""
    settings, store = setup
    with local_server(HangsUp) as hangs_up:
        lost = make_settings(
            settings.base_dir / "lost", secrets={"slack_api_url": f"{hangs_up}/api/"}
        )
        out = replace(make_outbox(settings), post=make_outbox(lost).post)
        with pytest.raises(PassStopped):
            run_pass(settings, store, out, as_of(settings))
    claimed = store.rows("SELECT deal_id, sent_at FROM nudges ORDER BY deal_id")
    assert claimed == [{"deal_id": "t:a1", "sent_at": None}, {"deal_id": "t:a2", "sent_at": None}]

    rerun = run_pass(settings, store, make_outbox(settings), as_of(settings))
    assert [channel for channel, _ in posted(slack_api)] == ["UBRUNO", "UCHLOE", "C0TEAM"]
    assert (rerun.messages, rerun.skipped) == (3, 2)


# --- the command ------------------------------------------------------------------------------


def write_config(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "pipeline.toml"
    path.write_text(
        'language = "en"\n[people]\n"Alice Martin" = "UALICE"\n"chloe durand" = "UCHLOE"\n'
        '[slack]\nchannel = "C0TEAM"\n' + extra,
        encoding="utf-8",
    )
    return path


@pytest.fixture
def cli_env(tmp_path: Path, slack_api: SlackStandIn, monkeypatch) -> list[str]:
    slack_api.users_by_email.update(agency.EMAILS)
    for name in ("SLACK_BOT_TOKEN", "SLACK_API_URL", "PIPELINE_CONFIG", "PIPELINE_DB"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    settings = make_settings(tmp_path, slack_api, **agency_config())
    load_agency(settings).close()
    return ["--config", str(write_config(tmp_path)), "--db", str(settings.db_path)]


def test_dry_run_makes_no_slack_call_and_prints_recipients(cli_env, slack_api, capsys) -> None:
    code = cli.main([*cli_env, "nudge", "--dry-run", "--as-of", AS_OF])
    out = capsys.readouterr().out
    assert code == 0
    assert slack_api.calls == []  # not even users.lookupByEmail, and no token needed
    assert "To Alice Martin (Slack user UALICE):" in out
    assert "To Bruno Petit (Slack user looked up by e-mail bruno@agence.fr when sending" in out
    assert "To the team channel C0TEAM (no Slack user for Dan):" in out
    heads = [line for line in out.splitlines() if line.startswith("To ")]
    assert [h.split(" (")[0] for h in heads] == [
        "To Alice Martin", "To Bruno Petit", "To Chloé Durand", "To the team channel C0TEAM"]  # fmt: skip
    assert "Site refonte" in out and "Atelier Nord" in out
    assert out.strip().endswith(
        "Dry run: 4 message(s) about 6 deal(s) would be sent (0 already nudged today); "
        "nothing was sent."
    )


def test_missing_token_is_one_line_exit_2(cli_env, slack_api, capsys) -> None:
    code = cli.main([*cli_env, "nudge", "--as-of", AS_OF])
    err = capsys.readouterr().err
    assert code == 2
    assert err.strip().splitlines() == [
        "pipeline-bot: SLACK_BOT_TOKEN is not set: put the bot token (xoxb-…) in the environment "
        "or .env (or use --dry-run)"
    ]
    assert slack_api.calls == []


def test_command_sends_and_prints_one_line(cli_env, slack_api, monkeypatch, capsys) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.setenv("SLACK_API_URL", slack_api.base_url)
    assert cli.main([*cli_env, "nudge", "--as-of", AS_OF]) == 0
    assert capsys.readouterr().out.strip() == (
        "Sent 4 message(s) about 6 deal(s), 0 failed (0 already nudged today)."
    )
    assert cli.main([*cli_env, "nudge", "--as-of", AS_OF]) == 0
    assert "Sent 0 message(s)" in capsys.readouterr().out
    token_seen = slack_api.called("chat.postMessage")[0].headers.get("Authorization", "")
    assert token_seen == "Bearer xoxb-test"


def test_stalled_list_matches_the_nudged_deals(setup) -> None:
    settings, store = setup
    ctx = context_for(settings, as_of(settings))
    assert [d.id for d in analytics.stalled(store, ctx).deals] == agency.STALLED_ORDER
    assert datetime.now(UTC).tzinfo is UTC


def test_owner_message_stays_within_slack_block_limit() -> None:
    """`max_per_owner = 40` would need 81 blocks: the message stops at 50, the rest is counted."""
    from zoneinfo import ZoneInfo

    from bot.analytics import Context, StalledDeal
    from bot.pipeline import DEFAULT_STAGES, Pipeline
    from bot.render.mrkdwn import MAX_MESSAGE_BLOCKS as MAX_BLOCKS
    from bot.render.nudge_blocks import owner_message

    ctx = Context(
        Pipeline(DEFAULT_STAGES), ZoneInfo("Europe/Paris"), datetime(2026, 3, 16, tzinfo=UTC)
    )
    deals = [StalledDeal(id=f"t:{n}", title=f"Deal {n}", client="Dupain", owner="Dan",
                         owner_email=None, stage="meeting", idle_days=10, stall_days=7,
                         amount=1000.0, url=f"https://example.test/{n}")
             for n in range(40)]  # fmt: skip
    rendered = owner_message("Dan", deals, ctx, max_deals=40, snooze_days=3)
    assert len(rendered.blocks) <= MAX_BLOCKS
    assert len(rendered.listed) + rendered.cut == 40 and rendered.cut > 0
    assert f"… et {rendered.cut} de plus" in str(rendered.blocks[-1])  # French by default
