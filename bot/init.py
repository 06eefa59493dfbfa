"""`pipeline-bot init`: commented starter `pipeline.toml` and `.env.example`; never overwrites."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

STARTER_FILES = {
    "pipeline.toml": "templates/pipeline.toml",
    ".env.example": "templates/env.example",
}


def write_starter_files(folder: Path) -> list[str]:
    """Write each starter file that is not there yet; say what was done with each."""
    report = []
    for name, template in STARTER_FILES.items():
        target = folder / name
        if target.exists():
            report.append(f"{name}: already exists, left as it is")
            continue
        target.write_text(resources.files("bot").joinpath(template).read_text("utf-8"), "utf-8")
        report.append(f"{name}: written")
    report.append("Next: edit pipeline.toml ([[sources]]), copy .env.example to .env, then run "
                  "`pipeline-bot check`.")  # fmt: skip
    return report
