"""Settings: `pipeline.toml` (what the agency decides) + environment/.env (secrets only).

Built once in `main()` or `build_app(settings)` and passed down: no module-level instance. The TOML
is read with `tomllib` so a syntax error can name its line; secrets come from pydantic-settings so
they stay `SecretStr` and never reach a log. Plain settings are *not* read from the environment:
`LANGUAGE` or `TIMEZONE` variables set by the OS must not silently change the bot's language.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import replace
from datetime import tzinfo
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot.clock import DaysOff
from bot.pipeline import (
    CLIENT_COURT_STATUS,
    DEFAULT_STAGES,
    Pipeline,
    Stage,
    normalise,
    stage_key_for,
)
from integrations.kinds import KNOWN_KINDS, source_name

if TYPE_CHECKING:
    from bot.secrets import Secrets

CONFIG_ENV = "PIPELINE_CONFIG"
DB_ENV = "PIPELINE_DB"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

Localised = str | dict[Literal["en", "fr"], str]


class ConfigError(Exception):
    """An invalid configuration: one line per problem, ready to print."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


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

    def to_stage(self) -> Stage:
        labels = _localised(self.label) or {"en": self.key}
        return Stage(
            key=self.key,
            labels=labels,
            probability=self.probability,
            stall_days=self.stall_days,
            next_steps=_localised(self.next_step),
            outcome=self.outcome,
            waiting_on=self.waiting_on,
        )


def _localised(value: Localised | None) -> dict[str, str]:
    if value is None or value == "":
        return {}
    if isinstance(value, str):
        return {"en": value, "fr": value}
    return {str(lang): text for lang, text in value.items()}


def _hhmm(value: str) -> str:
    hours, _, minutes = value.partition(":")
    if not (hours.isdigit() and minutes.isdigit() and int(hours) < 24 and int(minutes) < 60):
        raise ValueError(f"must be a time HH:MM, got {value!r}")
    return f"{int(hours):02d}:{int(minutes):02d}"


def _weekday(value: str) -> str:
    day = value.strip().lower()[:3]
    if day not in WEEKDAYS:
        raise ValueError(f"must be one of {', '.join(WEEKDAYS)}, got {value!r}")
    return day


#: "09:30": a local time of day, normalised to two-digit hours.
LocalTime = Annotated[str, AfterValidator(_hhmm)]
#: "mon" … "sun" (longer names are cut to three letters).
Weekday = Annotated[str, AfterValidator(_weekday)]


class SlackConfig(_Strict):
    channel: str | None = None
    allowed_channels: list[str] = []
    allowed_users: list[str] = []


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
            raise ValueError(
                'unknown country code for public holidays (e.g. "FR", "BE", "CH"; "" for none)'
            )
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
            raise ValueError("unknown IANA time zone (e.g. 'Europe/Paris')") from None
        return value


class Settings:
    """The one settings object: the validated config, the secrets, and resolved paths.

    `secrets` may be given (tests); otherwise they are read from the environment and `env_files`
    on first use, so commands that need no token never import pydantic-settings.
    """

    def __init__(
        self,
        config: PipelineConfig,
        secrets: Secrets | None = None,
        db_path: Path | None = None,
        config_path: Path | None = None,
        base_dir: Path | None = None,
        env_files: tuple[Path, ...] = (),
    ) -> None:
        self.config = config
        self._secrets = secrets
        self.db_path = db_path or Path("pipeline.db")
        self.config_path = config_path
        self.base_dir = base_dir or Path.cwd()
        self.env_files = env_files

    @property
    def secrets(self) -> Secrets:
        if self._secrets is None:
            from bot.secrets import Secrets

            self._secrets = Secrets(_env_file=self.env_files or None)  # type: ignore[call-arg]
        return self._secrets

    @cached_property
    def pipeline(self) -> Pipeline:
        return build_pipeline(self.config)

    @cached_property
    def tz(self) -> tzinfo:
        return ZoneInfo(self.config.timezone)

    @property
    def language(self) -> str:
        return self.config.language

    @property
    def holidays(self) -> str:
        """The country whose public holidays are days off: `[nudges] holidays`, else "FR" for a
        French-language config, else none ("")."""
        chosen = self.config.nudges.holidays
        if chosen is None:
            return "FR" if self.config.language == "fr" else ""
        return chosen.strip().upper()

    @cached_property
    def days_off(self) -> DaysOff:
        return DaysOff(self.holidays)

    def resolve(self, path: str) -> Path:
        """A path from the config: relative to the config file's folder."""
        candidate = Path(path).expanduser()
        return candidate if candidate.is_absolute() else self.base_dir / candidate


def build_pipeline(config: PipelineConfig) -> Pipeline:
    """The configured (or built-in) stages with their mapping.

    Unless a stage says `waiting_on` itself, the open stage that « balle dans le camp du client »
    maps to (through the same mapping as every status) waits on the client.
    """
    stages = [s.to_stage() for s in config.stages] if config.stages else list(DEFAULT_STAGES)
    pipeline = Pipeline(stages, config.status_map)
    if config.stages and any(s.waiting_on for s in stages):
        return pipeline
    client_stage = pipeline.stage_of(CLIENT_COURT_STATUS)
    return Pipeline(
        [replace(s, waiting_on="client" if s.key == client_stage and s.is_open else None)
         for s in stages],
        config.status_map,
    )  # fmt: skip


