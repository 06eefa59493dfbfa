"""Pictures: `query WORDS --png` for summary, forecast, funnel and owners; the figure's data is the
answer's (tested on the data fed to the figure, not on pixels); valid PNGs of a sensible size;
`/pipeline … chart` uploads through the stand-in (files.getUploadURLExternal, the bytes to its
upload URL on 127.0.0.1, files.completeUploadExternal); the digest attaches two charts."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.answers import ask
from bot.charts import Chart, ChartStyle, NoChart, chart_data, chart_style
from bot.demo import demo_config_path, demo_settings, run_demo
from bot.digest import digest_charts, post_digest
from bot.render.money import money, month_name, percent
from bot.settings import load_settings
from bot.slack_client import make_outbox
from tests import agency
from tests.agency import agency_config
from tests.helpers import ROOT, cli, db_target, store_at, wait_for
from tests.slack_http import make_settings, send_command, serving
from tests.slack_standin import SlackStandIn
from tests.test_slack_pipeline import agency as small_agency

PNG = b"\x89PNG\r\n\x1a\n"
AS_OF = datetime(2026, 11, 27, 11, tzinfo=UTC)


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("charts") / "pipeline-demo.db"
    assert run_demo(demo_settings(None, str(db_target(db))), AS_OF) == 0
    return db


def run(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return cli(db.parent, "--config", str(demo_config_path()), "--db", str(db_target(db)), *args)


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk (after checking the signature)."""
    assert data[:8] == PNG, "not a PNG"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.mark.parametrize("words", ["", "forecast", "funnel", "owners", "résumé", "entonnoir"])
def test_png_of_each_chart_on_the_demo(demo_db: Path, tmp_path: Path, words: str) -> None:
    path = tmp_path / "chart.png"
    done = run(demo_db, "query", *words.split(), "--png", str(path), "--as-of", "2026-11-27")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()  # the text answer is printed as usual
    data = path.read_bytes()
    width, height = png_size(data)
    assert 900 <= width <= 1400 and 350 <= height <= 1700, (width, height)
    assert len(data) > 15_000  # bars, labels and text, not an empty canvas
    from PIL import Image

    with Image.open(path) as image:
        image.verify()  # the whole file decodes


@pytest.mark.parametrize("words", ["stalled", "lost", "deal dupain", "hygiene"])
def test_other_answers_have_no_chart(demo_db: Path, tmp_path: Path, words: str) -> None:
    path = tmp_path / "chart.png"
    done = run(demo_db, "query", *words.split(), "--png", str(path))
    assert done.returncode == 2
    # the demo agency speaks French: so does the command line
    assert done.stderr.count("\n") == 1 and "n'a pas de graphique" in done.stderr
    assert "graphiques : résumé, prévision, entonnoir, charge" in done.stderr
    assert not path.exists()


def test_the_text_path_never_imports_the_plotting_library(demo_db: Path, tmp_path: Path) -> None:
    probe = ("import sys, runpy; sys.argv = ['pipeline-bot'] + sys.argv[1:]\n"
             "from bot.cli import main\n"
             "code = main(sys.argv[1:])\n"
             "print('MPL' if 'matplotlib' in sys.modules else 'NO-MPL', code)")  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIPELINE_")}
    env["PYTHONPATH"] = str(ROOT)
    base = [sys.executable, "-c", probe, "--config", str(demo_config_path()), "--db", str(db_target(demo_db)),
            "query", "forecast"]  # fmt: skip
    text = subprocess.run(base, capture_output=True, text=True, env=env, timeout=120)
    assert text.stdout.strip().endswith("NO-MPL 0")
    with_png = subprocess.run([*base, "--png", str(tmp_path / "f.png")], capture_output=True,
                              text=True, env=env, timeout=120)  # fmt: skip
    assert with_png.stdout.strip().endswith("MPL 0")


# --- the figure's data is the answer's --------------------------------------------------------


