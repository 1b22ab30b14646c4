"""The rule variants (no Pauling test, alloys, mixed valence, all three) agree with smact_validity.

Every verdict here is smact's own (``smact.screening.smact_validity`` with the same switches), except
where smact's mixed-valence expansion gives up (it warns and says no); those compositions are skipped,
since we are exact there.
"""

from __future__ import annotations

import itertools
import math
import random
from dataclasses import replace

import numpy as np
import pytest

from chemspace.core import kernels
from chemspace.core.census import CensusSettings, run_census
from chemspace.core.composition import Composition, parse_formula
from chemspace.core.elements import all_symbols, element_table
from chemspace.core.engine import ArityPlan, batch_allowed, charge_tables, enumerate_subset
from chemspace.core.known import KnownEntry, KnownSet
from chemspace.core.rule import Rule

from smact_reference import smact_verdict

VARIANTS = {
    "no-pauling": Rule(pauling=False),
    "alloys": Rule(alloys=True),
    "mixed-valence": Rule(mixed_valence=True),
    "all-three": Rule(pauling=False, alloys=True, mixed_valence=True),
}


def _plan(rule: Rule, arity: int) -> ArityPlan:
    return ArityPlan(arity, rule.max_stoich, charge_tables(element_table(rule.oxidation_states), rule))


def _check_sets(rule: Rule, sets: list[tuple[str, ...]], per_set: int, seed: int) -> list[str]:
    """Mismatches between our flags (bitset kernels and batch labelling) and smact on sampled compositions."""
    rng = random.Random(seed)
    table = element_table(rule.oxidation_states)
    bad = []
    plans: dict[int, ArityPlan] = {}
    for symbols in sets:
        plan = plans.setdefault(len(symbols), _plan(rule, len(symbols)))
        comps, flags = enumerate_subset(plan, symbols)
        picks = range(len(comps)) if len(comps) <= per_set else rng.sample(range(len(comps)), per_set)
        chosen = [comps[i] for i in picks]
        idx = np.array([[table.index(s) for s in c.symbols] for c in chosen], dtype=np.int64)
        cnt = np.array([c.counts for c in chosen], dtype=np.int64)
        batch = batch_allowed(table, idx, cnt, rule)
        for i, comp, ok in zip(picks, chosen, batch):
            expected = smact_verdict(comp, rule)
            if expected is not None and (bool(flags[i]) != expected or bool(ok) != expected):
                bad.append(f"{comp.formula}: smact {expected}, bitset {bool(flags[i])}, batch {bool(ok)}")
    return bad


def _random_sets(arity: int, count: int, seed: int) -> list[tuple[str, ...]]:
    """Random element sets, half of them drawn from smact's metals and mixed-valence elements (the variants' cases)."""
    from smact import metals
    from smact.screening import MIXED_VALENCE_ELEMENTS

    rng = random.Random(seed)
    special = sorted(set(metals) | set(MIXED_VALENCE_ELEMENTS))
    symbols = list(all_symbols())
    return [tuple(rng.sample(special if i % 2 else symbols, arity)) for i in range(count)]


#: The paper's rule beside the variants, for the tests that walk arities up to 6.
RULES = {"paper": Rule(), **VARIANTS}


@pytest.mark.parametrize("variant", RULES)
@pytest.mark.parametrize(("arity", "count", "per_set"), [(2, 40, 43), (3, 12, 60), (4, 6, 40), (5, 3, 30), (6, 2, 20)])
def test_random_sets_match_smact(variant: str, arity: int, count: int, per_set: int) -> None:
    """Random binary..senary element sets: bitset flags and batch labels equal smact_validity's verdicts
    (coefficients up to 8, the census's own kernels)."""
    rule = RULES[variant]
    sets = _random_sets(arity, count, seed=arity * 100 + len(variant))
    assert _check_sets(rule, sets, per_set, seed=arity) == []


@pytest.mark.slow
@pytest.mark.parametrize("variant", ["no-pauling", "alloys"])
def test_every_binary_matches_smact(variant: str) -> None:
    """All 5 253 element pairs, every composition (mixed valence is covered by the random sets)."""
    rule = VARIANTS[variant]
    pairs = list(itertools.combinations(all_symbols(), 2))
    assert _check_sets(rule, pairs, 43, seed=0) == []


POOL = ("Na", "Fe", "Sn", "Cl", "Pm")  # metals, mixed valence, an anion, an element without a Pauling value


