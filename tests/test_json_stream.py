"""`query --json` written as it is built: the same JSON as the whole answer dumped at once."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from bot.answers import ask
from bot.clock import parse_as_of
from bot.render import json_out
from tests.agency import AS_OF, agency_config, load_agency
from tests.slack_http import make_settings


@pytest.mark.parametrize("words", ["stalled", "changes 30", "stage meeting", "deal deal",
                                   "summary", "owners"])  # fmt: skip
def test_streamed_json_is_the_answer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                     words: str) -> None:  # fmt: skip
    settings = make_settings(tmp_path, **agency_config())
    store = load_agency(settings)
    now = parse_as_of(AS_OF, settings.tz)
    whole = ask(settings, store, words, now).json()
    monkeypatch.setattr(json_out, "CHUNK", 2)  # lists of 3+ items span several chunks
    compact, pretty = io.StringIO(), io.StringIO()
    ask(settings, store, words, now).write_json(compact.write)
    ask(settings, store, words, now).write_json(pretty.write, indent=2)
    store.close()
    assert json.loads(compact.getvalue()) == whole
    assert list(json.loads(compact.getvalue())) == list(whole)  # the contract's key order
    assert pretty.getvalue() == json.dumps(whole, ensure_ascii=False, indent=2) + "\n"
    lists = [v for v in whole.values() if isinstance(v, list)]
    assert words in ("summary", "owners") or max(len(v) for v in lists) >= 3
