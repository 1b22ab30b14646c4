"""Every oxidation-state assignment of a composition, found exactly.

Two searches, both hand-written because smact enumerates with Python loops (about 1 ms a formula,
and its mixed-valence expansion gives up beyond a million combinations):

* :func:`scan_rows` / :func:`fill_rows` (numba): one state per element, walked in smact's product
  order (first element slowest), counting neutral choices and those passing the Pauling test, then
  writing the passing ones. Fed element indices and counts of many compositions at once.
* :func:`mixed_search` (Python): atoms of a mixed-valence element take different states. Whether a
  neutral, Pauling-ordered choice exists is decided on per-element sets of reachable charge sums
  (no combination cap), and the concrete choices are listed up to a limit.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numba as nb
import numpy as np

#: Most mixed-valence assignments listed for one composition (the verdict is exact regardless).
MIXED_LIST_LIMIT = 100
#: Most multisets of one element's states enumerated for listing (beyond, one representative).
MULTISET_ENUM_LIMIT = 50_000


@nb.njit(nogil=True, cache=True)
def _walk(states, nstates, en, counts, pauling, out, first):  # pragma: no cover - numba
    """Walk every choice of one state per element; return (neutral, passing) counts.

    Passing choices go to the rows of ``out`` while it has room; the first neutral choice to ``first``.
    """
    n = counts.shape[0]
    idx = np.zeros(n, dtype=np.int64)
    neutral = 0
    passing = 0
    while True:
        total = 0
        for i in range(n):
            total += counts[i] * states[i, idx[i]]
        if total == 0:
            if neutral == 0:
                for i in range(n):
                    first[i] = states[i, idx[i]]
            neutral += 1
            ok = True
            if pauling:
                for i in range(n):
                    qi = states[i, idx[i]]
                    for j in range(n):
                        if qi > 0 and states[j, idx[j]] < 0 and not en[i] < en[j]:
                            ok = False
            if ok:
                if passing < out.shape[0]:
                    for i in range(n):
                        out[passing, i] = states[i, idx[i]]
                passing += 1
        p = n - 1
        while p >= 0:
            idx[p] += 1
            if idx[p] < nstates[p]:
                break
            idx[p] = 0
            p -= 1
        if p < 0:
            return neutral, passing


@nb.njit(nogil=True, cache=True)
def scan_rows(elems, counts, usable, states, nstates, en, pauling):  # pragma: no cover - numba
    """Per row: neutral choices, passing choices and the first neutral choice (rows not usable: zeros)."""
    k, n = elems.shape
    neutral = np.zeros(k, dtype=np.int64)
    passing = np.zeros(k, dtype=np.int64)
    first = np.zeros((k, n), dtype=np.int64)
    none = np.empty((0, n), dtype=np.int64)
    for r in range(k):
        if usable[r]:
            e = elems[r]
            neutral[r], passing[r] = _walk(states[e], nstates[e], en[e], counts[r], pauling, none, first[r])
    return neutral, passing, first


@nb.njit(nogil=True, cache=True)
def fill_rows(elems, counts, usable, states, nstates, en, pauling, offsets, out):  # pragma: no cover - numba
    """Write every passing choice of row ``r`` to ``out[offsets[r]:offsets[r + 1]]``."""
    k, n = elems.shape
    scratch = np.zeros(n, dtype=np.int64)
    for r in range(k):
        if usable[r] and offsets[r + 1] > offsets[r]:
            e = elems[r]
            _walk(states[e], nstates[e], en[e], counts[r], pauling, out[offsets[r] : offsets[r + 1]], scratch)


# ---------------------------------------------------------------- mixed valence


@dataclass(frozen=True)
class Site:
    """One element of a composition for the mixed-valence search."""

    symbol: str
    count: int
    states: tuple[int, ...]
    en: float
    mixed: bool  # atoms may take different states (in smact's MIXED_VALENCE_ELEMENTS and count > 1)


#: A sign class: (has a positive atom, has a negative atom).
SignClass = tuple[bool, bool]


@functools.cache
def _sums_by_class(states: tuple[int, ...], count: int, mixed: bool) -> dict[SignClass, frozenset[int]]:
    """Charge sums reachable by ``count`` atoms, by sign class (one state for all atoms unless mixed)."""
    out: dict[SignClass, set[int]] = {}
    if not mixed:
        for q in states:
            out.setdefault((q > 0, q < 0), set()).add(count * q)
        return {k: frozenset(v) for k, v in out.items()}
    pos = [q for q in states if q > 0]
    neg = [q for q in states if q < 0]
    zero = 0 in states
    pos_sums = _exact_sums(tuple(pos), count)
    neg_sums = _exact_sums(tuple(neg), count)
    for a in range(count + 1):
        for b in range(count + 1 - a):
            if a + b < count and not zero:
                continue
            for sp in pos_sums[a]:
                out.setdefault((a > 0, b > 0), set()).update(sp + sn for sn in neg_sums[b])
    return {k: frozenset(v) for k, v in out.items()}


def _exact_sums(states: tuple[int, ...], most: int) -> list[set[int]]:
    """``sums[m]``: every sum of exactly ``m`` atoms drawn from ``states`` (m = 0..most)."""
    sums = [{0}]
    for _ in range(most):
        sums.append({s + q for s in sums[-1] for q in states} if states else set())
    return sums


def _pauling_ok(sites: Sequence[Site], classes: Sequence[SignClass]) -> bool:
    """smact's eneg_states_test over sign classes: no element both cation and anion, cations less EN."""
    for i, (pi, ni) in enumerate(classes):
        if pi and ni:
            return False
        for j, (_, nj) in enumerate(classes):
            if i != j and pi and nj and not sites[i].en < sites[j].en:
                return False
    return True


