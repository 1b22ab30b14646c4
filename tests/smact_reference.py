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


def smact_verdict(comp: Composition, rule) -> bool | None:
    """smact_validity with ``rule``'s switches (a chemspace Rule); None where its mixed-valence expansion
    gives up (it warns "too many combinations" and says no)."""
    from pymatgen.core import Composition as PmgComposition
    from smact.screening import smact_validity

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ok = smact_validity(
            PmgComposition(dict(zip(comp.symbols, comp.counts))),
            use_pauling_test=rule.pauling,
            include_alloys=rule.alloys,
            mixed_valence=rule.mixed_valence,
            oxidation_states_set=rule.oxidation_states,
        )
    if any("too many combinations" in str(w.message) for w in caught):
        return None
    return bool(ok)
