"""The filter agrees with smact.screening.smact_filter, composition by composition."""

from __future__ import annotations

import itertools
import random
from collections.abc import Sequence

import pytest

from chemspace.core.composition import Composition
from chemspace.core.elements import all_symbols, element_table, load_oxidation_states
from chemspace.core.engine import ArityPlan, charge_tables, enumerate_subset, oxidation_assignment

from smact_reference import smact_allowed

SETS = ("smact14", "icsd24")


def ours(plan: ArityPlan, symbols: Sequence[str]) -> set[Composition]:
    comps, flags = enumerate_subset(plan, symbols)
    return {c for c, ok in zip(comps, flags) if ok}


@pytest.fixture(scope="module", params=SETS)
def plans(request: pytest.FixtureRequest) -> dict[int, ArityPlan]:
    tables = charge_tables(element_table(request.param))
    return {n: ArityPlan(n, 8, tables) for n in (2, 3, 4)} | {"set": request.param}  # type: ignore[operator]


def _random_sets(arity: int, count: int, seed: int, amphoteric_share: float = 0.5) -> list[tuple[str, ...]]:
    """Element sets, uniform over H..Lr, and a share drawn from elements with both cationic and anionic
    states, whose subsets have several valid cation/anion splits (the hard case for the kernels)."""
    rng = random.Random(seed)
    symbols = all_symbols()
    states = load_oxidation_states("smact14")
    amphoteric = [s for s in symbols if any(q < 0 for q in states[s]) and any(q > 0 for q in states[s])]
    n_amph = round(count * amphoteric_share)
    out = [tuple(rng.sample(symbols, arity)) for _ in range(count - n_amph)]
    out += [tuple(rng.sample(amphoteric, arity)) for _ in range(n_amph)]
    return out


def test_every_binary(plans: dict) -> None:
    """All 5 253 element pairs: the allowed sets are identical to smact's."""
    ox = plans["set"]
    mismatches = []
    for pair in itertools.combinations(all_symbols(), 2):
        if ours(plans[2], pair) != smact_allowed(pair, ox):
            mismatches.append(pair)
    assert mismatches == []


@pytest.mark.parametrize("chunk", range(4))
def test_random_ternaries(plans: dict, chunk: int) -> None:
    """300 random ternary element sets per oxidation-state set."""
    ox = plans["set"]
    sets = _random_sets(3, 75, seed=1000 + chunk)
    bad = [s for s in sets if ours(plans[3], s) != smact_allowed(s, ox)]
    assert bad == []


@pytest.mark.parametrize("chunk", range(4))
def test_random_quaternaries(plans: dict, chunk: int) -> None:
    """100 random quaternary element sets per oxidation-state set (smact needs ~2 s for a hard one)."""
    ox = plans["set"]
    sets = _random_sets(4, 25, seed=2000 + chunk, amphoteric_share=0.1)
    bad = [s for s in sets if ours(plans[4], s) != smact_allowed(s, ox)]
    assert bad == []


def test_order_of_elements_does_not_matter(plans: dict) -> None:
    """A system given in any order yields the same allowed compositions."""
    a = ours(plans[3], ("Li", "Zn", "O"))
    b = ours(plans[3], ("O", "Li", "Zn"))
    assert a == b and a


def test_zero_oxidation_states_match_smact() -> None:
    """The wiki set has 0 states (neutral species): the rule must still equal smact's."""
    tables = charge_tables(element_table("wiki"))
    plans = {n: ArityPlan(n, 8, tables) for n in (2, 3)}
    sets = [("Fe", "Al"), ("Cu", "Zn"), ("Ni", "Al", "O"), ("Li", "C", "N"), ("Mg", "Si", "S"), ("Ti", "Ni", "Sn")]
    sets += _random_sets(3, 30, seed=7)
    for s in sets:
        assert ours(plans[len(s)], s) == smact_allowed(s, "wiki"), s


