"""Won/lost announcements in the team channel, posted by `serve`'s scheduler after each sync.

The sync engine queues every deal that reaches an outcome (never on a source's first sync) in
the `announcements` table; this posts the queue and marks each row only after Slack said ok, so
a restart neither loses nor repeats one. Rows older than `MAX_AGE` are left unannounced: a bot
started after a long pause should not flood the channel with old news. One round posts at most
`MAX_PER_ROUND` announcements, then one "… and N more won/lost" line for the rest (a bulk move of
thousands of deals must not post thousands of messages).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from bot.i18n import t
from bot.outbox import Post, SlackRefused
from bot.render.money import money
from bot.render.mrkdwn import MAX_LABEL, clip, esc, link, notification
from bot.settings import Settings
from bot.store import Store

log = logging.getLogger(__name__)

MAX_AGE = timedelta(days=7)
#: Announcements posted in one round before the rest are summed up in one message.
MAX_PER_ROUND = 10


def announcement_text(deal: dict[str, Any], settings: Settings) -> str:
    """The message of one outcome: every value from the source escaped and clipped."""
    lang = settings.language
    values = {
        "title": link(deal.get("url"), deal["title"] or deal["id"]),
        "client": f" ({esc(clip(deal['client'], MAX_LABEL))})" if deal.get("client") else "",
        "amount": money(deal["amount"], deal.get("currency") or settings.config.currency, lang),
        "owner": esc(clip(deal["owner"] or "—", MAX_LABEL)),
    }
    if _is_lost(deal, settings):
        reason = deal.get("lost_reason")
        shown = esc(clip(reason, 300)) if reason else ""
        values["reason"] = t("announce.reason", lang, reason=shown) if reason else ""
        return notification(t("announce.lost", lang, **values))
    return notification(t("announce.won", lang, **values))


def _is_lost(deal: dict[str, Any], settings: Settings) -> bool:
    stage = settings.pipeline.by_key.get(deal["outcome"])
    return stage is not None and stage.outcome == "lost"


def summary_text(rest: list[dict[str, Any]], settings: Settings) -> str:
    """ "… and N more won/lost" for the outcomes past the round's cap."""
    lost = sum(1 for deal in rest if _is_lost(deal, settings))
    return t("announce.more", settings.language, n=len(rest), won=len(rest) - lost, lost=lost)


def pending(store: Store, now: datetime) -> list[dict[str, Any]]:
    """The outcomes still to announce at `now`: queued, reached within `MAX_AGE`, not yet posted."""
    return store.pending_announcements(now - MAX_AGE)


def post_pending(settings: Settings, store: Store, post: Post, now: datetime) -> int:
    """Announce queued outcomes to `slack.channel`; returns how many messages were posted.

    At most `MAX_PER_ROUND` outcomes one by one, then one summary for the rest, which are then
    marked announced with it. Stops at the first Slack error (they all go to the same channel):
    the rest stay queued for the next round, and the error is logged with the deal.
    """
    channel = settings.config.slack.channel
    if not settings.config.announce.won_lost or not channel:
        return 0
    waiting = pending(store, now)
    posted = 0
    for deal in waiting[:MAX_PER_ROUND]:
        text = announcement_text(deal, settings)
        try:
            post(channel, text, None)
        except SlackRefused as exc:
            log.warning("announcing %s (%s) in %s failed: %s; will retry after the next sync",
                        deal["deal_id"], deal["outcome"], channel, exc.error)  # fmt: skip
            break
        store.mark_announced(deal["deal_id"], deal["outcome"], now)
        posted += 1
    rest = waiting[MAX_PER_ROUND:]
    if posted < MAX_PER_ROUND or not rest:
        return posted
    try:
        post(channel, summary_text(rest, settings), None)
    except SlackRefused as exc:
        log.warning("announcing %d more outcome(s) in %s failed: %s; will retry after the next "
                    "sync", len(rest), channel, exc.error)  # fmt: skip
        return posted
    store.mark_all_announced([(d["deal_id"], d["outcome"]) for d in rest], now)
    return posted + 1
