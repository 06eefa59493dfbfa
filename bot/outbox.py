"""What the scheduled jobs need from Slack, as three plain callables (no Slack SDK here).

Nudges, the digest and the won/lost announcements post messages, look up a user by e-mail and
attach charts in a thread; nothing else. They take an `Outbox` of those callables rather than a
Slack `WebClient`, so the domain modules do not depend on the Slack SDK (`bot/slack_client.py`
builds the real one) and a failure reaches them as one `SlackRefused`, whatever the transport.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

Blocks = list[dict[str, Any]]


@dataclass(frozen=True)
class Posted:
    """Where a message landed: the channel Slack resolved (a DM's `D…` for a user ID) and its ts."""

    channel: str
    ts: str


@dataclass(frozen=True)
class Attachment:
    filename: str
    title: str
    content: bytes


class SlackRefused(Exception):
    """Slack answered with an error: `error` is its code (`channel_not_found`), or `HTTP 503`
    when the body had none; `status` is the HTTP status. A connection failure is an `OSError`."""

    def __init__(self, error: str, status: int = 200):
        super().__init__(error)
        self.error = error
        self.status = status


#: post(channel, text, blocks) → where it landed; raises `SlackRefused` or `OSError`.
Post = Callable[[str, str, "Blocks | None"], Posted]
#: find_user(email) → Slack user ID, or None when no user has it; raises `SlackRefused` otherwise.
FindUser = Callable[[str], "str | None"]
#: upload(channel, files, thread_ts, comment): files shared in a message's thread.
Upload = Callable[[str, Sequence[Attachment], "str | None", str], None]


def _no_upload(channel: str, files: Sequence[Attachment], thread_ts: str | None,
               comment: str) -> None:  # fmt: skip
    raise SlackRefused("uploads not available")


@dataclass(frozen=True)
class Outbox:
    """The Slack calls a job may make. `find_user` None: owners are matched by `[people]` only."""

    post: Post
    find_user: FindUser | None = None
    upload: Upload = _no_upload
