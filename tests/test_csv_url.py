"""A Google Sheets "publish to web" CSV link: redirects followed, a web page refused clearly.

Google answers the published link with a redirect to its content host; a local server on
127.0.0.1 plays both hops, so the real HTTP path is exercised without the internet.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bot.pipeline import DEFAULT_STAGES, Pipeline
from bot.store import Store
from bot.sync import make_adapter, sync_source

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
    server = ThreadingHTTPServer(("127.0.0.1", 0), Sheets)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


FIELDS = {"title": "Affaire", "amount": "Montant", "status": "Étape", "owner": "Responsable"}


def sync_url(store: Store, url: str):  # type: ignore[no-untyped-def]
    adapter = make_adapter({"kind": "csv", "name": "sheet", "url": url, "fields": FIELDS}, {},
                           http_options={"sleep": lambda s: None})  # fmt: skip
    return sync_source(store, Pipeline(DEFAULT_STAGES), adapter,
                       now=lambda: datetime(2026, 3, 2, 8, tzinfo=UTC))  # fmt: skip


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
