"""A system's labelling shows honest progress from the start: the total is known up front, chunks are
counted against it, a first run says it is compiling, and a cancel stops it between chunks."""

from __future__ import annotations

import itertools
import math
import os
import subprocess
import sys
import threading

import pytest
from app_helpers import SYSTEM, system_app, text_of, wait_for
from textual.widgets import Label

import chemspace.core.system as system_module
from chemspace.core.errors import CancelledError
from chemspace.core.rule import Rule
from chemspace.core.system import system_rows, system_size
from chemspace.tui.widgets import SystemExplorer


def test_system_size_is_the_number_of_rows_and_known_up_front() -> None:
    """The total every progress report counts against equals the rows the system then holds."""
    for system in ("Zn-O", "Li-Zn-Sn-O", "Cs-Pb-I"):
        assert system_size(len(system.split("-"))) == len(system_rows(system))
    assert system_size(4, max_stoich=3) == len(system_rows("Li-Zn-Sn-O", rule=Rule(max_stoich=3)))


def test_progress_counts_every_chunk_against_the_total(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(system_module, "CHUNK_ROWS", 1000)
    seen: list[tuple[int, int, str]] = []
    rows = system_rows("Li-Zn-Sn-O", on_progress=lambda *a: seen.append(a))
    total = len(rows)
    assert seen[0][:2] == (0, total) and seen[0][2] in ("compiling", "labelling")
    assert [s[0] for s in seen[1:]] == [min(total, 1000 * i) for i in range(1, math.ceil(total / 1000) + 1)]
    assert {s[1] for s in seen} == {total} and {s[2] for s in seen[1:]} == {"labelling"}
    assert [r.formula for r in rows] == [r.formula for r in system_rows("Li-Zn-Sn-O")]  # chunking changes nothing


def test_cancel_stops_between_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(system_module, "CHUNK_ROWS", 1000)
    cancel = threading.Event()
    seen: list[int] = []

    def progress(done: int, total: int, phase: str) -> None:
        seen.append(done)
        if done >= 2000:
            cancel.set()

    with pytest.raises(CancelledError):
        system_rows("Li-Zn-Sn-O", on_progress=progress, cancel=cancel)
    assert seen[-1] == 2000


def test_first_run_says_it_is_compiling_in_a_real_process(tmp_path) -> None:
    """With an empty numba cache (a fresh install), the first line says the kernels compile, with the total."""
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "numba"), "CHEMSPACE_PROGRESS_SECONDS": "0"}
    proc = subprocess.run(
        [sys.executable, "-m", "chemspace.tui", "system", "Zn-O", "--known", "none", "--format", "csv"],
        capture_output=True,
        text=True,
        timeout=900,
        env=env,
    )
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    lines = proc.stderr.replace("\n", " ").split("Zn-O: ")
    total = len(proc.stdout.strip().splitlines()) - 1
    assert f"0 of {total:,} compositions labelled; compiling kernels" in lines[1], proc.stderr
    assert f"{total:,} of {total:,} compositions labelled" in proc.stderr


def test_app_shows_the_total_from_the_start(monkeypatch: pytest.MonkeyPatch) -> None:
    """The system tab's count line says 'N of 5,837 compositions labelled' while labelling, never '0 of 0'."""
    import asyncio

    monkeypatch.setattr(system_module, "CHUNK_ROWS", 500)
    shown: list[str] = []
    real = SystemExplorer.show_progress

    def record(self: SystemExplorer, text: str) -> None:
        shown.append(text)
        real(self, text)

    monkeypatch.setattr(SystemExplorer, "show_progress", record)
    total = system_size(len(SYSTEM))

    async def scenario() -> None:
        app = system_app()
        async with app.run_test(size=(140, 36)) as pilot:
            await wait_for(pilot, lambda: app.system_rows is not None)
            await pilot.pause()
            count = text_of(app.query_one("#system-count", Label))
            assert count.startswith(f"{total:,} of {total:,} compositions"), count

    asyncio.run(scenario())
    assert shown and shown[0].startswith(f"0 of {total:,} compositions labelled"), shown
    assert f"{total:,} of {total:,} compositions labelled" in shown
    assert not any(text.startswith("0 of 0") for text in shown)


def test_six_element_system_in_a_real_process_counts_against_its_total() -> None:
    """The issue's case: `system Li-Na-K-Zn-Sn-O` headless gives its total from the first line and counts up to it."""
    env = {**os.environ, "CHEMSPACE_PROGRESS_SECONDS": "0", "COLUMNS": "200"}
    command = ["system", "Li-Na-K-Zn-Sn-O", "--arity", "2", "--format", "csv", "--known", "none"]
    proc = subprocess.run(
        [sys.executable, "-m", "chemspace.tui", *command], capture_output=True, text=True, timeout=900, env=env
    )
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    total = system_size(6)
    lines = [line for line in proc.stderr.splitlines() if line.startswith("Li-Na-K-Zn-Sn-O: ")]
    done = [int(line.split(": ")[1].split(" of ")[0].replace(",", "")) for line in lines]
    assert all(f" of {total:,} compositions labelled" in line for line in lines), lines
    assert done[0] == 0 and done[-1] == total and done == sorted(done) and len(done) > 10
    binaries = sum(len(system_rows(pair)) for pair in itertools.combinations(("Li", "Na", "K", "Zn", "Sn", "O"), 2))
    assert len(proc.stdout.strip().splitlines()) == 1 + binaries  # --arity 2 keeps the 15 binary systems' rows
