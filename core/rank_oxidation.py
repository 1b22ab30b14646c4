"""Oxidation-state likelihood of a composition, from smact's ICSD statistics.

Two tables smact ships, read from its data directory (never copied here):

* ``oxidation_states_icsd24_counts.json``: how often each (element, state) occurs in the ICSD. A
  species' frequency is its count over its element's total; an assignment's likelihood is the
  atom-weighted mean log frequency of its species.
* ``oxidation_state_probability_table.json``: the anion-cation pair probabilities behind
  ``smact.oxidation_states.OxidationStateProbabilityFinder``; an assignment's probability is
  ``compound_probability``'s: the mean over its cations of P(cation state | the most
  electronegative element as anion).

A composition can be allowed by several assignments; each signal keeps its best allowed one (the
same neutral, Pauling-ordered assignments the filter accepts). The search over every assignment of
every row is a small numba kernel, since smact answers one composition at a time in Python.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import numba as nb
import numpy as np

from chemspace.core.elements import ElementTable, element_table

#: Floor on a species' ICSD frequency before taking logs (a state never seen in the ICSD).
MIN_FREQUENCY = 1e-4


def _smact_data(name: str) -> Path:
    from smact import data_directory

    return Path(data_directory) / name


@functools.cache
def icsd_log_frequency(oxidation_set: str) -> np.ndarray:
    """log ICSD frequency of each (element, state slot) of the H..Lr table's ``state_matrix`` (floored)."""
    table = element_table(oxidation_set)
    counts: dict[tuple[str, int], int] = {}
    totals: dict[str, int] = {}
    for row in json.loads(_smact_data("oxidation_states_icsd24_counts.json").read_text()):
        key = (row["element"], int(row["oxidation_state"]))
        counts[key] = int(row["results_count"])
        totals[row["element"]] = totals.get(row["element"], 0) + int(row["results_count"])
    states, nstates = table.state_matrix
    out = np.full(states.shape, np.log(MIN_FREQUENCY))
    for i, sym in enumerate(table.symbols):
        total = totals.get(sym, 0)
        for j in range(nstates[i]):
            freq = counts.get((sym, int(states[i, j])), 0) / total if total else 0.0
            out[i, j] = np.log(max(freq, MIN_FREQUENCY))
    return out


@functools.cache
def pair_probability_matrix(oxidation_set: str) -> np.ndarray:
    """P[anion slot, cation slot] over flattened (element, state slot) indices; 0 where smact has no pair."""
    table = element_table(oxidation_set)
    states, nstates = table.state_matrix
    width = states.shape[1]
    slot = {}
    for i, sym in enumerate(table.symbols):
        for j in range(nstates[i]):
            slot[f"{sym}{int(states[i, j])}"] = i * width + j
    out = np.zeros((len(table) * width, len(table) * width))
    for anion, cation, prob in json.loads(_smact_data("oxidation_state_probability_table.json").read_text()):
        if anion in slot and cation in slot:
            out[slot[anion], slot[cation]] = float(prob)
    return out


@nb.njit(nogil=True, cache=True)
def _best_assignment_scores(
    elems: np.ndarray,
    counts: np.ndarray,
    states: np.ndarray,
    nstates: np.ndarray,
    en: np.ndarray,
    logfreq: np.ndarray,
    pair: np.ndarray,
    out_icsd: np.ndarray,
    out_pair: np.ndarray,
    start: int,
    stop: int,
) -> None:
    """Rows start..stop: best ICSD log frequency and best pair probability over allowed assignments."""
    n = elems.shape[1]
    width = states.shape[1]
    idx = np.zeros(n, dtype=np.int64)
    for r in range(start, stop):
        best_icsd = -np.inf
        best_pair = -np.inf
        total_atoms = 0
        anion = 0
        for i in range(n):
            total_atoms += counts[r, i]
            if en[elems[r, i]] > en[elems[r, anion]]:
                anion = i
        usable = True
        for i in range(n):
            if nstates[elems[r, i]] == 0:
                usable = False
        if usable:
            idx[:] = 0
            while True:
                charge = 0
                for i in range(n):
                    charge += counts[r, i] * states[elems[r, i], idx[i]]
                if charge == 0:
                    ok = True
                    for i in range(n):
                        qi = states[elems[r, i], idx[i]]
                        for j in range(n):
                            qj = states[elems[r, j], idx[j]]
                            if qi > 0 and qj < 0 and not en[elems[r, i]] < en[elems[r, j]]:
                                ok = False
                    if ok:
                        s = 0.0
                        for i in range(n):
                            s += counts[r, i] * logfreq[elems[r, i], idx[i]]
                        s /= total_atoms
                        if s > best_icsd:
                            best_icsd = s
                        p = 0.0
                        ncat = 0
                        qa = states[elems[r, anion], idx[anion]]
                        if qa < 0:
                            a_slot = elems[r, anion] * width + idx[anion]
                            for i in range(n):
                                if states[elems[r, i], idx[i]] > 0:
                                    p += pair[a_slot, elems[r, i] * width + idx[i]]
                                    ncat += 1
                        p = p / ncat if ncat else 0.0
                        if p > best_pair:
                            best_pair = p
                p = n - 1
                while p >= 0:
                    idx[p] += 1
                    if idx[p] < nstates[elems[r, p]]:
                        break
                    idx[p] = 0
                    p -= 1
                if p < 0:
                    break
        out_icsd[r] = best_icsd
        out_pair[r] = best_pair


@nb.njit(nogil=True, cache=True, parallel=True)
def _scores_parallel(elems, counts, states, nstates, en, logfreq, pair, out_icsd, out_pair, blocks):
    """Split the rows into ``blocks`` contiguous runs, one per thread."""
    k = elems.shape[0]
    for b in nb.prange(blocks):
        start = k * b // blocks
        stop = k * (b + 1) // blocks
        _best_assignment_scores(elems, counts, states, nstates, en, logfreq, pair, out_icsd, out_pair, start, stop)


def oxidation_scores(table: ElementTable, elems: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(best ICSD mean log frequency, best pair probability) per row; -inf for a forbidden row.

    ``elems`` index ``table`` (the whole H..Lr table of the rule's oxidation-state set).
    """
    from chemspace.core.engine import PARALLEL_LOCK

    k = len(elems)
    out_icsd = np.empty(k)
    out_pair = np.empty(k)
    if k == 0:
        return out_icsd, out_pair
    states, nstates = table.state_matrix
    args = (
        np.ascontiguousarray(elems, dtype=np.int64),
        np.ascontiguousarray(counts, dtype=np.int64),
        states,
        nstates,
        table.electronegativity,
        icsd_log_frequency(table.oxidation_set),
        pair_probability_matrix(table.oxidation_set),
        out_icsd,
        out_pair,
    )
    with PARALLEL_LOCK:
        _scores_parallel(*args, max(1, min(k // 256, 8 * nb.get_num_threads())))
    return out_icsd, out_pair
