"""The Slack Web API client for the bot and its scheduled jobs: base URL from `SLACK_API_URL`,
retries on 429 and connection errors.

The only place outside `bot/slack/` that holds a `WebClient`: the scheduled jobs (nudges, digest,
announcements) get an `Outbox` of callables built here (`make_outbox`), never the client.
"""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)

from bot.outbox import Attachment, Blocks, Outbox, Posted, SlackRefused
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


def refused(exc: SlackApiError) -> SlackRefused:
    """Slack's error code (`channel_not_found`), or the HTTP status when the body has none."""
    response = exc.response
    code = response.get("error") if isinstance(response.data, dict) else None
    return SlackRefused(str(code or f"HTTP {response.status_code}"), response.status_code)


def outbox(client: WebClient) -> Outbox:
    """chat.postMessage, users.lookupByEmail and files.upload (v2) as an `Outbox`."""

    def post(channel: str, text: str, blocks: Blocks | None = None) -> Posted:
        try:  # no `blocks` key at all for a text message (None would be sent as null)
            if blocks is None:
                response = client.chat_postMessage(
                    channel=channel, text=text, unfurl_links=False, unfurl_media=False
                )
            else:
                response = client.chat_postMessage(
                    channel=channel,
                    text=text,
                    blocks=blocks,
                    unfurl_links=False,
                    unfurl_media=False,
                )
        except SlackApiError as exc:
            raise refused(exc) from exc
        return Posted(str(response.get("channel") or channel), str(response.get("ts") or ""))

    def find_user(email: str) -> str | None:
        try:
            response = client.users_lookupByEmail(email=email)
        except SlackApiError as exc:
            if refused(exc).error == "users_not_found":
                return None
            raise refused(exc) from exc
        user = response.get("user") or {}
        return str(user["id"]) if user.get("id") else None

    def upload(channel: str, files: Sequence[Attachment], thread_ts: str | None,
               comment: str) -> None:  # fmt: skip
        uploads = [{"content": f.content, "filename": f.filename, "title": f.title} for f in files]
        try:
            client.files_upload_v2(channel=channel, file_uploads=uploads, thread_ts=thread_ts,
                                   initial_comment=comment)  # fmt: skip
        except SlackApiError as exc:
            raise refused(exc) from exc

    return Outbox(post=post, find_user=find_user, upload=upload)


def make_outbox(settings: Settings) -> Outbox:
    """The scheduled jobs' Slack calls through `make_client`'s client."""
    return outbox(make_client(settings))


def command_outbox(settings: Settings) -> Outbox:
    """The Slack calls of `nudge`, `digest`, `announce`: a missing token is the user's to fix
    (exit 2)."""
    from bot.errors import UsageError
    from bot.i18n import t

    try:
        return make_outbox(settings)
    except MissingSlackToken:
        raise UsageError(t("slack.no_token", settings.language)) from None
