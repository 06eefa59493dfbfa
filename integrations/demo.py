"""The bundled demo agency (`kind = "demo"`): no network, no credentials.

It goes through the same sync engine as a real source; its dates are day offsets from now, so the
demo always shows fresh, stalled, won and lost deals whatever day it runs.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from importlib import resources
from typing import Any, ClassVar

from integrations.base import (
    Adapter,
    FieldChange,
    SourceSettings,
    StatusChange,
    Task,
    register,
)


class DemoSettings(SourceSettings):
    #: "today" for the offsets; the sync engine passes none, tests pin it
    today: date | None = None


@register
class DemoAdapter(Adapter[DemoSettings]):
    kind: ClassVar[str] = "demo"
    settings_model: ClassVar[type[SourceSettings]] = DemoSettings
    has_history: ClassVar[bool] = True
    has_field_history: ClassVar[bool] = True
    snapshot: ClassVar[bool] = True

    def fetch(self, since: datetime | None) -> Iterator[Task]:
        today = self.settings.today or datetime.now(UTC).date()
        for row in load_demo_rows():
            yield demo_task(row, today)


def load_demo_rows() -> list[dict[str, Any]]:
    text = resources.files("integrations").joinpath("data/demo_agency.json").read_text("utf-8")
    rows: list[dict[str, Any]] = json.loads(text)["deals"]
    return rows


def demo_task(row: dict[str, Any], today: date) -> Task:
    def moment(offset: int, hour: int = 10) -> datetime:
        return datetime.combine(today + timedelta(days=offset), time(hour), tzinfo=UTC)

    history: list[StatusChange] = []
    previous: str | None = None
    for offset, hour, status in row["history"]:
        history.append(StatusChange(at=moment(offset, hour), to_status=status,
                                    from_status=previous))  # fmt: skip
        previous = status
    close = row.get("expected_close")
    changes = [
        FieldChange(moment(offset, hour), name, _value(name, before, today),
                    _value(name, after, today))
        for offset, hour, name, before, after in row.get("changes", [])
    ]  # fmt: skip
    return Task(
        id=row["id"],
        title=row["title"],
        status=row["status"],
        owner=row["owner"],
        owner_email=row["owner_email"],
        client=row["client"],
        contact=row["contact"],
        amount=float(row["amount"]),
        currency=row["currency"],
        probability=row.get("probability"),
        started=moment(row["started"], 9),
        expected_close=today + timedelta(days=close) if close is not None else None,
        lost_reason=row.get("lost_reason"),
        url=row["url"],
        history=history,
        field_history=changes,
    )


def _value(name: str, value: Any, today: date) -> float | date | str | None:
    """A field-history value of the demo file: close dates are day offsets, amounts numbers."""
    if value is None:
        return None
    if name == "expected_close":
        return today + timedelta(days=int(value))
    return float(value) if name in ("amount", "probability") else str(value)
