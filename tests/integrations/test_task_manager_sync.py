"""End to end: Jira and ClickUp cassettes through the real sync engine into a real SQLite file.

What a user sees afterwards: each deal's stage, owner, amount and `stage_entered` taken from the
tool's own history (not from the time of the sync), and an incremental sync moving one deal on.
"""

from __future__ import annotations

from bot.store import Store
from tests.integrations.support import Cassette, deal_rows, run_sync

FIELDS = {
    "client": "Client",
    "amount": "Montant",
    "probability": "Probabilité",
    "contact": "Contact",
    "next_step": "Prochaine étape",
    "lost_reason": "Raison de la perte",
    "expected_close": "Date de signature prévue",
}
JIRA = {
    "kind": "jira",
    "name": "ventes",
    "base_url": "https://agence-exemple.atlassian.net",
    "project": "VENTE",
    "fields": FIELDS,
}
JIRA_SECRETS = {"JIRA_EMAIL": "robot@agence-exemple.fr", "JIRA_API_TOKEN": "fake-token"}
CLICKUP = {"kind": "clickup", "name": "agence", "list": "901204567890", "fields": FIELDS}
CLICKUP_SECRETS = {"CLICKUP_TOKEN": "pk_0_FAKE"}


def test_jira_full_then_incremental(cassette: Cassette, store: Store) -> None:
    with cassette("jira/full_sync.yaml"):
        first = run_sync(store, JIRA, JIRA_SECRETS, "2026-02-21T09:30:00", full=True)
    assert first.ok and first.fetched == 3
    assert any("VENTE-2" in w and "douze mille" in w for w in first.warnings)
    before = deal_rows(store)
    assert before == {
        "ventes:VENTE-1": ("negotiation", "Marie Dupont", 12000.0, "2026-02-03T13:30:00+00:00", 0),
        "ventes:VENTE-2": ("closing", "Karim Benali", None, "2026-02-10T08:30:00+00:00", 0),
        "ventes:VENTE-3": ("lost", None, 8500.0, "2026-02-01T16:45:30+00:00", 0),
    }

    # The engine's bookmark is the start of the last sync (09:30Z): the cassette only answers
    # the JQL built from it, so this also proves the bookmark reaches the adapter.
    with cassette("jira/incremental.yaml"):
        second = run_sync(store, JIRA, JIRA_SECRETS, "2026-02-21T10:10:00")
    assert second.ok and not second.full and second.fetched == 1
    assert second.reached_outcome == [("ventes:VENTE-2", "won")]
    after = deal_rows(store)
    assert after["ventes:VENTE-2"] == (
        "won",
        "Karim Benali",
        15500.0,
        "2026-02-21T09:04:58+00:00",
        0,
    )
    assert after["ventes:VENTE-1"] == before["ventes:VENTE-1"]  # untouched, not removed
    assert [(e["to_stage"], e["at"]) for e in store.history("ventes:VENTE-2")] == [
        ("meeting", "2026-01-05T10:02:40+00:00"),
        ("negotiation", "2026-01-15T15:05:12+00:00"),
        ("closing", "2026-02-10T08:30:00+00:00"),
        ("won", "2026-02-21T09:04:58+00:00"),
    ]


def test_clickup_full_then_incremental(cassette: Cassette, store: Store) -> None:
    with cassette("clickup/full_sync.yaml"):
        first = run_sync(store, CLICKUP, CLICKUP_SECRETS, "2026-02-21T09:00:00", full=True)
    assert first.ok and first.fetched == 3
    assert deal_rows(store) == {
        "agence:86c2ab1x7": (
            "negotiation",
            "Marie Dupont",
            12000.0,
            "2026-02-03T13:30:00+00:00",
            0,
        ),
        "agence:86c2ab1y2": ("qualification", None, 8500.5, "2026-01-15T15:05:12+00:00", 0),
        "agence:86c2ab1z9": ("won", "Karim Benali", 4800.0, "2026-02-10T16:20:00+00:00", 0),
    }

    with cassette("clickup/incremental.yaml"):
        second = run_sync(store, CLICKUP, CLICKUP_SECRETS, "2026-02-21T09:40:00")
    assert second.ok and second.fetched == 2
    after = deal_rows(store)
    assert after["agence:86c2ab1y2"] == (
        "meeting",
        "Marie Dupont",
        9200.0,
        "2026-02-21T09:11:58+00:00",
        0,
    )
    assert after["agence:86c2ab1w4"][0] == "lost" and after["agence:86c2ab1w4"][4] == 1
    assert after["agence:86c2ab1x7"][4] == 0  # not in the incremental feed: still live
    live = {d["id"] for d in store.live_deals()}
    assert live == {"agence:86c2ab1x7", "agence:86c2ab1y2", "agence:86c2ab1z9"}
