"""Secrets from the environment or `.env` (pydantic-settings), kept as `SecretStr`.

A module of its own so that commands which never touch a token (`query`, `check` of a CSV-only
config) don't pay for importing pydantic-settings at start-up: `Settings.secrets` loads it on use.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import SecretStr, create_model
from pydantic_settings import BaseSettings, SettingsConfigDict

from integrations.kinds import SECRET_NAMES

DEFAULT_SLACK_API_URL = "https://slack.com/api/"


def source_secrets(names: Iterable[str]) -> type[BaseSettings]:
    """Settings with one optional secret per name (e.g. `TRELLO_TOKEN` → `trello_token`): the
    sources' fields come from what each adapter declares (`SECRET_NAMES`, generated from the
    adapters), so adding a source needs no edit here."""
    fields: dict[str, Any] = {name.lower(): (SecretStr | None, None) for name in sorted(set(names))}
    return create_model("SourceSecrets", __base__=BaseSettings, **fields)


class Secrets(source_secrets(n for names in SECRET_NAMES.values() for n in names)):  # type: ignore[misc]
    """Tokens from the environment or `.env`; never from `pipeline.toml`. Slack's are named
    here; each source's come from its adapter's declaration."""

    model_config = SettingsConfigDict(extra="ignore", case_sensitive=False)

    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = DEFAULT_SLACK_API_URL

    def model_post_init(self, context: object) -> None:
        """Every secret value is blanked out of errors, logs and stored state from now on."""
        from bot.redact import register

        register(self.as_env().values())

    def as_env(self) -> dict[str, str]:
        """Secrets by their environment-variable name, for adapters (which know their names)."""
        out: dict[str, str] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr) and value.get_secret_value():
                out[name.upper()] = value.get_secret_value()
        return out
