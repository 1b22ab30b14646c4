"""Reducers (PCA, openTSNE, UMAP): the API, determinism for a seed, the disk cache, the lock and project_samples."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

import chemspace.core.reduce as mod
from chemspace.core.composition import Composition, parse_formula
from chemspace.core.engine import PARALLEL_LOCK
from chemspace.core.errors import CancelledError, InputError
from chemspace.core.reduce import (
    cache_dir,
    cache_path,
    make_reducer,
    project_samples,
    reduce,
    reduce_cached,
)


@pytest.fixture(scope="module")
def blobs() -> np.ndarray:
    """Three well-separated Gaussian blobs, 50 points each, in 8 dimensions."""
    rng = np.random.default_rng(0)
    centres = rng.normal(scale=10.0, size=(3, 8))
    return np.concatenate([c + rng.normal(size=(50, 8)) for c in centres])


def _separated(xy: np.ndarray) -> bool:
    """Each blob's points are nearer their own centroid than any other blob's."""
    groups = xy.reshape(3, 50, 2)
    centroids = groups.mean(axis=1)
    nearest = np.argmin(((groups[:, :, None, :] - centroids[None, None]) ** 2).sum(axis=-1), axis=-1)
    return bool((nearest == np.arange(3)[:, None]).mean() > 0.95)


@pytest.mark.parametrize("method", ["pca", "tsne", "umap"])
def test_reducers_are_deterministic_for_a_seed_and_keep_clusters(method: str, blobs: np.ndarray) -> None:
    first = make_reducer(method, random_state=42).fit_transform(blobs)
    second = make_reducer(method, random_state=42).fit_transform(blobs)
    assert first.shape == (150, 2) and first.dtype == np.float64
    np.testing.assert_array_equal(first, second)
    assert _separated(first)


def test_sklearn_like_api(blobs: np.ndarray) -> None:
    pca = make_reducer("pca")
    assert pca.fit(blobs) is pca and pca.embedding_ is not None
    np.testing.assert_allclose(pca.transform(blobs), pca.embedding_)
    assert make_reducer("umap").get_params()["random_state"] == 42
    assert make_reducer("tsne", random_state=3, perplexity=10).get_params()["perplexity"] == 10
    with pytest.raises(InputError, match="lda"):
        make_reducer("lda")
    with pytest.raises(InputError, match="bogus"):
        make_reducer("umap", bogus=1)
    with pytest.raises(InputError, match="too few"):
        make_reducer("pca").fit(blobs[:2])
    with pytest.raises(InputError, match="NaN"):
        make_reducer("pca").fit(np.full((5, 2), np.nan))


def test_cache_hit_returns_the_same_result_without_refitting(
    blobs: np.ndarray, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CHEMSPACE_CACHE_DIR", str(tmp_path))
    assert cache_dir() == tmp_path
    stored, hit = reduce_cached(blobs, "umap", 42)
    assert not hit and cache_path(blobs, "umap", make_reducer("umap").get_params()).exists()
    monkeypatch.setattr(mod, "_fit", lambda *a: pytest.fail("cache miss: refitted"))
    again, hit = reduce_cached(blobs, "umap", 42)
    assert hit
    np.testing.assert_array_equal(again, stored)
    assert not list(tmp_path.rglob("*.part")), "atomic write left a temporary file"


def test_cache_key_covers_data_seed_and_parameters(blobs: np.ndarray) -> None:
    params = make_reducer("tsne").get_params()
    base = cache_path(blobs, "tsne", params)
    assert cache_path(blobs.copy(), "tsne", params) == base
    assert cache_path(blobs + 1e-9, "tsne", params) != base
    assert cache_path(blobs, "tsne", {**params, "random_state": 1}) != base
    assert cache_path(blobs, "tsne", {**params, "perplexity": 5.0}) != base
    assert cache_path(blobs, "umap", make_reducer("umap").get_params()) != base


def test_damaged_cache_file_is_recomputed(blobs: np.ndarray) -> None:
    good = reduce(blobs, "pca")
    path = cache_path(blobs, "pca", make_reducer("pca").get_params())
    path.write_bytes(b"not a numpy file")
    np.testing.assert_array_equal(reduce(blobs, "pca"), good)
    np.testing.assert_array_equal(np.load(path), good)


@pytest.mark.parametrize("method", ["umap", "tsne"])
def test_parallel_fits_hold_the_census_lock(method: str, blobs: np.ndarray, monkeypatch: pytest.MonkeyPatch) -> None:
    """numba's default threading layer aborts on concurrent parallel kernels: fits take PARALLEL_LOCK."""
    seen: list[bool] = []
    if method == "umap":
        umap = mod.load_umap()
        real = umap.UMAP.fit_transform

        def spy(self, *args, **kwargs):
            seen.append(PARALLEL_LOCK.locked())
            return real(self, *args, **kwargs)

        monkeypatch.setattr(umap.UMAP, "fit_transform", spy)
    else:
        import openTSNE

        real = openTSNE.TSNE.fit

        def spy(self, *args, **kwargs):
            seen.append(PARALLEL_LOCK.locked())
            return real(self, *args, **kwargs)

        monkeypatch.setattr(openTSNE.TSNE, "fit", spy)
    make_reducer(method).fit(blobs)
    assert seen == [True] and not PARALLEL_LOCK.locked()


