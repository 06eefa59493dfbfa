"""A French agency's own sheet, day one: `init` → `check` → `sync` → `query`, as a user runs them.

No `[sources.fields]`: the headers are the agency's (Affaire, Société, Commercial, Statut,
Montant HT, Clôture prévue); the sheet has repeated titles, a blank row and a totals row, and is
exported by French Excel (cp1252, `;`, CRLF) or downloaded from Google Sheets (UTF-8, `,`).
Every row must be accounted for and the summary must match the sheet added up by hand.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from tests.helpers import cli, local_server, wait_for

HEADER = ["Affaire", "Société", "Commercial", "Statut", "Montant HT", "Clôture prévue"]
ROWS = [  # sheet row 2 onwards
    ["Site vitrine", "Boulangerie Dupain", "Marie Dupont", "Appel et devis", "4 500,00 €",
     "15/01/2027"],
    ["Site vitrine", "Garage Martin", "Paul Leroy", "Balle dans le camp du client", "3 800,00 €",
     "31/12/2026"],
    ["Site vitrine", "Boulangerie Dupain", "Marie Dupont", "Conclusion du contrat", "2 000,00 €",
     "20/12/2026"],
    ["Refonte e-commerce", "Fromagerie Écart", "Marie Dupont", "Client sur le point d’arriver",
     "12 000,00 €", "28/02/2027"],
    ["Application mobile", "Cabinet Roux", "Paul Leroy", "Travail terminé", "25 000,00 €", ""],
    ["SEO local", "Garage Martin", "Sophie Bernard", "Écarté", "1 200,00 €", ""],
    ["Identité visuelle", "Librairie Page", "Sophie Bernard", "Appel et devis", "3 000,00 €",
     "31/01/2027"],
    ["", "", "", "", "", ""],  # row 9: blank
    ["Maintenance annuelle", "Cabinet Roux", "Marie Dupont", "Travail en cours", "6 000,00 €", ""],
    ["Campagne Ads", "Fromagerie Écart", "Paul Leroy", "Balle dans le camp du client",
     "2 500,00 €", "15/12/2026"],
    ["TOTAL", "", "", "", "60 000,00 €", ""],  # row 12: the totals row
]  # fmt: skip


def excel_export(rows: list[list[str]]) -> bytes:
    """French Excel, "CSV (séparateur : point-virgule)": cp1252, no-break spaces, CRLF."""
    lines = [";".join(cell.replace(" ", "\xa0") if "€" in cell else cell for cell in row)
             for row in [HEADER, *rows]]  # fmt: skip
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


def google_export(rows: list[list[str]]) -> bytes:
    """Google Sheets, File > Download > CSV: UTF-8, `,`, CRLF, cells with a comma quoted."""
    quoted = [",".join(f'"{c}"' if "," in c else c for c in row) for row in [HEADER, *rows]]
    return ("\r\n".join(quoted) + "\r\n").encode("utf-8")


def start_agency(folder: Path, sheet: bytes, url: str | None = None) -> None:
    """What the README tells a new user: `init`, then point the csv source at the sheet (the
    file, or its published `url`)."""
    done = cli(folder, "init")
    assert done.returncode == 0, done.stderr
    config = folder / "pipeline.toml"
    text = config.read_text(encoding="utf-8")
    commented = '# [[sources]]\n# kind = "csv"\n# name = "sheet"\n# path = "deals.csv"'
    assert commented in text
    where = f'url = "{url}"' if url else 'path = "affaires.csv"'
    config.write_text(text.replace(commented, f'[[sources]]\nkind = "csv"\nname = "sheet"\n{where}'),
                      encoding="utf-8")  # fmt: skip
    if url is None:
        (folder / "affaires.csv").write_bytes(sheet)


def assert_summary_matches_the_sheet(folder: Path) -> None:
    answer = cli(folder, "query", "résumé", "--json")
    assert answer.returncode == 0, answer.stderr
    summary = json.loads(answer.stdout)
    stages = {s["key"]: (s["count"], s["amount"], s["weighted"]) for s in summary["stages"]}
    # by hand: qualification 12 000 x 10 %; meeting 4 500 + 3 000 at 40 %; negotiation
    # 3 800 + 2 500 at 60 %; closing 2 000 at 80 %; won 25 000 + 6 000; lost 1 200.
    assert stages == {
        "qualification": (1, 12000.0, 1200.0),
        "meeting": (2, 7500.0, 3000.0),
        "negotiation": (2, 6300.0, 3780.0),
        "closing": (1, 2000.0, 1600.0),
        "won": (2, 31000.0, 31000.0),
        "lost": (1, 1200.0, 0.0),
    }
    assert summary["open"] == {"count": 6, "amount": 27800.0, "weighted": 9580.0}
    assert summary["unmapped"]["count"] == 0
    # 9 deals = the 9 rows with a title; their amounts add up to the sheet's own total
    assert sum(c for c, _, _ in stages.values()) == 9
    assert sum(a for _, a, _ in stages.values()) == 60000.0


@pytest.mark.parametrize("export", [excel_export, google_export], ids=["excel", "google"])
def test_init_check_sync_query_accounts_for_every_row(tmp_path: Path, export) -> None:  # type: ignore[no-untyped-def]
    start_agency(tmp_path, export(ROWS))

    check = cli(tmp_path, "check")
    assert check.returncode == 0, check.stdout + check.stderr
    assert "  11 ligne(s) lue(s), 9 affaire(s) à enregistrer, 2 ligne(s) ignorée(s) " \
           "(vide : 9 ; total : 12)" in check.stdout  # fmt: skip
    assert ("  Colonnes utilisées : title ← 'Affaire', client ← 'Société', owner ← 'Commercial', "
            "status ← 'Statut', amount ← 'Montant HT', expected_close ← 'Clôture prévue'"
            ) in check.stdout  # fmt: skip
    assert "Pas de colonne « Depuis le »" in check.stdout
    assert "Pas de colonne d'identifiant" in check.stdout
    assert not (tmp_path / "pipeline.db").exists()  # check wrote nothing

    sync = cli(tmp_path, "sync")
    assert sync.returncode == 0, sync.stdout + sync.stderr
    assert "  sheet : 11 ligne(s) lue(s), 9 affaire(s) enregistrée(s), 2 ligne(s) ignorée(s) " \
           "(vide : 9 ; total : 12)" in sync.stdout  # fmt: skip

    assert_summary_matches_the_sheet(tmp_path)

    vitrine = json.loads(cli(tmp_path, "query", "affaire", "Site vitrine", "--json").stdout)
    assert sorted((d["client"], d["stage"], d["amount"]) for d in vitrine["deals"]) == [
        ("Boulangerie Dupain", "closing", 2000.0),
        ("Boulangerie Dupain", "meeting", 4500.0),
        ("Garage Martin", "negotiation", 3800.0),
    ]


def test_check_points_at_what_needs_attention_and_sync_writes_nothing_of_a_bad_source(
    tmp_path: Path,
) -> None:
    rows = [*ROWS[:2], ["Audit SEO", "Cabinet Roux", "Paul Leroy", "En pause", "900", ""],
            ["Logo", "Librairie Page", "Paul Leroy", "", "300", ""]]  # fmt: skip
    start_agency(tmp_path, excel_export(rows))
    config = tmp_path / "pipeline.toml"
    config.write_text(config.read_text(encoding="utf-8").replace('language = "fr"',
                      'language = "en"'), encoding="utf-8")  # fmt: skip
    check = cli(tmp_path, "check")
    assert check.returncode == 1
    assert (
        "  Statuses no stage claims (add them to [status_map]):\n"
        "    « En pause »: 1 row(s)\n"
        "    (no status): 1 row(s)\n"
    ) in check.stdout

    with config.open("a", encoding="utf-8") as extra:
        extra.write('[sources.fields]\namount = "Montant"\n')
    check = cli(tmp_path, "check")
    assert check.returncode == 1
    assert (
        "Source 'sheet' (csv): cannot be read: source 'sheet': [sources.fields] amount = "
        "\"Montant\" matches no column of the sheet; nearest: 'Montant HT'"
    ) in check.stdout
    sync = cli(tmp_path, "sync")
    assert sync.returncode == 1
    assert "sheet: FAILED" in sync.stdout and "nearest: 'Montant HT'" in sync.stdout
    answer = json.loads(cli(tmp_path, "query", "summary", "--json").stdout)
    assert sum(s["count"] for s in answer["stages"]) + answer["unmapped"]["count"] == 0


def test_a_sheet_without_status_column_is_said_by_check(tmp_path: Path) -> None:
    (tmp_path / "pipeline.toml").write_text(
        'language = "en"\n[[sources]]\nkind = "csv"\npath = "deals.csv"\n', encoding="utf-8"
    )
    (tmp_path / "deals.csv").write_text("Affaire;Montant\nAudit;1000\n", encoding="utf-8")
    check = cli(tmp_path, "check")
    assert check.returncode == 1
    assert "  No status column: every deal would be unmapped" in check.stdout


def test_emptied_sheet_needs_allow_empty_with_full(tmp_path: Path) -> None:
    start_agency(tmp_path, excel_export(ROWS))
    assert cli(tmp_path, "sync").returncode == 0
    (tmp_path / "affaires.csv").write_bytes(excel_export([]))
    refused = cli(tmp_path, "sync")
    assert refused.returncode == 1
    assert "9 affaire(s) en viennent : refusée, rien n'est retiré" in refused.stdout
    check = cli(tmp_path, "check")
    assert check.returncode == 1 and "sync la refusera et les gardera" in check.stdout
    alone = cli(tmp_path, "sync", "--allow-empty")
    assert alone.returncode == 2 and "--allow-empty va avec --full" in alone.stderr
    accepted = cli(tmp_path, "sync", "--full", "--allow-empty")
    assert accepted.returncode == 0, accepted.stdout
    assert "9 retirée(s)" in accepted.stdout


class Published(BaseHTTPRequestHandler):
    """The sheet published to the web: Excel's bytes with no charset named, Google's with one."""

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        return

    def do_GET(self) -> None:  # noqa: N802
        if self.path == "/excel.csv":
            body, kind = excel_export(ROWS), "text/csv"
        else:
            body, kind = google_export(ROWS), "text/csv; charset=utf-8"
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def published() -> Iterator[str]:
    with local_server(Published) as url:
        yield url


@pytest.mark.parametrize("path", ["/excel.csv", "/google.csv"])
def test_the_same_sheet_by_url_gives_the_same_answer(
    tmp_path: Path, published: str, path: str
) -> None:
    start_agency(tmp_path, b"", url=published + path)
    check = cli(tmp_path, "check")
    assert check.returncode == 0, check.stdout + check.stderr
    sync = cli(tmp_path, "sync")
    assert sync.returncode == 0, sync.stdout + sync.stderr
    assert "  sheet : 11 ligne(s) lue(s), 9 affaire(s) enregistrée(s), 2 ligne(s) ignorée(s) " \
           "(vide : 9 ; total : 12)" in sync.stdout  # fmt: skip
    assert_summary_matches_the_sheet(tmp_path)


def test_a_first_sync_invents_no_new_deal_but_a_row_added_later_is_new(tmp_path: Path) -> None:
    """The sheet has no date column: the first sync cannot tell when its deals arrived, so
    `changes` and the digest's "new this week" and "won this week" list none of them; a row
    added to the sheet after that is a new deal."""
    start_agency(tmp_path, excel_export(ROWS))
    assert cli(tmp_path, "sync").returncode == 0
    first = json.loads(cli(tmp_path, "query", "changes", "--json").stdout)
    assert first["events"] == []
    assert "Rien n'a changé depuis le" in cli(tmp_path, "query", "changes").stdout
    digest = cli(tmp_path, "digest", "--dry-run")
    assert digest.returncode == 0, digest.stderr
    assert "Réunion : 2 (=) · 7 500 € (=)" in plain(digest.stdout)  # not "+2": not arrived
    assert "*Nouvelles cette semaine* : 0 affaire(s) · 0 €" in plain(digest.stdout)
    # the two deals the sheet already had as won were not won this week
    assert "*Gagnées cette semaine* : 0 · 0 €" in plain(digest.stdout)

    # the store keeps times to the second: the next sync is a later one
    first = datetime.now(UTC).replace(microsecond=0)
    wait_for(lambda: datetime.now(UTC).replace(microsecond=0) > first, "the next second")
    added = ["Audit SEO", "Librairie Page", "Paul Leroy", "Appel et devis", "900,00 €", ""]
    (tmp_path / "affaires.csv").write_bytes(excel_export([*ROWS[:-1], added, ROWS[-1]]))
    assert cli(tmp_path, "sync").returncode == 0
    later = json.loads(cli(tmp_path, "query", "changes", "--json").stdout)
    assert [(e["title"], e["from"], e["to"]) for e in later["events"]] == [
        ("Audit SEO", None, "meeting")
    ]
    digest = plain(cli(tmp_path, "digest", "--dry-run").stdout)
    assert "*Nouvelles cette semaine* : 1 affaire(s) · 900 €" in digest
    assert "Réunion : 3 (+1) · 8 400 € (+900 €)" in digest


def plain(text: str) -> str:
    """French money and counts as printed, with their no-break spaces made plain."""
    return text.replace("\u202f", " ").replace("\xa0", " ")
