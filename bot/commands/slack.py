"""`nudge`, `digest`, `announce` and `serve`: the commands that talk to Slack.

Glue only: each reads its arguments, opens what it needs, calls the domain module (which takes
an `Outbox` of Slack calls or builds messages, and never imports the command line), and prints
the result in the configured language.
"""

from __future__ import annotations

import argparse
import logging

from bot.announce import MAX_PER_ROUND, announcement_text, pending, post_pending, summary_text
from bot.answers import context_for
from bot.commands.common import as_of, open_store, require_db
from bot.digest import build_digest, digest_channel, post_digest, sections
from bot.i18n import t
from bot.lease import LeaseBusy
from bot.nudges import PassStopped, Recipients, describe_plan, plan_nudges, run_pass
from bot.outbox import SlackRefused
from bot.settings import Settings
from bot.terminal import echo, log_to_stderr


def nudge(settings: Settings, args: argparse.Namespace) -> int:
    """`pipeline-bot nudge [--dry-run] [--as-of]`."""
    now = as_of(settings, args)
    require_db(settings)  # before any Slack client: the first problem a user must fix
    language = settings.language
    if getattr(args, "dry_run", False):
        store = open_store(settings)
        try:
            ctx = context_for(settings, now, store=store)
            plan = plan_nudges(settings, store, ctx, Recipients(settings.config.people, None),
                               dry_run=True)  # fmt: skip
        finally:
            store.close()
        echo("\n".join(describe_plan(plan, settings, language)))
        return 0

    from bot.slack_client import command_outbox  # Slack only when something is sent

    out = command_outbox(settings)
    store = open_store(settings)
    try:
        result = run_pass(settings, store, out, now)
    except LeaseBusy as exc:
        echo(t("nudge.busy", language, holder=exc.holder), err=True)
        return 1
    except PassStopped as exc:
        echo(exc.result.line(language))
        echo(t("nudge.stopped", language, error=exc.error), err=True)
        return 1
    finally:
        store.close()
    for error in result.errors:
        echo(f"  {error}", err=True)
    echo(result.line(language))
    return 0 if result.failed == 0 else 1


def digest(settings: Settings, args: argparse.Namespace) -> int:
    """`pipeline-bot digest [--dry-run] [--as-of]`."""
    now = as_of(settings, args)
    require_db(settings)  # before any Slack client: the first problem a user must fix
    lang = settings.language
    channel = digest_channel(settings)
    if getattr(args, "dry_run", False):
        store = open_store(settings)
        try:
            title, parts = sections(build_digest(settings, store, now), settings)
        finally:
            store.close()
        echo("\n\n".join([title, *parts]))
        echo()
        echo(t("digest.dry_charts", lang))
        echo(t("digest.dry", lang, channel=channel or "—"))
        return 0
    if not channel:
        echo(f"pipeline-bot: {t('digest.no_channel', lang)}", err=True)
        return 2
    from bot.slack_client import command_outbox  # Slack only when something is sent

    out = command_outbox(settings)
    store = open_store(settings)
    try:
        post_digest(settings, store, out, now)
    except (SlackRefused, OSError) as exc:
        error = exc.error if isinstance(exc, SlackRefused) else str(exc)
        echo(f"pipeline-bot: {t('digest.failed', lang, channel=channel, error=error)}",
              err=True)  # fmt: skip
        return 1
    finally:
        store.close()
    echo(t("digest.posted", lang, channel=channel))
    return 0


def announce(settings: Settings, args: argparse.Namespace) -> int:
    """`pipeline-bot announce [--dry-run] [--as-of]`: what `serve` does after each sync, now."""
    now = as_of(settings, args)
    lang = settings.language
    channel = settings.config.slack.channel
    require_db(settings)
    if not settings.config.announce.won_lost:
        echo(t("announce.off", lang))
        return 0
    if getattr(args, "dry_run", False):
        store = open_store(settings)
        try:
            deals = pending(store, now)
        finally:
            store.close()
        for deal in deals[:MAX_PER_ROUND]:
            echo(announcement_text(deal, settings))
        if deals[MAX_PER_ROUND:]:
            echo(summary_text(deals[MAX_PER_ROUND:], settings))
        echo(t("announce.dry", lang, n=len(deals), channel=channel or "—"))
        return 0
    if not channel:
        echo(f"pipeline-bot: {t('announce.no_channel', lang)}", err=True)
        return 2
    from bot.slack_client import command_outbox  # Slack only when something is sent

    out = command_outbox(settings)
    store = open_store(settings)
    try:
        waiting = len(pending(store, now))
        post_pending(settings, store, out.post, now)
        left = len(pending(store, now))
    finally:
        store.close()
    echo(t("announce.posted", lang, n=waiting - left, channel=channel))
    if left:
        echo(t("announce.failed", lang, n=left), err=True)
        return 1
    return 0


def serve(settings: Settings, args: argparse.Namespace) -> int:
    """`pipeline-bot serve [--port N]`: Bolt, the HTTP server and the scheduler (imported here:
    no other command pays for them)."""
    from bot.redact import install_logging_filter, redact
    from bot.slack.serve import ServeError, notify_systemd
    from bot.slack.serve import serve as run_server

    log_to_stderr(logging.INFO)
    install_logging_filter()  # after the handler exists: it gets the filter too
    try:
        return run_server(settings, getattr(args, "port", None))
    except ServeError as exc:
        message = redact(str(exc))
        echo(f"pipeline-bot: {message}", err=True)
        notify_systemd(f"STATUS=stopped: {message}")
        return exc.code
