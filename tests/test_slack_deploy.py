"""The deployment files agree with the code: manifest scopes and URLs, secrets, health check."""

from __future__ import annotations

import configparser
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
import yaml

from bot.secrets import Secrets
from bot.slack.wsgi import EVENTS_PATH, HEALTH_PATH

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"

#: Web API method (as slack_sdk names it) → the bot scope it needs (None: no scope needed).
METHOD_SCOPES: dict[str, str | None] = {
    "auth_test": None,
    "views_publish": None,
    "views_open": None,
    "views_update": None,
    "chat_postMessage": "chat:write",
    "chat_postEphemeral": "chat:write",
    "chat_update": "chat:write",
    "chat_delete": "chat:write",
    "chat_getPermalink": None,
    "conversations_open": "im:write",
    "users_info": "users:read",
    "users_list": "users:read",
    "users_lookupByEmail": "users:read.email",
    "files_upload_v2": "files:write",
}
API_CALL = re.compile(
    r"\.((?:chat|conversations|users|views|files|reactions|auth|apps|team|im|usergroups|pins)"
    r"_\w+)\("
)


def manifest(name: str) -> dict[str, Any]:
    loaded = yaml.safe_load((DEPLOY / name).read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def web_api_methods() -> set[str]:
    found: set[str] = set()
    for path in (ROOT / "bot").rglob("*.py"):
        found |= set(API_CALL.findall(path.read_text(encoding="utf-8")))
    return found


def test_manifest_grants_every_scope_the_code_needs() -> None:
    methods = web_api_methods()
    assert "views_publish" in methods  # the scan does see the code's calls
    unknown = methods - METHOD_SCOPES.keys()
    assert not unknown, f"add these Web API methods to METHOD_SCOPES and the manifests: {unknown}"
    needed = {METHOD_SCOPES[m] for m in methods} - {None}
    needed |= {
        "commands",
        "chat:write",
        "chat:write.public",
        "im:write",
        "users:read",
        "users:read.email",
    }
    for name in ("slack-manifest.yaml", "slack-manifest-socket.yaml"):
        scopes = set(manifest(name)["oauth_config"]["scopes"]["bot"])
        assert needed <= scopes, f"{name} lacks {needed - scopes}"


def test_http_manifest_routes_everything_to_the_served_path() -> None:
    data = manifest("slack-manifest.yaml")
    (command,) = data["features"]["slash_commands"]
    assert command["command"] == "/pipeline"
    assert "public" in command["usage_hint"]
    urls = [
        command["url"],
        data["settings"]["interactivity"]["request_url"],
        data["settings"]["event_subscriptions"]["request_url"],
    ]
    assert {urlparse(u).path for u in urls} == {EVENTS_PATH}
    assert all(u.startswith("https://YOUR-HOST/") for u in urls)
    assert data["settings"]["interactivity"]["is_enabled"] is True
    assert "app_home_opened" in data["settings"]["event_subscriptions"]["bot_events"]
    assert data["features"]["app_home"]["home_tab_enabled"] is True
    assert data["settings"]["socket_mode_enabled"] is False


def _keys(node: Any) -> set[str]:
    if isinstance(node, dict):
        return set(node) | {k for v in node.values() for k in _keys(v)}
    if isinstance(node, list):
        return {k for v in node for k in _keys(v)}
    return set()


def test_socket_manifest_has_socket_mode_and_no_urls() -> None:
    data = manifest("slack-manifest-socket.yaml")
    assert data["settings"]["socket_mode_enabled"] is True
    assert not {"url", "request_url"} & _keys(data)
    assert data["features"]["slash_commands"][0]["command"] == "/pipeline"
    assert "app_home_opened" in data["settings"]["event_subscriptions"]["bot_events"]


def test_env_example_lists_every_secret_of_the_contract() -> None:
    text = (DEPLOY / ".env.example").read_text(encoding="utf-8")
    for name in Secrets.model_fields:
        assert re.search(rf"^#? ?{name.upper()}=", text, re.M), f"{name.upper()} missing"


def test_dockerfile_runs_serve_as_non_root_with_data_volume_and_health_check() -> None:
    text = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    assert text.startswith("#") and "FROM python:3.11-slim" in text
    assert re.search(r"^USER (?!root)\w+", text, re.M)
    assert 'VOLUME ["/data"]' in text and "PIPELINE_DB=/data/pipeline.db" in text
    health = next(line for line in text.splitlines() if line.strip().startswith('CMD ["python"'))
    assert HEALTH_PATH in health
    assert 'CMD ["pipeline-bot", "serve"]' in text
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    service = compose["services"]["pipeline-bot"]
    assert service["build"]["dockerfile"] == "deploy/Dockerfile"
    assert any(v.endswith(":/data") for v in service["volumes"])


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("Restart", "on-failure"),
        ("User", "pipeline-bot"),
        ("WorkingDirectory", "/etc/pipeline-bot"),
        ("EnvironmentFile", "/etc/pipeline-bot/env"),
    ],
)
def test_systemd_unit(key: str, value: str) -> None:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read_string((DEPLOY / "pipeline-bot.service").read_text(encoding="utf-8"))
    assert unit["Service"][key] == value
    assert unit["Service"]["ExecStart"].endswith("pipeline-bot serve")


def _published(port: str, environ: dict[str, str]) -> str:
    """A compose `ports` entry with `${VAR:-default}` resolved as compose resolves it."""
    return re.sub(r"\$\{(\w+):-([^}]*)\}", lambda m: environ.get(m.group(1)) or m.group(2), port)


def test_compose_publishes_on_loopback_unless_told_and_caps_memory() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    service = compose["services"]["pipeline-bot"]
    (port,) = service["ports"]
    assert _published(port, {}) == "127.0.0.1:3000:3000"
    assert _published(port, {"BIND": "0.0.0.0"}) == "0.0.0.0:3000:3000"
    limit = service.get("mem_limit") or service["deploy"]["resources"]["limits"]["memory"]
    assert re.fullmatch(r"\d+[mg]", str(limit).lower())


def test_deploy_docs_show_a_reverse_proxy_with_tls_and_a_body_limit() -> None:
    text = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    assert "reverse_proxy 127.0.0.1:3000" in text  # Caddy
    assert "proxy_pass http://127.0.0.1:3000" in text and "client_max_body_size 1m" in text
    assert "install -m 600" in text
