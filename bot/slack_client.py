"""The Slack Web API client for the bot and its scheduled jobs: base URL from `SLACK_API_URL`,
retries on 429 and connection errors."""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)

from bot.settings import Settings


class MissingSlackToken(Exception):
    """`SLACK_BOT_TOKEN` is not set; the message says where to set it."""


def make_client(settings: Settings, *, max_rate_limit_retries: int = 3) -> WebClient:
    """A WebClient that waits out `Retry-After` on 429 instead of dropping the message."""
    token = settings.secrets.slack_bot_token
    if token is None or not token.get_secret_value():
        raise MissingSlackToken(
            "SLACK_BOT_TOKEN is not set: put the bot token (xoxb-…) in the environment or .env"
        )
    client = WebClient(
        token=token.get_secret_value(),
        base_url=settings.secrets.slack_api_url,
        timeout=15,
    )
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=max_rate_limit_retries))
    client.retry_handlers.append(ConnectionErrorRetryHandler(max_retry_count=2))
    return client


def command_client(settings: Settings) -> WebClient:
    """The client for `nudge` and `digest`: a missing token is the user's to fix (exit 2)."""
    from bot.errors import UsageError
    from bot.i18n import t

    try:
        return make_client(settings)
    except MissingSlackToken:
        raise UsageError(t("slack.no_token", settings.language)) from None
