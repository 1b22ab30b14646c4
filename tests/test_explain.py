"""explain() agrees with smact itself: smact_filter's species for every composition, smact_validity's verdict."""

from __future__ import annotations

import itertools
import math
import random
import warnings
from collections.abc import Sequence

import pytest

from chemspace.core.composition import Composition, parse_formula
from chemspace.core.elements import all_symbols, atomic_numbers, load_oxidation_states
from chemspace.core.explain import explain, explain_many
from chemspace.core.rule import Reason, Rule, alloy_metals, mixed_valence_elements
from chemspace.core.system import system_rows

from smact_reference import smact_verdict

SETS = ("smact14", "icsd24")
VARIANTS = {
    "default": Rule(),
    "no-pauling": Rule(pauling=False),
    "alloys": Rule(alloys=True),
    "mixed-valence": Rule(mixed_valence=True),
    "all": Rule(pauling=False, alloys=True, mixed_valence=True),
    "alloys+mixed": Rule(alloys=True, mixed_valence=True),
    "icsd24": Rule(oxidation_states="icsd24"),
    "icsd24-all": Rule(oxidation_states="icsd24", pauling=False, alloys=True, mixed_valence=True),
}


def _z_order(symbols: Sequence[str]) -> tuple[str, ...]:
    z = atomic_numbers()
    return tuple(sorted(symbols, key=z.__getitem__))


def smact_species(symbols: Sequence[str], oxidation_states: str, max_stoich: int = 8) -> dict[Composition, list[dict]]:
    """smact_filter(species_unique=True) over exactly ``symbols`` (atomic-number order): composition -> species."""
    from smact import Element
    from smact.screening import smact_filter

    symbols = _z_order(symbols)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            found = smact_filter(
                [Element(s) for s in symbols],
                threshold=max_stoich,
                oxidation_states_set=oxidation_states,
                species_unique=True,
            )
        except ValueError:  # an element with no states in the set
            return {}
    out: dict[Composition, list[dict]] = {}
    for syms, states, ratio in found:
        out.setdefault(Composition(tuple(syms), tuple(ratio)), []).append(dict(zip(syms, states)))
    return out


def _coprime_tuples(arity: int, max_stoich: int = 8) -> list[tuple[int, ...]]:
    return [t for t in itertools.product(range(1, max_stoich + 1), repeat=arity) if math.gcd(*t) == 1]


def _compositions(symbols: Sequence[str]) -> list[Composition]:
    symbols = _z_order(symbols)
    return [Composition(symbols, t) for t in _coprime_tuples(len(symbols))]


def _as_z_dicts(assignments: Sequence[dict], comp: Composition) -> list[dict]:
    """Our assignments re-keyed in atomic-number order, to compare with smact's tuples."""
    return [{s: a[s] for s in comp.symbols} for a in assignments]


@pytest.mark.parametrize("oxidation_states", SETS)
def test_every_binary_assignments_equal_smact_filter(oxidation_states: str) -> None:
    """All 5 253 element pairs x every coprime ratio: our assignments are smact_filter's species, in order."""
    rule = Rule(oxidation_states=oxidation_states)
    bad = []
    for pair in itertools.combinations(all_symbols(), 2):
        comps = _compositions(pair)
        reference = smact_species(pair, oxidation_states)
        for e in explain_many(comps, rule):
            expected = reference.get(e.composition, [])
            if _as_z_dicts(e.assignments, e.composition) != expected or e.allowed != bool(expected):
                bad.append(e.composition.formula)
    assert bad == []


@pytest.mark.parametrize("oxidation_states", SETS)
@pytest.mark.parametrize("system", ["Li-Zn-Sn-O", "Fe-Mn-O-S", "Cs-Pb-I", "Cu-Sb-Se-Cl"])
def test_system_assignments_equal_smact_filter(system: str, oxidation_states: str) -> None:
    """Every composition of a system: assignments (all, in smact's order) and the allowed flag."""
    rows = system_rows(system, rule=Rule(oxidation_states=oxidation_states))
    symbols = system.split("-")
    reference: dict[Composition, list[dict]] = {}
    for n in range(2, len(symbols) + 1):
        for subset in itertools.combinations(symbols, n):
            reference.update(smact_species(subset, oxidation_states))
    assert len(rows) == sum(len(_coprime_tuples(n)) * math.comb(len(symbols), n) for n in range(2, len(symbols) + 1))
    for r in rows:
        expected = reference.get(r.composition, [])
        assert _as_z_dicts(r.assignments, r.composition) == expected, r.formula
        assert r.allowed == bool(expected) and r.oxidation_states == (r.assignments[0] if expected else None)
        assert list(r.assignments[0]) == [s for s, _ in r.composition.formula_pairs] if expected else True


