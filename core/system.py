"""The chemical-system view: every composition over every subset of a few elements, fully labelled.

For Li-Zn-Sn-O that is 5 837 compositions (728 allowed) over the 11 subsets of 2..4 elements; each
row carries the oxidation states that allow it and, with a known set, its category and entries.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

from chemspace.core.composition import Composition
from chemspace.core.elements import DEFAULT_OXIDATION_STATES, ElementTable, element_table, parse_system
from chemspace.core.engine import (
    ArityPlan,
    charge_tables,
    check_max_stoich,
    enumerate_subset,
    oxidation_assignment,
)
from chemspace.core.known import KnownEntry, KnownSet


@dataclass(frozen=True)
class SystemRow:
    """One composition of a chemical system with its labels."""

    composition: Composition
    allowed: bool
    oxidation_states: dict[str, int] | None
    known: bool | None = None
    entries: tuple[KnownEntry, ...] = field(default=())

    @property
    def formula(self) -> str:
        return self.composition.formula

    @property
    def arity(self) -> int:
        return self.composition.arity

    @property
    def category(self) -> str | None:
        """standard / missing / interesting / unlikely, or None without a known set."""
        if self.known is None:
            return None
        if self.allowed:
            return "standard" if self.known else "missing"
        return "interesting" if self.known else "unlikely"

    @property
    def label(self) -> str:
        """Category when known-ness is available, else allowed/forbidden."""
        return self.category or ("allowed" if self.allowed else "forbidden")

    def oxidation_text(self) -> str:
        """States as 'Zn +2, O -2' ('' when forbidden)."""
        if not self.oxidation_states:
            return ""
        return ", ".join(f"{s} {q:+d}" for s, q in self.oxidation_states.items())

    def to_json(self) -> dict:
        """JSON row: formula, arity, allowed, oxidation_states, and known/category/entries when known."""
        row: dict = {
            "formula": self.formula,
            "arity": self.arity,
            "elements": list(self.composition.symbols),
            "counts": list(self.composition.counts),
            "allowed": self.allowed,
            "oxidation_states": self.oxidation_states,
        }
        if self.known is not None:
            row["known"] = self.known
            row["category"] = self.category
            row["entries"] = [
                {"id": e.id, "formula": e.formula, "energy_above_hull": e.energy_above_hull} for e in self.entries
            ]
        return row


def _sorted_entries(entries: Sequence[KnownEntry]) -> tuple[KnownEntry, ...]:
    """Entries with the lowest energy above hull first (unknown energies last)."""
    return tuple(sorted(entries, key=lambda e: (e.energy_above_hull is None, e.energy_above_hull or 0.0, e.id or "")))


def system_rows(
    symbols: Sequence[str] | str,
    *,
    known: KnownSet | None = None,
    max_stoich: int = 8,
    oxidation_states: str = DEFAULT_OXIDATION_STATES,
) -> list[SystemRow]:
    """Every reduced composition over every subset of 2..n of ``symbols`` (n <= 6), labelled.

    Rows come ordered by arity, then element subset (in the order given), then coefficients.
    """
    elements = parse_system(symbols if isinstance(symbols, str) else "-".join(symbols))
    check_max_stoich(max_stoich)
    table = element_table(oxidation_states, elements)
    tables = charge_tables(table)
    rows: list[SystemRow] = []
    for arity in range(2, len(elements) + 1):
        plan = ArityPlan(arity, max_stoich, tables)
        for subset in itertools.combinations(elements, arity):
            rows.extend(_subset_rows(table, plan, subset, known))
    return rows


def _subset_rows(
    table: ElementTable, plan: ArityPlan, subset: tuple[str, ...], known: KnownSet | None
) -> list[SystemRow]:
    """Rows for one element subset, in coefficient order."""
    comps, flags = enumerate_subset(plan, subset)
    out = []
    for comp, ok in zip(comps, flags):
        out.append(
            SystemRow(
                composition=comp,
                allowed=bool(ok),
                oxidation_states=_in_formula_order(comp, oxidation_assignment(table, comp)) if ok else None,
                known=None if known is None else comp in known,
                entries=_sorted_entries(known.entries.get(comp, ())) if known is not None else (),
            )
        )
    return out


def _in_formula_order(comp: Composition, states: dict[str, int] | None) -> dict[str, int] | None:
    """Re-key an assignment in formula order (Zn +2, O -2), the way a chemist reads it."""
    if states is None:
        return None
    return {s: states[s] for s, _ in comp.formula_pairs}
