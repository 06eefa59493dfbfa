"""A forecast to trust: calibration, ranges and accuracy, on small histories worked out by hand.

Built-in pipeline: qualification 10 %, meeting 40 %, negotiation 60 %, closing 80 %, won, lost.
Statuses: « client sur le point d'arriver » qualification, « appel et devis » meeting, « balle
dans le camp du client » negotiation, « conclusion du contrat » closing, « travail en cours » won,
« écarté » lost.
"""

from __future__ import annotations

import itertools
import json
import random
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.analytics import Context
from bot.analytics.accuracy import accuracy
from bot.analytics.calibration import calibration
from bot.analytics.ranges import GRID, won_range
from bot.answers import ask
from bot.config_schema import ForecastConfig, PipelineConfig
from bot.digest import build_digest
from bot.pipeline import DEFAULT_STAGES, Pipeline
from bot.settings import Settings
from bot.store import Store
from tests.helpers import db_target, load, store_at, task, utc

PIPELINE = Pipeline(DEFAULT_STAGES)
PARIS = ZoneInfo("Europe/Paris")
Q, M, N, C = ("client sur le point d'arriver", "appel et devis",
              "balle dans le camp du client", "conclusion du contrat")  # fmt: skip
WON, LOST = "travail en cours", "écarté"


def context(now: str = "2026-03-20T12:00", **values: object) -> Context:
    moment = datetime.fromisoformat(now).replace(tzinfo=PARIS)
    return Context(PIPELINE, PARIS, moment, language="en", **values)  # type: ignore[arg-type]


# --- calibration --------------------------------------------------------------------------------


def history(store: Store) -> None:
    """A: Q 03-01 → M 03-02 → won 03-05.  B: Q 03-01 → lost 03-03 (reached qualification only).
    C: M 03-04 → C 03-06 (skipped negotiation) → won 03-08.  D: Q 03-02 → M 03-06 → N 03-07 →
    lost 03-09.  E: Q 03-01 → M 03-03, still open (1,000 €, no own probability).  F: open in
    meeting with its own 50 % (3,000 €)."""
    tasks = [
        task("A", WON, ("2026-03-01T09:00", Q), ("2026-03-02T09:00", M), ("2026-03-05T09:00", WON),
             amount=10_000.0),
        task("B", LOST, ("2026-03-01T09:00", Q), ("2026-03-03T09:00", LOST), amount=4_000.0),
        task("C", WON, ("2026-03-04T09:00", M), ("2026-03-06T09:00", C), ("2026-03-08T09:00", WON),
             amount=6_000.0),
        task("D", LOST, ("2026-03-02T09:00", Q), ("2026-03-06T09:00", M), ("2026-03-07T09:00", N),
             ("2026-03-09T09:00", LOST), amount=8_000.0),
        task("E", M, ("2026-03-01T09:00", Q), ("2026-03-03T09:00", M), amount=1_000.0,
             owner="Marie", expected_close=date(2026, 4, 15)),
        task("F", M, ("2026-03-10T09:00", M), amount=3_000.0, probability=50.0, owner="Marie",
             expected_close=date(2026, 4, 20)),
    ]  # fmt: skip
    load(store, PIPELINE, tasks, now=utc("2026-03-10T10:00"))


