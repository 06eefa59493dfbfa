"""One registry shape for every renderer: result type → the function that renders it.

Text, JSON and Block Kit each keep their own registry (a result may lack one of them), but they
register and look up the same way; analytics answers plug in with a decorator.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

F = TypeVar("F", bound=Callable[..., object])


class Registry(dict[type, F]):
    """A dict of result type → renderer, with `@registry.register(ResultType)`."""

    def register(self, kind: type) -> Callable[[F], F]:
        def wrap(func: F) -> F:
            self[kind] = func
            return func

        return wrap
