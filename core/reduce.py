"""2-D projections of embedded compositions: PCA, t-SNE and UMAP, seeded and cached on disk.

The reducers share a small scikit-learn-like API (``fit`` / ``fit_transform``, ``embedding_``,
``get_params``; PCA also ``transform``) and ``random_state=42`` by default, as the paper.

* PCA: scikit-learn's.
* t-SNE: openTSNE rather than scikit-learn's TSNE. Same objective (perplexity 30, early
  exaggeration 12 for 250 iterations, then 500 more), but FFT-interpolated gradients instead of
  Barnes-Hut and multi-threaded kNN: on 12 000 real embedded compositions it is several times faster
  (``bench/bench_reduce.py`` measures both). Neighbours are found exactly by scikit-learn's brute-force
  search (3 x perplexity of them) and handed to openTSNE as ``PrecomputedNeighbors``: deterministic,
  and on 12 000 x 200 faster than both openTSNE's Annoy index and its own "exact" ball tree (1.8 s
  against 3.3 s for the ball tree, measured).
  ``ints_in_interval=5`` coarsens the FFT grid once the embedding spreads out: with openTSNE's
  default 1 the last 500 iterations slow down as the map grows on clustered data like ours
  (measured: that phase 21 s -> 12 s on 12 000 points, final KL divergence 1.76 -> 1.78).
* UMAP: umap-learn, with two changes that remove its cold start (about 35 s of numba compilation
  in every new process, measured by the planner and again here): the k nearest neighbours are
  computed exactly by scikit-learn and passed as ``precomputed_knn`` (pynndescent's kernels are
  closures numba cannot cache, and compiling them is most of the cold start), and the three numba
  kernels UMAP then runs (``smooth_knn_dist``, ``compute_membership_strengths`` and the layout
  epoch) get numba's on-disk cache switched on, so only the very first run on a machine compiles
  them. :func:`warm_up` loads everything ahead of need (the app runs it when the projection tab opens).

Projections are cached under ``$CHEMSPACE_CACHE_DIR`` or the platform's user cache directory,
keyed by a hash of everything that changes them (input bytes, reducer, parameters, seed, library
versions), and written atomically (temporary file, then ``os.replace``).

Parallel numba code must not run twice at once (numba's default threading layer aborts), so UMAP
and openTSNE fits hold :data:`chemspace.core.engine.PARALLEL_LOCK`, as the census kernels do.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import threading
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from chemspace.core.anions import DEFAULT_ANION_RULE, anion_classes
from chemspace.core.atomic import atomic_path
from chemspace.core.composition import Composition
from chemspace.core.dirs import user_dir
from chemspace.core.embeddings import EMBEDDINGS, check_embedding, embed
from chemspace.core.engine import PARALLEL_LOCK
from chemspace.core.errors import CancelledError, InputError

REDUCERS = ("pca", "tsne", "umap")

#: Bump when this module changes what a cached projection holds.
CACHE_FORMAT = 2

#: Label order of projections: the paper's four categories with a known set, else allowed/forbidden.
CATEGORY_LABELS = ("standard", "missing", "interesting", "unlikely")
PLAIN_LABELS = ("allowed", "forbidden")

__all__ = [
    "EMBEDDINGS",
    "REDUCERS",
    "PCAReducer",
    "Projection",
    "TSNEReducer",
    "UMAPReducer",
    "cache_dir",
    "make_reducer",
    "project_samples",
    "reduce",
    "warm_up",
]


# ---------------------------------------------------------------------------- reducers


class Reducer:
    """Base of the reducers: ``fit(x)`` stores ``embedding_`` (n, 2); ``fit_transform`` returns it."""

    name: ClassVar[str] = ""
    #: Default parameters; the constructor accepts exactly these keywords (plus random_state).
    defaults: ClassVar[dict[str, Any]] = {}

    def __init__(self, random_state: int = 42, **params: Any) -> None:
        unknown = sorted(set(params) - set(self.defaults))
        if unknown:
            raise InputError(f"{self.name}: unknown parameter {unknown[0]!r} (expected {', '.join(self.defaults)})")
        self.random_state = int(random_state)
        self.params = {**self.defaults, **params}
        self.embedding_: np.ndarray | None = None

    def get_params(self) -> dict[str, Any]:
        """Every parameter that changes the result, random_state included (the cache key uses it)."""
        return {"random_state": self.random_state, **self.params}

    def fit(self, x: np.ndarray, cancel: threading.Event | None = None) -> Reducer:
        """Project the rows of ``x`` (n, d) to 2-D and keep them in ``embedding_``."""
        x = _check_input(x)
        self.embedding_ = np.ascontiguousarray(self._fit(x, cancel), dtype=np.float64)
        return self

    def fit_transform(self, x: np.ndarray, cancel: threading.Event | None = None) -> np.ndarray:
        """``fit(x)`` and return the (n, 2) embedding."""
        embedding = self.fit(x, cancel).embedding_
        assert embedding is not None
        return embedding

    def _fit(self, x: np.ndarray, cancel: threading.Event | None) -> np.ndarray:
        raise NotImplementedError


class PCAReducer(Reducer):
    """Principal components (scikit-learn); deterministic and the only reducer with ``transform``."""

    name = "pca"
    defaults: ClassVar[dict[str, Any]] = {}

    def _fit(self, x: np.ndarray, cancel: threading.Event | None) -> np.ndarray:
        from sklearn.decomposition import PCA

        # the d x d covariance route: for n >> d (12 000 x 200) it is one small eigenproblem, exact and fast
        self.model_ = PCA(n_components=2, svd_solver="covariance_eigh", random_state=self.random_state)
        return self.model_.fit_transform(x)

    def transform(self, x: np.ndarray) -> np.ndarray:
        """Project new rows onto the fitted components."""
        if not hasattr(self, "model_"):
            raise InputError("pca: call fit before transform")
        return self.model_.transform(_check_input(x, minimum=1))


class TSNEReducer(Reducer):
    """t-SNE with openTSNE (FFT gradients, exact kNN); see the module docstring for why not scikit-learn's."""

    name = "tsne"
    defaults: ClassVar[dict[str, Any]] = {
        "perplexity": 30.0,
        "early_exaggeration_iter": 250,
        "n_iter": 500,
        "neighbors": "exact",
        "ints_in_interval": 5.0,
    }

    def _fit(self, x: np.ndarray, cancel: threading.Event | None) -> np.ndarray:
        from openTSNE import TSNE, affinity
        from openTSNE.nearest_neighbors import PrecomputedNeighbors

        p = self.params
        perplexity = min(float(p["perplexity"]), max(1.0, (len(x) - 1) / 3.0))  # openTSNE needs 3p < n
        tsne = TSNE(
            n_components=2,
            perplexity=perplexity,
            early_exaggeration_iter=int(p["early_exaggeration_iter"]),
            n_iter=int(p["n_iter"]),
            ints_in_interval=float(p["ints_in_interval"]),
            random_state=self.random_state,
            n_jobs=os.cpu_count() or 1,
            callbacks=None if cancel is None else _tsne_cancel_callback(cancel),
            callbacks_every_iters=25,
        )
        with PARALLEL_LOCK, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if p["neighbors"] == "exact":  # scikit-learn's brute-force kNN: exact, and faster than openTSNE's
                k = min(len(x) - 1, int(3 * perplexity))
                idx, dists = exact_knn(x, k, include_self=False)
                knn = PrecomputedNeighbors(idx, dists.astype(np.float64))
                affinities = affinity.PerplexityBasedNN(
                    perplexity=perplexity, knn_index=knn, n_jobs=tsne.n_jobs, random_state=self.random_state
                )
                return np.asarray(tsne.fit(x, affinities=affinities))
            tsne.neighbors = p["neighbors"]
            return np.asarray(tsne.fit(x))