def test_calibration_counts_posterior_and_time_ordered_backtest(tmp_path: Path) -> None:
    store = store_at(tmp_path / "p.db")
    history(store)
    result = calibration(store, context(), 10)
    rows = {r.key: r for r in result.stages}
    # won/closed among the closed deals that reached the stage (a won deal reached every stage;
    # B reached qualification only; D qualification to negotiation)
    assert [(r.key, r.won, r.closed) for r in result.stages] == [
        ("qualification", 2, 4),
        ("meeting", 2, 3),
        ("negotiation", 2, 3),
        ("closing", 2, 2),
    ]
    # calibrated = 100 × (won + 10 × configured / 100) / (closed + 10)
    assert rows["qualification"].calibrated == pytest.approx(100 * 3 / 14)
    assert rows["meeting"].calibrated == pytest.approx(100 * 6 / 13)
    assert rows["negotiation"].calibrated == pytest.approx(100 * 8 / 13)
    assert rows["closing"].calibrated == pytest.approx(100 * 10 / 12)
    assert rows["meeting"].observed == pytest.approx(200 / 3) and rows["closing"].observed == 100
    # Back-test. Closed: B 03-03 (lost), A 03-05 (won), C 03-08 (won), D 03-09 (lost).
    # Qualification: A, B, D entered before anything closed (10 %); C entered on 03-04, after B
    # lost: (0 + 1) / (1 + 10) = 1/11.
    assert rows["qualification"].n_scored == 4
    assert rows["qualification"].brier_stage == pytest.approx((0.81 + 0.01 + 0.81 + 0.01) / 4)
    assert rows["qualification"].brier_calibrated == pytest.approx(
        (0.81 + 0.01 + (10 / 11) ** 2 + 0.01) / 4, abs=1e-6)  # fmt: skip
    # Meeting: C entered on 03-04, before A closed (03-05): it is judged with the prior alone;
    # D entered on 03-06, after A won: (1 + 4) / 11. B never reached meeting: not counted.
    assert rows["meeting"].brier_calibrated == pytest.approx(
        (0.36 + 0.36 + (5 / 11) ** 2) / 3, abs=1e-6)  # fmt: skip
    assert rows["meeting"].brier_stage == pytest.approx((0.36 + 0.36 + 0.16) / 3, abs=1e-6)
    # Negotiation: C skipped it, so it "entered" it when it entered closing (03-06), after A won.
    assert rows["negotiation"].brier_calibrated == pytest.approx(
        (0.16 + (4 / 11) ** 2 + (7 / 11) ** 2) / 3, abs=1e-6)  # fmt: skip
    assert rows["closing"].brier_calibrated == pytest.approx((0.04 + (2 / 11) ** 2) / 2, abs=1e-6)
    # 12 scored, but the calibrated values did worse overall (3.3533 against 3.28): keep "stage"
    assert result.n_scored == 12
    assert result.brier_stage == pytest.approx(3.28 / 12, abs=1e-6)
    assert result.brier_calibrated == pytest.approx((1.75 + 194 / 121) / 12, abs=1e-6)
    assert result.recommended == "stage"


def test_a_stage_nobody_closed_from_keeps_its_configured_probability(tmp_path: Path) -> None:
    store = store_at(tmp_path / "p.db")
    load(store, PIPELINE, [
        task("B", LOST, ("2026-03-01T09:00", Q), ("2026-03-03T09:00", LOST)),
        task("E", M, ("2026-03-01T09:00", Q), ("2026-03-03T09:00", M)),
    ], now=utc("2026-03-10T10:00"))  # fmt: skip
    rows = {r.key: r for r in calibration(store, context(), 10).stages}
    assert (rows["qualification"].won, rows["qualification"].closed) == (0, 1)
    assert rows["qualification"].calibrated == pytest.approx(100 / 11)  # 100 × (0 + 1) / 11
    meeting = rows["meeting"]
    assert (meeting.closed, meeting.observed, meeting.calibrated) == (0, None, 40.0)
    assert (meeting.n_scored, meeting.brier_stage, meeting.brier_calibrated) == (0, None, None)


def test_calibration_json_through_the_cli_words(tmp_path: Path) -> None:
    store = store_at(tmp_path / "p.db")
    history(store)
    settings = Settings(PipelineConfig(language="fr"), db_path=db_target(tmp_path / "p.db"))
    reply = ask(settings, store, "calibrage", datetime(2026, 3, 20, 12, tzinfo=PARIS))
    body = reply.json()
    assert body["query"] == "calibration" and body["recommended"] == "stage"
    assert [s["calibrated"] for s in body["stages"]] == [21.43, 46.15, 61.54, 83.33]
    assert set(body["stages"][0]) >= {"key", "label", "configured", "won", "closed", "observed",
                                      "calibrated", "n_scored", "brier_stage",
                                      "brier_calibrated"}  # fmt: skip
    text = reply.text()
    line = "Réunion : configuré 40,0 %, votre historique 2 gagnées sur 3 conclues → 46,2 %"
    assert line in text.replace("\u00a0", " ")


