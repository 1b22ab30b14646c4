"""The census of composition space: counts, per-element counts and samples, by label and category.

One pass per arity streams over the space in chunks of stems (never materialising compositions),
reports progress after every chunk and can be cancelled between chunks. Known materials are few
(~1e5), so their labels are computed one by one and folded into the same pass: the four categories
come out alongside allowed/forbidden at almost no extra cost.

    standard = allowed and known        missing  = allowed and unknown
    interesting = forbidden and known   unlikely = forbidden and unknown
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol

import numpy as np
from numba.core import event as numba_event

from chemspace.core import kernels
from chemspace.core.breakdown import InterestingBreakdown, interesting_breakdown
from chemspace.core.checkpoint import ArityState, Checkpoint
from chemspace.core.composition import Composition
from chemspace.core.elements import ElementTable, element_table
from chemspace.core.engine import ArityPlan, Sampler, batch_allowed, charge_tables, kernels_cached
from chemspace.core.errors import InputError
from chemspace.core.known import NOT_IN_POOL, KnownSet
from chemspace.core.rule import CATEGORIES, Rule, check_arity

#: Seconds of kernel work per chunk: short enough to cancel promptly, long enough to amortise calls.
CHUNK_SECONDS = 0.25


@dataclass(frozen=True)
class CensusSettings:
    """What to count: arities, the filter rule, element pool and sampling."""

    arities: tuple[int, ...] = (2, 3, 4)
    rule: Rule = field(default_factory=Rule)
    samples: int = 3000
    seed: int = 42
    pool: tuple[str, ...] | None = None

    @property
    def max_stoich(self) -> int:
        """The rule's coefficient limit."""
        return self.rule.max_stoich

    @property
    def oxidation_states(self) -> str:
        """The rule's oxidation-state set."""
        return self.rule.oxidation_states

    def validated(self) -> CensusSettings:
        """Check every field, raising InputError naming the first bad value."""
        if not self.arities:
            raise InputError("no arity given")
        for a in self.arities:
            check_arity(a)
        if len(set(self.arities)) != len(self.arities):
            raise InputError(f"arity repeated in {list(self.arities)}")
        self.rule.validated()
        if self.samples < 0:
            raise InputError(f"samples must be >= 0, got {self.samples}")
        if self.pool is not None:
            if len(set(self.pool)) != len(self.pool):
                dup = next(s for s in self.pool if self.pool.count(s) > 1)
                raise InputError(f"element {dup!r} is repeated")
            element_table(self.oxidation_states, self.pool)  # validates symbols
        return replace(self, arities=tuple(sorted(self.arities)))

    def fingerprint(self) -> dict:
        """What the counts depend on (not samples or seed): a checkpoint is valid only for these."""
        d = self.as_dict()
        d.pop("samples")
        d.pop("seed")
        return d

    def as_dict(self) -> dict:
        """JSON-ready settings (the rule's fields at top level, as before the rule existed)."""
        return {
            "arities": list(self.arities),
            **self.rule.as_dict(),
            "samples": self.samples,
            "seed": self.seed,
            "pool": list(self.pool) if self.pool is not None else None,
        }


