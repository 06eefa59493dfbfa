"""Settings: `pipeline.toml` (what the agency decides) + environment/.env (secrets only).

Built once in `main()` or `build_app(settings)` and passed down: no module-level instance. The TOML
is read with `tomllib` so a syntax error can name its line; secrets come from pydantic-settings so
they stay `SecretStr` and never reach a log. Plain settings are *not* read from the environment:
`LANGUAGE` or `TIMEZONE` variables set by the OS must not silently change the bot's language.
"""

from __future__ import annotations

import hashlib
import json
import os
import tomllib
from collections.abc import Mapping
from dataclasses import replace
from datetime import tzinfo
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast
from zoneinfo import ZoneInfo

from bot.clock import DaysOff
from bot.db.target import DbTarget, describe, from_text, is_postgres
from bot.pipeline import (
    CLIENT_COURT_STATUS,
    DEFAULT_STAGES,
    Pipeline,
    Stage,
    normalise,
)
from integrations.kinds import source_name

if TYPE_CHECKING:
    from bot.config_schema import PipelineConfig
    from bot.secrets import Secrets

CONFIG_ENV = "PIPELINE_CONFIG"
DB_ENV = "PIPELINE_DB"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

Localised = str | dict[Literal["en", "fr"], str]


class ConfigError(Exception):
    """An invalid configuration: one line per problem (a `Said` where it can be), printed in
    `language`: the config's own `language` when it could be read, else French (the default)."""

    def __init__(self, problems: list[str], language: str = "fr"):
        self.problems = problems
        self.language = language
        super().__init__("\n".join(problems))


def _localised(value: Localised | None) -> dict[str, str]:
    if value is None or value == "":
        return {}
    if isinstance(value, str):
        return {"en": value, "fr": value}
    return {str(lang): text for lang, text in value.items()}


def stage_from_config(stage: Any) -> Stage:
    """A `[[stages]]` table, validated (`StageConfig`) or read back from the cache, as a Stage."""
    return Stage(
        key=stage.key,
        labels=_localised(stage.label) or {"en": stage.key},
        probability=stage.probability,
        stall_days=stage.stall_days,
        next_steps=_localised(stage.next_step),
        outcome=stage.outcome,
        waiting_on=stage.waiting_on,
        status=getattr(stage, "status", None),
    )


class Settings:
    """The one settings object: the validated config, the secrets, and resolved paths.

    `secrets` may be given (tests); otherwise they are read from the environment and `env_files`
    on first use, so commands that need no token never import pydantic-settings.
    """

    def __init__(
        self,
        config: PipelineConfig,
        secrets: Secrets | None = None,
        db_path: DbTarget | None = None,
        config_path: Path | None = None,
        base_dir: Path | None = None,
        env_files: tuple[Path, ...] = (),
    ) -> None:
        self.config = config
        self._secrets = secrets
        #: the store: a SQLite file's path, or a PostgreSQL URL (text; see bot/db/target.py)
        self.db_path: DbTarget = db_path or Path("pipeline.db")
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
    def source_names(self) -> tuple[str, ...]:
        """The names of the configured `[[sources]]` (their deals are the only ones answered)."""
        return tuple(source_name(raw) for raw in self.config.sources)

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

    @property
    def db_description(self) -> str:
        """The store as messages show it: the path, or the URL with its password masked."""
        return describe(self.db_path)

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
    config = validated(raw, label)
    base_dir = path.resolve().parent if path else cwd
    env_files = [p for p in (base_dir / ".env", cwd / ".env") if p.exists()]
    settings = Settings(config=config, env_files=tuple(dict.fromkeys(env_files)), config_path=path,
                        base_dir=base_dir)  # fmt: skip
    chosen = db_path or os.environ.get(DB_ENV)
    if chosen:
        settings.db_path = from_text(chosen)
    elif config.db:
        db = config.db
        settings.db_path = db.strip() if is_postgres(db) else settings.resolve(db)
    else:
        settings.db_path = cwd / "pipeline.db"
    if is_postgres(settings.db_path):
        libpq_environment(settings.env_files)
    return settings


def libpq_environment(env_files: tuple[Path, ...]) -> None:
    """The `PG…` variables of the `.env` files (PGPASSWORD above all: a password kept out of
    the URL) into this process's environment, where libpq reads them; the environment's own
    values win, as they do for every secret."""
    from dotenv import dotenv_values

    for env_file in reversed(env_files):  # the last file wins, as it does for the secrets
        for name, value in dotenv_values(env_file).items():
            if name.startswith("PG") and value is not None:
                os.environ.setdefault(name, value)


def read_toml(path: Path) -> dict[str, Any]:
    from bot.i18n import Said

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([Said("config.no_file", path=str(path))]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([Said("config.unreadable", path=str(path), error=str(exc))]) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([Said("config.malformed", path=path.name, error=str(exc))]) from None


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


# --- the validated-config cache ---------------------------------------------------------------


def validated(raw: dict[str, Any], label: str) -> PipelineConfig:
    """`validate_config(raw)`, read back from the cache when this very config was validated before
    by this very code: a command then never imports pydantic (a tenth of a second of start-up,
    more than the rest of a `query`). An invalid config is never cached: it is validated, and
    its problems listed, every time."""
    path = _cache_file(raw)
    if path is not None and path.exists():
        try:
            return cast("PipelineConfig", _cached_config(json.loads(path.read_bytes())))
        except (OSError, ValueError, KeyError, TypeError):
            path.unlink(missing_ok=True)  # unreadable: validated and written again below
    from bot.config_schema import validate_config

    config = validate_config(raw, label)
    if path is not None:
        _write_cache(path, config)
    return config


#: The code that turns a TOML table into a validated config: part of the cache key.
SCHEMA_FILES = ("bot/config_schema.py", "bot/settings.py", "bot/pipeline.py",
                "integrations/kinds.py")  # fmt: skip


def _cache_file(raw: dict[str, Any]) -> Path | None:
    """`~/.cache/pipeline-bot/config-<key>.json`: the key hashes the config and the schema's code
    (None: a config that is not plain JSON data, e.g. a TOML date, is not cached)."""
    try:
        text = json.dumps(raw, sort_keys=True, ensure_ascii=False)
    except (TypeError, ValueError):
        return None
    key = hashlib.blake2b(text.encode(), digest_size=16)
    here = Path(__file__).parent.parent
    for name in SCHEMA_FILES:
        key.update((here / name).read_bytes())
    home = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(home) / "pipeline-bot" / f"config-{key.hexdigest()}.json"


def _write_cache(path: Path, config: PipelineConfig) -> None:
    """Written whole or not at all (a temporary file renamed); a read-only home skips it."""
    from pydantic import BaseModel

    # the tables (`[nudges]`, `[digest]`…) by name, so reading back needs no model
    tables = [name for name, value in config if isinstance(value, BaseModel)]
    try:
        text = json.dumps({"tables": tables, "values": config.model_dump()}, ensure_ascii=False)
    except (TypeError, ValueError):
        return  # a value JSON cannot hold: this config is validated every time
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(path)
    except OSError:
        return  # no cache: validated every time


class _Table:
    """A config table read back from the cache: its values as attributes, as the model has them."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self.__dict__.update(values)


class _CachedStage(_Table):
    def to_stage(self) -> Stage:
        return stage_from_config(self)


def _cached_config(cached: dict[str, Any]) -> _Table:
    values = cached["values"]
    tables = {name: _Table(values[name]) for name in cached["tables"]}
    stages = values["stages"]
    listed = None if stages is None else [_CachedStage(stage) for stage in stages]
    return _Table({**values, **tables, "stages": listed})
