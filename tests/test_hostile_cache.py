"""Damaged projection-cache entries: every unreadable or implausible one is recomputed and replaced."""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from chemspace.core.reduce import cache_path, make_reducer, reduce_cached
from chemspace.tui.cli import app


def _npy(array: np.ndarray) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        with path.open("wb") as handle:
            np.save(handle, array, allow_pickle=True)

    return write


@pytest.fixture
def points() -> np.ndarray:
    return np.random.default_rng(0).normal(size=(40, 5))


DAMAGE: dict[str, Callable[[Path], None]] = {
    "empty file": lambda p: p.write_bytes(b""),
    "truncated": lambda p: p.write_bytes(b"\x93NUMPY\x01\x00v\x00{'descr': '<f8', 'fortran_order': False, 'shape"),
    "not numpy": lambda p: p.write_bytes(b"not a numpy file"),
    "pickle": lambda p: p.write_bytes(pickle.dumps({"x": 1})),
    "object array": _npy(np.array([[object(), 1]] * 40, dtype=object)),
    "strings": _npy(np.full((40, 2), "x")),
    "integers": _npy(np.zeros((40, 2), dtype=np.int64)),
    "complex": _npy(np.zeros((40, 2), dtype=np.complex128)),
    "NaN": _npy(np.full((40, 2), np.nan)),
    "infinity": _npy(np.full((40, 2), np.inf)),
    "wrong shape": _npy(np.zeros((39, 2))),
    "directory": lambda p: p.mkdir(),
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_damaged_entry_is_recomputed_and_replaced(damage: str, points: np.ndarray) -> None:
    good, hit = reduce_cached(points, "pca", 42)
    assert not hit
    path = cache_path(points, "pca", make_reducer("pca", 42).get_params())
    path.unlink()
    DAMAGE[damage](path)
    again, hit = reduce_cached(points, "pca", 42)
    assert not hit and again.dtype == np.float64
    np.testing.assert_allclose(again, good)
    if path.is_file():  # a directory in the way cannot be replaced: the result is still returned
        np.testing.assert_allclose(np.load(path), good)
        assert reduce_cached(points, "pca", 42)[1]  # and the replacement is a hit


def test_project_command_survives_an_empty_cache_file(tmp_path: Path) -> None:
    """The audit's case: a 0-byte cache file made `project` print only 'Aborted.'."""
    out = tmp_path / "p.csv"
    args = ["project", "--arity", "2", "--samples", "20", "--known", "none", "--out", str(out)]
    first = CliRunner().invoke(app, args)
    assert first.exit_code == 0, first.output
    before = out.read_text()
    entries = list(Path(os.environ["CHEMSPACE_CACHE_DIR"]).rglob("pca-*.npy"))
    assert entries
    for entry in entries:
        entry.write_bytes(b"")
    again = CliRunner().invoke(app, [*args, "--force"])  # the same output again, asked for
    assert again.exit_code == 0, again.output
    assert out.read_text() == before and all(entry.stat().st_size > 0 for entry in entries)
