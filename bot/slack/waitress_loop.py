"""The waitress internals `HttpServer` reaches into, in one place: written against waitress 3.0.

waitress' public API is `serve()`, which runs until the process ends: no stop event, no hook to
drop a client that trickles a request in, no way to finish in-flight requests before closing. To
have those, `HttpServer` runs waitress' own event loop itself, and that needs attributes waitress
does not document: the server's socket map and `active_channels`, a channel's `request` (being
read), `requests` and `total_outbufs_len` (being answered), `will_close`, `accepting`, and
`task_dispatcher.shutdown`. Only this module touches them; `tests/test_waitress_loop.py` checks
each against the installed waitress, so an upgrade that moves one fails there, not in production.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib.metadata import version
from typing import Any

from waitress import wasyncore
from waitress.server import create_server

#: The waitress release line these internals were read from (`pyproject.toml` pins `<4`).
WRITTEN_FOR = "3.0"

WSGIApp = Callable[[dict[str, Any], Any], Iterable[bytes]]


def waitress_version() -> str:
    return version("waitress")


@dataclass(frozen=True)
class Connection:
    """What the loop needs to know of one client socket."""

    fd: int
    channel: Any  # waitress.channel.HTTPChannel
    closing: bool  # already marked to close
    answering: bool  # a request is queued, running, or its response still being written
    partial: object | None  # the request being read (same object until it is complete)


class WaitressLoop:
    """A waitress server whose event loop the caller turns (`pump`), then winds down (`close`)."""

    def __init__(self, application: WSGIApp, **adjustments: Any) -> None:
        self._map: dict[int, Any] = {}
        self.server: Any = create_server(application, map=self._map, **adjustments)

    @property
    def port(self) -> int:
        return int(self.server.effective_port)

    def pump(self, timeout: float) -> None:
        """One pass of waitress' loop: accept, read, write what is ready within `timeout`."""
        wasyncore.loop(timeout=timeout, map=self._map,
                       use_poll=self.server.adj.asyncore_use_poll, count=1)  # fmt: skip

    def connections(self) -> list[Connection]:
        return [
            Connection(
                fd, ch, bool(ch.will_close), bool(ch.requests or ch.total_outbufs_len), ch.request
            )  # fmt: skip
            for fd, ch in list(self.server.active_channels.items())
        ]

    def drop(self, connection: Connection) -> None:
        """Close a client's socket on the loop's next pass (what waitress does on a timeout)."""
        connection.channel.will_close = True

    def busy(self) -> bool:
        """Some request is still being answered."""
        return any(c.answering for c in self.connections())

    def stop_accepting(self) -> None:
        self.server.accepting = False

    def close(self) -> None:
        """Cancel queued requests, wait up to 5 s for running ones, close every socket."""
        self.server.task_dispatcher.shutdown(cancel_pending=True, timeout=5)
        wasyncore.close_all(self._map)
