"""What every adapter's `write` shares: turning the tool's "no" into a `WriteRefused` for the
clicker, picking the tool's own spelling of a status, and the text of a comment.

Why one module: a write goes through the same `HttpClient` as reading, so its failures arrive as
the errors reading raises (`AuthError`, `HttpError` after the retries, a GraphQL error). The
clicker needs one short line saying what the tool refused, in their language, whichever tool it
is; and a write must never invent a status (a Notion select or a monday label would be created
on the fly), so the status is matched against the ones the tool lists first.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from bot.i18n import Said, said_of, t
from integrations.base import DealUpdate, SourceError, WriteRefused
from integrations.deal_fields import find_by_name

#: The deal fields a comment carries when the tool has no field named for them, in this order.
COMMENTED = ("lost_reason", "next_step")


@contextmanager
def refusals(source: str) -> Iterator[None]:
    """Run a write; what reading would call an error becomes a `WriteRefused` saying why:
    the token lacks the right (401/403), still rate-limited after the retries (429), or the
    tool's own message (a GraphQL error, a 4xx body)."""
    from integrations.http import AuthError, HttpError

    try:
        yield
    except WriteRefused:
        raise
    except AuthError as exc:
        raise WriteRefused(Said("write.forbidden", source=source, status=exc.status)) from exc
    except HttpError as exc:
        if exc.status == 429:
            raise WriteRefused(Said("write.rate_limited", source=source)) from exc
        raise WriteRefused(Said("write.failed", source=source, error=said_of(exc))) from exc
    except SourceError as exc:
        raise WriteRefused(Said("write.failed", source=source, error=said_of(exc))) from exc


def pick_status(source: str, wanted: str, known: Iterable[str], where: str) -> str:
    """The tool's own spelling of the status `wanted` among `known` (case, accents and
    apostrophes ignored, as status matching does); a status the tool does not list is refused
    rather than created. `where` names the property, column or team for the message."""
    names = [name for name in known if name]
    found = find_by_name(wanted, [(name, name) for name in names])
    if found is None:
        raise WriteRefused(Said("write.unknown_status", source=source, status=wanted,
                                where=where, known=", ".join(names) or "—"))  # fmt: skip
    return found


def comment_text(update: DealUpdate, fields: Iterable[str]) -> str:
    """The comment saying the `fields` of `update` that have no field of their own in the tool
    (`Raison de la perte : …` on one line, `Prochaine étape : …` on the next, in
    `update.language`); "" when none."""
    lines = []
    for name in COMMENTED:
        value = getattr(update, name)
        if name in fields and value:
            lines.append(t(f"write.comment.{name}", update.language, value=value))
    return "\n".join(lines)
