"""Won/lost announcements in the team channel, posted by `serve`'s scheduler after each sync.

The sync engine queues every deal that reaches an outcome (never on a source's first sync) in
the `announcements` table; this posts the queue and marks each row only after Slack said ok, so
a restart neither loses nor repeats one. Rows older than `MAX_AGE` are left unannounced: a bot
started after a long pause should not flood the channel with old news. One round posts at most
`MAX_PER_ROUND` announcements, then one "… and N more won/lost" line for the rest (a bulk move of
thousands of deals must not post thousands of messages).
"""

from __future__ import annotations

import argparse
import logging
import sys
from datetime import datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.i18n import t
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


def post_pending(settings: Settings, store: Store, client: WebClient, now: datetime) -> int:
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
            client.chat_postMessage(channel=channel, text=text, unfurl_links=False,
                                    unfurl_media=False)  # fmt: skip
        except SlackApiError as exc:
            log.warning("announcing %s (%s) in %s failed: %s; will retry after the next sync",
                        deal["deal_id"], deal["outcome"], channel,
                        exc.response.get("error"))  # fmt: skip
            break
        store.mark_announced(deal["deal_id"], deal["outcome"], now)
        posted += 1
    rest = waiting[MAX_PER_ROUND:]
    if posted < MAX_PER_ROUND or not rest:
        return posted
    try:
        client.chat_postMessage(channel=channel, text=summary_text(rest, settings),
                                unfurl_links=False, unfurl_media=False)  # fmt: skip
    except SlackApiError as exc:
        log.warning("announcing %d more outcome(s) in %s failed: %s; will retry after the next "
                    "sync", len(rest), channel, exc.response.get("error"))  # fmt: skip
        return posted
    store.mark_all_announced([(d["deal_id"], d["outcome"]) for d in rest], now)
    return posted + 1


def run_command(settings: Settings, args: argparse.Namespace) -> int:
    """`pipeline-bot announce [--dry-run] [--as-of]`: what `serve` does after each sync, now."""
    from bot.cli import as_of, open_store, require_db

    now = as_of(settings, args)
    lang = settings.language
    channel = settings.config.slack.channel
    require_db(settings)
    if not settings.config.announce.won_lost:
        print(t("announce.off", lang))
        return 0
    if getattr(args, "dry_run", False):
        store = open_store(settings)
        try:
            deals = pending(store, now)
        finally:
            store.close()
        for deal in deals[:MAX_PER_ROUND]:
            print(announcement_text(deal, settings))
        if deals[MAX_PER_ROUND:]:
            print(summary_text(deals[MAX_PER_ROUND:], settings))
        print(t("announce.dry", lang, n=len(deals), channel=channel or "—"))
        return 0
    if not channel:
        print(f"pipeline-bot: {t('announce.no_channel', lang)}", file=sys.stderr)
        return 2
    from bot.slack.client import command_client

    client = command_client(settings)
    store = open_store(settings)
    try:
        waiting = len(pending(store, now))
        post_pending(settings, store, client, now)
        left = len(pending(store, now))
    finally:
        store.close()
    print(t("announce.posted", lang, n=waiting - left, channel=channel))
    if left:
        print(t("announce.failed", lang, n=left), file=sys.stderr)
        return 1
    return 0
