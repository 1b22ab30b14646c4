"""Benchmark: formula parsing time against formula length, ours against pymatgen's in the same run.

pymatgen's parser removes each token with ``str.replace``, so its time grows with the square of the
length; ours (``chemspace.core.formula``) reads each part once. Lengths above the 1 000-character
cap are timed through the part reader directly (the cap makes ``parse_formula`` refuse them at
once). Prints wall time per formula, the time per character, and the ratio pymatgen / ours.
Run: ``python bench/bench_formula.py [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import functools
import time
import tracemalloc
from collections.abc import Callable


def best_of(repeat: int, func: Callable[[], object]) -> float:
    """Best wall time of ``repeat`` calls, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from pymatgen.core.composition import _parse_formula_cached

    from chemspace.core.elements import atomic_numbers
    from chemspace.core.formula import _read_part

    symbols = atomic_numbers()
    unit = "LiZn4(SnO2)4"
    print(f"{'chars':>8} {'ours s':>10} {'us/char':>8} {'pymatgen s':>11} {'us/char':>8} {'ratio':>7}")
    pymatgen_parse = _parse_formula_cached.__wrapped__  # uncached: each call really parses
    for copies in (100, 400, 1600, 6400):
        text = unit * copies
        ours = best_of(args.repeat, functools.partial(_read_part, text, text, symbols, leading_multiplier=False))
        theirs = best_of(1 if copies > 1600 else args.repeat, functools.partial(pymatgen_parse, text))
        n = len(text)
        print(
            f"{n:>8} {ours:>10.4f} {1e6 * ours / n:>8.2f} {theirs:>11.4f} {1e6 * theirs / n:>8.2f}"
            f" {theirs / ours:>7.1f}"
        )
    tracemalloc.start()  # after the timings: tracing slows allocation several-fold
    _read_part(text, text, symbols, leading_multiplier=False)
    _, peak = tracemalloc.get_traced_memory()
    print(f"peak traced memory parsing the longest: {peak / 1024:.1f} kB")


if __name__ == "__main__":
    main()