def _tsne_cancel_callback(cancel: threading.Event) -> Callable[..., bool]:
    def check(iteration: int, error: float, embedding: object) -> bool:
        if cancel.is_set():
            raise CancelledError("projection cancelled")
        return False

    return check


class UMAPReducer(Reducer):
    """UMAP (umap-learn) on exact scikit-learn neighbours, with numba's disk cache for its kernels."""

    name = "umap"
    defaults: ClassVar[dict[str, Any]] = {"n_neighbors": 15, "min_dist": 0.1, "n_epochs": None, "init": "spectral"}

    def _fit(self, x: np.ndarray, cancel: threading.Event | None) -> np.ndarray:
        umap = load_umap()
        p = self.params
        k = max(2, min(int(p["n_neighbors"]), len(x) - 1))
        knn = exact_knn(x, k)
        if cancel is not None and cancel.is_set():
            raise CancelledError("projection cancelled")
        model = umap.UMAP(
            n_components=2,
            n_neighbors=k,
            min_dist=float(p["min_dist"]),
            n_epochs=p["n_epochs"],
            init=p["init"],
            random_state=self.random_state,
            n_jobs=1,  # a seed makes UMAP serial anyway; saying so keeps it quiet
            precomputed_knn=(*knn, None),
            force_approximation_algorithm=True,  # use our kNN below 4 096 points too (no extra kernels)
        )
        with PARALLEL_LOCK, warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "no search index: transform unavailable" and seed notices
            return model.fit_transform(x)


