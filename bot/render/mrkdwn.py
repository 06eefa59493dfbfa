"""Everything the bot writes to Slack passes here: one escaping rule, one URL rule, one limit pass.

One leaf module for every renderer of Slack messages (answers, nudges, digest, announcements,
App Home, button replies). A string from a source or a user goes through `esc` before it enters a
mrkdwn field (the notification `text` included: Slack parses `<!channel>` there too) and through
`plain` before a plain_text one; a URL through `safe_url`; a whole message through `fit` (or
`payload`), so nothing Slack would refuse (`invalid_blocks`) or that could ping anyone is built,
whichever renderer made it.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any
from urllib.parse import urlsplit

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
MAX_PLACEHOLDER = 150
MAX_ACTION_ID = 255
MAX_BLOCK_ID = 255
MAX_URL = 3000
MAX_LINK_URL = 1000  # our own cap for links inside text, so a deal's section stays whole
MAX_FALLBACK_TEXT = 3000  # the top-level `text` (notifications); Slack truncates past 40,000
MAX_LABEL = 200  # a link's label, a deal's title or client inside a line

Block = dict[str, Any]
Blocks = list[Block]

#: C0/C1 control characters but tab and newline: nothing a person wrote on purpose, and the start
#: of terminal escape sequences (`\x1b[2J`).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def esc(text: str) -> str:
    """Text from a source or a user, made inert for a mrkdwn field (blocks and `text` alike).

    `&`, `<` and `>` become entities, so `<!channel>`, `<@U…>`, `<#C…>` and `<http://x|y>` show
    as typed and ping or link nothing; control characters are dropped.
    """
    return _CONTROL.sub("", text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def plain(text: str) -> str:
    """Text made inert for a plain_text field (headers, button labels, view titles).

    Slack does not parse mentions there, but clients differ in decoding entities, so `<` and `>`
    become look-alikes (‹ ›) instead: nothing to ping, nothing shown as `&lt;`.
    """
    return _CONTROL.sub("", text).replace("<", "‹").replace(">", "›")


_ENTITY_TAIL = re.compile(r"&[a-z]{0,3}$")


def clip(text: str, limit: int) -> str:
    """`text` cut to `limit` characters with "…", never inside a `<link|label>` or an `&amp;`."""
    if len(text) <= limit:
        return text
    cut = text[: max(limit - 1, 0)]
    opened = cut.rfind("<")
    if opened > cut.rfind(">"):
        cut = cut[:opened]
    cut = _ENTITY_TAIL.sub("", cut)
    return cut + "…"


def safe_url(url: str | None, limit: int = MAX_URL) -> str | None:
    """The URL when it may be linked: http or https with a host, no spaces, within `limit`.

    Anything else (`javascript:`, `data:`, `file:`, a relative path, 5,000 characters) is None, and
    callers show the label alone or leave the button out.
    """
    if not url:
        return None
    url = url.strip()
    if len(url) > limit or any(c.isspace() for c in url) or _CONTROL.search(url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url


def link(url: str | None, title: str) -> str:
    """`<url|title>` for a safe URL of a sane length; the escaped title alone otherwise (a
    section is clipped at 3,000 characters, and clipping inside a link would break it)."""
    label = esc(clip(" ".join(title.split()), MAX_LABEL)).replace("|", "¦")
    safe = safe_url(url, MAX_LINK_URL)
    if safe:
        target = safe.replace("&", "&amp;").replace("<", "%3C").replace(">", "%3E")
        return f"<{target.replace('|', '%7C')}|{label}>"
    return label


def block_id(*parts: str) -> str:
    """A `block_id` from its parts, at most 255 characters and distinct for distinct parts (a
    long id is cut and suffixed with a hash of the whole, so two ids sharing 250 characters
    don't collide)."""
    joined = ":".join(parts)
    if len(joined) <= MAX_BLOCK_ID:
        return joined
    digest = hashlib.sha256(joined.encode()).hexdigest()[:24]
    return f"{joined[: MAX_BLOCK_ID - len(digest) - 1]}~{digest}"


def labelled(label: str, value: str, language: str) -> str:
    """`Label: value` with the language's punctuation (French puts a space before the colon)."""
    return t("label.value", language, label=label, value=value)


def header(text: str) -> Block:
    return {
        "type": "header",
        "text": {"type": "plain_text", "text": clip(plain(text), MAX_HEADER_TEXT), "emoji": True},
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


# --- the limit pass --------------------------------------------------------------------------


def _fit_text(obj: Any, limit: int) -> None:
    """Clip a text object; plain_text made inert; an empty text (refused by Slack) becomes "—"."""
    if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
        return
    text = plain(obj["text"]) if obj.get("type") == "plain_text" else obj["text"]
    obj["text"] = clip(text, limit) if text.strip() else "—"


def _fit_element(element: dict[str, Any]) -> bool:
    """Clip one interactive element; False when it cannot be sent (a link that is not safe)."""
    _fit_text(element.get("text"), MAX_BUTTON_TEXT)
    _fit_text(element.get("placeholder"), MAX_PLACEHOLDER)
    if "url" in element:
        url = safe_url(element.get("url"))
        if url is None:
            return False
        element["url"] = url
    if isinstance(element.get("value"), str):
        element["value"] = element["value"][:MAX_BUTTON_VALUE]
    if isinstance(element.get("action_id"), str):
        element["action_id"] = element["action_id"][:MAX_ACTION_ID]
    return True


def _unique_ids(blocks: Blocks) -> None:
    """Every `block_id` at most 255 characters and used once (Slack refuses duplicates)."""
    seen: set[str] = set()
    for block in blocks:
        given = block.get("block_id")
        if not isinstance(given, str):
            continue
        candidate = given if len(given) <= MAX_BLOCK_ID else block_id(given)
        n = 1
        while candidate in seen:
            n += 1
            candidate = block_id(given, str(n))
        block["block_id"] = candidate
        seen.add(candidate)


def fit(blocks: Blocks, max_blocks: int, language: str) -> Blocks:
    """Every block within Slack's limits, and at most `max_blocks` with "… and N more".

    Renderers cut sensibly themselves; this is the last guard, applied to every message and view
    the bot builds, so nothing Slack would reject ever leaves the process, whatever a renderer
    does: texts clipped (never inside a link), unsafe link buttons dropped, actions without
    elements dropped, block IDs short and unique.
    """
    kept: Blocks = []
    for block in blocks:
        kind = block.get("type")
        if kind == "header":
            _fit_text(block.get("text"), MAX_HEADER_TEXT)
        elif kind == "section":
            _fit_text(block.get("text"), MAX_SECTION_TEXT)
            if "fields" in block:
                block["fields"] = block["fields"][:MAX_FIELDS]
                for item in block["fields"]:
                    _fit_text(item, MAX_FIELD_TEXT)
            accessory = block.get("accessory")
            if isinstance(accessory, dict) and not _fit_element(accessory):
                del block["accessory"]
        elif kind == "context":
            block["elements"] = block["elements"][:MAX_CONTEXT_ELEMENTS]
            for item in block["elements"]:
                _fit_text(item, MAX_CONTEXT_TEXT)
        elif kind == "actions":
            elements = [e for e in block.get("elements") or [] if _fit_element(e)]
            block["elements"] = elements[:MAX_ACTION_ELEMENTS]
            if not block["elements"]:
                continue
        kept.append(block)
    _unique_ids(kept)
    if len(kept) <= max_blocks:
        return kept
    shown = kept[: max_blocks - 1]
    hidden = len(kept) - len(shown)
    return [*shown, context(f"{t('more', language, n=hidden)}. {t('slack.narrow', language)}")]


def notification(text: str) -> str:
    """The top-level `text` of a message (already mrkdwn), within its limit and never empty."""
    return clip(text, MAX_FALLBACK_TEXT) if text.strip() else "pipeline-bot"


def payload(text: str, blocks: Blocks, language: str,
            max_blocks: int = MAX_MESSAGE_BLOCKS) -> dict[str, Any]:  # fmt: skip
    """`text` and `blocks` of a message, through the limit pass (what every sender posts)."""
    return {"text": notification(text), "blocks": fit(blocks, max_blocks, language)}


def fit_lines(lines: list[str], budget: int, language: str, *,
              total: int | None = None) -> list[str]:  # fmt: skip
    """As many whole `lines` as fit in `budget` characters (newlines counted), then "… and N
    more" for the rest of `total` items (default: the lines given). Lines are never cut, so a
    link stays whole and what follows a long line is still said."""
    total = len(lines) if total is None else total
    kept: list[str] = []
    used = 0
    more_room = len(t("more", language, n=total)) + 1
    for index, line in enumerate(lines):
        last = index == len(lines) - 1 and total == len(lines)
        need = used + len(line) + 1 + (0 if last else more_room)
        if need > budget:
            break
        kept.append(line)
        used += len(line) + 1
    if total > len(kept):
        kept.append(t("more", language, n=total - len(kept)))
    return kept
