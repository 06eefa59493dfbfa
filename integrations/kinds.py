"""The kinds of source and where each lives: read by the settings on every command, so this
module imports nothing (the adapters and pydantic models load only when a source is used)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: Every kind the contract names, with the module that implements it.
KNOWN_KINDS: dict[str, str] = {
    "csv": "integrations.csv_source",
    "trello": "integrations.trello",
    "asana": "integrations.asana",
    "jira": "integrations.jira",
    "clickup": "integrations.clickup",
    "notion": "integrations.notion",
    "monday": "integrations.monday",
    "linear": "integrations.linear",
    "demo": "integrations.demo",
}


def source_name(raw: Mapping[str, Any]) -> str:
    """The name of a `[[sources]]` table before validation: `name`, else its `kind`."""
    return str(raw.get("name") or raw.get("kind"))
