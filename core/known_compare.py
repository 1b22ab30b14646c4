"""How two known-materials sets disagree: compositions per arity, overlap, and category moves.

Comparing set A with set B over the space a census with ``rule`` enumerates: how many compositions
each holds per arity, how many both hold, and how the paper's four categories change when B
replaces A as "known". Only a composition held by one set can move (standard <-> missing for an
allowed one, interesting <-> unlikely for a forbidden one); compositions in neither stay missing or
unlikely. The transition table counts the compositions of A or B, the only ones that can move, and,
given the census's allowed and forbidden totals (:func:`census_totals`), also those that stay
missing or unlikely, so every row and column is a whole category of the space.
"Allowed" is decided by the census's own batch labelling, which agrees with smact composition by
composition.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np

from chemspace.core.census import CensusSettings, run_census
from chemspace.core.composition import Composition
from chemspace.core.elements import ElementTable, element_table
from chemspace.core.engine import batch_allowed
from chemspace.core.errors import CancelledError
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
    #: the space's allowed and forbidden counts when the census was run (complete table), else None
    totals: tuple[int, int] | None = None

    def categories(self, side: str) -> dict[Category, int]:
        """The four category counts with set ``side`` ("a" or "b") as known: rows or columns of the table.

        Without census totals, missing and unlikely count only compositions of the other set.
        """
        out = dict.fromkeys(CATEGORIES, 0)
        for (cat_a, cat_b), n in self.transitions.items():
            out[cat_a if side == "a" else cat_b] += n
        return out

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
            "complete": self.totals is not None,
            "categories": {side: {str(k): v for k, v in self.categories(side).items()} for side in ("a", "b")},
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
    totals: dict[int, tuple[int, int]] | None = None,
    pool: tuple[str, ...] | None = None,
) -> Comparison:
    """Compare ``a`` with ``b`` inside the space ``rule`` enumerates (every element H..Lr).

    Parameters
    ----------
    a, b : the two sets (either may be a union, ``mp,oqmd``).
    rule : oxidation states and coefficient limit of the space and its labels (default: the paper's).
    arities : which arities to compare.
    list_moves : also keep, per transition, the compositions that move (sorted by formula).
    totals : per arity, the space's (allowed, forbidden) counts under ``rule`` (see
        :func:`census_totals`): the table then also counts what stays missing or unlikely.
    pool : only compositions over these elements (a chemical system), as a census with a pool counts.
    """
    rule = (rule or Rule()).validated()
    table = element_table(rule.oxidation_states, pool)
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
        space = (totals or {}).get(arity)
        if space is not None:
            allowed_known = int(np.count_nonzero(allowed))
            transitions[(Category.MISSING, Category.MISSING)] = space[0] - allowed_known
            transitions[(Category.UNLIKELY, Category.UNLIKELY)] = space[1] - (len(union) - allowed_known)
        out[arity] = ArityComparison(arity, len(in_a), len(in_b), len(in_a & in_b), transitions, moves, space)
    return Comparison(a.name, b.name, rule, out)


def _allowed(table: ElementTable, comps: list[Composition], arity: int) -> np.ndarray:
    """Allowed flags for compositions of one arity, in one batch."""
    where = {s: i for i, s in enumerate(table.symbols)}
    idx = np.array([[where[s] for s in c.symbols] for c in comps], dtype=np.int64).reshape(-1, arity)
    counts = np.array([c.counts for c in comps], dtype=np.int64).reshape(-1, arity)
    return batch_allowed(table, idx, counts)


def census_totals(
    rule: Rule, arities: tuple[int, ...], cancel: threading.Event | None = None, pool: tuple[str, ...] | None = None
) -> dict[int, tuple[int, int]]:
    """The space's (allowed, forbidden) counts per arity under ``rule``: one census, no known set, no samples."""
    result = run_census(CensusSettings(arities=arities, rule=rule, samples=0, pool=pool), cancel=cancel)
    if result.cancelled:
        raise CancelledError("census cancelled")
    return {a: (c.allowed, c.unique - c.allowed) for a, c in result.arities.items()}


def category_counts(
    known: KnownSet, rule: Rule, totals: dict[int, tuple[int, int]], pool: tuple[str, ...] | None = None
) -> dict[int, dict[Category, int]]:
    """The four category counts per arity with ``known`` as the known set, from a census's totals.

    For showing a second set's counts beside a census run with the first, without running it again:
    ``totals`` are the census's (allowed, forbidden) per arity (``ArityCensus.allowed``, ``unique``),
    ``pool`` its element pool (None: H..Lr).
    """
    nothing = KnownSet(name="", source="", entries={})
    result = compare_sets(nothing, known, rule, tuple(totals), totals=totals, pool=pool)
    return {arity: comp.categories("b") for arity, comp in result.arities.items()}
