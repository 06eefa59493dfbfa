"""Owners, lost reasons, deal search, stage/owner/mine lists, changes and unmapped statuses."""

from __future__ import annotations

from datetime import datetime

from bot.analytics import (
    changes,
    find_owners,
    funnel,
    in_stage,
    lost,
    owned_by,
    owners,
    search,
    summary,
    unmapped,
)
from bot.store import Store
from tests.analytics_fixture import PARIS, PIPELINE, build, context, tasks
from tests.helpers import load, task, utc


def test_owners_worked_by_hand(store: Store) -> None:
    result = owners(store, build(store))
    rows = [(o.owner, o.open, o.amount, o.weighted, o.stalled) for o in result.owners]
    assert rows == [
        # A 10 000 × 40 % + B 20 000 × 25 % = 9 000; both stalled; E won and K removed: out
        ("Marie Dupont", 2, 30000.0, 9000.0, 2),
        # C (no amount) + I 2 000 × 40 % = 800; F, G lost and H unmapped are not open
        ("Paul Martin", 2, 2000.0, 800.0, 0),
        ("Élodie Roux", 1, 5000.0, 4000.0, 0),
        (None, 1, 1000.0, 100.0, 0),  # J: nobody's, snoozed
    ]


def test_lost_reasons_group_spellings_and_no_reason(store: Store) -> None:
    ctx = build(store)
    more = [
        task("L1", "écarté", ("2026-03-01T09:00", "écarté"), amount=500,
             lost_reason="prix trop eleve"),
        task("L2", "écarté", ("2026-03-01T09:00", "écarté"), amount=250.5, lost_reason=" "),
    ]  # fmt: skip
    load(store, PIPELINE, more, source="u", now=utc("2026-03-29T08:00"))
    result = lost(store, ctx)
    # « Prix trop élevé » F 3 000 + « prix trop eleve » L1 500 → one group of 2, 3 500;
    # no reason: G (no amount) + L2 (a blank reason) 250.50
    assert [(r.label, r.count, r.amount) for r in result.reasons] == [
        ("Prix trop élevé", 2, 3500.0),
        ("(no reason)", 2, 250.5),
    ]
    assert lost(store, context(language="fr")).reasons[1].label == "(sans raison)"


def test_deal_search_ignores_case_and_accents(store: Store) -> None:
    ctx = build(store)
    found = search(store, ctx, "DUPAIN")
    # A's client « Boulangerie Dupâin » and E's « Dupain & fils »; K (client Dupain) is removed
    assert [d.id for d in found.deals] == ["t:A", "t:E"]
    a = found.deals[0]
    assert (a.weighted, a.idle_days, a.stalled, a.stage_label) == (4000.0, 20, True, "Meeting")
    assert [(e.from_stage, e.to_stage) for e in a.history] == [
        (None, "qualification"), ("qualification", "meeting")]  # fmt: skip
    assert search(store, ctx, "zoé").deals[0].id == "t:C"  # accent in the text asked
    assert [d.id for d in search(store, ctx, "boutique").deals] == ["t:D"]  # title
    # the title and client are searched apart: no match across their boundary
    assert search(store, ctx, "site boulangerie").deals == []


def test_deal_history_skips_statuses_of_the_same_stage(store: Store) -> None:
    ctx = build(store)
    deal = search(store, ctx, "charte").deals[0]
    # I: « client sur le point d'arriver » then « Qualification des prospects » (same stage),
    # then meeting: two stage events
    assert [e.to_stage for e in deal.history] == ["qualification", "meeting"]
    assert deal.weighted == 800.0  # 2 000 × meeting's 40 %


