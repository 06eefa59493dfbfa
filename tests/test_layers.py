"""Layers point one way: domain modules never import the command line or the Slack edge.

`bot/cli.py` and `bot/commands/` are the command line's glue, `bot/slack/` and
`bot/slack_client.py` are Slack's; everything else (sync, store, analytics, rendering, nudges,
digest, announcements, the scheduler) is shared by both and must not depend on either, or a change
at one edge breaks the other. The Slack SDK (a `WebClient`, `SlackApiError`) stays at the Slack
edge: the jobs get an `Outbox` of callables (`bot/outbox.py`).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EDGES = ("bot.cli", "bot.commands", "bot.slack", "bot.slack_client")
SLACK_SDK = ("slack_sdk", "slack_bolt")


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def within(name: str, packages: tuple[str, ...]) -> bool:
    return any(name == package or name.startswith(package + ".") for package in packages)


def domain_modules() -> list[Path]:
    found = []
    for path in sorted([*(ROOT / "bot").rglob("*.py"), *(ROOT / "integrations").rglob("*.py")]):
        name = module_name(path)
        if not within(name, EDGES):
            found.append(path)
    return found


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


@pytest.mark.parametrize("path", domain_modules(), ids=lambda p: module_name(p))
def test_no_domain_module_imports_the_command_line_or_slack(path: Path) -> None:
    wrong = sorted(name for name in imported(path) if within(name, EDGES))
    assert wrong == [], f"{module_name(path)} imports {wrong}"


@pytest.mark.parametrize("path", domain_modules(), ids=lambda p: module_name(p))
def test_no_domain_module_imports_the_slack_sdk(path: Path) -> None:
    wrong = sorted(name for name in imported(path) if within(name, SLACK_SDK))
    assert wrong == [], f"{module_name(path)} imports {wrong}: take an Outbox (bot/outbox.py)"


def test_the_check_sees_the_modules_it_guards() -> None:
    names = {module_name(p) for p in domain_modules()}
    assert {
        "bot.nudges",
        "bot.digest",
        "bot.announce",
        "bot.scheduler",
        "bot.deps",
        "bot.home",
        "bot.outbox",
    } <= names
    assert "bot.slack.app" not in names and "bot.cli" not in names
    assert "bot.slack_client" not in names
    edge = ROOT / "bot" / "slack_client.py"
    assert within("slack_sdk", SLACK_SDK) and "slack_sdk" in imported(edge)  # the check can see it
