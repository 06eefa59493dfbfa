"""Sheets as French Excel and Google Sheets really write them, read from a file.

French Excel's "CSV (séparateur : point-virgule)" is Windows-1252, `;`, CRLF, amounts as shown
(`4 500,00 €` with a no-break space, byte A0); Excel's "CSV UTF-8" adds a BOM; Google Sheets'
download is UTF-8 without BOM, `,`, CRLF, quoting cells that hold a comma.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.pipeline import DEFAULT_STAGES, Pipeline
from bot.store import Store
from bot.sync import SyncResult, make_adapter, sync_source
from integrations import csv_source
from integrations.csv_source import FIELD_OF_HEADER, HEADER_SYNONYMS, resolve_columns
from integrations.values import header_key
from tests.integrations.support import run_sync

PIPELINE = Pipeline(DEFAULT_STAGES)

EXCEL_ROWS = [
    "Affaire;Société;Commercial;Statut;Montant HT;Clôture prévue",
    "Site vitrine;Boulangerie Dupain;Marie Dupont;Appel et devis;4\xa0500,00 €;15/01/2027",
    "Site vitrine;Garage Martin;Paul Leroy;Balle dans le camp du client;3\xa0800,00 €;31/12/2026",
    "Site vitrine;Boulangerie Dupain;Marie Dupont;Conclusion du contrat;2\xa0000,00 €;20/12/2026",
    "Refonte e-commerce;Fromagerie Écart;Marie Dupont;Client sur le point d’arriver;"
    "12\xa0000,00 €;28/02/2027",
    ";;;;;",
    "TOTAL;;;;22\xa0300,00 €;",
]


def excel(path: Path, rows: list[str]) -> Path:
    """French Excel's CSV: cp1252, `;`, CRLF."""
    path.write_bytes("\r\n".join(rows).encode("cp1252") + b"\r\n")
    return path


def run(
    store: Store, path: Path, when: str = "2026-12-01T08:00:00", **source: object
) -> SyncResult:
    return run_sync(store, {"kind": "csv", "name": "sheet", "path": str(path), **source},
                    now=when, timezone="Europe/Paris")  # fmt: skip


def deals(store: Store) -> list[dict[str, object]]:
    return store.rows("SELECT id, title, client, owner, stage, amount, expected_close FROM deals "
                      "WHERE removed = 0 ORDER BY id")  # fmt: skip


def test_french_excel_sheet_loads_every_row_with_no_fields(store: Store, tmp_path: Path) -> None:
    result = run(store, excel(tmp_path / "affaires.csv", EXCEL_ROWS))
    assert result.ok, result.error
    assert deals(store) == [
        {"id": "sheet:boulangerie dupain/site vitrine", "title": "Site vitrine",
         "client": "Boulangerie Dupain", "owner": "Marie Dupont", "stage": "meeting",
         "amount": 4500.0, "expected_close": "2027-01-15"},
        {"id": "sheet:boulangerie dupain/site vitrine#2", "title": "Site vitrine",
         "client": "Boulangerie Dupain", "owner": "Marie Dupont", "stage": "closing",
         "amount": 2000.0, "expected_close": "2026-12-20"},
        {"id": "sheet:fromagerie ecart/refonte e-commerce", "title": "Refonte e-commerce",
         "client": "Fromagerie Écart", "owner": "Marie Dupont", "stage": "qualification",
         "amount": 12000.0, "expected_close": "2027-02-28"},
        {"id": "sheet:garage martin/site vitrine", "title": "Site vitrine",
         "client": "Garage Martin", "owner": "Paul Leroy", "stage": "negotiation",
         "amount": 3800.0, "expected_close": "2026-12-31"},
    ]  # fmt: skip
    rows = result.rows
    assert rows is not None
    assert (rows.read, rows.stored, rows.skipped) == (6, 4, [(6, "empty"), (7, "total")])
    assert result.warnings == []


