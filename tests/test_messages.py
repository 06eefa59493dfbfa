"""The phrase catalogue: every phrase in English and French, with the same placeholders."""

from __future__ import annotations

import string

import pytest

from bot.i18n import MESSAGES


def fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("key", sorted(MESSAGES))
def test_phrase_has_english_and_french_with_the_same_placeholders(key: str) -> None:
    entry = MESSAGES[key]
    assert entry.get("en") and entry.get("fr"), f"{key} lacks a language"
    assert fields(entry["en"]) == fields(entry["fr"]), key


def test_every_phrase_is_used_somewhere() -> None:
    """A phrase nobody shows is dead weight that translators still maintain."""
    import re
    from pathlib import Path

    from bot.i18n import MESSAGES

    root = Path(__file__).resolve().parent.parent
    code = "\n".join(  # sources word their reports too (`Said`)
        p.read_text("utf-8")
        for folder in ("bot", "integrations")
        for p in (root / folder).rglob("*.py")
        if p.name != "i18n.py"
    )
    unused = [
        key
        for key in MESSAGES
        if f'"{key}"' not in code
        and f"'{key}'" not in code
        # keys built at run time, e.g. t(f"change.{event.kind}")
        and not re.search(r"f[\"']" + re.escape(key.rsplit(".", 1)[0] + ".") + r"\{", code)
    ]
    assert unused == []
