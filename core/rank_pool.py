"""Compositions as arrays for the ranking: element indices and counts, streamed chunk by chunk.

The ranking scores millions of compositions (10.8 M allowed ternaries), so it never builds one
:class:`Composition` per row: a batch is two ``(K, arity)`` int64 arrays, element indices into the
whole H..Lr table (atomic-number order, ascending along each row) and coefficients. Allowed
compositions are enumerated per element subset with the census kernels (``subset_flags``), so
"allowed" here is exactly the census's verdict.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from chemspace.core import kernels
from chemspace.core.composition import Composition
from chemspace.core.elements import all_symbols, atomic_numbers, element_table
from chemspace.core.engine import ArityPlan, charge_tables, subset_flags
from chemspace.core.rule import Rule, check_arity


@dataclass(frozen=True)
class CompArrays:
    """Compositions of one arity: ``elems[i]`` ascending indices into H..Lr, ``counts[i]`` coefficients."""

    elems: np.ndarray
    counts: np.ndarray

    def __len__(self) -> int:
        return int(self.elems.shape[0])

    @property
    def arity(self) -> int:
        """Elements per composition."""
        return int(self.elems.shape[1])

    def take(self, rows: np.ndarray) -> CompArrays:
        """The rows selected by an index or mask array."""
        return CompArrays(self.elems[rows], self.counts[rows])

    def compositions(self) -> list[Composition]:
        """One :class:`Composition` per row (for output only: a few thousand rows)."""
        symbols = all_symbols()
        return [
            Composition(tuple(symbols[e] for e in row), tuple(c))
            for row, c in zip(self.elems.tolist(), self.counts.tolist())
        ]

    @staticmethod
    def concat(parts: Sequence[CompArrays], arity: int) -> CompArrays:
        """Rows of several batches of the same arity, in order."""
        if not parts:
            return CompArrays(np.zeros((0, arity), np.int64), np.zeros((0, arity), np.int64))
        return CompArrays(np.concatenate([p.elems for p in parts]), np.concatenate([p.counts for p in parts]))


def comps_to_arrays(comps: Sequence[Composition]) -> dict[int, tuple[np.ndarray, CompArrays]]:
    """Group compositions by arity: arity -> (positions in ``comps``, their arrays)."""
    z = atomic_numbers()
    by_arity: dict[int, list[int]] = {}
    for i, c in enumerate(comps):
        by_arity.setdefault(c.arity, []).append(i)
    out = {}
    for arity, members in by_arity.items():
        elems = np.array([[z[s] - 1 for s in comps[i].symbols] for i in members], dtype=np.int64)
        counts = np.array([comps[i].counts for i in members], dtype=np.int64)
        out[arity] = (np.array(members, dtype=np.int64), CompArrays(elems, counts))
    return out


def check_rule(rule: Rule) -> Rule:
    """The rule, validated: the census kernels enumerate under every switch (Pauling, alloys, mixed valence)."""
    return rule.validated()


@dataclass
class AllowedEnumerator:
    """Every allowed composition of one arity over a pool, streamed per batch of element subsets."""

    rule: Rule
    arity: int
    pool: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        check_arity(self.arity)
        check_rule(self.rule)
        table = element_table(self.rule.oxidation_states, self.pool)
        self.tables = charge_tables(table, self.rule)
        self.plan = ArityPlan(self.arity, self.rule.max_stoich, self.tables)
        tuples = kernels.weight_tuples(self.arity, self.rule.max_stoich)
        self._coprime = np.gcd.reduce(tuples, axis=1) == 1
        self._tuples = tuples
        z = atomic_numbers()
        self._z_index = np.array([z[s] - 1 for s in self.tables.symbols], dtype=np.int64)

    @property
    def n_subsets(self) -> int:
        """Element subsets that can hold an allowed composition."""
        from math import comb

        return comb(len(self.tables.symbols), self.arity)

    def batches(self, subsets_per_batch: int = 2000) -> Iterator[tuple[int, CompArrays]]:
        """Yield (subsets done in this batch, allowed compositions of those subsets)."""
        subsets = itertools.combinations(range(len(self.tables.symbols)), self.arity)
        while batch := list(itertools.islice(subsets, subsets_per_batch)):
            yield len(batch), self.batch_of(batch)

    def batch_of(self, subsets: list[tuple[int, ...]]) -> CompArrays:
        """Allowed compositions of some EN-ordered subsets, as Z-ordered arrays."""
        elems_parts, count_parts = [], []
        for subset in subsets:
            en_elems = np.array(subset, dtype=np.int64)
            ok = subset_flags(self.plan, en_elems) & self._coprime
            if not ok.any():
                continue
            rows = self._tuples[ok]
            z = self._z_index[en_elems]
            order = np.argsort(z)
            elems_parts.append(np.broadcast_to(z[order], rows.shape))
            count_parts.append(rows[:, order])
        if not elems_parts:
            return CompArrays.concat([], self.arity)
        return CompArrays(np.concatenate(elems_parts), np.concatenate(count_parts))

    def all(self) -> CompArrays:
        """Every allowed composition at once (binaries, systems: small)."""
        return CompArrays.concat([b for _, b in self.batches()], self.arity)


def system_allowed(rule: Rule, elements: Sequence[str]) -> list[CompArrays]:
    """Allowed compositions of every subset of 2..n of ``elements``, one batch per arity."""
    out = []
    for arity in range(2, len(elements) + 1):
        out.append(AllowedEnumerator(rule, arity, tuple(elements)).all())
    return out


def sample_allowed(enum: AllowedEnumerator, target: int, rng: np.random.Generator) -> CompArrays:
    """About ``target`` allowed compositions from random element subsets (all of them when the space is small).

    Whole subsets are drawn without replacement until ``target`` rows are reached, then rows are
    subsampled: an unlabelled sample for the learned combination, not a uniform census sample.
    """
    n = len(enum.tables.symbols)
    if enum.n_subsets <= 20000:
        rows = enum.all()
    else:
        parts: list[CompArrays] = []
        total = 0
        seen: set[tuple[int, ...]] = set()
        while total < target and len(seen) < enum.n_subsets:
            subset = tuple(sorted(rng.choice(n, size=enum.arity, replace=False).tolist()))
            if subset in seen:
                continue
            seen.add(subset)
            part = enum.batch_of([subset])
            parts.append(part)
            total += len(part)
        rows = CompArrays.concat(parts, enum.arity)
    if len(rows) > target:
        rows = rows.take(np.sort(rng.choice(len(rows), size=target, replace=False)))
    return rows
