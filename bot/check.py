"""`pipeline-bot check`: is everything in place? Exit 0 all well, 1 needs attention, 2 invalid.

Missing credentials of a configured source and statuses no stage claims need attention; Slack
tokens (needed only by `serve`, `nudge` and `digest`) are reported as information.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from bot.config_schema import describe_error
from bot.db.target import exists
from bot.i18n import Said, localise, said_of, t
from bot.settings import ConfigError, Settings
from bot.sheets import check_sheet
from bot.terminal import echo
from integrations.base import (
    Adapter,
    SourceError,
    TargetNotFound,
    adapter_class,
    source_name,
    validate_source,
)

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
            problems.append(
                Said("config.line", label=label, problem=Said("config.source", index=index,
                                                              problem=said_of(exc)))
            )  # fmt: skip
        except ValidationError as exc:
            source = f"sources[{index}] ({raw.get('kind')})"
            where = Said("config.line", label=label, problem=source)
            problems += [describe_error(where, err) for err in exc.errors()]
    if problems:
        raise ConfigError(problems, settings.language)
    return classes


#: How patient `check`'s one request is: a refused or silent host ends in seconds.
PROBE_HTTP_OPTIONS: dict[str, Any] = {
    "max_retries": 1,
    "max_total_wait": 5.0,
    "timeout": (5.0, 10.0),
}


def check_tool(
    settings: Settings,
    raw: dict[str, Any],
    secrets: dict[str, str],
    http_options: dict[str, Any] | None = None,
) -> int:
    """One authenticated request for the source's board, project or list (`Adapter.probe`),
    said in one line; nothing is written. Returns 1 when it needs attention (a refused token,
    an unknown board, any other failure), else 0."""
    from bot.sync import make_adapter
    from integrations.http import AuthError, HttpError

    lang, name, kind = settings.language, source_name(raw), str(raw.get("kind"))
    # A person is waiting for this answer: one retry and a few seconds, not a sync's patience.
    options = {**PROBE_HTTP_OPTIONS, **(http_options or {})}
    try:
        adapter = make_adapter(raw, secrets, base_dir=settings.base_dir,
                               timezone=settings.config.timezone,
                               http_options=options)  # fmt: skip
    except Exception as exc:  # noqa: BLE001 - check reports, it never stops on a source
        echo(t("check.tool.failed", lang, name=name, kind=kind, error=localise(said_of(exc), lang)))
        return 1
    noun = t(f"check.target.{adapter.target_setting}", lang)
    try:
        title = adapter.probe()
    except AuthError as exc:
        echo(t("check.tool.refused", lang, name=name, kind=kind, status=exc.status,
                names=" / ".join(adapter.secret_names)))  # fmt: skip
        return 1
    except (TargetNotFound, HttpError) as exc:
        if isinstance(exc, HttpError) and exc.status not in (400, 404):
            echo(t("check.tool.failed", lang, name=name, kind=kind,
                    error=localise(said_of(exc), lang)))  # fmt: skip
            return 1
        detail = f"HTTP {exc.status}" if isinstance(exc, HttpError) else str(exc)
        echo(t("check.tool.unknown", lang, name=name, kind=kind, noun=noun,
                target=adapter.target, detail=detail, setting=adapter.target_setting))  # fmt: skip
        return 1
    except Exception as exc:  # noqa: BLE001 - check reports, it never stops on a source
        echo(t("check.tool.failed", lang, name=name, kind=kind,
                error=localise(said_of(exc), lang) or type(exc).__name__))  # fmt: skip
        return 1
    finally:
        adapter.close()
    echo(t("check.tool.ok", lang, name=name, kind=kind, noun=noun, title=title,
            target=adapter.target))  # fmt: skip
    return 0


def run_check(settings: Settings, http_options: dict[str, Any] | None = None) -> int:
    from bot.store import Store

    attention = 0
    lang = settings.language
    where = settings.config_path or t("check.defaults", lang)
    classes = validate_sources(settings)  # an invalid source: ConfigError, exit 2, before "valid"
    echo(t("check.valid", lang, where=where))
    secrets = settings.secrets.as_env()
    if not settings.config.sources:
        echo(t("check.no_sources", lang))
    for raw, cls in zip(settings.config.sources, classes, strict=True):
        name = source_name(raw)
        if cls.kind == "csv":  # a sheet is read, as sync would, and shown; nothing written
            attention += check_sheet(settings, raw, _stored(settings, name))
            continue
        missing = [s for s in cls.secret_names if not secrets.get(s)]
        if missing:
            attention += 1
            echo(t("check.missing", lang, name=name, kind=cls.kind, names=", ".join(missing)))
        else:
            attention += check_tool(settings, raw, secrets, http_options)
    for env_file in settings.env_files:
        mode = env_file.stat().st_mode & 0o777
        if mode & 0o077:  # group or others may read (or write) the tokens
            attention += 1
            echo(t("check.env_open", lang, path=env_file, mode=f"{mode:o}"))
    slack_missing = [s for s in SLACK_TOKENS if not secrets.get(s)]
    if slack_missing:
        echo(t("check.slack_info", lang, names=", ".join(slack_missing)))
    else:
        echo(t("check.slack_ok", lang))
    if exists(settings.db_path):
        from bot.analytics.unmapped import unmapped
        from bot.answers import context_for

        store = Store.open(settings.db_path, settings.pipeline, settings.source_names)
        try:
            # the very list `query unmapped` gives, empty statuses included
            unclaimed = unmapped(store, context_for(settings, datetime.now(UTC))).statuses
            deals = store.scalar("SELECT COUNT(*) FROM deals WHERE removed = 0")
            hidden = store.hidden_sources()
        finally:
            store.close()
        echo(t("check.database", lang, path=settings.db_description, n=deals))
        for source, count in hidden:
            attention += 1
            echo(t("check.hidden_source", lang, source=source, n=count))
        if unclaimed:
            attention += 1
            echo(t("check.unmapped", lang))
            for row in unclaimed:
                echo(t("check.unmapped_line", lang, status=row.quoted(lang), n=row.count))
    else:
        echo(t("check.no_database", lang, path=settings.db_description))
    if attention:
        echo(t("check.attention", lang, n=attention))
        return 1
    echo(t("check.all_well", lang))
    return 0


def _stored(settings: Settings, source: str) -> int | None:
    """Live deals the store holds from `source`; None when there is no database yet."""
    from bot.store import Store

    if not exists(settings.db_path):
        return None
    store = Store(settings.db_path)
    try:
        return store.live_count(source)
    finally:
        store.close()


__all__ = ["ConfigError", "run_check", "validate_sources"]
