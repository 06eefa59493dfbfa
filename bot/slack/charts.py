"""`/pipeline forecast chart`: the answer's picture, uploaded with Slack's current flow.

`files_upload_v2` is slack-sdk's name for the two-step upload Slack asks for today:
`files.getUploadURLExternal` (an upload URL and a file ID), the bytes posted to that URL, then
`files.completeUploadExternal` to share the file with its comment. It runs after the command was
acknowledged (the text answer comes first, within Slack's 3 seconds); matplotlib is imported
only here, on a worker thread, never on the text path.

A file cannot be ephemeral: a private answer's chart goes to the asker's direct message with the
bot, a `public` one to the channel where it was asked.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.answers import ask
from bot.deps import Deps
from bot.i18n import t
from bot.query import UnknownQuery, parse
from bot.render.mrkdwn import clip

log = logging.getLogger(__name__)

#: Characters of the text answer sent as the file's comment.
MAX_COMMENT = 3500


def wants_chart(text: str) -> bool:
    """True when `/pipeline text` asks for a picture (and is a question that has one)."""
    try:
        return parse(text).chart
    except UnknownQuery:
        return False


def upload_chart(deps: Deps, client: WebClient, respond: Any, text: str,
                 command: dict[str, Any]) -> str | None:  # fmt: skip
    """Draw and upload the chart of `/pipeline text`; returns where it went (a channel ID), or
    None after telling the asker privately what failed. Never raises."""
    from bot.charts import chart_data, chart_style, render_png

    settings = deps.settings
    user = command.get("user_id")
    try:
        query = parse(text)
        store = deps.open_store()
        try:
            reply = ask(settings, store, query, deps.now(), user=user)
        finally:
            store.close()
        chart = chart_data(reply.result, chart_style(settings))
        png = render_png(chart)
        channel = str(command.get("channel_id")) if query.public else _direct(client, user)
        client.files_upload_v2(
            channel=channel,
            file_uploads=[{"content": png, "filename": f"{query.name}.png", "title": chart.title}],
            initial_comment=f"```\n{clip(reply.text(), MAX_COMMENT)}\n```",
        )
        return channel
    except Exception as exc:  # the asker is told; the traceback goes to the log
        error = exc.response.get("error") if isinstance(exc, SlackApiError) else type(exc).__name__
        log.exception("/pipeline %r from %s: chart upload failed", text, user)
        respond(text=t("slack.chart_failed", settings.language, error=error),
                response_type="ephemeral", replace_original=False)  # fmt: skip
        return None


def _direct(client: WebClient, user: Any) -> str:
    """The asker's direct message channel with the bot (`conversations.open`, im:write)."""
    opened = client.conversations_open(users=str(user))
    return str((opened.get("channel") or {})["id"])
