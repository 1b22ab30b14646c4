"""Benchmark: fetch a Materials-Project-sized OPTIMADE database (150 000 structures) from a stand-in.

The tests' stand-in (tests/optimade_servers.py) serves generated structures on 127.0.0.1 in pages of
500, half with ``chemical_formula_reduced`` and half with only ``elements``/``elements_ratios``.
Times ``fetch_optimade`` + ``save_set`` (what ``known fetch --provider`` does) and, in the same run
against the same server, the floor any client pays: the same pages fetched with ``requests`` and
decoded with ``json.loads``, nothing else. Prints wall times, their ratio and the peak traced memory
of the fetch (tracemalloc, a separate pass since tracing slows it). The server runs in this process,
so both timings include its share of the CPU.
Run: ``python bench/bench_optimade_fetch.py [--structures 150000] [--page 500]``.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from optimade_servers import StandIn, standin_server, structure


def generated(n: int, seed: int = 0) -> list[dict]:
    """``n`` structures with 2..6 elements over H..Pu, one in two without a reduced formula."""
    from chemspace.core.composition import Composition
    from chemspace.core.elements import all_symbols

    rng = random.Random(seed)
    symbols = all_symbols()[:94]
    docs = []
    for i in range(n):
        counts = {s: rng.randint(1, 10) for s in rng.sample(symbols, rng.choice((2, 3, 3, 4, 4, 5, 6)))}
        comp = Composition.from_counts(counts)
        strict = "".join(s + (str(c) if c > 1 else "") for s, c in sorted(comp.as_dict().items()))
        docs.append(structure(f"bench-{i}", counts, strict if i % 2 else None))
    return docs


def raw_pages(url: str) -> int:
    """The floor: follow links.next with requests + json.loads; returns structures seen."""
    from chemspace.core.optimade_client import OptimadeFetcher

    nxt = OptimadeFetcher(provider(url)).first_url()
    seen = 0
    with requests.Session() as session:
        while nxt:
            doc = session.get(nxt, timeout=60).json()
            seen += len(doc["data"])
            nxt = doc["links"]["next"]
    return seen


def provider(url: str, page: int = 500):  # -> Provider
    from chemspace.core.optimade_client import Provider

    return Provider("bench", "stand-in", url, page_limit=page)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--structures", type=int, default=150_000)
    parser.add_argument("--page", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["CHEMSPACE_DATA_DIR"] = tmp
        from chemspace.core.known import save_set
        from chemspace.core.optimade_client import fetch_optimade

        docs = generated(args.structures)
        with standin_server(StandIn(docs, max_page=args.page)) as url:
            t0 = time.perf_counter()
            seen = raw_pages(url)
            t_raw = time.perf_counter() - t0
            t0 = time.perf_counter()
            known = fetch_optimade(provider(url, args.page))
            path = save_set(known)
            t_ours = time.perf_counter() - t0
            tracemalloc.start()
            fetch_optimade(provider(url, args.page))
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        pages = -(-seen // args.page)
        print(f"structures: {seen:,} in {pages} pages of {args.page}; compositions: {len(known):,}")
        print(f"requests + json.loads only (floor): {t_raw:.2f} s")
        print(f"fetch_optimade + save_set:         {t_ours:.2f} s  ({t_ours / t_raw:.2f}x the floor)")
        size = path.stat().st_size / 2**20
        print(f"peak traced memory of the fetch:   {peak / 2**20:.0f} MiB; cached file {size:.1f} MiB")


if __name__ == "__main__":
    main()
