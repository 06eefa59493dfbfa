"""The README documents what the code offers: every command, query, config key and secret."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from bot.cli import build_parser
from bot.query import QUERIES
from bot.settings import PipelineConfig, Secrets

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def commands() -> list[str]:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return sorted(sub.choices)


@pytest.mark.parametrize("command", commands())
def test_every_command_is_documented(command: str) -> None:
    assert f"| `{command}" in README, f"README's command table lacks `{command}`"


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_every_query_and_its_french_synonym_is_documented(name: str) -> None:
    spec = QUERIES[name]
    assert f"`{name}" in README, f"README lacks the query `{name}`"
    assert f"`{spec.french}" in README, f"README lacks the French synonym `{spec.french}`"


@pytest.mark.parametrize("key", sorted(PipelineConfig.model_fields))
def test_every_config_key_is_documented(key: str) -> None:
    assert f"`{key}" in README or f"[{key}]" in README or f"`[[{key}]]`" in README


@pytest.mark.parametrize("variable", sorted(name.upper() for name in Secrets.model_fields))
def test_every_environment_variable_is_documented(variable: str) -> None:
    assert variable in README


def test_quick_start_has_exactly_the_two_contract_commands() -> None:
    section = README.split("## Quick start", 1)[1].split("```", 2)[1]
    lines = [line for line in section.splitlines()[1:] if line.strip()]
    assert lines == [
        'pip install -e ".[test]" && pipeline-bot demo',
        'pip install -e ".[test]" && pytest',
    ]


def test_ci_runs_the_readme_test_command() -> None:
    ci = (Path(__file__).resolve().parent.parent / ".ci" / "run").read_text()
    assert 'pip install -e ".[test]" && pytest' in ci


def test_init_and_deploy_share_one_env_example() -> None:
    root = Path(__file__).resolve().parent.parent
    packaged = (root / "bot" / "templates" / "env.example").read_text(encoding="utf-8")
    assert packaged == (root / "deploy" / ".env.example").read_text(encoding="utf-8")
