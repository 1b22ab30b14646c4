"""How two known-materials sets disagree: compositions per arity, overlap, and category moves.

Comparing set A with set B over the space a census with ``rule`` enumerates: how many compositions
each holds per arity, how many both hold, and how the paper's four categories change when B
replaces A as "known". Only a composition held by one set can move (standard <-> missing for an
allowed one, interesting <-> unlikely for a forbidden one); compositions in neither stay missing or
unlikely, so the transition table counts the compositions of A or B, the only ones that can move.
"Allowed" is decided by the census's own batch labelling, which agrees with smact composition by
composition.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from chemspace.core.composition import Composition
from chemspace.core.elements import ElementTable, element_table
from chemspace.core.engine import batch_allowed
from chemspace.core.known import KnownSet
from chemspace.core.rule import CATEGORIES, Category, Rule, category, check_arity

#: (category under A, category under B)
Move = tuple[Category, Category]


@dataclass
class ArityComparison:
    """One arity: sizes, overlap, category transitions and (on request) the compositions that move."""

    arity: int
    in_a: int
    in_b: int
    both: int
    transitions: dict[Move, int]
    moves: dict[Move, list[Composition]] = field(default_factory=dict)

    @property
    def only_a(self) -> int:
        return self.in_a - self.both

    @property
    def only_b(self) -> int:
        return self.in_b - self.both

    def to_json(self) -> dict:
        """JSON-ready: counts, transitions as {"standard": {"missing": n}}, moves as formula lists."""
        out: dict = {
            "arity": self.arity,
            "in_a": self.in_a,
            "in_b": self.in_b,
            "both": self.both,
            "only_a": self.only_a,
            "only_b": self.only_b,
            "transitions": _nested(self.transitions),
        }
        if self.moves:
            out["moves"] = {f"{a}->{b}": [c.formula for c in comps] for (a, b), comps in self.moves.items()}
        return out


@dataclass
class Comparison:
    """Set A against set B, per arity, under one filter rule."""

    a: str
    b: str
    rule: Rule
    arities: dict[int, ArityComparison]

    def total_transitions(self) -> dict[Move, int]:
        """Transitions summed over the arities compared."""
        out: dict[Move, int] = {}
        for comp in self.arities.values():
            for move, n in comp.transitions.items():
                out[move] = out.get(move, 0) + n
        return out

    def to_json(self) -> dict:
        """One JSON object: the sets, the rule, every arity and the summed transitions."""
        return {
            "a": self.a,
            "b": self.b,
            "rule": self.rule.as_dict(),
            "arities": {str(k): v.to_json() for k, v in self.arities.items()},
            "transitions": _nested(self.total_transitions()),
        }


def _nested(transitions: dict[Move, int]) -> dict[str, dict[str, int]]:
    """{(a, b): n} as {a: {b: n}} over every category, zeros included, so readers need no defaults."""
    return {str(a): {str(b): transitions.get((a, b), 0) for b in CATEGORIES} for a in CATEGORIES}


def compare_sets(
    a: KnownSet,
    b: KnownSet,
    rule: Rule | None = None,
    arities: tuple[int, ...] = (2, 3, 4, 5, 6),
    list_moves: bool = False,
) -> Comparison:
    """Compare ``a`` with ``b`` inside the space ``rule`` enumerates (every element H..Lr).

    Parameters
    ----------
    a, b : the two sets (either may be a union, ``mp,oqmd``).
    rule : oxidation states and coefficient limit of the space and its labels (default: the paper's).
    arities : which arities to compare.
    list_moves : also keep, per transition, the compositions that move (sorted by formula).
    """
    rule = (rule or Rule()).validated()
    table = element_table(rule.oxidation_states)
    out: dict[int, ArityComparison] = {}
    for arity in arities:
        check_arity(arity)
        in_a = set(a.within(rule.max_stoich, table, arity)[0])
        in_b = set(b.within(rule.max_stoich, table, arity)[0])
        union = sorted(in_a | in_b)
        allowed = _allowed(table, union, arity)
        transitions: dict[Move, int] = {}
        moves: dict[Move, list[Composition]] = {}
        for comp, ok in zip(union, allowed):
            move = (category(bool(ok), comp in in_a), category(bool(ok), comp in in_b))
            transitions[move] = transitions.get(move, 0) + 1
            if list_moves and move[0] != move[1]:
                moves.setdefault(move, []).append(comp)
        for comps in moves.values():
            comps.sort(key=lambda c: c.formula)
        out[arity] = ArityComparison(arity, len(in_a), len(in_b), len(in_a & in_b), transitions, moves)
    return Comparison(a.name, b.name, rule, out)


def _allowed(table: ElementTable, comps: list[Composition], arity: int) -> np.ndarray:
    """Allowed flags for compositions of one arity, in one batch."""
    where = {s: i for i, s in enumerate(table.symbols)}
    idx = np.array([[where[s] for s in c.symbols] for c in comps], dtype=np.int64).reshape(-1, arity)
    counts = np.array([c.counts for c in comps], dtype=np.int64).reshape(-1, arity)
    return batch_allowed(table, idx, counts)
