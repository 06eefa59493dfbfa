"""What the rest of the project needs to know about the sources, derived from the adapters.

Each adapter declares its `kind`, `secret_names`, `overlap` and `docs` (a `SourceDocs`) once,
in its own module. From those, this module writes the parts of other files that list the
sources: the kind table of `integrations/kinds.py` (read by every command without importing an
adapter, and by `bot/secrets.py` for the `Secrets` fields), the task-manager lines of both
`.env.example` files, and the tables of docs/sources.md and docs/configuration.md. Each part
sits between a `begin NAME` and an `end NAME` marker line; the rest of each file is written by
hand. After adding or changing a source, run `python -m integrations.catalogue`;
tests/integrations/test_catalogue.py fails while a file differs from what it writes.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from integrations.base import Adapter, registered

ROOT = Path(__file__).resolve().parent.parent
KINDS = ROOT / "integrations" / "kinds.py"
ENV_FILES = (ROOT / "bot" / "templates" / "env.example", ROOT / "deploy" / ".env.example")
SOURCES_DOC = ROOT / "docs" / "sources.md"
CONFIG_DOC = ROOT / "docs" / "configuration.md"
STARTER_CONFIG = ROOT / "bot" / "templates" / "pipeline.toml"
COMMAND = "python -m integrations.catalogue"

AdapterClass = type[Adapter[Any]]


def adapters() -> list[AdapterClass]:
    """Every adapter of this package: each module is imported, so `@register` records it. Sheets
    first (the first source most agencies use), then by kind."""
    import integrations

    for module in pkgutil.iter_modules(integrations.__path__):
        if module.name != "catalogue":
            importlib.import_module(f"integrations.{module.name}")
    return sorted(registered(), key=lambda cls: (not cls.snapshot, cls.kind))


def secret_names(cls: AdapterClass) -> tuple[str, ...]:
    """Every secret a kind reads from the environment or `.env`: those it needs to read, then
    the optional one its webhooks are signed with."""
    return (*cls.secret_names, *([cls.webhook_secret_name] if cls.webhook_secret_name else []))


def kinds_table(found: Sequence[AdapterClass]) -> str:
    """The tables of `integrations/kinds.py`: plain literals, so reading them imports nothing."""
    lines = [
        "#: Every kind, with the module that implements it.",
        "KNOWN_KINDS: dict[str, str] = {",
    ]
    lines += [f'    "{cls.kind}": "{cls.__module__}",' for cls in found]
    lines += [
        "}",
        "",
        "#: The secrets each kind reads from the environment or `.env` (`bot.secrets.Secrets` has",
        "#: a field for each).",
        "SECRET_NAMES: dict[str, tuple[str, ...]] = {",
    ]
    for cls in found:
        names = [f'"{name}"' for name in secret_names(cls)]
        written = f"({names[0]},)" if len(names) == 1 else f"({', '.join(names)})"
        lines.append(f'    "{cls.kind}": {written},')
    lines.append("}")
    return "\n".join(lines)


#: The `.env.example` section of the sources' secrets: this line to the next empty one (the
#: users' files carry no markers).
ENV_HEADER = "# --- Task managers (only the ones your [[sources]] use)"


def env_lines(found: Sequence[AdapterClass]) -> str:
    """The task-manager part of `.env.example`: where to get each secret, then its line."""
    lines = [ENV_HEADER + " " + "-" * (95 - len(ENV_HEADER))]
    for cls in found:
        if cls.docs is None or not secret_names(cls):
            continue
        lines += textwrap.wrap(f"{cls.docs.title}: {cls.docs.secrets}", 97,
                               initial_indent="# ", subsequent_indent="# ")  # fmt: skip
        lines += [f"{name}=" for name in cls.secret_names]
    return "\n".join(lines)


#: The `.env.example` section of the secrets that sign the tools' change notifications.
WEBHOOKS_HEADER = "# --- Change notifications (`serve`'s POST /webhooks/<source>; docs/webhooks.md)"


def webhook_env_lines(found: Sequence[AdapterClass]) -> str:
    """The webhook part of `.env.example`: what each tool signs its notifications with."""
    lines = [
        WEBHOOKS_HEADER + " " + "-" * (95 - len(WEBHOOKS_HEADER)),
        "# Each tool signs its notifications; a bad or missing signature is refused (401).",
    ]
    for cls in found:
        if cls.docs is not None and cls.webhook_secret_name:
            lines += textwrap.wrap(f"{cls.docs.title}: {cls.docs.webhooks}", 97,
                                   initial_indent="# ", subsequent_indent="# ")  # fmt: skip
            lines.append(f"{cls.webhook_secret_name}=")
    return "\n".join(lines)


def _row(*cells: str) -> str:
    return "| " + " | ".join(cells) + " |"


def sources_table(found: Sequence[AdapterClass]) -> str:
    """docs/sources.md: each kind, its keys, secrets, and where status and history come from."""
    lines = [_row("kind", "its key", "secrets", "status is", "history from"), _row(*["---"] * 5)]
    for cls in found:
        if cls.docs is not None:
            secrets = ", ".join(f"`{name}`" for name in cls.secret_names) or "—"
            if cls.webhook_secret_name:
                secrets += f" (webhooks: `{cls.webhook_secret_name}`)"
            lines.append(_row(f"`{cls.kind}`", cls.docs.key, secrets, cls.docs.status,
                              cls.docs.history))  # fmt: skip
    return "\n".join(lines)


def check_table(found: Sequence[AdapterClass]) -> str:
    """docs/sources.md: the one request `check` makes to each task manager."""
    lines = [_row("kind", "request"), _row("---", "---")]
    lines += [_row(f"`{cls.kind}`", cls.docs.check) for cls in found
              if cls.docs is not None and cls.docs.check]  # fmt: skip
    return "\n".join(lines)


def secrets_table(found: Sequence[AdapterClass]) -> str:
    """docs/configuration.md: each task manager's variables and where to get them."""
    lines = [_row("variable", "used by"), _row("---", "---")]
    for cls in found:
        if cls.docs is not None and secret_names(cls):
            names = ", ".join(f"`{name}`" for name in secret_names(cls))
            used = f"`{cls.kind}` sources: {cls.docs.secrets}"
            if cls.webhook_secret_name:
                used += (f" `{cls.webhook_secret_name}`, only for `serve`'s change notifications "
                         f"([webhooks.md](webhooks.md)): {cls.docs.webhooks}")  # fmt: skip
            lines.append(_row(names, used))
    return "\n".join(lines)