def find_config(explicit: str | None, cwd: Path | None = None) -> Path | None:
    """`--config`, else `$PIPELINE_CONFIG`, else `./pipeline.toml` if it exists, else None."""
    if explicit:
        return Path(explicit)
    if os.environ.get(CONFIG_ENV):
        return Path(os.environ[CONFIG_ENV])
    local = (cwd or Path.cwd()) / "pipeline.toml"
    return local if local.exists() else None


def load_settings(
    config_path: str | None = None,
    db_path: str | None = None,
    *,
    cwd: Path | None = None,
) -> Settings:
    """Read and validate everything; raises `ConfigError` listing every problem found."""
    cwd = cwd or Path.cwd()
    path = find_config(config_path, cwd)
    raw: dict[str, Any] = {}
    label = "built-in defaults"
    if path is not None:
        label = path.name
        raw = read_toml(path)
    config = validate_config(raw, label)
    base_dir = path.resolve().parent if path else cwd
    env_files = [p for p in (base_dir / ".env", cwd / ".env") if p.exists()]
    settings = Settings(config=config, env_files=tuple(dict.fromkeys(env_files)), config_path=path,
                        base_dir=base_dir)  # fmt: skip
    chosen = db_path or os.environ.get(DB_ENV)
    if chosen:
        settings.db_path = Path(chosen).expanduser()
    elif config.db:
        settings.db_path = settings.resolve(config.db)
    else:
        settings.db_path = cwd / "pipeline.db"
    return settings


def read_toml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([f"{path}: no such config file"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([f"{path}: cannot read it ({exc})"]) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"{path.name}: malformed TOML: {exc}"]) from None


def validate_config(raw: dict[str, Any], label: str = "pipeline.toml") -> PipelineConfig:
    """Validate the TOML structure, then the cross-field rules; every problem on its own line."""
    try:
        config = PipelineConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError([describe_error(label, err) for err in exc.errors()]) from None
    problems = [f"{label}: {p}" for p in _cross_checks(config)]
    if problems:
        raise ConfigError(problems)
    return config


def describe_error(label: str, err: Any) -> str:
    """One pydantic error as one line: where (`stages[1].probability`) and what is wrong."""
    where = (
        "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in err["loc"]).lstrip(
            "."
        )
        or "top level"
    )
    message = str(err["msg"]).removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        message = "unknown key (check its spelling)"
    elif err["type"] == "literal_error":
        message = f"{message}, got {err.get('input')!r}"
    elif "input" in err and err["type"] not in ("missing",):
        message = f"{message} (got {err['input']!r})"
    return f"{label}: {where}: {message}"


def _cross_checks(config: PipelineConfig) -> list[str]:
    problems: list[str] = []
    stages = config.stages
    keys = [s.key for s in stages] if stages is not None else [s.key for s in DEFAULT_STAGES]
    if stages is not None:
        seen: set[str] = set()
        for stage in stages:
            if stage.key in seen:
                problems.append(f"stages: duplicate stage key '{stage.key}'")
            seen.add(stage.key)
        outcomes = {s.outcome for s in stages}
        for outcome in ("won", "lost"):
            if outcome not in outcomes:
                problems.append(f'stages: no stage has outcome = "{outcome}"')
        outcome_seen = False
        for stage in stages:
            if stage.outcome:
                outcome_seen = True
            elif outcome_seen:
                problems.append(
                    f"stages: open stage '{stage.key}' comes after an outcome stage; "
                    "list open stages first, then outcomes"
                )
    stage_list = [s.to_stage() for s in stages] if stages is not None else DEFAULT_STAGES
    for status, stage_name in config.status_map.items():
        if stage_key_for(stage_name, stage_list) is None:
            problems.append(
                f"status_map: '{status}' maps to unknown stage '{stage_name}' "
                f"(a stage key or label: {', '.join(keys)})"
            )
    names: set[str] = set()
    for index, source in enumerate(config.sources):
        kind = source.get("kind")
        if kind not in KNOWN_KINDS or kind == "demo":
            known = ", ".join(k for k in KNOWN_KINDS if k != "demo")
            problems.append(f"sources[{index}]: unknown source kind {kind!r} (one of: {known})")
            continue
        if kind == "jira" and not source.get("base_url"):
            problems.append(
                f"sources[{index}]: a jira source needs base_url, your site's address "
                '(e.g. base_url = "https://your-agency.atlassian.net"): Jira has no default'
            )
        name = source_name(source)
        if name in names:
            problems.append(f"sources[{index}]: duplicate source name '{name}'")
        names.add(name)
    return problems


def person_index(people: dict[str, str]) -> dict[str, str]:
    """`[people]` keyed by normalised name/e-mail, for case- and accent-blind look-ups."""
    return {normalise(name): user for name, user in people.items()}


def slack_user(index: Mapping[str, str], owner: str | None, email: str | None) -> str | None:
    """The Slack user `[people]` (as `person_index`) gives an owner, by name then e-mail.

    The one rule for every place that names an owner in Slack: an @mention in an answer and
    the DM a nudge goes to must never disagree.
    """
    for key in (owner, email):
        if key and normalise(key) in index:
            return index[normalise(key)]
    return None


def __getattr__(name: str) -> Any:
    """`from bot.settings import Secrets` still works, importing pydantic-settings only then."""
    if name == "Secrets":
        from bot.secrets import Secrets

        return Secrets
    raise AttributeError(name)
