"""Benchmark: `chemspace-tui check --file` over 100 000 formulas (the issue asks for under 10 s).

Writes a file of random formulas (2..6 elements over H..Lr, counts 1..12, one in twenty written with
parentheses so pymatgen's parser is exercised too), then times the command's whole path (read the
file, parse, explain every formula, build the JSON) in this process, after one small warm-up call
that loads the cached numba kernels. The reference, measured in the same run, is
``smact.screening.smact_validity`` on a sample of the same formulas, scaled to the whole file.
Prints wall and CPU time (CPU: what the wall time would be on an idle machine), peak memory
(ru_maxrss) and the ratio to smact. Run once per rule switch set:
``python bench/bench_check.py [--formulas 100000] [--mixed-valence] [--alloys] [--no-pauling]``.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import tempfile
import time
import warnings
from pathlib import Path


def random_formulas(n: int, seed: int = 0) -> list[str]:
    """``n`` formulas: random elements and counts, 5% grouped with parentheses."""
    from chemspace.core.elements import all_symbols

    rng = random.Random(seed)
    symbols = all_symbols()
    out = []
    for _ in range(n):
        els = rng.sample(symbols, rng.choice((2, 3, 3, 4, 4, 5, 6)))
        parts = [f"{s}{c if c > 1 else ''}" for s, c in ((s, rng.randint(1, 12)) for s in els)]
        if rng.random() < 0.05 and len(parts) > 2:
            parts = [parts[0], f"({''.join(parts[1:])})2"]
        out.append("".join(parts))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--formulas", type=int, default=100_000)
    parser.add_argument("--reference-sample", type=int, default=2000)
    parser.add_argument("--mixed-valence", action="store_true")
    parser.add_argument("--alloys", action="store_true")
    parser.add_argument("--no-pauling", action="store_true")
    args = parser.parse_args()

    from chemspace.core.check import CheckResult, check_formulas, read_formula_file
    from chemspace.core.rule import Rule

    rule = Rule(pauling=not args.no_pauling, alloys=args.alloys, mixed_valence=args.mixed_valence)
    formulas = random_formulas(args.formulas)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "formulas.txt"
        path.write_text("\n".join(formulas) + "\n", encoding="utf-8")
        check_formulas(["NaCl", "Fe3O4", "Li2ZnSn3O8"], rule)  # warm-up: cached kernels, element table
        start, cpu_start = time.perf_counter(), time.process_time()
        texts, lines = read_formula_file(path)
        results = check_formulas(texts, rule, lines=lines)
        payload = json.dumps([r.to_json() for r in results if isinstance(r, CheckResult)])
        ours = time.perf_counter() - start
        ours_cpu = time.process_time() - cpu_start
    allowed = sum(r.explanation.allowed for r in results if isinstance(r, CheckResult))
    bad = sum(not isinstance(r, CheckResult) for r in results)

    from smact.screening import smact_validity

    sample = formulas[: args.reference_sample]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start, cpu_start = time.perf_counter(), time.process_time()
        for f in sample:
            smact_validity(
                f,
                use_pauling_test=rule.pauling,
                include_alloys=rule.alloys,
                mixed_valence=rule.mixed_valence,
                oxidation_states_set=rule.oxidation_states,
            )
        smact_each = (time.perf_counter() - start) / len(sample)
        smact_cpu_each = (time.process_time() - cpu_start) / len(sample)
    smact_total = smact_each * len(formulas)
    smact_cpu_total = smact_cpu_each * len(formulas)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"rule: {rule.describe()}")
    print(f"formulas: {len(formulas):,} ({allowed:,} allowed, {bad:,} bad), JSON {len(payload) / 2**20:.1f} MiB")
    print(f"check --file wall time: {ours:.2f} s ({ours / len(formulas) * 1e6:.1f} us/formula), CPU {ours_cpu:.2f} s")
    print(f"peak memory (ru_maxrss): {peak_mib:.0f} MiB")
    print(
        f"reference smact_validity: {smact_each * 1e6:.0f} us/formula on {len(sample):,}, "
        f"{smact_total:.1f} s scaled to the file (CPU {smact_cpu_total:.1f} s); "
        f"ratio smact/ours {smact_total / ours:.1f}x wall, {smact_cpu_total / ours_cpu:.1f}x CPU"
    )


if __name__ == "__main__":
    main()
