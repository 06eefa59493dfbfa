"""`query --json`'s long lists written from the rows (`Context.stream`): byte for byte the JSON
the answer's objects give, on a sheet with the values that could tell them apart."""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.analytics import core, deals
from bot.answers import ask
from bot.clock import parse_as_of
from bot.settings import load_settings
from tests.helpers import cli, db_target, store_at

# null amounts, a blank owner, an owner spelt in lower case, quotes, a backslash, emoji and
# CJK, a stage entered in the hour DST skips, deals with their own probability, an amount and
# a weighted amount in cents, an unmapped status, a won and a lost deal, one snoozed (below)
CSV = """id;title;client;owner;owner_email;status;amount;probability;expected_close;stage_entered;next_step;lost_reason;url
1;Refonte “site” 🚀;Boulangerie Dupâin;Marie Dupont;marie@agence.fr;appel et devis;10 000 €;;01/04/2026;2026-03-10;;;https://crm.example/1
2;Appli \\ "mobile";Garage Leroy;Marie Dupont;;appel et devis;;25 %;2026-03-29;2026-03-29 02:30;Rappeler;;
3;Logo;Café Zoé;   ;;appel et devis;;;;2026-03-24;;;
4;Ωmega 東京;Ümlaut & Cie;marie dupont;;balle dans le camp du client;1 234,56;33;2026-04-30;2026-03-01 23:59;;;
5;Mis en veille;Mairie;Paul Martin;paul@agence.fr;appel et devis;3000;;;2026-02-20;;;
6;Newsletter;Librairie;Paul Martin;;En pause;1000;;;2026-03-06;;;
7;Site vitrine;Dupain & fils;Marie Dupont;;travail terminé;8000;30;;2026-03-27 16:45;;;
8;Intranet;Mairie;Paul Martin;;écarté;3000;;;2026-03-28;;Prix trop élevé;
"""  # noqa: E501
AS_OF = "2026-03-30"
WORDS = ["stage réunion", "étape négociations", "stage gagné", "owner marie", "owner paul", "mine",
         "changes 30", "changes 3650", "stalled", "deal mairie", "deal e"]  # fmt: skip


