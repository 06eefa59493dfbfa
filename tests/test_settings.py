"""Config validation: one specific message per problem (issue: foundation, point 3)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config_schema import validate_config
from bot.settings import ConfigError, load_settings


def problems(raw: dict) -> list[str]:  # type: ignore[type-arg]
    with pytest.raises(ConfigError) as caught:
        validate_config(raw)
    return caught.value.problems


def test_defaults_are_the_contract_s() -> None:
    config = validate_config({})
    assert (config.timezone, config.language, config.currency, config.stall_counting) == (
        "Europe/Paris", "fr", "EUR", "calendar")  # fmt: skip
    assert (config.nudges.at, config.nudges.max_per_owner, config.nudges.snooze_days) == (
        "09:30", 10, 3)  # fmt: skip
    assert config.nudges.days == ["mon", "tue", "wed", "thu", "fri"]
    assert (config.digest.day, config.digest.at, config.sync.every_minutes) == ("mon", "09:00", 15)
    assert config.announce.won_lost is True


def stage(key: str, **extra: object) -> dict[str, object]:
    return {"key": key, "probability": 50, "stall_days": 7, **extra}


OUTCOMES = [stage("won", outcome="won", probability=100), stage("lost", outcome="lost",
                                                                probability=0)]  # fmt: skip


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            {"status_map": {"En pause": "pause"}},
            "status_map: 'En pause' maps to unknown stage 'pause'",
        ),
        ({"stages": [stage("a"), stage("a"), *OUTCOMES]}, "duplicate stage key 'a'"),
        ({"stages": [stage("a", probability=120), *OUTCOMES]}, "stages[0].probability"),
        ({"stages": [stage("a", stall_days=-1), *OUTCOMES]}, "stages[0].stall_days"),
        ({"stages": [stage("a"), OUTCOMES[0]]}, 'no stage has outcome = "lost"'),
        ({"stages": [stage("a"), OUTCOMES[1]]}, 'no stage has outcome = "won"'),
        ({"sources": [{"kind": "basecamp"}]}, "unknown source kind 'basecamp'"),
        ({"sources": [{"kind": "jira", "project": "VENTE"}]}, "a jira source needs base_url"),
        ({"timezone": "Europe/Lutece"}, "timezone: unknown IANA time zone"),
        ({"language": "de"}, "language: Input should be 'en' or 'fr', got 'de'"),
        ({"nudges": {"at": "25:00"}}, "nudges.at: must be a time HH:MM"),
        ({"digest": {"day": "someday"}}, "digest.day: must be one of"),
        ({"langage": "fr"}, "langage: unknown key"),
    ],
)
def test_each_problem_has_its_own_specific_message(raw: dict, expected: str) -> None:  # type: ignore[type-arg]
    found = problems(raw)
    assert any(expected in p for p in found), found


def test_several_problems_are_all_reported() -> None:
    found = problems({"stages": [stage("a"), stage("a"), *OUTCOMES], "status_map": {"x": "zz"}})
    assert len(found) == 2


def test_malformed_toml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "pipeline.toml"
    path.write_text('language = "fr"\ncurrency = EUR\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(str(path))
    assert len(caught.value.problems) == 1
    assert "line 2" in caught.value.problems[0]


def test_db_resolution_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "conf"
    folder.mkdir()
    (folder / "pipeline.toml").write_text('db = "data/deals.db"\n')
    monkeypatch.delenv("PIPELINE_DB", raising=False)
    config = str(folder / "pipeline.toml")
    assert load_settings(config, cwd=tmp_path).db_path == folder / "data" / "deals.db"
    monkeypatch.setenv("PIPELINE_DB", str(tmp_path / "env.db"))
    assert load_settings(config, cwd=tmp_path).db_path == tmp_path / "env.db"
    assert load_settings(config, str(tmp_path / "flag.db"), cwd=tmp_path).db_path == (
        tmp_path / "flag.db")  # fmt: skip


def test_config_resolution_prefers_flag_then_env_then_local(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "pipeline.toml").write_text('language = "en"\n')
    other = tmp_path / "other.toml"
    other.write_text('currency = "USD"\n')
    monkeypatch.delenv("PIPELINE_CONFIG", raising=False)
    assert load_settings(cwd=tmp_path).config.language == "en"
    monkeypatch.setenv("PIPELINE_CONFIG", str(other))
    assert load_settings(cwd=tmp_path).config.currency == "USD"


def test_secrets_come_from_env_file_and_stay_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TRELLO_TOKEN", raising=False)
    monkeypatch.delenv("PIPELINE_CONFIG", raising=False)
    (tmp_path / ".env").write_text("TRELLO_TOKEN=abc123secret\n")
    settings = load_settings(cwd=tmp_path)
    assert settings.secrets.as_env()["TRELLO_TOKEN"] == "abc123secret"
    assert "abc123secret" not in repr(settings.secrets)


def test_os_language_variable_does_not_change_the_bot_language(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LANGUAGE", "en_US:en")
    monkeypatch.delenv("PIPELINE_CONFIG", raising=False)
    assert load_settings(cwd=tmp_path).config.language == "fr"


def test_client_court_stage_waits_on_the_client_by_default() -> None:
    from bot.settings import build_pipeline

    custom = validate_config({"stages": [stage("talks"), *OUTCOMES],
                              "status_map": {"balle dans le camp du client": "talks"}})  # fmt: skip
    assert build_pipeline(custom).by_key["talks"].waiting_on == "client"
    assert build_pipeline(validate_config({})).by_key["negotiation"].waiting_on == "client"


def test_status_map_moves_the_client_court_with_the_built_in_stages() -> None:
    from bot.settings import build_pipeline

    moved = build_pipeline(
        validate_config({"status_map": {"balle dans le camp du client": "closing"}})
    )
    assert [s.key for s in moved.stages if s.waiting_on == "client"] == ["closing"]


def test_a_stage_that_says_waiting_on_itself_wins() -> None:
    from bot.settings import build_pipeline

    own = validate_config({"stages": [stage("talks"), stage("sign", waiting_on="client"), *OUTCOMES],
                           "status_map": {"balle dans le camp du client": "talks"}})  # fmt: skip
    assert [s.key for s in build_pipeline(own).stages if s.waiting_on] == ["sign"]
