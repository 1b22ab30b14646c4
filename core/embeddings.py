"""Compositional embeddings: element (or species) vectors from ElementEmbeddings, pooled over compositions.

Eq. (2) of the paper: a composition's vector is the stoichiometry-weighted mean of its elements'
vectors, ``v = sum_i x_i e_i`` with ``x_i`` the atomic fractions. For many compositions at once that
is one product: a sparse compositions-by-elements fraction matrix ``F`` times the element-vector
matrix ``E``. The other statistics ElementEmbeddings offers are computed the same way (``sum``,
``geometric_mean``, ``harmonic_mean`` are products too) or by gathering each composition's element
vectors (``variance``, ``minpool``, ``maxpool``, ``range``), and every one equals
``elementembeddings.composition.CompositionalEmbedding(formula, embedding).feature_vector(stats)``
(tests check 1e-6 on random compositions).

What "equal to ElementEmbeddings" implies:

* No standardisation: ``Embedding.load_data`` returns the vectors as shipped and
  ``CompositionalEmbedding`` pools them unscaled. The scaled variants ship as their own names
  (``magpie_sc``, ``oliynyk_sc``) and are offered here as such.
* NaN features inside an element's vector become 0, as ``CompositionalEmbedding`` does
  (``np.nan_to_num``); ``geometric_mean``/``harmonic_mean`` give NaN/inf wherever the library does
  (negative or zero features), which is why :data:`STATS` marks them for positive embeddings only.
* An element the embedding has no vector for is different: ElementEmbeddings raises ``KeyError``.
  Here such a composition is skipped and counted (``Embedded.kept``/``skipped``), never zero-filled.

Beyond the paper, species embeddings (SkipSpecies, ``skipspecies`` and ``skipspecies_induced``) pool
ion vectors such as ``Fe3+`` and ``O2-``, with the oxidation states that make the composition allowed
by SMACT's filters (:func:`chemspace.core.engine.oxidation_assignment`). A forbidden composition has
no such states, and a species SkipSpecies lacks has no vector: both are skipped and counted.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp

from chemspace.core.composition import Composition
from chemspace.core.errors import InputError

#: The paper's six element embeddings (22, 200, 16, 44, 200 and 200 dimensions).
PAPER_EMBEDDINGS = ("magpie", "mat2vec", "megnet16", "oliynyk", "skipatom", "random_200")

#: Species (ion) embeddings ElementEmbeddings ships; they need oxidation states.
SPECIES_EMBEDDINGS = ("skipspecies", "skipspecies_induced")

#: Pooling statistics, as ElementEmbeddings names them.
STATS = ("mean", "variance", "minpool", "maxpool", "range", "sum", "geometric_mean", "harmonic_mean")

#: Statistics that only make sense for strictly positive features (logs and reciprocals).
POSITIVE_ONLY_STATS = ("geometric_mean", "harmonic_mean")

#: Names offered by the app's selector (the paper's six); the command line accepts every name.
EMBEDDINGS = PAPER_EMBEDDINGS


@functools.cache
def element_embedding_names() -> tuple[str, ...]:
    """Every element representation elementembeddings ships, the paper's six first."""
    from elementembeddings.utils.config import DEFAULT_ELEMENT_EMBEDDINGS

    return PAPER_EMBEDDINGS + tuple(n for n in DEFAULT_ELEMENT_EMBEDDINGS if n not in PAPER_EMBEDDINGS)


def available_embeddings() -> tuple[str, ...]:
    """Element representations, then the species ones: everything :func:`embed` accepts."""
    return element_embedding_names() + SPECIES_EMBEDDINGS


def is_species_embedding(name: str) -> bool:
    """Whether ``name`` pools ion (species) vectors and so needs oxidation states."""
    return name in SPECIES_EMBEDDINGS


def check_embedding(name: str) -> str:
    """Return ``name`` if elementembeddings ships it, else raise InputError listing the choices."""
    if name not in available_embeddings():
        raise InputError(f"unknown embedding {name!r} (expected one of {', '.join(available_embeddings())})")
    return name


def check_stats(stats: Sequence[str]) -> tuple[str, ...]:
    """Validate statistic names (at least one, each from :data:`STATS`)."""
    if isinstance(stats, str):
        stats = (stats,)
    if not stats:
        raise InputError("no statistic given")
    bad = [s for s in stats if s not in STATS]
    if bad:
        raise InputError(f"unknown statistic {bad[0]!r} (expected one of {', '.join(STATS)})")
    return tuple(stats)


