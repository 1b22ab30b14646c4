"""Names, colours and number formats shared by the widgets."""

from __future__ import annotations

from chemspace.core.palette import ANION_HEX, CATEGORY_HEX

ARITY_NAMES = {2: "Binary", 3: "Ternary", 4: "Quaternary", 5: "Quinary", 6: "Senary"}

#: Rich styles of the labels and categories (known: cyan, unique: plain).
LABEL_STYLES: dict[str, str] = {
    **CATEGORY_HEX,
    "known": "#4cc9f0",
    "unique": "",
}

#: Rich styles of the anion classes, for the legend.
ANION_STYLES: dict[str, str] = dict(ANION_HEX)

ABSENT = "—"


def count_text(value: int | None, unique: int | None = None) -> str:
    """'13,464 (5.96%)', or the bare count without a total, or '—' when the number is absent."""
    if value is None:
        return ABSENT
    if unique:
        return f"{value:,} ({100.0 * value / unique:.2f}%)"
    return f"{value:,}"


def compact(value: int | None) -> str:
    """A count in at most four characters: 7, 999, 1.2k, 35k, 1.2M, 2.9G."""
    if value is None:
        return ABSENT
    for limit, suffix in ((1_000_000_000, "G"), (1_000_000, "M"), (1_000, "k")):
        if value >= limit:
            scaled = value / limit
            return f"{scaled:.1f}{suffix}" if scaled < 9.95 else f"{round(scaled)}{suffix}"
    return str(value)