@pytest.fixture(scope="module", params=["Europe/Paris", "Asia/Kolkata"])  # whole hours or not
def folder(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("rows")
    # deals 7 and 8 are first seen open, then won and lost at the next sync (moves in `changes`)
    first = CSV.replace(
        ";travail terminé;8000;30;;2026-03-27 16:45;", ";conclusion du contrat;8000;30;;2026-03-25;"
    )
    first = first.replace(";écarté;3000;;;2026-03-28;", ";appel et devis;3000;;;2026-03-26;")
    (path / "deals.csv").write_text(first, "utf-8")
    (path / "pipeline.toml").write_text(
        f'timezone = "{request.param}"\nlanguage = "fr"\n[[sources]]\nkind = "csv"\n'
        f'name = "sheet"\npath = "{path / "deals.csv"}"\n',
        encoding="utf-8",
    )
    assert run(path, "sync").returncode == 0
    (path / "deals.csv").write_text(CSV, encoding="utf-8")
    assert run(path, "sync").returncode == 0
    settings = load_settings(str(path / "pipeline.toml"), str(db_target(path / "p.db")))
    now = parse_as_of(AS_OF, settings.tz)
    store = store_at(path / "p.db")
    snoozed = [d for d in ask(settings, store, "stage réunion", now).json()["deals"]
               if d["title"] == "Mis en veille"]  # fmt: skip
    assert snoozed and snoozed[0]["stalled"]  # stalled until snoozed
    store.add_quiet(snoozed[0]["id"], "snooze", "meeting", "U1", now - timedelta(days=1),
                    now + timedelta(days=2))  # fmt: skip
    store.close()
    return path


def run(folder: Path, *args: str) -> Any:
    return cli(folder, "--config", str(folder / "pipeline.toml"), "--db", str(db_target(folder / "p.db")),
               *args, env={"PIPELINE_USER": "Marie Dupont"})  # fmt: skip


def built(folder: Path, words: str, now: datetime) -> tuple[str, str, dict[str, Any]]:
    """The answer from its objects (a `DealView` per deal, a `ChangeEvent` per event): compact,
    indented, and as a dict."""
    settings = load_settings(str(folder / "pipeline.toml"), str(db_target(folder / "p.db")))
    store = store_at(folder / "p.db")
    compact, pretty = io.StringIO(), io.StringIO()
    ask(settings, store, words, now, user="Marie Dupont").write_json(compact.write)
    ask(settings, store, words, now, user="Marie Dupont").write_json(pretty.write, indent=2)
    whole = ask(settings, store, words, now, user="Marie Dupont").json()
    store.close()
    return compact.getvalue(), pretty.getvalue(), whole


@pytest.mark.parametrize("words", WORDS)
def test_streamed_list_is_the_object_built_one(folder: Path, words: str) -> None:
    settings = load_settings(str(folder / "pipeline.toml"), str(db_target(folder / "p.db")))
    now = parse_as_of(AS_OF, settings.tz)
    compact, pretty, whole = built(folder, words, now)
    done = run(folder, "query", *words.split(), "--json", "--as-of", AS_OF)
    assert done.returncode == 0, done.stderr
    assert done.stdout == compact  # what a script reads, byte for byte
    assert json.loads(done.stdout) == whole
    store = store_at(folder / "p.db")
    streamed = ask(settings, store, words, now, user="Marie Dupont", stream=True)
    result = streamed.result
    assert getattr(result, "rows", None) is not None  # from the rows, no object per item
    out = io.StringIO()
    streamed.write_json(out.write, indent=2)  # at a terminal
    store.close()
    assert out.getvalue() == pretty
    items = whole.get("deals", whole.get("events"))
    assert items, words


def test_a_streamed_search_gives_each_deal_its_own_history_across_batches(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`deal TEXT --json` builds its deals and their histories a batch at a time: with batches
    of one and of two, every deal still carries its own moves (deal 8 "Intranet": appel et
    devis, then lost)."""
    settings = load_settings(str(folder / "pipeline.toml"), str(db_target(folder / "p.db")))
    now = parse_as_of(AS_OF, settings.tz)
    compact, _, whole = built(folder, "deal e", now)
    assert len(whole["deals"]) >= 5
    intranet = [d for d in whole["deals"] if d["title"] == "Intranet"][0]
    assert [e["to"] for e in intranet["history"]] == ["meeting", "lost"]
    for batch in (1, 2):
        monkeypatch.setattr(deals, "SEARCH_BATCH", batch)
        store = store_at(folder / "p.db")
        out = io.StringIO()
        ask(settings, store, "deal e", now, user="Marie Dupont", stream=True).write_json(out.write)
        store.close()
        assert out.getvalue() == compact


def test_the_lists_hold_the_values_that_could_differ(folder: Path) -> None:
    """The sheet reaches the lists compared above: nulls, blanks, unicode, snoozed, stalled."""
    settings = load_settings(str(folder / "pipeline.toml"), str(db_target(folder / "p.db")))
    now = parse_as_of(AS_OF, settings.tz)
    meeting = built(folder, "stage réunion", now)[2]["deals"]
    by_title = {d["title"]: d for d in meeting}
    assert by_title["Logo"]["amount"] is None and by_title["Logo"]["owner"] in (None, "")
    assert by_title['Appli \\ "mobile"']["probability_from"] == "deal"
    assert by_title["Refonte “site” 🚀"]["stalled"] and not by_title["Mis en veille"]["stalled"]
    assert {d["probability_from"] for d in meeting} == {"deal", "stage"}
    marie = built(folder, "owner marie", now)[2]["deals"]
    omega = [d for d in marie if d["title"] == "Ωmega 東京"]
    assert omega and (omega[0]["amount"], omega[0]["weighted"]) == (1234.56, 407.4)
    events = built(folder, "changes 30", now)[2]["events"]
    assert {"won", "lost"} <= {e["kind"] for e in events}


def test_stalled_deals_come_longest_idle_first_then_by_id(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Read in `stage_entered` order and put in id order one idle day at a time: deals of one
    day entered in the reverse order of their ids, across stages, and across midnight UTC
    (23:30 on the 9th in Paris is the 9th there, the 9th at 22:30 UTC)."""
    rows = [
        "z;Z;C;Marie Dupont;appel et devis;2026-03-09 08:00",
        "m;M;C;Paul Martin;balle dans le camp du client;2026-03-09 09:00",
        "a;A;C;Marie Dupont;appel et devis;2026-03-09 23:30",
        "b;B;C;Paul Martin;conclusion du contrat;2026-03-02 10:00",
        "y;Y;C;Marie Dupont;balle dans le camp du client;2026-03-02 09:00",
        "c;C;C;Marie Dupont;appel et devis;2026-03-10 00:30",
        "n;N;C;Marie Dupont;appel et devis;2026-03-29 10:00",  # not stalled
    ]
    (tmp_path / "deals.csv").write_text(
        "id;title;client;owner;status;stage_entered\n" + "\n".join(rows) + "\n", "utf-8"
    )
    (tmp_path / "pipeline.toml").write_text(
        'timezone = "Europe/Paris"\n[[sources]]\nkind = "csv"\nname = "sheet"\n'
        f'path = "{tmp_path / "deals.csv"}"\n',
        encoding="utf-8",
    )
    assert run(tmp_path, "sync").returncode == 0
    done = run(tmp_path, "query", "stalled", "--json", "--as-of", AS_OF)
    assert done.returncode == 0, done.stderr
    deals = [(d["title"], d["idle_days"]) for d in json.loads(done.stdout)["deals"]]
    expected = [("B", 28), ("Y", 28), ("A", 21), ("M", 21), ("Z", 21), ("C", 20)]
    assert deals == expected
    # both ways of reading them: each stage's index range (few stalled), the whole table
    settings = load_settings(str(tmp_path / "pipeline.toml"), str(db_target(tmp_path / "p.db")))
    now = parse_as_of(AS_OF, settings.tz)
    for share in (1, 10**9):  # 6 stalled of 7 rows: below 1 in 1, above 1 in 10**9
        monkeypatch.setattr(core, "SCAN_SHARE", share)
        store = store_at(tmp_path / "p.db")
        for stream in (True, False):
            body = ask(settings, store, "stalled", now, stream=stream).json()
            assert [(d["title"], d["idle_days"]) for d in body["deals"]] == expected, share
        store.close()
