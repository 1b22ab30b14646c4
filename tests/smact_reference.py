"""The reference: what smact.screening.smact_filter itself allows, as reduced Compositions."""

from __future__ import annotations

import functools
import warnings
from collections.abc import Sequence

from chemspace.core.composition import Composition


@functools.cache
def _element(symbol: str):  # -> smact.Element
    from smact import Element

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Element(symbol)


def smact_allowed(symbols: Sequence[str], oxidation_states: str = "smact14", max_stoich: int = 8) -> set[Composition]:
    """Reduced compositions over exactly ``symbols`` that smact_filter allows.

    smact raises ValueError for an element with no oxidation states in the set: nothing passes.
    """
    from smact.screening import smact_filter

    els = [_element(s) for s in symbols]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            found = smact_filter(els, threshold=max_stoich, oxidation_states_set=oxidation_states, species_unique=False)
        except ValueError:
            return set()
    return {Composition.from_counts(dict(zip(syms, ratio))) for syms, ratio in found}
