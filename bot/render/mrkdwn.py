"""Slack mrkdwn and the basic Block Kit blocks, with Slack's limits.

One leaf module for every renderer of Slack messages (answers, nudges, digest, announcements):
escaping, clipping and links must be done the same everywhere, or a title with `<`, `|` or `&`
breaks one message type and not the others.
"""

from __future__ import annotations

from typing import Any

from bot.i18n import t

MAX_MESSAGE_BLOCKS = 50
MAX_HOME_BLOCKS = 100
MAX_SECTION_TEXT = 3000
MAX_HEADER_TEXT = 150
MAX_FIELD_TEXT = 2000
MAX_FIELDS = 10
MAX_CONTEXT_TEXT = 2000
MAX_CONTEXT_ELEMENTS = 10
MAX_ACTION_ELEMENTS = 25
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_URL = 3000
MAX_LINK_URL = 1000  # our own cap for links inside text, so a deal's section stays whole
MAX_FALLBACK_TEXT = 3000  # the top-level `text` (notifications); Slack truncates past 40,000

Block = dict[str, Any]
Blocks = list[Block]


def esc(text: str) -> str:
    """Slack mrkdwn control characters escaped (a deal called "A<B" must not break the message)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def link(url: str | None, title: str) -> str:
    """`<url|title>` for http(s) URLs of a sane length; the escaped title alone otherwise (a
    section is clipped at 3,000 characters, and clipping inside a link would break it)."""
    label = esc(clip(title, 200)).replace("|", "¦")
    if url and url.startswith(("http://", "https://")) and len(url) <= MAX_LINK_URL:
        safe = url.replace("&", "&amp;").replace("<", "%3C").replace(">", "%3E").replace("|", "%7C")
        return f"<{safe}|{label}>"
    return label


def labelled(label: str, value: str, language: str) -> str:
    """`Label: value` with the language's punctuation (French puts a space before the colon)."""
    return t("label.value", language, label=label, value=value)


def header(text: str) -> Block:
    return {
        "type": "header",
        "text": {"type": "plain_text", "text": clip(text, MAX_HEADER_TEXT), "emoji": True},
    }


def section(mrkdwn: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(mrkdwn, MAX_SECTION_TEXT)}}


def context(*parts: str) -> Block:
    return {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": clip(p, MAX_CONTEXT_TEXT)} for p in parts],
    }


def divider() -> Block:
    return {"type": "divider"}
