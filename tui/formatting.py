"""Numbers as the app and the command line show them: one home for the text of a plausibility score."""

from __future__ import annotations

import math

#: Significant digits of a score's top share: two tell the best candidates apart (0.0042% vs 0.0051%).
SCORE_DIGITS = 2


def top_share_text(score: float) -> str:
    """'top 0.43%', 'top 0.0042%', 'top 0.00000031%': the share of the arity's missing compositions scoring
    at least as high, to two significant digits however small ('—' for a forbidden row's -inf).

    A score is a percentile near 1 for the best rows (1 - 4.2e-05), so a fixed number of decimals would
    print them all alike; significant digits keep them apart.
    """
    if not math.isfinite(score):
        return "—"
    share = 100.0 * (1.0 - score)
    if share <= 0.0:
        return "top 0%"  # the score rounds to exactly 1 (a share below ~1e-14%)
    return f"top {percent_text(share)}"


def percent_text(value: float, digits: int = SCORE_DIGITS) -> str:
    """A percentage in plain notation with ``digits`` significant digits (0.0042%, 3.1%, 100%), never 1e-03."""
    if not math.isfinite(value) or value <= 0:
        return "0%" if value == 0 else "—"
    decimals = max(0, digits - 1 - math.floor(math.log10(value)))
    return f"{value:.{decimals}f}%"


def percent_column(values: list[float], digits: int = SCORE_DIGITS, most: int = 8) -> list[str]:
    """Percentages for a column: the fewest significant digits (at least ``digits``, at most ``most``)
    that keep neighbouring rows with different values apart, so the best rows read differently."""
    texts: list[str] = []
    for shown in range(digits, most + 1):
        texts = [percent_text(v, shown) for v in values]
        pairs = zip(zip(texts, values), zip(texts[1:], values[1:]))
        if all(a != b or x == y for (a, x), (b, y) in pairs):
            break
    return texts
