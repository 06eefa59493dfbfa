"""`pipeline-bot check`: is everything in place? Exit 0 all well, 1 needs attention, 2 invalid.

Missing credentials of a configured source and statuses no stage claims need attention; Slack
tokens (needed only by `serve`, `nudge` and `digest`) are reported as information.
"""

from __future__ import annotations

from pydantic import ValidationError

from bot.settings import ConfigError, Settings, describe_error
from integrations.base import Adapter, SourceError, adapter_class, source_name, validate_source

SLACK_TOKENS = ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET")


def validate_sources(settings: Settings) -> list[type[Adapter]]:
    """Each `[[sources]]` table against its adapter's own model; ConfigError lists the problems."""
    problems: list[str] = []
    classes: list[type[Adapter]] = []
    label = settings.config_path.name if settings.config_path else "pipeline.toml"
    for index, raw in enumerate(settings.config.sources):
        try:
            validated = validate_source(raw, timezone=settings.config.timezone,
                                        base_dir=settings.base_dir)  # fmt: skip
            classes.append(adapter_class(validated.kind))
        except SourceError as exc:
            problems.append(f"{label}: sources[{index}]: {exc}")
        except ValidationError as exc:
            where = f"{label}: sources[{index}] ({raw.get('kind')})"
            problems += [describe_error(where, err) for err in exc.errors()]
    if problems:
        raise ConfigError(problems)
    return classes


def run_check(settings: Settings) -> int:
    from bot.store import Store

    attention = 0
    where = settings.config_path or "built-in defaults (no pipeline.toml found)"
    classes = validate_sources(settings)  # an invalid source: ConfigError, exit 2, before "valid"
    print(f"Config: {where}: valid")
    secrets = settings.secrets.as_env()
    if not settings.config.sources:
        print("Sources: none configured (add a [[sources]] table to sync deals)")
    for raw, cls in zip(settings.config.sources, classes, strict=True):
        name = source_name(raw)
        missing = [s for s in cls.secret_names if not secrets.get(s)]
        if missing:
            attention += 1
            print(f"Source '{name}' ({cls.kind}): missing {', '.join(missing)} "
                  "(set in the environment or .env)")  # fmt: skip
        else:
            print(f"Source '{name}' ({cls.kind}): credentials present")
    slack_missing = [s for s in SLACK_TOKENS if not secrets.get(s)]
    if slack_missing:
        print(f"Slack (info): {', '.join(slack_missing)} not set; needed only by serve, nudge "
              "and digest")  # fmt: skip
    else:
        print("Slack: tokens present")
    if settings.db_path.exists():
        store = Store(settings.db_path)
        try:
            store.ensure_mapping(settings.pipeline)
            unmapped = store.unmapped_statuses()
            deals = store.scalar("SELECT COUNT(*) FROM deals WHERE removed = 0")
        finally:
            store.close()
        print(f"Database: {settings.db_path}: {deals} deal(s)")
        if unmapped:
            attention += 1
            print("Statuses no stage claims (add them to [status_map]):")
            for row in unmapped:
                print(f"  « {row['status']} »: {row['count']} deal(s)")
    else:
        print(f"Database: {settings.db_path} does not exist yet (run `pipeline-bot sync`)")
    if attention:
        print(f"{attention} thing(s) need attention.")
        return 1
    print("All well.")
    return 0


__all__ = ["ConfigError", "run_check", "validate_sources"]
