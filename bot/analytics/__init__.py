"""Pipeline answers as plain result objects: pure functions of the store, the config and `now`.

One module per answer; this package re-exports them so `from bot.analytics import ...` works.
"""

from bot.analytics.changes import ChangeEvent, Changes, changes
from bot.analytics.core import (
    NOT_QUIET,
    Context,
    StageRow,
    Stalled,
    StalledDeal,
    Summary,
    Totals,
    longest_stalled,
    stalled,
    summary,
)
from bot.analytics.deals import (
    DealList,
    DealSearch,
    DealView,
    HistoryEvent,
    find_owners,
    in_stage,
    match_owners,
    names_of_user,
    owned_by,
    search,
)
from bot.analytics.forecast import Forecast, MonthBucket, forecast
from bot.analytics.funnel import Funnel, FunnelStage, funnel
from bot.analytics.hygiene import Hygiene, HygieneDeal, Problem, hygiene, problem_counts
from bot.analytics.lost import Lost, LostReason, lost
from bot.analytics.owners import OwnerRow, Owners, owners
from bot.analytics.unmapped import Unmapped, UnmappedStatus, unmapped

__all__ = [
    "NOT_QUIET",
    "ChangeEvent",
    "Changes",
    "Context",
    "DealList",
    "DealSearch",
    "DealView",
    "Forecast",
    "Funnel",
    "FunnelStage",
    "HistoryEvent",
    "Hygiene",
    "HygieneDeal",
    "Problem",
    "Lost",
    "LostReason",
    "MonthBucket",
    "OwnerRow",
    "Owners",
    "StageRow",
    "Stalled",
    "StalledDeal",
    "Summary",
    "Totals",
    "Unmapped",
    "UnmappedStatus",
    "changes",
    "find_owners",
    "match_owners",
    "forecast",
    "funnel",
    "hygiene",
    "in_stage",
    "lost",
    "names_of_user",
    "owned_by",
    "owners",
    "search",
    "problem_counts",
    "longest_stalled",
    "stalled",
    "summary",
    "unmapped",
]
