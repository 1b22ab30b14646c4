"""Numbers as the app shows them: one home for the text of a plausibility score."""

from __future__ import annotations

import math

#: Significant digits of a score's top share: two tell the best candidates apart (0.0042% vs 0.0051%).
SCORE_DIGITS = 2


def top_share_text(score: float) -> str:
    """'top 0.43%', 'top 0.0042%', 'top 3.1e-07%': the share of the arity's missing compositions scoring
    at least as high, to two significant digits however small ('—' for a forbidden row's -inf).

    A score is a percentile near 1 for the best rows (1 - 4.2e-05), so a fixed number of decimals would
    print them all alike; significant digits keep them apart.
    """
    if not math.isfinite(score):
        return "—"
    share = 100.0 * (1.0 - score)
    if share <= 0.0:
        return "top 0%"  # the score rounds to exactly 1 (a share below ~1e-14%)
    if share >= 99.5:
        return "top 100%"  # the general format would write 1e+02
    return f"top {share:.{SCORE_DIGITS}g}%"
