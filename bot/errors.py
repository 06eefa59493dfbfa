"""Errors that end a command with one line and exit status 2 (a user's mistake, not a bug)."""


class UsageError(Exception):
    """A user mistake: printed as one line, exit status 2."""


class StoreLocked(Exception):
    """The database stayed locked by another process past the busy timeout."""
