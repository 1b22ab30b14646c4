"""The chemical-system view: every composition over every subset of a few elements, fully labelled.

For Li-Zn-Sn-O that is 5 837 compositions (728 allowed) over the 11 subsets of 2..4 elements; each
row carries every oxidation-state assignment that allows it (or the reason it is forbidden, with a
witness for electronegativity failures) and, with a known set, its category and entries. Rows follow
:func:`chemspace.core.explain.explain`: under the default rule the assignments are exactly what
``smact_filter(..., species_unique=True)`` reports for the composition.
"""

from __future__ import annotations

import itertools
import math
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from chemspace.core import kernels
from chemspace.core.assignments import fill_rows, scan_rows
from chemspace.core.composition import Composition
from chemspace.core.elements import element_table, parse_system
from chemspace.core.engine import ArityPlan, ChargeTables, charge_tables, enumerate_subset, kernels_cached
from chemspace.core.errors import CancelledError
from chemspace.core.explain import Assignment, Explanation, Witness, assignment_text, explain_many
from chemspace.core.known import KnownEntry, KnownSet
from chemspace.core.rule import PAPER_RULE, Basis, Category, Label, Reason, Rule, category


@dataclass(frozen=True)
class SystemRow:
    """One composition of a chemical system with its labels."""

    composition: Composition
    allowed: bool
    oxidation_states: Assignment | None  # the first assignment (kept for compatibility)
    known: bool | None = None
    entries: tuple[KnownEntry, ...] = field(default=())
    sources: tuple[str, ...] = ()  # names of the known sets holding it (several with --known a,b)
    assignments: tuple[Assignment, ...] = field(default=())
    reason: Reason | None = None
    witness: Witness | None = None
    basis: Basis | None = None

    @property
    def formula(self) -> str:
        return self.composition.formula

    @property
    def arity(self) -> int:
        return self.composition.arity

    @property
    def category(self) -> Category | None:
        """standard / missing / interesting / unlikely, or None without a known set."""
        return None if self.known is None else category(self.allowed, self.known)

    @property
    def label(self) -> str:
        """Category when known-ness is available, else allowed/forbidden."""
        return self.category or (Label.ALLOWED if self.allowed else Label.FORBIDDEN)

    def oxidation_text(self) -> str:
        """The first assignment as 'Zn +2, O -2' ('' when forbidden); per-atom charges as 'Fe +2/+3/+3'."""
        if not self.oxidation_states:
            return ""
        return ", ".join(
            f"{s} {q:+d}" if isinstance(q, int) else f"{s} {'/'.join(f'{x:+d}' for x in q)}"
            for s, q in self.oxidation_states.items()
        )

    def assignments_text(self) -> str:
        """Every assignment, 'Sn+4 O-2 | Sn+2 O-1' ('' when forbidden)."""
        return " | ".join(assignment_text(a) for a in self.assignments)

    def to_json(self) -> dict:
        """JSON row: formula, arity, allowed, oxidation_states, assignments, reason, witness, and
        known/category/entries when known."""
        row: dict = {
            "formula": self.formula,
            "arity": self.arity,
            "elements": list(self.composition.symbols),
            "counts": list(self.composition.counts),
            "allowed": self.allowed,
            "oxidation_states": self.oxidation_states,
            "assignments": list(self.assignments),
            "reason": None if self.reason is None else str(self.reason),
            "basis": None if self.basis is None else str(self.basis),
            "witness": None if self.witness is None else self.witness.to_json(),
        }
        if self.known is not None:
            row["known"] = self.known
            row["category"] = self.category
            row["entries"] = [e.to_json(self.sources[0] if len(self.sources) == 1 else None) for e in self.entries]
            row["sources"] = list(self.sources)
        return row


def _sorted_entries(entries: Sequence[KnownEntry]) -> tuple[KnownEntry, ...]:
    """Entries with the lowest energy above hull first (unknown energies last)."""
    return tuple(sorted(entries, key=lambda e: (e.energy_above_hull is None, e.energy_above_hull or 0.0, e.id or "")))


#: ``on_progress(labelled, total, phase)``: phase ``compiling`` before the first chunk when the kernels
#: are not in numba's cache yet (the first run after installing), then ``labelling``.
SystemProgress = Callable[[int, int, str], None]

#: Compositions explained per chunk: progress and cancelling happen between chunks.
CHUNK_ROWS = 20_000


def system_size(n_elements: int, max_stoich: int = PAPER_RULE.max_stoich) -> int:
    """How many reduced compositions a system of ``n_elements`` holds (every subset of 2..n), known up front."""
    return sum(math.comb(n_elements, k) * kernels.coprime_count(k, max_stoich) for k in range(2, n_elements + 1))


def system_rows(
    symbols: Sequence[str] | str,
    *,
    known: KnownSet | None = None,
    rule: Rule = PAPER_RULE,
    on_progress: SystemProgress | None = None,
    cancel: threading.Event | None = None,
) -> list[SystemRow]:
    """Every reduced composition over every subset of 2..n of ``symbols`` (n <= 6), explained under ``rule``.

    Rows come ordered by arity, then element subset (in the order given), then coefficients. A six-element
    system is half a million rows, so they are explained in chunks, reporting progress against the total
    known up front and stopping (CancelledError) at the next chunk once ``cancel`` is set.
    """
    elements = parse_system(symbols if isinstance(symbols, str) else "-".join(symbols))
    rule = rule.validated()
    total = system_size(len(elements), rule.max_stoich)
    if on_progress:
        on_progress(0, total, "labelling" if kernels_cached(scan_rows, fill_rows) else "compiling")
    tables = charge_tables(element_table(rule.oxidation_states, elements))
    rows: list[SystemRow] = []
    compositions = _system_compositions(elements, rule.max_stoich, tables)
    while chunk := list(itertools.islice(compositions, CHUNK_ROWS)):
        if cancel is not None and cancel.is_set():
            raise CancelledError("system table cancelled")
        rows.extend(_row(e, known) for e in explain_many(chunk, rule))
        if on_progress:
            on_progress(len(rows), total, "labelling")
    return rows


def _system_compositions(elements: tuple[str, ...], max_stoich: int, tables: ChargeTables) -> Iterator[Composition]:
    """The system's compositions in row order: by arity, then element subset, then coefficients."""
    for arity in range(2, len(elements) + 1):
        plan = ArityPlan(arity, max_stoich, tables)
        for subset in itertools.combinations(elements, arity):
            yield from enumerate_subset(plan, subset)[0]


def _row(e: Explanation, known: KnownSet | None) -> SystemRow:
    """A system row from one explanation."""
    comp = e.composition
    return SystemRow(
        composition=comp,
        allowed=e.allowed,
        oxidation_states=e.first,
        known=None if known is None else comp in known,
        entries=_sorted_entries(known.entries.get(comp, ())) if known is not None else (),
        sources=tuple(sorted(known.sources(comp))) if known is not None else (),
        assignments=e.assignments,
        reason=e.reason,
        witness=e.witness,
        basis=e.basis,
    )