def _reaches_zero(sets: Sequence[frozenset[int]]) -> bool:
    """Whether one sum from each set adds up to zero (Minkowski sums, deduplicated)."""
    if not sets:
        return False
    total: set[int] = {0}
    for s in sets[:-1]:
        total = {a + b for a in total for b in s}
    last = sets[-1]
    return any(-t in last for t in total)


@dataclass(frozen=True)
class MixedResult:
    """What the mixed-valence search found for one composition."""

    neutral: bool  # some choice (mixed or not) is charge-neutral
    allowed: bool  # some neutral choice passes the Pauling test (or the test is off)
    assignments: tuple[tuple[tuple[int, ...], ...], ...]  # mixed passing choices: per site, sorted charges
    complete: bool  # False when the listing stopped at a limit
    witness: tuple[tuple[int, ...], ...] | None  # a neutral choice when none passes


def mixed_search(sites: Sequence[Site], pauling: bool, limit: int = MIXED_LIST_LIMIT) -> MixedResult:
    """Decide and list assignments where atoms of mixed-valence sites may differ (exact verdict)."""
    per_site = [_sums_by_class(s.states, s.count, s.mixed) for s in sites]
    neutral = _reaches_zero([frozenset().union(*d.values()) for d in per_site])
    patterns = [
        classes
        for classes in itertools.product(*(sorted(d) for d in per_site))
        if not pauling or _pauling_ok(sites, classes)
    ]
    good = [c for c in patterns if _reaches_zero([per_site[i][k] for i, k in enumerate(c)])]
    allowed = neutral and bool(good)
    listed, complete = _list_mixed(sites, pauling, limit) if allowed else ((), True)
    witness = None
    if neutral and not allowed:
        witness = _one_neutral(sites)
    return MixedResult(neutral, allowed, listed, complete, witness)


