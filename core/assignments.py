"""Every single-state oxidation-state assignment of many compositions at once (numba).

Hand-written because smact enumerates with Python loops (about 1 ms a formula, 2 ms in
``smact_validity``): :func:`scan_rows` walks one state per element in smact's product order (first
element slowest), counting neutral choices and those passing the Pauling test; :func:`fill_rows`
then writes the passing ones. Mixed valence lives in :mod:`chemspace.core.mixed_valence`.
"""

from __future__ import annotations

import numba as nb
import numpy as np


@nb.njit(nogil=True, cache=True)
def _walk(states, nstates, en, counts, pauling, out, first):  # pragma: no cover - numba
    """Walk every choice of one state per element; return (neutral, passing) counts.

    Passing choices go to the rows of ``out`` while it has room; the first neutral choice to ``first``.
    """
    n = counts.shape[0]
    idx = np.zeros(n, dtype=np.int64)
    neutral = 0
    passing = 0
    while True:
        total = 0
        for i in range(n):
            total += counts[i] * states[i, idx[i]]
        if total == 0:
            if neutral == 0:
                for i in range(n):
                    first[i] = states[i, idx[i]]
            neutral += 1
            ok = True
            if pauling:
                for i in range(n):
                    qi = states[i, idx[i]]
                    for j in range(n):
                        if qi > 0 and states[j, idx[j]] < 0 and not en[i] < en[j]:
                            ok = False
            if ok:
                if passing < out.shape[0]:
                    for i in range(n):
                        out[passing, i] = states[i, idx[i]]
                passing += 1
        p = n - 1
        while p >= 0:
            idx[p] += 1
            if idx[p] < nstates[p]:
                break
            idx[p] = 0
            p -= 1
        if p < 0:
            return neutral, passing


@nb.njit(nogil=True, cache=True)
def scan_rows(elems, counts, usable, states, nstates, en, pauling):  # pragma: no cover - numba
    """Per row: neutral choices, passing choices and the first neutral choice (rows not usable: zeros)."""
    k, n = elems.shape
    neutral = np.zeros(k, dtype=np.int64)
    passing = np.zeros(k, dtype=np.int64)
    first = np.zeros((k, n), dtype=np.int64)
    none = np.empty((0, n), dtype=np.int64)
    for r in range(k):
        if usable[r]:
            e = elems[r]
            neutral[r], passing[r] = _walk(states[e], nstates[e], en[e], counts[r], pauling, none, first[r])
    return neutral, passing, first


@nb.njit(nogil=True, cache=True)
def fill_rows(elems, counts, usable, states, nstates, en, pauling, offsets, out):  # pragma: no cover - numba
    """Write every passing choice of row ``r`` to ``out[offsets[r]:offsets[r + 1]]``."""
    k, n = elems.shape
    scratch = np.zeros(n, dtype=np.int64)
    for r in range(k):
        if usable[r] and offsets[r + 1] > offsets[r]:
            e = elems[r]
            _walk(states[e], nstates[e], en[e], counts[r], pauling, out[offsets[r] : offsets[r + 1]], scratch)
