"""Regenerate the example charts in docs/charts/ from the bundled demo agency (so they never drift).

Run: `python scripts/make_doc_charts.py`. Loads the demo into a temporary database as of a fixed
date and writes, through `pipeline-bot query WORDS --png`, the summary, forecast, funnel and
owners charts in French (the default language) and the forecast in English.
"""

from __future__ import annotations

import contextlib
import io
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.cli import main  # noqa: E402
from bot.demo import demo_config_path, demo_settings, run_demo  # noqa: E402

OUT = ROOT / "docs" / "charts"
AS_OF = "2026-11-27"
CHARTS = [("summary", "summary", "fr"), ("forecast", "forecast", "fr"), ("funnel", "funnel", "fr"),
          ("owners", "owners", "fr"), ("forecast", "forecast-en", "en")]  # fmt: skip


def make(out: Path = OUT) -> list[Path]:
    """Write every example chart into `out`; returns their paths."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "demo.db"
        with contextlib.redirect_stdout(io.StringIO()):  # the demo's own printout
            run_demo(demo_settings(None, str(db)), datetime(2026, 11, 27, 11, tzinfo=UTC))
        for words, name, language in CHARTS:
            config = Path(folder) / f"{language}.toml"
            text = demo_config_path().read_text(encoding="utf-8")
            config.write_text(text.replace('language = "fr"', f'language = "{language}"'),
                              encoding="utf-8")  # fmt: skip
            path = out / f"{name}.png"
            with contextlib.redirect_stdout(io.StringIO()):  # the text answer
                code = main(["--config", str(config), "--db", str(db), "query", words, "--png",
                             str(path), "--as-of", AS_OF])  # fmt: skip
            if code != 0:
                raise SystemExit(f"query {words} --png failed ({code})")
            written.append(path)
    return written


if __name__ == "__main__":
    for path in make():
        print(path.relative_to(ROOT))