@dataclass
class ArityCensus:
    """Census of one arity; while running, counts cover the work done so far (``complete`` False).

    Per-element arrays follow ``symbols`` (the pool, atomic-number order). Known-dependent fields are
    None when no known set was given: absent, not zero.
    """

    arity: int
    symbols: tuple[str, ...]
    unique: int
    done: int = 0
    allowed: int = 0
    element_unique: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    element_done: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    element_allowed: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    known: int | None = None
    standard: int | None = None
    interesting: int | None = None
    element_standard: np.ndarray | None = None
    element_interesting: np.ndarray | None = None
    known_outside: dict[str, int] = field(default_factory=dict)
    samples: dict[str, list[Composition]] = field(default_factory=dict)
    complete: bool = False
    elapsed: float = 0.0  # seconds counting (and sampling), compile time left out
    compile_seconds: float = 0.0  # seconds numba spent compiling kernels during this arity (a first run)
    work_done: int = 0
    work_total: int = 0
    phase: str = "counting"  # compiling, counting, sampling, done or cancelled

    @property
    def fraction(self) -> float:
        """Fraction of the unique compositions processed so far."""
        return self.done / self.unique if self.unique else 1.0

    @property
    def work_fraction(self) -> float:
        """Fraction of the work done: element subsets the kernels have counted (what the ETA follows).

        Compositions over elements that can never pass are counted up front at no cost, so the
        share of compositions runs ahead of the work; this does not.
        """
        return self.work_done / self.work_total if self.work_total else 1.0

    @property
    def running(self) -> bool:
        """True until the arity's count is final (shares read so far are of the processed part only)."""
        return self.phase not in ("done", "cancelled")

    @property
    def forbidden(self) -> int:
        """Forbidden compositions among those processed."""
        return self.done - self.allowed

    @property
    def missing(self) -> int | None:
        """Allowed and not known."""
        return None if self.standard is None else self.allowed - self.standard

    @property
    def unlikely(self) -> int | None:
        """Forbidden and not known."""
        return None if self.interesting is None else self.forbidden - self.interesting

    def count(self, label: str) -> int | None:
        """Count for ``unique``, a label (allowed/forbidden), ``known`` or a category."""
        if label == "unique":
            return self.unique
        return getattr(self, label)

    def element_counts(self, label: str = "allowed") -> dict[str, int] | None:
        """Per-element counts (compositions containing the element) for a label or category."""
        arr = self._element_array(label)
        return None if arr is None else {s: int(v) for s, v in zip(self.symbols, arr)}

    def _element_array(self, label: str) -> np.ndarray | None:
        if label == "unique":
            return self.element_unique
        if label == "allowed":
            return self.element_allowed
        if label == "forbidden":
            return self.element_done - self.element_allowed
        if self.element_standard is None or self.element_interesting is None:
            return None
        return {
            "known": self.element_standard + self.element_interesting,
            "standard": self.element_standard,
            "interesting": self.element_interesting,
            "missing": self.element_allowed - self.element_standard,
            "unlikely": self.element_done - self.element_allowed - self.element_interesting,
        }.get(label)

    def to_json(self) -> dict:
        """JSON-ready counts (percentages of unique, as in Table 2) and samples as formulas."""
        out: dict = {"unique": self.unique, "complete": self.complete, "processed": self.done}
        for label in ("allowed", "forbidden", "known", *CATEGORIES):
            value = self.count(label)
            out[label] = value
        out["percent"] = (
            {
                label: (None if self.count(label) is None else round(100.0 * self.count(label) / self.unique, 4))
                for label in ("allowed", "forbidden", *CATEGORIES)
            }
            if self.unique
            else {}
        )
        if self.known_outside:
            out["known_outside"] = dict(self.known_outside)
        out["samples"] = {k: [c.formula for c in v] for k, v in self.samples.items()}
        out["elapsed_s"] = round(self.elapsed, 3)
        out["compile_s"] = round(self.compile_seconds, 3)
        return out


@dataclass
class CensusResult:
    """Census over every requested arity."""

    settings: CensusSettings
    arities: dict[int, ArityCensus]
    known_name: str | None = None
    cancelled: bool = False
    elapsed: float = 0.0  # seconds counting, compile time left out
    compile_seconds: float = 0.0  # seconds numba spent compiling kernels (a first run after installing)
    interesting_breakdown: dict[int, InterestingBreakdown] = field(default_factory=dict)  # with a known set

    def to_json(self, element_label: str = "allowed") -> dict:
        """The ``--json`` document: per-arity counts, per-element counts, settings."""
        return {
            "arities": {str(a): c.to_json() for a, c in self.arities.items()},
            "element_counts": {str(a): c.element_counts(element_label) for a, c in self.arities.items()},
            "settings": {**self.settings.as_dict(), "known": self.known_name},
            "cancelled": self.cancelled,
            "elapsed_s": round(self.elapsed, 3),
            "compile_s": round(self.compile_seconds, 3),
        } | (
            {"interesting_breakdown": {str(a): b.to_json() for a, b in self.interesting_breakdown.items()}}
            if self.known_name is not None
            else {}
        )


