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
