"""The docs document what the code offers: every command, query, config key and secret.

The README is the front door (pitch, quick start, five-minute paths, links); the reference lives
in docs/, and every page of it is reachable from the README.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from bot.cli import build_parser
from bot.config_schema import PipelineConfig
from bot.query import QUERIES
from bot.secrets import Secrets

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
DOC_PAGES = sorted((ROOT / "docs").glob("*.md"))
COMMANDS_PAGE = (ROOT / "docs" / "commands.md").read_text(encoding="utf-8")
CONFIG_PAGE = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")


def commands() -> list[str]:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return sorted(sub.choices)


@pytest.mark.parametrize("command", commands())
def test_every_command_is_documented(command: str) -> None:
    assert f"| `{command}" in COMMANDS_PAGE, f"docs/commands.md's command table lacks `{command}`"


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_every_query_and_its_french_synonym_is_documented(name: str) -> None:
    spec = QUERIES[name]
    assert f"`{name}" in COMMANDS_PAGE, f"docs/commands.md lacks the query `{name}`"
    assert f"`{spec.french}" in COMMANDS_PAGE, f"docs/commands.md lacks the synonym `{spec.french}`"


@pytest.mark.parametrize("key", sorted(PipelineConfig.model_fields))
def test_every_config_key_is_documented(key: str) -> None:
    page = CONFIG_PAGE
    assert f"`{key}" in page or f"[{key}]" in page or f"`[[{key}]]`" in page


@pytest.mark.parametrize("variable", sorted(name.upper() for name in Secrets.model_fields))
def test_every_environment_variable_is_documented(variable: str) -> None:
    assert variable in CONFIG_PAGE


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


def test_readme_is_a_front_door_under_12k_characters() -> None:
    assert len(README) < 12_000, f"README.md is {len(README)} characters"


@pytest.mark.parametrize("page", [p.name for p in DOC_PAGES] + ["../ARCHITECTURE.md"])
def test_every_doc_page_is_linked_from_the_readme(page: str) -> None:
    target = "ARCHITECTURE.md" if page.startswith("..") else f"docs/{page}"
    assert f"]({target})" in README, f"README.md does not link {target}"


def test_relative_links_in_the_docs_point_at_files_that_exist() -> None:

    for page in [ROOT / "README.md", ROOT / "ARCHITECTURE.md", *DOC_PAGES]:
        text = page.read_text(encoding="utf-8")
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", text):
            assert (page.parent / target).exists(), f"{page.name} links {target}, which is missing"
