"""What charts cost, and that the text path does not pay for them.

    python -m bench.charts [--runs 5]

Prints, as medians of fresh processes: the import of matplotlib's Agg canvas and Figure (what
`bot.charts.render_png` loads), `import matplotlib.pyplot` for comparison (not used), `query
forecast` on the demo without and with `--png`, and the in-process time to draw each of the four
charts of the demo. Figures only: tests never assert on wall-clock time.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def process(code: str, runs: int) -> float:
    """Median seconds of `python -c code` in a fresh process."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def command(args: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "bot.cli", *args], check=True, cwd=ROOT,
                       capture_output=True)  # fmt: skip
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    bare = process("pass", runs)
    agg = process("from matplotlib.backends.backend_agg import FigureCanvasAgg\n"
                  "from matplotlib.figure import Figure", runs)  # fmt: skip
    pyplot = process("import matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot", runs)
    print(f"bare python process:                 {bare * 1000:7.0f} ms")
    print(
        f"+ matplotlib Agg canvas and Figure:  {(agg - bare) * 1000:7.0f} ms (what charts import)"
    )
    print(f"+ matplotlib.pyplot (not used):      {(pyplot - bare) * 1000:7.0f} ms")

    from bot.answers import ask
    from bot.charts import chart_data, chart_style, render_png
    from bot.demo import demo_config_path, demo_settings, run_demo
    from bot.settings import load_settings
    from bot.store import Store

    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "demo.db"
        with contextlib.redirect_stdout(io.StringIO()):
            run_demo(demo_settings(None, str(db)), datetime.now(UTC))
        base = ["--config", str(demo_config_path()), "--db", str(db), "query", "forecast"]
        text = command(base, runs)
        png = command([*base, "--png", str(Path(folder) / "f.png")], runs)
        print(f"query forecast (text):               {text * 1000:7.0f} ms")
        print(f"query forecast --png:                {png * 1000:7.0f} ms")
        settings = load_settings(str(demo_config_path()), str(db))
        store = Store(db)
        for words in ("summary", "forecast", "funnel", "owners"):
            chart = chart_data(ask(settings, store, words, datetime.now(UTC)).result,
                               chart_style(settings))  # fmt: skip
            render_png(chart)  # warm: fonts cached
            times = []
            for _ in range(runs):
                start = time.perf_counter()
                data = render_png(chart)
                times.append(time.perf_counter() - start)
            print(
                f"draw {words:<8} ({len(data) // 1024:3d} KiB):          "
                f"{statistics.median(times) * 1000:7.0f} ms"
            )
        store.close()


if __name__ == "__main__":
    main()
