"""The stages written out in `init`'s template and the demo's config are the built-in ones."""

from __future__ import annotations

import tomllib
from importlib import resources

import pytest

from bot.config_schema import validate_config
from bot.pipeline import DEFAULT_STAGES, EXTRA_STAGES, Stage
from bot.settings import build_pipeline


def configured(resource: str) -> tuple[Stage, ...]:
    text = resources.files("bot").joinpath(resource).read_text("utf-8")
    return build_pipeline(validate_config(tomllib.loads(text))).stages


def seen(stage: Stage) -> tuple[object, ...]:
    """What a user sees of a stage, in both languages."""
    return (stage.key, stage.label("en"), stage.label("fr"), stage.probability, stage.stall_days,
            stage.next_step("en"), stage.next_step("fr"), stage.outcome, stage.waiting_on)  # fmt: skip


def same(a: Stage, b: Stage) -> bool:
    return seen(a) == seen(b)


@pytest.mark.parametrize(
    ("resource", "expected"),
    [("templates/pipeline.toml", DEFAULT_STAGES),
     ("data/demo.toml", (*EXTRA_STAGES, *DEFAULT_STAGES))],
)  # fmt: skip
def test_written_stages_match_the_built_in_ones(resource: str, expected: tuple[Stage, ...]) -> None:
    found = configured(resource)
    assert [s.key for s in found] == [s.key for s in expected]
    for mine, built_in in zip(found, expected, strict=True):
        assert same(mine, built_in), (mine, built_in)


def test_init_template_shows_the_classic_two_extra_stages_in_comments() -> None:
    text = resources.files("bot").joinpath("templates/pipeline.toml").read_text("utf-8")
    for stage in EXTRA_STAGES:
        assert f'# key = "{stage.key}"' in text
        assert stage.labels["fr"] in text and stage.next_steps["fr"] in text
