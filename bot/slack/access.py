"""Who may see the pipeline: `[slack] allowed_users` / `allowed_channels` (Slack IDs).

Empty lists allow everyone; when both are set a request must pass both. One global Bolt
middleware refuses slash commands and button clicks before any listener runs (so a listener added
later cannot forget the check); the App Home listener checks with `is_allowed` itself because an
event must be acknowledged at once and the refusal is a published view, not a reply.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltResponse

from bot.deps import Deps
from bot.i18n import t
from bot.render.blocks import notice
from bot.settings import Settings

log = logging.getLogger(__name__)


def is_allowed(settings: Settings, user_id: str | None, channel_id: str | None) -> bool:
    """True when `user_id` may see figures in `channel_id`.

    `channel_id=None` or a direct message (`D…`) means a place private to the user that the bot
    chose (the App Home, the bot's own DM holding a nudge): only the user list applies there, so
    restricting `/pipeline` to #sales must not break the buttons of a nudge.
    """
    return refusal_reason(settings, user_id, channel_id) is None


def refusal_reason(settings: Settings, user_id: str | None, channel_id: str | None) -> str | None:
    """Why the request is refused, in the configured language (None: allowed)."""
    slack = settings.config.slack
    lang = settings.language
    if channel_id is not None and channel_id.startswith("D"):
        channel_id = None  # the bot's DM: private to the user (see is_allowed)
    if slack.allowed_users and user_id not in slack.allowed_users:
        return t(
            "slack.refused",
            lang,
            reason=t("slack.refused.user", lang),
            setting="slack.allowed_users",
        )
    if (
        slack.allowed_channels
        and channel_id is not None
        and (channel_id not in slack.allowed_channels)
    ):
        return t(
            "slack.refused",
            lang,
            reason=t("slack.refused.channel", lang),
            setting="slack.allowed_channels",
        )
    return None


def _where(body: dict[str, Any]) -> tuple[str | None, str | None, str]:
    """(user, channel, kind) of a slash command or an interactive payload."""
    if "command" in body:
        return body.get("user_id"), body.get("channel_id"), "command"
    if body.get("type") in (
        "block_actions",
        "interactive_message",
        "message_action",
        "shortcut",
        "view_submission",
    ):
        user = (body.get("user") or {}).get("id")
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
            "channel_id"
        )
        return user, channel, "interaction"
    return None, None, "other"


def register(app: App, deps: Deps) -> None:
    """The global access middleware (runs after Bolt's signature check)."""

    @app.use
    def check_access(
        body: dict[str, Any], ack: Any, respond: Any, next: Callable[[], None]
    ) -> BoltResponse | None:  # noqa: A002
        user, channel, kind = _where(body)
        if kind == "other":
            next()
            return None
        reason = refusal_reason(deps.settings, user, channel)
        if reason is None:
            next()
            return None
        log.info("refused a %s from user %s in channel %s", kind, user, channel)
        if kind == "command":
            return ack(notice(reason))  # type: ignore[no-any-return]
        response: BoltResponse = ack()
        if body.get("response_url") or body.get("response_urls"):
            sent = respond({**notice(reason), "replace_original": False})
            if getattr(sent, "status_code", 200) != 200:
                log.warning(
                    "could not tell user %s they were refused: HTTP %s", user, sent.status_code
                )
        return response
