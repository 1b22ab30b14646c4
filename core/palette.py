"""The one palette of every view: colours, glyphs and draw order of the app's widgets, `system` tables and figures.

Categories follow the paper (Figs. 2-4): standard blue, missing red, interesting green, unlikely grey.
Without a known set the labels are "allowed" (purple) and "forbidden" (orange), colours the four
categories do not use, so no view suggests a category it does not show. Anion classes follow
Fig. 5: pnictide yellow, halide blue, chalcogenide red, oxide green, other grey.
Explicit RGB, so a terminal theme cannot remap them; every class also has its own glyph, so the
classes stay apart without colour (``NO_COLOR``) or when a 16-colour terminal maps two of them to
the same red.
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

#: The projection's score bands of missing compositions, best first (their score floors live in core.rank),
#: from red to grey: the best stand out, the bulk recedes.
SCORE_BAND_NAMES: tuple[str, ...] = ("top 5%", "5-25%", "25-50%", "50-100%")
SCORE_RGB: dict[str, RGB] = dict(
    zip(SCORE_BAND_NAMES, ((255, 60, 60), (250, 205, 50), (185, 160, 200), (110, 110, 130)), strict=True)
)

#: One glyph per label, category and anion class: distinct within each colouring, one cell wide.
CATEGORY_GLYPH: dict[str, str] = {
    "standard": "●",
    "missing": "○",
    "interesting": "◆",
    "unlikely": "·",
    "allowed": "+",
    "forbidden": "×",
}
SCORE_GLYPH: dict[str, str] = dict(zip(SCORE_BAND_NAMES, ("▲", "■", "□", "◇"), strict=True))
ANION_GLYPH: dict[str, str] = {
    "pnictide": "▲",
    "halide": "■",
    "chalcogenide": "◆",
    "oxide": "●",
    "other": "·",
}

#: Draw order of scatter plots (app and figures alike): the large grey classes first, so the rarer
#: ones stay visible on top.
DRAW_ORDER = (
    "unlikely",
    "other",
    "forbidden",
    *SCORE_BAND_NAMES[:0:-1],
    "missing",
    "allowed",
    "pnictide",
    "halide",
    "chalcogenide",
    "oxide",
    "standard",
    "interesting",
    SCORE_BAND_NAMES[0],
)

#: Sequential heat-map colours of the periodic table (viridis stops, low to high): distinct on
#: truecolor and still distinct when a 16-colour terminal maps them to blue, cyan, green and yellow.
HEAT_HEX = ("#3b0f70", "#31688e", "#21918c", "#35b779", "#90d743", "#fde725")

#: Colour of "known" and of the cursor marks.
KNOWN_HEX = "#4cc9f0"


def hex_colour(rgb: RGB) -> str:
    """``#rrggbb`` of an RGB triple (what rich styles and matplotlib both accept)."""
    return "#{:02x}{:02x}{:02x}".format(*rgb)


CATEGORY_HEX: dict[str, str] = {k: hex_colour(v) for k, v in CATEGORY_RGB.items()}
ANION_HEX: dict[str, str] = {k: hex_colour(v) for k, v in ANION_RGB.items()}
SCORE_HEX: dict[str, str] = {k: hex_colour(v) for k, v in SCORE_RGB.items()}


def draw_rank(name: str) -> tuple[int, str]:
    """Sort key putting classes in DRAW_ORDER (unknown names last, alphabetically)."""
    return (DRAW_ORDER.index(name) if name in DRAW_ORDER else len(DRAW_ORDER), name)


def colouring_palette(colouring: str) -> tuple[dict[str, RGB], dict[str, str]]:
    """(RGB, glyph) maps of a colouring: 'category' (labels and categories), 'anion', or 'score' (the
    categories, with missing compositions in score bands)."""
    if colouring == "anion":
        return ANION_RGB, ANION_GLYPH
    if colouring == "score":
        return {**CATEGORY_RGB, **SCORE_RGB}, {**CATEGORY_GLYPH, **SCORE_GLYPH}
    return CATEGORY_RGB, CATEGORY_GLYPH
