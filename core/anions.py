"""Anion classes for colouring projections (the paper's Fig. 5).

The rule: a composition's class is decided by its most electronegative element (Pauling scale):

    O            -> oxide
    S, Se, Te    -> chalcogenide
    F, Cl, Br, I -> halide
    N, P, As, Sb -> pnictide
    anything else -> other

So GaSb is a pnictide, NaCl a halide, CuFeS2 a chalcogenide and Fe3Al "other". Pass another mapping
(element -> class) to :func:`anion_class` to change the rule.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from chemspace.core.composition import Composition
from chemspace.core.elements import pauling_electronegativity

ANION_CLASSES = ("pnictide", "halide", "chalcogenide", "oxide", "other")

DEFAULT_ANION_RULE: dict[str, str] = {
    "O": "oxide",
    **dict.fromkeys(("S", "Se", "Te"), "chalcogenide"),
    **dict.fromkeys(("F", "Cl", "Br", "I"), "halide"),
    **dict.fromkeys(("N", "P", "As", "Sb"), "pnictide"),
}


def most_electronegative(comp: Composition) -> str:
    """The element with the highest Pauling electronegativity (elements without one count lowest)."""
    return max(comp.symbols, key=lambda s: (pauling_electronegativity(s) or -1.0, s))


def anion_class(comp: Composition, rule: Mapping[str, str] = DEFAULT_ANION_RULE) -> str:
    """Class of ``comp`` by its most electronegative element under ``rule``; 'other' when unlisted."""
    return rule.get(most_electronegative(comp), "other")


def anion_classes(comps: Iterable[Composition], rule: Mapping[str, str] = DEFAULT_ANION_RULE) -> list[str]:
    """:func:`anion_class` for each composition."""
    return [anion_class(c, rule) for c in comps]
