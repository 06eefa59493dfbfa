"""A text answer builds only the deals it shows, and says exactly what the full list says.

`pipeline-bot query stalled` prints 25 deals: with `shown=25` only those become objects (the count
of stalled deals and each list's count, amount and weighted amount come from SQL), and the text,
the Block Kit message, the counts and the totals are the ones the full list gives, on 600 seeded
deals with ties in idle days, deals without an amount or a probability, and removed deals.
"""

from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.answers import ask
from bot.clock import parse_as_of
from bot.i18n import t
from bot.pipeline import DEFAULT_STATUS_MAP
from bot.render.blocks import MESSAGE_DEALS, message, style_for
from bot.render.text import MAX_ROWS
from bot.settings import Settings
from bot.store import Store
from tests.helpers import load, task
from tests.slack_http import make_settings

ANA = "ana@agence.example"
#: `owner ana@…` lists deals found by owner and by e-mail, some by both (each once)
QUESTIONS = ["stalled", "stage meeting", "stage négociations", "owner owner 3", "mine",
             f"owner {ANA}"]  # fmt: skip


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, Store]:
    settings = make_settings(Path(tmp_path_factory.mktemp("shown")))
    now = parse_as_of("2026-03-16", settings.tz)
    rng = random.Random(11)
    statuses = list(DEFAULT_STATUS_MAP)
    tasks = []
    for n in range(600):
        moments = sorted(now - timedelta(days=rng.choice((3, 9, 20, 20, 41, 60)), hours=n % 5)
                         for _ in range(rng.randint(1, 3)))  # fmt: skip
        moves = [(m.isoformat(timespec="seconds"), rng.choice(statuses)) for m in moments]
        amount = None if rng.random() < 0.1 else round(rng.uniform(100, 20000), 2)
        probability = rng.choice((None, None, 15.0, 62.5))
        # every 7th deal is Ana's by e-mail: her address as its owner too, no owner, or another
        owner: str | None = f"Owner {n % 4}"
        email = ANA if n % 7 == 0 else None
        if n % 21 in (0, 7):
            owner = ANA if n % 21 == 0 else None
        tasks.append(task(f"d{n}", moves[-1][1], *moves, amount=amount, probability=probability,
                          removed=rng.random() < 0.05, owner=owner, owner_email=email))  # fmt: skip
    store = Store(settings.db_path)
    load(store, settings.pipeline, tasks, now=now)
    yield settings, store
    store.close()


def reply(seeded: tuple[Settings, Store], question: str, shown: int | None) -> Any:
    settings, store = seeded
    now = parse_as_of("2026-03-16", settings.tz)
    return ask(settings, store, question, now, user="Owner 1", shown=shown)


@pytest.mark.parametrize("question", QUESTIONS)
def test_the_text_answer_is_the_full_lists_text(seeded, question: str) -> None:
    full, short = reply(seeded, question, None), reply(seeded, question, MAX_ROWS)
    assert len(full.result.deals) > MAX_ROWS + 10  # long enough to be cut
    assert len(short.result.deals) == MAX_ROWS  # only what is printed was built
    assert short.text() == full.text()
    more = t("more", seeded[0].language, n=len(full.result.deals) - MAX_ROWS)
    assert more in short.text()


@pytest.mark.parametrize("question", QUESTIONS)
def test_the_slack_message_is_the_full_lists_message(seeded, question: str) -> None:
    settings = seeded[0]
    full, short = reply(seeded, question, None), reply(seeded, question, MESSAGE_DEALS)
    assert len(short.result.deals) == MESSAGE_DEALS
    style = style_for(settings)
    assert message(short.result, style) == message(full.result, style)


def test_every_cut_of_the_stalled_list_is_its_head(seeded) -> None:
    full = reply(seeded, "stalled", None).result
    assert len({d.idle_days for d in full.deals[:30]}) < 30  # ties around the cuts
    # past the first read (twice the limit) and past the end of the list too
    for limit in (1, 5, 24, 25, 26, 60, len(full.deals) - 1, len(full.deals), len(full.deals) + 1):
        short = reply(seeded, "stalled", limit).result
        assert (short.count, short.deals) == (len(full.deals), full.deals[:limit])
