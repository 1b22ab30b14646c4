"""Bookkeeping around the kernels: charge tables, work chunks, single-subset queries and sampling.

The kernels see elements by index in electronegativity order; this module maps symbols to those
indices and back, splits the space into chunks of *stems* (the leading ``arity - 2`` elements of a
subset) and answers the small questions (is this composition allowed, with which states).
"""

from __future__ import annotations

import itertools
import math
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numba as nb
import numpy as np

from chemspace.core import kernels
from chemspace.core.composition import Composition
from chemspace.core.elements import ElementTable
from chemspace.core.errors import InputError
from chemspace.core.rule import MAX_STOICH_LIMIT, Rule, check_arity, check_max_stoich

# numba's default threading layer aborts when two parallel kernels run at once (say the census in
# one worker and a UMAP fit in another): every parallel call in the project takes this lock.
PARALLEL_LOCK = threading.Lock()
#: Signature groups per numba thread, run in shuffled order: many small groups balance uneven costs.
#: Measured over the quaternary's signatures on 2 threads: 1.33x with 8 per thread in order, 1.79x with
#: 32 shuffled, 1.99x with 128 shuffled; smaller groups share fewer prefix levels (see count_signatures).
GROUPS_PER_THREAD = 64

#: Largest per-subset count store kept for the sampler (quaternary: 7 MB; senary would need 4 GB).
SUBSET_STORE_BYTES = 512 * 2**20


@dataclass(frozen=True)
class ChargeTables:
    """Elements that can pass the rule, in electronegativity order, as kernel-ready arrays.

    Per element ``e`` and coefficient ``w`` (1..``max_weight``): ``psum[e, w-1, :npsum[e, w-1]]``
    are the cationic charge sums ``w`` atoms can give (``w*q`` per state; every sum of ``w`` states
    for a mixed-valence element under that rule), ``qsum``/``nqsum`` the anionic magnitudes, and
    ``ssum``/``nssum`` the signed sums used without the Pauling test. A zero oxidation state (the
    ``wiki`` set) counts on both sides. ``cls`` numbers the distinct per-element tables: two subsets
    with the same classes (and electronegativity ties) in order have the same allowed count.
    ``cation_cls``/``anion_cls`` number the tables by one side only, for elements the order forces
    onto that side (:func:`kernels.signature_codes`).
    """

    symbols: tuple[str, ...]
    states: tuple[tuple[int, ...], ...]
    rule: Rule
    psum: np.ndarray
    npsum: np.ndarray
    qsum: np.ndarray
    nqsum: np.ndarray
    ssum: np.ndarray
    nssum: np.ndarray
    has_zero: np.ndarray
    en: np.ndarray
    metal: np.ndarray
    cls: np.ndarray
    cation_cls: np.ndarray
    anion_cls: np.ndarray
    n_classes: int

    @property
    def max_charge(self) -> int:
        """Largest charge magnitude a single atom can carry on either side."""
        return int(max((abs(q) for st in self.states for q in st), default=0))

    @cached_property
    def index(self) -> dict[str, int]:
        """Symbol -> kernel index."""
        return {s: i for i, s in enumerate(self.symbols)}

    @property
    def kernel_tables(self) -> tuple[np.ndarray, ...]:
        """(psum, npsum, qsum, nqsum, has_zero, en, ssum, nssum, metal): the tuple every kernel takes."""
        return (self.psum, self.npsum, self.qsum, self.nqsum, self.has_zero, self.en, self.ssum, self.nssum, self.metal)


def _sum_table(per_element: list[list[int]], mixed: list[bool], max_weight: int) -> tuple[np.ndarray, np.ndarray]:
    """Charge sums of ``w`` atoms per element and coefficient: ``w*q``, or every ``w``-fold sum when mixed."""
    rows: list[list[list[int]]] = []
    for states, mv in zip(per_element, mixed):
        by_weight, reach = [], {0} if states else set()
        for w in range(1, max_weight + 1):
            if mv:
                reach = {r + q for r in reach for q in states}
                by_weight.append(sorted(reach))
            else:
                by_weight.append(sorted({w * q for q in states}))
        rows.append(by_weight)
    width = max([len(v) for r in rows for v in r] + [1])
    sums = np.zeros((len(rows), max_weight, width), dtype=np.int64)
    counts = np.zeros((len(rows), max_weight), dtype=np.int64)
    for i, r in enumerate(rows):
        for w, v in enumerate(r):
            sums[i, w, : len(v)] = v
            counts[i, w] = len(v)
    return sums, counts


