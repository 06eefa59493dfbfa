"""What one user's App Home shows: their open deals, their stalled deals and the team totals.

A pure function of the store, the analytics context and `[people]`, like every analytics answer:
no Slack, no rendering. The Slack user is linked to task-manager owners through `[people]`
(names or e-mails, matched case- and accent-blind), so one person may own deals under several
spellings ("Marie Dupont", "marie@agence.fr").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from bot import analytics
from bot.analytics import Context, StalledDeal, Summary, Totals
from bot.pipeline import normalise
from bot.store import Store


@dataclass
class OwnDeal:
    id: str
    title: str
    client: str | None
    stage: str
    amount: float | None
    weighted: float
    idle_days: int | None
    url: str | None
    expected_close: str | None


@dataclass
class Home:
    as_of: datetime
    user: str
    linked: bool  # the user appears in `[people]`
    open_deals: list[OwnDeal] = field(default_factory=list)
    open: Totals = field(default_factory=Totals)
    stalled: list[StalledDeal] = field(default_factory=list)
    team: Summary | None = None


def names_of(people: Mapping[str, str], user: str) -> set[str]:
    """Every normalised name or e-mail `[people]` links to the Slack user `user`."""
    return {normalise(name) for name, slack_id in people.items() if slack_id == user}


def _owned(owner: str | None, email: str | None, names: set[str]) -> bool:
    return bool((owner and normalise(owner) in names) or (email and normalise(email) in names))


def _matching(values: Iterable[str | None], names: set[str]) -> list[str]:
    return [v for v in values if v and normalise(v) in names]


def gather(store: Store, ctx: Context, people: Mapping[str, str], user: str) -> Home:
    """The App Home of `user`: open deals closest to closing first, stalled deals, team totals."""
    names = names_of(people, user)
    result = Home(as_of=ctx.now, user=user, linked=bool(names))
    result.team = analytics.summary(store, ctx)
    if not names:
        return result
    owners = _matching(
        (r["owner"] for r in store.rows("SELECT DISTINCT owner FROM deals WHERE removed = 0")),
        names,
    )
    emails = _matching(
        (
            r["owner_email"]
            for r in store.rows("SELECT DISTINCT owner_email FROM deals WHERE removed = 0")
        ),
        names,
    )
    open_keys = [s.key for s in ctx.pipeline.open_stages]
    if (owners or emails) and open_keys:
        params: list[str] = [*open_keys, *owners, *emails]
        who = " OR ".join(
            part
            for part in (
                f"owner IN ({','.join('?' * len(owners))})" if owners else "",
                f"owner_email IN ({','.join('?' * len(emails))})" if emails else "",
            )
            if part
        )
        rows = store.rows(
            f"SELECT * FROM deals WHERE removed = 0 AND stage IN ({','.join('?' * len(open_keys))})"
            f" AND ({who})",
            params,
        )
        for row in rows:
            stage = ctx.pipeline.by_key[row["stage"]]
            probability = (
                row["probability"] if row["probability"] is not None else (stage.probability)
            )
            amount = row["amount"]
            weighted = round((amount or 0.0) * probability / 100, 2)
            result.open_deals.append(
                OwnDeal(
                    id=row["id"],
                    title=row["title"],
                    client=row["client"],
                    stage=row["stage"],
                    amount=amount,
                    weighted=weighted,
                    idle_days=ctx.idle_days(row["stage_entered"]),
                    url=row["url"],
                    expected_close=row["expected_close"],
                )
            )
            result.open.count += 1
            result.open.amount += amount or 0.0
            result.open.weighted += weighted
    result.open.amount = round(result.open.amount, 2)
    result.open.weighted = round(result.open.weighted, 2)
    position = {key: index for index, key in enumerate(open_keys)}
    result.open_deals.sort(key=lambda d: (-position[d.stage], -(d.amount or 0.0), d.id))
    result.stalled = [
        deal
        for deal in analytics.stalled(store, ctx).deals
        if _owned(deal.owner, deal.owner_email, names)
    ]
    return result
