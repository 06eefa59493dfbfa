"""Command-line rules of the contract's "Data in" section, run as a user runs them: the version,
French dates for `--as-of`, and commands that refuse a database file that does not exist."""

from __future__ import annotations

import json
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import ROOT, cli
from tests.slack_standin import SlackStandIn


def test_version_prints_the_projects_version(tmp_path: Path) -> None:
    expected = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    result = cli(tmp_path, "--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"pipeline-bot {expected}"


def test_as_of_takes_a_french_date_as_noon_local(agency: Path) -> None:
    assert cli(agency, "sync").returncode == 0
    french = cli(agency, "query", "stalled", "--json", "--as-of", "15/12/2026")
    iso = cli(agency, "query", "stalled", "--json", "--as-of", "2026-12-15")
    assert french.returncode == 0, french.stderr
    assert json.loads(french.stdout)["as_of"] == "2026-12-15T12:00:00+01:00"
    assert json.loads(french.stdout) == json.loads(iso.stdout)


def test_an_impossible_french_date_is_one_line(agency: Path) -> None:
    result = cli(agency, "query", "--as-of", "31/02/2026")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "31/02/2026" in result.stderr


@pytest.mark.parametrize(
    "command",
    [["query"], ["query", "stalled", "--json"], ["nudge"], ["nudge", "--dry-run"], ["digest"],
     ["digest", "--dry-run"], ["announce"], ["announce", "--dry-run"]],
)  # fmt: skip
@pytest.mark.parametrize(
    ("language", "words"),
    [("fr", ("n'existe pas", "pipeline-bot sync", "pipeline-bot demo")),
     ("en", ("does not exist", "pipeline-bot sync", "pipeline-bot demo"))],
)  # fmt: skip
def test_a_missing_database_is_one_line_and_no_file(
    tmp_path: Path, command: list[str], language: str, words: tuple[str, ...]
) -> None:
    (tmp_path / "pipeline.toml").write_text(
        f'language = "{language}"\n[slack]\nchannel = "C0TEAM"\n', encoding="utf-8"
    )
    result = cli(tmp_path, "--db", "elsewhere/pipeline.db", *command,
                 env={"SLACK_BOT_TOKEN": "xoxb-test"})  # fmt: skip
    assert result.returncode == 2, result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "elsewhere/pipeline.db" in lines[0], result.stderr
    assert all(word in lines[0] for word in words), lines[0]
    assert result.stdout == ""
    assert not (tmp_path / "elsewhere").exists() and not (tmp_path / "pipeline.db").exists()


@pytest.fixture
def agency(tmp_path: Path) -> Path:
    from tests.test_cli import CSV

    (tmp_path / "deals.csv").write_text(CSV, encoding="utf-8")
    (tmp_path / "pipeline.toml").write_text('[[sources]]\nkind = "csv"\npath = "deals.csv"\n')
    return tmp_path


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("fr", {"init": ".env.example : écrit", "check": "Tout va bien.",
                "sync": "csv : complète, 6 lue(s), 6 modifiée(s), 0 changement(s) d'étape"}),
        ("en", {"init": ".env.example: written", "check": "All well.",
                "sync": "csv: full, 6 fetched, 6 changed, 0 stage change(s)"}),
    ],
)  # fmt: skip
def test_init_check_and_sync_speak_the_configured_language(
    agency: Path, language: str, expected: dict[str, str]
) -> None:
    config = agency / "pipeline.toml"
    config.write_text(f'language = "{language}"\n' + config.read_text(), encoding="utf-8")
    (agency / "deals.csv").write_text(
        (agency / "deals.csv").read_text().replace("En attente signature", "écarté")
    )
    init = cli(agency, "init")
    assert init.returncode == 0 and expected["init"] in init.stdout, init.stdout
    assert (init.stdout.count("existe déjà") == 1) == (language == "fr")  # pipeline.toml kept
    synced = cli(agency, "sync")
    assert synced.returncode == 0 and synced.stdout.startswith(expected["sync"]), synced.stdout
    checked = cli(agency, "check")
    assert checked.returncode == 0, checked.stdout
    assert checked.stdout.strip().splitlines()[-1] == expected["check"]