@functools.cache
def element_vectors(name: str) -> tuple[dict[str, int], np.ndarray]:
    """(key -> row, matrix) of an embedding, keys being element symbols or species like ``Fe3+``.

    Loaded from the data files elementembeddings ships (nothing is downloaded); NaN features are
    set to 0 as ``CompositionalEmbedding`` does. Cached per process: loading magpie parses a CSV.
    """
    check_embedding(name)
    if is_species_embedding(name):
        from elementembeddings.core import SpeciesEmbedding

        emb = SpeciesEmbedding.load_data(name)  # neutral species dropped, as the library's default
    else:
        from elementembeddings.core import Embedding

        emb = Embedding.load_data(name)
    keys = list(emb.embeddings)
    matrix = np.nan_to_num(np.array([np.asarray(emb.embeddings[k], dtype=np.float64) for k in keys]))
    matrix.setflags(write=False)
    return {k: i for i, k in enumerate(keys)}, matrix


def species_key(symbol: str, charge: int) -> str:
    """SkipSpecies' name of an ion: ``Fe3+``, ``O2-``, ``Na+``, ``Cl-`` (``Fe0+`` for neutral)."""
    magnitude = abs(charge)
    return f"{symbol}{magnitude if magnitude != 1 else ''}{'-' if charge < 0 else '+'}"


@dataclass
class Embedded:
    """Vectors of the compositions an embedding covers, and which inputs were skipped.

    Attributes
    ----------
    vectors : (kept, len(stats) * dimension) array, one row per kept composition, input order.
    kept : boolean mask over the inputs; ``kept[i]`` is False when input ``i`` was skipped.
    missing_elements : element symbols (or species) the embedding lacks that caused skips.
    no_oxidation_states : number of compositions skipped for want of an allowed oxidation-state
        assignment (species embeddings only).
    """

    vectors: np.ndarray
    kept: np.ndarray
    missing_elements: frozenset[str]
    no_oxidation_states: int = 0

    @property
    def skipped(self) -> int:
        """How many input compositions have no vector."""
        return int((~self.kept).sum())


def _keys_for(
    comps: Sequence[Composition], embedding: str, oxidation_states: str
) -> tuple[list[tuple[str, ...] | None], int]:
    """Per composition the embedding keys of its elements (or species), None when it has none.

    For species embeddings the oxidation states come from SMACT's rules (charge neutrality and the
    electronegativity order) over the oxidation-state set restricted to the ions the embedding has a
    vector for, so an allowed composition gets an assignment with vectors whenever one exists.
    Returns the keys and how many compositions have no allowed assignment at all.
    """
    if not is_species_embedding(embedding):
        return [c.symbols for c in comps], 0
    from chemspace.core.elements import element_table
    from chemspace.core.engine import oxidation_assignment

    rows, _ = element_vectors(embedding)
    table = element_table(oxidation_states)
    covered = replace(
        table,
        oxidation_states=tuple(
            tuple(q for q in states if species_key(sym, q) in rows)
            for sym, states in zip(table.symbols, table.oxidation_states)
        ),
    )
    keys: list[tuple[str, ...] | None] = []
    forbidden = 0
    for comp in comps:
        states = oxidation_assignment(covered, comp)
        if states is None:
            states = oxidation_assignment(table, comp)  # allowed, but only with ions lacking vectors?
            forbidden += states is None
        keys.append(None if states is None else tuple(species_key(s, states[s]) for s in comp.symbols))
    return keys, forbidden


def embed(
    comps: Sequence[Composition],
    embedding: str = "magpie",
    stats: Sequence[str] = ("mean",),
    oxidation_states: str = "smact14",
) -> Embedded:
    """Pool element (or species) vectors over each composition, one block of columns per statistic.

    Parameters
    ----------
    comps : compositions to embed.
    embedding : a name from :func:`available_embeddings`.
    stats : statistics from :data:`STATS`, concatenated in this order (ElementEmbeddings' layout).
    oxidation_states : oxidation-state set used to assign ions for species embeddings.

    Returns
    -------
    Embedded
        Vectors of the kept compositions and the mask of kept inputs.
    """
    stats = check_stats(stats)
    rows, matrix = element_vectors(embedding)
    keys, no_states = _keys_for(comps, embedding, oxidation_states)
    kept = np.array([k is not None and all(s in rows for s in k) for k in keys], dtype=np.bool_)
    missing = frozenset(s for k in keys if k is not None for s in k if s not in rows)
    kept_idx = np.flatnonzero(kept)
    row_lists = [[rows[s] for s in keys[i]] for i in kept_idx]  # type: ignore[union-attr]
    count_lists = [comps[i].counts for i in kept_idx]
    vectors = pool(row_lists, count_lists, matrix, stats)
    return Embedded(vectors, kept, missing, no_states)


