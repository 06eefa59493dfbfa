"""Source settings as people paste them: the id, or the tool's URL copied from the browser."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("raw", "field", "expected"),
    [
        (
            {"kind": "trello", "board": "https://trello.com/b/AbCd1234/ventes-agence"},
            "board",
            "AbCd1234",
        ),
        ({"kind": "trello", "board": " AbCd1234 "}, "board", "AbCd1234"),
        (
            {"kind": "asana", "project": "https://app.asana.com/0/1209876543210001/list"},
            "project",
            "1209876543210001",
        ),
        (
            {
                "kind": "asana",
                "project": "https://app.asana.com/1/111/project/1209876543210001/list/2",
            },
            "project",
            "1209876543210001",
        ),
        (
            {"kind": "monday", "board": "https://agence.monday.com/boards/1234567890"},
            "board",
            "1234567890",
        ),
    ],
)
def test_a_pasted_board_or_project_url_gives_its_id(
    raw: dict[str, str], field: str, expected: str
) -> None:
    from integrations.base import validate_source

    assert getattr(validate_source(raw), field) == expected


@pytest.mark.parametrize(
    "raw",
    [{"kind": "trello", "board": "https://example.com/boards/x"},
     {"kind": "asana", "project": "https://app.asana.com/"}],
)  # fmt: skip
def test_a_url_that_is_not_the_tool_s_is_refused(raw: dict[str, str]) -> None:
    import pydantic

    from integrations.base import validate_source

    with pytest.raises(pydantic.ValidationError, match="must be"):
        validate_source(raw)
