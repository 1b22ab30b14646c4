"""Embeddings against ElementEmbeddings itself, anion classes, reductions, figures and `project`."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from chemspace.core.anions import anion_class
from chemspace.core.census import CensusSettings, run_census
from chemspace.core.composition import Composition, parse_formula
from chemspace.core.embeddings import STATS, embed
from chemspace.core.errors import InputError
from chemspace.core.figures import draw
from chemspace.core.reduce import project_samples, reduce
from chemspace.tui.cli import app


@pytest.fixture(scope="module")
def samples() -> dict[str, list[Composition]]:
    census = run_census(CensusSettings(arities=(2, 3), samples=60, seed=3))
    return {
        label: census.arities[2].samples[label] + census.arities[3].samples[label] for label in ("allowed", "forbidden")
    }


@pytest.mark.parametrize("embedding", ["magpie", "mat2vec", "megnet16", "oliynyk", "skipatom", "random_200"])
def test_embedding_equals_elementembeddings(samples: dict, embedding: str) -> None:
    """Every statistic matches CompositionalEmbedding(...).feature_vector(stats) to 1e-6."""
    from elementembeddings.composition import CompositionalEmbedding

    comps = samples["allowed"][:25] + samples["forbidden"][:25]
    stats = [s for s in STATS if not (embedding != "random_200" and s in ("geometric_mean", "harmonic_mean"))]
    ours = embed(comps, embedding, stats)
    kept = [c for c, k in zip(comps, ours.kept) if k]
    assert len(kept) + ours.skipped == len(comps)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for comp, vec in zip(kept, ours.vectors):
            ref = CompositionalEmbedding(comp.formula, embedding).feature_vector(stats)
            np.testing.assert_allclose(vec, ref, rtol=1e-6, atol=1e-6)


def test_missing_elements_are_skipped_not_zero_filled() -> None:
    comps = [parse_formula("NaCl"), parse_formula("LrO"), parse_formula("ZnO")]
    out = embed(comps, "magpie")
    assert out.kept.tolist() == [True, "Lr" not in out.missing_elements, True]
    assert out.vectors.shape[0] == int(out.kept.sum())
    with pytest.raises(InputError, match="nosuch"):
        embed(comps, "nosuch")


@pytest.mark.parametrize(
    ("formula", "cls"),
    [
        ("ZnO", "oxide"),
        ("GaSb", "pnictide"),
        ("NaCl", "halide"),
        ("CuFeS2", "chalcogenide"),
        ("Fe3Al", "other"),
        ("Li2ZnSn3O8", "oxide"),
        ("KBrO3", "oxide"),
        ("CsPbI3", "halide"),
    ],
)
def test_anion_class(formula: str, cls: str) -> None:
    assert anion_class(parse_formula(formula)) == cls


def test_anion_rule_is_configurable() -> None:
    assert anion_class(parse_formula("NaCl"), {"Cl": "chloride"}) == "chloride"
    assert anion_class(parse_formula("ZnO"), {"Cl": "chloride"}) == "other"


@pytest.mark.parametrize("method", ["pca", "tsne", "umap"])
def test_reduction_is_deterministic_and_cached(method: str, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(120, 8))
    first = reduce(x, method, random_state=42, use_cache=False)
    again = reduce(x, method, random_state=42, use_cache=False)
    np.testing.assert_allclose(first, again)
    assert first.shape == (120, 2)
    stored = reduce(x, method, random_state=42)
    import chemspace.core.reduce as mod

    monkeypatch.setattr(mod, "_fit", lambda *a: pytest.fail("cache miss: refitted"))
    np.testing.assert_allclose(reduce(x, method, random_state=42), stored)


def test_project_samples_labels_and_anions(samples: dict) -> None:
    proj = project_samples(samples, "magpie", "pca")
    n = len(samples["allowed"]) + len(samples["forbidden"]) - proj.skipped
    assert len(proj.x) == len(proj.formulas) == len(proj.labels) == n
    assert set(proj.labels) == {"allowed", "forbidden"}
    assert set(proj.anion_classes) <= {"pnictide", "halide", "chalcogenide", "oxide", "other"}


@pytest.mark.parametrize("suffix", [".png", ".svg"])
def test_figure_files_are_valid_images(samples: dict, tmp_path: Path, suffix: str) -> None:
    proj = project_samples(samples, "magpie", "pca")
    path = tmp_path / f"fig{suffix}"
    draw([proj, proj, proj], path, "anion", columns=3)
    if suffix == ".png":
        with Image.open(path) as img:
            assert img.format == "PNG" and img.size == (900, 300)
    else:
        text = path.read_text()
        assert text.lstrip().startswith("<?xml") and "<svg" in text and 'width="648pt"' in text


def test_project_command_writes_columns(tmp_path: Path) -> None:
    out = tmp_path / "proj.csv"
    result = CliRunner().invoke(
        app, ["project", "--arity", "2", "--samples", "40", "--out", str(out), "--figure", str(tmp_path / "p.png")]
    )
    assert result.exit_code == 0, result.output
    lines = out.read_text().splitlines()
    assert lines[0] == '"formula","category","anion_class","x","y"'
    assert len(lines) > 60 and (tmp_path / "p.png").stat().st_size > 1000


def test_project_command_rejects_bad_names(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["project", "--out", str(tmp_path / "p.csv"), "--reducer", "lda"])
    assert result.exit_code == 1 and "lda" in result.output
