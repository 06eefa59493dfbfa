"""The command line end to end, as a user runs it: `bot.cli.main` in this process (see
`tests.helpers.cli`), and the sheet-to-summary path and usage errors in a real process too."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import ON_POSTGRES, cli, db_target

CSV = """id;title;client;owner;status;amount;probability;expected_close
1;Refonte site;Dupain SARL;Marie Dupont;Appel et devis;12 000 €;;2026-12-15
2;Campagne SEO;Boulangerie Martin;Paul Durand;balle dans le camp du client;7 500,50;0,5;15/01/2027
3;Audit;Garage Leroy;Marie Dupont;En attente signature;3000;;
4;Logo;Fleurs & Co;Paul Durand;écarté;2k€;;
5;Site vitrine;Hôtel des Arts;Marie Dupont;travail terminé;9 000 €;;
6;Application;Clinique Saint-Jean;Paul Durand;conclusion du contrat;40000;90 %;2026-12-01
"""


@pytest.fixture
def agency(tmp_path: Path) -> Path:
    (tmp_path / "deals.csv").write_text(CSV, encoding="utf-8")
    (tmp_path / "pipeline.toml").write_text('[[sources]]\nkind = "csv"\npath = "deals.csv"\n')
    return tmp_path


@pytest.mark.parametrize("process", [False, True], ids=["in-process", "python -m bot.cli"])
def test_sync_then_summary_matches_the_sheet_by_hand(agency: Path, process: bool) -> None:
    synced = cli(agency, "sync", process=process)
    assert synced.returncode == 0, synced.stderr
    assert synced.stdout.startswith("csv : complète, 6 lue(s), 6 modifiée(s)")
    answer = cli(agency, "query", "summary", "--json", "--as-of", "2026-11-27", process=process)
    assert answer.returncode == 0, answer.stderr
    data = json.loads(answer.stdout)
    by_key = {s["key"]: s for s in data["stages"]}
    assert data["query"] == "summary" and data["as_of"] == "2026-11-27T12:00:00+01:00"
    assert list(by_key) == ["qualification", "meeting", "negotiation", "closing", "won", "lost"]
    # meeting: 12 000 x 40 % = 4 800; negotiation: 7 500,50 x own 50 % = 3 750,25;
    # closing: 40 000 x own 90 % = 36 000; won counts 100 %, lost 0.
    assert (
        by_key["meeting"]["count"],
        by_key["meeting"]["amount"],
        by_key["meeting"]["weighted"],
    ) == (1, 12000.0, 4800.0)
    assert by_key["negotiation"]["weighted"] == 3750.25
    assert by_key["closing"]["weighted"] == 36000.0
    assert (by_key["won"]["amount"], by_key["won"]["weighted"]) == (9000.0, 9000.0)
    assert (by_key["lost"]["amount"], by_key["lost"]["weighted"]) == (2000.0, 0.0)
    assert data["open"] == {"count": 3, "amount": 59500.5, "weighted": 44550.25}
    assert data["unmapped"]["count"] == 1  # « En attente signature »


def test_empty_query_and_french_keyword_are_the_summary(agency: Path) -> None:
    cli(agency, "sync")
    plain = json.loads(cli(agency, "query", "--json", "--as-of", "2026-11-27").stdout)
    french = json.loads(cli(agency, "query", "résumé", "--json", "--as-of", "2026-11-27").stdout)
    assert plain == french and plain["query"] == "summary"


def test_summary_text_in_french_by_default(agency: Path) -> None:
    cli(agency, "sync")
    text = cli(agency, "query").stdout
    assert "Réunion" in text and "12\u202f000\u00a0€" in text and "Pipeline ouvert" in text


def test_check_names_the_unknown_status(agency: Path) -> None:
    cli(agency, "sync")
    checked = cli(agency, "check")
    assert checked.returncode == 1
    assert "« En attente signature » : 1 affaire(s)" in checked.stdout


def test_malformed_config_gives_one_clear_line_and_exit_2(tmp_path: Path) -> None:
    (tmp_path / "pipeline.toml").write_text('language = "fr"\ncurrency = EUR\n')
    result = cli(tmp_path, "query")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "line 2" in lines[0] and "Traceback" not in result.stderr


def test_invalid_config_lists_each_problem_exit_2(tmp_path: Path) -> None:
    (tmp_path / "pipeline.toml").write_text(
        'language = "de"\n[status_map]\n"En pause" = "pause"\n')  # fmt: skip
    result = cli(tmp_path, "check")
    assert result.returncode == 2
    assert "language" in result.stderr and "Traceback" not in result.stderr


def test_unknown_query_suggests_the_nearest_in_the_agency_language(agency: Path) -> None:
    result = cli(agency, "query", "stalld")  # no `language`: French, the default
    assert result.returncode == 2
    assert "question inconnue « stalld » : vouliez-vous dire « stalled » ?" in result.stderr
    assert "Traceback" not in result.stderr
    config = agency / "pipeline.toml"
    config.write_text('language = "en"\n' + config.read_text())
    result = cli(agency, "query", "stalld")
    assert "unknown query 'stalld': did you mean 'stalled'?" in result.stderr


@pytest.mark.parametrize(
    "args", [["query", "--as-of", "hier"], ["sync", "--source", "nope"], ["frobnicate"]]
)
@pytest.mark.parametrize("process", [False, True], ids=["in-process", "python -m bot.cli"])
def test_bad_arguments_exit_2_with_one_line(agency: Path, args: list[str], process: bool) -> None:
    result = cli(agency, *args, process=process)
    assert result.returncode == 2, result.stdout
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_sync_failure_of_one_source_exits_1_and_keeps_the_other(agency: Path) -> None:
    (agency / "pipeline.toml").write_text(
        '[[sources]]\nkind = "csv"\npath = "deals.csv"\n'
        '[[sources]]\nkind = "csv"\nname = "lost-sheet"\npath = "missing.csv"\n')  # fmt: skip
    result = cli(agency, "sync")
    assert result.returncode == 1
    assert "csv : complète, 6 lue(s)" in result.stdout
    assert "lost-sheet : ÉCHEC" in result.stdout and "missing.csv n'existe pas" in result.stdout


def test_missing_credentials_make_check_need_attention(tmp_path: Path) -> None:
    (tmp_path / "pipeline.toml").write_text('[[sources]]\nkind = "clickup"\nlist = "901"\n')
    result = cli(tmp_path, "check")
    assert result.returncode == 1
    assert "il manque CLICKUP_TOKEN" in result.stdout
    assert "Slack (info)" in result.stdout


def test_init_writes_starter_files_and_never_overwrites(tmp_path: Path) -> None:
    assert cli(tmp_path, "init").returncode == 0
    starter = (tmp_path / "pipeline.toml").read_text()
    assert 'key = "lead"' in starter and "[status_map]" in starter
    (tmp_path / "pipeline.toml").write_text("# mine\n")
    second = cli(tmp_path, "init")
    assert "existe déjà" in second.stdout
    assert (tmp_path / "pipeline.toml").read_text() == "# mine\n"
    assert cli(tmp_path, "check").returncode == 0  # the starter itself is valid


def test_demo_loads_the_agency_and_prints_every_stage(tmp_path: Path) -> None:
    result = cli(tmp_path, "demo")
    assert result.returncode == 0, result.stderr
    for label in (
        "Génération de prospects",
        "Initiation du contact",
        "Qualification des prospects",
        "Réunion",
        "Négociations",
        "Clôture de la transaction",
        "Gagné",
        "Perdu",
    ):
        assert label in result.stdout
    assert "Affaires bloquées" in result.stdout
    if ON_POSTGRES:  # $PIPELINE_DB names this test's database: the demo is loaded there
        loaded = str(db_target(tmp_path / "pipeline.db"))
    else:  # by default, a file of its own beside the config
        assert (tmp_path / "pipeline-demo.db").exists()
        loaded = "pipeline-demo.db"
    config = str(Path(__file__).resolve().parent.parent / "bot" / "data" / "demo.toml")
    again = json.loads(cli(tmp_path, "--config", config, "--db", loaded,
                           "query", "--json").stdout)  # fmt: skip
    assert again["open"]["count"] > 30 and again["unmapped"]["count"] == 0
    assert sum(s["stalled"] for s in again["stages"]) >= 4


def test_demo_refuses_to_wipe_a_real_database(agency: Path) -> None:
    cli(agency, "sync")
    result = cli(agency, "demo", "--db", str(db_target(agency / "pipeline.db")))
    assert result.returncode == 2 and "holds 6 deal(s)" in result.stderr


def test_sync_without_a_source_token_names_the_variable_and_exits_1(tmp_path: Path) -> None:
    (tmp_path / "pipeline.toml").write_text(
        '[[sources]]\nkind = "trello"\nname = "agence"\nboard = "abc"\n'
        '[[sources]]\nkind = "asana"\nproject = "123"\n')  # fmt: skip
    result = cli(tmp_path, "sync")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert (
        "agence : ÉCHEC" in result.stdout and "set TRELLO_API_KEY and TRELLO_TOKEN" in result.stdout
    )
    assert "asana : ÉCHEC" in result.stdout and "set ASANA_TOKEN" in result.stdout


def test_compact_iso_date_is_noon_local(agency: Path) -> None:
    cli(agency, "sync")
    data = json.loads(cli(agency, "query", "--json", "--as-of", "20261127").stdout)
    assert data["as_of"] == "2026-11-27T12:00:00+01:00"


def test_a_mistyped_query_creates_no_database(tmp_path: Path) -> None:
    result = cli(tmp_path, "--db", "nowhere/x.db", "query", "frobnicate")
    assert result.returncode == 2 and not (tmp_path / "nowhere").exists()


def test_check_of_an_invalid_source_does_not_say_valid_first(tmp_path: Path) -> None:
    (tmp_path / "pipeline.toml").write_text('[[sources]]\nkind = "csv"\n')  # no path nor url
    result = cli(tmp_path, "check")
    assert result.returncode == 2 and "valid" not in result.stdout
    assert "exactement un de `path` ou `url`" in result.stderr  # French: the default language
    (tmp_path / "pipeline.toml").write_text('language = "en"\n[[sources]]\nkind = "csv"\n')
    result = cli(tmp_path, "check")
    assert result.returncode == 2 and "valid" not in result.stdout
    assert "exactly one of `path` or `url`" in result.stderr
