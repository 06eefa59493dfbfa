"""Everything the CLI prints passes `printable`: cells must not drive the terminal.

A sheet cell or a task title can hold escape sequences (`\\x1b[2J` clears the screen, OSC 8
makes a hidden link, `\\x1b]0;…` retitles the window) or bidi overrides that reorder what is
read. Sync warnings, query answers, dry runs and error lines print such text, so every terminal
printer goes through `echo` (or `printable`), and the sequences are dropped whole. `echo` is
also where the command line masks secrets on their way out (`bot.redact`).
"""

from __future__ import annotations

import logging
import re
import sys
from typing import TextIO

from bot.redact import redact

#: CSI (`ESC [ … final`), OSC (`ESC ] … BEL|ST`), other two-byte escapes, then any lone C0/C1
#: control but tab and newline, and the bidi embedding/override/isolate characters.
_SEQUENCES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"
    r"|\x1b[@-Z\\-_]"
    r"|\x9b[0-?]*[ -/]*[@-~]"
    r"|[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]"
)


#: The first character of anything `_SEQUENCES` removes: text without one is returned as it is
#: (one scan of a character class, five times faster than trying each pattern at every place).
_SPECIAL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


#: `_SPECIAL`'s characters that Latin-1 holds (the bidi ones do not): deleted from a Latin-1
#: text's bytes, they leave it shorter only when it has one.
_SPECIAL_LATIN_1 = bytes([*range(0x00, 0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0)])


def printable(text: str) -> str:
    """`text` without escape sequences or control characters (tabs and newlines stay).

    A text Latin-1 can hold (most French text, JSON answers included) is checked on its bytes,
    twice as fast as the character class: a million-deal answer is hundreds of megabytes."""
    latin = text.encode("latin-1", errors="ignore")  # shorter: a wider character is there
    if len(latin) == len(text) and len(latin.translate(None, _SPECIAL_LATIN_1)) == len(text):
        return text
    return _SEQUENCES.sub("", text) if _SPECIAL.search(text) else text


def echo(text: object = "", *, err: bool = False, file: TextIO | None = None) -> None:
    """`print` for anything that may hold text from a source or a user; configured secrets
    are masked too (an error that echoes a vendor's URL: see bot/redact.py)."""
    stream = file or (sys.stderr if err else sys.stdout)
    print(printable(redact(str(text))), file=stream)


class PrintableFormatter(logging.Formatter):
    """`serve`'s log lines through `printable`: a deal's title in a warning can't drive the
    terminal or journal viewer either."""

    def format(self, record: logging.LogRecord) -> str:
        return printable(super().format(record))


def log_to_stderr(level: int = logging.INFO) -> None:
    """Log lines to stderr, each through `printable` (what `serve` uses)."""
    handler = logging.StreamHandler()
    handler.setFormatter(PrintableFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=level, handlers=[handler])
