"""Materials Project download against the stand-in server on 127.0.0.1, through the CLI in-process.

Covers: a full paginated fetch, transient failures retried (503 and 429), a page failing for good
(clear one-line error, previous cache byte-identical) and a rejected key (one line, never echoed).
test_known_mp_api.py checks the stand-in's answers against mp-api's own client.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chemspace.core.composition import Composition, parse_formula
from chemspace.core.known import cached_names, load_set
from chemspace.core.mp_client import FIELDS, PAGE_SIZE, fetch_materials_project
from chemspace.tui.cli import app

from mp_server import GOOD_KEY, MPState, make_docs, mp_server

TABLE1_MP = ["ZnO", "ZnO2", "LiZnO2", "Li6ZnO4", "Li2ZnSn3O8", "LiZn4SnO8", "LiZn4(SnO2)4"]
#: 2 507 documents: three pages of 1 000, the last partial; 7 single elements; two polymorphs of ZnO.
NACL = [f"Na{n}Cl" for n in range(1, 9)] * 311
FORMULAS = [*TABLE1_MP, "ZnO", *NACL, *["Fe"] * 7, "LiFePO4", "H2O", "Li2O", "SnO2"]


def _fetch(url: str, key: str = GOOD_KEY) -> object:
    return CliRunner().invoke(app, ["known", "fetch", "--endpoint", url], env={"MP_API_KEY": key})


def _summary_requests(state: MPState) -> list[str]:
    return [r for r in state.requests if r.startswith("/materials/summary/")]


def _cache_file() -> Path:
    return Path(os.environ["CHEMSPACE_DATA_DIR"]) / "known" / "mp.json"


def test_full_paginated_fetch() -> None:
    """Every page once, 1 000 per request, restricted fields, a criterion; the set is cached whole."""
    state = MPState(make_docs(FORMULAS), db_version="2023.11.1")
    with mp_server(state) as url:
        result = _fetch(url)
    assert result.exit_code == 0, result.output
    pages = _summary_requests(state)
    assert len(FORMULAS) == 2507 and len(pages) == 3 == -(-len(FORMULAS) // PAGE_SIZE)
    assert [f"_skip={skip}" in r for r, skip in zip(pages, (0, 1000, 2000))] == [True] * 3
    assert all(f"_limit={PAGE_SIZE}" in r and "deprecated=false" in r for r in pages)
    assert all("_fields=" + "%2C".join(FIELDS) in r for r in pages)
    assert GOOD_KEY not in result.output
    assert "2,500 entries" in result.stderr and "2023.11.1" in result.stderr

    known = load_set("mp")
    assert known.version == "2023.11.1" and known.date
    assert known.entry_count == len(FORMULAS) - 7 and known.outside == {"single element": 7}
    zno = known.entries[parse_formula("ZnO")]
    assert [e.id for e in zno] == ["mp-1", "mp-8"]
    first = make_docs(FORMULAS)[0]
    assert (zno[0].energy_above_hull, zno[0].is_stable, zno[0].theoretical) == (
        first["energy_above_hull"],
        first["is_stable"],
        first["theoretical"],
    )
    # "LiZn4(SnO2)4" as MP writes it is the composition Li1Zn4Sn4O8
    li_zn4_sn4_o8 = Composition.from_counts({"Li": 1, "Zn": 4, "Sn": 4, "O": 8})
    assert [e.formula for e in known.entries[li_zn4_sn4_o8]] == ["LiZn4(SnO2)4"]
    assert not list(_cache_file().parent.glob("*.part"))


def test_progress_callback_reaches_the_total() -> None:
    seen: list[tuple[int, int]] = []
    with mp_server(MPState(make_docs(FORMULAS))) as url:
        fetch_materials_project(GOOD_KEY, url, on_progress=lambda done, total: seen.append((done, total)))
    assert seen == [(1000, 2507), (2000, 2507), (2507, 2507)]


@pytest.mark.parametrize("status", [503, 429])
def test_transient_failures_are_retried(status: int) -> None:
    state = MPState(make_docs(FORMULAS), fail_skips={1000: 2}, fail_status=status)
    with mp_server(state) as url:
        known = fetch_materials_project(GOOD_KEY, url, backoff=0.01)
    assert known.entry_count == len(FORMULAS) - 7
    assert sum("_skip=1000" in r for r in _summary_requests(state)) == 3  # two failures, then the page


def test_failure_midway_is_one_clear_line_and_keeps_the_old_cache() -> None:
    with mp_server(MPState(make_docs(["ZnO", "NaCl"]))) as url:
        assert _fetch(url).exit_code == 0
    before = _cache_file().read_bytes()

    state = MPState(make_docs(FORMULAS), fail_skips={1000: 10**6})
    with mp_server(state) as url:
        result = _fetch(url)
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        "error: Materials Project request for /materials/summary/ failed after 3 attempts (HTTP 503)"
    ]
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert sum("_skip=1000" in r for r in _summary_requests(state)) == 3  # bounded: retries, then stop
    assert not any("_skip=2000" in r for r in state.requests)
    assert _cache_file().read_bytes() == before
    assert not list(_cache_file().parent.glob("*.part"))


def test_server_gone_is_a_clear_error() -> None:
    with mp_server(MPState(make_docs(["ZnO"]))) as url:
        pass  # closed: the port now refuses connections
    result = CliRunner().invoke(app, ["known", "fetch", "--endpoint", url, "--api-key", GOOD_KEY])
    assert result.exit_code == 1
    assert (
        result.stderr.strip()
        == "error: Materials Project request for /heartbeat failed after 3 attempts (ConnectionError)"
    )
    assert cached_names() == []


def test_rejected_key_is_one_line_and_never_echoed() -> None:
    bad = "Zq" * 16
    state = MPState(make_docs(["ZnO"]))
    with mp_server(state) as url:
        result = CliRunner().invoke(app, ["known", "fetch", "--endpoint", url, "--api-key", bad])
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == ["error: the Materials Project rejected the API key (HTTP 401)"]
    assert bad not in result.output and "Traceback" not in result.output
    assert len(_summary_requests(state)) == 1  # a rejected key is not retried
    assert cached_names() == []


@pytest.mark.parametrize("key", ["short", "", None])
def test_missing_or_malformed_key(key: str | None) -> None:
    args = ["known", "fetch", "--endpoint", "http://127.0.0.1:9/"] + (["--api-key", key] if key else [])
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1 and len(result.stderr.strip().splitlines()) == 1
    assert ("32 characters" if key else "MP_API_KEY") in result.stderr
    assert key is None or key == "" or key not in result.stderr
