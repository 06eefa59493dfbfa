"""Build the Bolt app from `Settings`: no module-level app, settings or client.

Listeners live in small modules, one per kind, each with `register(app, deps)`, all registered
here.
"""

from __future__ import annotations

import json
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from slack_bolt import App, BoltResponse

from bot.deps import Deps
from bot.i18n import t
from bot.render.blocks import clip, notice
from bot.settings import Settings
from bot.slack import access, actions, commands, edit_actions, home_tab
from bot.slack_client import make_client

log = logging.getLogger(__name__)


class MissingSlackSecret(Exception):
    """A Slack secret `serve` needs is not set; the message names the variable."""


def require_secret(settings: Settings, name: str, what: str) -> str:
    """The secret's value, or `MissingSlackSecret` naming its environment variable."""
    value = getattr(settings.secrets, name.lower())
    if value is None or not value.get_secret_value():
        raise MissingSlackSecret(
            f"{name} is not set: put {what} in the environment or a .env file "
            "(see deploy/.env.example)"
        )
    return str(value.get_secret_value())


def build_app(
    settings: Settings,
    deps: Deps | None = None,
    *,
    token_verification: bool = True,
    socket_mode: bool = False,
    answer_budget: float = commands.ANSWER_BUDGET_S,
) -> App:
    """The Bolt app; `token_verification` calls `auth.test` now so a bad token fails at start.
    It starts no thread of its own."""
    deps = deps or Deps(settings)
    require_secret(settings, "SLACK_BOT_TOKEN", "the bot token (xoxb-…)")
    secret = ""
    if not socket_mode:
        secret = require_secret(
            settings, "SLACK_SIGNING_SECRET", "the app's signing secret (Basic Information page)"
        )
    bolt_log = logging.getLogger("bot.slack.bolt")
    bolt_log.addFilter(_quiet_token_warning)
    # Bolt logs whole request bodies at INFO (a refused request's `response_url` included):
    # warnings only; `bot.slack.wsgi` says in one line when a signature is refused.
    bolt_log.setLevel(logging.WARNING)
    app = App(
        client=make_client(settings),
        signing_secret=secret,
        token_verification_enabled=token_verification,
        process_before_response=False,
        # Bolt's default pool has 5 threads; each /pipeline ack may wait up to the answer budget,
        # so a burst of questions would queue behind it and miss Slack's 3 s. Threads mostly wait.
        listener_executor=ThreadPoolExecutor(max_workers=64, thread_name_prefix="bolt-listener"),
        logger=bolt_log,
    )
    app.error(_error_handler(settings))
    access.register(app, deps)
    commands.register(app, deps, budget=answer_budget)
    home_tab.register(app, deps)
    actions.register(app, deps)
    edit_actions.register(app, deps)
    return app


def _quiet_token_warning(record: logging.LogRecord) -> bool:
    """Bolt warns that `SLACK_BOT_TOKEN` from the environment is unused when a client is given:
    true, intended (the client carries that very token), and alarming in a log, so dropped."""
    return not str(record.msg).startswith("As you gave `client` as well")


def _error_handler(settings: Settings) -> Any:
    """Last resort for an error escaping a listener: logged, and a 200 with an ephemeral note."""

    def handle(error: Exception, body: dict[str, Any], response: BoltResponse | None) -> Any:
        kind = body.get("command") or body.get("type") or (body.get("event") or {}).get("type")
        log.error("unhandled error in a Slack listener (%s): %r", kind, error, exc_info=error)
        if response is None:
            return None
        text = t(
            "slack.failed",
            settings.language,
            question=clip(str(kind), 100),
            error=clip(f"{type(error).__name__}: {error}", 300),
        )
        return BoltResponse(
            status=200,
            body=json.dumps(notice(text)),
            headers={"content-type": "application/json;charset=utf-8"},
        )

    return handle
