"""What one user's App Home shows: their open deals, the stalled ones, and the team totals.

One question, one answer: "your deals" is exactly `/pipeline mine` for that Slack user (the
`[people]` link, names and e-mails matched ignoring case and accents), and the team totals are
`/pipeline summary`. No Slack and no rendering here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bot import analytics
from bot.analytics import Context, DealList, DealView, HygieneDeal, Summary, Totals
from bot.analytics.deals import ListSums
from bot.query import Query, answer
from bot.store import Store


@dataclass
class Home:
    as_of: datetime
    user: str
    linked: bool  # the user appears in `[people]`
    mine: DealList | None = None
    team: Summary | None = None
    tidy: list[HygieneDeal] = field(default_factory=list)  # their open deals with problems

    @property
    def open_deals(self) -> list[DealView]:
        return self.mine.deals if self.mine else []

    @property
    def open(self) -> Totals:
        return totals_of(self.open_deals)

    @property
    def stalled(self) -> list[DealView]:
        """The user's stalled deals, longest idle first (what to chase today)."""
        stuck = [d for d in self.open_deals if d.stalled]
        return sorted(stuck, key=lambda d: (-(d.idle_days or 0), d.id))


def totals_of(deals: list[DealView]) -> Totals:
    """Count, amount and weighted amount of some deals (added as a list answer adds them)."""
    return ListSums.of(deals).totals()


def gather(store: Store, ctx: Context) -> Home:
    """The App Home of `ctx.user` (a Slack user ID)."""
    user = ctx.user or ""
    home = Home(as_of=ctx.now, user=user, linked=bool(analytics.names_of_user(ctx)))
    home.team = analytics.summary(store, ctx)
    if home.linked:
        home.mine = answer(Query("mine"), store, ctx)
        home.tidy = analytics.hygiene(store, ctx, [d.id for d in home.open_deals]).deals
    return home