def exact_knn(x: np.ndarray, k: int, include_self: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Indices and distances of each row's ``k`` nearest rows, by scikit-learn's brute-force search.

    With ``include_self`` the row itself comes first (UMAP's ``precomputed_knn`` layout); without
    it, the ``k`` nearest other rows (openTSNE's). float32 halves the distance GEMMs and is what
    UMAP computes in.
    """
    from sklearn.neighbors import NearestNeighbors

    x32 = np.ascontiguousarray(x, dtype=np.float32)
    index = NearestNeighbors(n_neighbors=k, n_jobs=os.cpu_count()).fit(x32)
    dists, idx = index.kneighbors(x32) if include_self else index.kneighbors()
    return idx.astype(np.int32), dists.astype(np.float32)


#: The numba kernels UMAP runs once the kNN graph is given, and which umap-learn leaves uncached.
UMAP_KERNELS = (
    ("umap.umap_", "smooth_knn_dist"),
    ("umap.umap_", "compute_membership_strengths"),
    ("umap.layouts", "_nb_optimize_layout_euclidean_single_epoch"),
)


@functools.cache
def load_umap() -> Any:
    """Import umap-learn and switch numba's on-disk cache on for :data:`UMAP_KERNELS`.

    numba stores the compiled code beside umap's sources, or in its per-user cache directory when
    that is read-only, so the compilation (about 10 s) happens once per machine, not per process.
    """
    import importlib

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        umap = importlib.import_module("umap")
    for module, attr in UMAP_KERNELS:
        kernel = getattr(importlib.import_module(module), attr, None)
        if kernel is not None and hasattr(kernel, "enable_caching"):
            kernel.enable_caching()
    return umap


REDUCER_CLASSES: dict[str, type[Reducer]] = {"pca": PCAReducer, "tsne": TSNEReducer, "umap": UMAPReducer}


def make_reducer(method: str, random_state: int = 42, **params: Any) -> Reducer:
    """A reducer by name (pca, tsne, umap)."""
    if method not in REDUCER_CLASSES:
        raise InputError(f"unknown reducer {method!r} (expected one of {', '.join(REDUCERS)})")
    return REDUCER_CLASSES[method](random_state=random_state, **params)


def _check_input(x: np.ndarray, minimum: int = 3) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2:
        raise InputError(f"expected a 2-D array of vectors, got shape {x.shape}")
    if len(x) < minimum:
        raise InputError(f"{len(x)} points are too few to project (need at least {minimum})")
    if not np.isfinite(x).all():
        raise InputError("vectors contain NaN or infinity (a geometric/harmonic mean of non-positive features?)")
    return x


# ---------------------------------------------------------------------------- cache


def cache_dir() -> Path:
    """Where projections are cached: ``$CHEMSPACE_CACHE_DIR`` or the platform's user cache directory."""
    return user_dir("cache")


def _version(dist: str) -> str:
    try:
        return version(dist)
    except PackageNotFoundError:
        return "absent"


@functools.cache
def library_versions() -> dict[str, str]:
    """Versions of every library whose change can change a projection."""
    names = ("numpy", "scipy", "scikit-learn", "openTSNE", "umap-learn", "numba")
    return {n: _version(n) for n in names}


def cache_key(x: np.ndarray, method: str, params: Mapping[str, Any]) -> str:
    """Hash of the input bytes, shape, reducer, its parameters, library versions and cache format."""
    h = hashlib.sha256()
    data = np.ascontiguousarray(x, dtype=np.float64)
    h.update(data.tobytes())
    meta = {"shape": data.shape, "method": method, "params": dict(params), "versions": library_versions()}
    h.update(json.dumps({**meta, "format": CACHE_FORMAT}, sort_keys=True, default=str).encode())
    return h.hexdigest()[:40]


def cache_path(x: np.ndarray, method: str, params: Mapping[str, Any]) -> Path:
    """File a projection of ``x`` is (or would be) cached in."""
    return cache_dir() / "projections" / f"{method}-{cache_key(x, method, params)}.npy"


def _load_cached(path: Path, n: int) -> np.ndarray | None:
    """The cached ``n`` x 2 projection at ``path``, or None to recompute and replace it.

    Anything unreadable or implausible is a miss, never an error: an empty or truncated file
    (EOFError, ValueError), a pickled or non-array payload, the wrong shape, a dtype other than
    float64 (strings, objects, complex), or a value that is not finite.
    """
    try:
        xy = np.load(path, allow_pickle=False)
    except Exception:  # missing, or damaged: numpy raises EOFError, ValueError, OSError, UnpicklingError...
        return None
    if not isinstance(xy, np.ndarray) or xy.dtype != np.float64 or xy.shape != (n, 2):
        return None
    return xy if np.isfinite(xy).all() else None


def _fit(
    x: np.ndarray,
    method: str,
    random_state: int,
    params: Mapping[str, Any] | None = None,
    cancel: threading.Event | None = None,
) -> np.ndarray:
    """Fit one reducer (the cache's miss path; tests replace it to prove a hit does not refit)."""
    return make_reducer(method, random_state, **(params or {})).fit_transform(x, cancel)


def reduce_cached(
    x: np.ndarray,
    method: str = "pca",
    random_state: int = 42,
    use_cache: bool = True,
    cancel: threading.Event | None = None,
    **params: Any,
) -> tuple[np.ndarray, bool]:
    """:func:`reduce`, also telling whether the result came from the cache."""
    reducer = make_reducer(method, random_state, **params)  # validates name and parameters
    x = _check_input(x)
    path = cache_path(x, method, reducer.get_params())
    if use_cache and (hit := _load_cached(path, len(x))) is not None:
        return hit, True
    xy = np.ascontiguousarray(_fit(x, method, random_state, params, cancel), dtype=np.float64)
    if use_cache:
        try:
            with atomic_path(path, make_parents=True) as tmp, tmp.open("wb") as handle:
                np.save(handle, xy)
        except InputError:
            pass  # a read-only or full cache must not lose the result
    return xy, False


def reduce(
    x: np.ndarray,
    method: str = "pca",
    random_state: int = 42,
    use_cache: bool = True,
    cancel: threading.Event | None = None,
    **params: Any,
) -> np.ndarray:
    """Project the rows of ``x`` to 2-D with ``method`` (pca, tsne, umap), reusing the disk cache.

    Parameters
    ----------
    x : (n, d) vectors, n >= 3.
    method : reducer name.
    random_state : seed (the paper's 42 by default).
    use_cache : read and write the on-disk cache.
    cancel : set it to stop; t-SNE checks it every 25 iterations, UMAP before its layout.
    params : reducer parameters (see each reducer's ``defaults``).
    """
    return reduce_cached(x, method, random_state, use_cache, cancel, **params)[0]


# ---------------------------------------------------------------------------- warm-up


def warm_up(methods: Sequence[str] = ("umap", "tsne")) -> None:
    """Import the reducers and load (or, the first time, compile) their kernels with tiny fits."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4))
    for method in methods:
        if method == "umap":
            load_umap()
        make_reducer(method, 0, **({"n_iter": 10, "early_exaggeration_iter": 10} if method == "tsne" else {})).fit(x)


# ---------------------------------------------------------------------------- samples -> projection


@dataclass
class Projection:
    """Projected samples: one entry per kept composition, in label order.

    Attributes
    ----------
    formulas, labels, anion_classes, x, y : per point; labels are the four categories with a known
        set, else "allowed"/"forbidden".
    skipped : compositions with no vector (an element the embedding lacks, or for species
        embeddings no allowed oxidation states with vectors).
    missing_elements : the elements (or species) behind the skips.
    from_cache : whether the 2-D coordinates came from the disk cache.
    """

    formulas: list[str]
    labels: np.ndarray
    anion_classes: np.ndarray
    x: np.ndarray
    y: np.ndarray
    skipped: int
    embedding: str
    reducer: str
    missing_elements: frozenset[str] = field(default_factory=frozenset)
    from_cache: bool = False

    def __len__(self) -> int:
        return len(self.x)


def sample_labels(samples: Mapping[str, Sequence[Composition]]) -> list[str]:
    """The labels to project: the four categories when present, else allowed/forbidden."""
    labels = [lab for lab in CATEGORY_LABELS if lab in samples]
    return labels or [lab for lab in PLAIN_LABELS if lab in samples]


def _check_cancel(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise CancelledError("projection cancelled")


def project_samples(
    samples: Mapping[str, Sequence[Composition]],
    embedding: str = "magpie",
    reducer: str = "pca",
    random_state: int = 42,
    cancel: threading.Event | None = None,
    *,
    stats: Sequence[str] = ("mean",),
    oxidation_states: str = "smact14",
    anion_rule: Mapping[str, str] = DEFAULT_ANION_RULE,
    use_cache: bool = True,
    reducer_params: Mapping[str, Any] | None = None,
) -> Projection:
    """Embed the census's samples (label -> compositions) and reduce them to 2-D.

    The one code path of ``chemspace-tui project`` and the app's projection panel.

    Parameters
    ----------
    samples : label -> compositions, as ``ArityCensus.samples``; with the four categories present
        only they are used, else "allowed" and "forbidden".
    embedding : element or species embedding name.
    reducer : pca, tsne or umap.
    random_state : seed of the reducer.
    cancel : set it to stop between stages (and inside t-SNE).
    stats : pooling statistics (eq. 2 is "mean").
    oxidation_states : oxidation-state set for species embeddings.
    anion_rule : element -> anion class mapping (see :mod:`chemspace.core.anions`).
    use_cache : reuse projections from the disk cache.
    reducer_params : extra reducer parameters.
    """
    check_embedding(embedding)
    make_reducer(reducer, random_state, **(reducer_params or {}))
    _check_cancel(cancel)
    labels = sample_labels(samples)
    comps = [c for lab in labels for c in samples[lab]]
    tags = np.array([lab for lab in labels for _ in samples[lab]], dtype=object)
    embedded = embed(comps, embedding, stats, oxidation_states)
    _check_cancel(cancel)
    kept = [c for c, k in zip(comps, embedded.kept) if k]
    if len(kept) < 3:
        raise InputError(
            f"only {len(kept)} of {len(comps)} sampled compositions have {embedding} vectors: too few to project"
        )
    xy, hit = reduce_cached(embedded.vectors, reducer, random_state, use_cache, cancel, **(reducer_params or {}))
    _check_cancel(cancel)
    return Projection(
        formulas=[c.formula for c in kept],
        labels=tags[embedded.kept],
        anion_classes=np.array(anion_classes(kept, anion_rule), dtype=object),
        x=xy[:, 0].copy(),
        y=xy[:, 1].copy(),
        skipped=embedded.skipped,
        embedding=embedding,
        reducer=reducer,
        missing_elements=embedded.missing_elements,
        from_cache=hit,
    )
