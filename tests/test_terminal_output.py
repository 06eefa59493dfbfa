"""Cells can't drive the terminal: escape sequences and control characters from a sheet are
dropped from `sync` warnings, `query` answers and the dry runs (one `printable` for them all)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import cli
from bot.terminal import printable
from tests.helpers import db_target

#: Clear screen, retitle the window (OSC, BEL-terminated), a hidden OSC 8 link, bell, backspace,
#: a bidi override: what a hostile cell can hold.
NASTY = (
    "\x1b[2J\x1b]0;pwned\x07\x1b]8;;http://evil.example\x1b\\Refonte\x1b]8;;\x1b\\\x07\x08\u202e"
)


def test_printable_drops_whole_sequences_and_keeps_the_text() -> None:
    assert printable(f"Deal {NASTY} Dupain\n\tnext") == "Deal Refonte Dupain\n\tnext"
    assert printable("\x1b[31mred\x1b[0m \x9b2J ok") == "red  ok"


@pytest.fixture
def sheet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    for name in ("SLACK_BOT_TOKEN", "SLACK_API_URL", "PIPELINE_CONFIG", "PIPELINE_DB"):
        monkeypatch.delenv(name, raising=False)
    csv = tmp_path / "deals.csv"
    csv.write_text(
        "title\tclient\towner\tstatus\tamount\texpected_close\n"  # OSC sequences hold ";"
        f"Site {NASTY}\tDupain {NASTY}\tBob {NASTY}\tappel et devis\t12 000 {NASTY}\t2026-02-01\n",
        encoding="utf-8",
    )
    config = tmp_path / "pipeline.toml"
    config.write_text(
        f'language = "en"\n[slack]\nchannel = "C0TEAM"\n[[sources]]\nkind = "csv"\n'
        f'path = "{csv}"\n',
        encoding="utf-8",
    )
    return ["--config", str(config), "--db", str(db_target(tmp_path / "pipeline.db"))]


def test_sync_warnings_and_every_printed_answer_hold_no_escape(
    sheet: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    cli.main([*sheet, "sync"])
    out = capsys.readouterr()
    assert "is not an amount" in out.out  # the warning is printed, its cell made inert
    printed = [out.out, out.err]
    for command in (["query", "stalled", "--as-of", "2026-04-01"],
                    ["query", "deal", "site", "--as-of", "2026-04-01"],
                    ["query", "owners"],
                    ["nudge", "--dry-run", "--as-of", "2026-04-01"],
                    ["digest", "--dry-run", "--as-of", "2026-04-01"]):  # fmt: skip
        cli.main([*sheet, *command])
        out = capsys.readouterr()
        printed += [out.out, out.err]
    text = "".join(printed)
    assert "Site Refonte" in text and "Bob Refonte" in text
    for raw in ("\x1b", "\x07", "\x08", "\u202e"):
        assert raw not in text
    assert "pwned" not in text.replace("]0;pwned", "")  # only inside the warning's inert repr


def test_printable_drops_every_control_character_wherever_it_stands() -> None:
    """Each C0/C1 control (tab and newline kept) and bidi override, alone in a long clean text
    (a JSON answer is a few hundred kB a chunk): found and dropped, the rest kept as it was."""
    unit = "« Refonte Dupain » 12 000 € — prochaine étape\n\t"  # no letter after a control
    clean = unit * 2000
    controls = [chr(c) for c in (*range(0x00, 0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0),
                                 *range(0x202A, 0x202F), *range(0x2066, 0x206A))]  # fmt: skip
    assert printable(clean) == clean
    for char in controls:
        for text in (
            char + clean,
            clean[: len(unit) * 900] + char + clean[len(unit) * 900 :],
            clean + char,
        ):
            assert printable(text) == clean, hex(ord(char))


def test_log_lines_go_through_printable_too(capsys: pytest.CaptureFixture[str]) -> None:
    """`serve` logs warnings naming deals and owners: the same filter applies."""
    import logging

    from bot.terminal import PrintableFormatter

    handler = logging.StreamHandler()
    handler.setFormatter(PrintableFormatter("%(levelname)s: %(message)s"))
    logger = logging.getLogger("tests.terminal")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("nudge to %s failed: %s", f"Bob {NASTY}", "channel_not_found")
    finally:
        logger.removeHandler(handler)
    assert capsys.readouterr().err == "WARNING: nudge to Bob Refonte failed: channel_not_found\n"
