"""Won/lost announcements in the team channel, posted by `serve`'s scheduler after each sync.

The sync engine queues every deal that reaches an outcome (never on a source's first sync) in
the `announcements` table; this posts the queue and marks each row only after Slack said ok, so
a restart neither loses nor repeats one. Rows older than `MAX_AGE` are left unannounced: a bot
started after a long pause should not flood the channel with old news.
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
from bot.render.mrkdwn import esc, link
from bot.settings import Settings
from bot.store import Store

log = logging.getLogger(__name__)

MAX_AGE = timedelta(days=7)


def announcement_text(deal: dict[str, Any], settings: Settings) -> str:
    lang = settings.language
    values = {
        "title": link(deal.get("url"), deal["title"] or deal["id"]),
        "client": f" ({esc(deal['client'])})" if deal.get("client") else "",
        "amount": money(deal["amount"], deal.get("currency") or settings.config.currency, lang),
        "owner": esc(deal["owner"] or "—"),
    }
    stage = settings.pipeline.by_key.get(deal["outcome"])
    if stage is not None and stage.outcome == "lost":
        reason = deal.get("lost_reason")
        values["reason"] = t("announce.reason", lang, reason=esc(reason)) if reason else ""
        return t("announce.lost", lang, **values)
    return t("announce.won", lang, **values)


def pending(store: Store, now: datetime) -> list[dict[str, Any]]:
    """The outcomes still to announce at `now`: queued, reached within `MAX_AGE`, not yet posted."""
    return store.pending_announcements(now - MAX_AGE)


def post_pending(settings: Settings, store: Store, client: WebClient, now: datetime) -> int:
    """Announce queued outcomes to `slack.channel`; returns how many were posted.

    Stops at the first Slack error (they all go to the same channel): the rest stay queued for
    the next round, and the error is logged with the deal.
    """
    channel = settings.config.slack.channel
    if not settings.config.announce.won_lost or not channel:
        return 0
    posted = 0
    for deal in pending(store, now):
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
    return posted


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
        for deal in deals:
            print(announcement_text(deal, settings))
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
        posted = post_pending(settings, store, client, now)
    finally:
        store.close()
    print(t("announce.posted", lang, n=posted, channel=channel))
    if posted < waiting:
        print(t("announce.failed", lang, n=waiting - posted), file=sys.stderr)
        return 1
    return 0