# --- [forecast] probabilities = "calibrated" ---------------------------------------------------


def test_calibrated_probabilities_change_weighted_figures_everywhere_and_nothing_else(
    tmp_path: Path,
) -> None:
    store = store_at(tmp_path / "p.db")
    history(store)
    now = datetime(2026, 3, 20, 12, tzinfo=PARIS)
    answers = {}
    for mode in ("stage", "calibrated"):
        config = PipelineConfig(language="en", forecast=ForecastConfig(probabilities=mode))
        settings = Settings(config, db_path=db_target(tmp_path / "p.db"))
        answers[mode] = {q: ask(settings, store, q, now).json()
                         for q in ("summary", "forecast", "owners", "deal E", "deal F",
                                   "calibration", "stalled", "funnel")}  # fmt: skip
        answers[mode]["digest"] = build_digest(settings, store, now).open_weighted
    stage, calibrated = answers["stage"], answers["calibrated"]
    # E (1,000 € in meeting, no probability of its own): 40 % → 46.15 %; F keeps its own 50 %
    assert stage["summary"]["open"]["weighted"] == 400 + 1500
    assert calibrated["summary"]["open"]["weighted"] == round(1000 * 6 / 13 + 1500, 2)
    assert calibrated["forecast"]["months"][1]["weighted"] == round(1000 * 6 / 13 + 1500, 2)
    assert calibrated["forecast"]["months"][1]["month"] == "2026-04"
    assert calibrated["owners"]["owners"][0]["weighted"] == round(1000 * 6 / 13 + 1500, 2)
    assert calibrated["digest"] == round(1000 * 6 / 13 + 1500, 2)
    deal_e = calibrated["deal E"]["deals"][0]
    assert (deal_e["probability_from"], deal_e["weighted"]) == ("calibrated", 461.54)
    assert stage["deal E"]["deals"][0]["probability_from"] == "stage"
    assert calibrated["deal F"]["deals"][0]["probability_from"] == "deal"
    assert calibrated["deal F"]["deals"][0]["weighted"] == stage["deal F"]["deals"][0]["weighted"]
    # nowhere else: counts, amounts, stalled, funnel and the calibration table itself
    for name in ("stalled", "funnel", "calibration"):
        body_s, body_c = dict(stage[name]), dict(calibrated[name])
        body_s.pop("probabilities", None)
        body_c.pop("probabilities", None)
        assert body_s == body_c, name
    assert [s["amount"] for s in stage["summary"]["stages"]] == [
        s["amount"] for s in calibrated["summary"]["stages"]]  # fmt: skip


# --- ranges --------------------------------------------------------------------------------------


def brute_force(deals: list[tuple[float, float]]) -> tuple[float, float]:
    """P10/P90 by listing every win/loss combination (2^n of them)."""
    mass: dict[int, float] = {}
    for wins in itertools.product((False, True), repeat=len(deals)):
        chance, total = 1.0, 0
        for won, (amount, probability) in zip(wins, deals, strict=True):
            chance *= probability / 100 if won else 1 - probability / 100
            total += round(amount * 100) if won else 0
        mass[total] = mass.get(total, 0.0) + chance
    ordered = sorted(mass.items())

    def percentile(q: float) -> float:
        running = 0.0
        for value, chance in ordered:
            running += chance
            if running >= q - 1e-12:
                return value / 100
        return ordered[-1][0] / 100

    return percentile(0.10), percentile(0.90)


def test_ranges_match_brute_force_enumeration_up_to_12_deals() -> None:
    rng = random.Random(12)
    for _ in range(150):
        deals = [(round(rng.uniform(100, 60_000), 2),
                  rng.choice([0, 5, 10, 25, 40, 50, 60, 80, 90, 100, 33.3]))
                 for _ in range(rng.randint(1, 12))]  # fmt: skip
        assert won_range(deals) == brute_force(deals), deals


