"""`chemspace-tui census` with the rule switches, --checkpoint and --scheduler, as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chemspace.core.census import CensusSettings, run_census
from chemspace.core.rule import Rule
from chemspace.tui.cli import app

runner = CliRunner()


@pytest.mark.parametrize(
    ("flags", "rule"),
    [
        (["--no-pauling"], Rule(pauling=False)),
        (["--alloys"], Rule(alloys=True)),
        (["--mixed-valence"], Rule(mixed_valence=True)),
        (["--no-pauling", "--alloys", "--mixed-valence"], Rule(pauling=False, alloys=True, mixed_valence=True)),
    ],
)
def test_rule_switches_reach_the_census(flags: list[str], rule: Rule) -> None:
    """The switches give the core's count for that rule, and the JSON says which rule it was."""
    result = runner.invoke(app, ["census", "--arity", "2", "--samples", "0", "--json", "--known", "none", *flags])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    expected = run_census(CensusSettings(arities=(2,), samples=0, rule=rule)).arities[2].allowed
    assert doc["arities"]["2"]["allowed"] == expected != 13_464
    assert (doc["settings"]["pauling"], doc["settings"]["alloys"], doc["settings"]["mixed_valence"]) == (
        rule.pauling,
        rule.alloys,
        rule.mixed_valence,
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--scheduler", "local:0"], "local:N"),
        (["--scheduler", "example.org"], "is not tcp://"),
        (["--checkpoint", "/nonexistent-dir/c.ckpt"], "does not exist"),
    ],
)
def test_bad_values_are_one_line(args: list[str], message: str) -> None:
    result = runner.invoke(app, ["census", "--arity", "2", "--samples", "0", "--known", "none", *args])
    assert result.exit_code == 1
    assert result.stderr.startswith("error:") and message in result.stderr
    assert "Traceback" not in result.output


def test_checkpoint_file_is_written(tmp_path: Path) -> None:
    path = tmp_path / "run.ckpt"
    result = runner.invoke(app, ["census", "--arity", "2", "--samples", "0", "--checkpoint", str(path), "--json"])
    assert result.exit_code == 0 and path.exists()
    again = runner.invoke(app, ["census", "--arity", "2", "--samples", "0", "--checkpoint", str(path), "--json"])
    assert json.loads(again.stdout)["arities"]["2"]["allowed"] == 13_464


def test_progress_goes_to_a_log_as_plain_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a terminal (a batch job's log) the census writes plain progress lines on stderr, ending
    at all of the work with the final count; stdout keeps only the JSON."""
    monkeypatch.setenv("CHEMSPACE_PROGRESS_SECONDS", "0")
    result = runner.invoke(app, ["census", "--arity", "2,3", "--samples", "0", "--json", "--known", "none"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    lines = result.stderr.splitlines()
    for arity, name in ((2, "binary"), (3, "ternary")):
        mine = [line for line in lines if line.startswith(f"{name}:")]
        assert len(mine) >= 2
        assert "% of the work" in mine[0] and "eta" in mine[0]
        allowed = doc["arities"][str(arity)]["allowed"]
        assert mine[-1].startswith(f"{name}: 100.0% of the work") and f"{allowed:,} allowed (" in mine[-1]


def _census_process(cache: Path, *args: str) -> subprocess.CompletedProcess:
    """The real console script with numba's cache in ``cache`` (empty: a first run after installing)."""
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache), "COLUMNS": "200"}
    command = [sys.executable, "-m", "chemspace.tui", "census", "--arity", "2", "--samples", "0", "--known", "none"]
    return subprocess.run([*command, *args], capture_output=True, text=True, timeout=900, env=env)


def test_a_first_run_names_compiling_apart_from_counting(tmp_path: Path) -> None:
    """With an empty kernel cache the compile is reported as such, never as counting time; once cached, none."""
    first = _census_process(tmp_path / "numba", "--json")
    assert first.returncode == 0, first.stderr
    doc = json.loads(first.stdout)
    assert doc["arities"]["2"]["allowed"] == 13_464
    assert doc["compile_s"] > 0 and doc["arities"]["2"]["compile_s"] > 0
    assert doc["compile_s"] == pytest.approx(sum(a["compile_s"] for a in doc["arities"].values()), abs=0.01)
    again = _census_process(tmp_path / "numba")
    assert again.returncode == 0, again.stderr
    line = again.stdout.strip().splitlines()[-1]
    assert line.startswith("counted in ") and "compiling" not in line, line


