"""Hygiene rides along: a line in each owner's nudge, counts per code in the digest, the user's own
deals to tidy in the App Home. As of Monday 2026-03-16 (tests/agency.py), by hand:

- Alice: a2 expected 03-10 (overdue), a3 has no close date (not stalled, still counted) → 2;
- Bruno: b1 has no close date → 1 (b2 is complete);
- Chloé: c1 complete → no line;
- Dan: d1 has no close date → 1, in the team channel under his name;
- Eve (added here): one open deal with no amount, not stalled → no message at all.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from bot.clock import parse_as_of
from bot.digest import build_digest, sections
from bot.nudges import run_pass
from bot.slack_client import make_outbox
from tests import agency
from tests.agency import AS_OF, agency_config, blocks_of, load_agency
from tests.helpers import load, task, utc
from tests.slack_http import make_settings
from tests.slack_standin import SlackStandIn


def texts(blocks: list[dict]) -> str:
    out = []
    for block in blocks:
        if isinstance(block.get("text"), dict):
            out.append(block["text"]["text"])
        out += [e.get("text", "") for e in block.get("elements", []) if e["type"] == "mrkdwn"]
    return "\n".join(out)


def test_each_nudge_counts_its_owners_deals_with_problems(tmp_path: Path,
                                                          slack_api: SlackStandIn) -> None:  # fmt: skip
    slack_api.users_by_email.update(agency.EMAILS)
    settings = make_settings(tmp_path, slack_api, **agency_config())
    store = load_agency(settings)
    load(store, settings.pipeline, [
        task("e1", "client sur le point d'arriver", ("2026-03-15T09:00", "client sur le point d'arriver"),
             title="Audit", owner="Eve Laurent", expected_close=date(2026, 6, 1)),
    ], source="crm", now=utc("2026-03-15T20:00"))  # fmt: skip
    run_pass(settings, store, make_outbox(settings), parse_as_of(AS_OF, settings.tz))
    store.close()
    by_channel = {
        c.body["channel"]: texts(blocks_of(c)) for c in slack_api.called("chat.postMessage")
    }
    assert sorted(by_channel) == ["C0TEAM", "UALICE", "UBRUNO", "UCHLOE"]  # nobody for Eve
    assert ("🧹 2 of your open deals need tidying (No close date: 1, Overdue: 1): "
            "`/pipeline hygiene`") in by_channel["UALICE"]  # fmt: skip
    assert "🧹 1 of your open deals need tidying (No close date: 1)" in by_channel["UBRUNO"]
    assert "🧹" not in by_channel["UCHLOE"]
    team = by_channel["C0TEAM"]
    assert "Dan" in team and "🧹 1 of your open deals need tidying (No close date: 1)" in team
    assert "Eve" not in "\n".join(by_channel.values())


def test_french_nudge_line(tmp_path: Path, slack_api: SlackStandIn) -> None:
    slack_api.users_by_email.update(agency.EMAILS)
    settings = make_settings(tmp_path, slack_api, **agency_config(language="fr"))
    store = load_agency(settings)
    run_pass(settings, store, make_outbox(settings), parse_as_of(AS_OF, settings.tz))
    store.close()
    alice = next(c for c in slack_api.called("chat.postMessage") if c.body["channel"] == "UALICE")
    assert ("🧹 2 de vos affaires ouvertes sont à compléter (Sans date de clôture : 1, "
            "En retard : 1) : `/pipeline hygiène`") in texts(blocks_of(alice))  # fmt: skip


def test_digest_counts_problems_per_code(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, **agency_config())
    store = load_agency(settings)
    _, parts = sections(build_digest(settings, store, parse_as_of(AS_OF, settings.tz)), settings)
    store.close()
    line = next(ln for p in parts for ln in p.splitlines() if ln.startswith("*Hygiene*"))
    # a3, b1, d1 have no close date; a2 is overdue: 4 deals
    assert line == "*Hygiene*: 4 open deal(s) to tidy up — No close date: 3 · Overdue: 1"


def test_app_home_shows_the_users_own_deals_to_tidy(
    tmp_path: Path, slack_api: SlackStandIn
) -> None:
    from tests.helpers import wait_for
    from tests.slack_http import block_texts, published_view, send_event, serving
    from tests.test_slack_pipeline import PEOPLE
    from tests.test_slack_pipeline import agency as small_agency

    settings = make_settings(tmp_path, slack_api, people=PEOPLE)
    small_agency(settings)  # Marie's a1 has no close date; Jean's a2 neither, but it is not hers
    event = {"type": "app_home_opened", "user": "UMARIE", "channel": "D1", "tab": "home"}
    with serving(settings) as served:
        assert send_event(served, event, "EvTidy").status_code == 200
        call = wait_for(lambda: slack_api.called("views.publish"))[0]
    text = block_texts(published_view(call)["blocks"])
    tidy = text.split("Your deals to tidy up", 1)[1].split("Team pipeline", 1)[0]
    assert "Refonte Dupain" in tidy and "• no expected close date" in tidy
    assert "Lefèvre" not in tidy
