"""Mixed valence, exactly: atoms of one element taking different oxidation states (Fe3O4 as Fe2+ 2Fe3+).

smact's ``smact_validity(mixed_valence=True)`` expands each atom of a ``MIXED_VALENCE_ELEMENTS``
element into its own site and tries every product of states, giving up (warning, answering no)
beyond a million. The verdict only needs, per element, which charge sums its atoms can reach and
whether they include cations and/or anions (the Pauling test compares elements, and an element with
both fails it, its electronegativity equal to itself). So each element gets a small dynamic
programme over its atoms (numpy boolean rows, one per sign class), and elements are combined by
convolving those rows: exact at any size up to :data:`MAX_MIXED_ATOMS` atoms of an element.
Concrete assignments are listed by a depth-first walk when there are few enough, else one is rebuilt
from the tables.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from chemspace.core.errors import InputError

#: Most mixed assignments listed for one composition (the verdict is exact regardless).
MIXED_LIST_LIMIT = 100
#: Most multisets of one element's states enumerated for listing (beyond, one assignment is rebuilt).
MULTISET_ENUM_LIMIT = 20_000
#: Most atoms of one mixed-valence element the search takes (its tables grow with the square).
MAX_MIXED_ATOMS = 1000

#: A sign class as an index: 2 * (has a cation atom) + (has an anion atom).
NO_SIGN, ANION, CATION, BOTH = 0, 1, 2, 3


@dataclass(frozen=True)
class Site:
    """One element of a composition for the mixed-valence search."""

    symbol: str
    count: int
    states: tuple[int, ...]
    en: float
    mixed: bool  # atoms may take different states (in smact's MIXED_VALENCE_ELEMENTS and count > 1)


def _cls(q: int) -> int:
    return CATION if q > 0 else ANION if q < 0 else NO_SIGN


@dataclass(frozen=True)
class _Reach:
    """Charge sums one site's atoms can reach: ``steps[t][c, s - lo]`` after ``t`` atoms, class ``c``."""

    lo: int
    steps: tuple[np.ndarray, ...]

    @property
    def final(self) -> np.ndarray:
        return self.steps[-1]


#: Sites with at most this many atoms keep their tables cached (small; larger ones are rare and big).
CACHED_ATOMS = 64


def _reach(states: tuple[int, ...], count: int, mixed: bool) -> _Reach:
    """The site's sum tables (one state for all atoms unless ``mixed``)."""
    return _reach_cached(states, count, mixed) if count <= CACHED_ATOMS else _reach_table(states, count, mixed)


@functools.lru_cache(maxsize=8192)
def _reach_cached(states: tuple[int, ...], count: int, mixed: bool) -> _Reach:
    """:func:`_reach_table`, remembered."""
    return _reach_table(states, count, mixed)


def _reach_table(states: tuple[int, ...], count: int, mixed: bool) -> _Reach:
    """Build the sum tables: a dynamic programme over the atoms, one boolean row per sign class."""
    if mixed and count > MAX_MIXED_ATOMS:
        raise InputError(f"mixed valence takes at most {MAX_MIXED_ATOMS} atoms of an element, not {count}")
    lo = count * min(0, *states)
    size = count * max(0, *states) - lo + 1
    if not mixed:
        final = np.zeros((4, size), dtype=np.bool_)
        for q in states:
            final[_cls(q), count * q - lo] = True
        return _Reach(lo, (final,))
    first = np.zeros((4, size), dtype=np.bool_)
    first[NO_SIGN, -lo] = True
    steps = [first]
    for _ in range(count):
        old, new = steps[-1], np.zeros((4, size), dtype=np.bool_)
        for q in states:
            for c in range(4):
                target = c | _cls(q)
                if q >= 0:
                    new[target, q:] |= old[c, : size - q]
                else:
                    new[target, :q] |= old[c, -q:]
        steps.append(new)
    return _Reach(lo, tuple(steps))


