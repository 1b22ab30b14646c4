"""Benchmark: the whole census of arities 2-4 beside smact's reference pipeline, with ratios.

Run: ``python bench/bench_census.py [--quick]``. Prints wall time, peak memory and compositions per
second for chemspace-tui (JIT cache warmed first), then smact.utils.crystal_space on binaries (the
full pipeline, 2 processes) and on a random sample of ternary and quaternary element sets
(smact_filter per set, extrapolated to every set), and the ratios.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import random
import resource
import subprocess
import sys
import time
import warnings


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def ours(arities: tuple[int, ...], samples: int) -> dict[int, float]:
    """Time the census in a fresh process (JIT cache warm) so peak memory is the census's own."""
    code = f"""
import resource, time, json
from chemspace.core.census import CensusSettings, run_census
run_census(CensusSettings(arities=(2,), samples=10))  # load the JIT cache
t0 = time.perf_counter()
r = run_census(CensusSettings(arities={arities!r}, samples={samples}))
wall = time.perf_counter() - t0
print(json.dumps({{"wall": wall, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
  "per_arity": {{a: c.elapsed for a, c in r.arities.items()}},
  "unique": {{a: c.unique for a, c in r.arities.items()}}, "allowed": {{a: c.allowed for a, c in r.arities.items()}}}}))
"""
    import json

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    doc = json.loads(out.stdout.strip().splitlines()[-1])
    total = sum(doc["unique"].values())
    print(f"chemspace-tui census arities {arities}, {samples} samples per label, element counts")
    for a, t in doc["per_arity"].items():
        print(f"  arity {a}: {doc['unique'][a]:>16,} unique {doc['allowed'][a]:>15,} allowed  {t:7.2f} s")
    print(
        f"  total wall {doc['wall']:.2f} s, peak memory {doc['peak_mb']:.0f} MB, "
        f"{total / doc['wall']:.3g} compositions/s"
    )
    return {int(a): t for a, t in doc["per_arity"].items()}


def smact_binaries() -> float:
    """smact's full reference pipeline for binaries on 2 processes."""
    from smact.utils.crystal_space.generate_composition_with_smact import generate_composition_with_smact

    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        df = generate_composition_with_smact(
            num_elements=2, max_stoich=8, num_processes=2, oxidation_states_set="smact14"
        )
    wall = time.perf_counter() - t0
    print(
        f"smact generate_composition_with_smact binaries: {wall:.1f} s wall (2 processes), "
        f"{len(df):,} unique, {int(df['smact_allowed'].sum()):,} allowed"
    )
    return wall


def smact_sampled(arity: int, n_sets: int, seed: int = 0) -> float:
    """smact_filter on random element sets, extrapolated to every set (core-seconds)."""
    from smact import Element
    from smact.screening import smact_filter

    from chemspace.core.elements import all_symbols, pauling_electronegativity

    symbols = [s for s in all_symbols() if pauling_electronegativity(s) is not None]
    rng = random.Random(seed)
    sets = [rng.sample(symbols, arity) for _ in range(n_sets)]
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for s in sets:
            with contextlib.suppress(ValueError):  # smact raises for elements without states
                smact_filter([Element(x) for x in s], threshold=8, oxidation_states_set="smact14")
    per_set = (time.perf_counter() - t0) / n_sets
    total = per_set * math.comb(len(symbols), arity)
    print(
        f"smact_filter arity {arity}: {per_set * 1e3:.1f} ms per element set over {n_sets} random sets "
        f"-> {total / 3600:.2f} core-hours for all {math.comb(len(symbols), arity):,} sets (filter step only)"
    )
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer smact sets")
    args = parser.parse_args()
    os.environ.setdefault("NUMBA_NUM_THREADS", "2")
    per_arity = ours((2, 3, 4), 3000)
    ref2 = smact_binaries()
    ref3 = smact_sampled(3, 100 if args.quick else 400)
    ref4 = smact_sampled(4, 20 if args.quick else 60)
    print("ratios (smact / chemspace-tui; smact ternary and quaternary are core-seconds on 1 core, ours wall on 2):")
    print(f"  binary     {ref2 / per_arity[2]:12,.0f}x")
    print(f"  ternary    {ref3 / per_arity[3]:12,.0f}x")
    print(f"  quaternary {ref4 / per_arity[4]:12,.0f}x")
    print(f"peak memory of this process (smact side): {_peak_mb():.0f} MB")


if __name__ == "__main__":
    main()
