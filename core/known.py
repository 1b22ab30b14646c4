"""Known-materials sets: which reduced compositions a database (Materials Project, ICSD, a list) holds.

The census only needs the set of reduced compositions; the system view also shows each entry's
ids and energy above hull. Matching is always by reduced composition, never by formula string.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from chemspace.core.composition import Composition
from chemspace.core.errors import InputError


@dataclass(frozen=True)
class KnownEntry:
    """One database entry: its id and, where the source has them, stability fields."""

    id: str | None
    formula: str
    energy_above_hull: float | None = None
    is_stable: bool | None = None
    theoretical: bool | None = None


@dataclass
class KnownSet:
    """A named set of known compositions with the entries behind each.

    Attributes
    ----------
    name : short name used on the command line (``mp``, or an imported set's name).
    source : where it came from (``Materials Project``, a file path...).
    version : database version where known (MP: ``db_version`` from ``/heartbeat``).
    date : ISO date the set was fetched or imported.
    entries : reduced composition -> its entries, lowest energy above hull first.
    outside : entries that fall outside the enumerable space, counted by reason.
    """

    name: str
    source: str
    entries: dict[Composition, list[KnownEntry]]
    version: str | None = None
    date: str | None = None
    outside: dict[str, int] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.entries)

    def __contains__(self, comp: object) -> bool:
        return comp in self.entries

    def compositions(self, arity: int | None = None) -> Iterator[Composition]:
        """Known compositions, optionally only those with ``arity`` elements."""
        for comp in self.entries:
            if arity is None or comp.arity == arity:
                yield comp


def resolve_known(spec: str | None) -> KnownSet | None:
    """Turn a ``--known`` value into a KnownSet, or None for no known set.

    ``none`` (or no value while nothing is cached) gives None.
    """
    if spec is None or spec == "none":
        return None
    raise InputError(f"unknown known-materials set {spec!r} (only 'none' is available so far)")