def _all_compositions(symbols: tuple[str, ...], max_stoich: int) -> list[Composition]:
    out = []
    for w in itertools.product(range(1, max_stoich + 1), repeat=len(symbols)):
        if np.gcd.reduce(np.array(w)) == 1:
            out.append(Composition.from_counts(dict(zip(symbols, w))))
    return out


@pytest.mark.parametrize("variant", VARIANTS)
def test_census_equals_exhaustive_smact_on_a_small_pool(variant: str) -> None:
    """The census over a 5-element pool, arities 2-5, coefficients <= 3: every count, per-element count
    included, equals smact's verdict on every composition of the pool."""
    rule = replace(VARIANTS[variant], max_stoich=3)
    result = run_census(CensusSettings(arities=(2, 3, 4, 5), rule=rule, pool=POOL, samples=20))
    for arity, census in result.arities.items():
        allowed, per_element = 0, dict.fromkeys(POOL, 0)
        for subset in itertools.combinations(POOL, arity):
            for comp in _all_compositions(subset, 3):
                verdict = smact_verdict(comp, rule)
                assert verdict is not None  # coefficients <= 3 stay under smact's expansion cap
                if verdict:
                    allowed += 1
                    for s in comp.symbols:
                        per_element[s] += 1
        assert census.allowed == allowed, (variant, arity)
        assert census.element_counts("allowed") == per_element
        assert census.unique == math.comb(len(POOL), arity) * kernels.coprime_count(arity, 3)
        for comp in census.samples["allowed"]:
            assert smact_verdict(comp, rule)
        for comp in census.samples["forbidden"]:
            assert not smact_verdict(comp, rule)


SENARY_POOL = ("Na", "Fe", "Sn", "Cl", "O", "Pm")  # POOL plus O: two anions compete for the split


@pytest.mark.parametrize("oxidation_states", ["smact14", "icsd24", "wiki"])
@pytest.mark.parametrize("variant", RULES)
def test_quinary_and_senary_census_equals_exhaustive_smact(variant: str, oxidation_states: str) -> None:
    """Arities 5 and 6 over a 6-element pool, coefficients <= 2, each oxidation-state set and rule: the
    census (signatures, per-element counts) equals smact_validity on every composition."""
    rule = replace(RULES[variant], max_stoich=2, oxidation_states=oxidation_states)
    result = run_census(CensusSettings(arities=(5, 6), rule=rule, pool=SENARY_POOL, samples=0))
    for arity, census in result.arities.items():
        allowed, per_element = 0, dict.fromkeys(SENARY_POOL, 0)
        for subset in itertools.combinations(SENARY_POOL, arity):
            for comp in _all_compositions(subset, 2):
                if smact_verdict(comp, rule):
                    allowed += 1
                    for s in comp.symbols:
                        per_element[s] += 1
        assert census.allowed == allowed, (variant, oxidation_states, arity)
        assert census.element_counts("allowed") == per_element


def test_default_rule_counts_are_the_papers() -> None:
    """The variants leave the default rule alone: Table 2's binary and ternary rows."""
    result = run_census(CensusSettings(arities=(2, 3), samples=0))
    assert (result.arities[2].allowed, result.arities[3].allowed) == (13_464, 10_779_441)


def test_variant_binary_counts_are_ordered() -> None:
    """Each switch only admits compositions: no-Pauling, alloys and mixed valence each count at least
    the default's binaries, and all three at least any one of them."""
    counts = {
        name: run_census(CensusSettings(arities=(2,), rule=rule, samples=0)).arities[2].allowed
        for name, rule in {"default": Rule(), **VARIANTS}.items()
    }
    assert all(counts[v] > counts["default"] for v in VARIANTS)
    assert counts["all-three"] >= max(counts[v] for v in ("no-pauling", "alloys", "mixed-valence"))


def test_known_labels_follow_the_rule() -> None:
    """CuZn (an alloy) and Fe3O4 (mixed valence) move from interesting to standard under their switches."""
    formulas = ["CuZn", "Fe3O4", "NaCl"]
    entries = {parse_formula(f): [KnownEntry(id=f"mp-{i}", formula=f)] for i, f in enumerate(formulas)}
    known = KnownSet(name="test", source="test", entries=entries)
    pool = ("Na", "Cu", "Zn", "Fe", "O", "Cl")
    for rule in (Rule(), Rule(alloys=True), Rule(mixed_valence=True)):
        c2 = run_census(CensusSettings(arities=(2,), rule=rule, pool=pool, samples=0), known=known).arities[2]
        expected = sum(bool(smact_verdict(parse_formula(f), rule)) for f in formulas)
        assert (c2.standard, c2.interesting) == (expected, 3 - expected)
        assert expected == (1 if rule == Rule() else 2)