ProgressCallback = Callable[[ArityCensus], None]


class BlockRunner(Protocol):
    """Where blocks of stems are counted: in-process threads (LocalRunner) or Dask workers."""

    def run(
        self, plan: ArityPlan, todo: np.ndarray, cancel: threading.Event | None
    ) -> Iterator[tuple[np.ndarray, tuple[np.ndarray, np.ndarray, np.ndarray]]]:
        """Yield (block, (allowed per stem, per active element, per subset)) until ``todo`` is done or cancelled."""
        ...


@dataclass
class _KnownLabels:
    """Known compositions of one arity inside the census space, labelled and placed on stems.

    Row ``i`` of the arrays describes ``comps[i]``: its pool element indices, whether it is allowed,
    and the stem it lives on (-1 for compositions over elements that can never pass, which are
    forbidden and counted before the first chunk).
    """

    comps: list[Composition]
    pool_idx: np.ndarray
    allowed: np.ndarray
    stem_of: np.ndarray
    outside: dict[str, int]

    @property
    def upfront(self) -> np.ndarray:
        return self.stem_of < 0


def run_census(
    settings: CensusSettings,
    known: KnownSet | None = None,
    on_progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    checkpoint: Path | str | Checkpoint | None = None,
    runner: BlockRunner | None = None,
) -> CensusResult:
    """Run the census for every arity in ``settings``.

    Parameters
    ----------
    settings : what to count; validated first (InputError on bad values).
    known : known-materials set for the four categories, or None for allowed/forbidden only.
    on_progress : called with the arity's running census after every chunk (from this thread).
    cancel : set it to stop between chunks; the result is then marked cancelled and partial.
    checkpoint : a file recording finished work every few seconds; a run with the same settings
        resumes from it and ends with the same result as an uninterrupted run (or that file, already
        opened as a :class:`Checkpoint` for these settings).
    runner : where blocks of work run; default in-process threads (see :mod:`chemspace.core.distributed`).
    """
    settings = settings.validated()
    table = element_table(settings.oxidation_states, settings.pool)
    if isinstance(checkpoint, Checkpoint):
        if not checkpoint.matches(settings.fingerprint()):
            raise InputError(f"checkpoint {str(checkpoint.path)!r} was opened for other census settings")
        saver: Checkpoint | None = checkpoint
    else:
        saver = None if checkpoint is None else Checkpoint(checkpoint, settings.fingerprint())
    started = time.perf_counter()
    result = CensusResult(settings=settings, arities={}, known_name=None if known is None else known.name)
    for arity in settings.arities:
        # numba's own compile events time the compiles (not cache loads), apart from the counting
        with numba_event.install_listener("numba:compile", numba_event.TimingListener()) as compiling:
            census = _run_arity(
                table, arity, settings, known, on_progress, cancel, saver, runner or LocalRunner(), compiling
            )
        result.arities[arity] = census
        if known is not None and census.complete:
            in_space = known.within(settings.max_stoich, table, arity)[0]
            result.interesting_breakdown[arity] = interesting_breakdown(in_space, settings.rule)
        if not census.complete:
            result.cancelled = True
            break
    result.compile_seconds = sum(c.compile_seconds for c in result.arities.values())
    result.elapsed = time.perf_counter() - started - result.compile_seconds
    return result


