"""Ranges: the 10th and 90th percentiles of the amount won, each deal won independently.

The amount won by a set of deals is a sum of weighted Bernoulli draws (deal i adds amount_i with
probability p_i). Its exact distribution is worked out by dynamic programming over the sums in
cents while that stays small (a few thousand distinct sums: any agency of a few dozen deals);
beyond, amounts are rounded to a grid of `GRID` steps across the likely sums and the
distribution of the rounded sum is computed exactly with a discrete Fourier transform (numpy).
The rounding adds at most half a step per deal, in either direction; the step is reported with
the bench figures (see docs/forecast.md). No sampling: the same data always gives the same range.

Percentile: the smallest amount x such that P(won ≤ x) ≥ q.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

LOW, HIGH = 0.10, 0.90
#: Largest number of distinct sums (in cents) the exact dynamic programme keeps, and the most
#: deals it is tried on (beyond, distinct amounts make it outgrow the limit anyway).
EXACT_LIMIT = 1 << 14
EXACT_MAX_DEALS = 40
#: Grid steps across the window of likely sums for large sets.
GRID = 1 << 13
#: Half-width of that window, in standard deviations (beyond it: less than 1e-20 of the mass).
WINDOW_SIGMAS = 12.0


def won_range(deals: Iterable[tuple[float, float]], exact_limit: int = EXACT_LIMIT
              ) -> tuple[float, float]:  # fmt: skip
    """(P10, P90) of the amount won by `deals`, given as (amount, probability in percent)."""
    certain = 0
    uncertain: list[tuple[int, float]] = []
    for amount, probability in deals:
        cents = round(amount * 100)
        p = min(max(probability / 100, 0.0), 1.0)
        if cents == 0 or p == 0.0:
            continue
        if p == 1.0:
            certain += cents
        else:
            uncertain.append((cents, p))
    if not uncertain:
        return certain / 100, certain / 100
    found = _exact(uncertain, exact_limit) if len(uncertain) <= EXACT_MAX_DEALS else None
    low, high = found if found is not None else _gridded(uncertain)
    return (certain + low) / 100, (certain + high) / 100


def _exact(deals: list[tuple[int, float]], limit: int) -> tuple[int, int] | None:
    """Percentiles of the exact distribution over sums in cents; None when it outgrows `limit`."""
    dist: dict[int, float] = {0: 1.0}
    for cents, p in deals:
        grown: dict[int, float] = {}
        q = 1.0 - p
        for total, mass in dist.items():
            grown[total] = grown.get(total, 0.0) + mass * q
            key = total + cents
            grown[key] = grown.get(key, 0.0) + mass * p
        if len(grown) > limit:
            return None
        dist = grown
    ordered = sorted(dist.items())
    return _percentile(ordered, LOW), _percentile(ordered, HIGH)


def _percentile(ordered: list[tuple[int, float]], q: float) -> int:
    """Smallest value whose cumulative probability reaches `q` (a hair of float slack)."""
    running = 0.0
    for value, mass in ordered:
        running += mass
        if running >= q - 1e-12:
            return value
    return ordered[-1][0]


def _gridded(deals: list[tuple[int, float]]) -> tuple[int, int]:
    """Percentiles of the sum with amounts rounded to a grid over the likely sums, exactly.

    The window is the mean ± `WINDOW_SIGMAS` standard deviations (clipped to [0, Σ amounts]);
    the sum is known modulo the window's length, and the mass outside the window is negligible.
    The characteristic function is a product over deals of q + p·z^units: per probability, a
    table of log(q + p·ω^j) over the grid's roots of unity, read at j = k·units mod size (no
    complex exponential per deal). Rounding moves the mean by Σ p·(amount − grid amount): that
    shift is added back, so what is left of the rounding is a spread of under half a step a deal.
    """
    import numpy as np

    total = sum(c for c, _ in deals)
    mean = sum(c * p for c, p in deals)
    sigma = math.sqrt(sum(c * c * p * (1 - p) for c, p in deals))
    start = max(0.0, mean - WINDOW_SIGMAS * sigma)
    end = min(float(total), mean + WINDOW_SIGMAS * sigma)
    size = GRID
    # a tenth of the grid is left free: rounding may carry the extreme sums past the window,
    # and they must not wrap round onto the other end
    step = max(1.0, (end - start) / (size * 0.9))
    groups: dict[float, dict[int, int]] = {}
    shift = 0.0
    for cents, p in deals:
        units = round(cents / step)
        shift += p * (cents - units * step)
        by_units = groups.setdefault(p, {})
        by_units[units % size] = by_units.get(units % size, 0) + 1
    roots = np.exp(np.arange(size) * (-2j * np.pi / size))
    k = np.arange(size, dtype=np.int64)
    log_char = np.zeros(size, dtype=complex)
    with np.errstate(divide="ignore"):
        for p, by_units in groups.items():
            table = np.log((1 - p) + p * roots)
            for units, count in by_units.items():
                log_char += count * table[(k * units) % size]
    mass = np.fft.ifft(np.exp(log_char)).real.clip(min=0)
    first = math.floor((start - shift) / step) - size // 20
    order = (k + first) % size  # index of the grid sum `first + i` (modulo size)
    cumulative = np.cumsum(mass[order])
    cumulative /= cumulative[-1]
    low = int(np.searchsorted(cumulative, LOW - 1e-12))
    high = int(np.searchsorted(cumulative, HIGH - 1e-12))
    return round((first + low) * step + shift), round((first + high) * step + shift)
