"""The weekly digest on the agency fixture: last week's picture rebuilt from stage events."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import cli
from bot.clock import parse_as_of
from bot.digest import build_digest, post_digest, sections
from bot.slack_client import make_outbox
from tests import agency
from tests.agency import AS_OF, agency_config, blocks_of, load_agency
from tests.helpers import store_at
from tests.slack_http import make_settings
from tests.slack_standin import SlackStandIn


def test_digest_figures(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, **agency_config())
    store = load_agency(settings)
    digest = build_digest(settings, store, parse_as_of(AS_OF, settings.tz))
    store.close()
    by_key = {s.key: (s.count, s.amount, s.count_before, s.amount_before) for s in digest.stages}
    assert by_key == {
        "qualification": (1, 3000, 0, 0),  # a3 arrived on 03-14
        "meeting": (4, 44000, 6, 57000),  # w1 won and l1 lost during the week
        "negotiation": (1, 8000, 1, 8000),
        "closing": (1, 15000, 1, 15000),
    }
    assert [d["id"] for d in digest.new] == ["t:a3"]
    assert [d["id"] for d in digest.won] == ["t:w1"]
    assert [d["id"] for d in digest.lost] == ["t:l1"]
    assert digest.lost_reasons == [("Budget", 1, 4000)]
    assert digest.stalled_count == 6
    assert [d.id for d in digest.longest] == agency.STALLED_ORDER[:5]
    forecast = [(m.month, m.count, m.amount, m.weighted) for m in digest.forecast]
    assert forecast == [("2026-03", 1, 12000, 4800), ("2026-04", 1, 15000, 12000)]  # a2 overdue


def test_digest_text_english(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, **agency_config())
    store = load_agency(settings)
    title, parts = sections(build_digest(settings, store, parse_as_of(AS_OF, settings.tz)),
                            settings)  # fmt: skip
    store.close()
    assert title == "Pipeline review, week of Mar 16, 2026"
    assert parts[0].splitlines() == [
        "*Pipeline by stage* (change since Mar 9, 2026)",
        "Qualification: 1 (+1) · €3,000 (+€3,000)",
        "Meeting: 4 (-2) · €44,000 (-€13,000)",
        "Negotiation: 1 (=) · €8,000 (=)",
        "Closing: 1 (=) · €15,000 (=)",
        "*Open pipeline*: 7 deal(s) (-1) · €70,000 (-€10,000) · weighted €34,700",
    ]
    assert parts[1].splitlines() == [
        "*New this week*: 1 deal(s) · €3,000",
        "*Won this week*: 1 · €9,000",
        "• Deal w1 · Won Co · Alice Martin · €9,000",
        "*Lost this week*: 1 · €4,000",
        "• Deal l1 · Lost Co · Dan · €4,000 · Budget",
        "Lost reasons: Budget (1, €4,000)",
    ]
    assert parts[2].splitlines() == [
        "*Forecast*",
        "Mar 2026: 1 deal(s) · €12,000 · weighted €4,800",
        "Apr 2026: 1 deal(s) · €15,000 · weighted €12,000",
    ]
    assert parts[3].splitlines()[:3] == [
        "*Stalled*: 6 deal(s)",
        "*Longest stalled*",
        "• <https://tasks.example/b1|Deal b1> · Garage Martin · Bruno Petit · Meeting · 15 d",
    ]


def test_digest_text_french(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, **agency_config(language="fr"))
    store = load_agency(settings)
    title, parts = sections(build_digest(settings, store, parse_as_of(AS_OF, settings.tz)),
                            settings)  # fmt: skip
    store.close()
    assert title == "Revue du pipeline, semaine du 16 mars 2026"
    assert parts[0].splitlines()[2] == "Réunion : 4 (-2) · 44\u202f000\u00a0€ (-13\u202f000\u00a0€)"
    assert parts[1].splitlines()[-1] == "Motifs de perte : Budget (1, 4\u202f000\u00a0€)"


def test_post_digest_to_the_digest_channel(tmp_path: Path, slack_api: SlackStandIn) -> None:
    settings = make_settings(tmp_path, slack_api, **agency_config(digest={"channel": "CREVIEW"}))
    store = load_agency(settings)
    post_digest(settings, store, make_outbox(settings), parse_as_of(AS_OF, settings.tz))
    store.close()
    (call,) = slack_api.called("chat.postMessage")
    assert call.body["channel"] == "CREVIEW"
    blocks = blocks_of(call)
    assert blocks[0]["type"] == "header"
    assert blocks[0]["text"]["text"] == "Pipeline review, week of Mar 16, 2026"
    assert len(blocks) == 6
    # the last section names the funnel's bottleneck, the same stage `query funnel` flags
    assert blocks[-1]["text"]["text"].startswith("*Bottleneck*: Meeting: ")


@pytest.fixture
def cli_args(tmp_path: Path, monkeypatch) -> list[str]:
    for name in ("SLACK_BOT_TOKEN", "SLACK_API_URL", "PIPELINE_CONFIG", "PIPELINE_DB"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    settings = make_settings(tmp_path, **agency_config())
    load_agency(settings).close()
    config = tmp_path / "pipeline.toml"
    config.write_text('language = "en"\n[slack]\nchannel = "C0TEAM"\n', encoding="utf-8")
    return ["--config", str(config), "--db", str(settings.db_path)]


def test_digest_dry_run_prints_and_sends_nothing(cli_args, slack_api, capsys) -> None:
    assert cli.main([*cli_args, "digest", "--dry-run", "--as-of", AS_OF]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Pipeline review, week of Mar 16, 2026\n\n*Pipeline by stage*")
    assert out.strip().endswith("Dry run: this would be posted to C0TEAM; nothing was sent.")
    assert slack_api.calls == []


def test_digest_command_posts(cli_args, slack_api, monkeypatch, capsys) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.setenv("SLACK_API_URL", slack_api.base_url)
    assert cli.main([*cli_args, "digest", "--as-of", AS_OF]) == 0
    assert capsys.readouterr().out.strip() == "Digest posted to C0TEAM."
    assert [c.body["channel"] for c in slack_api.called("chat.postMessage")] == ["C0TEAM"]


def test_digest_channel_not_found_is_one_line(cli_args, slack_api, monkeypatch, capsys) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.setenv("SLACK_API_URL", slack_api.base_url)
    slack_api.queue("chat.postMessage", {"ok": False, "error": "channel_not_found"})
    assert cli.main([*cli_args, "digest", "--as-of", AS_OF]) == 1
    assert capsys.readouterr().err.strip() == (
        "pipeline-bot: Could not post the digest to C0TEAM: channel_not_found"
    )


def test_every_won_stage_counts_and_long_lists_are_cut(tmp_path: Path) -> None:
    """Two won stages (« travail en cours » and a separate « livré ») both count as won this week;
    ten deals lost this week list eight then "… and 2 more", so no section is cut mid-link."""
    from tests.helpers import load, task

    stages = [
        {"key": "meeting", "probability": 40, "stall_days": 7},
        {"key": "won", "probability": 100, "outcome": "won"},
        {"key": "delivered", "probability": 100, "outcome": "won"},
        {"key": "lost", "probability": 0, "outcome": "lost"},
    ]
    settings = make_settings(
        tmp_path, **agency_config(stages=stages, status_map={"livré": "delivered"})
    )
    m, won, lost = "appel et devis", "travail en cours", "écarté"
    deals = [
        task("w1", won, ("2026-03-02T09:00", m), ("2026-03-12T09:00", won), amount=1000),
        task("w2", "livré", ("2026-03-02T09:00", m), ("2026-03-13T09:00", "livré"), amount=2000),
        *(task(f"l{n}", lost, ("2026-03-02T09:00", m), ("2026-03-13T09:00", lost), amount=100,
               url=f"https://tasks.example/l{n}?a=1|b>2", lost_reason="Prix")
          for n in range(10)),
    ]  # fmt: skip
    store = store_at(settings.db_path)
    load(store, settings.pipeline, deals, now=parse_as_of("2026-03-14", settings.tz))
    digest = build_digest(settings, store, parse_as_of(AS_OF, settings.tz))
    store.close()
    assert sorted(d["id"] for d in digest.won) == ["t:w1", "t:w2"]
    _, parts = sections(digest, settings)
    moves = next(p for p in parts if "Lost this week" in p)
    lost_part = moves.split("*Lost this week*", 1)[1]
    assert lost_part.count("• ") == 8 and "… and 2 more" in lost_part
    assert "<https://tasks.example/l0?a=1%7Cb%3E2|Deal l0>" in moves  # a link that stays whole
