"""Replay hand-written vcrpy cassettes: record mode `none`, so no test can reach a vendor."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
import vcr

CASSETTES = Path(__file__).resolve().parent.parent / "cassettes"

replayer = vcr.VCR(
    cassette_library_dir=str(CASSETTES),
    record_mode="none",
    match_on=["method", "scheme", "host", "port", "path", "query"],
    filter_headers=["authorization"],
    filter_query_parameters=["key", "token"],
    decode_compressed_response=True,
)


@pytest.fixture
def cassette() -> Callable[..., AbstractContextManager[object]]:
    """`with cassette("trello/full_sync.yaml"):` replays that file; an unrecorded request fails."""

    def use(name: str, **kwargs: object) -> AbstractContextManager[object]:
        return replayer.use_cassette(name, allow_playback_repeats=False, **kwargs)

    return use


@pytest.fixture
def sleeps() -> Iterator[list[float]]:
    """The waits an adapter would have slept: pass `http_options={"sleep": sleeps.append}`."""
    waited: list[float] = []
    yield waited
