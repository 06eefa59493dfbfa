"""Adding a source edits one place: its adapter. The kind table, the `Secrets` fields, both
`.env.example` files and the docs' tables of sources all come from what adapters declare."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from bot.secrets import Secrets, source_secrets
from integrations import base, catalogue
from integrations.base import Adapter, SourceDocs, SourceSettings, Task
from integrations.kinds import KNOWN_KINDS, SECRET_NAMES


class AcmeSettings(SourceSettings):
    pipeline: str


class AcmeAdapter(Adapter[AcmeSettings]):
    """A source a newcomer adds: everything about it is said here, nowhere else."""

    kind = "acme"
    settings_model = AcmeSettings
    secret_names = ("ACME_API_KEY", "ACME_ACCOUNT")
    webhook_secret_name = "ACME_WEBHOOK_SECRET"
    docs = SourceDocs(
        title="Acme CRM",
        key="`pipeline` (id or URL)",
        status="the deal's column",
        history="the activity log",
        secrets="Settings → API → New key, and the account's slug.",
        check="`GET /pipelines/{pipeline}`",
        webhooks="Settings → Webhooks → Signing secret.",
    )
    overlap = timedelta(minutes=2)

    def fetch(self, since: datetime | None) -> Iterator[Task]:
        yield from ()


@pytest.fixture
def acme(monkeypatch: pytest.MonkeyPatch) -> type[AcmeAdapter]:
    """Registered the way `@register` in a new module of `integrations/` registers it."""
    catalogue.adapters()  # the real ones first, as the command imports them
    monkeypatch.setitem(base._REGISTRY, AcmeAdapter.kind, AcmeAdapter)
    return AcmeAdapter


def test_the_checked_in_files_are_what_the_catalogue_writes() -> None:
    for path, text in catalogue.render(catalogue.adapters()).items():
        assert path.read_text(encoding="utf-8") == text, (
            f"{path.relative_to(catalogue.ROOT)} is stale: run `{catalogue.COMMAND}`"
        )


def test_every_adapter_is_in_the_kind_table_and_every_kind_has_an_adapter() -> None:
    found = {cls.kind: cls for cls in catalogue.adapters()}
    assert {kind: cls.__module__ for kind, cls in found.items()} == KNOWN_KINDS
    assert {kind: catalogue.secret_names(cls) for kind, cls in found.items()} == SECRET_NAMES
    # every secret a source declares is a field of Secrets, read from the environment
    declared = {name.lower() for names in SECRET_NAMES.values() for name in names}
    assert declared and declared <= set(Secrets.model_fields)


def test_a_new_adapter_appears_in_every_generated_text(
    acme: type[AcmeAdapter], monkeypatch: pytest.MonkeyPatch
) -> None:
    texts = catalogue.render(catalogue.adapters())

    kinds: dict[str, Any] = {}
    exec(compile(texts[catalogue.KINDS], "kinds.py", "exec"), kinds)  # noqa: S102 - our file
    assert kinds["KNOWN_KINDS"]["acme"] == __name__
    assert kinds["SECRET_NAMES"]["acme"] == ("ACME_API_KEY", "ACME_ACCOUNT", "ACME_WEBHOOK_SECRET")
    assert kinds["KNOWN_KINDS"]["trello"] == "integrations.trello"  # the others stay

    # the secrets class is built from that table: the new names are read from the environment
    monkeypatch.setenv("ACME_API_KEY", "acme-key-123")
    names = [name for listed in kinds["SECRET_NAMES"].values() for name in listed]
    monkeypatch.setenv("ACME_WEBHOOK_SECRET", "acme-hook-456")
    loaded = source_secrets(names)()
    assert isinstance(loaded.acme_api_key, SecretStr)  # type: ignore[attr-defined]
    assert loaded.acme_api_key.get_secret_value() == "acme-key-123"  # type: ignore[attr-defined]
    hook = loaded.acme_webhook_secret  # type: ignore[attr-defined]
    assert hook.get_secret_value() == "acme-hook-456"

    for env in catalogue.ENV_FILES:
        lines = texts[env].splitlines()
        at = lines.index("# Acme CRM: Settings → API → New key, and the account's slug.")
        assert lines[at + 1 : at + 3] == ["ACME_API_KEY=", "ACME_ACCOUNT="]
        hook = lines.index("# Acme CRM: Settings → Webhooks → Signing secret.")
        assert lines[hook + 1] == "ACME_WEBHOOK_SECRET=" and hook > lines.index("TRELLO_TOKEN=")
        assert "TRELLO_TOKEN=" in lines

    sources = texts[catalogue.SOURCES_DOC]
    assert (
        "| `acme` | `pipeline` (id or URL) | `ACME_API_KEY`, `ACME_ACCOUNT` (webhooks: "
        "`ACME_WEBHOOK_SECRET`) | the deal's column | the activity log |" in sources
    )
    assert "| `acme` | `GET /pipelines/{pipeline}` |" in sources
    assert (
        "| `ACME_API_KEY`, `ACME_ACCOUNT`, `ACME_WEBHOOK_SECRET` | `acme` sources: Settings → "
        "API → New key, and the account's slug. `ACME_WEBHOOK_SECRET`, only for `serve`'s "
        "change notifications ([webhooks.md](webhooks.md)): Settings → Webhooks → Signing "
        "secret. |" in texts[catalogue.CONFIG_DOC]
    )
    assert "# kind: csv | acme | asana | " in texts[catalogue.STARTER_CONFIG]
    # the checked-in files are untouched: rendering writes nothing
    assert "ACME" not in catalogue.ENV_FILES[0].read_text(encoding="utf-8")


def test_a_generated_part_without_its_markers_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="markers of 'kinds' are missing"):
        catalogue.splice("KNOWN_KINDS = {}\n", "kinds", "#", "")
