"""`query hygiene`: each code on a small hand-made history, worked out by hand.

As of Monday 2026-03-30 12:00 Paris. Source `t` has no next-step field (no deal fills one and the
config names none); source `crm` has one (its `[sources.fields]` names it).

| deal | stage       | amount | close      | owner  | source | problems (by hand)
| h1   | meeting     | -      | 2026-03-20 | -      | t      | no_amount, no_owner, overdue (10 days)
| h2   | negotiation | 5 000  | -          | Marie  | t      | no_close_date
| h3   | closing     | 9 000  | 2026-04-15 | Marie  | t      | (none: complete)
| h4   | won         | -      | -          | -      | t      | (none: not open)
| h5   | qualif.     | 0      | 2026-04-02 | a@x.fr | t      | no_amount (0 is no amount; owner by e-mail)
| h6   | meeting     | 2 000  | 2026-05-01 | Paul   | crm    | no_next_step
| h7   | meeting     | 3 000  | 2026-05-01 | Paul   | crm    | (none: its next step is filled)
| h8   | meeting     | -      | -          | -      | t      | (none: removed upstream)
| h9   | unmapped    | -      | -          | -      | t      | (none: not in an open stage)
| h10  | meeting     | 4 000  | 2026-05-05 | Marie  | p      | close_date_pushed: 2 times, 39 days
| h11  | meeting     | 4 000  | 2026-04-20 | Marie  | p      | (none: pushed once)
| h12  | negotiation | 6 000  | 2026-06-30 | Paul   | t      | close_date_pushed: 3 times, 90 days

h10's close date as four syncs saw it (source p): 04-01 (03-01), 04-15 (03-10: +14), 04-10
(03-15: earlier, not a push, and the pushes before it still count), 05-05 (03-20: +25).
h11: 04-01, then 04-20 (+19): once is not "pushed". h12's from the tool's own field history:
04-01 → 04-20 (+19) → 05-20 (+30) → 06-30 (+41).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from bot.answers import ask
from bot.config_schema import validate_config
from bot.render.blocks import message, style_for
from bot.settings import Settings
from bot.store import Store
from integrations.base import FieldChange
from tests.analytics_fixture import NOW, C, M, N, Q
from tests.helpers import cli, db_target, load, store_at, task, utc

WON = "travail terminé"


def settings_for(tmp_path: Path, language: str = "en") -> Settings:
    config = validate_config({
        "language": language,
        "sources": [{"kind": "csv", "name": "crm", "path": "crm.csv",
                     "fields": {"next_step": "Action suivante"}}],
    })  # fmt: skip
    return Settings(config=config, db_path=db_target(tmp_path / "pipeline.db"), base_dir=tmp_path)


def build(tmp_path: Path, language: str = "en") -> tuple[Settings, Store]:
    settings = settings_for(tmp_path, language)
    store = store_at(settings.db_path)
    marie, paul = {"owner": "Marie Dupont"}, {"owner": "Paul Martin"}
    load(store, settings.pipeline, [
        task("h1", M, ("2026-03-02T09:00", Q), ("2026-03-10T09:00", M), title="Refonte",
             expected_close=date(2026, 3, 20)),
        task("h2", N, ("2026-03-05T09:00", N), title="Appli", amount=5000, **marie),
        task("h3", C, ("2026-03-05T09:00", C), title="Logo", amount=9000,
             expected_close=date(2026, 4, 15), **marie),
        task("h4", WON, ("2026-03-05T09:00", WON), title="Vitrine"),
        task("h5", Q, ("2026-03-25T09:00", Q), title="Audit", amount=0,
             expected_close=date(2026, 4, 2), owner_email="a@x.fr"),
        task("h8", M, ("2026-03-05T09:00", M), title="Supprimée", removed=True),
        task("h9", "En pause", ("2026-03-05T09:00", "En pause"), title="Pause"),
        task("h12", N, ("2026-03-01T09:00", N), title="Intranet", amount=6000, **paul,
             expected_close=date(2026, 6, 30), field_history=[
                 FieldChange(utc("2026-03-02T09:00"), "expected_close", date(2026, 4, 1),
                             date(2026, 4, 20)),
                 FieldChange(utc("2026-03-12T09:00"), "expected_close", date(2026, 4, 20),
                             date(2026, 5, 20)),
                 FieldChange(utc("2026-03-20T09:00"), "expected_close", date(2026, 5, 20),
                             date(2026, 6, 30))]),
    ], source="t", now=utc("2026-03-29T08:00"))  # fmt: skip
    for synced, h10, h11 in (
        ("2026-03-01", (4, 1), (4, 1)),
        ("2026-03-10", (4, 15), (4, 20)),
        ("2026-03-15", (4, 10), (4, 20)),
        ("2026-03-20", (5, 5), (4, 20)),
    ):
        load(store, settings.pipeline, [
            task("h10", M, ("2026-02-20T09:00", M), title="Vidéo", amount=4000, **marie,
                 expected_close=date(2026, *h10)),
            task("h11", M, ("2026-02-20T09:00", M), title="Photos", amount=4000, **marie,
                 expected_close=date(2026, *h11)),
        ], source="p", now=utc(f"{synced}T08:00"))  # fmt: skip
    load(store, settings.pipeline, [
        task("h6", M, ("2026-03-20T09:00", M), title="Charte", amount=2000,
             expected_close=date(2026, 5, 1), **paul),
        task("h7", M, ("2026-03-20T09:00", M), title="Site", amount=3000,
             expected_close=date(2026, 5, 1), next_step="Envoyer le devis", **paul),
    ], source="crm", now=utc("2026-03-29T08:00"))  # fmt: skip
    return settings, store


def answer(tmp_path: Path, words: str = "hygiene", language: str = "en") -> dict[str, Any]:
    settings, store = build(tmp_path, language)
    try:
        return ask(settings, store, words, NOW).json()
    finally:
        store.close()


def test_hygiene_codes_on_a_hand_made_history(tmp_path: Path) -> None:
    got = answer(tmp_path)
    assert got["query"] == "hygiene"
    assert got["as_of"] == "2026-03-30T12:00:00+02:00"
    problems = {d["id"]: [p["code"] for p in d["problems"]] for d in got["deals"]}
    assert problems == {
        "t:h1": ["no_amount", "no_owner", "overdue"],
        "t:h2": ["no_close_date"],
        "t:h5": ["no_amount"],
        "crm:h6": ["no_next_step"],
        "p:h10": ["close_date_pushed"],
        "t:h12": ["close_date_pushed"],
    }
    # most problems first, then the largest amount, then id
    assert [d["id"] for d in got["deals"]] == ["t:h1", "t:h12", "t:h2", "p:h10", "crm:h6", "t:h5"]
    assert got["counts"] == {"no_amount": 2, "no_close_date": 1, "no_owner": 1, "overdue": 1,
                             "close_date_pushed": 2, "no_next_step": 1}  # fmt: skip
    pushed = {d["id"]: d["problems"][0] for d in got["deals"] if d["id"] in ("p:h10", "t:h12")}
    assert pushed["p:h10"] == {"code": "close_date_pushed", "times": 2, "days": 39,
                               "detail": "close date pushed 2 times, 39 days in all"}  # fmt: skip
    assert pushed["t:h12"] == {"code": "close_date_pushed", "times": 3, "days": 90,
                               "detail": "close date pushed 3 times, 90 days in all"}  # fmt: skip
    first = got["deals"][0]
    assert {k: first[k] for k in ("id", "title", "owner", "stage")} == {
        "id": "t:h1", "title": "Refonte", "owner": None, "stage": "meeting"}  # fmt: skip
    overdue = next(p for p in first["problems"] if p["code"] == "overdue")
    assert overdue["days_late"] == 10 and overdue["expected_close"] == "2026-03-20"
    assert "10" in overdue["detail"] and "2026-03-20" in overdue["detail"]


def test_a_source_whose_deals_fill_a_next_step_has_the_field(tmp_path: Path) -> None:
    """No config names it, but one deal of the source carries a next step: the others lack it."""
    settings, store = build(tmp_path)
    load(store, settings.pipeline, [
        task("s1", M, ("2026-03-20T09:00", M), title="Avec", amount=1000,
             expected_close=date(2026, 5, 1), owner="Zoé", next_step="Rappeler"),
        task("s2", M, ("2026-03-20T09:00", M), title="Sans", amount=1000,
             expected_close=date(2026, 5, 1), owner="Zoé"),
    ], source="sheet", now=utc("2026-03-29T08:00"))  # fmt: skip
    got = ask(settings, store, "hygiene", NOW).json()
    store.close()
    codes = {d["id"]: [p["code"] for p in d["problems"]] for d in got["deals"]}
    assert codes["sheet:s2"] == ["no_next_step"]
    assert "sheet:s1" not in codes
    assert "t:h3" not in codes  # source t has no next-step field: an empty one is no problem


def test_french_synonym_and_details(tmp_path: Path) -> None:
    got = answer(tmp_path, "hygiène", "fr")
    assert got["query"] == "hygiene"
    details = {p["code"]: p["detail"] for d in got["deals"] for p in d["problems"]}
    pushes = {
        p["detail"] for d in got["deals"] for p in d["problems"] if p["code"] == "close_date_pushed"
    }
    assert details["no_amount"] == "pas de montant"
    assert details["overdue"] == "clôture prévue le 2026-03-20, il y a 10 jours"
    assert pushes == {"date de clôture repoussée 3 fois, de 90 jours en tout",
                      "date de clôture repoussée 2 fois, de 39 jours en tout"}  # fmt: skip


def test_text_and_blocks_name_every_problem(tmp_path: Path) -> None:
    settings, store = build(tmp_path)
    reply = ask(settings, store, "hygiene", NOW)
    store.close()
    text = reply.text()
    assert "6 open deal(s) with a problem" in text
    for line in ("Refonte", "no amount", "nobody owns it", "expected to close on 2026-03-20",
                 "No amount: 2 · No close date: 1", "close date pushed 3 times, 90 days in all"):  # fmt: skip
        assert line in text
    payload = message(reply.result, style_for(settings))
    blocks_text = json.dumps(payload["blocks"], ensure_ascii=False)
    assert "no next step" in blocks_text and "Charte" in blocks_text
    assert payload["text"] == "Pipeline hygiene"


def test_command_line_json(tmp_path: Path) -> None:
    _, store = build(tmp_path)
    store.close()
    (tmp_path / "pipeline.toml").write_text('language = "en"\n', encoding="utf-8")
    done = cli(tmp_path, "--config", str(tmp_path / "pipeline.toml"), "--db",
               str(db_target(tmp_path / "pipeline.db")), "query", "hygiène", "--json", "--as-of", "2026-03-30")  # fmt: skip
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout)
    assert [d["id"] for d in got["deals"]] == ["t:h1", "t:h12", "t:h2", "p:h10", "crm:h6", "t:h5"]
    assert got["counts"]["no_amount"] == 2 and got["counts"]["close_date_pushed"] == 2


@pytest.mark.parametrize("language", ["en", "fr"])
def test_nothing_to_tidy(tmp_path: Path, language: str) -> None:
    settings = settings_for(tmp_path, language)
    store = store_at(settings.db_path)
    load(store, settings.pipeline, [
        task("ok", M, ("2026-03-20T09:00", M), title="Complète", amount=1000,
             expected_close=date(2026, 5, 1), owner="Zoé"),
    ], now=utc("2026-03-29T08:00"))  # fmt: skip
    reply = ask(settings, store, "hygiene", NOW)
    store.close()
    assert reply.json()["deals"] == []
    assert ("👍" in reply.text()) and ("Zoé" not in reply.text())
