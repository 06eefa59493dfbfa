"""Cells as French and English sheets write them (contract: "Cells as sheets write them")."""

from __future__ import annotations

from datetime import date

import pytest

from integrations.values import parse_amount, parse_date, parse_datetime, parse_probability


@pytest.mark.parametrize(
    ("cell", "amount", "currency"),
    [
        ("12 000 €", 12000.0, "EUR"),
        ("12\u00a0000 €", 12000.0, "EUR"),  # no-break space
        ("12\u202f000 €", 12000.0, "EUR"),  # narrow no-break space
        ("12 000,50", 12000.5, None),
        ("1.200,50 €", 1200.5, "EUR"),
        ("€1,200.50", 1200.5, "EUR"),
        ("12k€", 12000.0, "EUR"),
        ("12 k", 12000.0, None),
        ("7500", 7500.0, None),
        ("1,5", 1.5, None),  # one separator + not three digits: decimal mark
        ("12,000", 12000.0, None),  # one separator + exactly three digits: thousands
        ("1,234,567.89", 1234567.89, None),
        ("$2,500", 2500.0, "USD"),
        ("", None, None),
    ],
)
def test_amounts_read_as_people_write_them(cell: str, amount: float, currency: str) -> None:
    assert parse_amount(cell) == (amount, currency)


@pytest.mark.parametrize("cell", ["abc", "12 000 euros environ", "1.2.3,4,5", "k€"])
def test_unreadable_amounts_are_refused_with_the_value(cell: str) -> None:
    with pytest.raises(ValueError, match="not an amount"):
        parse_amount(cell)


@pytest.mark.parametrize(
    ("cell", "percent"),
    [("60", 60.0), ("60 %", 60.0), ("0,6", 60.0), ("0.6", 60.0), ("1", 1.0), ("1.0", 100.0),
     ("100", 100.0), ("", None)],
)  # fmt: skip
def test_probabilities(cell: str, percent: float | None) -> None:
    assert parse_probability(cell) == percent


@pytest.mark.parametrize("cell", ["150", "-5", "beaucoup"])
def test_bad_probabilities(cell: str) -> None:
    with pytest.raises(ValueError):
        parse_probability(cell)


@pytest.mark.parametrize(
    ("cell", "day"),
    [("2026-03-31", date(2026, 3, 31)), ("31/03/2026", date(2026, 3, 31)),
     ("1/2/2027", date(2027, 2, 1)), ("2026-03-31T10:00:00Z", date(2026, 3, 31))],
)  # fmt: skip
def test_dates_iso_or_french(cell: str, day: date) -> None:
    assert parse_date(cell) == day


@pytest.mark.parametrize("cell", ["31/02/2026", "demain", "2026-13-01"])
def test_bad_dates(cell: str) -> None:
    with pytest.raises(ValueError, match="not a date"):
        parse_date(cell)


def test_datetime_with_offset_without_colon_is_aware() -> None:
    moment = parse_datetime("2022-06-09T16:29:31.871-0700")
    assert moment is not None and moment.utcoffset() is not None
    assert moment.isoformat().endswith("-07:00")


@pytest.mark.parametrize(("cell", "code"), [("€", "EUR"), ("eur", "EUR"), ("Euros", "EUR"),
                                            ("$", "USD"), ("£", "GBP"), ("chf", "CHF")])  # fmt: skip
def test_currency_cells_become_iso_codes(cell: str, code: str) -> None:
    from integrations.values import currency_code

    assert currency_code(cell) == code


@pytest.mark.parametrize("cell", ["<@U999EVIL>", "dollars US", "EU", "€€", "<!channel>"])
def test_a_currency_that_is_not_three_letters_is_refused(cell: str) -> None:
    from integrations.values import currency_code

    with pytest.raises(ValueError, match="not a currency code"):
        currency_code(cell)