def test_stage_and_owner_lists(store: Store) -> None:
    ctx = build(store)
    negotiation = PIPELINE.find_stage("négociations")
    assert negotiation is not None
    result = in_stage(store, ctx, negotiation)
    assert [(d.id, d.stalled) for d in result.deals] == [("t:B", True), ("t:C", False)]
    assert find_owners(store, "elodie") == ["Élodie Roux"]
    assert find_owners(store, "agence.fr") == ["Marie Dupont", "Paul Martin"]  # e-mails
    assert find_owners(store, "marie dupont", exact=True) == ["Marie Dupont"]
    assert find_owners(store, "marie", exact=True) == []
    # Paul's open deals only, in pipeline order: I (meeting) before C (negotiation)
    assert [d.id for d in owned_by(store, ctx, ["Paul Martin"]).deals] == ["t:I", "t:C"]


def test_changes_since_as_of_minus_days(store: Store) -> None:
    ctx = build(store)
    # C moves once more between two statuses of negotiation (not a change), and a new deal N
    more = [
        task("C", "Négociations", ("2026-03-10T09:00", "client sur le point d'arriver"),
             ("2026-03-24T09:00", "balle dans le camp du client"),
             ("2026-03-27T09:00", "Négociations"), title="Logo", client="Café Zoé"),
        task("N", "client sur le point d'arriver",
             ("2026-03-29T15:00", "client sur le point d'arriver"), title="Nouvelle"),
        task("W", "travail terminé", ("2026-03-20T09:00", "conclusion du contrat"),
             ("2026-03-25T09:00", "travail terminé"), title="Signée"),
    ]  # fmt: skip
    load(store, PIPELINE, [t for t in tasks() if t.id not in ("C",)] + more,
         now=utc("2026-03-29T16:00"))  # fmt: skip
    result = changes(store, ctx)
    # since = 2026-03-23 12:00 Paris (CET, 11:00 UTC): B's move at 03-23 09:00 UTC is before
    assert result.since.isoformat() == "2026-03-23T12:00:00+01:00"
    assert [(e.deal, e.kind, e.from_stage, e.to_stage) for e in result.events] == [
        ("t:N", "new", None, "qualification"),  # 03-29 15:00
        ("t:D", "moved", "negotiation", "closing"),  # 03-27 23:30
        ("t:I", "moved", "qualification", "meeting"),  # 03-26 10:00
        ("t:W", "won", "closing", "won"),  # 03-25 09:00
        ("t:C", "moved", "qualification", "negotiation"),  # 03-24 09:00; not 03-27
    ]
    # 3 days: since 03-27 12:00 Paris = 11:00 UTC; D at 23:30 UTC is in, I (03-26) is not
    assert [e.deal for e in changes(store, ctx, days=3).events] == ["t:N", "t:D"]


def test_unmapped_statuses_and_removed_deals(store: Store) -> None:
    ctx = build(store)
    assert [(s.status, s.count) for s in unmapped(store, ctx).statuses] == [("En pause", 1)]
    # H leaves the sheet: the next (snapshot) sync marks it removed; it then counts nowhere,
    # not even in the funnel's stays (H's negotiation stay of 2 days goes)
    load(store, PIPELINE, [t for t in tasks() if t.id != "H"], now=utc("2026-03-29T09:00"))
    assert unmapped(store, ctx).statuses == []
    assert summary(store, ctx).unmapped == 0
    negotiation = funnel(store, ctx).stages[2]
    assert (negotiation.reached, negotiation.stays) == (5, 2)
    # back on the sheet: counted again
    load(store, PIPELINE, tasks(), now=utc("2026-03-29T10:00"))
    assert funnel(store, ctx).stages[2].stays == 3


def test_as_of_in_the_past_does_not_rewind_data_but_changes_the_clock(store: Store) -> None:
    build(store)
    ctx = context(now=datetime(2026, 3, 25, 12, 0, tzinfo=PARIS))
    # B entered negotiation on 03-23: 2 days idle on 03-25, not stalled
    assert [d.id for d in owned_by(store, ctx, ["Marie Dupont"]).deals if d.stalled] == ["t:A"]
