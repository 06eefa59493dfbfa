"""Won/lost announcements: one round posts at most ten, then one "… and N more" line."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.announce import MAX_PER_ROUND, post_pending
from bot.settings import Settings
from bot.slack_client import make_outbox
from bot.store import Store
from tests.helpers import load, store_at, task, utc
from tests.slack_http import NOW, make_settings
from tests.slack_standin import SlackStandIn

MEETING, WON, LOST = "appel et devis", "travail en cours", "écarté"


def bulk_move(
    tmp_path: Path, slack_api: SlackStandIn, language: str = "en"
) -> tuple[Settings, Store]:
    """40 open deals, then a bulk move: 25 won and 15 lost in one sync."""
    settings = make_settings(tmp_path, slack_api, language=language, slack={"channel": "C0TEAM"})
    store = store_at(settings.db_path)
    open_ = [task(f"d{n:02d}", MEETING, ("2026-03-01T09:00", MEETING), amount=100)
             for n in range(40)]  # fmt: skip
    load(store, settings.pipeline, open_, now=utc("2026-03-15T20:00"))
    moved = [task(f"d{n:02d}", WON if n < 25 else LOST, ("2026-03-01T09:00", MEETING),
                  ("2026-03-18T09:00", WON if n < 25 else LOST), amount=100)
             for n in range(40)]  # fmt: skip
    load(store, settings.pipeline, moved, now=utc("2026-03-18T12:00"))
    return settings, store


def test_a_bulk_move_posts_ten_then_one_summary_and_nothing_after(
    tmp_path: Path, slack_api: SlackStandIn
) -> None:
    settings, store = bulk_move(tmp_path, slack_api)
    try:
        assert post_pending(settings, store, make_outbox(settings).post, NOW) == MAX_PER_ROUND + 1
        texts = [c.body["text"] for c in slack_api.called("chat.postMessage")]
        assert len(texts) == 11
        assert all(text.startswith("🎉 Won: *Deal d") for text in texts[:10])
        assert texts[10] == ("… and 30 more won/lost deal(s) (15 won, 15 lost): "
                             "`/pipeline changes` lists them")  # fmt: skip
        assert post_pending(settings, store, make_outbox(settings).post, NOW) == 0
        assert len(slack_api.called("chat.postMessage")) == 11
    finally:
        store.close()


def test_the_summary_in_french(tmp_path: Path, slack_api: SlackStandIn) -> None:
    settings, store = bulk_move(tmp_path, slack_api, "fr")
    try:
        post_pending(settings, store, make_outbox(settings).post, NOW)
    finally:
        store.close()
    assert slack_api.called("chat.postMessage")[-1].body["text"] == (
        "… et 30 affaire(s) gagnée(s)/perdue(s) de plus (15 gagnée(s), 15 perdue(s)) : "
        "`/pipeline changements` les liste"
    )


@pytest.mark.parametrize("refused_at", [3, 11])
def test_a_refused_post_keeps_the_rest_queued(
    tmp_path: Path, slack_api: SlackStandIn, refused_at: int
) -> None:
    settings, store = bulk_move(tmp_path, slack_api)
    try:
        for _ in range(refused_at - 1):
            slack_api.queue("chat.postMessage", {"ok": True, "channel": "C0TEAM", "ts": "1.1"})
        slack_api.queue("chat.postMessage", {"ok": False, "error": "not_in_channel"})
        assert post_pending(settings, store, make_outbox(settings).post, NOW) == refused_at - 1
        left = store.pending_announcements(utc("2026-03-10T00:00"))
        assert len(left) == 40 - (refused_at - 1)
    finally:
        store.close()