def charge_tables(table: ElementTable, rule: Rule | None = None, max_weight: int = MAX_STOICH_LIMIT) -> ChargeTables:
    """Kernel tables for the elements of ``table`` that can pass ``rule`` (default: the paper's).

    An element takes part when it has oxidation states and, under the Pauling test, a Pauling
    value; with ``alloys`` every metal takes part too (with no states if it has none usable).
    """
    from smact import metals
    from smact.screening import MIXED_VALENCE_ELEMENTS

    rule = rule or Rule()
    en_all = table.electronegativity
    usable = [
        bool(table.oxidation_states[i]) and (not rule.pauling or not math.isnan(en_all[i])) for i in range(len(table))
    ]
    active = [i for i in range(len(table)) if usable[i] or (rule.alloys and table.symbols[i] in metals)]
    active.sort(key=lambda i: (math.isnan(en_all[i]), en_all[i], i))  # pool is in Z order: ties by Z
    states = [tuple(table.oxidation_states[i]) if usable[i] else () for i in active]
    mixed = [rule.mixed_valence and table.symbols[i] in MIXED_VALENCE_ELEMENTS for i in active]
    metal = np.array([table.symbols[i] in metals for i in active], dtype=np.bool_)
    pos = [sorted({q for q in st if q >= 0}) for st in states]
    neg = [sorted({-q for q in st if q <= 0}) for st in states]
    signed = [sorted(set(st)) for st in states]
    keys = [
        (tuple(p), tuple(n), bool(m), bool(rule.alloys and mt))
        if rule.pauling
        else (tuple(g), bool(m), bool(rule.alloys and mt))
        for p, n, g, m, mt in zip(pos, neg, signed, mixed, metal)
    ]
    cls, n_classes = _class_ids(keys)
    flags = [(bool(m), bool(rule.alloys and mt)) for m, mt in zip(mixed, metal)]
    cation_cls = _class_ids([(tuple(p), *f) for p, f in zip(pos, flags)])[0]
    anion_cls = _class_ids([(tuple(n), *f) for n, f in zip(neg, flags)])[0]
    psum, npsum = _sum_table(pos, mixed, max_weight)
    qsum, nqsum = _sum_table(neg, mixed, max_weight)
    ssum, nssum = _sum_table(signed, mixed, max_weight)
    return ChargeTables(
        symbols=tuple(table.symbols[i] for i in active),
        states=tuple(states),
        rule=rule,
        psum=psum,
        npsum=npsum,
        qsum=qsum,
        nqsum=nqsum,
        ssum=ssum,
        nssum=nssum,
        has_zero=np.array([0 in st for st in states], dtype=np.bool_),
        en=np.array([en_all[i] for i in active], dtype=np.float64),
        metal=metal,
        cls=cls,
        cation_cls=cation_cls,
        anion_cls=anion_cls,
        n_classes=n_classes,
    )


def _class_ids(keys: list[tuple]) -> tuple[np.ndarray, int]:
    """Number equal keys alike, in order of first appearance: (id per key, number of ids)."""
    ids: dict[tuple, int] = {}
    return np.array([ids.setdefault(k, len(ids)) for k in keys], dtype=np.int64), len(ids)


