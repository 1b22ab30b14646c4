"""The one colour palette of every view: the app's widgets, `system` tables and the static figures.

Categories follow the paper (Figs. 2-4): standard blue, missing red, interesting green, unlikely grey.
Without a known set the labels are "allowed" (purple) and "forbidden" (orange), colours the four
categories do not use, so no view suggests a category it does not show. Anion classes follow
Fig. 5: pnictide yellow, halide blue, chalcogenide red, oxide green, other grey.
Explicit RGB, so a terminal theme cannot remap them.
"""

from __future__ import annotations

RGB = tuple[int, int, int]

#: The paper's four categories and the two plain labels.
CATEGORY_RGB: dict[str, RGB] = {
    "standard": (66, 133, 244),
    "missing": (230, 57, 70),
    "interesting": (52, 178, 51),
    "unlikely": (140, 140, 140),
    "allowed": (150, 100, 230),
    "forbidden": (240, 150, 40),
}

#: Fig. 5's anion classes.
ANION_RGB: dict[str, RGB] = {
    "pnictide": (230, 190, 30),
    "halide": (66, 133, 244),
    "chalcogenide": (230, 57, 70),
    "oxide": (52, 178, 51),
    "other": (140, 140, 140),
}

#: Draw order of scatter plots: the large grey classes first, so the rarer ones stay visible on top.
DRAW_ORDER = ("unlikely", "other", "forbidden", "missing", "allowed", "standard", "interesting")


def hex_colour(rgb: RGB) -> str:
    """``#rrggbb`` of an RGB triple (what rich styles and matplotlib both accept)."""
    return "#{:02x}{:02x}{:02x}".format(*rgb)


CATEGORY_HEX: dict[str, str] = {k: hex_colour(v) for k, v in CATEGORY_RGB.items()}
ANION_HEX: dict[str, str] = {k: hex_colour(v) for k, v in ANION_RGB.items()}
