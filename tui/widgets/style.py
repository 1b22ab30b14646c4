"""Rich styles and number formats shared by the widgets (colours and glyphs come from core.palette)."""

from __future__ import annotations

from rich.text import Text

from chemspace.core.palette import ANION_HEX, CATEGORY_HEX, KNOWN_HEX, SCORE_HEX, colouring_palette

#: Rich styles of the labels and categories (known: cyan, unique: plain).
LABEL_STYLES: dict[str, str] = {**CATEGORY_HEX, **SCORE_HEX, "known": KNOWN_HEX, "unique": ""}

#: Rich styles of the anion classes, for the legend.
ANION_STYLES: dict[str, str] = dict(ANION_HEX)

ABSENT = "—"


def marked(name: str, colouring: str = "category") -> Text:
    """'● standard': the class's glyph and name in its colour (the glyph tells classes apart without colour)."""
    _, glyphs = colouring_palette(colouring)
    styles = ANION_STYLES if colouring == "anion" else LABEL_STYLES
    glyph = glyphs.get(name)
    return Text(f"{glyph} {name}" if glyph else name, style=styles.get(name, ""))


def count_text(value: int | None, unique: int | None = None) -> str:
    """'13,464 (5.96%)', or the bare count without a total, or '—' when the number is absent."""
    if value is None:
        return ABSENT
    if unique:
        return f"{value:,} ({100.0 * value / unique:.2f}%)"
    return f"{value:,}"


def short_count_text(value: int | None, unique: int | None = None) -> str:
    """'1.2k 90%': :func:`compact` count and a two-digit share, for tables with little room; '—' when absent."""
    if value is None:
        return ABSENT
    if not unique:
        return compact(value)
    share = 100.0 * value / unique
    return f"{compact(value)} {share:.0f}%" if share >= 9.5 or share == 0 else f"{compact(value)} {share:.1f}%"


def compact(value: int | None) -> str:
    """A count in at most four characters: 7, 999, 1.2k, 35k, 1.2M, 2.9G."""
    if value is None:
        return ABSENT
    for limit, suffix in ((1_000_000_000, "G"), (1_000_000, "M"), (1_000, "k")):
        if value >= limit:
            scaled = value / limit
            return f"{scaled:.1f}{suffix}" if scaled < 9.95 else f"{round(scaled)}{suffix}"
    return str(value)
