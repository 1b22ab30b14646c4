"""Why a composition is allowed or forbidden: every assignment, the reason, a witness.

``explain(comp, rule)`` is the one per-composition verdict of the product (the system view, ``check``,
the app's detail pane and the interesting-category breakdown all use it; the census counts the same
rule in its kernels). It follows ``smact.screening.smact_validity`` with the rule's switches:

* a single element is allowed (smact calls any element valid);
* with ``rule.alloys`` a composition of smact's metals only is allowed (basis ``alloy``);
* otherwise a composition is allowed when some choice of oxidation states is charge-neutral and,
  with ``rule.pauling``, puts every cation below every anion in Pauling electronegativity;
* with ``rule.mixed_valence`` atoms of an element in smact's ``MIXED_VALENCE_ELEMENTS`` may take
  different states. smact gives up (warns and says no) past a million expanded combinations; this
  search works on sets of reachable sums and is exact at any size.

For coefficients within ``rule.max_stoich`` and the default switches the assignments are exactly the
species ``smact_filter(..., species_unique=True)`` reports for that ratio.

Assignments map each element (keys in formula order) to its charge: an ``int`` when all its atoms
share one state, a sorted list of per-atom charges when they differ (Fe3O4 under mixed valence:
``{"Fe": [2, 3, 3], "O": -2}``). Order: single-state assignments first, in smact_filter's product order
for the elements in atomic-number order (each element's states as smact lists them, the lightest
element varying slowest: ZnO lists O-2 Zn+2 before O-1 Zn+1); then mixed ones, in lexicographic order
of the per-atom charges (at most ``MIXED_LIST_LIMIT`` of them; ``complete`` is False beyond).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from chemspace.core.assignments import Site, fill_rows, mixed_search, scan_rows
from chemspace.core.composition import Composition
from chemspace.core.elements import ElementTable, element_table
from chemspace.core.rule import PAPER_RULE, Basis, Reason, Rule, alloy_metals, mixed_valence_elements

#: One assignment: element -> charge, or element -> sorted per-atom charges under mixed valence.
Assignment = dict[str, int | list[int]]


@dataclass(frozen=True)
class Witness:
    """For an ``electronegativity`` failure: a neutral assignment and the pair breaking the order."""

    assignment: Assignment
    cation: str  # the cation that is not less electronegative ...
    anion: str  # ... than this anion
    cation_en: float
    anion_en: float

    def to_json(self) -> dict:
        """JSON object: assignment, cation, anion and their Pauling electronegativities."""
        return {
            "assignment": self.assignment,
            "cation": self.cation,
            "anion": self.anion,
            "cation_en": self.cation_en,
            "anion_en": self.anion_en,
        }

    def text(self) -> str:
        """'Sn+4 O-2 is neutral but cation Sn (1.96) is not less electronegative than anion O (3.44)'."""
        return (
            f"{assignment_text(self.assignment)} is neutral, but cation {self.cation} ({self.cation_en:g}) is not "
            f"less electronegative than anion {self.anion} ({self.anion_en:g})"
        )


@dataclass(frozen=True)
class Explanation:
    """The verdict on one composition under one rule, and why."""

    composition: Composition
    allowed: bool
    reason: Reason | None  # None when allowed
    assignments: tuple[Assignment, ...]  # every passing assignment (empty when forbidden)
    witness: Witness | None = None  # for Reason.ELECTRONEGATIVITY
    basis: Basis | None = None  # what allows it (None when forbidden)
    complete: bool = field(default=True)  # False when a mixed-valence listing stopped at its limit

    @property
    def first(self) -> Assignment | None:
        """The first assignment (the system view's ``oxidation_states``), or None."""
        return self.assignments[0] if self.assignments else None

    def assignments_text(self) -> str:
        """'Sn+4 O-2 | Sn+2 O-1' ('' when there is none)."""
        return " | ".join(assignment_text(a) for a in self.assignments)

    def to_json(self) -> dict:
        """JSON fields: allowed, reason, assignments, witness (and basis, complete)."""
        return {
            "allowed": self.allowed,
            "reason": None if self.reason is None else str(self.reason),
            "basis": None if self.basis is None else str(self.basis),
            "assignments": list(self.assignments),
            "assignments_complete": self.complete,
            "witness": None if self.witness is None else self.witness.to_json(),
        }


def assignment_text(assignment: Assignment) -> str:
    """'Sn+4 O-2', or 'Fe[+2,+3,+3] O-2' for per-atom charges."""
    parts = []
    for s, q in assignment.items():
        parts.append(f"{s}{q:+d}" if isinstance(q, int) else f"{s}[{','.join(f'{x:+d}' for x in q)}]")
    return " ".join(parts)


@functools.cache
def _table(oxidation_states: str) -> ElementTable:
    """The whole-pool element table of one oxidation-state set (built once)."""
    return element_table(oxidation_states)


def explain(comp: Composition, rule: Rule = PAPER_RULE) -> Explanation:
    """Every passing assignment of ``comp`` under ``rule``, or the reason it is forbidden."""
    return explain_many([comp], rule)[0]


def explain_many(comps: Sequence[Composition], rule: Rule = PAPER_RULE) -> list[Explanation]:
    """:func:`explain` for many compositions at once (one numba pass per arity)."""
    out: list[Explanation | None] = [None] * len(comps)
    by_arity: dict[int, list[int]] = {}
    for i, c in enumerate(comps):
        by_arity.setdefault(c.arity, []).append(i)
    for arity, idx in by_arity.items():
        group = [comps[i] for i in idx]
        found = _single_element(group) if arity == 1 else _explain_arity(group, rule)
        for i, e in zip(idx, found):
            out[i] = e
    return out  # type: ignore[return-value]


def _single_element(comps: list[Composition]) -> list[Explanation]:
    """smact_validity calls any single element valid."""
    return [Explanation(c, True, None, (), basis=Basis.ELEMENT) for c in comps]


def _explain_arity(comps: list[Composition], rule: Rule) -> list[Explanation]:
    """Compositions of one arity: the numba walk, then mixed valence and alloys where the rule says."""
    table = _table(rule.oxidation_states)
    states, nstates = table.state_matrix
    en = table.electronegativity
    index = {s: i for i, s in enumerate(table.symbols)}
    pairs = [c.formula_pairs for c in comps]
    elems = np.array([[index[s] for s in c.symbols] for c in comps], dtype=np.int64)
    counts = np.array([c.counts for c in comps], dtype=np.int64)
    usable = (nstates[elems] > 0).all(axis=1)
    if rule.pauling:
        usable &= ~np.isnan(en[elems]).any(axis=1)
    neutral, passing, first = scan_rows(elems, counts, usable, states, nstates, en, rule.pauling)
    offsets = np.concatenate([[0], np.cumsum(passing)]).astype(np.int64)
    found = np.zeros((int(offsets[-1]), elems.shape[1]), dtype=np.int64)
    fill_rows(elems, counts, usable, states, nstates, en, rule.pauling, offsets, found)
    found_rows = found.tolist()
    mixed_set = mixed_valence_elements() if rule.mixed_valence else frozenset()
    metals = alloy_metals() if rule.alloys else frozenset()
    out = []
    for r, p in enumerate(pairs):
        symbols = [s for s, _ in p]
        order = _formula_positions(comps[r])
        singles = tuple({s: q[j] for s, j in zip(symbols, order)} for q in found_rows[offsets[r] : offsets[r + 1]])
        if not usable[r]:
            e = Explanation(comps[r], False, Reason.NO_OXIDATION_STATES, ())
        elif mixed_set and any(s in mixed_set and n > 1 for s, n in p):
            e = _explain_mixed(comps[r], p, rule, table, singles, mixed_set)
        elif singles:
            e = Explanation(comps[r], True, None, singles, basis=Basis.OXIDATION_STATES)
        elif neutral[r] == 0:
            e = Explanation(comps[r], False, Reason.NOT_CHARGE_NEUTRAL, ())
        else:
            witness_charges = [(int(first[r, j]),) for j in order]
            e = Explanation(comps[r], False, Reason.ELECTRONEGATIVITY, (), _witness(symbols, witness_charges, table))
        if not e.allowed and metals and all(s in metals for s in symbols):
            e = Explanation(comps[r], True, None, (), basis=Basis.ALLOY)
        out.append(e)
    return out


def _explain_mixed(
    comp: Composition,
    pairs: tuple[tuple[str, int], ...],
    rule: Rule,
    table: ElementTable,
    singles: tuple[Assignment, ...],
    mixed_set: frozenset[str],
) -> Explanation:
    """A composition with a mixed-valence element of count > 1: the exact mixed search adds its choices."""
    sites = [
        Site(s, n, table.oxidation_states[table.index(s)], float(table.electronegativity[table.index(s)]), False)
        for s, n in pairs
    ]
    sites = [Site(x.symbol, x.count, x.states, x.en, x.symbol in mixed_set and x.count > 1) for x in sites]
    found = mixed_search(sites, rule.pauling)
    symbols = [s for s, _ in pairs]
    mixed = tuple(_mixed_assignment(symbols, choice) for choice in found.assignments)
    if singles or found.allowed:
        return Explanation(comp, True, None, singles + mixed, basis=Basis.OXIDATION_STATES, complete=found.complete)
    if not found.neutral:
        return Explanation(comp, False, Reason.NOT_CHARGE_NEUTRAL, ())
    witness_charges = found.witness or ()
    return Explanation(comp, False, Reason.ELECTRONEGATIVITY, (), _witness(symbols, witness_charges, table))


def _mixed_assignment(symbols: Sequence[str], choice: Sequence[tuple[int, ...]]) -> Assignment:
    """Per site: an int when all atoms agree, else the sorted per-atom charges."""
    return {s: (q[0] if len(set(q)) == 1 else list(q)) for s, q in zip(symbols, choice)}


def _formula_positions(comp: Composition) -> list[int]:
    """Positions (in the composition's atomic-number order) of its elements in formula order."""
    return [comp.symbols.index(s) for s, _ in comp.formula_pairs]


def _witness(symbols: Sequence[str], choice: Sequence[tuple[int, ...]], table: ElementTable) -> Witness:
    """A neutral assignment (per-site charges, formula order) and its first cation/anion pair out of order."""
    en = {s: float(table.electronegativity[table.index(s)]) for s in symbols}
    cations = [s for s, q in zip(symbols, choice) if any(x > 0 for x in q)]
    anions = [s for s, q in zip(symbols, choice) if any(x < 0 for x in q)]
    pair = next(((c, a) for c in cations for a in anions if not en[c] < en[a]), (symbols[0], symbols[-1]))
    return Witness(_mixed_assignment(symbols, choice), pair[0], pair[1], en[pair[0]], en[pair[1]])