@dataclass
class ArityPlan:
    """Everything the kernels need for one arity over one pool."""

    arity: int
    max_stoich: int
    tables: ChargeTables
    nsum: int = field(init=False)
    coprime: np.ndarray = field(init=False)
    stems: np.ndarray = field(init=False)
    stem_weights: np.ndarray = field(init=False)
    mode: tuple = field(init=False)
    signatures: SignatureCache = field(init=False, repr=False)

    def __post_init__(self) -> None:
        check_arity(self.arity)
        check_max_stoich(self.max_stoich)
        rule = self.tables.rule
        self.nsum = kernels.sum_bound(self.arity, self.max_stoich, self.tables.max_charge, rule.pauling)
        self.mode = (rule.pauling, rule.alloys, 0 if rule.pauling else (self.nsum - 1) // 2)
        self.coprime = kernels.coprime_mask(self.arity, self.max_stoich)
        n = len(self.tables.symbols)
        stem_len = self.arity - 2
        if n < self.arity:
            self.stems = np.zeros((0, stem_len), dtype=np.int64)
        elif stem_len == 0:
            self.stems = np.zeros((1, 0), dtype=np.int64)
        else:
            self.stems = np.array(list(itertools.combinations(range(n - 2), stem_len)), dtype=np.int64)
            self.stems = self.stems.reshape(-1, stem_len)
        # work per stem ~ number of (a, b) completions
        rest = np.array([n], dtype=np.int64) if stem_len == 0 else n - 1 - self.stems[:, -1]
        self.stem_weights = (rest * (rest - 1) // 2).astype(np.int64)
        self.signatures = SignatureCache(self)

    @property
    def n_active(self) -> int:
        return len(self.tables.symbols)

    @cached_property
    def stem_offsets(self) -> np.ndarray:
        """Index of each stem's first subset in the flat per-subset order."""
        return np.concatenate([[0], np.cumsum(self.stem_weights)[:-1]]).astype(np.int64)

    @property
    def n_subsets(self) -> int:
        """Subsets of active elements (the ones the kernels evaluate)."""
        return int(self.stem_weights.sum())

    @property
    def subset_dtype(self) -> np.dtype:
        """The narrowest dtype that holds a subset's allowed count."""
        return np.dtype(np.uint16 if kernels.coprime_count(self.arity, self.max_stoich) < 2**16 else np.int32)

    @property
    def keeps_subset_counts(self) -> bool:
        """Whether per-subset counts are stored for the sampler (else it recounts the stems it hits)."""
        return self.n_subsets * self.subset_dtype.itemsize <= SUBSET_STORE_BYTES

    def subset_store(self) -> np.ndarray:
        """A zeroed per-subset count array, or an empty one when it would exceed SUBSET_STORE_BYTES."""
        return np.zeros(self.n_subsets if self.keeps_subset_counts else 0, dtype=self.subset_dtype)

    def block_offsets(self, block: np.ndarray) -> np.ndarray:
        """Where each stem of ``block`` starts in the block's subset rows (one more entry: the total)."""
        return np.concatenate([[0], np.cumsum(self.stem_weights[block])]).astype(np.int64)

    def block_subsets(self, block: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Every subset of stems ``block`` as (K, arity) EN-ordered kernel indices (kernels' order), and
        where each stem's subsets start (one more entry: the total)."""
        offsets = self.block_offsets(block)
        with PARALLEL_LOCK:
            elems = kernels.expand_stems(
                np.ascontiguousarray(self.stems[block]), self.n_active, offsets, int(offsets[-1])
            )
        return elems, offsets

    def count(
        self, block: np.ndarray, subsets: tuple[np.ndarray, np.ndarray] | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Count the subsets of stems ``block`` (parallel, GIL released).

        ``subsets``: the block's subset rows and their signature codes when already at hand (a Dask
        worker that collected the block). Returns allowed counts per stem of the block, per active
        element, and per subset (in the kernels' order).
        """
        if subsets is None:
            elems, offsets = self.block_subsets(block)
            codes = None
        else:
            elems, codes = subsets
            offsets = self.block_offsets(block)
        counts = self.signatures.counts(elems, codes)
        with PARALLEL_LOCK:
            stem_allowed, per_element = kernels.accumulate_stems(elems, counts, offsets, self.n_active)
        return stem_allowed, per_element, counts

    def stem_ranks(self, subsets: np.ndarray) -> np.ndarray:
        """Row in ``stems`` of each subset's stem; ``subsets`` is (K, arity) kernel indices, any order.

        Stems are listed in lexicographic order, so the row is the combination's rank:
        ``C(n, k) - 1 - sum_i C(n - 1 - c_i, k - i)`` (complementary combinatorial number system).
        """
        n, k = self.n_active - 2, self.arity - 2
        stems = np.sort(np.asarray(subsets, dtype=np.int64).reshape(-1, self.arity), axis=1)[:, :k]
        comb = np.array([[math.comb(x, j) for j in range(k + 1)] for x in range(max(n, 0) + 1)], dtype=np.int64)
        ranks = np.full(len(stems), math.comb(n, k) - 1, dtype=np.int64)
        for i in range(k):
            ranks -= comb[n - 1 - stems[:, i], k - i]
        return ranks

    def completions(self, stem_idx: np.ndarray, j: np.ndarray) -> np.ndarray:
        """Row ``i``: the ``j[i]``-th (a, b) pair completing stem ``stem_idx[i]``, in the kernels'
        (lexicographic) order, as an (K, 2) array."""
        n = self.n_active
        before = np.concatenate([[0], np.cumsum(n - 1 - np.arange(n - 1))])  # pairs with a smaller first
        stems = self.stems[np.asarray(stem_idx, dtype=np.int64)]
        first = stems[:, -1] + 1 if stems.shape[1] else np.zeros(len(stems), dtype=np.int64)
        at = before[first] + np.asarray(j, dtype=np.int64)
        a = np.searchsorted(before, at, side="right") - 1
        return np.stack([a, a + 1 + at - before[a]], axis=1).astype(np.int64)

    def chunks_adaptive(self, target: Callable[[], int], todo: np.ndarray | None = None) -> Iterator[np.ndarray]:
        """Consecutive stem index ranges, each holding about ``target()`` subsets (asked per chunk).

        With ``todo`` (a bool per stem), only runs of stems still to do are chunked (a resumed run).
        """
        cum = np.cumsum(self.stem_weights)
        total = len(self.stems)
        todo = np.ones(total, dtype=np.bool_) if todo is None else todo
        edges = np.flatnonzero(np.diff(np.concatenate([[0], todo.astype(np.int8), [0]])))
        for run_start, run_stop in zip(edges[::2], edges[1::2]):
            start = int(run_start)
            while start < run_stop:
                base = cum[start - 1] if start else 0
                stop = int(np.searchsorted(cum, base + target(), side="right"))
                stop = min(max(stop, start + 1), int(run_stop))
                yield np.arange(start, stop)
                start = stop


class SignatureCache:
    """Allowed count per subset signature, each signature counted once (the census's main saving).

    Why: whether a composition passes depends only on its elements' per-element charge tables in
    electronegativity order and on ties in that order, and much of that order is irrelevant
    (:func:`kernels.signature_codes`); the 3.5 million quaternary subsets of smact14 have 238 771
    signatures, the 988 million senary ones about 26 million.

    Signatures are kept in sorted runs whose sizes at least double down the list (a log-structured
    merge): adding a chunk's new signatures costs time in proportion to them, not to the whole cache,
    which a single sorted array re-copied per chunk would (hundreds of MB per chunk in the senary).
    """

    def __init__(self, plan: ArityPlan) -> None:
        self.plan = plan
        self.runs: list[tuple[np.ndarray, np.ndarray]] = []  # (sorted codes, counts), largest first
        self.base = 2 * max(plan.tables.n_classes, 1)
        if self.base**plan.arity * (plan.arity + 1) ** 2 >= 2**62:
            raise InputError(f"{plan.tables.n_classes} element classes are too many for arity {plan.arity}")

    def counts(self, elems: np.ndarray, codes: np.ndarray | None = None) -> np.ndarray:
        """Allowed count of every subset row of ``elems`` (whose signature ``codes`` may be given),
        evaluating only signatures not seen before."""
        if len(elems) == 0:
            return np.zeros(0, dtype=np.int64)
        codes = self.codes(elems) if codes is None else codes
        out = np.full(len(elems), -1, dtype=np.int64)
        if self.lookup(codes, out):
            miss = np.flatnonzero(out < 0)
            fresh, rows, inverse = distinct(codes, miss)
            values = self.evaluate(elems[rows])
            out[miss] = values[inverse]
            self.add(fresh, values.astype(np.int32))
        return out

    def codes(self, elems: np.ndarray) -> np.ndarray:
        """The signature code of every subset row of ``elems`` (kernel indices, EN order)."""
        t = self.plan.tables
        with PARALLEL_LOCK:
            return kernels.signature_codes(
                elems, t.cls, t.cation_cls, t.anion_cls, t.en, t.npsum, t.nqsum, self.base, self.plan.mode[0]
            )

    def lookup(self, codes: np.ndarray, out: np.ndarray) -> int:
        """Fill ``out`` where it is negative with the stored count of each code; how many are still missing."""
        missing = int((out < 0).sum())
        with PARALLEL_LOCK:
            for keys, values in self.runs:
                if not missing:
                    break
                missing = kernels.lookup_counts(codes, keys, values, out)
        return missing

    def unseen(self, codes: np.ndarray) -> np.ndarray:
        """Whether each code is absent from the cache."""
        out = np.full(len(codes), -1, dtype=np.int64)
        self.lookup(codes, out)
        return out < 0

    def evaluate(self, reps: np.ndarray) -> np.ndarray:
        """Allowed count of each representative subset row (the costly kernel; rows of distinct signatures)."""
        plan, t = self.plan, self.plan.tables
        reps = np.ascontiguousarray(reps, dtype=np.int64)
        values = np.zeros(len(reps), dtype=np.int64)
        if len(reps):
            starts = _group_starts(np.ones(len(reps), dtype=np.int64), GROUPS_PER_THREAD * nb.get_num_threads())
            with PARALLEL_LOCK:
                kernels.count_signatures(
                    reps,
                    t.cls,
                    starts,
                    _shuffled(len(starts) - 1),
                    t.kernel_tables,
                    plan.max_stoich,
                    plan.nsum,
                    plan.mode,
                    plan.coprime,
                    values,
                )
        return values

    def add(self, codes: np.ndarray, values: np.ndarray) -> None:
        """Append a sorted run of signatures not in the cache, merging runs until each is at least twice the next."""
        self.runs.append((codes, values))
        while len(self.runs) > 1 and 2 * len(self.runs[-1][0]) > len(self.runs[-2][0]):
            (k2, v2), (k1, v1) = self.runs.pop(), self.runs.pop()
            at = np.searchsorted(k1, k2)  # both sorted, disjoint: a linear merge
            self.runs.append((np.insert(k1, at, k2), np.insert(v1, at, v2)))

    def __len__(self) -> int:
        return sum(len(k) for k, _ in self.runs)


def distinct(codes: np.ndarray, rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distinct codes among ``codes[rows]`` (every code without ``rows``), sorted, the first row
    where each appears, and which of them each row holds: ``np.unique`` with ``return_index`` and
    ``return_inverse``, in linear time before the sort of the distinct ones (see
    :func:`kernels.first_occurrences`)."""
    rows = np.arange(len(codes), dtype=np.int64) if rows is None else rows
    picked = codes[rows]
    inverse, firsts = kernels.first_occurrences(picked)
    order = np.argsort(picked[firsts], kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return picked[firsts[order]], rows[firsts[order]], rank[inverse]


def kernels_cached(*dispatchers: object) -> bool:
    """Whether the census kernels (or the numba ``dispatchers`` given) are already compiled in numba's
    on-disk cache (else the first call compiles them, about a minute once per install). Unsure answers
    say cached."""
    chosen = dispatchers or (kernels.count_signatures, kernels.signature_codes, kernels.nth_labelled_bits)
    try:
        return all(
            bool(k._cache._cache_file._load_index())  # type: ignore[attr-defined]  # numba's private cache index
            for k in chosen
        )
    except Exception:  # any change in numba's internals: do not claim a compile
        return True


def _shuffled(n: int) -> np.ndarray:
    """0..n-1 in a fixed pseudo-random order (the same every run: results never depend on it)."""
    return np.random.default_rng(n).permutation(n).astype(np.int64)


def _group_starts(widths: np.ndarray, groups: int) -> np.ndarray:
    """Split consecutive tasks into about ``groups`` runs of similar total work (subset count)."""
    if len(widths) == 0:
        return np.zeros(1, dtype=np.int64)
    cum = np.cumsum(widths)
    cuts = np.searchsorted(cum, np.linspace(0, cum[-1], groups + 1)[1:-1], side="left")
    return np.unique(np.concatenate([[0], cuts, [len(widths)]])).astype(np.int64)


@nb.njit(nogil=True, cache=True)
def _first_assignment(states: np.ndarray, nstates: np.ndarray, en: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """First oxidation-state choice (in smact's product order) that is neutral and Pauling-ordered.

    Returns the chosen state per element, or an empty array when none passes.
    """
    n = weights.shape[0]
    idx = np.zeros(n, dtype=np.int64)
    while True:
        total = 0
        for i in range(n):
            total += weights[i] * states[i, idx[i]]
        if total == 0:
            ok = True
            for i in range(n):
                qi = states[i, idx[i]]
                for j in range(n):
                    qj = states[j, idx[j]]
                    if qi > 0 and qj < 0 and not en[i] < en[j]:
                        ok = False
            if ok:
                out = np.empty(n, dtype=np.int64)
                for i in range(n):
                    out[i] = states[i, idx[i]]
                return out
        p = n - 1
        while p >= 0:
            idx[p] += 1
            if idx[p] < nstates[p]:
                break
            idx[p] = 0
            p -= 1
        if p < 0:
            return np.empty(0, dtype=np.int64)


def batch_allowed(table: ElementTable, symbols: np.ndarray, counts: np.ndarray, rule: Rule | None = None) -> np.ndarray:
    """Allowed flags under ``rule`` (default: the paper's) for many compositions of one arity at once.

    Parameters
    ----------
    symbols : (K, n) int64 indices into ``table`` (the pool).
    counts : (K, n) int64 coefficients.
    """
    symbols = np.asarray(symbols, dtype=np.int64)
    counts = np.asarray(counts, dtype=np.int64)
    out = np.zeros(len(symbols), dtype=np.bool_)
    if len(symbols) == 0:
        return out
    tables = charge_tables(table, rule, max(MAX_STOICH_LIMIT, int(counts.max())))
    kernel_of_pool = np.full(len(table), -1, dtype=np.int64)
    for s, i in tables.index.items():
        kernel_of_pool[table.index(s)] = i
    kidx = kernel_of_pool[symbols]
    inside = (kidx >= 0).all(axis=1)  # an element that cannot take part forbids the composition
    order = np.argsort(kidx[inside], axis=1)
    elems = np.take_along_axis(kidx[inside], order, axis=1)
    weights = np.take_along_axis(counts[inside], order, axis=1)
    with PARALLEL_LOCK:
        out[inside] = kernels.compositions_allowed(
            np.ascontiguousarray(elems),
            np.ascontiguousarray(weights),
            tables.kernel_tables,
            (tables.rule.pauling, tables.rule.alloys, 0),
        )
    return out


def oxidation_assignment(table: ElementTable, comp: Composition) -> dict[str, int] | None:
    """Oxidation states that make ``comp`` pass SMACT's filters, or None if it is forbidden.

    Elements are tried in the composition's order and states in smact's listed order, so the
    assignment returned is the first that ``smact_filter`` would report.
    """
    idx = [table.index(s) for s in comp.symbols]
    if any(not table.can_pass(i) for i in idx):
        return None
    states, nstates = table.state_matrix
    found = _first_assignment(
        states[idx], nstates[idx], table.electronegativity[idx], np.array(comp.counts, dtype=np.int64)
    )
    if found.size == 0:
        return None
    return dict(zip(comp.symbols, (int(q) for q in found)))


@dataclass
class Sampler:
    """Uniform sampling of compositions by allowed/forbidden label, from per-stem counts.

    A composition is drawn as a global rank among the label's compositions: the rank is located in a
    stem (cumulative per-stem counts), then in one of the stem's subsets (recounted), then among the
    subset's coprime weight tuples. Only the few stems hit are recomputed.
    """

    plan: ArityPlan
    stem_allowed: np.ndarray
    processed: np.ndarray
    subset_counts: np.ndarray
    stored: np.ndarray | None = None  # stems whose counts are in subset_counts (None: all processed ones)

    def __post_init__(self) -> None:
        self._cp = kernels.coprime_count(self.plan.arity, self.plan.max_stoich)
        self._tuples = kernels.weight_tuples(self.plan.arity, self.plan.max_stoich)
        self._coprime_words = kernels.coprime_mask(self.plan.arity, self.plan.max_stoich)

    def _stem_totals(self, allowed: bool) -> np.ndarray:
        if allowed:
            return self.stem_allowed
        return np.where(self.processed, self.plan.stem_weights * self._cp - self.stem_allowed, 0)

    def population(self, allowed: bool) -> int:
        """How many compositions carry the label (over processed stems)."""
        return int(self._stem_totals(allowed).sum())

    def sample(self, k: int, allowed: bool, rng: np.random.Generator) -> list[Composition]:
        """``k`` distinct compositions (fewer if the label has fewer) drawn uniformly, sorted by rank."""
        totals = self._stem_totals(allowed)
        population = int(totals.sum())
        if population == 0 or k <= 0:
            return []
        k = min(k, population)
        ranks = np.sort(rng.choice(population, size=k, replace=False))
        cum = np.cumsum(totals)
        stem_of = np.searchsorted(cum, ranks, side="right")
        within = np.empty(k, dtype=np.int64)
        subsets = np.empty(k, dtype=np.int64)
        stem_ids, starts = np.unique(stem_of, return_index=True)  # ranks are sorted: a run per stem
        for stem_idx, lo, hi in zip(stem_ids, starts, np.append(starts[1:], k)):
            at = np.arange(lo, hi)
            base = int(cum[stem_idx - 1]) if stem_idx else 0
            counts = self._stem_counts(int(stem_idx))
            if not allowed:
                counts = self._cp - counts
            sub_cum = np.cumsum(counts)
            local = ranks[at] - base
            subsets[at] = np.searchsorted(sub_cum, local, side="right")
            within[at] = local - np.where(subsets[at] > 0, sub_cum[subsets[at] - 1], 0)
        stems = self.plan.stems[stem_of]
        elems = np.concatenate([stems, self.plan.completions(stem_of, subsets)], axis=1)
        return self.compositions_at(elems, within, allowed)

    def compositions_at(self, elems: np.ndarray, ranks: np.ndarray, allowed: bool) -> list[Composition]:
        """Row ``i``: the ``ranks[i]``-th composition with the label over the EN-ordered subset ``elems[i]``."""
        t = self.plan.tables
        with PARALLEL_LOCK:
            bits = kernels.nth_labelled_bits(
                np.ascontiguousarray(elems, dtype=np.int64),
                np.ascontiguousarray(ranks, dtype=np.int64),
                allowed,
                self._coprime_words,
                t.kernel_tables,
                self.plan.max_stoich,
                self.plan.nsum,
                self.plan.mode,
            )
        return Composition.from_kernel_rows(t.symbols, np.asarray(elems, dtype=np.int64), self._tuples[bits])

    def _stem_counts(self, stem_idx: int) -> np.ndarray:
        """Allowed count of each subset of a stem (kernel order), stored or recounted."""
        if self.subset_counts.size and (self.stored is None or self.stored[stem_idx]):
            off = int(self.plan.stem_offsets[stem_idx])
            width = int(self.plan.stem_weights[stem_idx])
            return self.subset_counts[off : off + width].astype(np.int64)
        return self.plan.count(np.array([stem_idx]))[2]


def subset_flags(plan: ArityPlan, elems: np.ndarray) -> np.ndarray:
    """Allowed flag per weight tuple (bit-index order) for one EN-ordered subset."""
    t = plan.tables
    return kernels.subset_allowed_flags(
        np.ascontiguousarray(elems, dtype=np.int64), t.kernel_tables, plan.max_stoich, plan.nsum, plan.mode
    )


def enumerate_subset(plan: ArityPlan, symbols: Sequence[str]) -> tuple[list[Composition], np.ndarray]:
    """Every reduced composition over exactly ``symbols`` with its allowed flag (any element order).

    Elements that can never pass (no states, no Pauling value) make every composition forbidden.
    """
    arity = len(symbols)
    tuples = kernels.weight_tuples(arity, plan.max_stoich)
    coprime = np.gcd.reduce(tuples, axis=1) == 1
    index = plan.tables.index
    if all(s in index for s in symbols):
        order = sorted(symbols, key=index.__getitem__)
        elems = np.array([index[s] for s in order], dtype=np.int64)
        flags = subset_flags(plan, elems)
    else:
        order = list(symbols)
        flags = np.zeros(len(tuples), dtype=np.bool_)
    rows = tuples[coprime]
    comps = [Composition.from_counts(dict(zip(order, map(int, row)))) for row in rows]
    return comps, flags[coprime]
