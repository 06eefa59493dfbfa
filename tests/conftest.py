"""Shared fixtures: a real database per test (a SQLite file, or a PostgreSQL database in the
PostgreSQL run), and the local Slack Web API stand-in."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.store import Store
from tests import helpers
from tests.helpers import ON_POSTGRES, store_at
from tests.pg_server import find_binary
from tests.slack_standin import SlackStandIn


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "sqlite_only(reason): about SQLite itself (its file, WAL, locks, an old file's "
        "upgrade); skipped in the PostgreSQL run",
    )
    if ON_POSTGRES:  # what the PostgreSQL run needs, said once rather than by every test
        try:
            import psycopg  # noqa: F401

            for name in ("initdb", "postgres"):
                find_binary(name)
        except ImportError as exc:
            raise pytest.UsageError(
                f'PIPELINE_TEST_ENGINE=postgresql: {exc} (pip install -e ".[test]")'
            ) from None
        except RuntimeError as exc:
            raise pytest.UsageError(f"PIPELINE_TEST_ENGINE=postgresql: {exc}") from None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """In the PostgreSQL run, skip the tests marked `sqlite_only`, saying why (in either run,
    a mark without its reason is refused)."""
    for item in items:
        marker = item.get_closest_marker("sqlite_only")
        if marker is None:
            continue
        reason = marker.kwargs.get("reason") or (marker.args[0] if marker.args else "")
        if not reason:
            raise pytest.UsageError(f"{item.nodeid}: sqlite_only needs a reason")
        if ON_POSTGRES:
            item.add_marker(pytest.mark.skip(reason=f"SQLite only: {reason}"))


@pytest.fixture(autouse=True)
def _own_databases() -> Iterator[None]:
    """PostgreSQL run: the databases a test asked for are dropped when it ends (a wider-scoped
    fixture's stay until the process ends)."""
    if not ON_POSTGRES:
        yield
        return
    wider = set(helpers._pg_databases)
    yield
    helpers.drop_test_databases(keep=wider)


@pytest.fixture(scope="session", autouse=True)
def _pg_server_stops() -> Iterator[None]:
    """This process's PostgreSQL server, if a test started one, stops with the session (atexit
    would too, later)."""
    yield
    if helpers.pg_server.cache_info().currsize:
        helpers.pg_server().stop()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = store_at(tmp_path / "pipeline.db")
    yield opened
    opened.close()


@pytest.fixture
def slack_api() -> Iterator[SlackStandIn]:
    standin = SlackStandIn().start()
    yield standin
    standin.stop()