def test_counting_time_leaves_out_numba_compiles(monkeypatch: pytest.MonkeyPatch) -> None:
    """A compile (numba's own compile event) during the count is compile_seconds, not elapsed."""
    import time

    from numba.core import event as numba_event

    import chemspace.core.census as census_module

    real = census_module.LocalRunner.run

    def compiling_first(self, plan, todo, cancel):
        with numba_event.trigger_event("numba:compile"):
            time.sleep(0.5)  # what numba does for tens of seconds on a first run
        yield from real(self, plan, todo, cancel)

    monkeypatch.setattr(census_module.LocalRunner, "run", compiling_first)
    started = time.perf_counter()
    result = run_census(CensusSettings(arities=(2,), samples=0))
    wall = time.perf_counter() - started
    assert result.arities[2].allowed == 13_464
    assert result.compile_seconds >= 0.5 and result.arities[2].compile_seconds == result.compile_seconds
    assert result.elapsed <= wall - 0.5


def test_timing_text_names_the_compile() -> None:
    from chemspace.tui.progress import timing_text

    assert timing_text(1.84, 0.0) == "counted in 1.8 s"
    assert timing_text(1.84, 88.2) == "counted in 1.8 s (+ 88.2 s compiling the numba kernels, once after installing)"


def test_the_app_census_panel_names_compile_time_apart() -> None:
    """The census tab's per-arity state gives the counting time, and a first run's compile beside it."""
    from chemspace.tui.widgets import CensusPanel

    result = run_census(CensusSettings(arities=(2,), samples=0))
    census = result.arities[2]
    panel = CensusPanel(result.settings, None)
    panel._censuses = {2: census}
    census.elapsed, census.compile_seconds = 2.04, 0.0
    assert panel._state(2) == "done 2.0 s"
    census.compile_seconds = 31.9  # as a first run after installing measures it
    assert panel._state(2) == "done 2.0 s (+32 s compiling)"


def test_progress_clock_and_eta_follow_counting_not_compiling() -> None:
    """A quarter of the work counted in 10 s after a 90 s compile: 10 s elapsed, 30 s left (not 100 s and 300 s)."""
    from chemspace.core.census import ArityCensus
    from chemspace.tui.progress import log_line

    census = ArityCensus(arity=3, symbols=("Li", "O"), unique=100, work_done=25, work_total=100, elapsed=10.0)
    census.compile_seconds = 90.0
    assert "25.0% of the work, 0:00:10 elapsed, eta 0:00:30" in log_line(census)


KNOWN_FILE = Path(__file__).resolve().parents[2] / "shared" / "data" / "mp-binaries-half.txt"


def _census_with_known(args: list[str]) -> str:
    if not KNOWN_FILE.exists():
        pytest.skip("development data not found")
    result = CliRunner().invoke(app, ["census", "--arity", "2,3", "--samples", "0", "--known", str(KNOWN_FILE), *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_a_piped_census_table_cuts_no_number() -> None:
    """Into a pipe or a log (80 columns by default) the nine-column table keeps every number whole."""
    run = run_census(CensusSettings(arities=(2, 3), samples=0))
    out = _census_with_known([])
    assert "…" not in out
    for census in run.arities.values():
        assert f"{census.unique:,}" in out and f"{census.allowed:,}" in out


def test_a_narrow_terminal_gets_the_census_as_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """On an 80-column terminal a table too wide for it becomes a block per arity, every number whole."""
    from io import StringIO

    from rich.console import Console

    from chemspace.core.known import import_file
    from chemspace.tui.cmd_census import census_table
    from chemspace.tui.tables import print_table

    if not KNOWN_FILE.exists():
        pytest.skip("development data not found")
    result = run_census(CensusSettings(arities=(2, 3), samples=0), known=import_file(KNOWN_FILE))
    out = StringIO()
    print_table(census_table(result), Console(file=out, width=80, force_terminal=True, color_system=None))
    text = out.getvalue()
    assert "…" not in text
    assert max(len(line) for line in text.splitlines()) <= 80
    for census in result.arities.values():
        assert f"{census.unique:,}" in text and f"{census.allowed:,}" in text
    assert text.count("Allowed") == len(result.arities)  # one block per arity


def test_bars_at_80_columns_keep_the_arity_and_the_allowed_count(monkeypatch: pytest.MonkeyPatch) -> None:
    """On an 80-column terminal each bar keeps its arity's name, its share and its allowed count whole."""
    from io import StringIO

    from rich.console import Console

    from chemspace.tui import progress as prog

    out = StringIO()
    monkeypatch.setattr(prog, "err_console", Console(file=out, width=80, force_terminal=True, color_system=None))
    settings = CensusSettings(arities=(2, 3), samples=0)
    with prog.census_progress(settings.arities) as on_progress:
        result = run_census(settings, on_progress=on_progress)
    last = {}
    for line in out.getvalue().replace("\r", "\n").splitlines():
        for name in ("binary", "ternary"):
            if name in line:
                last[name] = line
    assert set(last) == {"binary", "ternary"}
    for name, arity in (("binary", 2), ("ternary", 3)):
        assert "…" not in last[name] and len(last[name].rstrip()) <= 80, last[name]
        assert f"{result.arities[arity].allowed:,} allowed" in last[name] and "100%" in last[name]
