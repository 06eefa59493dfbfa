"""`python -m bot.cli query ... --json` end to end, in a subprocess, on a small CSV sheet."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import cli, db_target

CSV = """id;title;client;owner;status;amount;probability;expected_close;stage_entered;lost_reason
1;Refonte site;Boulangerie Dupâin;Marie Dupont;appel et devis;10 000 €;;01/04/2026;2026-03-10;
2;Application mobile;Garage Leroy;Marie Dupont;balle dans le camp du client;20000;25 %;2026-03-29;2026-03-23;
3;Logo;Café Zoé;Paul Martin;balle dans le camp du client;;;;2026-03-24;
4;Site vitrine;Dupain & fils;Marie Dupont;travail terminé;8000;30;;2026-02-20;
5;Intranet;Mairie;Paul Martin;écarté;3000;;;2026-02-20;Prix trop élevé
6;Newsletter;Librairie;Paul Martin;En pause;1000;;;2026-03-06;
"""  # noqa: E501

CONFIG = """
timezone = "Europe/Paris"
language = "en"
[[sources]]
kind = "csv"
path = "deals.csv"
[people]
"Marie Dupont" = "U024BE7LH"
"""


def run(folder: Path, *args: str, user: str | None = None) -> subprocess.CompletedProcess[str]:
    return cli(folder, "--config", str(folder / "pipeline.toml"), "--db", str(db_target(folder / "p.db")),
               *args, env={"PIPELINE_USER": user} if user else None)  # fmt: skip


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli")
    (path / "deals.csv").write_text(CSV, encoding="utf-8")
    (path / "pipeline.toml").write_text(CONFIG, encoding="utf-8")
    done = run(path, "sync")
    assert done.returncode == 0, done.stderr
    return path


def query(folder: Path, *words: str, user: str | None = None) -> dict[str, Any]:
    done = run(folder, "query", *words, "--json", "--as-of", "2026-03-30", user=user)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def test_summary_json(folder: Path) -> None:
    body = query(folder, "résumé")
    assert body["query"] == "summary" and body["as_of"] == "2026-03-30T12:00:00+02:00"
    # open: 1 (10 000 × 40 % = 4 000) + 2 (20 000 × 25 % = 5 000) + 3 (no amount)
    assert body["open"] == {"count": 3, "amount": 30000.0, "weighted": 9000.0}
    assert body["unmapped"]["count"] == 1


def test_deal_words_joined_or_quoted(folder: Path) -> None:
    assert query(folder, "deal", "dupain") == query(folder, "deal dupain")
    assert [d["id"] for d in query(folder, "affaire", "DUPAIN")["deals"]] == ["csv:1", "csv:4"]


def test_forecast_stalled_and_mine(folder: Path) -> None:
    forecast = query(folder, "forecast", "2")
    assert [m["month"] for m in forecast["months"]] == ["2026-03", "2026-04"]
    assert forecast["overdue"]["count"] == 1  # deal 2, expected 03-29
    # stalled: 1 idle 20 d ≥ 7; 2 idle 7 d = 7; 3 idle 6 d
    assert [d["id"] for d in query(folder, "stalled")["deals"]] == ["csv:1", "csv:2"]
    mine = query(folder, "mine", user="U024BE7LH")
    assert [d["id"] for d in mine["deals"]] == ["csv:1", "csv:2"]


def test_user_mistakes_exit_2_with_one_line(folder: Path) -> None:
    for words, expected in (
        (["stalld"], "did you mean 'stalled'?"),
        (["changes", "abc"], "'changes' takes a number of days"),
        (["mine"], "set PIPELINE_USER"),
    ):
        done = run(folder, "query", *words)
        assert done.returncode == 2
        assert expected in done.stderr and "Traceback" not in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1


def test_text_output(folder: Path) -> None:
    done = run(folder, "query", "funnel", "--as-of", "2026-03-30")
    assert done.returncode == 0, done.stderr
    assert "Funnel" in done.stdout and "Meeting" in done.stdout


def test_a_search_with_more_matches_than_shown_counts_them_all(tmp_path: Path) -> None:
    """The text answer builds only the deals it can show (25) but counts every match; --json
    lists them all, in pipeline order, each with its history."""
    rows = [f"{n};Site {n};Boulangerie n°{n};Marie Dupont;appel et devis;{n * 100};;;2026-03-{n % 28 + 1:02d};"
            for n in range(1, 31)]  # fmt: skip
    rows.append("99;Logo;Café Zoé;Paul Martin;appel et devis;;;;2026-03-24;")
    (tmp_path / "deals.csv").write_text(CSV.splitlines()[0] + "\n" + "\n".join(rows) + "\n",
                                        encoding="utf-8")  # fmt: skip
    (tmp_path / "pipeline.toml").write_text(CONFIG, encoding="utf-8")
    assert run(tmp_path, "sync").returncode == 0
    text = run(tmp_path, "query", "deal", "boulangerie", "--as-of", "2026-03-30")
    assert text.returncode == 0, text.stderr
    assert "Deals matching 'boulangerie': 30" in text.stdout
    assert "… and 20 more" in text.stdout and "Café Zoé" not in text.stdout
    body = query(tmp_path, "deal", "boulangerie")
    assert len(body["deals"]) == 30 and all(d["history"] for d in body["deals"])
    idle = [d["idle_days"] for d in body["deals"]]
    assert idle == sorted(idle, reverse=True)  # one stage: longest idle first
