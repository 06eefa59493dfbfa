"""The kinds of source, where each lives and which secrets it reads: read by the settings on
every command, so this module imports nothing (the adapters and pydantic models load only when
a source is used). The tables are written from the adapters' own declarations by
`python -m integrations.catalogue`: edit the adapter, not them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# begin kinds: written by `python -m integrations.catalogue` from the adapters
#: Every kind, with the module that implements it.
KNOWN_KINDS: dict[str, str] = {
    "csv": "integrations.csv_source",
    "demo": "integrations.demo",
    "asana": "integrations.asana",
    "clickup": "integrations.clickup",
    "jira": "integrations.jira",
    "linear": "integrations.linear",
    "monday": "integrations.monday",
    "notion": "integrations.notion",
    "trello": "integrations.trello",
}

#: The secrets each kind reads from the environment or `.env` (`bot.secrets.Secrets` has
#: a field for each).
SECRET_NAMES: dict[str, tuple[str, ...]] = {
    "csv": (),
    "demo": (),
    "asana": ("ASANA_TOKEN", "ASANA_WEBHOOK_SECRET"),
    "clickup": ("CLICKUP_TOKEN", "CLICKUP_WEBHOOK_SECRET"),
    "jira": ("JIRA_EMAIL", "JIRA_API_TOKEN", "JIRA_WEBHOOK_SECRET"),
    "linear": ("LINEAR_API_KEY", "LINEAR_WEBHOOK_SECRET"),
    "monday": ("MONDAY_TOKEN", "MONDAY_WEBHOOK_SECRET"),
    "notion": ("NOTION_TOKEN", "NOTION_WEBHOOK_SECRET"),
    "trello": ("TRELLO_API_KEY", "TRELLO_TOKEN", "TRELLO_API_SECRET"),
}
# end kinds


def source_name(raw: Mapping[str, Any]) -> str:
    """The name of a `[[sources]]` table before validation: `name`, else its `kind`."""
    return str(raw.get("name") or raw.get("kind"))
