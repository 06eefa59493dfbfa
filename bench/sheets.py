"""Benchmark: a French Excel sheet (cp1252, `;`, no id column) through the real sync, by size.

For each size, a fresh process writes the sheet into a temporary folder and syncs it into a real
SQLite file with the real CSV adapter and sync engine (no `[sources.fields]`: headers recognised),
then prints rows/s and the process's peak memory (max RSS). Each row repeats a title for two
clients, so the client + title identity rule is exercised.

    python bench/sheets.py                     # 20,000 and 200,000 rows
    python bench/sheets.py --rows 10000 100000 800000

What to look for: the sheet is read as a stream (never whole in memory), so peak memory grows
only with the identity bookkeeping (8-byte digests, about 60 bytes a row), not with cell text.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

HEADER = "Affaire;Société;Commercial;Statut;Montant HT;Clôture prévue;Notes\r\n"
ROW = ("Site vitrine n° {t};Société {c};Marie Dupont;Appel et devis;4\xa0500,00 €;15/01/2027;"
       "Relancer après la réunion du comité, devis envoyé, attente du retour\r\n")  # fmt: skip


def measure(rows: int, out: Any) -> None:
    from bot.pipeline import DEFAULT_STAGES, Pipeline
    from bot.store import Store
    from bot.sync import make_adapter, sync_source

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "affaires.csv"
        with path.open("wb") as sheet:
            sheet.write(HEADER.encode("cp1252"))
            for i in range(rows):  # each title twice, for two clients
                sheet.write(ROW.format(t=i // 2, c=i).encode("cp1252"))
        store = Store(Path(folder) / "pipeline.db")
        adapter = make_adapter({"kind": "csv", "name": "sheet", "path": str(path)}, {})
        began = time.perf_counter()
        result = sync_source(store, Pipeline(DEFAULT_STAGES), adapter)
        seconds = time.perf_counter() - began
        stored = store.live_count("sheet")
        store.close()
        out.put({
            "rows": rows, "mb": path.stat().st_size / 2**20, "seconds": seconds,
            "stored": stored, "ok": result.ok,
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        })  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[20_000, 200_000])
    args = parser.parse_args(argv)
    ctx = mp.get_context("spawn")
    print(f"{'rows':>9} {'sheet MB':>9} {'stored':>9} {'rows/s':>9} {'peak MB':>9}")
    for rows in args.rows:
        out = ctx.Queue()
        child = ctx.Process(target=measure, args=(rows, out))
        child.start()
        got = out.get(timeout=3600)
        child.join(timeout=60)
        rate = got["rows"] / got["seconds"]
        print(f"{got['rows']:>9,} {got['mb']:>9.1f} {got['stored']:>9,} {rate:>9,.0f} "
              f"{got['peak_mb']:>9.0f}{'' if got['ok'] else '  FAILED'}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
