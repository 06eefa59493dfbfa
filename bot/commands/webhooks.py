"""`pipeline-bot webhooks register|list|remove`: the task managers' change notifications that
point at `serve`'s `/webhooks/<source name>`.

Glue only: each configured task-manager source is asked through its adapter (the tool's own API),
and the ids the tools give are kept in the store so `list` and `remove` find them again. A tool
that refuses is said in one line and the others go on (exit 1 when any refused); sheets send no
notifications and are said skipped.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from bot.commands.common import open_store
from bot.errors import UsageError
from bot.i18n import localise, said_of, t
from bot.settings import Settings
from bot.terminal import echo
from integrations.base import Adapter, adapter_class, https_or_local, source_name


def webhooks(settings: Settings, args: argparse.Namespace,
             http_options: dict[str, Any] | None = None) -> int:  # fmt: skip
    """`pipeline-bot webhooks register --url URL | list | remove [ID…]`, `--source NAME`."""
    from bot.check import validate_sources

    validate_sources(settings)
    action: str = args.action
    names = _chosen_sources(settings, args.source or [])
    if not names:  # a config with no source: nothing to register, list or remove
        echo(t("sync.no_sources", settings.language))
        return 1
    if action == "register":
        if args.ids:
            raise UsageError(t("webhooks.register_ids", settings.language))
        return register(settings, names, _base_url(settings, args.url), http_options)
    if args.url:
        raise UsageError(t("webhooks.url_only_register", settings.language))
    if action == "list":
        return list_hooks(settings, names, http_options)
    return remove(settings, names, list(args.ids), http_options)


def _chosen_sources(settings: Settings, wanted: list[str]) -> list[str]:
    """The configured source names, or those `--source` chose (an unknown one: exit 2)."""
    known = [source_name(raw) for raw in settings.config.sources]
    unknown = sorted(set(wanted) - set(known))
    if unknown:
        raise UsageError(t("webhooks.unknown_source", settings.language,
                           names=", ".join(unknown),
                           known=", ".join(sorted(known)) or "—"))  # fmt: skip
    return [name for name in known if not wanted or name in wanted]


def _base_url(settings: Settings, url: str | None) -> str:
    """The public address of `serve` as given: https (plain http only for this machine), no
    query; a trailing slash is dropped."""
    if not url:
        raise UsageError(t("webhooks.need_url", settings.language))
    base = https_or_local(url)
    parts = urlsplit(url.strip())
    if base is None or parts.query or parts.fragment:
        raise UsageError(t("webhooks.bad_url", settings.language, url=url))
    return base


def hook_url(base: str, source: str) -> str:
    """Where the tool notifies `source`: `<base>/webhooks/<source name>`, the path `serve`
    answers on."""
    from bot.webhooks import source_path

    return base + source_path(source)


class Target(NamedTuple):
    """One chosen source: its adapter, or None with the line that says why (`sheet`: a sheet,
    skipped rather than failed)."""

    name: str
    kind: str
    adapter: Adapter | None
    problem: str = ""
    sheet: bool = False


def _adapters(
    settings: Settings, names: list[str], http_options: dict[str, Any] | None
) -> Iterator[Target]:
    """A `Target` per chosen source, in config order; each adapter is closed after use."""
    from bot.sync import make_adapter

    lang = settings.language
    secrets = settings.secrets.as_env()
    for raw in settings.config.sources:
        name, kind = source_name(raw), str(raw.get("kind"))
        if name not in names:
            continue
        if adapter_class(kind).snapshot:
            yield Target(name, kind, None, t("webhooks.sheet", lang, name=name, kind=kind), True)
            continue
        try:
            adapter = make_adapter(raw, secrets, base_dir=settings.base_dir,
                                   timezone=settings.config.timezone,
                                   http_options=http_options)  # fmt: skip
        except Exception as exc:  # noqa: BLE001 - one source that can't start fails alone
            yield Target(name, kind, None, t("webhooks.failed", lang, name=name, kind=kind,
                                             error=localise(said_of(exc), lang)))  # fmt: skip
            continue
        try:
            yield Target(name, kind, adapter)
        finally:
            adapter.close()


def register(
    settings: Settings, names: list[str], base: str, http_options: dict[str, Any] | None
) -> int:
    """Ask each task manager to notify `<base>/webhooks/<source>`; keep the ids it gives. A
    source already registered at that URL is not registered twice. What `serve` needs to check
    the notifications is kept too: the URL (Trello signs it), a secret the tool made."""
    from bot import webhooks as endpoint
    from integrations.base import SourceError

    lang, failed = settings.language, 0
    store = _store(settings, create=True)
    try:
        stored = store.webhooks()
        for name, kind, adapter, problem, sheet in _adapters(settings, names, http_options):
            if adapter is None:
                echo(problem)
                failed += not sheet
                continue
            url = hook_url(base, name)
            known = next((h for h in stored if h["source"] == name and h["url"] == url), None)
            if known is not None:
                echo(t("webhooks.already", lang, name=name, kind=kind, url=url, id=known["id"]))
                continue
            # the tool may call the URL with its set-up request while it creates the webhook
            endpoint.expect_handshake(store, name, datetime.now(UTC))
            try:
                hook = adapter.register_webhook(url)
            except SourceError as exc:
                echo(t("webhooks.refused", lang, name=name, kind=kind,
                       error=localise(said_of(exc), lang)))  # fmt: skip
                failed += 1
                continue
            store.add_webhook(name, hook.id, hook.url or url, datetime.now(UTC))
            endpoint.remember_url(store, name, hook.url or url)  # Trello signs it
            echo(t("webhooks.registered", lang, name=name, kind=kind, url=hook.url or url,
                   id=hook.id))  # fmt: skip
            if hook.secret:  # made by the tool and handed over once (ClickUp)
                endpoint.keep_secret(store, name, hook.secret)
                echo(t("webhooks.secret_kept", lang))
    finally:
        store.close()
    return 1 if failed else 0


def list_hooks(settings: Settings, names: list[str], http_options: dict[str, Any] | None) -> int:
    """The stored webhooks of the chosen sources, each checked against the tool's own list
    (one that the tool no longer has is said gone)."""
    from integrations.base import SourceError

    lang = settings.language
    store = _store(settings)
    try:
        stored = [h for h in store.webhooks() if h["source"] in names]
    finally:
        store.close()
    if not stored:
        echo(t("webhooks.none", lang))
        return 0
    with_hooks = sorted({h["source"] for h in stored})
    for name, kind, adapter, problem, _ in _adapters(settings, with_hooks, http_options):
        live: set[str] | None = None
        note = ""
        if adapter is None:
            note = t("webhooks.unchecked", lang, error=problem)
        else:
            try:
                live = {hook.id for hook in adapter.list_webhooks()}
            except SourceError as exc:
                note = t("webhooks.unchecked", lang, error=localise(said_of(exc), lang))
        for hook in (h for h in stored if h["source"] == name):
            state = note or t("webhooks.active" if live and hook["id"] in live
                              else "webhooks.gone", lang)  # fmt: skip
            echo(t("webhooks.row", lang, name=name, kind=kind, id=hook["id"], url=hook["url"],
                   created=hook["created"], state=state))  # fmt: skip
    return 0


def remove(
    settings: Settings, names: list[str], ids: list[str], http_options: dict[str, Any] | None
) -> int:
    """Stop the stored webhooks `ids` (all of the chosen sources' when none given) through each
    tool's API, then forget them; one the tool refuses to stop stays stored (exit 1)."""
    from integrations.base import SourceError

    lang, failed = settings.language, 0
    store = _store(settings)
    try:
        stored = [h for h in store.webhooks() if h["source"] in names]
        unknown = sorted(set(ids) - {h["id"] for h in stored})
        if unknown:
            raise UsageError(t("webhooks.unknown_id", lang, ids=", ".join(unknown)))
        chosen = [h for h in stored if not ids or h["id"] in ids]
        if not chosen:
            echo(t("webhooks.none", lang))
            return 0
        for name, kind, adapter, problem, _ in _adapters(
            settings, sorted({h["source"] for h in chosen}), http_options
        ):
            for hook in (h for h in chosen if h["source"] == name):
                if adapter is None:
                    echo(t("webhooks.not_removed", lang, name=name, kind=kind, id=hook["id"],
                           error=problem))  # fmt: skip
                    failed += 1
                    continue
                try:
                    adapter.remove_webhook(hook["id"])
                except SourceError as exc:
                    echo(t("webhooks.not_removed", lang, name=name, kind=kind, id=hook["id"],
                           error=localise(said_of(exc), lang)))  # fmt: skip
                    failed += 1
                    continue
                store.forget_webhook(name, hook["id"])
                echo(t("webhooks.removed", lang, name=name, kind=kind, id=hook["id"],
                       url=hook["url"]))  # fmt: skip
    finally:
        store.close()
    return 1 if failed else 0


def _store(settings: Settings, *, create: bool = False) -> Any:
    """The store (`register` creates the database file; `list` and `remove` need one)."""
    if create:
        from bot.store import Store

        return Store.open(settings.db_path, settings.pipeline, settings.source_names)
    return open_store(settings)