def fraction_matrix(
    row_lists: Sequence[Sequence[int]], count_lists: Sequence[Sequence[int]], n_rows: int, fractions: bool = True
) -> sp.csr_matrix:
    """Sparse (compositions x embedding rows) matrix of atomic fractions (or raw counts).

    Row ``i`` holds composition ``i``'s amounts in the columns of its elements, so ``F @ E`` is the
    weighted sum over each composition's element vectors: eq. (2) for all compositions at once.
    """
    indptr = np.zeros(len(row_lists) + 1, dtype=np.int64)
    indptr[1:] = np.cumsum([len(r) for r in row_lists])
    indices = np.fromiter((j for r in row_lists for j in r), dtype=np.int64, count=int(indptr[-1]))
    data = np.fromiter((n for c in count_lists for n in c), dtype=np.float64, count=int(indptr[-1]))
    if fractions and len(row_lists):
        totals = np.add.reduceat(data, indptr[:-1]) if data.size else data
        data = data / np.repeat(totals, np.diff(indptr))
    return sp.csr_matrix((data, indices, indptr), shape=(len(row_lists), n_rows))


def _gathered(row_lists: Sequence[Sequence[int]], count_lists: Sequence[Sequence[int]], matrix: np.ndarray):
    """Group compositions by arity: yields (positions, element vectors (k, a, d), fractions (k, a))."""
    by_arity: dict[int, list[int]] = {}
    for i, r in enumerate(row_lists):
        by_arity.setdefault(len(r), []).append(i)
    for members in by_arity.values():
        idx = np.array([row_lists[i] for i in members], dtype=np.int64)
        counts = np.array([count_lists[i] for i in members], dtype=np.float64)
        yield np.array(members), matrix[idx], counts / counts.sum(axis=1, keepdims=True)


def pool(
    row_lists: Sequence[Sequence[int]],
    count_lists: Sequence[Sequence[int]],
    matrix: np.ndarray,
    stats: Sequence[str] = ("mean",),
) -> np.ndarray:
    """Pool rows of ``matrix`` per composition with ElementEmbeddings' definitions of each statistic.

    Parameters
    ----------
    row_lists : per composition, the rows of ``matrix`` of its elements.
    count_lists : per composition, the stoichiometric counts in the same order.
    matrix : (rows, d) element or species vectors.
    stats : statistics from :data:`STATS`.
    """
    n, d = len(row_lists), matrix.shape[1]
    frac = fraction_matrix(row_lists, count_lists, matrix.shape[0])
    blocks: list[np.ndarray] = []
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for stat in stats:
            if stat == "mean":
                blocks.append(frac @ matrix)
            elif stat == "sum":
                blocks.append(fraction_matrix(row_lists, count_lists, matrix.shape[0], fractions=False) @ matrix)
            elif stat == "geometric_mean":
                blocks.append(np.exp(frac @ np.log(matrix)))
            elif stat == "harmonic_mean":
                blocks.append(np.reciprocal(frac @ np.reciprocal(matrix)))
            else:
                blocks.append(_gathered_stat(row_lists, count_lists, matrix, stat, n, d))
    if not blocks or n == 0:
        return np.zeros((n, d * len(stats)))
    return np.concatenate([np.asarray(b, dtype=np.float64) for b in blocks], axis=1)


def _gathered_stat(
    row_lists: Sequence[Sequence[int]],
    count_lists: Sequence[Sequence[int]],
    matrix: np.ndarray,
    stat: str,
    n: int,
    d: int,
) -> np.ndarray:
    """Statistics that need each composition's vectors side by side (variance and the pools)."""
    out = np.empty((n, d))
    for members, vecs, frac in _gathered(row_lists, count_lists, matrix):
        if stat == "variance":
            w = frac[:, :, None]
            mean = (w * vecs).sum(axis=1, keepdims=True)
            out[members] = (w * (vecs - mean) ** 2).sum(axis=1)
        elif stat == "minpool":
            out[members] = vecs.min(axis=1)
        elif stat == "maxpool":
            out[members] = vecs.max(axis=1)
        elif stat == "range":
            out[members] = np.ptp(vecs, axis=1)
        else:  # pragma: no cover - check_stats rejects anything else first
            raise InputError(f"unknown statistic {stat!r}")
    return out
