"""Speed of the ranking: one chemical system, every missing binary, the top 10 000 of all allowed ternaries.

Each case runs in a fresh process (numba kernels cached on disk, the learned scorer cached after its
first fit, as a user's second run finds them), warms up on a small pool (imports and kernel loading,
a few seconds once per process, reported as the process total), then times the case and prints wall
time, peak memory and a ratio to a reference measured in the same run on the same machine:

* system: the existing system view (``system_rows``, every composition labelled) of the same system;
* binaries and ternaries: enumerating the same allowed compositions without scoring them.

Usage: python bench/bench_rank.py [KNOWN_FILE] (default: shared/data/mp-binaries-half.txt beside the checkout
or beside the worktrees' parent).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGETS = {"system": 1.0, "binaries": 5.0, "ternaries": 120.0}

CASES = {
    "system": """
from chemspace.core.rank import Ranker, rank_system
ranker = Ranker(known); ranker.scorer(2); ranker.scorer(3); ranker.scorer(4)
rank_system("Na-K-Cl-Br", ranker)  # warm-up: imports and kernel loading, once per process
t = time.perf_counter(); r = rank_system("Li-Zn-Sn-O", ranker); wall = time.perf_counter() - t
extra = {"rows": len(r)}
""",
    "system_reference": """
from chemspace.core.system import system_rows
system_rows("Li-O")
t = time.perf_counter(); rows = system_rows("Li-Zn-Sn-O", known=known); wall = time.perf_counter() - t
extra = {"rows": len(rows)}
""",
    "binaries": """
from chemspace.core.rank import Ranker, rank_arity
ranker = Ranker(known); ranker.scorer(2)
rank_arity(2, ranker, top=None, pool=("Na", "K", "Cl"))  # warm-up
t = time.perf_counter(); r = rank_arity(2, ranker, top=None); wall = time.perf_counter() - t
extra = {"rows": len(r)}
""",
    "binaries_reference": """
from chemspace.core.rank_pool import AllowedEnumerator
AllowedEnumerator(Rule(), 2, ("Li", "O")).all()
t = time.perf_counter(); n = len(AllowedEnumerator(Rule(), 2).all()); wall = time.perf_counter() - t
extra = {"rows": n}
""",
    "ternaries": """
from chemspace.core.rank import Ranker, rank_arity
ranker = Ranker(known); ranker.scorer(3)
rank_arity(3, ranker, top=10, pool=("Li", "Na", "O", "S"))  # warm-up
t = time.perf_counter(); r = rank_arity(3, ranker, top=10000); wall = time.perf_counter() - t
extra = {"rows": len(r), "considered": r.considered, "best": [c.formula for c in r.compositions[:5]]}
""",
    "ternaries_reference": """
from chemspace.core.rank_pool import AllowedEnumerator
AllowedEnumerator(Rule(), 3, ("Li", "Zn", "O")).all()
t = time.perf_counter(); n = sum(len(b) for _, b in AllowedEnumerator(Rule(), 3).batches(4000))
wall = time.perf_counter() - t
extra = {"rows": n}
""",
}

PRELUDE = """
import json, resource, sys, time
START = time.perf_counter()
from pathlib import Path
from chemspace.core.known import import_file
from chemspace.core.rule import Rule
known = import_file(Path(sys.argv[1]))
"""

EPILOGUE = """
extra["process"] = time.perf_counter() - START
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"wall": wall, "peak_mb": peak, **extra}))
"""


def run_case(name: str, known: Path, cache: str) -> dict:
    """Run one case in a fresh process; its JSON line."""
    code = PRELUDE + CASES[name] + EPILOGUE
    env = {"CHEMSPACE_CACHE_DIR": cache, "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code, str(known)], capture_output=True, text=True, env=env, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    beside = [b / "shared" / "data" / "mp-binaries-half.txt" for b in (ROOT.parent, ROOT.parent.parent)]
    known = Path(sys.argv[1]) if len(sys.argv) > 1 else next((p for p in beside if p.exists()), beside[0])
    with tempfile.TemporaryDirectory() as cache:
        for case in ("system", "binaries", "ternaries"):
            run_case(case, known, cache)  # first run: fits and caches the scorer, compiles nothing new after
            ours = run_case(case, known, cache)
            ref = run_case(f"{case}_reference", known, cache)
            print(
                f"{case:10s} {ours['wall']:7.2f} s (target < {TARGETS[case]:g} s; process {ours['process']:.1f} s), "
                f"peak {ours['peak_mb']:4.0f} MB, "
                f"{ours['rows']:,} rows | reference {ref['wall']:7.2f} s ({ref['rows']:,} rows), "
                f"ratio {ours['wall'] / ref['wall']:.1f}x" + (f" | {ours.get('best')}" if "best" in ours else "")
            )


if __name__ == "__main__":
    main()