def test_init_in_an_empty_folder_speaks_french(tmp_path: Path) -> None:
    result = cli(tmp_path, "init")
    assert result.stdout.splitlines() == [
        "pipeline.toml : écrit",
        ".env.example : écrit",
        "Ensuite : complétez pipeline.toml ([[sources]]), `install -m 600 .env.example .env` "
        "(un .env lisible par vous seul) et remplissez-le, puis lancez `pipeline-bot check`.",
    ]


@pytest.mark.parametrize("command", ["check", "sync"])
@pytest.mark.parametrize(
    ("setting", "english", "french"),
    [('encoding = "klingon"', "encoding: unknown encoding", "encoding : encodage inconnu"),
     ('delimiter = "ab"', "delimiter: must be one character",
      "delimiter : doit être un seul caractère"),
     ('timezone = "Mars/Olympus"', "timezone: unknown IANA time zone",
      "timezone : fuseau horaire IANA inconnu"),
     ('[sources.fields]\nammount = "Montant"', "'ammount' is not a deal field",
      "'ammount' n'est pas un champ d'affaire")],
)  # fmt: skip
@pytest.mark.parametrize("language", ["fr", "en"])
def test_a_bad_source_setting_is_an_invalid_config_in_the_agency_language(
    agency: Path, command: str, setting: str, english: str, french: str, language: str
) -> None:
    (agency / "pipeline.toml").write_text(
        f'language = "{language}"\n[[sources]]\nkind = "csv"\npath = "deals.csv"\n{setting}\n',
        encoding="utf-8",
    )
    result = cli(agency, command)
    assert result.returncode == 2, result.stdout
    assert result.stdout == "" and "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    if language == "fr":
        assert lines[0].startswith("pipeline-bot : configuration invalide : pipeline.toml : "), (
            lines
        )
        assert french in lines[0], lines
    else:
        assert lines[0].startswith("pipeline-bot: invalid config: pipeline.toml: "), lines
        assert english in lines[0], lines
    assert not (agency / "pipeline.db").exists()


def test_a_config_without_language_is_refused_in_french(agency: Path) -> None:
    """French is the default: a config that says no language is told what is wrong in French,
    pydantic's own complaints included."""
    (agency / "pipeline.toml").write_text(
        '[nudges]\nat = "25:00"\nmax_per_owner = 0\nrepeat = true\n', encoding="utf-8"
    )
    result = cli(agency, "check")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "pipeline-bot : configuration invalide : pipeline.toml : nudges.at : doit être une heure "
        "HH:MM, reçu '25:00'",
        "pipeline-bot : configuration invalide : pipeline.toml : nudges.max_per_owner : doit être "
        "supérieur ou égal à 1 (reçu 0)",
        "pipeline-bot : configuration invalide : pipeline.toml : nudges.repeat : clé inconnue "
        "(vérifiez son orthographe)",
    ]


def test_a_tab_delimiter_may_be_written_tab(agency: Path) -> None:
    (agency / "deals.csv").write_text((agency / "deals.csv").read_text().replace(";", "\t"))
    (agency / "pipeline.toml").write_text(
        '[[sources]]\nkind = "csv"\npath = "deals.csv"\ndelimiter = "tab"\n', encoding="utf-8"
    )
    result = cli(agency, "sync")
    assert result.returncode == 0 and "6 lue(s)" in result.stdout, result.stdout + result.stderr


# --- won/lost announcements ---------------------------------------------------------------------