@dataclass(frozen=True)
class SumSet:
    """A set of integers as a boolean row from ``lo``."""

    lo: int
    mask: np.ndarray

    def __contains__(self, s: int) -> bool:
        i = s - self.lo
        return 0 <= i < len(self.mask) and bool(self.mask[i])

    def __add__(self, other: SumSet) -> SumSet:
        """Minkowski sum (every a + b)."""
        mask = np.convolve(self.mask.astype(np.int64), other.mask.astype(np.int64)) > 0
        return SumSet(self.lo + other.lo, mask)

    def values(self) -> np.ndarray:
        return np.flatnonzero(self.mask) + self.lo


def _site_set(site: Site, cls: int | None) -> SumSet:
    """Sums of one site in one sign class (None: any class)."""
    r = _reach(site.states, site.count, site.mixed)
    return SumSet(r.lo, r.final.any(axis=0) if cls is None else r.final[cls])


def _suffixes(sets: Sequence[SumSet]) -> list[SumSet]:
    """``out[i]``: sums reachable by sites i.. (``out[n]`` is {0})."""
    out = [SumSet(0, np.ones(1, dtype=np.bool_))]
    for s in reversed(sets):
        out.append(s + out[-1])
    return out[::-1]


def _pauling_ok(sites: Sequence[Site], classes: Sequence[int]) -> bool:
    """smact's eneg_states_test over sign classes: no element both cation and anion, cations less EN."""
    for i, ci in enumerate(classes):
        if ci == BOTH:
            return False
        for j, cj in enumerate(classes):
            if i != j and ci & CATION and cj & ANION and not sites[i].en < sites[j].en:
                return False
    return True


@dataclass(frozen=True)
class MixedResult:
    """What the mixed-valence search found for one composition."""

    neutral: bool  # some choice (mixed or not) is charge-neutral
    allowed: bool  # some neutral choice passes the Pauling test (or the test is off)
    assignments: tuple[tuple[tuple[int, ...], ...], ...]  # mixed passing choices: per site, sorted charges
    complete: bool  # False when the listing stopped at a limit
    witness: tuple[tuple[int, ...], ...] | None  # a neutral choice when none passes


def mixed_search(
    sites: Sequence[Site],
    pauling: bool,
    limit: int = MIXED_LIST_LIMIT,
    listing: bool = True,
    single_state_passes: bool = False,
) -> MixedResult:
    """Decide and (with ``listing``) list assignments where atoms of mixed-valence sites may differ.

    The verdict is exact either way; without listing no assignment is given (``complete`` False).
    ``single_state_passes``: a single-state assignment is already known to pass, so only list.
    """
    if single_state_passes:
        listed, complete = _list_mixed(sites, pauling, limit) if listing else ((), False)
        return MixedResult(True, True, listed, complete, None)
    neutral = 0 in _suffixes([_site_set(s, None) for s in sites])[0]
    if not neutral:
        return MixedResult(False, False, (), True, None)
    available = [[c for c in range(4) if _reach(s.states, s.count, s.mixed).final[c].any()] for s in sites]
    good = None
    for classes in itertools.product(*available):
        if (not pauling or _pauling_ok(sites, classes)) and 0 in _suffixes(
            [_site_set(s, c) for s, c in zip(sites, classes)]
        )[0]:
            good = classes
            break
    if good is None:
        return MixedResult(True, False, (), True, _one_choice(sites, None))
    if not listing:
        return MixedResult(True, True, (), False, None)
    listed, complete = _list_mixed(sites, pauling, limit)
    if not listed and not complete:
        listed = (_one_choice(sites, good),)
    return MixedResult(True, True, listed, complete, None)


def _one_choice(sites: Sequence[Site], classes: Sequence[int] | None) -> tuple[tuple[int, ...], ...]:
    """One neutral choice (per site, sorted charges), in the given sign classes or any."""
    sets = [_site_set(s, None if classes is None else classes[i]) for i, s in enumerate(sites)]
    suffix = _suffixes(sets)
    total, out = 0, []
    for i, site in enumerate(sites):
        s = next(int(v) for v in sets[i].values() if -(total + int(v)) in suffix[i + 1])
        total += s
        r = _reach(site.states, site.count, site.mixed)
        cls = classes[i] if classes is not None else next(c for c in range(4) if r.final[c, s - r.lo])
        out.append(_rebuild(site, r, cls, s))
    return tuple(out)


