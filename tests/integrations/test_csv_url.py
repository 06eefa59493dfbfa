"""A Google Sheets "publish to web" CSV link: redirects followed, a web page refused clearly.

Google answers the published link with a redirect to its content host; a local server on
127.0.0.1 plays both hops, so the real HTTP path is exercised without the internet.
"""

from __future__ import annotations

from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from bot.pipeline import DEFAULT_STAGES, Pipeline
from bot.store import Store
from bot.sync import SyncResult, make_adapter, sync_source
from tests.helpers import local_server, store_at
from tests.integrations.support import run_sync

SHEET = "Affaire,Montant,Étape,Responsable\r\nRefonte,12 000 €,appel et devis,Marie\r\n".encode()


class Sheets(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        return

    def do_GET(self) -> None:  # noqa: N802
        if self.path.startswith("/spreadsheets/d/e/2PACX-demo/pub"):
            self.send_response(307)
            self.send_header("Location", "/content/sheet.csv")
            self.end_headers()
        elif self.path == "/content/sheet.csv":
            self._send(200, "text/csv; charset=utf-8", SHEET)
        elif self.path.startswith("/private"):
            self._send(200, "text/html; charset=utf-8", b"<html>Sign in</html>")
        else:
            self._send(404, "text/plain", b"not found")

    def _send(self, status: int, kind: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def sheets() -> Iterator[str]:
    with local_server(Sheets) as url:
        yield url


FIELDS = {"title": "Affaire", "amount": "Montant", "status": "Étape", "owner": "Responsable"}


def sync_url(store: Store, url: str) -> SyncResult:
    return run_sync(store, {"kind": "csv", "name": "sheet", "url": url, "fields": FIELDS})


def test_published_sheet_link_follows_the_redirect(store: Store, sheets: str) -> None:
    result = sync_url(
        store, f"{sheets}/spreadsheets/d/e/2PACX-demo/pub?gid=0&single=true&output=csv"
    )
    assert result.ok, result.error
    assert store.rows("SELECT title, amount, stage, owner FROM deals") == [
        {"title": "Refonte", "amount": 12000.0, "stage": "meeting", "owner": "Marie"}]  # fmt: skip


def test_a_sign_in_page_instead_of_csv_says_how_to_publish(store: Store, sheets: str) -> None:
    result = sync_url(store, f"{sheets}/private/export?format=csv")
    assert not result.ok
    assert "not CSV" in (result.error or "") and "Publish to web" in (result.error or "")
    assert store.scalar("SELECT COUNT(*) FROM deals") == 0


def test_a_missing_sheet_names_the_status(store: Store, sheets: str) -> None:
    result = sync_url(store, f"{sheets}/nowhere.csv")
    assert not result.ok and "HTTP 404" in (result.error or "")


# --- one sniffer for path and URL; limits on what a URL may send --------------------------

EXCEL = (
    "Affaire;Société;Statut;Montant HT\r\n"
    "Écart de conversion;Société Générale;Appel et devis;1\xa0200,00 €\r\n"
    "Site vitrine;Garage Martin;écarté;800\r\n"
).encode("cp1252")


class Feeds(BaseHTTPRequestHandler):
    """What real servers send for a published sheet, and what broken ones do."""

    protocol_version = "HTTP/1.1"
    body = b""

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        return

    def do_GET(self) -> None:  # noqa: N802
        path = self.path
        self.close_connection = True  # the client may hang up mid-body: no keep-alive
        if path == "/excel-no-charset.csv":  # cp1252 bytes, no charset: detected
            self._send("text/csv", EXCEL)
        elif path == "/latin9.csv":  # the server names its charset: it is used
            body = "title;amount;status\r\nRefonte;1500 €;appel et devis\r\n".encode("iso8859_15")
            self._send("text/csv; charset=ISO-8859-15", body)
        elif path == "/current.csv":
            self._send("text/csv; charset=utf-8", Feeds.body)
        elif path == "/drip.csv":  # a byte every 0.2 s, for a minute
            self.send_response(200)
            self.send_header("Content-Type", "text/csv")
            self.send_header("Content-Length", "300")
            self.end_headers()
            self._drip(b"title;status\n" + b"x" * 287, 0.2)
        elif path == "/declared-huge.csv":
            self.send_response(200)
            self.send_header("Content-Type", "text/csv")
            self.send_header("Content-Length", str(2 * 1024 * 1024 * 1024))
            self.end_headers()
            self._drip(b"title;status\n", 0)
        elif path == "/endless.csv":  # chunked, no length, never ends on its own
            self.send_response(200)
            self.send_header("Content-Type", "text/csv")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            row = b"Refonte;appel et devis\n" * 2000
            try:
                self.wfile.write(b"%x\r\ntitle;status\n\r\n" % len(b"title;status\n"))
                for _ in range(10_000):
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(row), row))
            except OSError:
                return
        else:
            self._send("text/plain", b"not found", 404)

    def _send(self, kind: str, body: bytes, status: int = 200) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _drip(self, body: bytes, pause: float) -> None:
        import time

        try:
            for byte in body:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(pause)
        except OSError:  # the client gave up: what the test wants
            return


