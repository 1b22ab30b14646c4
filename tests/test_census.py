"""The census: the paper's Table 2, internal consistency, samples, known categories, progress, cancel."""

from __future__ import annotations

import math
import threading

import numpy as np
import pytest

from chemspace.core import kernels
from chemspace.core.census import CensusSettings, run_census
from chemspace.core.composition import Composition, parse_formula
from chemspace.core.elements import element_table
from chemspace.core.engine import ArityPlan, Sampler, charge_tables
from chemspace.core.errors import InputError
from chemspace.core.known import KnownEntry, KnownSet
from chemspace.core.rule import Rule
from chemspace.core.system import system_rows

from smact_reference import smact_allowed


@pytest.fixture(scope="module")
def census_23():
    return run_census(CensusSettings(arities=(2, 3), samples=300, seed=42))


def test_table2_binary_and_ternary(census_23) -> None:
    """Table 2: unique 225 879 / 77 637 589, allowed 13 464 / 10 779 441."""
    assert census_23.arities[2].unique == 225_879
    assert census_23.arities[2].allowed == 13_464
    assert census_23.arities[3].unique == 77_637_589
    assert census_23.arities[3].allowed == 10_779_441
    assert all(c.complete and c.done == c.unique for c in census_23.arities.values())


@pytest.mark.slow
def test_table2_quaternary() -> None:
    """Table 2: 16 902 534 325 unique quaternaries, 2 909 434 982 allowed (the whole space, streamed)."""
    result = run_census(CensusSettings(arities=(4,), samples=20))
    assert result.arities[4].unique == 16_902_534_325
    assert result.arities[4].allowed == 2_909_434_982


def test_element_counts_are_consistent(census_23) -> None:
    """Each composition of arity n is counted once for each of its n elements."""
    for n, c in census_23.arities.items():
        assert sum(c.element_counts("allowed").values()) == n * c.allowed
        assert sum(c.element_counts("unique").values()) == n * c.unique
        assert sum(c.element_counts("forbidden").values()) == n * c.forbidden
        assert c.element_counts("allowed")["He"] == 0  # no oxidation states in smact14


def test_binary_element_counts_match_smact(census_23) -> None:
    """Fig. 1: how many allowed binaries contain O, F, Fe, computed from smact pair by pair."""
    counts = census_23.arities[2].element_counts("allowed")
    from chemspace.core.elements import all_symbols

    for el in ("O", "F", "Fe"):
        expected = sum(len(smact_allowed((el, other))) for other in all_symbols() if other != el)
        assert counts[el] == expected


def test_samples_are_uniform_draws_with_correct_labels(census_23) -> None:
    """Samples are distinct, carry the right label (checked with smact) and are reproducible."""
    samples = census_23.arities[3].samples
    assert len(samples["allowed"]) == 300 == len(set(samples["allowed"]))
    assert len(samples["forbidden"]) == 300 == len(set(samples["forbidden"]))
    for comp in samples["allowed"][:40]:
        assert comp in smact_allowed(comp.symbols)
    for comp in samples["forbidden"][:40]:
        assert comp not in smact_allowed(comp.symbols)
    again = run_census(CensusSettings(arities=(3,), samples=300, seed=42)).arities[3].samples
    assert again == samples
    other = run_census(CensusSettings(arities=(3,), samples=300, seed=7)).arities[3].samples
    assert other["allowed"] != samples["allowed"]


def test_samples_spread_over_the_space(census_23) -> None:
    """A uniform sample of binaries touches many elements, not only the first ones enumerated."""
    elements = {s for c in census_23.arities[2].samples["forbidden"] for s in c.symbols}
    assert len(elements) > 80


def test_pool_census_matches_system_view() -> None:
    """A census over Li-Zn-Sn-O agrees with the system view: 5 837 compositions, 728 allowed."""
    result = run_census(CensusSettings(arities=(2, 3, 4), pool=("Li", "Zn", "Sn", "O"), samples=10))
    rows = system_rows("Li-Zn-Sn-O")
    assert sum(c.unique for c in result.arities.values()) == len(rows) == 5837
    assert sum(c.allowed for c in result.arities.values()) == sum(r.allowed for r in rows) == 728
    for n, c in result.arities.items():
        assert c.unique == math.comb(4, n) * {2: 43, 3: 439, 4: 3823}[n]


def _known(formulas: list[str]) -> KnownSet:
    entries = {parse_formula(f): [KnownEntry(id=f"mp-{i}", formula=f)] for i, f in enumerate(formulas)}
    return KnownSet(name="test", source="test", entries=entries)


