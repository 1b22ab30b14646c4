#!/bin/bash
# The 16-core scaling runs of results/scaling_16core.json, on a bare machine with no package index:
# install the wheels in WHEELS (smact, pymatgen, dask, distributed and their pure-Python needs, for
# that machine's Python; numpy, numba, scipy and pandas already there), put this checkout's core/
# and tui/ on PYTHONPATH as chemspace.core / chemspace.tui, compile the kernels once, then run
# bench/bench_scaling.py for arities 2-4 and the quinary. Output (logs, JSON) goes to OUT.
#   usage: bench/scaling_on_a_bare_machine.sh WHEELS OUT [NAIVE]   (NAIVE: path of naive_census.py)
set -u
WHEELS=$1 OUT=$2 NAIVE=${3:-}
export PYTHONUNBUFFERED=1
SITE=$(mktemp -d)
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target "$SITE" "$WHEELS"/*.whl || exit 1
mkdir -p "$SITE/chemspace" && cp -r core "$SITE/chemspace/core" && cp -r tui "$SITE/chemspace/tui"
export PYTHONPATH=$SITE
mkdir -p "$OUT"
python3 -c "
from chemspace.core.census import run_census, CensusSettings
r = run_census(CensusSettings(arities=(2, 3, 4, 5), samples=10, pool=('Li', 'Na', 'O', 'Cl', 'Fe', 'S', 'Sn')))
print('kernels compiled in', round(r.compile_seconds, 1), 's')" || exit 1
naive=(--no-naive)
[ -n "$NAIVE" ] && naive=(--naive "$NAIVE")
python3 bench/bench_scaling.py "${naive[@]}" --out "$OUT/scaling24.json" 2>&1 | tee "$OUT/scaling24.log"
python3 bench/bench_scaling.py --arities 5 --threads 16,1,8 --no-dask --no-naive --out "$OUT/scaling5.json" 2>&1 \
    | tee "$OUT/scaling5.log"