def test_custom_oxidation_state_file(tmp_path) -> None:
    """A file in smact's format is read by smact's own reader and judged like smact_filter does."""
    path = tmp_path / "ox.txt"
    path.write_text("# custom\nLi +1\nFe +2 +3\nO -2\nS -2 +4 +6\n")
    tables = charge_tables(element_table(str(path)))
    plan = ArityPlan(3, 8, tables)
    for s in [("Li", "Fe", "O"), ("Fe", "S", "O"), ("Li", "S", "O")]:
        assert ours(plan, s) == smact_allowed(s, str(path))
    assert ours(plan, ("Li", "Na", "O")) == set()  # Na not in the file: never passes


def test_assignment_is_one_smact_reports() -> None:
    """The oxidation states shown for a composition are a species combination smact_filter lists."""
    from smact.screening import smact_filter

    from smact_reference import _element

    table = element_table("smact14")
    for symbols in [("Zn", "O"), ("Li", "Zn", "O"), ("Li", "Zn", "Sn", "O")]:
        found = smact_filter([_element(s) for s in symbols], threshold=8, oxidation_states_set="smact14")
        by_comp: dict[Composition, set[tuple[int, ...]]] = {}
        for syms, ox, ratio in found:
            comp = Composition.from_counts(dict(zip(syms, ratio)))
            by_comp.setdefault(comp, set()).add(tuple(dict(zip(syms, ox))[s] for s in comp.symbols))
        for comp, options in by_comp.items():
            states = oxidation_assignment(table, comp)
            assert states is not None
            assert tuple(states[s] for s in comp.symbols) in options


@pytest.mark.parametrize("max_stoich", [3, 5, 12])
def test_other_stoichiometry_limits(max_stoich: int) -> None:
    """Limits other than 8 take the kernels' general path: still identical to smact_filter(threshold=...)."""
    tables = charge_tables(element_table("smact14"))
    sets = _random_sets(2, 30, seed=max_stoich) + _random_sets(3, 20, seed=100 + max_stoich)
    sets += [("Li", "Zn", "O"), ("Fe", "S", "O"), ("C", "N", "O")]
    plans = {n: ArityPlan(n, max_stoich, tables) for n in (2, 3)}
    for s in sets:
        assert ours(plans[len(s)], s) == smact_allowed(s, "smact14", max_stoich), s


@pytest.mark.parametrize(("arity", "max_stoich"), [(5, 3), (6, 2)])
def test_five_and_six_element_sets_equal_smact_filter(plans: dict, arity: int, max_stoich: int) -> None:
    """Random 5- and 6-element sets (two of three from amphoteric elements): the allowed sets equal
    smact_filter's (coefficients kept small: smact_filter walks every state choice per stoichiometry)."""
    ox = plans["set"]
    plan = ArityPlan(arity, max_stoich, charge_tables(element_table(ox)))
    sets = _random_sets(arity, 3, seed=50 + arity, amphoteric_share=0.67)
    assert [s for s in sets if ours(plan, s) != smact_allowed(s, ox, max_stoich)] == []


@pytest.mark.parametrize("arity", [5, 6])
def test_five_and_six_elements_against_exhaustive_search(arity: int) -> None:
    """Beyond the paper: each flag of a 5- or 6-element subset equals an exhaustive search over every
    oxidation-state choice (smact's own rule, itertools order; checked against smact for n <= 4 above)."""
    import numpy as np

    from chemspace.core import kernels
    from chemspace.core.engine import subset_flags

    table = element_table("smact14")
    tables = charge_tables(table)
    plan = ArityPlan(arity, 8, tables)
    rng = np.random.default_rng(arity)
    tuples = kernels.weight_tuples(arity, 8)
    for symbols in _random_sets(arity, 3, seed=arity, amphoteric_share=0.67):
        order = sorted(symbols, key=tables.index.__getitem__)
        flags = subset_flags(plan, np.array([tables.index[s] for s in order]))
        picks = np.concatenate(
            [
                rng.choice(np.flatnonzero(flags), size=min(100, int(flags.sum())), replace=False),
                rng.choice(np.flatnonzero(~flags), size=100, replace=False),
            ]
        )
        for i in picks:
            comp = Composition.from_counts(dict(zip(order, map(int, tuples[i]))))  # the rule is scale-free
            assert flags[i] == (oxidation_assignment(table, comp) is not None), comp.formula
