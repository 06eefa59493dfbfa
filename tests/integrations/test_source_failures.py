"""A source that fails, or a task that can't be read, costs that source or that task alone: each
said in one line naming it, and nothing of it lost."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.i18n import localise
from bot.settings import load_settings
from bot.store import Store
from bot.sync_command import run_sync as sync_command
from tests.helpers import db_target, store_at
from tests.integrations.support import WITH_BODY, Cassette, deal_rows, run_sync

LINEAR = {"kind": "linear", "name": "produit", "team": "SAL"}
LINEAR_SECRETS = {"LINEAR_API_KEY": "lin_api_FAKE0linear0key0for0tests0only0XYZ"}


def test_malformed_issues_are_warnings_naming_issue_and_field_and_lose_no_deal(
    cassette: Cassette, store: Store
) -> None:
    with cassette("linear/full_sync.yaml", match_on=WITH_BODY):
        first = run_sync(store, LINEAR, LINEAR_SECRETS, "2026-02-21T09:30:00", full=True)
    assert first.ok and first.fetched == 3
    before = deal_rows(store)

    with cassette("linear/malformed_issues.yaml", match_on=WITH_BODY):
        second = run_sync(store, LINEAR, LINEAR_SECRETS, "2026-02-22T09:30:00", full=True)
    assert second.ok, second.error
    assert second.fetched == 1  # SAL-2 only: SAL-1 unreadable, SAL-3 without identifier
    warnings = "\n".join(second.warnings)
    assert ("issue 'Refonte du site — Boulangerie Dupain' (SAL-1): field 'parent' is missing or "
            "malformed (AttributeError: 'str' object has no attribute 'get'); skipped, its deal "
            "kept as it was") in warnings  # fmt: skip
    assert ("issue 'Identité visuelle — Cabinet Martin' (SAL-2): field 'assignee' is text, "
            "expected object; left empty") in warnings  # fmt: skip
    assert "issue 'Application mobile — Hôtel du Port': field 'identifier' is missing" in warnings
    assert "1 task(s) without an id; no deal is marked removed in this sync" in warnings
    # `sync` prints them in the configured language
    french = "\n".join(localise(w, "fr") for w in second.warnings)
    assert ("issue 'Identité visuelle — Cabinet Martin' (SAL-2) : le champ 'assignee' est de "
            "type text au lieu de object ; laissé vide") in french  # fmt: skip
    after = deal_rows(store)
    assert after["produit:SAL-1"] == before["produit:SAL-1"]
    assert after["produit:SAL-3"] == before["produit:SAL-3"]
    assert after["produit:SAL-2"][1] is None  # the unreadable assignee: owner left empty
    assert [row[4] for row in after.values()] == [0, 0, 0]  # nothing removed


def test_an_error_escaping_an_adapter_fails_that_source_alone(
    cassette: Cassette, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "deals.csv").write_text("id;title;status\n1;Audit;appel et devis\n")
    (tmp_path / "pipeline.toml").write_text(
        '[[sources]]\nkind = "trello"\nname = "tableau"\nboard = "65f0c3a2b1d4e5f6a7b8c9d0"\n\n'
        '[[sources]]\nkind = "csv"\nname = "feuille"\npath = "deals.csv"\n'
    )
    (tmp_path / ".env").write_text("TRELLO_API_KEY=fake-key\nTRELLO_TOKEN=fake-token\n")
    settings = load_settings(str(tmp_path / "pipeline.toml"), str(db_target(tmp_path / "p.db")),
                             cwd=tmp_path)  # fmt: skip
    with cassette("trello/board_list_without_id.yaml"):
        status = sync_command(settings, names=None, full=False)
    assert status == 1
    lines = capsys.readouterr().out.splitlines()  # language: French by default
    assert lines[0].startswith("tableau : ÉCHEC après ")
    assert lines[0].endswith(
        "source 'tableau' (trello) : KeyError ('id') inattendu en la lisant ; ses affaires "
        "restent telles quelles et les autres sources continuent (merci de le signaler, avec le "
        "journal)"
    )
    assert lines[1].startswith("feuille : complète, 1 lue(s)")
    store = store_at(tmp_path / "p.db")
    try:
        assert store.sync_state("tableau")["last_error"] == (
            "source 'tableau' (trello): unexpected KeyError ('id') while reading it; its deals are "
            "kept as they were and the other sources go on (please report this, with the log)"
        )
        assert store.sync_state("feuille")["last_error"] is None
        assert store.scalar("SELECT COUNT(*) FROM deals WHERE source = 'feuille'") == 1
    finally:
        store.close()


def test_the_engine_starts_at_the_bookmark_minus_the_overlap_and_refuses_a_naive_one(
    cassette: Cassette, store: Store
) -> None:
    with cassette("linear/full_sync.yaml", match_on=WITH_BODY):
        assert run_sync(store, LINEAR, LINEAR_SECRETS, "2026-02-21T09:30:00", full=True).ok
    before = deal_rows(store)
    # Linear declares a 5-minute overlap: the cassette answers only `updatedAt > 09:25Z`
    with cassette("linear/incremental.yaml", match_on=WITH_BODY) as cass:
        assert run_sync(store, LINEAR, LINEAR_SECRETS, "2026-02-22T09:30:00").ok
    assert cass.all_played

    with store.transaction():  # a bookmark with no offset (written by hand, or a bug)
        store.save_sync_state("produit", bookmark="2026-02-22T09:30:00")
    after_incremental = deal_rows(store)
    with cassette("linear/incremental.yaml", match_on=WITH_BODY) as cass:
        refused = run_sync(store, LINEAR, LINEAR_SECRETS, "2026-02-23T09:30:00")
    assert not refused.ok and "timezone-aware" in localise(refused.error or "", "en")
    assert cass.play_count == 0  # refused before any request
    assert deal_rows(store) == after_incremental != before