def test_reasons_follow_smact_li_zn_sn_o() -> None:
    """Reasons are what smact says with a test switched off: 'electronegativity' rows are exactly the
    forbidden rows smact_validity allows without the Pauling test (the issue counts 433 of them)."""
    rows = system_rows("Li-Zn-Sn-O")
    no_pauling = Rule(pauling=False)
    for r in rows:
        if r.allowed:
            assert r.reason is None and r.witness is None
            continue
        charge_only = smact_verdict(r.composition, no_pauling)
        assert (r.reason is Reason.ELECTRONEGATIVITY) == charge_only, r.formula
    electroneg = [r for r in rows if r.reason is Reason.ELECTRONEGATIVITY]
    assert len(electroneg) == sum(smact_verdict(r.composition, no_pauling) for r in rows if not r.allowed)


def test_witness_is_neutral_and_breaks_the_order() -> None:
    """Each electronegativity witness is charge-neutral and smact's own Pauling test rejects it."""
    from smact.screening import pauling_test

    from chemspace.core.elements import pauling_electronegativity

    rows = [r for r in system_rows("Li-Zn-Sn-O") if r.reason is Reason.ELECTRONEGATIVITY]
    assert rows
    for r in rows:
        w = r.witness
        counts = r.composition.as_dict()
        assert sum(counts[s] * q for s, q in w.assignment.items()) == 0
        assert w.assignment[w.cation] > 0 > w.assignment[w.anion]
        assert w.cation_en >= w.anion_en == pauling_electronegativity(w.anion)
        syms = list(w.assignment)
        assert not pauling_test([w.assignment[s] for s in syms], [pauling_electronegativity(s) for s in syms])


def test_no_oxidation_states_reason() -> None:
    """An element without states in the set (or without a Pauling value) is the reason, as smact says."""
    states = load_oxidation_states("smact14")
    stateless = next(s for s in all_symbols() if not states[s])
    for formula in (f"{stateless}O", "PmCl3"):
        e = explain(parse_formula(formula))
        assert not e.allowed and e.reason is Reason.NO_OXIDATION_STATES
        assert smact_verdict(e.composition, Rule()) is False
    # without the Pauling test PmCl3 only needs charge balance, as in smact
    assert explain(parse_formula("PmCl3"), Rule(pauling=False)).allowed is smact_verdict(
        parse_formula("PmCl3"), Rule(pauling=False)
    )


README_EXAMPLES = ["Fe3O4", "Sn3O4", "Ni3Al", "LiZn4SnO8", "LiZn4Sn4O8", "NaCl", "Li2ZnSn3O8", "Fe", "CuZn", "Mn3O4"]


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_readme_examples_match_smact_validity(variant: str) -> None:
    rule = VARIANTS[variant]
    for formula in README_EXAMPLES:
        e = explain(parse_formula(formula), rule)
        assert e.allowed == smact_verdict(e.composition, rule), formula
        assert (e.reason is None) == e.allowed


def test_mixed_valence_examples() -> None:
    """Fe3O4 and Sn3O4 need mixed valence; their assignments carry per-atom charges."""
    mv = Rule(mixed_valence=True)
    fe3o4 = explain(parse_formula("Fe3O4"), mv)
    assert not explain(parse_formula("Fe3O4")).allowed and fe3o4.allowed
    assert {"Fe": [2, 3, 3], "O": -2} in fe3o4.assignments
    sn3o4 = explain(parse_formula("Sn3O4"), mv)
    assert sn3o4.assignments == ({"Sn": [2, 2, 4], "O": -2},)
    for a in fe3o4.assignments:  # every listed assignment is neutral
        total = sum(
            (sum(q) if isinstance(q, list) else q * n) for (s, n), q in zip(fe3o4.composition.formula_pairs, a.values())
        )
        assert total == 0