@pytest.fixture
def feeds() -> Iterator[str]:
    with local_server(Feeds) as url:
        yield url


def sync_feed(
    store: Store, url: str, when: str = "2026-03-02T08:00:00", **source: object
) -> SyncResult:
    return run_sync(store, {"kind": "csv", "name": "sheet", "url": url, **source}, now=when)


def test_french_excel_bytes_by_url_without_charset_decode_like_the_file(
    store: Store, feeds: str, tmp_path: Path
) -> None:
    result = sync_feed(store, f"{feeds}/excel-no-charset.csv")
    assert result.ok, result.error
    by_url = store.rows("SELECT title, client, stage, amount FROM deals ORDER BY title")
    assert by_url == [
        {"title": "Site vitrine", "client": "Garage Martin", "stage": "lost", "amount": 800.0},
        {"title": "Écart de conversion", "client": "Société Générale", "stage": "meeting",
         "amount": 1200.0},
    ]  # fmt: skip
    # the same bytes from a file give the same deals (one sniffer for both)
    path = tmp_path / "same.csv"
    path.write_bytes(EXCEL)
    other = store_at(tmp_path / "other.db")
    try:
        adapter = make_adapter({"kind": "csv", "name": "sheet", "path": str(path)}, {})
        assert sync_source(other, Pipeline(DEFAULT_STAGES), adapter).ok
        assert other.rows("SELECT title, client, stage, amount FROM deals ORDER BY title") == by_url
    finally:
        other.close()


def test_a_charset_the_server_names_is_used(store: Store, feeds: str) -> None:
    assert sync_feed(store, f"{feeds}/latin9.csv").ok
    assert store.rows("SELECT title, amount, currency FROM deals") == [
        {"title": "Refonte", "amount": 1500.0, "currency": "EUR"}]  # fmt: skip


def test_a_server_dripping_bytes_ends_at_the_total_time_limit(store: Store, feeds: str) -> None:
    """Each byte comes well within the per-read timeout: only a total-time limit ends it."""
    result = sync_feed(store, f"{feeds}/drip.csv", max_seconds=1)
    assert not result.ok
    assert result.error == (
        "source 'sheet': the sheet took longer than 1 s to download; stopped (raise "
        "`max_seconds` in its [[sources]] table if the server is just slow)"
    )
    assert store.scalar("SELECT COUNT(*) FROM deals") == 0


@pytest.mark.parametrize("path", ["/declared-huge.csv", "/endless.csv"])
def test_a_body_over_the_size_limit_is_refused_in_one_line(
    store: Store, feeds: str, path: str
) -> None:
    result = sync_feed(store, feeds + path, max_mb=1)
    assert not result.ok
    assert result.error == (
        "source 'sheet': the sheet is larger than 1 MB; stopped reading it (raise `max_mb` in "
        "its [[sources]] table if it really is that big)"
    )
    assert store.scalar("SELECT COUNT(*) FROM deals") == 0


def test_an_empty_200_keeps_the_stored_deals_and_fails_the_source(store: Store, feeds: str) -> None:
    Feeds.body = "Affaire,Statut\r\nRefonte,appel et devis\r\nAudit,écarté\r\n".encode()
    assert sync_feed(store, f"{feeds}/current.csv").ok
    Feeds.body = b""
    result = sync_feed(store, f"{feeds}/current.csv", when="2026-03-03T08:00:00")
    assert not result.ok and result.removed == 0
    assert "no deal rows while 2 deal(s) are stored" in (result.error or "")
    assert store.rows("SELECT title, removed FROM deals ORDER BY title") == [
        {"title": "Audit", "removed": 0}, {"title": "Refonte", "removed": 0}]  # fmt: skip
