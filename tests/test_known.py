"""Known-materials sets: MP fetch against a local stand-in server, imports, the store, categories."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chemspace.core.composition import parse_formula
from chemspace.core.errors import InputError
from chemspace.core.known import cached_names, import_file, load_set, resolve_known
from chemspace.core.mp_client import fetch_materials_project
from chemspace.core.system import system_rows
from chemspace.tui.cli import app

from mp_server import GOOD_KEY, MPState, make_docs, mp_server

TABLE1_KNOWN = ["ZnO", "ZnO2", "LiZnO2", "Li6ZnO4", "Li2ZnSn3O8", "LiZn4SnO8", "LiZn4(SnO2)4"]
FORMULAS = TABLE1_KNOWN + [f"Na{n}Cl" for n in range(1, 9)] * 300 + ["Fe", "NaCl", "LiFePO4", "H2O"] * 100


def _run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "COLUMNS": "200", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "chemspace.tui", *args], capture_output=True, text=True, env=full_env, timeout=120
    )


def test_full_paginated_fetch_through_the_cli() -> None:
    """`known fetch` pages through every document, records the database version and caches atomically."""
    state = MPState(make_docs(FORMULAS))
    with mp_server(state) as url:
        proc = _run("known", "fetch", "--endpoint", url, env={"MP_API_KEY": GOOD_KEY})
    assert proc.returncode == 0, proc.stderr
    assert GOOD_KEY not in proc.stdout + proc.stderr
    pages = [r for r in state.requests if r.startswith("/materials/summary/")]
    assert len(pages) == -(-len(FORMULAS) // 1000)  # ceil: every page once, 1000 per request
    assert all("_fields=material_id" in r and "deprecated=false" in r for r in pages)
    known = load_set("mp")
    assert known.version == "2023.11.1"
    assert parse_formula("LiZn4Sn4O8") in known and parse_formula("Na3Cl") in known
    assert known.outside == {"single element": 100}
    assert sum(len(v) for v in known.entries.values()) == len(FORMULAS) - 100
    assert not list((Path(os.environ["CHEMSPACE_DATA_DIR"]) / "known").glob("*.part"))
    listing = _run("known", "list")
    assert "mp" in listing.stdout and "2023.11.1" in listing.stdout


def test_transient_failure_is_retried() -> None:
    state = MPState(make_docs(FORMULAS), fail_skips={1000: 2})
    with mp_server(state) as url:
        known = fetch_materials_project(GOOD_KEY, url, backoff=0.01)
    pages = -(-len(FORMULAS) // 1000)
    assert len(known) > 0 and sum(r.startswith("/materials/summary/?") for r in state.requests) == pages + 2


def test_failure_midway_leaves_the_old_cache_whole() -> None:
    """A page that keeps failing: a clear one-line error, and the previously cached set is untouched."""
    with mp_server(MPState(make_docs(["ZnO", "NaCl"]))) as url:
        assert _run("known", "fetch", "--endpoint", url, env={"MP_API_KEY": GOOD_KEY}).returncode == 0
    before = (Path(os.environ["CHEMSPACE_DATA_DIR"]) / "known" / "mp.json").read_bytes()
    state = MPState(make_docs(FORMULAS), fail_skips={2000: 99})
    with mp_server(state) as url:
        proc = _run("known", "fetch", "--endpoint", url, env={"MP_API_KEY": GOOD_KEY})
    assert proc.returncode == 1
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "failed after 3 attempts" in lines[0] and "Traceback" not in proc.stderr
    assert (Path(os.environ["CHEMSPACE_DATA_DIR"]) / "known" / "mp.json").read_bytes() == before


def test_rejected_key_is_one_line_and_never_printed() -> None:
    bad = "x" * 32
    with mp_server(MPState(make_docs(["ZnO"]))) as url:
        proc = _run("known", "fetch", "--endpoint", url, "--api-key", bad)
    assert proc.returncode == 1
    assert [line for line in proc.stderr.splitlines() if line.strip()] == [
        "error: the Materials Project rejected the API key (HTTP 401)"
    ]
    assert bad not in proc.stdout + proc.stderr
    short = _run("known", "fetch", "--endpoint", "http://127.0.0.1:9/", "--api-key", "abc")
    assert short.returncode == 1 and "32 characters" in short.stderr and "abc" not in short.stderr
    assert cached_names() == []


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("list.txt", "# Table 1\n" + "\n".join(TABLE1_KNOWN) + "\n"),
        ("list.csv", "id,formula\n" + "\n".join(f"icsd-{i},{f}" for i, f in enumerate(TABLE1_KNOWN)) + "\n"),
        ("list.json", json.dumps([{"id": i, "formula": f} for i, f in enumerate(TABLE1_KNOWN)])),
    ],
)
def test_import_formats_give_table1(tmp_path: Path, name: str, content: str) -> None:
    """Imported sets reproduce the paper's Table 1 in the system view."""
    path = tmp_path / name
    path.write_text(content)
    result = CliRunner().invoke(app, ["known", "import", str(path), "--name", "t1"])
    assert result.exit_code == 0, result.output
    rows = {r.formula: r.category for r in system_rows("Li-Zn-Sn-O", known=resolve_known("t1"))}
    expected = {
        "standard": ["ZnO", "ZnO2", "LiZnO2", "Li6ZnO4", "Li2ZnSn3O8"],
        "missing": ["Zn2O", "LiZnO", "LiZnSnO2"],
        "interesting": ["LiZn4SnO8", "LiZn4Sn4O8"],
        "unlikely": ["ZnO3", "LiZnO4", "LiZnSnO"],
    }
    for category, formulas in expected.items():
        assert all(rows[f] == category for f in formulas), category


def test_malformed_formula_reports_its_line_and_caches_nothing(tmp_path: Path) -> None:
    path = tmp_path / "bad.txt"
    path.write_text("ZnO\nNaCl\nLi2Qx3\n")
    with pytest.raises(InputError, match="line 3"):
        import_file(path)
    result = CliRunner().invoke(app, ["known", "import", str(path)])
    assert result.exit_code == 1 and cached_names() == []


def test_known_option_values(tmp_path: Path) -> None:
    assert resolve_known("none") is None and resolve_known(None) is None
    with pytest.raises(InputError, match="known fetch"):
        resolve_known("mp")
    with pytest.raises(InputError, match="nosuch"):
        resolve_known("nosuch")
    path = tmp_path / "k.txt"
    path.write_text("ZnO\n")
    assert parse_formula("ZnO") in resolve_known(str(path))


def test_census_json_reports_categories_with_a_known_set(tmp_path: Path) -> None:
    path = tmp_path / "k.txt"
    path.write_text("\n".join([*TABLE1_KNOWN, "Zn9O"]))
    result = CliRunner().invoke(app, ["census", "--arity", "2", "--samples", "5", "--known", str(path), "--json"])
    doc = json.loads(result.stdout)["arities"]["2"]
    assert (doc["known"], doc["standard"], doc["interesting"]) == (2, 2, 0)
    assert doc["missing"] == 13_464 - 2 and doc["known_outside"] == {"coefficient above max stoichiometry": 1}
