"""Reduced compositions: the unit of the census, of matching against known materials and of export.

A composition is a mapping element -> positive integer count with coprime counts (MgO, never Mg2O2).
Formulas are written conventionally, elements by increasing Pauling electronegativity (as pymatgen
and the paper write them: Li2ZnSn3O8), never grouped ("LiZn4(SnO2)4").
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import reduce

import numpy as np

from chemspace.core.elements import atomic_numbers, did_you_mean, pauling_electronegativity
from chemspace.core.errors import InputError


@functools.cache
def _formula_order(symbol: str) -> tuple[float, int]:
    """Sort key: Pauling electronegativity (elements without one last), then atomic number."""
    en = pauling_electronegativity(symbol)
    return (math.inf if en is None else en, atomic_numbers()[symbol])


@dataclass(frozen=True, order=True)
class Composition:
    """A reduced composition, stored as (symbols, counts) in atomic-number order.

    Two compositions are equal exactly when they are the same reduced composition, so a
    Composition is the key for matching known materials.
    """

    symbols: tuple[str, ...]
    counts: tuple[int, ...]

    @classmethod
    def from_counts(cls, counts: Mapping[str, int | float]) -> Composition:
        """Reduce a mapping of element counts (integers, or floats that are integral after scaling)."""
        items = [(s, c) for s, c in counts.items() if c != 0]
        if not items:
            raise InputError("empty composition")
        z = atomic_numbers()
        for s, c in items:
            if s not in z:
                hint = f" ({hint})" if (hint := did_you_mean(s)) else ""
                raise InputError(f"unknown element symbol {s!r}{hint}")
            if c < 0:
                raise InputError(f"negative amount {c} of {s}")
        ints = _integerise([c for _, c in items])
        g = reduce(math.gcd, ints)
        pairs = sorted(((s, n // g) for (s, _), n in zip(items, ints)), key=lambda p: z[p[0]])
        return cls(tuple(s for s, _ in pairs), tuple(n for _, n in pairs))

    @classmethod
    def from_kernel_rows(cls, symbols: tuple[str, ...], elems: np.ndarray, counts: np.ndarray) -> list[Composition]:
        """Compositions from kernel output: row ``i`` has element indices ``elems[i]`` into ``symbols``
        and coprime positive ``counts[i]``, so nothing needs checking or reducing (the sampler's hot path:
        about 3 us per composition against 30 us through :meth:`from_counts`)."""
        z = atomic_numbers()
        zs = np.array([z[s] for s in symbols], dtype=np.int64)
        order = np.argsort(zs[elems], axis=1, kind="stable")
        elems = np.take_along_axis(elems, order, axis=1)
        counts = np.take_along_axis(counts, order, axis=1)
        return [cls(tuple(symbols[e] for e in row), tuple(c)) for row, c in zip(elems.tolist(), counts.tolist())]

    @property
    def arity(self) -> int:
        """Number of distinct elements."""
        return len(self.symbols)

    @property
    def max_count(self) -> int:
        """Largest stoichiometric coefficient."""
        return max(self.counts)

    def as_dict(self) -> dict[str, int]:
        """Element -> count."""
        return dict(zip(self.symbols, self.counts))

    @property
    def formula_pairs(self) -> tuple[tuple[str, int], ...]:
        """(symbol, count) in formula order: increasing electronegativity."""
        return tuple(sorted(zip(self.symbols, self.counts), key=lambda p: _formula_order(p[0])))

    @property
    def formula(self) -> str:
        """Conventional formula, elements by increasing electronegativity: 'Li2ZnSn3O8'."""
        return "".join(s if n == 1 else f"{s}{n}" for s, n in self.formula_pairs)

    def __str__(self) -> str:
        return self.formula


def _integerise(amounts: list[int | float]) -> list[int]:
    """Turn amounts into integers with the same ratios (formulas like Li0.5CoO2 occur in databases)."""
    if all(float(a).is_integer() for a in amounts):
        return [int(a) for a in amounts]
    for scale in range(2, 1001):
        scaled = [a * scale for a in amounts]
        if all(abs(x - round(x)) < 1e-6 * max(1.0, abs(x)) for x in scaled):
            return [round(x) for x in scaled]
    raise InputError(f"amounts {amounts} are not a rational stoichiometry")


def parse_formula(text: str) -> Composition:
    """Parse a formula ('Li2ZnSn3O8', 'LiZn4(SnO2)4', 'CuSO4·5H2O', 'Li0.5CoO2') into a reduced Composition.

    :func:`chemspace.core.formula.read_amounts` reads it (pymatgen's syntax, hydrates both ways,
    linear time, at most 1 000 characters); isotopes, zero and absurd counts are refused with one
    InputError naming the formula.
    """
    from chemspace.core.formula import read_amounts

    return Composition.from_counts(read_amounts(text, atomic_numbers()))
