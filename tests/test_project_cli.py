"""`chemspace-tui project` end to end: columns, formats, figures of the right size, one-line errors."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from PIL import Image
from typer.testing import CliRunner

from chemspace.core.composition import parse_formula
from chemspace.core.embeddings import embed
from chemspace.core.figures import common_samples, draw
from chemspace.core.reduce import project_samples
from chemspace.tui.cli import app

runner = CliRunner()
COLUMNS = ["formula", "category", "anion_class", "x", "y"]


def invoke(*args: str):
    return runner.invoke(app, ["project", *args])


def test_csv_has_the_columns_and_every_sample(tmp_path: Path) -> None:
    out = tmp_path / "binary.csv"
    result = invoke("--arity", "2", "--samples", "50", "--seed", "3", "--known", "none", "--out", str(out))
    assert result.exit_code == 0, result.output
    table = pacsv.read_csv(out)
    assert table.column_names == COLUMNS
    labels = table.column("category").to_pylist()
    assert set(labels) == {"allowed", "forbidden"}
    skipped = 100 - table.num_rows
    assert 0 <= skipped < 30 and (skipped == 0 or "skipped" in result.output)
    assert set(table.column("anion_class").to_pylist()) <= {"pnictide", "halide", "chalcogenide", "oxide", "other"}
    assert all(len(f) >= 2 for f in table.column("formula").to_pylist())
    assert np.isfinite(table.column("x").to_numpy()).all()


def test_parquet_is_deterministic_for_a_seed(tmp_path: Path) -> None:
    a, b = tmp_path / "a.parquet", tmp_path / "b.parquet"
    for out in (a, b):
        result = invoke(
            "--samples", "40", "--seed", "5", "--known", "none", "--embedding", "mat2vec", "--out", str(out)
        )
        assert result.exit_code == 0, result.output
    ta, tb = pq.read_table(a), pq.read_table(b)
    assert ta.column_names == COLUMNS and ta.equals(tb)


def test_figure_png_has_the_panel_size(tmp_path: Path) -> None:
    fig = tmp_path / "fig.png"
    args = ["--samples", "40", "--known", "none", "--colour", "anion", "--figure", str(fig)]
    result = invoke(*args, "--out", str(tmp_path / "p.csv"))
    assert result.exit_code == 0, result.output
    with Image.open(fig) as img:
        img.verify()
    with Image.open(fig) as img:
        assert img.format == "PNG" and img.size == (600, 600)


def _panels_samples():
    allowed = [parse_formula(f) for f in ("NaCl", "ZnO", "GaAs", "CdTe", "MgF2", "Li3N", "Al2O3", "KBr")]
    forbidden = [parse_formula(f) for f in ("Fe3Al", "NaCl2", "CuZn", "TiAl3")]
    return {"allowed": allowed, "forbidden": forbidden}


@pytest.mark.parametrize("suffix", [".png", ".svg"])
def test_grid_figure_is_a_valid_image_of_the_grid_size(tmp_path: Path, suffix: str) -> None:
    """6 embeddings x 3 panels as the paper's grid: 1800 x 3600 px (PNG) or 648 x 1296 pt (SVG)."""
    proj = project_samples(_panels_samples(), "magpie", "pca")
    path = tmp_path / f"grid{suffix}"
    draw([proj] * 18, path, "category", columns=3)
    if suffix == ".png":
        with Image.open(path) as img:
            assert img.format == "PNG" and img.size == (1800, 3600)
    else:
        root = ET.parse(path).getroot()
        assert root.tag.endswith("svg")
        assert (root.get("width"), root.get("height")) == ("648pt", "1296pt")


def test_grid_end_to_end_with_every_reducer(tmp_path: Path) -> None:
    """--grid runs the six paper embeddings x PCA/t-SNE/UMAP (small samples) and draws 18 panels on the
    same compositions; --out gets every panel's points with panel columns, here also the --embedding asked
    for, a species embedding outside the grid; stderr (not a terminal) tells each stage."""
    fig, out = tmp_path / "grid.png", tmp_path / "g.csv"
    args = ["--samples", "20", "--known", "none", "--grid", "--figure", str(fig), "--out", str(out), "--dpi", "50"]
    result = invoke(*args, "--embedding", "skipspecies")
    assert result.exit_code == 0, result.output
    with Image.open(fig) as img:
        assert img.size == (3 * 150, 6 * 150)  # --dpi 50: 150 px per 3-inch panel
    table = pacsv.read_csv(out).to_pandas()
    assert list(table.columns) == ["embedding", "reducer", *COLUMNS]
    panels = table.groupby(["embedding", "reducer"])["formula"].apply(frozenset)
    assert len(panels) == 19
    grid = panels.drop(("skipspecies", "pca"))
    assert len(set(grid)) == 1  # every grid panel holds the same compositions
    # species vectors need the oxidation states that make a composition allowed: forbidden ones are skipped
    assert set(table[table.embedding == "skipspecies"].category) == {"allowed"}
    assert "skipped" in result.output
    dropped = int(re.search(r"dropped ([\d,]+)", result.output).group(1).replace(",", ""))
    assert dropped == 40 - len(next(iter(grid)))
    assert "projection 1/19: magpie + pca" in result.output and "census counted in " in result.output