def test_the_gridded_range_agrees_with_brute_force_within_its_step() -> None:
    """Past a few thousand distinct totals, amounts are rounded to a grid (`GRID` steps):
    forced here on 12 deals, each percentile found is a true percentile of the exact
    distribution once moved by at most the rounding of every deal (12 grid steps)."""
    rng = random.Random(7)
    for _ in range(40):
        deals = [(round(rng.uniform(100, 60_000), 2), rng.choice([10, 25, 40, 60, 80]))
                 for _ in range(12)]  # fmt: skip
        found = won_range(deals, exact_limit=0)
        mass: dict[float, float] = {}
        for wins in itertools.product((False, True), repeat=len(deals)):
            chance = 1.0
            for won, (_, probability) in zip(wins, deals, strict=True):
                chance *= probability / 100 if won else 1 - probability / 100
            total = sum(a for won, (a, _) in zip(wins, deals, strict=True) if won)
            mass[total] = mass.get(total, 0.0) + chance
        slack = 12 * sum(a for a, _ in deals) / (GRID * 0.9)

        def below(x: float, mass: dict[float, float] = mass) -> float:
            return sum(m for v, m in mass.items() if v <= x)

        for value, q in zip(found, (0.10, 0.90), strict=True):
            assert below(value + slack) >= q - 1e-9 and below(value - slack) < q + 1e-9


def test_forecast_buckets_and_total_carry_the_range(tmp_path: Path) -> None:
    store = store_at(tmp_path / "p.db")
    load(store, PIPELINE, [
        task("1", M, ("2026-03-01T09:00", M), amount=1000.0, expected_close=date(2026, 4, 10)),
        task("2", N, ("2026-03-01T09:00", N), amount=3000.0, expected_close=date(2026, 4, 20)),
        task("3", C, ("2026-03-01T09:00", C), amount=5000.0, expected_close=date(2026, 3, 2)),
    ], now=utc("2026-03-10T10:00"))  # fmt: skip
    settings = Settings(PipelineConfig(language="en"), db_path=db_target(tmp_path / "p.db"))
    reply = ask(settings, store, "forecast 2", datetime(2026, 3, 20, 12, tzinfo=PARIS))
    body = reply.json()
    april = body["months"][1]
    # April: 1,000 € at 40 % and 3,000 € at 60 %: 0 € (24 %), 1,000 (16 %), 3,000 (36 %),
    # 4,000 (24 %): P10 = 0, P90 = 4,000
    assert (april["month"], april["low"], april["high"]) == ("2026-04", 0.0, 4000.0)
    assert (body["overdue"]["low"], body["overdue"]["high"]) == (0.0, 5000.0)  # 20 % of 0 €
    assert body["months"][0]["low"] == body["months"][0]["high"] == 0.0  # March: nothing
    # total: 0 € 4.8 %, 1,000 3.2 %, 3,000 7.2 % (cumulated 15.2 %: P10), …, 9,000 19.2 %
    expected = brute_force([(1000.0, 40), (3000.0, 60), (5000.0, 80)])
    assert (body["total"]["low"], body["total"]["high"]) == expected == (3000.0, 9000.0)
    assert body["total"]["weighted"] == 400 + 1800 + 4000
    assert "€3,000 – €9,000" in reply.text()


# --- accuracy ------------------------------------------------------------------------------------


