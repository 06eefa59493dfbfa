"""Regenerate `integrations/data/demo_agency.json`, the bundled demo agency (seeded, repeatable).

Dates are stored as day offsets from "today" so the demo always has fresh and stalled deals.
Run: `python scripts/make_demo_data.py`.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "integrations" / "data" / "demo_agency.json"

OWNERS = [
    ("Marie Dupont", "marie.dupont@agence-exemple.fr"),
    ("Paul Durand", "paul.durand@agence-exemple.fr"),
    ("Sophie Martin", "sophie.martin@agence-exemple.fr"),
    ("Karim Benali", "karim.benali@agence-exemple.fr"),
    ("Julie Moreau", "julie.moreau@agence-exemple.fr"),
]
CLIENTS = [
    ("Boulangerie Dupain", "Jean Dupain"), ("Garage Leroy", "Michel Leroy"),
    ("Cabinet Lefèvre Avocats", "Claire Lefèvre"), ("Fromagerie Vidal", "Luc Vidal"),
    ("Hôtel des Arts", "Nadia Haddad"), ("Clinique Saint-Jean", "Dr Anne Roux"),
    ("Brasserie Le Zinc", "Thomas Blanc"), ("Atelier Mercier", "Émilie Mercier"),
    ("Domaine de la Côte", "Henri Gauthier"), ("Pharmacie Centrale", "Isabelle Fontaine"),
    ("Transports Girard", "Marc Girard"), ("Librairie Papillon", "Chloé Bonnet"),
    ("Immobilière Riviera", "Sandra Costa"), ("Menuiserie Lambert", "Paul Lambert"),
    ("Crèche Les Petits Pas", "Aurélie Henry"), ("Optique Lumière", "Yann Perrin"),
    ("Fleurs & Co", "Sarah Lopez"), ("Cave Saint-Vincent", "Olivier Masson"),
    ("Studio Yoga Zen", "Camille Noël"), ("Ferme du Bocage", "Gérard Fabre"),
    ("Agence Voyage Horizon", "Laura Dumas"), ("Cabinet Dentaire Sourire", "Dr Hugo Caron"),
    ("Textiles Rousseau", "Inès Rousseau"), ("Pâtisserie Chantilly", "Julien Morel"),
    ("Menuiserie Aubry", "Kevin Aubry"), ("Mutuelle Solidaire", "Hélène Barbier"),
    ("École de Musique Allegro", "Vincent Picard"), ("Restaurant Le Gourmet", "Nicolas Roger"),
]  # fmt: skip
SERVICES = [
    ("Refonte du site", 8000, 25000), ("Campagne SEO", 3000, 9000),
    ("Identité visuelle", 4000, 12000), ("Application mobile", 20000, 60000),
    ("Boutique en ligne", 12000, 35000), ("Maintenance annuelle", 2400, 6000),
    ("Campagne réseaux sociaux", 2500, 8000), ("Photos et vidéo", 1500, 5000),
]  # fmt: skip
PATH = [
    "à prospecter", "premier contact", "client sur le point d'arriver", "appel et devis",
    "balle dans le camp du client", "conclusion du contrat",
]  # fmt: skip
WON = ["travail en cours", "prendre un retour", "travail terminé"]
LOST = "écarté"
LOST_REASONS = ["Budget insuffisant", "Choix d'un concurrent", "Projet reporté",
                "Pas de réponse du client", "Délais trop courts"]  # fmt: skip


def _backwards(rng: random.Random, statuses: list[str], last_day: int) -> list[list[object]]:
    """History ending with the last status entered `last_day` days from today (negative)."""
    history: list[list[object]] = []
    day = last_day
    for status in reversed(statuses):
        history.append([day, rng.randint(8, 18), status])
        day -= rng.randint(3, 18)
    return list(reversed(history))


def _close_dates(rng: random.Random, started: int, final: int, before: int
                 ) -> tuple[int, list[list[object]]]:  # fmt: skip
    """The first expected close and, for about a third of the deals, the changes that pushed it
    to `final` (1 to 3 times, each a few days before the date it replaced, all before `before`)."""
    pushes = rng.choice([0, 0, 0, 0, 1, 1, 2, 3])
    dates = [final]
    for _ in range(pushes):
        dates.insert(0, dates[0] - rng.randint(10, 35))
    changes: list[list[object]] = []
    for old, new in zip(dates, dates[1:], strict=False):
        day = min(old - rng.randint(0, 6), before - 1, 0)
        if day <= started or (changes and day <= int(changes[-1][0])):  # type: ignore[call-overload]
            continue  # no room for this push in the deal's life: drop it
        changes.append([day, rng.randint(9, 17), "expected_close", old, new])
    first = int(changes[0][3]) if changes else final  # type: ignore[call-overload]
    return first, changes


def deal(rng: random.Random, number: int) -> dict[str, object]:
    client, contact = CLIENTS[number % len(CLIENTS)]
    service, low, high = rng.choice(SERVICES)
    owner, email = OWNERS[number % len(OWNERS)]
    fate = rng.random()
    entry = rng.choice([0, 0, 1, 2])  # most deals start as leads; some arrive by referral
    stages = range(entry, len(PATH))
    if fate < 0.27:  # won, some time in the last eleven months
        furthest = len(PATH) - 1
        skip = rng.random() < 0.15  # a referral that went straight from the call to the contract
        path = [s for s in PATH[entry:] if not (skip and s == "balle dans le camp du client")]
        statuses = path + WON[: rng.randint(1, 3)]
        last_day = -rng.randint(3, 330)
    elif fate < 0.60:  # lost, more often early than late
        furthest = rng.choices(list(stages), weights=[6, 5, 4, 3, 2, 1][: len(stages)])[0]
        statuses = PATH[entry : furthest + 1] + [LOST]
        last_day = -rng.randint(3, 330)
    else:  # open: most moved recently, about one in five has gone quiet
        furthest = rng.randint(entry, len(PATH) - 1)
        statuses = PATH[entry : furthest + 1]
        quiet = rng.random() < 0.2
        last_day = -rng.randint(8, 30) if quiet else -rng.randint(0, 4)
    history = _backwards(rng, statuses, last_day)
    current = statuses[-1]
    amount = rng.randrange(low, high, 100)
    started = int(history[0][0]) - rng.randint(0, 3)  # type: ignore[call-overload]
    row: dict[str, object] = {
        "id": f"D{number:03d}",
        "title": f"{service} – {client}",
        "client": client,
        "contact": contact,
        "owner": owner,
        "owner_email": email,
        "status": current,
        "amount": amount,
        "currency": "EUR",
        "started": started,
        "history": history,
        "url": f"https://trello.com/c/demo{number:03d}",
    }
    changes: list[list[object]] = []
    if current in PATH:
        if rng.random() < 0.9:
            final = rng.randint(-10, 120)
            _, changes = _close_dates(rng, started, final, 1)
            row["expected_close"] = final
        if rng.random() < 0.2:
            row["probability"] = rng.choice([30, 50, 70, 90])
    else:  # closed: the close date it was given, moved on the way for some
        final = last_day + rng.randint(-12, 12)
        _, changes = _close_dates(rng, started, final, last_day)
        row["expected_close"] = final
    if rng.random() < 0.15 and last_day - started > 10:  # the quote was revised once
        before = rng.randrange(low, high, 100)
        changes.append([rng.randint(started + 1, last_day - 1), 11, "amount", before, amount])
    if changes:
        row["changes"] = sorted(changes, key=lambda c: (c[0], c[1]))
    if current == LOST:
        row["lost_reason"] = rng.choice(LOST_REASONS)
    return row


def main() -> None:
    rng = random.Random(20261127)
    deals = [deal(rng, n) for n in range(1, 151)]
    # A few deliberate cases the demo should always show: long-stalled deals in each open stage.
    for number, (status, idle) in enumerate(
        [("appel et devis", 16), ("balle dans le camp du client", 24),
         ("conclusion du contrat", 9), ("client sur le point d'arriver", 12)], start=151,
    ):  # fmt: skip
        row = deal(rng, number)
        row["status"] = status
        row["history"] = _backwards(rng, ["premier contact", status], -idle)
        row["expected_close"] = rng.randint(5, 60)
        row.pop("lost_reason", None)
        row.pop("changes", None)
        deals.append(row)
    OUT.write_text(json.dumps({"deals": deals}, ensure_ascii=False, indent=1) + "\n")
    print(f"wrote {len(deals)} deals to {OUT}")


if __name__ == "__main__":
    main()
