"""Real payloads, not only the documented examples, through the real engine into a real SQLite
file; each test asserts what a user then sees: the deal's `stage_entered`, `stage_entered_from`
and idle days (`query deal … --json`), and the warnings `sync` prints."""

from __future__ import annotations

from bot.store import Store
from tests.helpers import ask, deal
from tests.integrations.support import WITH_BODY, Cassette, run_sync

MONDAY = {"kind": "monday", "name": "crm", "board": "1234567890", "fields": {"amount": "Montant"}}
MONDAY_SECRETS = {"MONDAY_TOKEN": "eyJhbGciOiJIUzI1NiJ9.FAKE0monday0token0for0tests0only.XYZ"}


def seen(store: Store, title: str, as_of: str) -> tuple[str | None, str | None, str | None, int]:
    found = deal(store, title, as_of)
    return found["stage"], found["stage_entered"], found["stage_entered_from"], found["idle_days"]


def test_monday_values_without_changed_at_count_from_the_items_updated_at(
    cassette: Cassette, store: Store
) -> None:
    with cassette("monday/real_values.yaml", match_on=WITH_BODY):
        first = run_sync(store, MONDAY, MONDAY_SECRETS, "2026-02-21T09:30:00", full=True)
    assert first.ok and first.fetched == 4
    as_of = "2026-02-23T12:00:00"
    # changed_at present: monday's own record of the move
    assert seen(store, "Refonte site", as_of) == (
        "negotiation", "2026-01-12T11:41:09+01:00", "history", 42)  # fmt: skip
    # {"index": 1} and {"index": 3, "post_id": null}: idle at least since the item's updated_at,
    # not "in this stage since today"
    assert seen(store, "Site vitrine", as_of) == (
        "meeting", "2025-12-01T12:20:45+01:00", "last_modified", 84)  # fmt: skip
    assert seen(store, "Campagne SEO", as_of) == (
        "closing", "2026-02-09T09:15:00+01:00", "last_modified", 14)  # fmt: skip
    assert deal(store, "Campagne SEO", as_of)["stalled"] is True
    # nothing moved this week: the first sync lists no deal as a change
    assert ask(store, "changes 7", "2026-02-21T12:00:00")[0]["events"] == []
    assert ask(store, "summary", as_of)[0]["age_unknown"] == {"count": 0}

    # A second sync that sees the same board changes none of it.
    with cassette("monday/real_values.yaml", match_on=WITH_BODY):
        again = run_sync(store, MONDAY, MONDAY_SECRETS, "2026-02-22T09:30:00", full=True)
    assert again.ok and again.stage_changes == 0
    assert seen(store, "Site vitrine", as_of)[1:3] == ("2025-12-01T12:20:45+01:00", "last_modified")


ASANA = {"kind": "asana", "name": "ventes", "project": "1209876543210001",
         "fields": {"amount": "Montant"}}  # fmt: skip
ASANA_SECRETS = {"ASANA_TOKEN": "1/1209876543200000:FAKEFAKEFAKE"}


def test_asana_task_in_two_projects_keeps_only_this_projects_moves_and_its_currency(
    cassette: Cassette, store: Store
) -> None:
    with cassette("asana/two_projects.yaml"):
        result = run_sync(store, ASANA, ASANA_SECRETS, "2026-02-21T09:30:00", full=True)
    assert result.ok, result.error
    found = deal(store, "Thé & Co", "2026-02-23T12:00:00")
    # The move to « Maquettes » on 02-19 happened in the other project: not this deal's stage.
    assert (found["stage"], found["stage_entered"], found["stage_entered_from"]) == (
        "negotiation", "2026-02-02T09:15:00+01:00", "history")  # fmt: skip
    assert found["idle_days"] == 21 and found["stalled"] is True
    assert [(e["to"], e["at"][:10]) for e in found["history"]] == [
        ("qualification", "2026-01-05"), ("meeting", "2026-01-12"), ("negotiation", "2026-02-02"),
    ]  # fmt: skip
    assert (found["amount"], found["currency"]) == (18500.0, "GBP")


JIRA = {"kind": "jira", "name": "ventes", "base_url": "https://agence-exemple.atlassian.net",
        "project": "VENTE"}  # fmt: skip
JIRA_SECRETS = {"JIRA_EMAIL": "robot@agence-exemple.fr", "JIRA_API_TOKEN": "fake-token"}


def test_jira_moves_named_by_status_id_only_are_kept(cassette: Cassette, store: Store) -> None:
    with cassette("jira/changelog_ids_only.yaml"):
        result = run_sync(store, JIRA, JIRA_SECRETS, "2026-02-21T09:30:00", full=True)
    assert result.ok and result.warnings == []
    found = deal(store, "Clinique", "2026-02-23T12:00:00")
    assert [(e["to"], e["at"]) for e in found["history"]] == [
        ("qualification", "2026-01-08T10:00:00+01:00"),
        ("meeting", "2026-01-15T11:00:00+01:00"),
        ("negotiation", "2026-01-28T12:00:00+01:00"),
        ("closing", "2026-02-13T11:00:00+01:00"),
    ]
    assert (found["stage_entered_from"], found["idle_days"], found["stalled"]) == (
        "history", 10, True)  # fmt: skip


CLICKUP = {"kind": "clickup", "name": "agence", "list": "901204567890"}
CLICKUP_SECRETS = {"CLICKUP_TOKEN": "pk_0_FAKE"}


def test_clickup_stay_before_the_first_time_in_status_entry_starts_at_creation(
    cassette: Cassette, store: Store
) -> None:
    with cassette("clickup/time_in_status_gap.yaml"):
        result = run_sync(store, CLICKUP, CLICKUP_SECRETS, "2026-02-21T09:30:00", full=True)
    assert result.ok, result.error
    intranet = deal(store, "Mutuelle Horizon", "2026-02-23T12:00:00")
    assert [(e["from"], e["to"], e["at"]) for e in intranet["history"]] == [
        (None, "qualification", "2026-01-05T10:00:00+01:00"),  # created: not 01-20
        ("qualification", "meeting", "2026-02-02T09:15:00+01:00"),
    ]
    assert (intranet["stage_entered_from"], intranet["idle_days"]) == ("history", 21)
    logo = deal(store, "Fleurs", "2026-02-23T12:00:00")
    assert [(e["to"], e["at"]) for e in logo["history"]] == [
        ("qualification", "2026-02-10T15:00:00+01:00")]  # fmt: skip
    # the funnel's time in qualification counts from creation: 28 days, not 13
    funnel = ask(store, "funnel", "2026-02-23T12:00:00")[0]
    qualification = next(s for s in funnel["stages"] if s["key"] == "qualification")
    assert qualification["median_days"] == 27.97
