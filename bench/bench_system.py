"""Benchmark: labelling a six-element system in chunks, with progress, against one pass over all of it.

``system_rows`` explains a system's compositions in chunks of ``CHUNK_ROWS`` so that it can report
progress against the total known up front and stop between chunks. The reference, measured in the
same run and process, is what it did before: every composition enumerated first, then explained in
one pass (no progress until the end). Prints wall time, peak traced memory and the ratio, for
``python bench/bench_system.py [--system Li-Na-K-Zn-Sn-O]``. Kernels are warmed up first.
"""

from __future__ import annotations

import argparse
import itertools
import time
import tracemalloc


def reference_rows(elements: tuple[str, ...]) -> list:
    """The system's rows the way they were made before chunking: enumerate all, explain all at once."""
    from chemspace.core.elements import element_table
    from chemspace.core.engine import ArityPlan, charge_tables, enumerate_subset
    from chemspace.core.explain import explain_many
    from chemspace.core.rule import PAPER_RULE
    from chemspace.core.system import _row

    tables = charge_tables(element_table(PAPER_RULE.oxidation_states, elements))
    comps = []
    for arity in range(2, len(elements) + 1):
        plan = ArityPlan(arity, PAPER_RULE.max_stoich, tables)
        for subset in itertools.combinations(elements, arity):
            comps.extend(enumerate_subset(plan, subset)[0])
    return [_row(e, None) for e in explain_many(comps, PAPER_RULE)]


def timed(label: str, run) -> tuple[float, list]:
    """Run once, print wall time and peak traced memory; return the time and the rows."""
    tracemalloc.start()
    start = time.perf_counter()
    rows = run()
    wall = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(f"{label}: {len(rows):,} rows in {wall:.2f} s, peak traced memory {peak / 2**20:.0f} MiB", flush=True)
    return wall, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--system", default="Li-Na-K-Zn-Sn-O")
    args = parser.parse_args()

    from chemspace.core.elements import parse_system
    from chemspace.core.system import system_rows

    elements = parse_system(args.system)
    system_rows("Zn-O")  # warm-up: cached kernels, element tables
    reports: list[int] = []
    ours, rows = timed(
        f"{args.system}, chunked with progress",
        lambda: system_rows(elements, on_progress=lambda *a: reports.append(a[0])),
    )
    ref, ref_rows = timed(f"{args.system}, one pass (reference)", lambda: reference_rows(elements))
    assert [r.formula for r in rows] == [r.formula for r in ref_rows] and [r.allowed for r in rows] == [
        r.allowed for r in ref_rows
    ]
    print(f"progress reports: {len(reports)} (first after {reports[1] if len(reports) > 1 else 0:,} rows)")
    print(f"ratio chunked / one pass: {ours / ref:.2f}")


if __name__ == "__main__":
    main()