def _random_sets(arity: int, count: int, seed: int) -> list[tuple[str, ...]]:
    """Element sets drawn half uniformly, half from mixed-valence elements, metals and anions (where
    the variants differ)."""
    rng = random.Random(seed)
    symbols = all_symbols()
    pool = sorted(mixed_valence_elements() | {"O", "S", "Se", "Cl", "F", "N", "I"} | set(list(alloy_metals())[:20]))
    half = count // 2
    return [tuple(rng.sample(symbols, arity)) for _ in range(half)] + [
        tuple(rng.sample(pool, arity)) for _ in range(count - half)
    ]


def _sample_compositions(sets: list[tuple[str, ...]], per_set: int, seed: int) -> list[Composition]:
    rng = random.Random(seed)
    out = []
    for s in sets:
        tuples = _coprime_tuples(len(s))
        out += [Composition(_z_order(s), t) for t in rng.sample(tuples, min(per_set, len(tuples)))]
    return out


@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("arity", [2, 3, 4])
def test_random_verdicts_equal_smact_validity(variant: str, arity: int) -> None:
    """Random binary/ternary/quaternary compositions: verdict equals smact_validity with the same switches."""
    rule = VARIANTS[variant]
    comps = _sample_compositions(_random_sets(arity, 24, seed=arity), 6, seed=100 + arity)
    bad = []
    for e in explain_many(comps, rule):
        expected = smact_verdict(e.composition, rule)
        if expected is not None and e.allowed != expected:
            bad.append(e.composition.formula)
        assert (e.reason is None) == e.allowed
    assert bad == []


def test_mixed_valence_is_exact_where_smact_gives_up() -> None:
    """Fe7O9 needs seven Fe sites: smact's expansion (8**7 > 1e6 combinations) warns and says no; the
    exact search finds Fe 2,2,2,3,3,3,3, which smact's own neutrality and Pauling tests accept."""
    from smact import neutral_ratios
    from smact.screening import pauling_test

    from chemspace.core.elements import pauling_electronegativity

    rule = Rule(mixed_valence=True)
    comp = parse_formula("Fe7O9")
    assert smact_verdict(comp, rule) is None  # smact gave up
    e = explain(comp, rule)
    assert e.allowed and e.assignments
    for a in e.assignments:
        sites = [(s, q) for s, v in a.items() for q in (v if isinstance(v, list) else [v] * comp.as_dict()[s])]
        states = [q for _, q in sites]
        assert neutral_ratios(states, stoichs=[(1,)] * len(states), threshold=1)
        assert pauling_test(states, [pauling_electronegativity(s) for s, _ in sites])


def test_single_element_and_alloys_follow_smact() -> None:
    assert explain(parse_formula("Fe")).allowed and smact_verdict(parse_formula("Fe"), Rule())
    cuzn = parse_formula("CuZn5")
    assert explain(cuzn, Rule(alloys=True)).allowed and smact_verdict(cuzn, Rule(alloys=True))
    assert explain(cuzn).allowed == smact_verdict(cuzn, Rule())


def test_every_binary_without_pauling_equals_smact_neutral_ratios() -> None:
    """--no-pauling on all 5 253 pairs: allowed exactly when smact.neutral_ratios finds the ratio for
    some choice of states (what smact_validity(use_pauling_test=False) tests), assignments included."""
    from smact import neutral_ratios

    states = load_oxidation_states("smact14")
    rule = Rule(pauling=False)
    bad = []
    for pair in itertools.combinations(all_symbols(), 2):
        a, b = _z_order(pair)
        reference: dict[tuple[int, ...], list[dict]] = {}
        for qa, qb in itertools.product(states[a], states[b]):
            for ratio in neutral_ratios((qa, qb), threshold=8):
                reference.setdefault(tuple(ratio), []).append({a: qa, b: qb})
        for e in explain_many(_compositions(pair), rule):
            expected = reference.get(e.composition.counts, [])
            if e.allowed != bool(expected) or _as_z_dicts(e.assignments, e.composition) != expected:
                bad.append(e.composition.formula)
    assert bad == []