def _run_arity(
    table: ElementTable,
    arity: int,
    settings: CensusSettings,
    known: KnownSet | None,
    on_progress: ProgressCallback | None,
    cancel: threading.Event | None,
    saver: Checkpoint | None,
    runner: BlockRunner,
    compiling: numba_event.TimingListener,
) -> ArityCensus:
    """Count one arity block by block (resuming a checkpoint's finished stems), then draw samples.

    ``compiling`` times numba's compiles meanwhile (the first run after installing): that time is
    ``compile_seconds``, left out of ``elapsed``, which is the counting time.
    """
    t0 = time.perf_counter()

    def clock(census: ArityCensus) -> None:
        """Split the time so far into compiling (numba's compile events) and counting."""
        census.compile_seconds = compiling.duration if compiling.done else 0.0
        census.elapsed = max(0.0, time.perf_counter() - t0 - census.compile_seconds)

    n_pool = len(table)
    tables = charge_tables(table, settings.rule)
    plan = ArityPlan(arity, settings.max_stoich, tables)
    cp = kernels.coprime_count(arity, settings.max_stoich)
    active_pool = np.array([table.index(s) for s in tables.symbols], dtype=np.int64)
    census = ArityCensus(
        arity=arity,
        symbols=table.symbols,
        unique=math.comb(n_pool, arity) * cp,
        element_unique=np.full(n_pool, math.comb(n_pool - 1, arity - 1) * cp, dtype=np.int64),
        element_allowed=np.zeros(n_pool, dtype=np.int64),
        work_total=plan.n_subsets,
    )
    # subsets with an element that can never pass are all forbidden: account for them up front
    n_act = len(tables.symbols)
    census.done = (math.comb(n_pool, arity) - math.comb(n_act, arity)) * cp
    census.element_done = census.element_unique.copy()
    census.element_done[active_pool] -= math.comb(n_act - 1, arity - 1) * cp
    labels = _label_known(table, plan, known) if known is not None else None
    if labels is not None:
        census.known = len(labels.comps)
        census.element_standard = np.zeros(n_pool, dtype=np.int64)
        census.element_interesting = np.zeros(n_pool, dtype=np.int64)
        census.known_outside = labels.outside
        _fold_known(census, labels, None)

    stem_allowed = np.zeros(len(plan.stems), dtype=np.int64)
    processed = np.zeros(len(plan.stems), dtype=np.bool_)
    resumed = saver.states.get(arity) if saver is not None else None
    if resumed is not None and len(resumed.processed) == len(plan.stems):
        processed[:] = resumed.processed
        stem_allowed[:] = resumed.stem_allowed
        census.element_allowed[:] = resumed.element_allowed
        _add_blocks(census, plan, labels, np.flatnonzero(processed), cp, active_pool)
        census.allowed = int(stem_allowed[processed].sum())
    stored = ~processed  # the per-subset store only holds what this run counts
    if processed.all():  # resumed from a finished checkpoint: nothing left to count
        census.phase = "sampling"
    elif not kernels_cached():
        census.phase = "compiling"
    if on_progress:
        on_progress(census)

    subset_counts = plan.subset_store()
    for block, (allowed, per_element, counts) in runner.run(plan, ~processed, cancel):
        census.phase = "counting"
        stem_allowed[block] = allowed
        processed[block] = True
        if subset_counts.size:
            start = int(plan.stem_offsets[block[0]])
            subset_counts[start : start + len(counts)] = counts  # blocks are contiguous stem ranges
        census.allowed += int(allowed.sum())
        census.element_allowed[active_pool] += per_element
        _add_blocks(census, plan, labels, block, cp, active_pool)
        clock(census)
        if saver is not None and saver.due():  # copies only when a write is due (senary: 3.2M stems)
            saver.update(arity, ArityState(processed.copy(), stem_allowed.copy(), census.element_allowed.copy()))
        if on_progress:
            on_progress(census)
    census.complete = bool(processed.all())
    if saver is not None:
        saver.update(arity, ArityState(processed, stem_allowed, census.element_allowed), force=True)
    census.phase = "sampling"
    if on_progress:
        on_progress(census)
    rng = np.random.default_rng([settings.seed, arity])
    census.samples = _draw_samples(plan, stem_allowed, processed, subset_counts, stored, labels, settings.samples, rng)
    clock(census)
    census.phase = "done" if census.complete else "cancelled"
    if on_progress:
        on_progress(census)
    return census


