"""Counting by signature equals counting every subset: the census over a pool against the per-subset kernel.

The per-subset path (``enumerate_subset``) is itself tested against smact composition by composition
(tests/test_rule_vs_smact.py, tests/test_census_variants.py); here the census's signature sharing must
reproduce it exactly, for several oxidation-state sets, electronegativity ties (C and Se share 2.55)
and every rule variant.
"""

from __future__ import annotations

import itertools

import pytest

from chemspace.core.census import CensusSettings, run_census
from chemspace.core.elements import element_table
from chemspace.core.engine import ArityPlan, charge_tables, enumerate_subset
from chemspace.core.rule import Rule

POOL = ("H", "C", "N", "O", "Cl", "Se", "Mn", "Fe", "Sn", "Na")


@pytest.mark.parametrize("oxidation_states", ["smact14", "icsd24", "wiki"])
@pytest.mark.parametrize(
    "switches",
    [{}, {"pauling": False}, {"alloys": True}, {"mixed_valence": True}],
    ids=["default", "no-pauling", "alloys", "mixed-valence"],
)
def test_signature_counts_equal_per_subset_counts(oxidation_states: str, switches: dict) -> None:
    rule = Rule(oxidation_states=oxidation_states, **switches)
    result = run_census(CensusSettings(arities=(2, 3, 4), rule=rule, pool=POOL, samples=0))
    tables = charge_tables(element_table(oxidation_states), rule)
    for arity, census in result.arities.items():
        plan = ArityPlan(arity, 8, tables)
        per_element = dict.fromkeys(POOL, 0)
        total = 0
        for subset in itertools.combinations(POOL, arity):
            allowed = int(enumerate_subset(plan, subset)[1].sum())
            total += allowed
            for s in subset:
                per_element[s] += allowed
        assert census.allowed == total, (oxidation_states, switches, arity)
        assert census.element_counts("allowed") == per_element


@pytest.mark.parametrize("seed", range(4))
def test_distinct_is_numpy_unique_of_the_picked_rows(seed: int) -> None:
    """The cache's hash-based dedupe of missed rows gives what ``np.unique`` would: the sorted distinct
    codes, the first row holding each, and each picked row's place among them (large codes, heavy repeats)."""
    import numpy as np

    from chemspace.core.engine import distinct

    rng = np.random.default_rng(seed)
    alphabet = rng.integers(0, 2**62, size=int(rng.integers(1, 5_000)), dtype=np.int64)
    codes = alphabet[rng.integers(0, len(alphabet), size=40_000)]
    rows = np.flatnonzero(rng.random(len(codes)) < 0.6)
    fresh, where, inverse = distinct(codes, rows)
    expected, first, expected_inverse = np.unique(codes[rows], return_index=True, return_inverse=True)
    assert np.array_equal(fresh, expected)
    assert np.array_equal(where, rows[first])
    assert np.array_equal(inverse, expected_inverse.ravel())
    assert len(distinct(codes, rows[:0])[0]) == 0
