"""Multi-core scaling of the census: numba threads and Dask worker processes, beside the naive counter.

Run on the machine to measure (e.g. 16 cores): ``python bench/bench_scaling.py --out scaling.json``.
Every run is a fresh process with the JIT cache warm (a tiny census first): the arities 2-4 census
with per-element counts and 3 000 samples per label, with NUMBA_NUM_THREADS = 1, 2, 4, 8, 16 (those
<= os.cpu_count()), then through ``--scheduler local:N`` with N = 1, 2, 4, 8, 16 Dask worker
processes (one numba thread each), then the naive reference once with every core. For the Dask runs it
also prints how many signatures the workers counted in all: the same at every worker count when no
work is duplicated (a figure that does not depend on the machine's cores, unlike the wall times). Prints a table
(wall s, speed-up over 1, ratio to the naive counter) and writes it as JSON to ``--out``. Caps keep
it under 6 minutes on 16 cores: ``--max-workers``, ``--threads``, ``--no-dask``, ``--no-naive``,
``--arities``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_census_naive import naive_path, run_naive, run_ours


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", required=True, help="JSON file for the table")
    parser.add_argument("--arities", default="2,3,4", help="arities to count (default 2,3,4)")
    parser.add_argument("--samples", type=int, default=3000)
    parser.add_argument(
        "--max-workers", type=int, default=16, help="largest thread / worker count tried (0: no thread runs)"
    )
    parser.add_argument("--threads", help="thread counts to try, in this order, e.g. 16,1,8 (else 1, 2, 4, 8, 16)")
    parser.add_argument("--no-dask", action="store_true", help="skip the Dask LocalCluster runs")
    parser.add_argument("--naive", help="path of naive_census.py")
    parser.add_argument("--no-naive", action="store_true", help="skip the naive reference (e.g. for --arities 5)")
    parser.add_argument(
        "--dask-workers",
        help="Dask worker counts to try, e.g. 1,4,8,16, even beyond the cores: for the signatures-counted figure",
    )
    args = parser.parse_args()
    arities = tuple(int(a) for a in args.arities.split(","))
    cpus = os.cpu_count() or 1
    counts = [n for n in (1, 2, 4, 8, 16) if n <= min(cpus, args.max_workers)] if args.max_workers > 0 else []
    if args.threads:
        counts = [int(n) for n in args.threads.split(",")]
    started = time.perf_counter()
    rows: list[dict] = []

    def record(mode: str, n: int, doc: dict) -> None:
        counted = doc.get("signatures_counted")
        rows.append(
            {"mode": mode, "n": n, "wall_s": doc["wall"], "peak_mb": doc["peak_mb"], "allowed": doc["allowed"]}
            | {"signatures_counted": counted, "per_arity": doc.get("per_arity")}
        )
        sigs = f"  signatures counted by the workers {counted:,}" if counted is not None else ""
        print(f"  {mode:<8} {n:>3}  {doc['wall']:8.2f} s  peak {doc['peak_mb']:6.0f} MB{sigs}", flush=True)

    print(f"{platform.node()}: {cpus} cores; census arities {arities}, {args.samples} samples per label")
    for n in counts:
        record("threads", n, run_ours(arities, args.samples, threads=n))
    if not args.no_dask:
        for n in [int(w) for w in args.dask_workers.split(",")] if args.dask_workers else counts:
            record("dask", n, run_ours(arities, args.samples, threads=1, scheduler=f"local:{n}"))
    naive = None if args.no_naive else run_naive(naive_path(args.naive), arities)
    if naive is not None:
        print(f"  naive    {cpus:>3}  {naive['wall']:8.2f} s wall ({naive['work']:.2f} s masks + counting)")
    # speed-up over the mode's fewest threads or workers (1 unless --max-workers / --dask-workers say otherwise)
    base = {
        mode: min((r for r in rows if r["mode"] == mode), key=lambda r: r["n"]) for mode in {r["mode"] for r in rows}
    }
    print(f"\n{'mode':<8} {'n':>3} {'wall s':>9} {'speed-up':>9} {'/ naive':>8}  (speed-up over the fewest n)")
    for r in rows:
        r["speedup"] = base[r["mode"]]["wall_s"] / r["wall_s"]
        r["speedup_over_n"] = base[r["mode"]]["n"]
        r["ratio_to_naive"] = None if naive is None else r["wall_s"] / naive["work"]
        ratio = "-" if naive is None else f"{r['ratio_to_naive']:.3f}"
        print(f"{r['mode']:<8} {r['n']:>3} {r['wall_s']:9.2f} {r['speedup']:8.2f}x {ratio:>8}")
    doc = {
        "machine": platform.node(),
        "cpus": cpus,
        "arities": list(arities),
        "samples": args.samples,
        "naive": naive,
        "rows": rows,
        "total_s": time.perf_counter() - started,
    }
    Path(args.out).write_text(json.dumps(doc, indent=2))
    print(f"\nwritten {args.out} ({doc['total_s']:.0f} s in all)")


if __name__ == "__main__":
    main()