def answer(demo_db: Path, words: str, language: str = "fr") -> tuple[dict[str, Any], Chart]:
    settings = load_settings(str(demo_config_path()), str(db_target(demo_db)))
    settings.config.language = language  # type: ignore[misc]
    store = store_at(demo_db)
    try:
        reply = ask(settings, store, words, AS_OF)
    finally:
        store.close()
    return reply.json(), chart_data(reply.result, chart_style(settings))


def test_summary_chart_data_is_the_answers(demo_db: Path) -> None:
    body, chart = answer(demo_db, "summary")
    assert chart.categories == [s["label"] for s in body["stages"]]
    amount, weighted = chart.bars
    assert amount.values == [s["amount"] for s in body["stages"]]
    assert weighted.values == [s["weighted"] for s in body["stages"]]
    assert chart.notes == [f"{s['count']} affaire(s)" for s in body["stages"]]
    assert (amount.name, weighted.name) == ("Montant", "Pondéré")
    assert money(body["open"]["weighted"], "EUR", "fr") in chart.footer


def test_forecast_chart_data_is_the_answers(demo_db: Path) -> None:
    body, chart = answer(demo_db, "forecast")
    (bars,) = chart.bars
    assert chart.categories == [month_name(m["month"], "fr") for m in body["months"]]
    assert bars.values == [m["weighted"] for m in body["months"]]
    assert chart.notes == [f"{m['count']} affaire(s)" for m in body["months"]]
    if all("low" in m for m in body["months"]):  # the forecast gives ranges: they are drawn
        assert bars.low == [m["low"] for m in body["months"]]
        assert bars.high == [m["high"] for m in body["months"]]
    else:
        assert bars.low is None and bars.high is None


def test_funnel_chart_data_is_the_answers(demo_db: Path) -> None:
    body, chart = answer(demo_db, "funnel", "en")
    (bars,) = chart.bars
    assert chart.categories == [s["label"] for s in body["stages"]]
    assert bars.values == [s["reached"] for s in body["stages"]]
    for note, stage in zip(chart.notes, body["stages"], strict=True):
        assert note.startswith(percent(stage["conversion"], "en"))
        assert note.endswith("bottleneck") == (stage["key"] == body["bottleneck"])
    assert bars.colours is not None and len(set(bars.colours)) == 2  # the bottleneck stands out


def test_owners_chart_data_is_the_answers(demo_db: Path) -> None:
    body, chart = answer(demo_db, "owners", "en")
    assert chart.categories == [o["owner"] for o in body["owners"]]
    assert chart.bars[0].values == [o["amount"] for o in body["owners"]]
    assert chart.bars[1].values == [o["weighted"] for o in body["owners"]]


def test_labels_months_and_money_follow_the_language(demo_db: Path) -> None:
    _, french = answer(demo_db, "forecast", "fr")
    _, english = answer(demo_db, "forecast", "en")
    assert french.categories[0] == "nov. 2026" and english.categories[0] == "Nov 2026"
    assert (
        french.value_text(12000) == "12\u202f000\u00a0€" and english.value_text(12000) == "€12,000"
    )
    assert french.title != english.title


def test_an_answer_without_a_chart_raises() -> None:
    with pytest.raises(NoChart):
        chart_data(object(), ChartStyle("en", "EUR"))


# --- Slack: /pipeline … chart and the digest ---------------------------------------------------


def uploads(slack_api: SlackStandIn, count: int = 1) -> list[tuple[dict[str, Any], list[bytes]]]:
    return wait_for(lambda: len(slack_api.uploaded()) >= count and slack_api.uploaded())