def test_only_a_real_recent_move_to_won_is_announced(agency: Path, slack_api: SlackStandIn) -> None:
    """A misconfigured status column then fixed, a [status_map] change and a deal first seen
    won three months ago announce nothing; a real open → won move announces once."""
    env = {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_API_URL": slack_api.base_url}
    config = agency / "pipeline.toml"
    sheet = agency / "deals.csv"
    base = '[slack]\nchannel = "C0TEAM"\n[[sources]]\nkind = "csv"\npath = "deals.csv"\n'
    config.write_text(base + '[sources.fields]\nstatus = "client"\n', encoding="utf-8")
    assert cli(agency, "sync").returncode == 0
    assert cli(agency, "sync").returncode == 0  # no longer the first sync: every deal unmapped

    def pending() -> str:
        result = cli(agency, "announce", "--dry-run", env=env)
        assert result.returncode == 0, result.stderr
        return result.stdout

    config.write_text(base, encoding="utf-8")  # the status column fixed: won and lost appear
    assert cli(agency, "sync").returncode == 0
    assert pending().splitlines() == [
        "Simulation : 0 annonce(s) seraient publiées dans C0TEAM ; rien n'a été envoyé."
    ]
    config.write_text(base.replace("[[sources]]", '[status_map]\n"En attente signature" = "won"\n'
                                   "[[sources]]"), encoding="utf-8")  # fmt: skip
    assert cli(agency, "sync").returncode == 0  # a re-mapped status is no news
    assert "0 annonce(s)" in pending()
    long_ago = (datetime.now(UTC) - timedelta(days=90)).strftime("%d/%m/%Y")
    rows = sheet.read_text().splitlines()
    rows = [rows[0] + ";stage_entered", *(row + ";" for row in rows[1:])]
    rows.append(f"7;Ancien site;Musée;Paul Durand;travail terminé;5000;;;{long_ago}")
    sheet.write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert cli(agency, "sync").returncode == 0  # first seen already won, three months ago
    assert "0 annonce(s)" in pending()
    sheet.write_text(sheet.read_text().replace("Marie Dupont;Appel et devis", "Marie Dupont;Gagné"))
    assert cli(agency, "sync").returncode == 0  # Refonte site: meeting → won, now
    dry = pending().splitlines()
    assert len(dry) == 2 and "Refonte site" in dry[0] and "Gagnée" in dry[0], dry
    assert dry[1].startswith("Simulation : 1 annonce(s)")
    assert slack_api.called("chat.postMessage") == []  # --dry-run makes no Slack call
    posted = cli(agency, "announce", env=env)
    assert posted.returncode == 0, posted.stderr
    assert posted.stdout.strip() == "1 annonce(s) publiée(s) dans C0TEAM."
    [call] = slack_api.called("chat.postMessage")
    assert call.body["channel"] == "C0TEAM" and "Refonte site" in call.body["text"]
    again = cli(agency, "announce", env=env)
    assert again.stdout.strip() == "0 annonce(s) publiée(s) dans C0TEAM."
    assert len(slack_api.called("chat.postMessage")) == 1


def test_announce_dry_run_in_english(agency: Path) -> None:
    config = agency / "pipeline.toml"
    config.write_text('language = "en"\n' + config.read_text(), encoding="utf-8")
    assert cli(agency, "sync").returncode == 0
    (agency / "deals.csv").write_text(
        (agency / "deals.csv").read_text().replace("Paul Durand;balle", "Paul Durand;écarté;balle")
        .replace(";écarté;balle dans le camp du client", ";écarté")
    )  # fmt: skip
    assert cli(agency, "sync").returncode == 0  # Campagne SEO: negotiation → lost
    dry = cli(agency, "announce", "--dry-run").stdout.splitlines()
    assert len(dry) == 2 and dry[0].startswith("Lost: *Campagne SEO*"), dry
    assert dry[1] == "Dry run: 1 announcement(s) would be posted to —; nothing was sent."


# --- unmapped deals and [status_map] values -----------------------------------------------------


@pytest.mark.parametrize(
    ("language", "no_status"), [("fr", "(sans statut)"), ("en", "(no status)")]
)
def test_deals_with_no_status_are_unmapped_and_every_count_agrees(
    agency: Path, language: str, no_status: str
) -> None:
    config = agency / "pipeline.toml"
    config.write_text(f'language = "{language}"\n' + config.read_text(), encoding="utf-8")
    with (agency / "deals.csv").open("a", encoding="utf-8") as sheet:
        sheet.write("7;Refonte intranet;Mairie;Paul Durand;;1000;;\n")
        sheet.write("8;Charte graphique;Mairie;Paul Durand;   ;2000;;\n")
        sheet.write("9;Vidéo;Garage Leroy;Marie Dupont;en attente SIGNATURE;500;;\n")
    assert cli(agency, "sync").returncode == 0
    summary = json.loads(cli(agency, "query", "--json").stdout)
    listed = json.loads(cli(agency, "query", "unmapped", "--json").stdout)
    assert listed["statuses"] == [{"status": "En attente signature", "count": 2},
                                  {"status": "", "count": 2}]  # fmt: skip
    assert summary["unmapped"]["count"] == sum(s["count"] for s in listed["statuses"]) == 4
    text = cli(agency, "query", "unmapped").stdout
    assert no_status in text and "En attente signature" in text
    checked = cli(agency, "check")
    assert checked.returncode == 1
    unit = "affaire(s)" if language == "fr" else "deal(s)"
    colon = " :" if language == "fr" else ":"
    lines = [line.strip() for line in checked.stdout.splitlines()]
    assert f"« En attente signature »{colon} 2 {unit}" in lines
    assert f"{no_status}{colon} 2 {unit}" in lines


def test_status_map_values_may_be_stage_labels_in_either_language(agency: Path) -> None:
    config = agency / "pipeline.toml"
    config.write_text('[status_map]\n"En attente signature" = "négociations"\n'
                      '"Appel et devis" = "Closing"\n' + config.read_text(),
                      encoding="utf-8")  # fmt: skip
    assert cli(agency, "check").returncode == 0
    assert cli(agency, "sync").returncode == 0
    stages = {d["title"]: d["stage"] for d in json.loads(
        cli(agency, "query", "deal", "e", "--json").stdout)["deals"]}  # fmt: skip
    assert stages["Audit"] == "negotiation" and stages["Refonte site"] == "closing"
    config.write_text(config.read_text().replace('"Closing"', '"Négo"'), encoding="utf-8")
    refused = cli(agency, "check")
    assert refused.returncode == 2 and "'Négo'" in refused.stderr


# --- one owner, however it is spelled -------------------------------------------------------------

OWNERS_CSV = """id;title;client;owner;status;amount;stage_entered
1;Refonte site;Dupain;marie dupont;Appel et devis;1000;2026-01-05
2;Campagne SEO;Martin;Marie Dupont;Appel et devis;2000;2026-01-05
3;Audit;Leroy;MARIE  DUPONT;balle dans le camp du client;3000;2026-01-05
4;Logo;Fleurs;Marie Dupônt;Appel et devis;4000;2026-01-05
5;Application;Clinique;Paul Durand;Appel et devis;5000;2026-01-05
6;Newsletter;Librairie;marie dupont;Appel et devis;6000;2026-01-05
7;Site vitrine;Hôtel;marie dupont;travail terminé;7000;2026-01-05
"""


@pytest.mark.parametrize("language", ["fr", "en"])
def test_owner_spellings_are_one_owner_everywhere(tmp_path: Path, language: str) -> None:
    (tmp_path / "deals.csv").write_text(OWNERS_CSV, encoding="utf-8")
    (tmp_path / "pipeline.toml").write_text(
        f'language = "{language}"\n[slack]\nchannel = "C0TEAM"\n[people]\n"Marie Dupont" = "U1"\n'
        '[[sources]]\nkind = "csv"\npath = "deals.csv"\n', encoding="utf-8")  # fmt: skip
    assert cli(tmp_path, "sync").returncode == 0
    as_of = ["--as-of", "2026-01-20"]

    def ask(*words: str) -> dict[str, Any]:
        done = cli(tmp_path, "query", *words, "--json", *as_of, env={"PIPELINE_USER": "U1"})
        assert done.returncode == 0, done.stderr
        return dict(json.loads(done.stdout))

    # "marie dupont" is written on 3 live deals, the other spellings on one each
    owners = ask("owners")["owners"]
    assert [(o["owner"], o["open"], o["amount"]) for o in owners] == [
        ("marie dupont", 5, 16000.0), ("Paul Durand", 1, 5000.0)]  # fmt: skip
    for words in (("owner", "MARIE DUPONT"), ("mine",), ("owner", "dupont")):
        deals = ask(*words)["deals"]
        assert sorted(d["id"] for d in deals) == ["csv:1", "csv:2", "csv:3", "csv:4", "csv:6"]
        assert {d["owner"] for d in deals} == {"marie dupont"}
    nudges = cli(tmp_path, "nudge", "--dry-run", *as_of).stdout
    assert nudges.count("U1") == 1 and "Dupônt" not in nudges and "Marie Dupont" not in nudges
    assert all(title in nudges for title in ("Refonte site", "Audit", "Logo", "Newsletter"))
    digest = cli(tmp_path, "digest", "--dry-run", *as_of).stdout
    assert "marie dupont" in digest and "MARIE" not in digest and "Dupônt" not in digest
    # two more rows spelled "Marie Dupont": now the most used spelling, shown everywhere
    with (tmp_path / "deals.csv").open("a", encoding="utf-8") as sheet:
        sheet.write("8;Intranet;Mairie;Marie Dupont;Appel et devis;100;2026-01-05\n")
        sheet.write("9;Vidéo;Garage;Marie Dupont;Appel et devis;100;2026-01-05\n")
    assert cli(tmp_path, "sync").returncode == 0
    assert [o["owner"] for o in ask("owners")["owners"]] == ["Marie Dupont", "Paul Durand"]
    assert {d["owner"] for d in ask("deal", "e")["deals"]} == {"Marie Dupont", "Paul Durand"}


# --- a source renamed or dropped from the config ------------------------------------------------


@pytest.mark.parametrize(
    ("language", "said"),
    [("fr", "la source 'csv' de la base n'est pas dans la configuration ; renommée ?"),
     ("en", "source 'csv' in the database is not in the config; renamed?")],
)  # fmt: skip
def test_a_renamed_source_is_said_and_its_old_deals_count_nowhere(
    agency: Path, language: str, said: str
) -> None:
    config = agency / "pipeline.toml"
    config.write_text(f'language = "{language}"\n' + config.read_text(), encoding="utf-8")
    assert cli(agency, "sync").returncode == 0
    as_of = ("--as-of", "2027-02-01")

    def ask(*words: str) -> dict[str, Any]:
        done = cli(agency, "query", *words, "--json", *as_of)
        assert done.returncode == 0, done.stderr
        return dict(json.loads(done.stdout))

    before = {words: ask(*words) for words in (("summary",), ("stalled",), ("forecast",),
                                               ("owners",), ("unmapped",))}  # fmt: skip
    assert before[("summary",)]["open"]["count"] == 3
    config.write_text(config.read_text().replace('kind = "csv"', 'kind = "csv"\nname = "ventes"'))
    # renamed, not synced yet: the old name's deals are out of every answer, and check says so
    assert ask("summary")["open"]["count"] == 0 and ask("owners")["owners"] == []
    assert ask("stalled")["deals"] == [] and ask("unmapped")["statuses"] == []
    checked = cli(agency, "check")
    assert checked.returncode == 1 and said in checked.stdout, checked.stdout
    nudges = cli(agency, "nudge", "--dry-run", *as_of).stdout
    assert "Refonte site" not in nudges
    assert cli(agency, "sync").returncode == 0
    # synced under its new name: the pipeline is the sheet's, not doubled
    for words, answer in before.items():
        again = ask(*words)
        assert json.dumps(again).replace("ventes:", "csv:") == json.dumps(answer), words
    assert {d["source"] for d in ask("deal", "e")["deals"]} == {"ventes"}
    assert said in cli(agency, "check").stdout  # still there, still said, never deleted
    config.write_text(config.read_text().replace('name = "ventes"', 'name = "csv"'))
    assert {d["source"] for d in ask("deal", "e")["deals"]} == {"csv"}  # back as it was
    assert "'ventes'" in cli(agency, "check").stdout
