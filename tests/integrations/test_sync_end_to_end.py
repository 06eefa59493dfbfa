"""`pipeline-bot sync` from the Trello and Asana cassettes into a real SQLite file.

What a user sees after a sync: each deal's stage, owner, amount and the time it entered its stage
(from the tool's own history, not the time of the sync), then an incremental sync that moves one
deal on, adds one and removes one.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import cli, db_target, store_at

Cassette = Callable[..., AbstractContextManager[Any]]

FIELDS = """
[sources.fields]
amount = "Montant"
probability = "Probabilité"
client = "Client"
expected_close = "Date de signature"
contact = "Contact"
lost_reason = "Raison de la perte"
"""


def configure(tmp_path: Path, source: str) -> tuple[Path, Path]:
    config = tmp_path / "pipeline.toml"
    config.write_text(f"[[sources]]\n{source}\n{FIELDS}", encoding="utf-8")
    return config, tmp_path / "pipeline.db"


def deals(db: Path) -> dict[str, dict[str, Any]]:
    store = store_at(db)
    try:
        return {row["id"]: row for row in store.rows("SELECT * FROM deals")}
    finally:
        store.close()


def set_bookmark(db: Path, source: str, bookmark: str) -> None:
    """As if the last sync had started at `bookmark` (the cassettes are dated)."""
    store = store_at(db)
    try:
        with store.transaction():
            store.save_sync_state(source, bookmark=bookmark)
    finally:
        store.close()


def run_sync(config: Path, db: Path) -> str:
    """`pipeline-bot sync` as a user runs it; what it prints."""
    done = cli(config.parent, "--config", str(config), "--db", str(db_target(db)), "sync")
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_trello_sync_into_sqlite(
    tmp_path: Path,
    cassette: Cassette,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TRELLO_API_KEY", "fake-key")
    monkeypatch.setenv("TRELLO_TOKEN", "fake-token")
    config, db = configure(
        tmp_path, 'kind = "trello"\nname = "agence"\nboard = "65f0c3a2b1d4e5f6a7b8c9d0"'
    )
    with cassette("trello/full_sync.yaml"):
        out = run_sync(config, db)
    assert "agence : complète, 5 lue(s)" in out
    assert (
        "champ 'Montant' : la valeur 'abc' n'est pas un montant" in out
    )  # the unreadable cell is reported

    rows = deals(db)
    dupain = rows["agence:69806790a1b2c3d4e5f60001"]
    assert (dupain["stage"], dupain["owner"], dupain["amount"]) == (
        "negotiation",
        "Marie Dupont",
        12000.0,
    )
    assert dupain["stage_entered"] == "2026-02-20T10:15:00+00:00"  # the move, not the sync
    assert dupain["client"] == "Boulangerie Dupain" and dupain["expected_close"] == "2026-04-30"
    lumiere = rows["agence:698b1460a1b2c3d4e5f60002"]
    assert (lumiere["stage"], lumiere["amount"]) == ("meeting", None)
    assert lumiere["stage_entered"] == "2026-02-12T16:00:00+00:00"
    martin = rows["agence:691c89f0a1b2c3d4e5f60003"]
    assert (martin["stage"], martin["stage_entered"]) == ("lost", "2026-01-15T09:00:00+00:00")
    page = rows["agence:699c507ca1b2c3d4e5f60005"]
    assert (page["stage"], page["stage_entered"]) == ("won", "2026-02-27T17:00:00+00:00")

    set_bookmark(db, "agence", "2026-03-02T08:05:00+00:00")  # asks from 08:00 (overlap)
    with cassette("trello/incremental.yaml"):
        out = run_sync(config, db)
    assert "agence : incrémentale, 5 lue(s)" in out
    rows = deals(db)
    dupain = rows["agence:69806790a1b2c3d4e5f60001"]
    assert (dupain["stage"], dupain["stage_entered"]) == ("closing", "2026-03-03T16:45:00+00:00")
    assert rows["agence:691c89f0a1b2c3d4e5f60003"]["removed"] == 1  # archived
    assert rows["agence:698b1460a1b2c3d4e5f60002"]["removed"] == 0  # untouched, still there
    lambert = rows["agence:69a7fdf0a1b2c3d4e5f60006"]
    assert (lambert["stage"], lambert["amount"]) == ("qualification", 3200.0)
    assert lambert["stage_entered"] == "2026-03-04T09:40:00+00:00"


def test_asana_sync_into_sqlite(
    tmp_path: Path,
    cassette: Cassette,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ASANA_TOKEN", "fake-asana-token")
    config, db = configure(
        tmp_path, 'kind = "asana"\nname = "agence"\nproject = "1209876543210001"'
    )
    with cassette("asana/full_sync.yaml"):
        out = run_sync(config, db)
    assert "agence : complète, 4 lue(s)" in out

    rows = deals(db)
    dupain = rows["agence:1209876543210101"]
    assert (dupain["stage"], dupain["owner"], dupain["amount"]) == (
        "negotiation",
        "Marie Dupont",
        12000.0,
    )
    assert dupain["owner_email"] == "marie.dupont@agence-exemple.fr"
    assert dupain["stage_entered"] == "2026-02-20T10:15:00+00:00"
    martin = rows["agence:1209876543210103"]
    assert (martin["stage"], martin["removed"]) == ("lost", 0)  # completed, still a deal
    assert martin["stage_entered"] == "2026-01-15T09:00:00+00:00"
    rousseau = rows["agence:1209876543210104"]
    assert (rousseau["stage"], rousseau["stage_entered"]) == (
        "qualification",
        "2026-01-20T08:30:00+00:00",
    )

    set_bookmark(db, "agence", "2026-03-02T08:05:00+00:00")  # asks from 08:00 (overlap)
    with cassette("asana/incremental.yaml"):
        out = run_sync(config, db)
    assert "agence : incrémentale, 2 lue(s)" in out
    rows = deals(db)
    dupain = rows["agence:1209876543210101"]
    assert (dupain["stage"], dupain["probability"]) == ("closing", 80.0)
    assert dupain["stage_entered"] == "2026-03-03T16:45:00+00:00"
    assert rows["agence:1209876543210105"]["stage"] == "qualification"
    assert len(rows) == 5