def test_pipeline_forecast_chart_uploads_through_the_standin(tmp_path: Path,
                                                              slack_api: SlackStandIn) -> None:  # fmt: skip
    settings = make_settings(tmp_path, slack_api)
    small_agency(settings)
    with serving(settings) as served:
        answered = send_command(served, "forecast chart", user="U7")
        assert answered.status_code == 200
        assert answered.json()["response_type"] == "ephemeral"
        assert "Forecast" in answered.json()["text"]  # the text answer comes first, as usual
        ((body, files),) = uploads(slack_api)
    (asked,) = slack_api.called("files.getUploadURLExternal")
    assert asked.body["filename"] == "forecast.png"
    assert int(asked.body["length"]) == len(files[0])
    width, _ = png_size(files[0])
    assert width > 900
    assert body["channel_id"] == "DU7"  # private answer: the asker's DM (conversations.open)
    assert [c.body["users"] for c in slack_api.called("conversations.open")] == ["U7"]
    assert "Forecast" in body["initial_comment"]
    assert json.loads(body["files"])[0]["title"] == "Forecast by expected closing month"


def test_public_chart_goes_to_the_channel(tmp_path: Path, slack_api: SlackStandIn) -> None:
    settings = make_settings(tmp_path, slack_api)
    small_agency(settings)
    with serving(settings) as served:
        assert send_command(served, "chart funnel public", channel="CSALES").status_code == 200
        ((body, files),) = uploads(slack_api)
    assert body["channel_id"] == "CSALES" and files[0][:8] == PNG
    assert slack_api.called("conversations.open") == []


def test_a_refused_upload_is_told_privately(tmp_path: Path, slack_api: SlackStandIn) -> None:
    settings = make_settings(tmp_path, slack_api)
    small_agency(settings)
    slack_api.queue("files.getUploadURLExternal", {"ok": False, "error": "missing_scope"})
    with serving(settings) as served:
        response_url = f"{slack_api.url}/respond/chart"
        assert send_command(served, "owners chart", response_url=response_url).status_code == 200
        told = wait_for(lambda: slack_api.called("chart"))
    assert told[0].body["text"] == "⚠️ The chart could not be uploaded (missing_scope)."
    assert told[0].body["response_type"] == "ephemeral"
    assert slack_api.called("files.completeUploadExternal") == []


def test_stalled_chart_is_a_clear_refusal(tmp_path: Path, slack_api: SlackStandIn) -> None:
    settings = make_settings(tmp_path, slack_api)
    small_agency(settings)
    with serving(settings) as served:
        answered = send_command(served, "stalled chart")
    assert "'stalled' has no chart" in answered.json()["text"]


def test_digest_attaches_the_forecast_and_funnel_charts(tmp_path: Path,
                                                         slack_api: SlackStandIn) -> None:  # fmt: skip
    settings = make_settings(tmp_path, slack_api, **agency_config(digest={"channel": "CREVIEW"}))
    store = agency.load_agency(settings)
    now = datetime(2026, 3, 16, 11, tzinfo=UTC)
    ts = post_digest(settings, store, make_outbox(settings), now)
    expected = digest_charts(settings, store, now)
    store.close()
    ((body, files),) = slack_api.uploaded()
    assert body["channel_id"] == "CREVIEW" and body["thread_ts"] == ts  # in the digest's thread
    listed = json.loads(body["files"])
    assert [f["title"] for f in listed] == [chart.title for _, chart in expected]
    assert [chart.kind for _, chart in expected] == ["forecast", "funnel"]
    assert [f.body["filename"] for f in slack_api.called("files.getUploadURLExternal")] == [
        "forecast.png", "funnel.png"]  # fmt: skip
    assert all(png_size(data)[0] > 900 for data in files)


def test_doc_examples_come_from_the_script(tmp_path: Path) -> None:
    """docs/charts.md shows what scripts/make_doc_charts.py writes, one picture per chart."""
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        from make_doc_charts import make
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    made = make(tmp_path)
    page = (ROOT / "docs" / "charts.md").read_text(encoding="utf-8")
    for path in made:
        assert f"(charts/{path.name})" in page
        committed = ROOT / "docs" / "charts" / path.name
        assert png_size(committed.read_bytes()) == png_size(path.read_bytes())
    assert {p.stem for p in made} >= {"summary", "forecast", "funnel", "owners"}
