"""The schema of `pipeline.toml` (pydantic) and its validation, every problem on its own line.

Imported only when a config must be validated: `load_settings` reads a config it validated before
from its cache (see `bot.settings`), so a `query` never pays for pydantic.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot.i18n import PYDANTIC_FRENCH, Said, Worded, said_of
from bot.pipeline import (
    DEFAULT_STAGES,
    Stage,
    stage_key_for,
)
from bot.settings import WEEKDAYS, ConfigError, Localised, stage_from_config
from integrations.kinds import KNOWN_KINDS, source_name


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StageConfig(_Strict):
    key: Annotated[str, Field(min_length=1)]
    label: Localised | None = None
    probability: Annotated[float, Field(ge=0, le=100)]
    stall_days: Annotated[int, Field(ge=0)] = 0
    next_step: Localised = ""
    outcome: Literal["won", "lost"] | None = None
    waiting_on: Literal["client"] | None = None
    #: the task-manager status a move to this stage from Slack writes (default: the first
    #: status the map sends here, see `Pipeline.status_for`)
    status: Annotated[str, Field(min_length=1)] | None = None

    def to_stage(self) -> Stage:
        return stage_from_config(self)


def _hhmm(value: str) -> str:
    hours, _, minutes = value.partition(":")
    if not (hours.isdigit() and minutes.isdigit() and int(hours) < 24 and int(minutes) < 60):
        raise ValueError(Said("config.hhmm", got=repr(value)))
    return f"{int(hours):02d}:{int(minutes):02d}"


def _weekday(value: str) -> str:
    day = value.strip().lower()[:3]
    if day not in WEEKDAYS:
        raise ValueError(Said("config.weekday", days=", ".join(WEEKDAYS), got=repr(value)))
    return day


#: "09:30": a local time of day, normalised to two-digit hours.
LocalTime = Annotated[str, AfterValidator(_hhmm)]
#: "mon" … "sun" (longer names are cut to three letters).
Weekday = Annotated[str, AfterValidator(_weekday)]


def _slack_user_id(value: str) -> str:
    user = value.strip()
    if not re.fullmatch(r"[UW][A-Z0-9]{2,}", user):
        raise ValueError("must be a Slack user ID like U024BE7LH")
    return user


class SlackConfig(_Strict):
    channel: str | None = None
    allowed_channels: list[str] = []
    allowed_users: list[str] = []
    #: who may change any deal from Slack (owners may always change their own)
    editors: list[Annotated[str, AfterValidator(_slack_user_id)]] = []


class NudgesConfig(_Strict):
    at: LocalTime = "09:30"
    days: list[Weekday] = ["mon", "tue", "wed", "thu", "fri"]
    max_per_owner: Annotated[int, Field(ge=1)] = 10
    snooze_days: Annotated[int, Field(ge=1)] = 3
    #: a country code whose public holidays are not working days ("" none); None: "FR" when
    #: `language = "fr"`, else none (see `Settings.holidays`)
    holidays: str | None = None

    @field_validator("holidays")
    @classmethod
    def _known_country(cls, value: str | None) -> str | None:
        """Checked only when set: the library is imported for it, not for the default."""
        if not value or not value.strip():
            return value
        import holidays

        code = value.strip().upper()
        if code not in holidays.list_supported_countries():
            raise ValueError(Said("config.holidays"))
        return code


class DigestConfig(_Strict):
    day: Weekday = "mon"
    at: LocalTime = "09:00"
    channel: str | None = None


class SyncConfig(_Strict):
    every_minutes: Annotated[int, Field(ge=1)] = 15


class AnnounceConfig(_Strict):
    won_lost: bool = True


class ForecastConfig(_Strict):
    """`[forecast]`: which probability open deals without their own are weighted with, and how
    many deals' worth the configured stage probability weighs in calibration."""

    probabilities: Literal["stage", "calibrated"] = "stage"
    prior_weight: Annotated[float, Field(ge=0)] = 10


class PipelineConfig(_Strict):
    """Everything `pipeline.toml` may hold; defaults are the contract's."""

    timezone: str = "Europe/Paris"
    language: Literal["en", "fr"] = "fr"
    currency: str = "EUR"
    stall_counting: Literal["calendar", "business"] = "calendar"
    db: str | None = None
    stages: list[StageConfig] | None = None
    status_map: dict[str, str] = {}
    sources: list[dict[str, Any]] = []
    people: dict[str, str] = {}
    slack: SlackConfig = SlackConfig()
    nudges: NudgesConfig = NudgesConfig()
    digest: DigestConfig = DigestConfig()
    sync: SyncConfig = SyncConfig()
    announce: AnnounceConfig = AnnounceConfig()
    forecast: ForecastConfig = ForecastConfig()

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(Said("config.timezone")) from None
        return value


