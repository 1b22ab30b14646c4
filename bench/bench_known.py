"""Benchmark: load a Materials-Project-sized known set (150 000 entries) from the cache.

Builds a synthetic set (random reduced compositions with 2..6 elements over H..Pu, about one
composition in eight shared by two polymorphs, as in MP), saves it into a temporary
``CHEMSPACE_DATA_DIR``, then times ``load_set`` in a fresh process state: wall time (best of
``--repeat``), peak traced memory (tracemalloc, a separate run since tracing slows loading), and
the file size. Also times the categories' helper ``KnownSet.within`` at the paper's settings.
Run: ``python bench/bench_known.py [--entries 150000] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
import tracemalloc
from pathlib import Path


def synthetic_set(n_entries: int, seed: int = 0):  # -> KnownSet
    """``n_entries`` entries with MP's fields, ~12% of compositions with a second polymorph."""
    from chemspace.core.composition import Composition
    from chemspace.core.elements import all_symbols
    from chemspace.core.known import KnownEntry, KnownSet

    rng = random.Random(seed)
    symbols = all_symbols()[:94]
    entries: dict[Composition, list[KnownEntry]] = {}
    made = 0
    while made < n_entries:
        arity = rng.choice((2, 3, 3, 4, 4, 5, 6))
        comp = Composition.from_counts({s: rng.randint(1, 10) for s in rng.sample(symbols, arity)})
        for _ in range(2 if rng.random() < 0.12 else 1):
            entry = KnownEntry(
                id=f"mp-{made + 1}",
                formula=comp.formula,
                energy_above_hull=round(rng.expovariate(10), 4),
                is_stable=rng.random() < 0.3,
                theoretical=rng.random() < 0.5,
            )
            entries.setdefault(comp, []).append(entry)
            made += 1
    return KnownSet("mp", "synthetic", entries, version="2023.11.1", date="2026-01-01")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=150_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["CHEMSPACE_DATA_DIR"] = tmp
        from chemspace.core.elements import element_table
        from chemspace.core.known import load_set, save_set

        known = synthetic_set(args.entries)
        t0 = time.perf_counter()
        path = save_set(known)
        save_s = time.perf_counter() - t0
        size_mb = Path(path).stat().st_size / 1e6

        times = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            loaded = load_set("mp")
            times.append(time.perf_counter() - t0)
            assert loaded.entry_count == known.entry_count and len(loaded) == len(known)
            del loaded

        tracemalloc.start()
        loaded = load_set("mp")
        peak_mb = tracemalloc.get_traced_memory()[1] / 1e6
        tracemalloc.stop()

        table = element_table()
        t0 = time.perf_counter()
        inside, outside = loaded.within(8, table)
        within_s = time.perf_counter() - t0

    print(
        f"entries: {known.entry_count:,} in {len(known):,} compositions; file {size_mb:.1f} MB, saved in {save_s:.2f} s"
    )
    print(f"load: best {min(times):.3f} s of {args.repeat} (all: {', '.join(f'{t:.3f}' for t in times)})")
    print(f"load peak traced memory: {peak_mb:.0f} MB")
    print(f"within(max_stoich=8, smact14): {len(inside):,} inside, outside {outside} in {within_s:.3f} s")


if __name__ == "__main__":
    main()
