"""The adapter tests' fixtures: replayed cassettes (`tests.helpers.replay`: record mode `none`,
so no test can reach a vendor) and the retry waits an adapter would have slept."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager

import pytest

from tests.helpers import replay


@pytest.fixture
def cassette() -> Callable[..., AbstractContextManager[object]]:
    """`with cassette("trello/full_sync.yaml"):` replays that file; an unrecorded request fails."""
    return replay


@pytest.fixture
def sleeps() -> Iterator[list[float]]:
    """The waits an adapter would have slept: pass `sleeps=sleeps` to `support.build`."""
    waited: list[float] = []
    yield waited
