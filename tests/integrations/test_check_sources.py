"""`pipeline-bot check` on a task manager: one authenticated request for the configured board,
project or list; a refused token and an unknown board each said as such (exit 1); nothing
written, not even the database file. Every adapter, replayed from its own cassettes."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.check import run_check
from bot.settings import load_settings
from tests.integrations.support import Cassette

SOURCES: dict[str, tuple[str, str, str, str, str]] = {
    # kind: (source table, .env, setting, target, name the tool gives it)
    "trello": ('board = "65f0c3a2b1d4e5f6a7b8c9d0"', "TRELLO_API_KEY=k\nTRELLO_TOKEN=t",
               "board", "65f0c3a2b1d4e5f6a7b8c9d0", "Pipeline commercial"),
    "asana": ('project = "1209876543210001"', "ASANA_TOKEN=t", "project", "1209876543210001",
              "Ventes"),
    "jira": ('base_url = "https://agence-exemple.atlassian.net"\nproject = "VENTE"',
             "JIRA_EMAIL=robot@agence-exemple.fr\nJIRA_API_TOKEN=t", "project", "VENTE", "Ventes"),
    "clickup": ('list = "901204567890"', "CLICKUP_TOKEN=pk_0_FAKE", "list", "901204567890",
                "Pipeline commercial"),
    "notion": ('database = "8a3c2f5e-4b71-4d0e-9f12-6c7d8e9fa0b1"', "NOTION_TOKEN=secret_FAKE",
               "database", "8a3c2f5e-4b71-4d0e-9f12-6c7d8e9fa0b1", "Ventes"),
    "monday": ('board = "1234567890"', "MONDAY_TOKEN=FAKE", "board", "1234567890",
               "Pipeline commercial"),
    "linear": ('team = "SAL"', "LINEAR_API_KEY=lin_api_FAKE", "team", "SAL", "Ventes"),
}  # fmt: skip
NOUNS = {"board": "board", "project": "project", "list": "list", "database": "database",
         "team": "team"}  # fmt: skip


def check(tmp_path: Path, kind: str, language: str = "en") -> int:
    table, env, *_ = SOURCES[kind]
    (tmp_path / "pipeline.toml").write_text(
        f'language = "{language}"\n\n[[sources]]\nkind = "{kind}"\nname = "ventes"\n{table}\n'
    )
    (tmp_path / ".env").write_text(env + "\n")
    (tmp_path / ".env").chmod(0o600)  # as documented: a .env others can read needs attention
    settings = load_settings(str(tmp_path / "pipeline.toml"), str(tmp_path / "pipeline.db"),
                             cwd=tmp_path)  # fmt: skip
    return run_check(settings, http_options={"sleep": lambda _: None})


@pytest.mark.parametrize("kind", sorted(SOURCES))
def test_check_reaches_the_configured_board_with_the_token(
    kind: str, cassette: Cassette, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    *_, setting, target, title = SOURCES[kind]
    with cassette(f"{kind}/check_ok.yaml"):
        status = check(tmp_path, kind)
    out = capsys.readouterr().out
    assert f"Source 'ventes' ({kind}): {NOUNS[setting]} « {title} » ({target}) answers" in out
    assert status == 0 and "All well." in out
    assert not (tmp_path / "pipeline.db").exists()  # check writes nothing


@pytest.mark.parametrize("kind", sorted(SOURCES))
def test_check_says_a_refused_token_is_refused(
    kind: str, cassette: Cassette, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with cassette(f"{kind}/check_401.yaml"):
        status = check(tmp_path, kind)
    out = capsys.readouterr().out
    assert status == 1
    assert f"Source 'ventes' ({kind}): the token was refused (HTTP " in out
    line = next(x for x in out.splitlines() if "the token was refused" in x)
    variables = {"trello": "TRELLO_API_KEY / TRELLO_TOKEN", "asana": "ASANA_TOKEN",
                 "jira": "JIRA_EMAIL / JIRA_API_TOKEN", "clickup": "CLICKUP_TOKEN",
                 "notion": "NOTION_TOKEN", "monday": "MONDAY_TOKEN",
                 "linear": "LINEAR_API_KEY"}  # fmt: skip
    assert line.endswith(f"check {variables[kind]}")
    assert "1 thing(s) need attention." in out and "Traceback" not in out
    assert not (tmp_path / "pipeline.db").exists()


@pytest.mark.parametrize("kind", sorted(SOURCES))
def test_check_names_an_unknown_board_as_such(
    kind: str, cassette: Cassette, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    *_, setting, target, _title = SOURCES[kind]
    with cassette(f"{kind}/check_404.yaml"):
        status = check(tmp_path, kind)
    out = capsys.readouterr().out
    assert status == 1
    assert f"Source 'ventes' ({kind}): no {NOUNS[setting]} {target} there, or not visible " in out
    assert f"check `{setting}` in pipeline.toml" in out
    assert "the token was refused" not in out  # an unknown board is not a bad token
    assert not (tmp_path / "pipeline.db").exists()


def test_check_speaks_french_by_default(
    cassette: Cassette, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with cassette("trello/check_404.yaml"):
        status = check(tmp_path, "trello", language="fr")
    out = capsys.readouterr().out
    assert status == 1
    assert ("Source 'ventes' (trello) : aucun(e) tableau 65f0c3a2b1d4e5f6a7b8c9d0 à cette "
            "adresse, ou invisible avec ce jeton (HTTP 404) : vérifiez `board` dans "
            "pipeline.toml") in out  # fmt: skip
