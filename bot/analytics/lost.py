"""Why deals were lost: lost deals grouped by reason (case, accents and spaces ignored)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.analytics.core import Context, sql_text, to_cents
from bot.i18n import t
from bot.pipeline import normalise
from bot.store import Store


@dataclass
class LostReason:
    reason: str | None  # None: lost with no reason given
    count: int
    amount: float
    label: str = ""  # the reason, or "(no reason)" in the configured language


@dataclass
class Lost:
    as_of: datetime
    reasons: list[LostReason]
    count: int
    amount: float


def lost(store: Store, ctx: Context) -> Lost:
    """Every live lost deal, by reason, most frequent first; an empty reason is its own group.

    SQL groups the exact text (fast); reasons that differ only in case or accents are merged
    here, under the spelling most deals use (then the one with the largest amount).
    """
    keys = [sql_text(s.key) for s in ctx.pipeline.stages if s.outcome == "lost"]
    if not keys:
        return Lost(ctx.now, [], 0, 0.0)
    rows = store.rows(
        "SELECT trim(lost_reason) AS reason, COUNT(*) AS n, TOTAL(amount) AS amount FROM deals "
        f"WHERE removed = 0 AND stage IN ({', '.join(keys)}) GROUP BY trim(lost_reason) "
        "ORDER BY n DESC, amount DESC, reason"
    )
    groups: dict[str, LostReason] = {}
    for row in rows:
        text = row["reason"] or None
        key = normalise(text) if text else ""
        group = groups.setdefault(key, LostReason(text, 0, 0.0))
        group.count += int(row["n"])
        group.amount += row["amount"]
    reasons = sorted(
        groups.values(), key=lambda r: (-r.count, -r.amount, r.reason is None, r.reason or "")
    )
    for reason in reasons:
        reason.amount = to_cents(reason.amount)
        reason.label = reason.reason or t("lost.no_reason", ctx.language)
    return Lost(ctx.now, reasons, sum(r.count for r in reasons),
                to_cents(sum(r.amount for r in reasons)))  # fmt: skip