def kinds_line(found: Sequence[AdapterClass]) -> str:
    """The starter `pipeline.toml`'s list of kinds (one line: the user's file carries no
    markers; it is the line that starts `# kind: `)."""
    return "# kind: " + " | ".join(cls.kind for cls in found if cls.docs is not None)


#: Each generated part: the file, the part's name, its comment prefix, and how it is written.
PARTS: list[tuple[Path, str, str, Callable[[Sequence[AdapterClass]], str]]] = [
    (KINDS, "kinds", "#", kinds_table),
    *[(path, ENV_HEADER, "paragraph", env_lines) for path in ENV_FILES],
    *[(path, WEBHOOKS_HEADER, "paragraph", webhook_env_lines) for path in ENV_FILES],
    (SOURCES_DOC, "sources table", "<!--", sources_table),
    (SOURCES_DOC, "check table", "<!--", check_table),
    (CONFIG_DOC, "source secrets", "<!--", secrets_table),
    (STARTER_CONFIG, "# kind: ", "", kinds_line),
]


def _markers(name: str, prefix: str) -> tuple[str, str]:
    close = " -->" if prefix == "<!--" else ""
    return (f"{prefix} begin {name}: written by `{COMMAND}` from the adapters{close}",
            f"{prefix} end {name}{close}")  # fmt: skip


def splice(text: str, name: str, prefix: str, body: str) -> str:
    """`text` with the lines between the `begin name` and `end name` markers replaced by `body`
    (with no `prefix`: the line that starts with `name`; with "paragraph", that line and the
    next ones up to an empty line)."""
    if prefix in ("", "paragraph"):  # the line that starts with `name` (and those up to the
        lines = text.split("\n")  # next empty one, for a paragraph)
        at = next((n for n, line in enumerate(lines) if line.startswith(name)), None)
        if at is None:
            raise ValueError(f"no line starts with {name!r}")
        after = at + 1
        while prefix and after < len(lines) and lines[after].strip():
            after += 1
        return "\n".join([*lines[:at], body, *lines[after:]])
    begin, end = _markers(name, prefix)
    head, found, rest = text.partition(begin + "\n")
    _, found_end, tail = rest.partition(end + "\n")
    if not found or not found_end:
        raise ValueError(f"the markers of '{name}' are missing: {begin!r} … {end!r}")
    return f"{head}{begin}\n{body}\n{end}\n{tail}"


def render(found: Sequence[AdapterClass]) -> dict[Path, str]:
    """Every file with a generated part, as it should read for the adapters `found`."""
    texts: dict[Path, str] = {}
    for path, name, prefix, write in PARTS:
        text = texts.get(path) or path.read_text(encoding="utf-8")
        texts[path] = splice(text, name, prefix, write(found))
    return texts


def main() -> int:
    """Rewrite the generated parts; say which files changed."""
    for path, text in render(adapters()).items():
        if path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            print(f"rewrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