def test_common_samples_keep_what_every_embedding_represents() -> None:
    samples = {"allowed": [parse_formula("NaCl"), parse_formula("CfO2"), parse_formula("ZnO")], "forbidden": []}
    kept, dropped = common_samples(samples, ["magpie", "mat2vec"])
    missing = {e: embed(samples["allowed"], e).kept.tolist() for e in ("magpie", "mat2vec")}
    expected = [c for c, a, b in zip(samples["allowed"], missing["magpie"], missing["mat2vec"]) if a and b]
    assert kept["allowed"] == expected and dropped == 3 - len(expected) and dropped >= 1  # magpie has no Cf


def test_legend_is_readable_beside_a_600_px_panel(tmp_path: Path) -> None:
    """The legend's markers are drawn at 7 pt: about 19 px at 200 dpi (they were 4 pt, 11 px)."""
    path = tmp_path / "legend.png"
    draw([project_samples(_panels_samples(), "magpie", "pca")], path, "category")
    with Image.open(path) as img:
        pixels = np.asarray(img.convert("RGB"))
    bottom = pixels[-90:]  # below the axes: the legend
    purple = np.all(np.abs(bottom.astype(int) - [150, 100, 230]) < 8, axis=-1)  # "allowed"
    rows = np.flatnonzero(purple.any(axis=1))
    assert rows.size and rows.max() - rows.min() + 1 >= 15


def test_dpi_out_of_range_is_one_line(tmp_path: Path) -> None:
    result = invoke("--figure", str(tmp_path / "f.png"), "--dpi", "5")
    assert result.exit_code == 1 and "--dpi 5" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--reducer", "lda"], "lda"),
        (["--embedding", "word2vec"], "word2vec"),
        (["--colour", "rainbow"], "rainbow"),
        (["--arity", "two"], "two"),
        (["--arity", "2,3"], "one arity"),
        (["--arity", "9"], "arity"),
        (["--figure", "fig.jpg"], "fig.jpg"),
        (["--grid"], "--figure"),
        (["--oxidation-states", "nosuch"], "nosuch"),
        (["--samples", "1"], "too few"),
        (["--stats", "mean,median"], "median"),
    ],
)
def test_bad_input_is_one_line_and_exit_1(tmp_path: Path, args: list[str], message: str) -> None:
    result = invoke("--known", "none", "--out", str(tmp_path / "p.csv"), *args)
    assert result.exit_code == 1, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and message in lines[0], result.output
    assert "Traceback" not in result.output and not (tmp_path / "p.csv").exists()


def test_bad_output_suffix(tmp_path: Path) -> None:
    result = invoke("--known", "none", "--out", str(tmp_path / "p.txt"))
    assert result.exit_code == 1 and result.output.startswith("error:") and ".csv or .parquet" in result.output


def test_stats_option_pools_with_those_statistics(tmp_path: Path) -> None:
    """--stats mean,maxpool gives exactly what the core's project_samples gives with those statistics."""
    from chemspace.core.census import CensusSettings, run_census
    from chemspace.core.reduce import project_samples

    out = tmp_path / "s.csv"
    args = ["--samples", "30", "--seed", "4", "--known", "none", "--stats", "mean, maxpool", "--out", str(out)]
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    table = pacsv.read_csv(out)
    samples = run_census(CensusSettings(arities=(2,), samples=30, seed=4)).arities[2].samples
    pooled = project_samples(samples, "magpie", "pca", random_state=4, stats=("mean", "maxpool"))
    plain = project_samples(samples, "magpie", "pca", random_state=4)
    assert table.column("formula").to_pylist() == pooled.formulas
    np.testing.assert_allclose(table.column("x").to_numpy(), pooled.x)
    assert not np.allclose(pooled.x, plain.x)


def test_figure_alone_needs_no_table_and_nothing_at_all_is_an_error(tmp_path: Path) -> None:
    fig = tmp_path / "only.png"
    result = runner.invoke(app, ["project", "--samples", "20", "--known", "none", "--figure", str(fig)])
    assert result.exit_code == 0, result.output
    with Image.open(fig) as img:
        assert img.format == "PNG"
    assert list(tmp_path.iterdir()) == [fig]
    result = runner.invoke(app, ["project", "--samples", "20", "--known", "none"])
    assert result.exit_code == 1 and result.output.startswith("error: nothing to write")
