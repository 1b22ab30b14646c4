"""Compositional embeddings: element vectors from ElementEmbeddings, pooled over a composition.

Eq. (2) of the paper is the stoichiometry-weighted mean of element vectors. It is computed for many
compositions at once (gathering each composition's element vectors and weighting them) and equals
``elementembeddings.composition.CompositionalEmbedding(formula, embedding).feature_vector(stats)``,
including that class's other statistics and its zero-filling of missing feature values. A
composition with an element the embedding lacks is skipped and counted, never zero-filled.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from chemspace.core.composition import Composition
from chemspace.core.errors import InputError

#: The paper's six element embeddings (22, 200, 16, 44, 200 and 200 dimensions).
PAPER_EMBEDDINGS = ("magpie", "mat2vec", "megnet16", "oliynyk", "skipatom", "random_200")

#: Pooling statistics, as ElementEmbeddings names them.
STATS = ("mean", "variance", "minpool", "maxpool", "range", "sum", "geometric_mean", "harmonic_mean")


def available_embeddings() -> tuple[str, ...]:
    """Every element representation elementembeddings ships, the paper's six first."""
    from elementembeddings.utils.config import DEFAULT_ELEMENT_EMBEDDINGS

    rest = [name for name in DEFAULT_ELEMENT_EMBEDDINGS if name not in PAPER_EMBEDDINGS]
    return PAPER_EMBEDDINGS + tuple(rest)


#: Names offered by the app and the command line.
EMBEDDINGS = PAPER_EMBEDDINGS


@functools.cache
def element_vectors(name: str) -> tuple[dict[str, int], np.ndarray]:
    """(symbol -> row, matrix) of an embedding, NaN features set to 0 as ElementEmbeddings does."""
    if name not in available_embeddings():
        raise InputError(f"unknown embedding {name!r} (expected one of {', '.join(available_embeddings())})")
    from elementembeddings.core import Embedding

    emb = Embedding.load_data(name)
    symbols = list(emb.embeddings)
    matrix = np.nan_to_num(np.array([np.asarray(emb.embeddings[s], dtype=float) for s in symbols]))
    return {s: i for i, s in enumerate(symbols)}, matrix


@dataclass
class Embedded:
    """Vectors for the compositions an embedding covers; ``kept[i]`` tells whether input ``i`` is in."""

    vectors: np.ndarray
    kept: np.ndarray
    missing_elements: frozenset[str]

    @property
    def skipped(self) -> int:
        return int((~self.kept).sum())


def embed(comps: Sequence[Composition], embedding: str = "magpie", stats: Sequence[str] = ("mean",)) -> Embedded:
    """Pool element vectors over each composition; one block of columns per statistic."""
    bad = [s for s in stats if s not in STATS]
    if bad:
        raise InputError(f"unknown statistic {bad[0]!r} (expected one of {', '.join(STATS)})")
    rows, matrix = element_vectors(embedding)
    kept = np.array([all(s in rows for s in c.symbols) for c in comps], dtype=np.bool_)
    missing = frozenset(s for c in comps for s in c.symbols if s not in rows)
    out = np.zeros((len(comps), len(stats) * matrix.shape[1]))
    by_arity: dict[int, list[int]] = {}
    for i, c in enumerate(comps):
        if kept[i]:
            by_arity.setdefault(c.arity, []).append(i)
    for members in by_arity.values():
        idx = np.array([[rows[s] for s in comps[i].symbols] for i in members])
        counts = np.array([comps[i].counts for i in members], dtype=float)
        vecs = matrix[idx]  # (k, n, d)
        out[members] = np.concatenate([_pool(vecs, counts, s) for s in stats], axis=1)
    return Embedded(out[kept], kept, missing)


def _pool(vecs: np.ndarray, counts: np.ndarray, stat: str) -> np.ndarray:
    """One statistic over the element axis, with ElementEmbeddings' definitions."""
    frac = counts / counts.sum(axis=1, keepdims=True)
    w = frac[:, :, None]
    mean = (w * vecs).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        pools = {
            "mean": lambda: mean,
            "variance": lambda: (w * (vecs - mean[:, None, :]) ** 2).sum(axis=1),
            "minpool": lambda: vecs.min(axis=1),
            "maxpool": lambda: vecs.max(axis=1),
            "range": lambda: np.ptp(vecs, axis=1),
            "sum": lambda: (counts[:, :, None] * vecs).sum(axis=1),
            "geometric_mean": lambda: np.exp((w * np.log(vecs)).sum(axis=1)),
            "harmonic_mean": lambda: np.reciprocal((w * np.reciprocal(vecs)).sum(axis=1)),
        }
        return pools[stat]()
