"""`pipeline-bot init`: commented starter `pipeline.toml` and `.env.example`; never overwrites."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from bot.i18n import t

STARTER_FILES = {
    "pipeline.toml": "templates/pipeline.toml",
    ".env.example": "templates/env.example",
}


def write_starter_files(folder: Path, language: str = "fr") -> list[str]:
    """Write each starter file that is not there yet; say what was done with each, in
    `language` (that of an existing pipeline.toml; French, the starter's own, otherwise)."""
    report = []
    for name, template in STARTER_FILES.items():
        target = folder / name
        if target.exists():
            report.append(t("init.exists", language, name=name))
            continue
        target.write_text(resources.files("bot").joinpath(template).read_text("utf-8"), "utf-8")
        report.append(t("init.written", language, name=name))
    report.append(t("init.next", language))
    return report
