"""The ranking's signals: per composition, what chemists would look at to judge it plausible.

Every signal is "higher = more plausible" and is computed from the composition and the known set
*without that composition* (leave-one-out): a composition in the known set gets the value it would
have if it were deleted from the set. Scored compositions are never in the set, so for them this
is just the set; known ones (the learned combination's positives) cannot see themselves. That one
definition is what makes the hold-out evaluation honest.
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass, field

import numpy as np

from chemspace.core.elements import all_symbols, atomic_numbers, element_table
from chemspace.core.known import KnownSet
from chemspace.core.rank_oxidation import oxidation_scores
from chemspace.core.rank_pool import CompArrays
from chemspace.core.rule import Rule

#: Signal name -> what it measures (README and --help read this; one home for the names).
SIGNALS: dict[str, str] = {
    "oxidation_icsd": "best allowed assignment's atom-weighted mean log ICSD frequency of its oxidation states",
    "oxidation_pair": "best allowed assignment's smact anion-cation pair probability (OxidationStateProbabilityFinder)",
    "simplicity": "fewer atoms: -log(atoms in the formula unit)",
    "stoichiometry": "log(1 + known compositions of the arity with the same coefficients, e.g. AB2)",
    "analogues": "log(1 + known compositions with the same anion and coefficients in electronegativity order)",
    "substitutions": "log(1 + known compositions one same-group substitution away, e.g. Al2O3 for Ga2O3)",
    "system": "log(1 + known compositions of exactly these elements)",
    "subsystems": "mean log(1 + known compositions) over the proper subsystems of 2+ elements (0 for binaries)",
    "pairs": "mean over element pairs of log(1 + known compositions holding both elements, any arity)",
    "elements": "mean over elements of log(1 + known compositions holding the element)",
    "neighbour": "minus the mean magpie distance to the 5 nearest known compositions of the arity",
}
SIGNAL_NAMES: tuple[str, ...] = tuple(SIGNALS)
NEIGHBOUR_COLUMN = SIGNAL_NAMES.index("neighbour")

#: Neighbours averaged by the ``neighbour`` signal, the embedding it uses, and the distance given to a
#: composition with an element the embedding lacks (magpie has none for Cf..Lr), in standard units.
NEIGHBOURS = 5
NEIGHBOUR_EMBEDDING = "magpie"
NO_VECTOR_DISTANCE = 10.0

_BASE = 128  # element indices (< 103) as digits of a system key: 128**6 < 2**63
_NZ = 103


def system_keys(elems: np.ndarray) -> np.ndarray:
    """One int64 per row naming its element set (rows ascending)."""
    key = np.zeros(len(elems), dtype=np.int64)
    for col in range(elems.shape[1]):
        key = key * _BASE + elems[:, col] + 1
    return key


def stoichiometry_keys(counts: np.ndarray) -> np.ndarray:
    """One int64 per row naming its sorted coefficients (AB2 and A2B alike)."""
    key = np.zeros(len(counts), dtype=np.int64)
    for col in range(counts.shape[1]):
        key = key * 64 + np.sort(counts, axis=1)[:, col]
    return key


@functools.cache
def _electronegativity() -> np.ndarray:
    """Pauling electronegativity of H..Lr (NaN where smact has none)."""
    return element_table().electronegativity


def electronegativity_order(batch: CompArrays) -> np.ndarray:
    """Per row, column positions from the least to the most electronegative element (ties: input order)."""
    en = np.nan_to_num(_electronegativity()[batch.elems], nan=-1.0)
    return np.argsort(en, axis=1, kind="stable")


def analogue_keys(batch: CompArrays) -> np.ndarray:
    """One int64 per row naming its most electronegative element and its coefficients in EN order."""
    order = electronegativity_order(batch)
    counts = np.take_along_axis(batch.counts, order, axis=1)
    key = batch.elems[np.arange(len(batch)), order[:, -1]] if len(batch) else np.zeros(0, np.int64)
    for col in range(batch.arity):
        key = key * 64 + counts[:, col]
    return key


@functools.cache
def substitutes() -> np.ndarray:
    """Per element of H..Lr, the elements of its periodic-table group one period up or down or in its own
    (the lanthanides and actinides count as group 3, as pymatgen has them); -1 pads the rows."""
    from pymatgen.core import Element

    place = [(Element(s).group, Element(s).row) for s in all_symbols()]
    mates = [
        [j for j, (g2, r2) in enumerate(place) if j != i and g2 == g and abs(r2 - r) <= 1]
        for i, (g, r) in enumerate(place)
    ]
    out = np.full((_NZ, max(len(m) for m in mates)), -1, dtype=np.int64)
    for i, m in enumerate(mates):
        out[i, : len(m)] = m
    return out


#: Columns of :func:`element_roles`: each element of H..Lr as a cation, then as the anion.
ROLE_COLUMNS = 2 * _NZ


def anion_elements(batch: CompArrays) -> np.ndarray:
    """Per row, the most electronegative element (the anion of every allowed assignment's Pauling order)."""
    if len(batch) == 0:
        return np.zeros(0, dtype=np.int64)
    return batch.elems[np.arange(len(batch)), electronegativity_order(batch)[:, -1]]


def element_roles(batch: CompArrays) -> np.ndarray:
    """(rows, ROLE_COLUMNS) the elements themselves, for the learned combination: the mean one-hot of the
    cations (every element but the most electronegative) then the one-hot of the anion.

    The same columns at every arity, so weights learned on binaries carry to ternaries. It depends on
    the composition alone, never on the known set, so it cannot leak a composition's own label.
    """
    rows = np.arange(len(batch))
    out = np.zeros((len(batch), ROLE_COLUMNS))
    anion = anion_elements(batch)
    for col in range(batch.arity):
        cation = batch.elems[:, col] != anion
        np.add.at(out, (rows[cation], batch.elems[cation, col]), 1.0 / (batch.arity - 1))
    out[rows, _NZ + anion] = 1.0
    return out


def role_score(batch: CompArrays, weights: np.ndarray) -> np.ndarray:
    """``element_roles(batch) @ weights`` without building the matrix (millions of rows stream through it)."""
    anion = anion_elements(batch)
    cations = np.zeros(len(batch))
    for col in range(batch.arity):  # column by column: a row's value never depends on the batch around it
        cations += np.where(batch.elems[:, col] != anion, weights[batch.elems[:, col]], 0.0)
    return cations / (batch.arity - 1) + weights[_NZ + anion]


def composition_hashes(elems: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """A 64-bit hash per row naming its composition (rows ascending in element index)."""
    with np.errstate(over="ignore"):
        h = system_keys(elems).astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
        for col in range(counts.shape[1]):
            h = h * np.uint64(0x100000001B3) + counts[:, col].astype(np.uint64)
    return h


def _substituted(batch: CompArrays, position: int, new: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows with element ``position`` replaced by ``new`` (re-sorted; rows repeating an element are garbage)."""
    elems = batch.elems.copy()
    elems[:, position] = new
    order = np.argsort(elems, axis=1, kind="stable")
    return np.take_along_axis(elems, order, axis=1), np.take_along_axis(batch.counts, order, axis=1)


def _lookup(keys: np.ndarray, table_keys: np.ndarray, table_counts: np.ndarray) -> np.ndarray:
    """Counts of ``keys`` in a sorted key table (0 where absent)."""
    if len(table_keys) == 0:
        return np.zeros(len(keys), dtype=np.int64)
    pos = np.clip(np.searchsorted(table_keys, keys), 0, len(table_keys) - 1)
    return np.where(table_keys[pos] == keys, table_counts[pos], 0)


def _count_table(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    uniq, counts = np.unique(keys, return_counts=True)
    return uniq, counts.astype(np.int64)


@functools.cache
def _standard_vectors() -> np.ndarray:
    """Magpie vectors of H..Lr in atomic-number order, each feature scaled to unit spread; NaN rows where absent.

    The scale comes from the element table alone, never from the known set, so it leaks nothing.
    """
    from chemspace.core.embeddings import element_vectors

    rows, matrix = element_vectors(NEIGHBOUR_EMBEDDING)
    std = matrix.std(axis=0)
    std[std == 0] = 1.0
    out = np.full((_NZ, matrix.shape[1]), np.nan)
    for i, s in enumerate(all_symbols()):
        if s in rows:
            out[i] = matrix[rows[s]] / std
    return out


def embed_arrays(batch: CompArrays) -> np.ndarray:
    """Stoichiometry-weighted mean of the standardised magpie vectors (eq. 2 of the paper), NaN if any is absent."""
    vec = _standard_vectors()
    frac = batch.counts / batch.counts.sum(axis=1, keepdims=True)
    return np.einsum("kn,knd->kd", frac, vec[batch.elems])


@dataclass
class KnownContext:
    """What the signals need from a known set, as sorted count tables (built once per set)."""

    rule: Rule
    known: dict[int, CompArrays]
    sys_keys: np.ndarray
    sys_counts: np.ndarray
    element_counts: np.ndarray
    pair_counts: np.ndarray
    _neighbours: dict[int, object] = field(default_factory=dict, repr=False)
    _hashes: dict[int, np.ndarray] = field(default_factory=dict, repr=False)

    @classmethod
    def build(cls, known: KnownSet | None, rule: Rule) -> KnownContext:
        """Index a known set (None: nothing known) for the signals."""
        z = atomic_numbers()
        by_arity: dict[int, tuple[list, list]] = {}
        for comp in known.compositions() if known is not None else ():
            elems, counts = by_arity.setdefault(comp.arity, ([], []))
            elems.append([z[s] - 1 for s in comp.symbols])
            counts.append(comp.counts)
        arrays = {
            n: CompArrays(np.array(e, dtype=np.int64), np.array(c, dtype=np.int64)) for n, (e, c) in by_arity.items()
        }
        element_counts = np.zeros(_NZ, dtype=np.int64)
        pair_counts = np.zeros((_NZ, _NZ), dtype=np.int64)
        keys = []
        for arr in arrays.values():
            keys.append(system_keys(arr.elems))
            np.add.at(element_counts, arr.elems.ravel(), 1)
            for a, b in itertools.combinations(range(arr.arity), 2):
                np.add.at(pair_counts, (arr.elems[:, a], arr.elems[:, b]), 1)
        sys_keys, sys_counts = _count_table(np.concatenate(keys) if keys else np.zeros(0, np.int64))
        return cls(rule, arrays, sys_keys, sys_counts, element_counts, pair_counts)

    def known_count(self, arity: int) -> int:
        """Known compositions with ``arity`` elements."""
        return len(self.known.get(arity, ()))

    def known_hashes(self, arity: int) -> np.ndarray:
        """Sorted composition hashes of the known compositions of ``arity`` elements."""
        if arity not in self._hashes:
            ref = self.known.get(arity)
            hashes = composition_hashes(ref.elems, ref.counts) if ref is not None else np.zeros(0, np.uint64)
            self._hashes[arity] = np.unique(hashes)
        return self._hashes[arity]

    def is_known(self, batch: CompArrays) -> np.ndarray:
        """Whether each row is in the known set (by 64-bit composition hash: a false match has odds ~1e-8)."""
        if len(batch) == 0:
            return np.zeros(0, dtype=np.bool_)
        return np.isin(composition_hashes(batch.elems, batch.counts), self.known_hashes(batch.arity))

    def _stoichiometry_table(self, arity: int) -> tuple[np.ndarray, np.ndarray]:
        ref = self.known.get(arity)
        if ref is None:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        return _count_table(stoichiometry_keys(ref.counts))

    def _analogue_table(self, arity: int) -> tuple[np.ndarray, np.ndarray]:
        ref = self.known.get(arity)
        if ref is None:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        return _count_table(analogue_keys(ref))

    def substitution_count(self, batch: CompArrays) -> np.ndarray:
        """Known compositions of the arity one same-group substitution away from each row."""
        ref = self.known.get(batch.arity)
        out = np.zeros(len(batch), dtype=np.int64)
        if ref is None or len(batch) == 0:
            return out
        known_hashes = self.known_hashes(batch.arity)
        mates = substitutes()[batch.elems]  # (rows, arity, width)
        for position in range(batch.arity):
            for k in range(mates.shape[2]):
                new = mates[:, position, k]
                valid = (new >= 0) & ~(batch.elems == new[:, None]).any(axis=1)
                if not valid.any():
                    continue
                elems, counts = _substituted(batch, position, np.where(valid, new, batch.elems[:, position]))
                hit = np.isin(composition_hashes(elems, counts), known_hashes, assume_unique=False)
                out += hit & valid
        return out

    def fill_neighbour(self, batch: CompArrays, signals: np.ndarray) -> None:
        """Compute the neighbour column of ``signals`` (rows of ``batch``) in place."""
        signals[:, NEIGHBOUR_COLUMN] = -self.neighbour_distance(batch, self.is_known(batch))

    def neighbour_distance(self, batch: CompArrays, self_known: np.ndarray) -> np.ndarray:
        """Mean standardised-magpie distance to the nearest known compositions of the arity, self excluded."""
        from sklearn.neighbors import NearestNeighbors

        n = batch.arity
        out = np.full(len(batch), NO_VECTOR_DISTANCE)
        if n not in self._neighbours:
            ref = self.known.get(n)
            vecs = embed_arrays(ref) if ref is not None else np.zeros((0, 1))
            vecs = vecs[~np.isnan(vecs).any(axis=1)]
            self._neighbours[n] = NearestNeighbors().fit(vecs) if len(vecs) > NEIGHBOURS else None
        nn = self._neighbours[n]
        if nn is None or len(batch) == 0:
            return out
        vecs = embed_arrays(batch)
        ok = ~np.isnan(vecs).any(axis=1)
        if not ok.any():
            return out
        dist, _ = nn.kneighbors(vecs[ok], n_neighbors=NEIGHBOURS + 1)
        # a known row finds itself at distance 0 first: drop one zero for it, the farthest for the rest
        own = self_known[ok]
        keep = np.where(own[:, None], dist[:, 1:], dist[:, :-1])
        out[ok] = keep.mean(axis=1)
        return out

    def signals(self, batch: CompArrays, with_neighbour: bool = True) -> np.ndarray:
        """(rows, len(SIGNAL_NAMES)) signal values, each computed without the row itself in the set.

        ``with_neighbour=False`` leaves the neighbour column NaN (the one costly signal: see
        :meth:`fill_neighbour`), so a top-K ranking can bound a row's score before paying for it.
        """
        n = batch.arity
        own = self.is_known(batch).astype(np.int64)
        table = element_table(self.rule.oxidation_states)
        ox_icsd, ox_pair = oxidation_scores(table, batch.elems, batch.counts)
        atoms = batch.counts.sum(axis=1)
        stoich = _lookup(stoichiometry_keys(batch.counts), *self._stoichiometry_table(n)) - own
        analogues = _lookup(analogue_keys(batch), *self._analogue_table(n)) - own
        substitutions = self.substitution_count(batch)
        system = _lookup(system_keys(batch.elems), self.sys_keys, self.sys_counts) - own
        subsystems = np.zeros(len(batch))
        subsets = [s for r in range(2, n) for s in itertools.combinations(range(n), r)]
        for cols in subsets:
            sub = _lookup(system_keys(batch.elems[:, list(cols)]), self.sys_keys, self.sys_counts)
            subsystems += np.log1p(sub) / len(subsets)
        pairs = np.zeros(len(batch))
        for a, b in itertools.combinations(range(n), 2):
            pairs += np.log1p(self.pair_counts[batch.elems[:, a], batch.elems[:, b]] - own) / (n * (n - 1) / 2)
        elements = np.log1p(self.element_counts[batch.elems] - own[:, None]).mean(axis=1)
        neighbour = -self.neighbour_distance(batch, own.astype(bool)) if with_neighbour else np.full(len(batch), np.nan)
        columns = {
            "oxidation_icsd": ox_icsd,
            "oxidation_pair": ox_pair,
            "simplicity": -np.log(atoms),
            "stoichiometry": np.log1p(stoich),
            "analogues": np.log1p(analogues),
            "substitutions": np.log1p(substitutions),
            "system": np.log1p(system),
            "subsystems": subsystems,
            "pairs": pairs,
            "elements": elements,
            "neighbour": neighbour,
        }
        return np.column_stack([columns[name] for name in SIGNAL_NAMES]).astype(np.float64)
