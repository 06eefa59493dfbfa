"""`pipeline-bot migrate-store --to postgresql://…`: the demo agency moved from its SQLite file
to a real PostgreSQL server, then every answer compared on both stores (issue 15).

Runs in both test runs: the target is always a database on a real PostgreSQL server (this test
process's, tests/pg_server.py), the source always a real SQLite file.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.demo import demo_config_path, demo_settings, run_demo
from bot.query import QUERIES
from bot.store import Store
from tests import helpers
from tests.helpers import cli

MOMENT = datetime(2026, 11, 27, 9, tzinfo=UTC)
AS_OF = "2026-11-27"
CONFIG = str(demo_config_path())
#: Each query with the words it needs; a few asked twice (French words, other arguments).
QUESTIONS = sorted(
    {
        "deal": "deal dupain",
        "stage": "stage négociations",
        "owner": "owner marie",
        "changes": "changes 30",
        "forecast": "forecast 3",
    }.get(name, name)
    for name in QUERIES
) + ["changes 7", "bloqués", "prévision", "entonnoir", "affaire boulangerie", "owner dupont"]


def _server() -> Any:
    """This process's real PostgreSQL server (a missing PostgreSQL install fails the run:
    `.ci/run` installs it)."""
    return helpers.pg_server()


def _empty_database() -> str:
    """A new, empty PostgreSQL database (no table yet: migrate-store creates the schema)."""
    server = _server()
    name = f"m_{uuid.uuid4().hex}"
    server.admin(f"CREATE DATABASE {name}")
    return str(server.url(name))


def _pg_rows(url: str, sql: str) -> list[tuple[Any, ...]]:
    import psycopg

    with psycopg.connect(url) as conn:
        return list(conn.execute(sql).fetchall())  # type: ignore[arg-type]


def _tables(path: Path) -> dict[str, list[str]]:
    """The SQLite store's own tables and their columns, as the file has them."""
    conn = sqlite3.connect(path)
    try:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'"
                                            " AND name NOT LIKE '%sqlite%' ORDER BY name")]  # fmt: skip
        return {n: [c[1] for c in conn.execute(f'PRAGMA table_info("{n}")')] for n in names}
    finally:
        conn.close()


