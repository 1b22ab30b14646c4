"""`known fetch --provider`: OPTIMADE databases, through the command line, against servers on 127.0.0.1.

The real reference server (optimade-python-tools, its bundled structures) checks the product against
what the field's own implementation serves; the stand-in serves thousands of generated structures in
many pages to check paging, progress, cancel, retries, bounds and all-or-nothing caching. Expected
compositions come from pymatgen, never from our parser.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import random
import threading
from functools import reduce
from pathlib import Path

import pytest
import requests
from pymatgen.core import Composition as PmgComposition
from typer.testing import CliRunner

from chemspace.core.errors import CancelledError, InputError
from chemspace.core.fetch_journal import journal_path
from chemspace.core.known import NO_COMPOSITION, cached_names, load_set, save_set
from chemspace.core.optimade_client import (
    FetchLimits,
    Provider,
    fetch_optimade,
    providers,
    resolve_provider,
)
from chemspace.tui.cli import app

from optimade_servers import REFERENCE_DATA, StandIn, reference_server, standin_server, structure


def _cli(*args: str) -> object:
    return CliRunner().invoke(app, list(args))


def _pmg_key(amounts: dict[str, float]) -> frozenset:
    """A composition as pymatgen reduces it: the independent expectation."""
    formula, _ = PmgComposition(amounts).get_integer_formula_and_factor()
    counts = {el: round(n) for el, n in PmgComposition(formula).get_el_amt_dict().items()}
    g = reduce(math.gcd, counts.values())  # pymatgen keeps peroxides whole (Li2O2); the space does not
    return frozenset((el, n // g) for el, n in counts.items())


def _keys(known) -> set[frozenset]:
    return {frozenset(c.as_dict().items()) for c in known.entries}


def _one_line_error(result) -> str:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


# -- the real reference server ------------------------------------------------------------------


@pytest.fixture(scope="module")
def reference_url() -> str:
    """optimade-python-tools' reference server as shipped (no id, no reduced formula in its data)."""
    with reference_server() as url:
        yield url


def _reference_expectation() -> tuple[set[frozenset], int]:
    docs = json.loads(REFERENCE_DATA.read_text())
    inside = [d for d in docs if 2 <= d["nelements"] <= 6]
    return {_pmg_key(dict(zip(d["elements"], d["elements_ratios"]))) for d in inside}, len(inside)


def test_reference_server_end_to_end(reference_url: str) -> None:
    """Fetch in pages of 3 through the CLI; the set holds what the server holds, with its provenance."""
    result = _cli("known", "fetch", "--provider", reference_url, "--name", "ref", "--page-limit", "3")
    assert result.exit_code == 0, result.output
    expected, n_structures = _reference_expectation()
    known = load_set("ref")
    assert _keys(known) == expected
    assert known.entry_count == n_structures
    info = requests.get(f"{reference_url}/v1/info", timeout=30).json()["data"]["attributes"]
    assert (known.provider, known.base_url, known.api_version) == ("127.0.0.1", reference_url, info["api_version"])
    assert known.date and f"{n_structures} structures" in result.stderr

    listing = CliRunner().invoke(app, ["known", "list"], env={"COLUMNS": "200"})
    assert listing.exit_code == 0 and reference_url in listing.stdout and info["api_version"] in listing.stdout


