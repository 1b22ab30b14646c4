"""Benchmark: scoring Li-Zn-Sn-O's missing compositions in the app, after a known set is loaded there,
against the same scoring headless, each in a fresh process with a fresh scorer cache (the fit included).

The app opens on Li-Zn-Sn-O without a known set, loads one the way the fetch dialog hands it over
(``ChemspaceApp.set_known``), and the time runs from then until the system tab's scores arrive; the
interface thread's CPU time over that span is printed too (a busy interface thread holds the GIL the
scoring needs). Headless: ``system_rows`` then ``score_compositions`` on the same set. Run:
``python bench/bench_app_scoring.py [SET]`` (a cached known set; default ``mphalf``).
"""

from __future__ import annotations

import asyncio
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SYSTEM = ("Li", "Zn", "Sn", "O")


def headless(name: str) -> float:
    """Seconds to label and score the system's missing rows without the app."""
    from chemspace.core.known import load_set
    from chemspace.core.rank import score_compositions
    from chemspace.core.system import system_rows

    known = load_set(name)
    start = time.perf_counter()
    rows = system_rows(SYSTEM, known=known)
    score_compositions([r.composition for r in rows if r.allowed and not r.known], known)
    return time.perf_counter() - start


def in_app(name: str) -> tuple[float, float]:
    """Seconds from loading the set in the app to the scores shown, and the interface thread's CPU seconds."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from app_helpers import wait_for, wait_ready

    from chemspace.core.census import CensusSettings
    from chemspace.core.known import load_set
    from chemspace.tui.app import AppOptions, ChemspaceApp

    async def run() -> tuple[float, float]:
        app = ChemspaceApp(AppOptions(settings=CensusSettings(pool=SYSTEM), system=SYSTEM))
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_ready(pilot)
            known = load_set(name)
            start, cpu = time.perf_counter(), time.thread_time()
            await app.set_known(known)
            pane = app.system_pane
            assert pane is not None
            await wait_for(pilot, lambda: pane.rows is not None and pane.scores is not None, timeout=900)
            return time.perf_counter() - start, time.thread_time() - cpu

    return asyncio.run(run())


def child(mode: str, name: str) -> None:
    """One measurement in this (fresh) process: prints 'seconds cpu peak_mb'."""
    seconds, cpu = in_app(name) if mode == "app" else (headless(name), 0.0)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{seconds:.2f} {cpu:.2f} {peak:.0f}")


def measure(mode: str, name: str) -> tuple[float, float, float]:
    """Run one measurement in a new process with its own empty cache directory."""
    env = {**os.environ, "CHEMSPACE_CACHE_DIR": tempfile.mkdtemp(prefix="bench-app-scoring-")}
    # the known sets live in the data directory, not the cache: the set is found, its scorer is not
    out = subprocess.run(
        [sys.executable, __file__, "--child", mode, name], env=env, capture_output=True, text=True, check=True
    )
    seconds, cpu, peak = (float(x) for x in out.stdout.split()[-3:])
    return seconds, cpu, peak


def main() -> None:
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2], sys.argv[3])
        return
    name = sys.argv[1] if len(sys.argv) > 1 else "mphalf"
    app_s, app_cpu, app_mb = measure("app", name)
    ref_s, _, ref_mb = measure("headless", name)
    print(f"Li-Zn-Sn-O scored after loading {name!r} (fresh scorer cache, fit included):")
    print(f"  in the app: {app_s:.1f} s (interface thread CPU {app_cpu:.1f} s), peak {app_mb:.0f} MB")
    print(f"  headless:   {ref_s:.1f} s, peak {ref_mb:.0f} MB (reference, same run)")
    print(f"  ratio app / headless: {app_s / ref_s:.2f}")


if __name__ == "__main__":
    main()
