"""The ranking under SMACT's switches: the oxidation signals from the rule's own assignments.

``rank_oxidation`` scores the paper's assignments (neutral and Pauling-ordered, one state per
element) in a numba kernel. Under ``--no-pauling``, ``--alloys`` or ``--mixed-valence`` a composition
is allowed by other assignments, so its two oxidation signals must be the best over *those*:

* single-state assignments (with or without the Pauling test) come from the same numba walk the
  filter's explanations use (``core.assignments``), scored with numpy per assignment;
* a mixed-valence element with more than one atom adds per-atom assignments, listed by
  ``core.explain`` (the filter's own verdict, at most its listing limit per composition);
* a composition allowed only as an alloy of metals has no assignment: it gets the floor frequency
  and no pair probability, the least oxidation-state support an allowed composition can have.

:class:`RuleContext` is the signals' :class:`KnownContext` with those two columns replaced, so the
learned scorer is fitted and applied on the same rule.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Sequence

import numpy as np

from chemspace.core.assignments import fill_rows, scan_rows
from chemspace.core.composition import Composition
from chemspace.core.elements import ElementTable, all_symbols, element_table
from chemspace.core.errors import CancelledError
from chemspace.core.explain import Assignment, explain_many
from chemspace.core.rank_oxidation import MIN_FREQUENCY, icsd_log_frequency, pair_probability_matrix
from chemspace.core.rank_pool import CompArrays
from chemspace.core.rank_signals import SIGNAL_NAMES, KnownContext
from chemspace.core.rule import Rule, alloy_metals, mixed_valence_elements

ICSD_COLUMN = SIGNAL_NAMES.index("oxidation_icsd")
PAIR_COLUMN = SIGNAL_NAMES.index("oxidation_pair")
#: Rows whose signals are computed between two looks at the cancel flag (mixed valence: about a second).
SIGNAL_CHUNK = 1000


class RuleContext(KnownContext):
    """Signals whose oxidation columns follow the context's rule (identical to KnownContext's under the paper's).

    ``cancel`` (set by the caller, e.g. the app's scoring worker) is looked at every SIGNAL_CHUNK rows, so
    fitting a scorer (20 000 unlabelled rows per arity) or scoring a table stops soon after it is set.
    """

    cancel: threading.Event | None = None

    def signals(self, batch: CompArrays, with_neighbour: bool = True) -> np.ndarray:
        """KnownContext's signals, the two oxidation columns from the rule's assignments, chunk by chunk."""
        if len(batch) <= SIGNAL_CHUNK:
            return self._chunk_signals(batch, with_neighbour)
        starts = range(0, len(batch), SIGNAL_CHUNK)
        return np.concatenate(
            [self._chunk_signals(batch.take(slice(s, s + SIGNAL_CHUNK)), with_neighbour) for s in starts]
        )

    def _chunk_signals(self, batch: CompArrays, with_neighbour: bool) -> np.ndarray:
        """The signals of one chunk (CancelledError first if ``cancel`` is set)."""
        if self.cancel is not None and self.cancel.is_set():
            raise CancelledError("scoring cancelled")
        out = super().signals(batch, with_neighbour)
        if not self.rule.is_paper and len(batch):
            out[:, ICSD_COLUMN], out[:, PAIR_COLUMN] = rule_oxidation_scores(batch, self.rule)
        return out


def _slots(table: ElementTable) -> np.ndarray:
    """slot[e, q + offset]: the column of state q in element e's row of ``state_matrix`` (-1: not a state)."""
    states, nstates = table.state_matrix
    offset = int(np.abs(states).max(initial=0))
    slot = np.full((len(table), 2 * offset + 1), -1, dtype=np.int64)
    for e in range(len(table)):
        for j in range(nstates[e]):
            slot[e, states[e, j] + offset] = j
    return slot


def _anion_column(en_rows: np.ndarray) -> np.ndarray:
    """Per row, the column of its most electronegative element (the first on ties, as rank_oxidation's kernel)."""
    anion = np.zeros(len(en_rows), dtype=np.int64)
    rows = np.arange(len(en_rows))
    for col in range(1, en_rows.shape[1]):
        anion = np.where(en_rows[:, col] > en_rows[rows, anion], col, anion)
    return anion


def single_state_scores(batch: CompArrays, table: ElementTable, pauling: bool) -> tuple[np.ndarray, np.ndarray]:
    """Best ICSD log frequency and pair probability over the one-state-per-element assignments.

    Neutral assignments, Pauling-ordered when ``pauling``; -inf where there is none. With
    ``pauling`` this is exactly ``rank_oxidation.oxidation_scores`` (tested), the paper's signal.
    """
    k = len(batch)
    best_icsd, best_pair = np.full(k, -np.inf), np.full(k, -np.inf)
    if k == 0:
        return best_icsd, best_pair
    states, nstates = table.state_matrix
    en = table.electronegativity
    elems, counts = np.ascontiguousarray(batch.elems), np.ascontiguousarray(batch.counts)
    usable = (nstates[elems] > 0).all(axis=1)
    if pauling:
        usable &= ~np.isnan(en[elems]).any(axis=1)
    _, passing, _ = scan_rows(elems, counts, usable, states, nstates, en, pauling)
    offsets = np.concatenate([[0], np.cumsum(passing)]).astype(np.int64)
    charges = np.zeros((int(offsets[-1]), batch.arity), dtype=np.int64)
    fill_rows(elems, counts, usable, states, nstates, en, pauling, offsets, charges)
    if not len(charges):
        return best_icsd, best_pair
    row = np.repeat(np.arange(k), passing)
    e = elems[row]
    slot_table = _slots(table)
    slot = slot_table[e, charges + (slot_table.shape[1] - 1) // 2]
    logfreq = icsd_log_frequency(table.oxidation_set)[e, slot]
    icsd = (counts[row] * logfreq).sum(axis=1) / counts[row].sum(axis=1)
    anion = _anion_column(en[elems])[row]
    at = np.arange(len(row))
    width = states.shape[1]
    flat = e * width + slot
    cation = charges > 0
    pair = pair_probability_matrix(table.oxidation_set)[flat[at, anion][:, None], flat]
    n_cat = cation.sum(axis=1)
    prob = np.where(cation, pair, 0.0).sum(axis=1) / np.maximum(n_cat, 1)
    prob = np.where(charges[at, anion] < 0, prob, 0.0)
    np.maximum.at(best_icsd, row, icsd)
    np.maximum.at(best_pair, row, prob)
    return best_icsd, best_pair


@functools.cache
def _species_slots(oxidation_set: str) -> dict[tuple[str, int], int]:
    """(element, state) -> flat slot of ``state_matrix`` (the index into the signal tables)."""
    table = element_table(oxidation_set)
    states, nstates = table.state_matrix
    width = states.shape[1]
    return {(s, int(states[e, j])): e * width + j for e, s in enumerate(table.symbols) for j in range(nstates[e])}


def assignment_scores(assignments: Sequence[Assignment], comp: Composition, table: ElementTable) -> tuple[float, float]:
    """Best ICSD mean log frequency and pair probability over assignments of ``comp`` (per-atom charges allowed).

    As the kernel's: the anion is the most electronegative element (its most negative charge), the
    pair probability the mean over the distinct cation species.
    """
    logfreq = icsd_log_frequency(table.oxidation_set).ravel()
    pair = pair_probability_matrix(table.oxidation_set)
    slots = _species_slots(table.oxidation_set)
    counts = dict(zip(comp.symbols, comp.counts))
    en = table.electronegativity
    anion = max(comp.symbols, key=lambda s: (en[table.index(s)], -comp.symbols.index(s)))
    atoms = sum(comp.counts)
    best_icsd = best_pair = -np.inf
    for assignment in assignments:
        per_atom = {s: ([q] * counts[s] if isinstance(q, int) else list(q)) for s, q in assignment.items()}
        icsd = sum(logfreq[slots[s, q]] for s, qs in per_atom.items() for q in qs) / atoms
        qa = min(per_atom[anion])
        cations = {(s, q) for s, qs in per_atom.items() for q in qs if q > 0}
        prob = 0.0
        if qa < 0 and cations:
            a_slot = slots[anion, qa]
            prob = sum(pair[a_slot, slots[c]] for c in cations) / len(cations)
        best_icsd, best_pair = max(best_icsd, float(icsd)), max(best_pair, float(prob))
    return best_icsd, best_pair


def rule_oxidation_scores(batch: CompArrays, rule: Rule) -> tuple[np.ndarray, np.ndarray]:
    """Best ICSD log frequency and pair probability per row over every assignment ``rule`` accepts.

    -inf for a row the rule forbids; a row allowed only as an alloy gets log(MIN_FREQUENCY) and 0.
    """
    table = element_table(rule.oxidation_states)
    icsd, pair = single_state_scores(batch, table, rule.pauling)
    symbols = np.array(all_symbols())
    if rule.mixed_valence and len(batch):
        mixed = np.isin(symbols[batch.elems], sorted(mixed_valence_elements())) & (batch.counts > 1)
        rows = np.flatnonzero(mixed.any(axis=1))
        comps = batch.take(rows).compositions()
        for r, why in zip(rows, explain_many(comps, rule)):
            a_icsd, a_pair = assignment_scores(why.assignments, why.composition, table)
            icsd[r], pair[r] = max(icsd[r], a_icsd), max(pair[r], a_pair)
    if rule.alloys and len(batch):
        alloy = np.isin(symbols[batch.elems], sorted(alloy_metals())).all(axis=1) & ~np.isfinite(icsd)
        icsd[alloy], pair[alloy] = np.log(MIN_FREQUENCY), 0.0
    return icsd, pair
