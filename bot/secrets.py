"""Secrets from the environment or `.env` (pydantic-settings), kept as `SecretStr`.

A module of its own so that commands which never touch a token (`query`, `check` of a CSV-only
config) don't pay for importing pydantic-settings at start-up: `Settings.secrets` loads it on use.
"""

from __future__ import annotations

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SLACK_API_URL = "https://slack.com/api/"


class Secrets(BaseSettings):
    """Tokens from the environment or `.env`; never from `pipeline.toml`."""

    model_config = SettingsConfigDict(extra="ignore", case_sensitive=False)

    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = DEFAULT_SLACK_API_URL
    trello_api_key: SecretStr | None = None
    trello_token: SecretStr | None = None
    asana_token: SecretStr | None = None
    jira_email: SecretStr | None = None
    jira_api_token: SecretStr | None = None
    clickup_token: SecretStr | None = None
    notion_token: SecretStr | None = None
    monday_token: SecretStr | None = None
    linear_api_key: SecretStr | None = None
    # what signs the tools' change notifications (`POST /webhooks/<source>`)
    trello_api_secret: SecretStr | None = None
    asana_webhook_secret: SecretStr | None = None
    jira_webhook_secret: SecretStr | None = None
    clickup_webhook_secret: SecretStr | None = None
    notion_webhook_secret: SecretStr | None = None
    monday_webhook_secret: SecretStr | None = None
    linear_webhook_secret: SecretStr | None = None

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
