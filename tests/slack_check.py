"""One checker for whatever the bot sends to Slack: nothing that pings or links by itself, and
nothing Slack would refuse (`invalid_blocks`).

It walks a payload (a `chat.postMessage`/`chat.update` body, a `response_url` post, a slash-command
ack, a `views.publish` view) and lists every problem: in a mrkdwn field (the notification `text`
included) every `<…>` must be an http(s) link or a mention of a user the test allows, every `&`
an entity; a plain_text field holds no `<` or `>`; no control characters; every limit of Slack's
Block Kit reference, as docs/posting.md lists them (50 blocks, 100 in a view, section 3,000,
header 150, button text 75, value 2,000, url 3,000 and http(s), block_id 255 and unique, 25
elements, 10 fields, 10 context elements, no empty text).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

_TOKEN = re.compile(r"<([^<>]*)>")
_LINK = re.compile(r"https?://[^\s<>|]+(\|[^<>|]*)?")
_MENTION = re.compile(r"@([UW][A-Z0-9]+)")
_ENTITY = re.compile(r"&(?!(amp|lt|gt);)")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_URL = re.compile(r"https?://[^\s]+", re.IGNORECASE)

MAX_TEXT = 4000  # chat.postMessage `text` (Slack truncates longer; docs/posting.md)
LIMITS = {"section": 3000, "header": 150, "field": 2000, "context": 2000, "button": 75}


class Checker:
    def __init__(self, mentions: Iterable[str] = ()) -> None:
        self.mentions = frozenset(mentions)
        self.problems: list[str] = []

    def bad(self, where: str, what: str, text: str = "") -> None:
        self.problems.append(f"{where}: {what}" + (f": {text[:120]!r}" if text else ""))

    def mrkdwn(self, text: str, where: str, limit: int) -> None:
        if len(text) > limit:
            self.bad(where, f"{len(text)} characters > {limit}")
        if not text.strip():
            self.bad(where, "empty text")
        for found in _TOKEN.finditer(text):
            inner = found.group(1)
            mention = _MENTION.fullmatch(inner)
            if _LINK.fullmatch(inner):
                continue
            if mention and mention.group(1) in self.mentions:
                continue
            self.bad(where, "unescaped control sequence", found.group(0))
        rest = _TOKEN.sub("", text)
        if "<" in rest or ">" in rest:
            self.bad(where, "unbalanced < or >", text)
        if _ENTITY.search(text):
            self.bad(where, "bare & (not &amp; &lt; &gt;)", text)
        if _CONTROL.search(text):
            self.bad(where, "control character", text)

    def plain(self, text: str, where: str, limit: int) -> None:
        if len(text) > limit:
            self.bad(where, f"{len(text)} characters > {limit}")
        if not text.strip():
            self.bad(where, "empty text")
        if "<" in text or ">" in text:
            self.bad(where, "< or > in plain_text", text)
        if _CONTROL.search(text):
            self.bad(where, "control character", text)

    def text_object(self, obj: Any, where: str, limit: int) -> None:
        if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
            self.bad(where, "missing text object")
            return
        if obj.get("type") == "mrkdwn":
            self.mrkdwn(obj["text"], where, limit)
        elif obj.get("type") == "plain_text":
            self.plain(obj["text"], where, limit)
        else:
            self.bad(where, f"unknown text type {obj.get('type')!r}")

    def element(self, element: dict[str, Any], where: str) -> None:
        if element.get("type") == "datepicker":
            self.datepicker(element, where)
            return
        if element.get("type") == "static_select":
            self.select(element, where)
            return
        if element.get("type") == "plain_text_input":
            if len(str(element.get("initial_value", ""))) > 3000:
                self.bad(where, "initial_value > 3000")
            if not 0 < int(element.get("max_length", 3000)) <= 3000:
                self.bad(where, "max_length not in 1..3000")
            return
        if element.get("type") != "button":
            self.bad(where, f"unexpected element {element.get('type')!r}")
            return
        self.text_object(element.get("text"), f"{where}.text", LIMITS["button"])
        if len(str(element.get("action_id", ""))) > 255:
            self.bad(where, "action_id > 255")
        if len(str(element.get("value", ""))) > 2000:
            self.bad(where, f"value of {len(str(element['value']))} characters > 2000")
        if "url" in element:
            url = str(element["url"])
            if len(url) > 3000:
                self.bad(where, f"url of {len(url)} characters > 3000")
            if not _URL.fullmatch(url):
                self.bad(where, "url not http(s)", url)

    def datepicker(self, element: dict[str, Any], where: str) -> None:
        """Slack's datepicker: action_id ≤ 255, placeholder plain text ≤ 150, YYYY-MM-DD."""
        if len(str(element.get("action_id", ""))) > 255:
            self.bad(where, "action_id > 255")
        if "placeholder" in element:
            self.text_object(element["placeholder"], f"{where}.placeholder", 150)
            if element["placeholder"].get("type") != "plain_text":
                self.bad(where, "placeholder must be plain_text")
        initial = element.get("initial_date")
        if initial is not None and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(initial)):
            self.bad(where, "initial_date not YYYY-MM-DD", initial)

    def select(self, element: dict[str, Any], where: str) -> None:
        """Slack's static_select: 1-100 options, option text plain ≤ 75, value ≤ 150 and
        unique, placeholder ≤ 150, initial_option one of the options."""
        if len(str(element.get("action_id", ""))) > 255:
            self.bad(where, "action_id > 255")
        options = element.get("options") or []
        if not 1 <= len(options) <= 100:
            self.bad(where, f"static_select with {len(options)} options")
        values = [str(o.get("value", "")) for o in options]
        if len(values) != len(set(values)):
            self.bad(where, "duplicate option values")
        for n, option in enumerate(options):
            self.text_object(option.get("text"), f"{where}.options[{n}]", 75)
            if option.get("text", {}).get("type") != "plain_text":
                self.bad(where, "option text must be plain_text")
            if not 0 < len(str(option.get("value", ""))) <= 150:
                self.bad(f"{where}.options[{n}]", "value empty or > 150")
        if "placeholder" in element:
            self.text_object(element["placeholder"], f"{where}.placeholder", 150)
        if "initial_option" in element and element["initial_option"] not in options:
            self.bad(where, "initial_option not among the options")

    def blocks(self, blocks: Any, where: str, max_blocks: int) -> None:
        if isinstance(blocks, str):
            blocks = json.loads(blocks)
        if len(blocks) > max_blocks:
            self.bad(where, f"{len(blocks)} blocks > {max_blocks}")
        seen: set[str] = set()
        for index, block in enumerate(blocks):
            here = f"{where}[{index}]"
            ident = block.get("block_id")
            if ident is not None:
                if len(ident) > 255:
                    self.bad(here, f"block_id of {len(ident)} characters > 255")
                if ident in seen:
                    self.bad(here, "duplicate block_id", ident)
                seen.add(ident)
            kind = block.get("type")
            if kind == "header":
                self.text_object(block.get("text"), f"{here}.header", LIMITS["header"])
            elif kind == "section":
                if "text" in block or "fields" not in block:
                    self.text_object(block.get("text"), f"{here}.section", LIMITS["section"])
                fields = block.get("fields") or []
                if len(fields) > 10:
                    self.bad(here, f"{len(fields)} fields > 10")
                for n, item in enumerate(fields):
                    self.text_object(item, f"{here}.fields[{n}]", LIMITS["field"])
                if isinstance(block.get("accessory"), dict):
                    self.element(block["accessory"], f"{here}.accessory")
            elif kind == "context":
                elements = block.get("elements") or []
                if not 1 <= len(elements) <= 10:
                    self.bad(here, f"context with {len(elements)} elements")
                for n, item in enumerate(elements):
                    self.text_object(item, f"{here}.elements[{n}]", LIMITS["context"])
            elif kind == "actions":
                elements = block.get("elements") or []
                if not 1 <= len(elements) <= 25:
                    self.bad(here, f"actions with {len(elements)} elements")
                ids = [e.get("action_id") for e in elements]
                if len(ids) != len(set(ids)):
                    self.bad(here, "duplicate action_id in a block")
                for n, item in enumerate(elements):
                    self.element(item, f"{here}.elements[{n}]")
            elif kind == "input":
                self.text_object(block.get("label"), f"{here}.label", 2000)
                if isinstance(block.get("element"), dict):
                    self.element(block["element"], f"{here}.element")
                else:
                    self.bad(here, "input without an element")
            elif kind != "divider":
                self.bad(here, f"unexpected block type {kind!r}")

    def payload(self, payload: dict[str, Any], where: str = "payload") -> None:
        if isinstance(payload.get("text"), str):
            self.mrkdwn(payload["text"], f"{where}.text", MAX_TEXT)
        view = payload.get("view")
        if isinstance(view, str):
            view = json.loads(view)
        if isinstance(view, dict):
            self.payload(view, f"{where}.view")
        for key in ("title", "submit", "close"):
            if isinstance(payload.get(key), dict):
                self.text_object(payload[key], f"{where}.{key}", 24)
        if len(str(payload.get("private_metadata", ""))) > 3000:
            self.bad(where, "private_metadata > 3000")
        if "blocks" in payload:
            kind = payload.get("type")
            limit = 100 if kind in ("home", "modal") else 50
            self.blocks(payload["blocks"], f"{where}.blocks", limit)
        for n, attachment in enumerate(payload.get("attachments") or []):
            for key in ("text", "pretext", "fallback"):
                if isinstance(attachment.get(key), str):
                    self.mrkdwn(attachment[key], f"{where}.attachments[{n}].{key}", MAX_TEXT)


def problems(payload: dict[str, Any], *, mentions: Iterable[str] = ()) -> list[str]:
    """Everything wrong with one payload (empty: Slack would accept it and nobody is pinged)."""
    checker = Checker(mentions)
    checker.payload(payload)
    return checker.problems


def assert_safe(payloads: Iterable[dict[str, Any]], *, mentions: Iterable[str] = ()) -> None:
    """Every payload passes the checker; the failure lists the first problems found."""
    found = [p for payload in payloads for p in problems(payload, mentions=mentions)]
    assert not found, f"{len(found)} problem(s):\n" + "\n".join(found[:15])
