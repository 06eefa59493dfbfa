"""Ask a `/pipeline` question: parse, answer, and hand back something every renderer can use."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from bot.analytics import Context
from bot.query import Query, answer, parse
from bot.settings import Settings
from bot.store import Store
from integrations.kinds import source_name


@dataclass
class Reply:
    query: Query
    result: Any
    settings: Settings
    context: Context

    def json(self) -> dict[str, Any]:
        from bot.render.json_out import to_json

        return to_json(self.query, self.result, self.context.now)

    def write_json(self, write: Callable[[str], object], indent: int | None = None) -> None:
        """The JSON written as it is built (see `json_out.write_json`): for long answers."""
        from bot.render.json_out import to_json, write_json

        write_json(to_json(self.query, self.result, self.context.now, lazy=True), write,
                   indent=indent)  # fmt: skip

    def text(self) -> str:
        from bot.render.text import render

        return render(self.result, style_for(self.settings))


def context_for(
    settings: Settings, now: datetime, user: str | None = None, store: Store | None = None
) -> Context:
    """The analytics context of one question (`user`: the Slack user asking, for `mine`).

    With `[forecast] probabilities = "calibrated"` and the `store`, deals without their own
    probability are weighted with the stage probabilities calibrated on the store's history.
    """
    config = settings.config
    calibrated = None
    if store is not None and config.forecast.probabilities == "calibrated":
        from bot.analytics.calibration import calibrated_probabilities

        calibrated = calibrated_probabilities(
            store, settings.pipeline, config.forecast.prior_weight
        )
    return Context(
        pipeline=settings.pipeline,
        tz=settings.tz,
        now=now.astimezone(settings.tz),
        stall_counting=config.stall_counting,
        language=config.language,
        currency=config.currency,
        user=user,
        people=dict(config.people),
        next_step_sources=frozenset(
            source_name(raw) for raw in config.sources if "next_step" in (raw.get("fields") or {})
        ),
        days_off=settings.days_off,
        calibrated=calibrated,
        prior_weight=config.forecast.prior_weight,
        probabilities=config.forecast.probabilities,
    )


def style_for(settings: Settings) -> Any:
    from bot.render.text import Style

    return Style(settings.config.language, settings.config.currency, settings.tz)


def ask(settings: Settings, store: Store, question: str | Query, now: datetime,
        user: str | None = None, shown: int | None = None,
        stream: bool = False) -> Reply:  # fmt: skip
    """Answer the words after `/pipeline` (or an already parsed `Query`); `shown`: how many deals
    the reply will list (`Context.shown`: a text answer need not build the rest); `stream`: the
    reply is only written as JSON (`Reply.write_json`) before `store` is closed (`Context.stream`:
    long lists go from the rows to JSON, no object per deal).

    Raises `UnknownQuery` for words that name no query, or arguments an answer cannot use.
    """
    query = parse(question) if isinstance(question, str) else question
    ctx = replace(context_for(settings, now, user, store), shown=shown, stream=stream)
    return Reply(query, answer(query, store, ctx), settings, ctx)
