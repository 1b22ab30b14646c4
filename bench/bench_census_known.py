"""Benchmark: the census with a known-materials set of Materials-Project size against without one.

A synthetic known set shaped like the paper's Materials Project data (Table 2's standard and
interesting counts per arity, ~64 000 compositions drawn from the census's own samples) is handed to
the census; the script prints both wall times and the overhead.
Run: ``python bench/bench_census_known.py``.
"""

from __future__ import annotations

import time

from chemspace.core.census import CensusSettings, run_census
from chemspace.core.known import KnownEntry, KnownSet

#: Table 2 of the paper: (standard, interesting) MP compounds per arity within its limits.
PAPER_KNOWN = {2: (3627, 6354), 3: (24713, 12153), 4: (16455, 962)}


def synthetic_known() -> KnownSet:
    """A known set shaped like the paper's MP data: its standard/interesting counts per arity."""
    most = max(max(pair) for pair in PAPER_KNOWN.values())
    pool = run_census(CensusSettings(arities=(2, 3, 4), samples=most, seed=1))
    entries = {}
    for arity, (standard, interesting) in PAPER_KNOWN.items():
        census = pool.arities[arity]
        for comp in census.samples["allowed"][:standard] + census.samples["forbidden"][:interesting]:
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
