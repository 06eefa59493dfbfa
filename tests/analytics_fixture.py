"""A small hand-made agency pipeline whose every answer is worked out by hand in the tests.

As of Monday 2026-03-30 12:00 in Europe/Paris (10:00 UTC; summer time began on Sunday 29).
Statuses: q = qualification, m = meeting (« appel et devis »), n = negotiation (« balle dans le
camp du client »), c = closing, won (« travail terminé »), lost (« écarté »).

| deal | now in      | history (UTC, 09:00 unless said)                   | amount | own % | owner
| A    | meeting     | q 03-02, m 03-10                                   | 10 000 | -     | Marie
| B    | negotiation | q 03-01, m 03-05, n 03-23                          | 20 000 | 25    | Marie
| C    | negotiation | q 03-10, n 03-24 (skips meeting)                   | -      | -     | Paul
| D    | closing     | q 03-12, m 03-16, n 03-20, c 03-27 23:30 UTC       | 5 000  | -     | Élodie
| E    | won         | q 02-01, m 02-05, won 02-20                        | 8 000  | 30    | Marie
| F    | lost        | q 02-02, m 02-04, n 02-10, lost 02-20              | 3 000  | 50    | Paul
| G    | lost        | q 03-01, lost 03-03                                | -      | -     | Paul
| H    | unmapped    | q 03-01, n 03-04, « En pause » 03-06               | 1 000  | -     | Paul
| I    | meeting     | q 03-16 10:00, « Qualification des prospects »     | 2 000  | -     | Paul
|      |             | 03-20 10:00 (same stage), m 03-26 10:00            |        |       |
| J    | qualif.     | q 03-01 (snoozed until 04-02)                      | 1 000  | -     | -
| K    | negotiation | q 03-01, m 03-02, n 03-03 (removed upstream)       | 99 999 | -     | Marie
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.analytics import Context
from bot.pipeline import DEFAULT_STAGES, Pipeline
from bot.store import Store
from integrations.base import Task
from tests.helpers import load, task, utc

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 3, 30, 12, 0, tzinfo=PARIS)
PIPELINE = Pipeline(DEFAULT_STAGES)

Q, M, N, C = (
    "client sur le point d'arriver",
    "appel et devis",
    "balle dans le camp du client",
    ("conclusion du contrat"),
)
WON, LOST = "travail terminé", "écarté"
MARIE = {"owner": "Marie Dupont", "owner_email": "marie@agence.fr"}
PAUL = {"owner": "Paul Martin", "owner_email": "paul@agence.fr"}
ELODIE = {"owner": "Élodie Roux"}


def tasks() -> list[Task]:
    return [
        task("A", M, ("2026-03-02T09:00", Q), ("2026-03-10T09:00", M), title="Refonte site",
             client="Boulangerie Dupâin", amount=10000, expected_close=utc("2026-04-01").date(),
             **MARIE),
        task("B", N, ("2026-03-01T09:00", Q), ("2026-03-05T09:00", M), ("2026-03-23T09:00", N),
             title="Application mobile", client="Garage Leroy", amount=20000, probability=25,
             expected_close=utc("2026-03-29").date(), **MARIE),
        task("C", N, ("2026-03-10T09:00", Q), ("2026-03-24T09:00", N), title="Logo",
             client="Café Zoé", **PAUL),
        task("D", C, ("2026-03-12T09:00", Q), ("2026-03-16T09:00", M), ("2026-03-20T09:00", N),
             ("2026-03-27T23:30", C), title="Boutique en ligne", client="Fleurs Lila",
             amount=5000, expected_close=utc("2026-03-31").date(), **ELODIE),
        task("E", WON, ("2026-02-01T09:00", Q), ("2026-02-05T09:00", M),
             ("2026-02-20T09:00", WON), title="Site vitrine", client="Dupain & fils",
             amount=8000, probability=30, **MARIE),
        task("F", LOST, ("2026-02-02T09:00", Q), ("2026-02-04T09:00", M),
             ("2026-02-10T09:00", N), ("2026-02-20T09:00", LOST), title="Refonte intranet",
             client="Mairie", amount=3000, probability=50, lost_reason="Prix trop élevé", **PAUL),
        task("G", LOST, ("2026-03-01T09:00", Q), ("2026-03-03T09:00", LOST), title="Flyers",
             client="Club de foot", **PAUL),
        task("H", "En pause", ("2026-03-01T09:00", Q), ("2026-03-04T09:00", N),
             ("2026-03-06T09:00", "En pause"), title="Newsletter", client="Librairie",
             amount=1000, **PAUL),
        task("I", M, ("2026-03-16T10:00", Q), ("2026-03-20T10:00", "Qualification des prospects"),
             ("2026-03-26T10:00", M), title="Charte graphique", client="Cabinet Aubert",
             amount=2000, expected_close=utc("2026-09-30").date(), **PAUL),
        task("J", Q, ("2026-03-01T09:00", Q), title="Audit SEO", client="Hôtel du Port",
             amount=1000),
        task("K", N, ("2026-03-01T09:00", Q), ("2026-03-02T09:00", M), ("2026-03-03T09:00", N),
             title="Supprimée", client="Dupain", amount=99999, removed=True, **MARIE),
    ]  # fmt: skip


def build(store: Store) -> Context:
    """Load the fixture (synced on 2026-03-29) and snooze J until 2026-04-02 in its stage."""
    load(store, PIPELINE, tasks(), now=utc("2026-03-29T08:00"))
    store.conn.execute(
        "INSERT INTO quiet(deal_id, kind, stage, by_user, at, until) VALUES "
        "('t:J', 'snooze', 'qualification', 'U1', '2026-03-29T08:00:00+00:00', "
        "'2026-04-02T07:30:00+00:00')"
    )
    return context()


def context(**changes: object) -> Context:
    values: dict[str, object] = {"pipeline": PIPELINE, "tz": PARIS, "now": NOW, "language": "en"}
    values.update(changes)
    return Context(**values)  # type: ignore[arg-type]