def test_tsne_stops_when_cancelled(blobs: np.ndarray) -> None:
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(CancelledError):
        make_reducer("tsne").fit(blobs, cancel=cancel)


@pytest.fixture(scope="module")
def samples() -> dict[str, list[Composition]]:
    allowed = [parse_formula(f) for f in ("NaCl", "ZnO", "GaAs", "CdTe", "MgF2", "Li3N", "CfO2", "Al2O3")]
    forbidden = [parse_formula(f) for f in ("Fe3Al", "NaCl2", "CuZn", "NoS")]
    return {"allowed": allowed, "forbidden": forbidden}


def test_project_samples_labels_anions_and_skips(samples: dict) -> None:
    proj = project_samples(samples, "magpie", "pca")
    assert proj.skipped == 2 and proj.missing_elements == {"Cf", "No"}  # magpie has no Cf or No
    assert len(proj) == len(proj.formulas) == len(proj.labels) == len(proj.anion_classes) == 10
    assert proj.labels.tolist() == ["allowed"] * 7 + ["forbidden"] * 3
    assert dict(zip(proj.formulas, proj.anion_classes)) == {
        "NaCl": "halide",
        "ZnO": "oxide",
        "GaAs": "pnictide",
        "CdTe": "chalcogenide",
        "MgF2": "halide",
        "Li3N": "pnictide",
        "Al2O3": "oxide",
        "AlFe3": "other",
        "NaCl2": "halide",
        "ZnCu": "other",
    }
    again = project_samples(samples, "magpie", "pca")
    assert again.from_cache and np.array_equal(again.x, proj.x)


def test_project_samples_prefers_the_four_categories(samples: dict) -> None:
    four = {"standard": samples["allowed"][:3], "missing": samples["allowed"][3:6], **samples}
    four["interesting"], four["unlikely"] = samples["forbidden"][:2], samples["forbidden"][2:3]
    proj = project_samples(four, "mat2vec", "pca")
    assert set(proj.labels) == {"standard", "missing", "interesting", "unlikely"}
    assert len(proj) == 9


def test_project_samples_species_embedding_and_cancel(samples: dict) -> None:
    proj = project_samples(samples, "skipspecies", "pca")
    assert set(proj.labels) == {"allowed"}  # forbidden compositions have no allowed oxidation states
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(CancelledError):
        project_samples(samples, "mat2vec", "pca", cancel=cancel)
    with pytest.raises(InputError, match="too few"):
        project_samples({"allowed": samples["allowed"][:2]}, "magpie", "pca")


def test_tsne_neighbours_match_opentsnes_own_exact_search(blobs: np.ndarray) -> None:
    """Our scikit-learn kNN handed over as PrecomputedNeighbors gives openTSNE's own exact affinities."""
    from openTSNE import affinity
    from openTSNE.nearest_neighbors import PrecomputedNeighbors

    idx, dists = mod.exact_knn(blobs, 90, include_self=False)
    assert not (idx == np.arange(len(blobs))[:, None]).any()  # a point is never its own neighbour
    ours = affinity.PerplexityBasedNN(perplexity=30, knn_index=PrecomputedNeighbors(idx, dists.astype(float)))
    theirs = affinity.PerplexityBasedNN(blobs, perplexity=30, method="exact", random_state=0)
    np.testing.assert_allclose(ours.P.toarray(), theirs.P.toarray(), atol=1e-6)


def test_warm_up_loads_umap_kernels_with_the_disk_cache_on() -> None:
    """After warm_up, UMAP's kernels are compiled (or loaded) and numba caches them on disk."""
    from numba.core.caching import NullCache

    mod.warm_up(("umap", "tsne"))
    for module, attr in mod.UMAP_KERNELS:
        kernel = getattr(__import__(module, fromlist=[attr]), attr)
        assert not isinstance(kernel._cache, NullCache), f"{module}.{attr} is not disk-cached"
    layout = __import__("umap.layouts", fromlist=["x"])._nb_optimize_layout_euclidean_single_epoch
    assert layout.signatures, "the layout kernel did not run during the warm-up"
