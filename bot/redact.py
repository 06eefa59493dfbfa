"""One filter that knows every configured secret's value and blanks it out of text.

Trello's key and token travel in the query string, so any error that echoes a URL (a vendor's
message, a proxy's page, `requests`' connection errors) would carry them into the terminal, the
log and `sync_state.last_error`. Every `Secrets` registers its values here when it is built;
`redact` is applied where text leaves the process: the logging filter on the handlers, the
sync-state writer and the command line's error printer.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

MASK = "[redacted]"
#: Shorter values are not secrets worth hiding (and would blank out ordinary words).
MIN_LENGTH = 6
#: Credentials by name in a URL's query string, whatever their value (a secret set elsewhere).
_QUERY_SECRET = re.compile(
    r"(?i)([?&](?:key|token|api_key|apikey|access_token|client_secret|secret)=)[^&#\s'\"<>]+"
)

_lock = threading.Lock()
_values: set[str] = set()
_pattern: re.Pattern[str] | None = None


def register(values: Iterable[str]) -> None:
    """Remember secret values (and their URL-encoded forms) to blank out from now on."""
    global _pattern
    added = False
    with _lock:
        for value in values:
            if len(value) < MIN_LENGTH:
                continue
            for form in {value, quote(value, safe=""), quote_plus(value)}:
                if form not in _values:
                    _values.add(form)
                    added = True
        if added:
            ordered = sorted(_values, key=len, reverse=True)  # longest first: no partial leaks
            _pattern = re.compile("|".join(re.escape(v) for v in ordered))


def redact(text: str) -> str:
    """`text` with every registered secret, and any `key=`/`token=` query value, masked."""
    pattern = _pattern
    if pattern is not None:
        text = pattern.sub(MASK, text)
    return _QUERY_SECRET.sub(lambda m: m.group(1) + MASK, text)


class RedactingFilter(logging.Filter):
    """Masks secrets in a record's message and traceback before any handler writes it."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


FILTER = RedactingFilter()


def install_logging_filter() -> None:
    """Put the filter on every handler of the root logger and on logging's last resort (what
    prints warnings when nothing configured logging: the command line)."""
    for handler in [*logging.getLogger().handlers, logging.lastResort]:
        if handler is not None:
            handler.addFilter(FILTER)
