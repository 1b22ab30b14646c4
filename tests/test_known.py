"""Known-materials sets end to end in a real process (``python -m chemspace.tui``): fetch, list, key hygiene,
and the census's categories. The in-process details are in test_known_mp.py and test_known_import.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from chemspace.core.composition import parse_formula
from chemspace.core.known import cached_names, load_set
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


def test_census_json_reports_categories_with_a_known_set(tmp_path: Path) -> None:
    path = tmp_path / "k.txt"
    path.write_text("\n".join([*TABLE1_KNOWN, "Zn9O"]))
    result = CliRunner().invoke(app, ["census", "--arity", "2", "--samples", "5", "--known", str(path), "--json"])
    doc = json.loads(result.stdout)["arities"]["2"]
    assert (doc["known"], doc["standard"], doc["interesting"]) == (2, 2, 0)
    assert doc["missing"] == 13_464 - 2 and doc["known_outside"] == {"coefficient above max stoichiometry": 1}
