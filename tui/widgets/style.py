"""Names, colours and number formats shared by the widgets."""

from __future__ import annotations

ARITY_NAMES = {2: "Binary", 3: "Ternary", 4: "Quaternary", 5: "Quinary", 6: "Senary"}

#: The paper's category colours (Figs. 2-4): standard blue, missing red, interesting green, unlikely grey.
#: Explicit RGB, so the app theme cannot remap them; a 16-colour terminal gets the nearest of
#: blue, red, green and grey, which still tell the categories apart.
PAPER_RGB: dict[str, tuple[int, int, int]] = {
    "standard": (66, 133, 244),
    "missing": (230, 57, 70),
    "interesting": (52, 178, 51),
    "unlikely": (140, 140, 140),
    "allowed": (52, 178, 51),
    "forbidden": (140, 140, 140),
}

#: Fig. 5's anion classes: pnictides yellow, halides blue, chalcogenides red, oxides green, others grey.
ANION_RGB: dict[str, tuple[int, int, int]] = {
    "pnictide": (230, 190, 30),
    "halide": (66, 133, 244),
    "chalcogenide": (230, 57, 70),
    "oxide": (52, 178, 51),
    "other": (140, 140, 140),
}


def _hex(rgb: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


#: Rich styles of the labels and categories (known: cyan, unique: plain).
LABEL_STYLES: dict[str, str] = {
    **{k: _hex(v) for k, v in PAPER_RGB.items()},
    "known": "#4cc9f0",
    "unique": "",
}

#: Rich styles of the anion classes, for the legend.
ANION_STYLES: dict[str, str] = {k: _hex(v) for k, v in ANION_RGB.items()}

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