def validate_config(raw: dict[str, Any], label: str = "pipeline.toml") -> PipelineConfig:
    """Validate the TOML structure, then the cross-field rules; every problem on its own line."""
    language = raw.get("language") if raw.get("language") in ("en", "fr") else "fr"
    try:
        config = PipelineConfig.model_validate(raw)
    except ValidationError as exc:
        described = [describe_error(label, err) for err in exc.errors()]
        raise ConfigError(described, str(language)) from None
    problems: list[str] = [
        Said("config.line", label=label, problem=p) for p in _cross_checks(config)
    ]
    if problems:
        raise ConfigError(problems, config.language)
    return config


def describe_error(label: str, err: Any) -> str:
    """One pydantic error as one line: where (`stages[1].probability`) and what is wrong, a
    `Said` so the command line prints it in the configured language (pydantic's own wording
    stays the English text)."""
    where: str = "".join(
        f"[{part}]" if isinstance(part, int) else f".{part}" for part in err["loc"]
    ).lstrip(".") or Said("config.top_level")
    kind = err["type"]
    context = err.get("ctx") or {}
    what: str
    if kind == "value_error" and isinstance(context.get("error"), BaseException):
        what = said_of(context["error"])
    elif kind == "extra_forbidden":
        what = Said("config.extra_forbidden")
    else:
        context_values = {k: v for k, v in context.items() if isinstance(v, (str, int, float))}
        if kind == "literal_error":
            context_values["expected"] = str(context.get("expected", "")).replace(" or ", " ou ")
        french = PYDANTIC_FRENCH.get(kind)
        try:
            french = french.format(**context_values) if french else str(err["msg"])
        except (KeyError, IndexError):
            french = str(err["msg"])
        what = Worded(str(err["msg"]), french)
    if kind == "literal_error":
        what = Said("config.literal_got", what=what, got=repr(err.get("input")))
    elif (
        "input" in err
        and kind not in ("missing", "extra_forbidden")
        and not isinstance(err["input"], (dict, list))  # a whole table: the message names it
        and repr(err["input"]) not in str(what)
    ):
        what = Said("config.got", what=what, got=repr(err["input"]))
    return Said("config.problem", label=label, where=where, what=what)


def _cross_checks(config: PipelineConfig) -> list[str]:
    problems: list[str] = []
    stages = config.stages
    keys = [s.key for s in stages] if stages is not None else [s.key for s in DEFAULT_STAGES]
    if stages is not None:
        seen: set[str] = set()
        for stage in stages:
            if stage.key in seen:
                problems.append(Said("config.duplicate_stage", stage=stage.key))
            seen.add(stage.key)
        outcomes = {s.outcome for s in stages}
        for outcome in ("won", "lost"):
            if outcome not in outcomes:
                problems.append(Said("config.no_outcome", outcome=outcome))
        outcome_seen = False
        for stage in stages:
            if stage.outcome:
                outcome_seen = True
            elif outcome_seen:
                problems.append(Said("config.outcome_order", stage=stage.key))
    stage_list = [s.to_stage() for s in stages] if stages is not None else DEFAULT_STAGES
    for status, stage_name in config.status_map.items():
        if stage_key_for(stage_name, stage_list) is None:
            problems.append(
                Said("config.unknown_stage", status=status, stage=stage_name, keys=", ".join(keys))
            )
    names: set[str] = set()
    for index, source in enumerate(config.sources):
        kind = source.get("kind")
        if kind not in KNOWN_KINDS or kind == "demo":
            known = ", ".join(k for k in KNOWN_KINDS if k != "demo")
            problems.append(Said("config.unknown_kind", index=index, kind=repr(kind), known=known))
            continue
        if kind == "jira" and not source.get("base_url"):
            problems.append(
                Said("config.source", index=index, problem=Said("config.jira_needs_base_url"))
            )
        name = source_name(source)
        if name in names:
            problems.append(Said("config.duplicate_source", index=index, name=name))
        names.add(name)
    return problems