@functools.cache
def _site_groups(
    states: tuple[int, ...], count: int, mixed: bool
) -> tuple[tuple[int, SignClass, tuple[tuple[int, ...], ...]], ...] | None:
    """One site's choices grouped by (sum, sign class): sorted per-atom charges, or None when too many."""
    if not mixed:
        return tuple((q * count, (q > 0, q < 0), ((q,) * count,)) for q in states)
    if math.comb(count + len(states) - 1, count) > MULTISET_ENUM_LIMIT:
        return None
    groups: dict[tuple[int, SignClass], list[tuple[int, ...]]] = {}
    for combo in itertools.combinations_with_replacement(sorted(states), count):
        groups.setdefault((sum(combo), _sign(combo)), []).append(combo)
    return tuple((total, sign, tuple(combos)) for (total, sign), combos in sorted(groups.items()))


def _sign(charges: tuple[int, ...]) -> SignClass:
    return (any(q > 0 for q in charges), any(q < 0 for q in charges))


def _list_mixed(
    sites: Sequence[Site], pauling: bool, limit: int
) -> tuple[tuple[tuple[tuple[int, ...], ...], ...], bool]:
    """Passing choices with at least one site whose atoms differ, sorted, up to ``limit``.

    A depth-first walk over each site's (sum, sign class) groups, pruned by the sums the remaining
    sites can reach and by the Pauling order of the classes chosen so far; then the groups' choices.
    """
    groups = [_site_groups(s.states, s.count, s.mixed) for s in sites]
    if any(g is None for g in groups):
        return (), False
    suffix: list[set[int]] = [set() for _ in sites] + [{0}]
    for i in range(len(sites) - 1, -1, -1):
        suffix[i] = {g[0] + t for g in groups[i] for t in suffix[i + 1]}  # type: ignore[union-attr]
    found: list[tuple[tuple[int, ...], ...]] = []
    complete = True

    def emit(chosen: list[tuple[tuple[int, ...], ...]]) -> bool:
        nonlocal complete
        for choice in itertools.product(*chosen):
            if all(len(set(c)) == 1 for c in choice):
                continue  # a single-state assignment: listed by the numba walk
            if len(found) >= limit:
                complete = False
                return False
            found.append(choice)
        return True

    def walk(i: int, classes: list[SignClass], chosen: list[tuple[tuple[int, ...], ...]], total: int) -> bool:
        if i == len(sites):
            return emit(chosen) if total == 0 else True
        for g_sum, sign, combos in groups[i]:  # type: ignore[union-attr]
            if -(total + g_sum) not in suffix[i + 1]:
                continue
            classes.append(sign)
            if not pauling or _pauling_ok(sites[: i + 1], classes):
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


def _one_neutral(sites: Sequence[Site]) -> tuple[tuple[int, ...], ...] | None:
    """One neutral choice (per site, sorted charges), ignoring the Pauling test."""
    per_site = [_sums_by_class(s.states, s.count, s.mixed) for s in sites]
    sums = [sorted(frozenset().union(*d.values())) for d in per_site]
    suffix: list[set[int]] = [set() for _ in sites] + [{0}]
    for i in range(len(sites) - 1, -1, -1):
        suffix[i] = {s + t for s in sums[i] for t in suffix[i + 1]}
    chosen: list[int] = []
    total = 0
    for i in range(len(sites)):
        pick = next((s for s in sums[i] if -(total + s) in suffix[i + 1]), None)
        if pick is None:
            return None
        chosen.append(pick)
        total += pick
    return tuple(_charges_with_sum(s.states, s.count, s.mixed, t) for s, t in zip(sites, chosen))


def _charges_with_sum(states: tuple[int, ...], count: int, mixed: bool, target: int) -> tuple[int, ...]:
    """Sorted per-atom charges of one site summing to ``target`` (greedy over reachable sums)."""
    if not mixed:
        return next((q,) * count for q in states if q * count == target)
    reach = _exact_sums(tuple(states), count)
    out: list[int] = []
    left = target
    for m in range(count, 0, -1):
        q = next(q for q in states if left - q in reach[m - 1])
        out.append(q)
        left -= q
    return tuple(sorted(out))
