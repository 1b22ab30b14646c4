"""Benchmark: the census of arities 2-4 beside the deliberately naive counter, in the same run.

Run: ``python bench/bench_census_naive.py [--variants] [--quinary] [--naive PATH]``. Each census runs in
a fresh process with its JIT cache warm (a tiny census first) and 3 000 samples per label and
element counts; the naive reference (``../shared/bench/naive_census.py 2 3 4``: one numba kernel per
element subset, no sharing) runs in the same session. Prints wall time, peak memory and the ratio
ours / naive; ``--variants`` adds each rule variant and its ratio to the default rule, ``--quinary``
the whole quinary space.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NAIVE_CANDIDATES = (ROOT.parent / "shared" / "bench" / "naive_census.py", Path("/work/shared/bench/naive_census.py"))

CENSUS = """
import json, resource, time
from chemspace.core.census import CensusSettings, run_census
from chemspace.core.distributed import runner_for
from chemspace.core.rule import Rule
rule = Rule(**json.loads({rule!r}))

def tally():  # in a worker: subset rows handed to the signature-counting kernel (the costly work)
    from chemspace.core import kernels
    if not hasattr(kernels, "rows_counted"):
        original, kernels.rows_counted = kernels.count_signatures, 0
        def counting(reps, *args):
            kernels.rows_counted += len(reps)
            return original(reps, *args)
        kernels.count_signatures = counting
    return kernels.rows_counted

with runner_for({scheduler!r}) as runner:
    warm = CensusSettings(arities=(2,), samples=10, rule=rule, pool=("Li", "Na", "O", "Cl"))  # own plan: no cached work
    run_census(warm, runner=runner)  # JIT cache / workers warm
    before = sum(runner.client.run(tally).values()) if runner else 0
    t0 = time.perf_counter()
    r = run_census(CensusSettings(arities={arities!r}, samples={samples}, rule=rule), runner=runner)
    wall = time.perf_counter() - t0
    counted = sum(runner.client.run(tally).values()) - before if runner else None
print(json.dumps({{"wall": wall, "signatures_counted": counted,
  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
  "per_arity": {{a: c.elapsed for a, c in r.arities.items()}},
  "unique": {{a: c.unique for a, c in r.arities.items()}}, "allowed": {{a: c.allowed for a, c in r.arities.items()}}}}))
"""


def run_ours(
    arities: tuple[int, ...] = (2, 3, 4),
    samples: int = 3000,
    rule: dict | None = None,
    threads: int | None = None,
    scheduler: str | None = None,
) -> dict:
    """One census in a fresh process: wall seconds, peak MB, per-arity seconds, unique and allowed counts."""
    env = dict(os.environ)
    if threads is not None:
        env["NUMBA_NUM_THREADS"] = str(threads)
    code = CENSUS.format(rule=json.dumps(rule or {}), scheduler=scheduler, arities=arities, samples=samples)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def naive_path(given: str | None) -> Path:
    """The naive reference script: --naive, else ../shared/bench from the repository, else /work/shared/bench."""
    for p in [Path(given)] if given else NAIVE_CANDIDATES:
        if p.exists():
            return p
    sys.exit(f"error: naive reference not found (tried {', '.join(map(str, NAIVE_CANDIDATES))}); pass --naive PATH")


def run_naive(path: Path, arities: tuple[int, ...] = (2, 3, 4), threads: int | None = None) -> dict:
    """The naive counter in its own directory (its JIT cache lives there): wall and per-arity seconds."""
    env = dict(os.environ)
    if threads is not None:
        env["NUMBA_NUM_THREADS"] = str(threads)
    t0 = time.perf_counter()
    out = subprocess.run(
        [sys.executable, path.name, *map(str, arities)],
        cwd=path.parent,
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    wall = time.perf_counter() - t0
    counted = sum(float(m) for m in re.findall(r"census=([\d.]+)s", out.stdout))
    masks = sum(float(m) for m in re.findall(r"masks=([\d.]+)s", out.stdout))
    allowed = [int(m) for m in re.findall(r"allowed=(\d+)", out.stdout)]
    return {"wall": wall, "work": counted + masks, "allowed": allowed}


def describe(name: str, doc: dict) -> str:
    arities = ", ".join(f"{a}: {doc['allowed'][a]:,} allowed in {t:.2f} s" for a, t in doc["per_arity"].items())
    return f"{name:<28} {doc['wall']:7.2f} s  peak {doc['peak_mb']:5.0f} MB  ({arities})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--variants", action="store_true", help="also time each rule variant")
    parser.add_argument("--quinary", action="store_true", help="also time the whole quinary space")
    parser.add_argument("--naive", help="path of naive_census.py")
    args = parser.parse_args()
    naive = run_naive(naive_path(args.naive))
    print(f"naive reference (2-4)         {naive['wall']:7.2f} s wall ({naive['work']:.2f} s masks + counting)")
    ours = run_ours()
    print(describe("chemspace-tui census 2-4", ours))
    print(f"ratio ours / naive (wall / work): {ours['wall'] / naive['work']:.3f}  (goal <= 0.1)")
    if args.variants:
        variants = {
            "--no-pauling": {"pauling": False},
            "--alloys": {"alloys": True},
            "--mixed-valence": {"mixed_valence": True},
            "all three": {"pauling": False, "alloys": True, "mixed_valence": True},
        }
        for name, rule in variants.items():
            doc = run_ours(rule=rule)
            print(describe(f"census 2-4 {name}", doc) + f"  x{doc['wall'] / ours['wall']:.2f} of default")
    if args.quinary:
        doc = run_ours(arities=(5,), samples=0)
        print(describe("census quinary (whole)", doc))


if __name__ == "__main__":
    main()