def _add_blocks(
    census: ArityCensus,
    plan: ArityPlan,
    labels: _KnownLabels | None,
    stems: np.ndarray,
    cp: int,
    active_pool: np.ndarray,
) -> None:
    """Count the compositions of finished ``stems`` as processed (and their known ones by category)."""
    census.work_done += int(plan.stem_weights[stems].sum())
    census.done += int(plan.stem_weights[stems].sum()) * cp
    census.element_done[active_pool] += _element_subsets(plan, stems) * cp
    if labels is not None:
        _fold_known(census, labels, stems)


class LocalRunner:
    """Blocks of stems counted in this process by numba's threads, sized to take about CHUNK_SECONDS."""

    def run(
        self, plan: ArityPlan, todo: np.ndarray, cancel: threading.Event | None
    ) -> Iterator[tuple[np.ndarray, tuple[np.ndarray, np.ndarray, np.ndarray]]]:
        """Yield (block, (allowed per stem, per active element, per subset)) for the stems in ``todo``."""
        sizer = _ChunkSizer()
        for block in plan.chunks_adaptive(sizer, todo):
            if cancel is not None and cancel.is_set():
                return
            tc = time.perf_counter()
            out = plan.count(block)
            sizer.update(int(plan.stem_weights[block].sum()), time.perf_counter() - tc)
            yield block, out


class _ChunkSizer:
    """Chunk size in subsets, adapted after every chunk so a chunk takes about CHUNK_SECONDS."""

    def __init__(self, first: int = 20_000, smallest: int = 2_000) -> None:
        self.target = first
        self.smallest = smallest

    def __call__(self) -> int:
        return self.target

    def update(self, subsets: int, seconds: float) -> None:
        if seconds > 0:
            self.target = max(self.smallest, int(subsets * CHUNK_SECONDS / seconds))


def _element_subsets(plan: ArityPlan, block: np.ndarray) -> np.ndarray:
    """How many subsets of a block of stems contain each active element."""
    n = plan.n_active
    out = np.zeros(n, dtype=np.int64)
    stems = plan.stems[block]
    weights = plan.stem_weights[block]
    if stems.shape[1] == 0:  # arity 2: every pair once
        out += n - 1
        return out
    for col in range(stems.shape[1]):
        np.add.at(out, stems[:, col], weights)
    last = stems[:, -1]
    # an element x > last appears in (n - last - 2) completions (a, b) of the stem
    per_stem = n - last - 2
    diff = np.zeros(n + 1, dtype=np.int64)
    np.add.at(diff, last + 1, per_stem)
    out += np.cumsum(diff)[:n]
    return out


def _label_known(table: ElementTable, plan: ArityPlan, known: KnownSet) -> _KnownLabels:
    """Label the known compositions of this arity in one batch and place each on its stem."""
    comps, outside = known.within(plan.max_stoich, table, plan.arity)
    outside.pop(NOT_IN_POOL, None)  # compounds of other elements are not this census's business
    where = {s: i for i, s in enumerate(table.symbols)}
    pool_idx = np.array([[where[s] for s in c.symbols] for c in comps], dtype=np.int64).reshape(-1, plan.arity)
    counts = np.array([c.counts for c in comps], dtype=np.int64).reshape(-1, plan.arity)
    allowed = batch_allowed(table, pool_idx, counts, plan.tables.rule)
    kernel_of_pool = np.full(len(table), -1, dtype=np.int64)
    for s, i in plan.tables.index.items():
        kernel_of_pool[where[s]] = i
    kernel_idx = kernel_of_pool[pool_idx]
    active = (kernel_idx >= 0).all(axis=1)
    stem_of = np.full(len(comps), -1, dtype=np.int64)
    if active.any():
        stem_of[active] = plan.stem_ranks(kernel_idx[active])
    return _KnownLabels(comps, pool_idx, allowed, stem_of, outside)