def _rebuild(site: Site, r: _Reach, cls: int, total: int) -> tuple[int, ...]:
    """Sorted per-atom charges of one site with sum ``total`` in class ``cls``, walking the tables back."""
    if not site.mixed:
        q = total // site.count
        return (q,) * site.count
    charges = []
    for t in range(site.count, 0, -1):
        prev = r.steps[t - 1]
        q, c = next(
            (q, c)
            for q in site.states
            for c in range(4)
            if c | _cls(q) == cls and 0 <= total - q - r.lo < prev.shape[1] and prev[c, total - q - r.lo]
        )
        charges.append(q)
        total, cls = total - q, c
    return tuple(sorted(charges))


@functools.cache
def _site_groups(
    states: tuple[int, ...], count: int, mixed: bool
) -> dict[int, tuple[tuple[int, tuple[tuple[int, ...], ...]], ...]] | None:
    """One site's choices by sign class, then by sum: sorted per-atom charges (None when too many)."""
    if not mixed:
        combos: list[tuple[int, ...]] = [(q,) * count for q in states]
    elif math.comb(count + len(states) - 1, count) > MULTISET_ENUM_LIMIT:
        return None
    else:
        combos = list(itertools.combinations_with_replacement(sorted(states), count))
    arr = np.array(combos, dtype=np.int64).reshape(len(combos), count)
    classes = ((arr > 0).any(axis=1) * CATION + (arr < 0).any(axis=1) * ANION).tolist()
    groups: dict[int, dict[int, list[tuple[int, ...]]]] = {}
    for combo, cls, total in zip(combos, classes, arr.sum(axis=1).tolist()):
        groups.setdefault(cls, {}).setdefault(total, []).append(combo)
    return {cls: tuple((t, tuple(c)) for t, c in sorted(by_sum.items())) for cls, by_sum in sorted(groups.items())}


def _new_site_ok(sites: Sequence[Site], classes: Sequence[int]) -> bool:
    """The Pauling order between the last site's class and every earlier one."""
    i, ci = len(classes) - 1, classes[-1]
    if ci == BOTH:
        return False
    for j, cj in enumerate(classes[:-1]):
        if ci & CATION and cj & ANION and not sites[i].en < sites[j].en:
            return False
        if cj & CATION and ci & ANION and not sites[j].en < sites[i].en:
            return False
    return True


def _list_mixed(
    sites: Sequence[Site], pauling: bool, limit: int
) -> tuple[tuple[tuple[tuple[int, ...], ...], ...], bool]:
    """Passing choices with at least one site whose atoms differ, sorted, up to ``limit``.

    A depth-first walk over each site's sign classes (pruned by the Pauling order with the sites
    before) and sums (pruned by the sums the remaining sites can reach); then the groups' choices.
    """
    groups = [_site_groups(s.states, s.count, s.mixed) for s in sites]
    if any(g is None for g in groups):
        return (), False
    suffix = _suffixes([_site_set(s, None) for s in sites])
    found: list[tuple[tuple[int, ...], ...]] = []
    complete = True

    def emit(chosen: list[tuple[tuple[int, ...], ...]]) -> bool:
        nonlocal complete
        for choice in itertools.product(*chosen):
            if all(c[0] == c[-1] for c in choice):
                continue  # a single-state assignment: listed by the numba walk
            if len(found) >= limit:
                complete = False
                return False
            found.append(choice)
        return True

    def walk(i: int, classes: list[int], chosen: list[tuple[tuple[int, ...], ...]], total: int) -> bool:
        if i == len(sites):
            return emit(chosen) if total == 0 else True
        for cls, by_sum in groups[i].items():  # type: ignore[union-attr]
            classes.append(cls)
            if not pauling or _new_site_ok(sites, classes):
                for g_sum, combos in by_sum:
                    if -(total + g_sum) in suffix[i + 1]:
                        chosen.append(combos)
                        go = walk(i + 1, classes, chosen, total + g_sum)
                        chosen.pop()
                        if not go:
                            classes.pop()
                            return False
            classes.pop()
        return True

    walk(0, [], [], 0)
    return tuple(sorted(found)), complete
