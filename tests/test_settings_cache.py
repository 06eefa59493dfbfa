"""A config validated once is read back from the cache, the same, and never stale or wrong."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.settings import ConfigError, load_settings

CONFIG = """
language = "en"
currency = "USD"
timezone = "America/New_York"
stall_counting = "business"

[[stages]]
key = "lead"
label = { en = "Lead", fr = "Piste" }
probability = 20
stall_days = 3
next_step = "Call them"

[[stages]]
key = "won"
probability = 100
outcome = "won"

[[stages]]
key = "lost"
probability = 0
outcome = "lost"

[status_map]
"En attente" = "lead"

[people]
"Marie Dupain" = "U123"

[nudges]
days = ["Monday", "wed"]
at = "8:05"
holidays = ""

[digest]
channel = "C9"

[forecast]
probabilities = "calibrated"
prior_weight = 4

[[sources]]
kind = "csv"
name = "sheet"
path = "deals.csv"
"""


def everything(settings: Any) -> dict[str, Any]:
    config = settings.config
    return {
        "plain": [getattr(config, k) for k in ("language", "currency", "timezone",
                                               "stall_counting", "db", "status_map", "sources",
                                               "people")],
        "tables": [vars(getattr(config, t)) if hasattr(getattr(config, t), "__dict__") else None
                   for t in ("slack", "nudges", "digest", "sync", "announce", "forecast")],
        "stages": settings.pipeline.stages,
        "mapping": settings.pipeline.status_to_stage,
        "holidays": settings.holidays,
    }  # fmt: skip


def test_cached_config_is_the_validated_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    path = tmp_path / "pipeline.toml"
    path.write_text(CONFIG, encoding="utf-8")
    first = load_settings(str(path), cwd=tmp_path)
    assert list((tmp_path / "cache" / "pipeline-bot").iterdir())  # written
    again = load_settings(str(path), cwd=tmp_path)
    assert type(again.config) is not type(first.config)  # read back, not validated
    assert everything(again) == everything(first)
    assert again.config.nudges.days == ["mon", "wed"] and again.config.nudges.at == "08:05"
    assert again.pipeline.by_key["lead"].label("fr") == "Piste"
    assert (again.config.forecast.probabilities, again.config.forecast.prior_weight) == (
        "calibrated", 4)  # fmt: skip

    path.write_text(CONFIG.replace('language = "en"', 'language = "fr"'), encoding="utf-8")
    assert load_settings(str(path), cwd=tmp_path).language == "fr"  # an edit is seen at once

    path.write_text(CONFIG.replace("probability = 20", "probability = 200"), encoding="utf-8")
    for _ in range(2):  # an invalid config is never cached
        with pytest.raises(ConfigError) as error:
            load_settings(str(path), cwd=tmp_path)
        assert "stages[0].probability" in str(error.value)