def test_same_sheet_saved_as_excel_utf8_with_bom_and_as_google_sheets(
    store: Store, tmp_path: Path
) -> None:
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(EXCEL_ROWS).encode() + b"\r\n")
    run(store, bom)
    from_bom = deals(store)
    google = tmp_path / "google.csv"
    google.write_bytes(
        "Affaire,Société,Commercial,Statut,Montant HT,Clôture prévue\r\n"
        'Site vitrine,Boulangerie Dupain,Marie Dupont,Appel et devis,"4\u202f500,00 €",15/01/2027\r\n'
        'Site vitrine,Garage Martin,Paul Leroy,Balle dans le camp du client,"3 800,00 €",31/12/2026\r\n'
        'Site vitrine,Boulangerie Dupain,Marie Dupont,Conclusion du contrat,"2 000,00 €",2026-12-20\r\n'
        "Refonte e-commerce,Fromagerie Écart,Marie Dupont,Client sur le point d'arriver,12000,28/02/2027\r\n"
        ",,,,,\r\n"
        'Total,,,,"22 300,00 €",'.encode()
    )
    assert run(store, google, when="2026-12-02T08:00:00").ok
    assert deals(store) == from_bom  # the same four deals, nothing removed or doubled
    assert store.scalar("SELECT COUNT(*) FROM deals") == 4


def test_a_cp1252_byte_only_on_the_last_row_of_a_big_sheet_still_decodes(
    store: Store, tmp_path: Path
) -> None:
    """The encoding is decided on the whole byte stream, not a prefix: 2 MB of ASCII rows
    before the first `é` must not be read as UTF-8 and then fail (or garble) at the end."""
    # 2,000 rows of 1 kB (long titles) rather than 60,000 short ones: the same 2 MB to decode,
    # a thirtieth of the deals to store
    rows = ["title;client;status;amount"]
    rows += [f"Deal {n} {'x' * 1000};Client {n};appel et devis;100" for n in range(2_000)]
    rows.append("Dernière affaire;Société Générale;écarté;900")
    path = excel(tmp_path / "big.csv", rows)
    assert path.stat().st_size > 2_000_000
    assert path.read_bytes().index("è".encode("cp1252")) > 2_000_000  # the first non-ASCII byte
    result = run(store, path)
    assert result.ok, result.error
    assert store.rows("SELECT title, client, stage FROM deals WHERE amount = 900") == [
        {"title": "Dernière affaire", "client": "Société Générale", "stage": "lost"}]  # fmt: skip
    assert store.scalar("SELECT COUNT(*) FROM deals") == 2_001


def test_bytes_that_are_neither_utf8_nor_cp1252_fail_clearly_and_write_nothing(
    store: Store, tmp_path: Path
) -> None:
    path = tmp_path / "odd.csv"
    path.write_bytes(b"title;status\r\nRefonte;appel et devis\r\nAudit \x81\xe9;appel et devis\r\n")
    result = run(store, path)
    assert not result.ok
    assert result.error == (
        "source 'sheet': line 3: byte 0x81 cannot be read as Windows-1252; set `encoding` "
        'in its [[sources]] table (e.g. "utf-8" or "cp1252")'
    )
    assert store.scalar("SELECT COUNT(*) FROM deals") == 0


def test_encoding_and_delimiter_keys_force_them(store: Store, tmp_path: Path) -> None:
    # Latin-9 "€" is byte A4; read as detected (cp1252) it would be "¤".
    path = tmp_path / "latin9.csv"
    path.write_bytes("title|amount|status\nRefonte|1500 €|appel et devis\n".encode("iso8859_15"))
    assert run(store, path, encoding="iso8859_15", delimiter="|").ok
    assert store.rows("SELECT title, amount, currency FROM deals") == [
        {"title": "Refonte", "amount": 1500.0, "currency": "EUR"}]  # fmt: skip


