"""A small agency pipeline for the nudge, button and digest tests, loaded through the real sync.

As of Monday 2026-03-16 12:00 Paris, stalled (longest idle first):
  b1 Bruno (e-mail only, found by users.lookupByEmail)    meeting      since 03-01 → 15 d
  b2 Bruno                                                 meeting      since 03-02 → 14 d
  a1 Alice Martin ([people] by name)                       meeting      since 03-02 → 14 d
  d1 Dan (no e-mail, not in [people]: team channel)        meeting      since 03-03 → 13 d
  a2 Alice Martin                                          negotiation  since 03-05 → 11 d (client)
  c1 Chloé Durand ([people] "chloe durand": accents/case)  closing      since 03-08 →  8 d
Not stalled: a3 (qualification since 03-14), w1 (won), l1 (lost).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from bot.settings import Settings
from bot.store import Store
from tests.helpers import load, store_at, task, utc

AS_OF = "2026-03-16"
STALLED_ORDER = ["t:b1", "t:a1", "t:b2", "t:d1", "t:a2", "t:c1"]

PEOPLE = {"Alice Martin": "UALICE", "chloe durand": "UCHLOE"}
EMAILS = {"bruno@agence.fr": "UBRUNO"}


def agency_config(**overrides: Any) -> dict[str, Any]:
    """The agency's config (English, its `[people]`, the team channel), with `overrides`: pass
    it to `tests.slack_http.make_settings`."""
    raw: dict[str, Any] = {
        "language": "en",
        "people": dict(PEOPLE),
        "slack": {"channel": "C0TEAM"},
    }
    raw.update(overrides)
    return raw


def tasks() -> list[Any]:
    q, m, n, c = ("client sur le point d'arriver", "appel et devis",
                  "balle dans le camp du client", "conclusion du contrat")  # fmt: skip
    alice = {"owner": "Alice Martin", "owner_email": "alice@agence.fr"}
    bruno = {"owner": "Bruno Petit", "owner_email": "bruno@agence.fr"}
    return [
        task("a1", m, ("2026-02-20T09:00", q), ("2026-03-02T09:00", m), client="Dupain",
             amount=12000, expected_close=date(2026, 3, 20), url="https://tasks.example/a1",
             title="Site refonte", **alice),
        task("a2", n, ("2026-03-05T09:00", n), client="Boulangerie Lemoine", amount=8000,
             expected_close=date(2026, 3, 10),
             url="https://tasks.example/a2", title="Logo <new> & co", **alice),
        task("a3", q, ("2026-03-14T09:00", q), client="Fresh", amount=3000, **alice),
        task("b1", m, ("2026-03-01T09:00", m), client="Garage Martin", amount=5000,
             url="https://tasks.example/b1", **bruno),
        task("b2", m, ("2026-03-02T08:00", m), client="Hôtel du Parc", amount=20000,
             expected_close=date(2026, 5, 1),
             url="https://tasks.example/b2", **bruno),
        task("c1", c, ("2026-03-08T09:00", c), client="Cave Saint-Jean", amount=15000,
             expected_close=date(2026, 4, 10),
             owner="Chloé Durand", url="https://tasks.example/c1"),
        task("d1", m, ("2026-03-03T09:00", m), client="Atelier Nord", amount=7000, owner="Dan",
             url="https://tasks.example/d1"),
        task("w1", "travail en cours", ("2026-03-01T09:00", m), ("2026-03-11T09:00",
             "travail en cours"), client="Won Co", amount=9000, owner="Alice Martin"),
        task("l1", "écarté", ("2026-03-01T09:00", m), ("2026-03-12T09:00", "écarté"),
             client="Lost Co", amount=4000, owner="Dan", lost_reason="Budget"),
    ]  # fmt: skip


SYNCED = utc("2026-03-15T20:00")


def load_agency(settings: Settings, *, now: datetime | None = None) -> Store:
    """Load the agency as a first sync would; every deal was created at its first move."""
    store = store_at(settings.db_path)
    loaded = tasks()
    for item in loaded:
        item.started = item.history[0].at
    load(store, settings.pipeline, loaded, now=now or SYNCED)
    return store


def deal_ids_in(blocks: list[dict[str, Any]]) -> list[str]:
    """The deals a message offers buttons for, in order (from the `snooze` button values)."""
    import json

    ids = []
    for block in blocks:
        for element in block.get("elements", []):
            if element.get("action_id") == "snooze":
                ids.append(json.loads(element["value"])["deal"])
    return ids


def blocks_of(call: Any) -> list[dict[str, Any]]:
    import json

    blocks = call.body.get("blocks")
    return json.loads(blocks) if isinstance(blocks, str) else list(blocks or [])
