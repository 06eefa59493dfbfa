"""The three `INDEXED BY` hints name indexes the migrations create.

A hint naming a missing index makes SQLite refuse the query ("no such index"), so renaming or
dropping one of these indexes in a migration must fail here, not in `/pipeline owners`. Each is
kept because bench/queries.py shows it is needed (ARCHITECTURE.md, "Why each speed device
exists"); a new hint must be added to `HINTS` with its figure there.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.analytics.owners import OWNERS_INDEX
from bot.store import Store

ROOT = Path(__file__).resolve().parent.parent
HINTS = {
    "idx_deals_expected_close": "bot/store.py",
    OWNERS_INDEX: "bot/analytics/owners.py",
    "idx_deals_age_unknown": "bot/analytics/core.py",
}


@pytest.mark.sqlite_only(reason="INDEXED BY hints are SQLite's (sqlite_master)")
def test_every_hint_names_an_index_the_migrations_create(tmp_path: Path) -> None:
    store = Store(tmp_path / "pipeline.db")
    indexes = {row["name"] for row in store.rows("SELECT name FROM sqlite_master "
                                                  "WHERE type = 'index'")}  # fmt: skip
    store.close()
    assert set(HINTS) <= indexes


def test_no_other_hint_is_written() -> None:
    found = {}
    for path in sorted((ROOT / "bot").rglob("*.py")):
        for name in re.findall(r"INDEXED BY \{?(\w+)\}?", path.read_text(encoding="utf-8")):
            found[OWNERS_INDEX if name == "OWNERS_INDEX" else name] = str(path.relative_to(ROOT))
    assert found == HINTS