def test_accuracy_rebuilds_the_forecast_of_each_month_from_stage_and_field_history(
    tmp_path: Path,
) -> None:
    """X (10,000 €, meeting since 02-10) was expected on 03-20, pushed on 03-15 to 04-10 (seen
    at that sync), and won on 04-12. Y (5,000 €, negotiation, expected 03-25) comes from another
    sheet first synced in May: its close date has no history before then (lookahead). W was
    created on 03-10: not open on March 1st."""
    store = store_at(tmp_path / "p.db")
    x_moves = [("2026-02-01T09:00", Q), ("2026-02-10T09:00", M)]
    x = task("X", M, *x_moves, amount=10_000.0, expected_close=date(2026, 3, 20))
    load(store, PIPELINE, [x], source="crm", now=utc("2026-02-20T10:00"))
    x.expected_close = date(2026, 4, 10)
    w = task("W", Q, ("2026-03-10T09:00", Q), amount=2_000.0, expected_close=date(2026, 3, 28))
    load(store, PIPELINE, [x, w], source="crm", now=utc("2026-03-15T10:00"))
    x = task("X", WON, *x_moves, ("2026-04-12T09:00", WON), amount=10_000.0,
             expected_close=date(2026, 4, 10))  # fmt: skip
    load(store, PIPELINE, [x, w], source="crm", now=utc("2026-04-12T10:00"))
    y = task("Y", N, ("2026-02-15T09:00", N), amount=5_000.0, expected_close=date(2026, 3, 25))
    load(store, PIPELINE, [y], source="sheet", now=utc("2026-05-10T10:00"))

    result = accuracy(store, context("2026-05-15T12:00"), 2)
    march, april = result.months
    # March 1st: X expected 03-20 then (4,000 = 40 %), Y 03-25 (3,000 = 60 %), W not yet there
    assert (march.month, march.forecast, march.won, march.lookahead) == ("2026-03", 7000.0, 0.0,
                                                                         True)  # fmt: skip
    # range: 0 € (24 %), 5,000 (36 %), 10,000 (16 %), 15,000 (24 %)
    assert (march.low, march.high) == (0.0, 15_000.0)
    # April 1st: X now expected 04-10 (4,000); won in April: X, 10,000
    assert (april.forecast, april.won, april.lookahead) == (4000.0, 10_000.0, False)
    assert (april.low, april.high) == (0.0, 10_000.0)
    assert result.mae == 6500.0  # (|7,000 − 0| + |4,000 − 10,000|) / 2
    assert result.within_range == 2

    settings = Settings(PipelineConfig(language="en"), db_path=db_target(tmp_path / "p.db"))
    body = ask(settings, store, "précision 2", datetime(2026, 5, 15, 12, tzinfo=PARIS)).json()
    assert body["query"] == "accuracy" and [m["month"] for m in body["months"]] == [
        "2026-03", "2026-04"]  # fmt: skip
    assert set(body["months"][0]) >= {"month", "forecast", "low", "high", "won", "lookahead"}
    assert (body["mae"], body["within_range"]) == (6500.0, 2)
    assert json.loads(json.dumps(body)) == body


def test_digest_says_last_month_and_when_calibration_recommends_it(tmp_path: Path) -> None:
    """Twelve deals won straight from qualification, one after another in April (configured
    10 %): the calibrated values, learning from each win, score better, so the digest says so;
    and April's line: three of them were open on April 1st, expected in April (3 × 1,000 € ×
    10 %), and all twelve were won in April."""
    store = store_at(tmp_path / "p.db")
    deals = []
    for n in range(12):
        opened = f"2026-03-{28 + n % 3:02d}T09:00" if n < 3 else f"2026-04-{2 + n:02d}T09:00"
        won = f"2026-04-{2 + n:02d}T15:00"
        deals.append(task(f"W{n}", WON, (opened, Q), (won, WON), amount=1000.0,
                          expected_close=date(2026, 4, 20)))  # fmt: skip
    load(store, PIPELINE, deals, now=utc("2026-03-25T10:00"))  # seen before April: dates known
    from bot.digest import sections

    settings = Settings(PipelineConfig(language="en"), db_path=db_target(tmp_path / "p.db"))
    digest = build_digest(settings, store, datetime(2026, 5, 4, 9, tzinfo=PARIS))
    assert digest.last_month is not None and digest.recommend_calibrated
    _, parts = sections(digest, settings)
    text = "\n".join(parts)
    assert ("Last month (Apr 2026): forecast €300 on the 1st (likely €0 – €1,000), won €12,000."
            in text)  # fmt: skip
    assert "Your history forecasts better than the configured probabilities" in text