def test_known_categories() -> None:
    """Table 1's known set splits Li-Zn-Sn-O into the four categories, consistently with the counts."""
    known = _known(["ZnO", "ZnO2", "LiZnO2", "Li6ZnO4", "Li2ZnSn3O8", "LiZn4SnO8", "LiZn4Sn4O8", "Zn9O"])
    result = run_census(CensusSettings(arities=(2, 3, 4), pool=("Li", "Zn", "Sn", "O"), samples=5000), known=known)
    c2, c3, c4 = (result.arities[n] for n in (2, 3, 4))
    assert (c2.standard, c2.interesting, c2.known_outside) == (2, 0, {"coefficient above max stoichiometry": 1})
    assert (c3.standard, c3.interesting) == (2, 0)
    assert (c4.standard, c4.interesting) == (1, 2)
    for c in (c2, c3, c4):
        assert c.missing == c.allowed - c.standard
        assert c.unlikely == c.forbidden - c.interesting
        assert c.standard + c.missing + c.interesting + c.unlikely == c.unique
        assert set(c.samples["standard"]) | set(c.samples["interesting"]) <= set(known.entries)
        assert not set(c.samples["missing"]) & set(known.entries)
        assert len(c.samples["missing"]) == c.missing  # fewer than asked: all of them
    assert set(c4.samples["interesting"]) == {parse_formula("LiZn4SnO8"), parse_formula("LiZn4Sn4O8")}
    assert c4.element_counts("standard")["Sn"] == 1


def test_known_compound_of_an_element_without_oxidation_states_is_interesting() -> None:
    """HeF2 is in the space (the binaries include the noble gases) and forbidden (He has no states in
    smact14): known and forbidden is interesting, in the census as in KnownSet.within."""
    known = _known(["HeF2", "NaCl", "Na9Cl"])
    result = run_census(CensusSettings(arities=(2,), pool=("He", "F", "Na", "Cl"), samples=0), known=known)
    c2 = result.arities[2]
    assert (c2.standard, c2.interesting) == (1, 1)
    assert c2.known_outside == {"coefficient above max stoichiometry": 1}
    inside, outside = known.within(8, element_table("smact14", ["He", "F", "Na", "Cl"]), arity=2)
    assert set(inside) == {parse_formula("HeF2"), parse_formula("NaCl")} and outside == c2.known_outside


def test_without_known_set_categories_are_absent(census_23) -> None:
    c = census_23.arities[2]
    assert c.standard is None and c.missing is None and c.count("unlikely") is None
    assert c.element_counts("missing") is None
    assert census_23.to_json()["arities"]["2"]["missing"] is None


def test_progress_is_monotonic_and_cancel_keeps_partial_counts() -> None:
    """Progress grows chunk by chunk; a cancel between chunks leaves partial, consistent counts."""
    seen: list[tuple[int, int]] = []
    cancel = threading.Event()

    def on_progress(c) -> None:
        seen.append((c.done, c.allowed))
        if len(seen) == 4:
            cancel.set()

    result = run_census(CensusSettings(arities=(4,), samples=10), on_progress=on_progress, cancel=cancel)
    c = result.arities[4]
    assert result.cancelled and not c.complete
    assert 0 < c.allowed < 2_909_434_982 and c.done < c.unique
    assert seen == sorted(seen)
    for comp in c.samples["allowed"][:5]:
        assert comp in smact_allowed(comp.symbols)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"arities": (7,)}, "arity 7"),
        ({"arities": (1,)}, "arity 1"),
        ({"rule": Rule(max_stoich=0)}, "max stoichiometry 0"),
        ({"rule": Rule(max_stoich=17)}, "max stoichiometry 17"),
        ({"rule": Rule(oxidation_states="smact99")}, "smact99"),
        ({"pool": ("Li", "Xx")}, "'Xx'"),
        ({"pool": ("Li", "O", "Li")}, "'Li' is repeated"),
    ],
)
def test_bad_settings_name_the_value(kwargs: dict, message: str) -> None:
    with pytest.raises(InputError, match=message):
        run_census(CensusSettings(**kwargs))


def test_composition_reduction_and_formula() -> None:
    assert parse_formula("Mg2O2") == parse_formula("MgO")
    assert parse_formula("LiZn4(SnO2)4") == Composition.from_counts({"Li": 1, "Zn": 4, "Sn": 4, "O": 8})
    assert parse_formula("LiZn4(SnO2)4").formula == "LiZn4Sn4O8"
    assert parse_formula("O8Sn3ZnLi2").formula == "Li2ZnSn3O8"
    with pytest.raises(InputError):
        parse_formula("Li2Xq")


EMPTY = np.zeros(0, dtype=np.int64)


@pytest.mark.parametrize("symbols", [("Li", "Zn", "Sn", "O"), ("Fe", "Mn", "S", "Cl"), ("Na", "Ca", "Ti", "N")])
def test_sampler_ranks_walk_exactly_the_labelled_compositions(symbols: tuple[str, ...]) -> None:
    """Every rank of a subset's label gives a distinct composition; together they are smact's allowed set
    (or the rest of the subset's reduced compositions for forbidden)."""
    table = element_table("smact14")
    tables = charge_tables(table)
    plan = ArityPlan(len(symbols), 8, tables)
    elems = np.array(sorted(tables.index[s] for s in symbols), dtype=np.int64)
    sampler = Sampler(plan, np.zeros(len(plan.stems), dtype=np.int64), np.ones(len(plan.stems), dtype=bool), EMPTY)
    expected_allowed = smact_allowed(symbols)
    every = kernels.coprime_count(len(symbols), 8)
    for allowed, size in ((True, len(expected_allowed)), (False, every - len(expected_allowed))):
        comps = sampler.compositions_at(np.tile(elems, (size, 1)), np.arange(size), allowed)
        assert len(set(comps)) == size
        assert (set(comps) == expected_allowed) if allowed else not (set(comps) & expected_allowed)