def _sorted_rows(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return sorted(rows, key=lambda row: [(v is None, str(type(v)), v) for v in row])


def _sqlite_rows(path: Path, table: str, columns: list[str]) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(path)
    try:
        listed = ", ".join(f'"{c}"' for c in columns)
        return _sorted_rows(conn.execute(f'SELECT {listed} FROM "{table}"').fetchall())
    finally:
        conn.close()


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo agency, plus a row in each table the demo leaves empty (a nudge sent, a snooze,
    an announcement, a lease, a webhook, an App Home viewer, a modal's message), written through
    the store as the bot writes them."""
    db = tmp_path_factory.mktemp("demo") / "pipeline-demo.db"
    assert run_demo(demo_settings(None, str(db)), MOMENT) == 0
    store = Store(db)
    try:
        deal = store.scalar("SELECT id FROM deals WHERE stage = 'negotiation' ORDER BY id")
        won = store.scalar("SELECT id FROM deals WHERE stage = 'won' ORDER BY id")
        assert store.claim_nudges(AS_OF, [(deal, "Marie Dupont", "U0DEMO001")]) == {deal}
        store.confirm_nudges(AS_OF, [deal], MOMENT, "D1", "1764234000.000100")
        store.add_quiet(deal, "snooze", "negotiation", "U0DEMO001", MOMENT,
                        MOMENT + timedelta(days=3))  # fmt: skip
        store.record_outcomes([(won, "won", MOMENT.isoformat())])
        store.mark_announced(won, "won", MOMENT)
        assert store.acquire_lease("sync", "host:1", MOMENT, MOMENT + timedelta(minutes=5))
        store.add_webhook("demo", "hook-1", "https://bot.example.fr/webhooks/demo", MOMENT)
        store.saw_home("U0DEMO001", MOMENT, unless_since=MOMENT - timedelta(hours=1),
                       forget_before=MOMENT - timedelta(days=1))  # fmt: skip
        store.keep_modal_message("modal-1", '{"ts": "1764234000.000100"}', MOMENT,
                                 forget_before=MOMENT - timedelta(days=1))  # fmt: skip
    finally:
        store.close()
    return db


@pytest.fixture
def empty_db() -> Iterator[str]:
    """A new, empty PostgreSQL database for one test, dropped after it."""
    url = _empty_database()
    yield url
    _server().drop_database(url)


@pytest.fixture(scope="module")
def moved(demo_db: Path) -> Iterator[tuple[str, Any]]:
    """The demo store migrated into an empty PostgreSQL database: (its URL, the command's
    result)."""
    url = _empty_database()
    done = cli(demo_db.parent, "--config", CONFIG, "--db", str(demo_db), "migrate-store",
               "--to", url)  # fmt: skip
    yield url, done
    _server().drop_database(url)


def test_every_table_and_row_is_copied_and_counted(demo_db: Path, moved: tuple[str, Any]) -> None:
    url, done = moved
    assert done.returncode == 0, done.stderr
    tables = _tables(demo_db)
    assert {"deals", "status_changes", "stage_events", "field_changes", "sync_state", "nudges",
            "quiet", "announcements", "meta", "leases", "webhooks", "home_viewers",
            "modal_messages"} <= set(tables)  # fmt: skip
    for table, columns in tables.items():
        expected = _sqlite_rows(demo_db, table, columns)
        assert expected, f"the demo store's {table} should have rows for this test to mean much"
        listed = ", ".join(f'"{c}"' for c in columns)
        assert _sorted_rows(_pg_rows(url, f'SELECT {listed} FROM "{table}"')) == expected, table
        # the command says what it copied, table by table (French by default)
        line = next(x for x in done.stdout.splitlines() if x.split()[:1] == [table])
        assert line.split()[1] == str(len(expected)) and "ligne" in line
    assert 'db = "postgresql://' in done.stdout  # the next step


def test_numbered_rows_continue_after_the_copied_ids(demo_db: Path, empty_db: str) -> None:
    """A snooze clicked after the move gets the next number, not one a copied row holds."""
    url = empty_db
    done = cli(demo_db.parent, "--config", CONFIG, "--db", str(demo_db), "migrate-store",
               "--to", url)  # fmt: skip
    assert done.returncode == 0, done.stderr
    (before,) = _pg_rows(url, "SELECT MAX(id) FROM quiet")[0]
    assert before is not None
    store = Store(url)
    try:
        deal = store.scalar("SELECT id FROM deals WHERE stage = 'meeting' ORDER BY id")
        created, _ = store.add_quiet(deal, "followed_up", "meeting", "U0DEMO002",
                                     MOMENT, MOMENT + timedelta(days=7))  # fmt: skip
    finally:
        store.close()
    assert created
    assert _pg_rows(url, "SELECT id, deal_id FROM quiet ORDER BY id") == [
        *_pg_rows(url, f"SELECT id, deal_id FROM quiet WHERE id <= {before} ORDER BY id"),
        (before + 1, deal),
    ]


@pytest.mark.parametrize("words", QUESTIONS)
@pytest.mark.parametrize("json_out", [False, True], ids=["text", "json"])
def test_every_answer_is_the_same_on_both_stores(
    words: str, json_out: bool, demo_db: Path, moved: tuple[str, Any]
) -> None:
    url, done = moved
    assert done.returncode == 0, done.stderr
    me = {"PIPELINE_USER": "U0DEMO001"}  # Marie Dupont, for `mine`
    extra = ["--json"] if json_out else []
    question = ["query", *words.split(), "--as-of", AS_OF, *extra]
    answers = [
        cli(demo_db.parent, "--config", CONFIG, "--db", db, *question, env=me)
        for db in (str(demo_db), url)
    ]
    on_sqlite, on_postgres = answers
    assert on_sqlite.returncode == 0, on_sqlite.stderr
    assert on_postgres.returncode == 0, on_postgres.stderr
    assert on_sqlite.stdout.strip()
    if json_out:
        assert json.loads(on_postgres.stdout) == json.loads(on_sqlite.stdout)
    assert on_postgres.stdout == on_sqlite.stdout


def test_a_store_with_deals_is_refused_unless_replace(
    tmp_path: Path, demo_db: Path, empty_db: str
) -> None:
    args = ["--config", CONFIG, "--db", str(demo_db), "migrate-store", "--to", empty_db]
    assert cli(demo_db.parent, *args).returncode == 0
    # the PostgreSQL store then lives its own life: a deal removed there
    gone = _pg_rows(empty_db, "SELECT id FROM deals ORDER BY id LIMIT 1")[0][0]
    _pg_rows(empty_db, f"DELETE FROM deals WHERE id = '{gone}' RETURNING id")
    refused = cli(demo_db.parent, *args)
    assert refused.returncode == 2
    (line,) = refused.stderr.splitlines()
    assert "153 affaire(s)" in line and "--replace" in line and "rien n'a été copié" in line
    assert "ligne" not in refused.stdout  # nothing said copied
    assert _pg_rows(empty_db, f"SELECT COUNT(*) FROM deals WHERE id = '{gone}'") == [(0,)]
    # the same refusal in English, for an English-speaking config
    english = tmp_path / "pipeline.toml"
    text = Path(CONFIG).read_text(encoding="utf-8")
    english.write_text(text.replace('language = "fr"', 'language = "en"', 1), encoding="utf-8")
    said = cli(demo_db.parent, "--config", str(english), *args[2:])
    assert said.returncode == 2
    assert "already holds 153 deal(s): nothing copied; add --replace" in said.stderr
    replaced = cli(demo_db.parent, *args, "--replace")
    assert replaced.returncode == 0, replaced.stderr
    assert _pg_rows(empty_db, "SELECT COUNT(*) FROM deals") == [(154,)]


def test_a_copy_that_fails_half_way_writes_nothing(
    tmp_path: Path, demo_db: Path, empty_db: str
) -> None:
    """A text PostgreSQL refuses (a NUL character, which SQLite keeps) in the last table copied:
    the tables copied before it are not left behind, and the file keeps its rows."""
    broken = tmp_path / "broken.db"
    source, target = sqlite3.connect(demo_db), sqlite3.connect(broken)
    source.backup(target)
    source.close()
    last = list(_tables(broken))[-1]
    assert last == "webhooks"  # created by the latest migration: copied last
    target.execute("UPDATE webhooks SET url = ?", ("https://bot.example.fr/\x00",))
    target.commit()
    target.close()
    done = cli(tmp_path, "--config", CONFIG, "--db", str(broken), "migrate-store",
               "--to", empty_db)  # fmt: skip
    assert done.returncode == 2
    (line,) = done.stderr.splitlines()
    assert "a échoué" in line and "rien n'a été copié" in line
    for table in ("deals", "status_changes", "stage_events", "field_changes", "webhooks"):
        assert _pg_rows(empty_db, f"SELECT COUNT(*) FROM {table}") == [(0,)], table
    assert _sqlite_rows(broken, "deals", ["id"]) == _sqlite_rows(demo_db, "deals", ["id"])


def test_a_target_that_is_not_postgresql_is_refused(tmp_path: Path, demo_db: Path) -> None:
    other = tmp_path / "other.db"
    done = cli(tmp_path, "--config", CONFIG, "--db", str(demo_db), "migrate-store",
               "--to", str(other))  # fmt: skip
    assert done.returncode == 2
    (line,) = done.stderr.splitlines()
    assert "postgresql://" in line and str(other) in line
    assert not other.exists()


def test_a_source_that_is_already_postgresql_is_refused(tmp_path: Path, empty_db: str) -> None:
    done = cli(tmp_path, "--config", CONFIG, "--db", empty_db, "migrate-store", "--to", empty_db)
    assert done.returncode == 2
    (line,) = done.stderr.splitlines()
    assert "déjà PostgreSQL" in line and "--db" in line