def test_tab_separated_export_is_detected(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "export.tsv"
    path.write_text("Titre\tClient\tÉtape\tMontant\nAudit SEO\tLeroy, Fils & Cie\tappel et devis\t"
                    "1 200,50\n", encoding="utf-8")  # fmt: skip
    assert run(store, path).ok
    assert store.rows("SELECT title, client, amount FROM deals") == [
        {"title": "Audit SEO", "client": "Leroy, Fils & Cie", "amount": 1200.5}]  # fmt: skip


def test_headers_match_ignoring_case_accents_spaces_punctuation_and_apostrophes() -> None:
    header = ["N°", "INTITULÉ", "Chargé d’affaires", "e-mail", "Montant (€)", "Date de clôture",
              "Depuis le", "Raison du refus", "Étape"]  # fmt: skip
    columns = resolve_columns(header, {})
    assert {f: header[i] for f, i in columns.index.items()} == {
        "id": "N°", "title": "INTITULÉ", "owner": "Chargé d’affaires", "owner_email": "e-mail",
        "amount": "Montant (€)", "expected_close": "Date de clôture",
        "stage_entered": "Depuis le", "lost_reason": "Raison du refus", "status": "Étape",
    }  # fmt: skip
    # every name of the contract's table is recognised, and for one field only
    for deal_field, names in HEADER_SYNONYMS.items():
        for name in (deal_field, *names):
            assert FIELD_OF_HEADER[header_key(name)] == deal_field, name


def test_two_headers_claiming_one_field_first_wins_and_it_is_said(
    store: Store, tmp_path: Path
) -> None:
    path = tmp_path / "deals.csv"
    path.write_text("Affaire;Statut;Montant HT;Montant TTC\nAudit;appel et devis;1000;1200\n",
                    encoding="utf-8")  # fmt: skip
    result = run(store, path)
    assert store.scalar("SELECT amount FROM deals") == 1000.0
    assert result.warnings == [
        "source 'sheet': columns 'Montant HT' and 'Montant TTC' both look like amount; "
        "'Montant HT' (the first) is used"
    ]


def test_a_fields_name_matching_no_header_fails_naming_the_nearest_and_writes_nothing(
    store: Store, tmp_path: Path
) -> None:
    path = excel(tmp_path / "affaires.csv", EXCEL_ROWS)
    result = run(store, path, fields={"amount": "Montant"})
    assert not result.ok
    assert result.error == (
        "source 'sheet': [sources.fields] amount = \"Montant\" matches no column of the sheet; "
        "nearest: 'Montant HT'"
    )
    assert store.scalar("SELECT COUNT(*) FROM deals") == 0
    fixed = run(store, path, fields={"amount": "montant ht"})
    assert fixed.ok and store.scalar("SELECT SUM(amount) FROM deals") == 22300.0


def test_rows_skipped_are_reported_by_number_and_no_titled_row_is_dropped(
    store: Store, tmp_path: Path
) -> None:
    path = excel(tmp_path / "deals.csv", [
        "Affaire;Statut;Montant",
        "Audit;appel et devis;1000",
        ";;",                            # 3: empty
        ";;250",                         # 4: neither title nor status (a note, a subtotal)
        "Sous-total Q1;;1000",           # 5: a subtotal
        "Total général;;1250",           # 6: a total
        "Totalement refait;écarté;300",  # 7: has a status: a deal
        ";appel et devis;50",            # 8: a status and no title: a deal, said
        "Logo;;",                        # 9: a title and no status: a deal (unmapped)
    ])  # fmt: skip
    result = run(store, path)
    assert result.rows is not None
    assert result.rows.skipped == [(3, "empty"), (4, "no_title_status"), (5, "total"),
                                   (6, "total")]  # fmt: skip
    assert (result.rows.read, result.rows.stored) == (8, 4)
    assert store.rows("SELECT title, status FROM deals ORDER BY title") == [
        {"title": "(untitled, row 8)", "status": "appel et devis"},
        {"title": "Audit", "status": "appel et devis"},
        {"title": "Logo", "status": None},
        {"title": "Totalement refait", "status": "écarté"},
    ]
    assert result.warnings == ["row 8: no title; loaded as '(untitled, row 8)'"]


def test_identity_survives_resyncs_when_other_rows_move_and_titles_are_retyped(
    store: Store, tmp_path: Path
) -> None:
    path = excel(tmp_path / "deals.csv", EXCEL_ROWS)
    run(store, path)
    before = {d["id"]: d["stage"] for d in deals(store)}
    # A new deal inserted at the top, a row moved down, a title retyped in capitals: every
    # existing deal keeps its identity (and its history); nothing is removed.
    moved = [EXCEL_ROWS[0], "Audit SEO;Cabinet Roux;Paul Leroy;Appel et devis;900;",
             EXCEL_ROWS[4], EXCEL_ROWS[1],
             "SITE VITRINE;Garage Martin;Paul Leroy;Balle dans le camp du client;3 800;",
             EXCEL_ROWS[3]]  # fmt: skip
    result = run(store, excel(path, moved), when="2026-12-02T08:00:00")
    assert result.ok and result.removed == 0
    after = {d["id"]: d["stage"] for d in deals(store)}
    assert after == {**before, "sheet:cabinet roux/audit seo": "meeting"}


def test_repeated_id_later_row_wins_once_and_is_reported(store: Store, tmp_path: Path) -> None:
    path = excel(tmp_path / "deals.csv", [
        "Réf;Affaire;Statut;Montant",
        "D-1;Refonte;appel et devis;1000",
        "D-2;Audit;écarté;500",
        "D-1;Refonte (v2);conclusion du contrat;1500",
        ";Logo;appel et devis;200",
    ])  # fmt: skip
    result = run(store, path)
    assert result.ok
    assert store.rows("SELECT id, title, stage, amount FROM deals ORDER BY id") == [
        {"id": "sheet:D-1", "title": "Refonte (v2)", "stage": "closing", "amount": 1500.0},
        {"id": "sheet:D-2", "title": "Audit", "stage": "lost", "amount": 500.0},
        {"id": "sheet:logo", "title": "Logo", "stage": "meeting", "amount": 200.0},
    ]
    # the losing row never reached the store: one status, no zero-length stay
    assert [e["to_stage"] for e in store.history("sheet:D-1")] == ["closing"]
    assert result.rows is not None and result.rows.repeated == [(2, 4)]
    assert (result.rows.read, result.rows.stored) == (4, 3)
    assert result.warnings == [
        "row 5: empty id; told apart by client and title",
        "row 2: id 'D-1' appears again on row 4; the later row wins",
    ]


def test_ids_whose_hashes_collide_stay_two_deals_and_a_repeat_among_them_still_wins_once(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The id pass keeps 8 bytes of hash per row, not the ids: equal hashes are looked at again
    as text, so two different ids are never merged, even when their hashes are equal (forced
    here: every id of the same length hashes alike)."""
    monkeypatch.setattr(csv_source, "_digest", lambda key: len(key))
    path = excel(tmp_path / "deals.csv", [
        "Réf;Affaire;Statut;Montant",
        "A-1;Refonte;appel et devis;1000",
        "B-2;Audit;écarté;500",
        "A-1;Refonte (v2);conclusion du contrat;1500",
        "C-3;Logo;appel et devis;200",
        ";Sans ref;appel et devis;300",
        "sans ref;Doublon de nom;appel et devis;50",
    ])  # fmt: skip
    result = run(store, path)
    assert result.ok
    assert store.rows("SELECT id, title, amount FROM deals ORDER BY id") == [
        {"id": "sheet:A-1", "title": "Refonte (v2)", "amount": 1500.0},
        {"id": "sheet:B-2", "title": "Audit", "amount": 500.0},
        {"id": "sheet:C-3", "title": "Logo", "amount": 200.0},
        {"id": "sheet:sans ref", "title": "Doublon de nom", "amount": 50.0},
        {"id": "sheet:sans ref#2", "title": "Sans ref", "amount": 300.0},
    ]
    assert result.rows is not None and result.rows.repeated == [(2, 4)]
    assert (result.rows.read, result.rows.stored) == (6, 5)


def test_an_oversized_cell_is_cut_and_warned_and_later_rows_load(
    store: Store, tmp_path: Path
) -> None:
    path = tmp_path / "deals.csv"
    notes = "x" * 200_000
    path.write_text(f"title;status;next_step\nAudit;appel et devis;{notes}\nLogo;écarté;\n",
                    encoding="utf-8")  # fmt: skip
    result = run(store, path)
    assert result.ok, result.error
    assert store.scalar("SELECT LENGTH(next_step) FROM deals WHERE title = 'Audit'") == 131_072
    assert store.scalar("SELECT COUNT(*) FROM deals") == 2
    assert result.warnings == [
        "row 2: column 'next_step': a cell of 200000 characters was cut to 131072"]  # fmt: skip


@pytest.mark.parametrize("content", [b"", b"Affaire;Statut;Montant\r\n", b"\xef\xbb\xbf"])
def test_an_empty_or_header_only_sheet_is_refused_while_deals_are_stored(
    store: Store, tmp_path: Path, content: bytes
) -> None:
    path = excel(tmp_path / "deals.csv", EXCEL_ROWS)
    run(store, path)
    path.write_bytes(content)
    result = run(store, path, when="2026-12-02T08:00:00")
    assert not result.ok and result.removed == 0
    assert result.error == (
        "source 'sheet': the sheet has no deal rows while 4 deal(s) are stored from it: refused, "
        "nothing removed (emptied on purpose? run `pipeline-bot sync --full --allow-empty "
        "--source sheet`)"
    )
    assert store.live_count("sheet") == 4
    adapter = make_adapter({"kind": "csv", "name": "sheet", "path": str(path)}, {})
    later = datetime(2026, 12, 3, 8, tzinfo=UTC)
    emptied = sync_source(store, PIPELINE, adapter, full=True, allow_empty=True, now=lambda: later)
    assert emptied.ok and emptied.removed == 4 and store.live_count("sheet") == 0


def test_a_title_and_blank_lines_above_the_table_are_skipped_and_the_header_found(
    store: Store, tmp_path: Path
) -> None:
    path = excel(tmp_path / "suivi.csv", [
        "Suivi commercial 2026;;;;",
        ";;;;",
        "Réf;Affaire;Société;Statut;Montant",
        "D-1;Site vitrine;Dupain;appel et devis;1000",
        "D-2;Logo;Martin;écarté;500",
        "D-1;Site vitrine;Dupain;conclusion du contrat;1200",
    ])  # fmt: skip
    result = run(store, path)
    assert result.ok, result.error
    assert store.rows("SELECT id, stage, amount FROM deals ORDER BY id") == [
        {"id": "sheet:D-1", "stage": "closing", "amount": 1200.0},
        {"id": "sheet:D-2", "stage": "lost", "amount": 500.0},
    ]
    rows = result.rows
    assert rows is not None
    assert rows.skipped == [(1, "above_header"), (2, "empty")] and rows.repeated == [(4, 6)]
    assert (rows.read, rows.stored) == (5, 2)


def test_a_one_cell_first_row_stays_the_header_when_the_next_row_names_no_title(
    store: Store, tmp_path: Path
) -> None:
    path = excel(tmp_path / "deals.csv", ["Affaire;;", "Site vitrine;Dupain;1000", "Logo;;"])
    assert run(store, path).ok
    assert store.rows("SELECT title FROM deals ORDER BY title") == [
        {"title": "Logo"}, {"title": "Site vitrine"}]  # fmt: skip


def test_deals_stored_under_the_old_title_identity_keep_their_history(
    store: Store, tmp_path: Path
) -> None:
    """Before client + title, a sheet without ids knew its rows by title alone ("sheet:Site
    vitrine"): the next sync moves those deals to their new ids instead of removing them and
    starting their ages again."""
    from tests.helpers import ListAdapter, task

    old = ListAdapter("sheet", [task("Site vitrine", "appel et devis", title="Site vitrine"),
                                task("logo", "écarté", title="logo")])  # fmt: skip
    sync_source(store, PIPELINE, old, now=lambda: datetime(2026, 11, 2, 8, tzinfo=UTC))
    nudged = "INSERT INTO nudges (deal_id, day, owner, recipient, sent_at) VALUES (?, ?, ?, ?, ?)"
    store.conn.execute(nudged, ("sheet:Site vitrine", "2026-11-20", "Marie", "U1", "x"))
    path = excel(tmp_path / "deals.csv", [
        "Affaire;Société;Statut",
        "Site vitrine;Dupain;balle dans le camp du client",
        "Site vitrine;Martin;appel et devis",
        "logo;Dupain;écarté",
    ])  # fmt: skip
    result = run(store, path)
    assert result.ok, result.error
    live = store.rows("SELECT id, first_seen FROM deals WHERE removed = 0 ORDER BY id")
    assert live == [
        {"id": "sheet:dupain/logo", "first_seen": "2026-12-01T08:00:00+00:00"},
        {"id": "sheet:dupain/site vitrine", "first_seen": "2026-11-02T08:00:00+00:00"},
        {"id": "sheet:martin/site vitrine", "first_seen": "2026-12-01T08:00:00+00:00"},
    ]
    assert [(e["from_stage"], e["to_stage"]) for e in store.history("sheet:dupain/site vitrine")] \
        == [(None, "meeting"), ("meeting", "negotiation")]  # fmt: skip
    assert store.scalar("SELECT deal_id FROM nudges") == "sheet:dupain/site vitrine"
    # "logo" is its own normal form, so it could be a new id: never taken over, only removed
    assert store.rows("SELECT id FROM deals WHERE removed = 1") == [{"id": "sheet:logo"}]
