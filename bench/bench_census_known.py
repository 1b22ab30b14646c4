"""Benchmark: the census with a known-materials set of Materials-Project size against without one.

A synthetic known set of ~150 000 compositions (drawn from the census's own samples, a third each of
binaries, ternaries and quaternaries, about the size and arity mix of the Materials Project) is
handed to the census; the script prints both wall times and the overhead ratio.
Run: ``python bench/bench_census_known.py``.
"""

from __future__ import annotations

import time

from chemspace.core.census import CensusSettings, run_census
from chemspace.core.known import KnownEntry, KnownSet


def synthetic_known(per_arity: int = 50_000) -> KnownSet:
    """A known set mixing allowed and forbidden compositions of arities 2-4."""
    pool = run_census(CensusSettings(arities=(2, 3, 4), samples=per_arity // 2, seed=1))
    entries = {}
    for census in pool.arities.values():
        for label in ("allowed", "forbidden"):
            for comp in census.samples[label]:
                entries[comp] = [KnownEntry(id=None, formula=comp.formula)]
    return KnownSet(name="synthetic", source="benchmark", entries=entries)


def main() -> None:
    known = synthetic_known()
    settings = CensusSettings(arities=(2, 3, 4), samples=3000)
    run_census(CensusSettings(arities=(2,), samples=10), known=known)  # JIT and caches warm
    t0 = time.perf_counter()
    run_census(settings)
    plain = time.perf_counter() - t0
    t0 = time.perf_counter()
    with_known = run_census(settings, known=known)
    labelled = time.perf_counter() - t0
    counts = {a: (c.standard, c.interesting) for a, c in with_known.arities.items()}
    print(f"known set: {len(known):,} compositions; (standard, interesting) per arity: {counts}")
    overhead = 100 * (labelled / plain - 1)
    print(f"census without known set: {plain:.2f} s; with: {labelled:.2f} s; overhead {overhead:+.1f}%")


if __name__ == "__main__":
    main()