def test_reference_set_labels_a_system(reference_url: str) -> None:
    """The fetched set works wherever --known does: Ac2O3 from the server is a known Ac-O compound."""
    assert _cli("known", "fetch", "--provider", reference_url, "--name", "ref").exit_code == 0
    result = _cli("system", "Ac-O", "--known", "ref", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = {r["formula"]: r for r in json.loads(result.stdout)}
    assert rows["Ac2O3"]["known"] is True and rows["AcO"]["known"] is False


def test_reference_server_with_ids_and_formulas() -> None:
    """Configured as the package's example (task_id as id, pretty_formula as the reduced formula)."""
    docs = {d["task_id"]: d for d in json.loads(REFERENCE_DATA.read_text()) if 2 <= d["nelements"] <= 6}
    with reference_server(aliases=True) as url:
        known = fetch_optimade(url, name="ref_ids")
    got = {e.id: (frozenset(c.as_dict().items()), e.formula) for c, rows in known.entries.items() for e in rows}
    assert set(got) == set(docs)
    for ident, (key, formula) in got.items():
        assert key == _pmg_key(dict(zip(docs[ident]["elements"], docs[ident]["elements_ratios"])))
        assert formula == docs[ident]["pretty_formula"]


# -- the paging stand-in ------------------------------------------------------------------------

POOL = ["Li", "Na", "Mg", "Al", "Si", "Ti", "Fe", "Cu", "Zn", "Sn", "O", "S", "F", "Cl", "N", "Se"]


def _generated(n: int = 3000, seed: int = 7) -> tuple[list[dict], set[frozenset], int]:
    """``n`` structures (polymorphs, both formula routes, some outside the filter, some unusable)."""
    rng = random.Random(seed)
    docs, expected, unusable = [], set(), 0
    for i in range(n):
        k = rng.choice([1, 2, 2, 3, 3, 4, 5, 6, 7])
        counts = {s: rng.randint(1, 8) for s in rng.sample(POOL, k)}
        g = reduce(math.gcd, counts.values())
        strict = "".join(s + (str(c // g) if c // g > 1 else "") for s, c in sorted(counts.items()))
        doc = structure(f"gen-{i}", counts, strict if i % 2 else None)
        if 2 <= k <= 6:
            if i % 97 == 0:  # neither a formula nor ratios: counted, not guessed
                doc["attributes"]["elements_ratios"] = None
                doc["attributes"]["chemical_formula_reduced"] = None
                unusable += 1
            else:
                expected.add(_pmg_key(counts))
        docs.append(doc)
        if i % 10 == 0 and 2 <= k <= 6 and i % 97:  # a polymorph of the same composition
            docs.append(structure(f"gen-{i}-b", counts, None))
    return docs, expected, unusable


def _provider(url: str, page_limit: int = 100) -> Provider:
    return Provider(name="standin", title="stand-in", base_url=url, page_limit=page_limit)


def test_many_pages_progress_and_content() -> None:
    docs, expected, unusable = _generated()
    state = StandIn(docs)
    seen: list[tuple[int, int | None]] = []
    with standin_server(state) as url:
        known = fetch_optimade(_provider(url), on_progress=lambda done, total: seen.append((done, total)))
    inside = sum(1 for d in docs if 2 <= d["attributes"]["nelements"] <= 6)
    pages = [r for r in state.requests if r.startswith("/v1/structures")]
    assert len(pages) == math.ceil(inside / 100) == len(seen) > 20
    assert len(set(pages)) == len(pages)  # every page once
    assert seen[-1] == (inside, inside) and all(a[0] < b[0] for a, b in itertools.pairwise(seen))
    assert _keys(known) == expected
    assert known.entry_count == inside - unusable and known.outside == {NO_COMPOSITION: unusable}


def test_cli_fetch_caches_a_named_set() -> None:
    docs, expected, _ = _generated(600)
    with standin_server(StandIn(docs)) as url:
        result = _cli("known", "fetch", "--provider", url, "--name", "gen", "--page-limit", "50")
    assert result.exit_code == 0, result.output
    assert _keys(load_set("gen")) == expected


@pytest.mark.parametrize("status", [503, 429, 500])
def test_transient_failures_are_retried(status: int) -> None:
    docs, expected, _ = _generated(500)
    state = StandIn(docs, fail_offsets={0: 2, 200: 1}, fail_status=status)
    with standin_server(state) as url:
        known = fetch_optimade(_provider(url), limits=FetchLimits(backoff=0.01))
    assert _keys(known) == expected
    assert sum("page_offset=200" in r for r in state.requests) == 2


def test_a_connection_dropped_mid_answer_is_retried() -> None:
    docs, expected, _ = _generated(500)
    state = StandIn(docs, drop_offsets={100: 2})
    with standin_server(state) as url:
        known = fetch_optimade(_provider(url), limits=FetchLimits(backoff=0.01))
    assert _keys(known) == expected
    assert sum("page_offset=100&" in r or r.endswith("page_offset=100") for r in state.requests) == 3


def test_a_page_failing_for_good_keeps_the_old_set() -> None:
    """All or nothing: the failure is one line, the previous cache is byte-identical, no temp file left."""
    docs, _, _ = _generated(500)
    with standin_server(StandIn(docs)) as url:
        assert _cli("known", "fetch", "--provider", url, "--name", "gen").exit_code == 0
    path = Path(os.environ["CHEMSPACE_DATA_DIR"]) / "known" / "gen.json"
    before = path.read_bytes()
    with standin_server(StandIn(docs, fail_offsets={100: 99})) as url:
        line = _one_line_error(_cli("known", "fetch", "--provider", url, "--name", "gen", "--page-limit", "100"))
    assert "after 4 attempts" in line and "HTTP 503" in line
    assert path.read_bytes() == before and not list(path.parent.glob("*.part"))


def test_cancel_between_pages_keeps_nothing() -> None:
    docs, _, _ = _generated()
    state = StandIn(docs)
    cancel = threading.Event()

    def progress(done: int, total: int | None) -> None:
        if done >= 300:
            cancel.set()

    with standin_server(state) as url, pytest.raises(CancelledError):
        fetch_optimade(_provider(url), name="gen", on_progress=progress, cancel=cancel)
    assert sum(r.startswith("/v1/structures") for r in state.requests) == 3
    assert "gen" not in cached_names()


def test_cancel_during_a_backoff_wait() -> None:
    """A cancel set while waiting to retry stops at once, not after the wait."""
    docs, _, _ = _generated(200)
    cancel = threading.Event()
    timer = threading.Timer(0.5, cancel.set)
    with standin_server(StandIn(docs, fail_offsets={0: 99})) as url, pytest.raises(CancelledError):
        timer.start()
        fetch_optimade(_provider(url), cancel=cancel, limits=FetchLimits(retries=50, backoff=600))
    timer.cancel()


def test_bounds() -> None:
    """Too many structures, a server that pages for ever, a time budget: each a clear error."""
    docs, _, _ = _generated(500)
    with standin_server(StandIn(docs)) as url, pytest.raises(InputError, match="more than 150 structures"):
        fetch_optimade(_provider(url), limits=FetchLimits(max_entries=150))
    with standin_server(StandIn(docs, mode="endless")) as url, pytest.raises(InputError, match="more pages than"):
        fetch_optimade(_provider(url))
    slow = StandIn(docs, page_delay=0.3)
    with standin_server(slow) as url, pytest.raises(InputError, match="time limit"):
        fetch_optimade(_provider(url, page_limit=10), limits=FetchLimits(max_seconds=0.5))
    assert sum(r.startswith("/v1/structures") for r in slow.requests) < 10


def test_a_smaller_server_page_cap_is_adopted() -> None:
    """A server allowing 50 per page refuses 500: the fetch halves the page size until it is accepted."""
    docs, expected, _ = _generated(600)
    state = StandIn(docs, max_page=50)
    with standin_server(state) as url:
        result = _cli("known", "fetch", "--provider", url, "--name", "capped")
    assert result.exit_code == 0, result.output
    assert _keys(load_set("capped")) == expected
    firsts = [r for r in state.requests if r.startswith("/v1/structures") and "page_offset" not in r]
    assert [int(r.rsplit("page_limit=", 1)[1]) for r in firsts] == [500, 250, 125, 62, 31]


def test_a_server_refusing_even_small_pages_is_one_line() -> None:
    docs, _, _ = _generated(100)
    with standin_server(StandIn(docs, max_page=5)) as url:
        line = _one_line_error(_cli("known", "fetch", "--provider", url, "--page-limit", "12"))
    assert "HTTP 403" in line and "Max allowed page_limit is 5" in line and "smaller --page-limit" in line


# -- bad input ----------------------------------------------------------------------------------


def test_unknown_provider_name() -> None:
    line = _one_line_error(_cli("known", "fetch", "--provider", "materialsproject"))
    assert "'materialsproject'" in line and all(name in line for name in providers())


def test_unreachable_url() -> None:
    with standin_server(StandIn([])) as url:
        pass  # the port is now closed
    line = _one_line_error(_cli("known", "fetch", "--provider", url))
    assert "cannot connect" in line and url in line


@pytest.mark.parametrize("mode", ["html", "json", "404"])
def test_not_an_optimade_server(mode: str) -> None:
    with standin_server(StandIn([], mode=mode)) as url:
        line = _one_line_error(_cli("known", "fetch", "--provider", url))
    assert "does not answer as an OPTIMADE API" in line


def test_bad_page_limit_and_name() -> None:
    assert "--page-limit 0" in _one_line_error(_cli("known", "fetch", "--provider", "mp", "--page-limit", "0"))
    assert "invalid set name" in _one_line_error(_cli("known", "fetch", "--provider", "mp", "--name", "a b"))


def test_provider_file() -> None:
    """The shipped list names the issue's databases by https base URL; a URL stands for itself."""
    known = providers()
    assert {"mp", "oqmd", "alexandria", "cod", "jarvis", "nomad"} <= set(known)
    assert all(p.base_url.startswith("https://") and p.page_limit > 0 for p in known.values())
    assert resolve_provider("ALEXANDRIA") == known["alexandria"]
    custom = resolve_provider("https://optimade.example.org/db/")
    assert custom.base_url == "https://optimade.example.org/db" and custom.name == "optimade.example.org"
    listing = CliRunner().invoke(app, ["known", "providers"], env={"COLUMNS": "200"})
    assert listing.exit_code == 0
    assert all(p.name in listing.stdout and p.base_url in listing.stdout for p in known.values())


# -- resuming an interrupted download -----------------------------------------------------------


def test_an_interrupted_download_resumes_where_it_stopped() -> None:
    docs, expected, unusable = _generated()
    state = StandIn(docs)
    cancel = threading.Event()

    def stop_at_300(done: int, total: int | None) -> None:
        if done >= 300:
            cancel.set()

    seen: list[tuple[int, int | None]] = []
    with standin_server(state) as url:
        with pytest.raises(CancelledError):
            fetch_optimade(_provider(url), name="gen", on_progress=stop_at_300, cancel=cancel)
        assert journal_path("gen").exists() and "gen" not in cached_names()
        with journal_path("gen").open("a") as fh:
            fh.write('{"next": "http://cut-short')  # a line an interruption cut: ignored
        state.requests.clear()
        known = fetch_optimade(_provider(url), name="gen", on_progress=lambda *p: seen.append(p), keep=save_set)
    pages = [r for r in state.requests if r.startswith("/v1/structures")]
    assert "page_offset=300" in pages[0] and all("page_offset=" in r for r in pages)  # never page 1 again
    assert seen[0] == (300, None)
    assert _keys(known) == expected and known.outside == {NO_COMPOSITION: unusable}
    assert load_set("gen").entry_count == known.entry_count and not journal_path("gen").exists()


def test_cli_resumes_after_a_failure_and_restart_starts_again() -> None:
    docs, expected, _ = _generated(1000)
    state = StandIn(docs, fail_offsets={500: 99})
    with standin_server(state) as url:
        args = ["known", "fetch", "--provider", url, "--name", "gen", "--page-limit", "100"]
        line = _one_line_error(_cli(*args))
        assert "HTTP 503" in line and "the same command resumes" in line
        state.fail_offsets.clear()
        state.requests.clear()
        result = _cli(*args)
        assert result.exit_code == 0, result.output
        assert "resuming the interrupted download of 'gen'" in result.stderr
        assert "page_offset=500" in next(r for r in state.requests if r.startswith("/v1/structures"))
        assert _keys(load_set("gen")) == expected and not journal_path("gen").exists()

        state.fail_offsets[300] = 99
        _one_line_error(_cli(*args))
        state.fail_offsets.clear()
        state.requests.clear()
        result = _cli(*args, "--restart")
        assert result.exit_code == 0 and "resuming" not in result.stderr
        assert "page_offset" not in next(r for r in state.requests if r.startswith("/v1/structures"))


def test_a_journal_from_another_source_is_not_resumed() -> None:
    docs, expected, _ = _generated(500)
    cancel = threading.Event()
    with standin_server(StandIn(docs)) as first, pytest.raises(CancelledError):
        fetch_optimade(_provider(first), name="gen", on_progress=lambda *p: cancel.set(), cancel=cancel)
    other = StandIn(docs)
    with standin_server(other) as second:
        known = fetch_optimade(_provider(second), name="gen")
    assert "page_offset" not in next(r for r in other.requests if r.startswith("/v1/structures"))
    assert _keys(known) == expected


def test_known_list_names_interrupted_downloads() -> None:
    docs, _, _ = _generated(300)
    cancel = threading.Event()
    with standin_server(StandIn(docs)) as url, pytest.raises(CancelledError):
        fetch_optimade(_provider(url), name="halfway", on_progress=lambda *p: cancel.set(), cancel=cancel)
    result = _cli("known", "list")
    assert result.exit_code == 0 and "interrupted downloads" in result.stderr and "halfway" in result.stderr