def _fold_known(census: ArityCensus, labels: _KnownLabels, block: np.ndarray | None) -> None:
    """Add the known compositions on this block's stems (``None``: the up-front ones) to the counts."""
    assert census.element_standard is not None and census.element_interesting is not None
    if block is None:
        here = labels.upfront
    else:
        mask = np.zeros(int(block.max(initial=-1)) + 2, dtype=np.bool_)
        mask[block] = True
        here = ~labels.upfront & mask[np.clip(labels.stem_of, 0, len(mask) - 1)]
    std = here & labels.allowed
    intr = here & ~labels.allowed
    census.standard = (census.standard or 0) + int(std.sum())
    census.interesting = (census.interesting or 0) + int(intr.sum())
    np.add.at(census.element_standard, labels.pool_idx[std].ravel(), 1)
    np.add.at(census.element_interesting, labels.pool_idx[intr].ravel(), 1)


def _draw_samples(
    plan: ArityPlan,
    stem_allowed: np.ndarray,
    processed: np.ndarray,
    subset_counts: np.ndarray,
    stored: np.ndarray,
    labels: _KnownLabels | None,
    k: int,
    rng: np.random.Generator,
) -> dict[str, list[Composition]]:
    """Uniform samples per label, and per category when a known set is given (processed stems only)."""
    if k <= 0:
        return {}
    sampler = Sampler(plan, np.where(processed, stem_allowed, 0), processed, subset_counts, stored)
    if labels is None:
        return {"allowed": sampler.sample(k, True, rng), "forbidden": sampler.sample(k, False, rng)}
    done = labels.upfront | processed[np.maximum(labels.stem_of, 0)]
    known = {
        "allowed": {c for c, ok, d in zip(labels.comps, labels.allowed, done) if ok and d},
        "forbidden": {c for c, ok, d in zip(labels.comps, labels.allowed, done) if not ok and d},
    }
    samples: dict[str, list[Composition]] = {}
    for label, known_cat, unknown_cat in (("allowed", "standard", "missing"), ("forbidden", "interesting", "unlikely")):
        samples[label], samples[unknown_cat] = _label_and_unknown(sampler, label == "allowed", known[label], k, rng)
        samples[known_cat] = _choose(sorted(known[label]), k, rng)
    return samples


def _label_and_unknown(
    sampler: Sampler, allowed: bool, known: set[Composition], k: int, rng: np.random.Generator
) -> tuple[list[Composition], list[Composition]]:
    """``k`` compositions of a label and ``k`` of the label minus its known members, from one draw.

    A uniform draw from the label is sized so that, less its known members, about ``k`` remain; a
    uniform ``k`` of the draw samples the label and a uniform ``k`` of its unknown part samples the
    unknown category (doubling the draw if short). The two samples overlap, each is uniform.
    """
    total = sampler.population(allowed)
    unknown = total - len(known)
    draw_size = min(total, math.ceil(1.05 * k * total / unknown) + 16) if unknown > 0 else min(total, k)
    while True:
        draw = sampler.sample(draw_size, allowed, rng)
        fresh = [c for c in draw if c not in known]
        if len(fresh) >= min(k, unknown) or draw_size == total:
            return _choose(draw, k, rng), _choose(fresh, k, rng)
        draw_size = min(total, 2 * draw_size)


def _choose(items: list[Composition], k: int, rng: np.random.Generator) -> list[Composition]:
    """Up to ``k`` distinct items drawn uniformly, in their original order."""
    if len(items) <= k:
        return list(items)
    picks = np.sort(rng.choice(len(items), size=k, replace=False))
    return [items[i] for i in picks]
