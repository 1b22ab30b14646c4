"""The audit kept as properties: generated options, systems, oxidation-state files and import files,
each giving exit 0 with valid output, or exit 1 with one 'error:' line (2 with typer's usage panel
for a malformed command line), never a traceback. In-process through typer's CliRunner (fast),
plus a few real processes for the audit's own cases."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from smact.data_loader import lookup_element_oxidation_states_custom
from typer.testing import CliRunner

from chemspace.core.elements import _read_custom_file, all_symbols
from chemspace.core.errors import InputError
from chemspace.core.known import cached_names, load_set
from chemspace.core.rule import (
    CATEGORIES,
    LABELS,
    MAX_ARITY,
    MAX_SAMPLES,
    MAX_SEED,
    MIN_ARITY,
    check_samples,
    check_seed,
)
from chemspace.tui.cli import app
from chemspace.tui.options import ELEMENT_COUNT_LABELS, parse_arities

runner = CliRunner()
#: Fixed examples per property, derandomized so CI sees the same inputs every run; no deadline.
FAST = settings(max_examples=200, deadline=None, derandomize=True)
CLI = settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
_unique = itertools.count()


def check_outcome(result: object) -> None:
    """Exit 0; or exit 1 and exactly one 'error:' line; or exit 2 and a usage panel. Never a traceback."""
    code, output = result.exit_code, result.output  # type: ignore[attr-defined]
    assert "Traceback" not in output and not isinstance(result.exception, (AssertionError, NameError))  # type: ignore[attr-defined]
    if code == 1:
        lines = [line for line in result.stderr.splitlines() if line.strip() and "warning:" not in line]  # type: ignore[attr-defined]
        lines = [line for line in lines if "no known-materials set cached" not in line and "`chemspace-tui" not in line]
        assert len(lines) == 1 and lines[0].startswith("error:"), output
    elif code == 2:
        assert "Usage" in output, output
    else:
        assert code == 0 and result.exception is None, (code, output, result.exception)  # type: ignore[attr-defined]


# -- the option layer: many cheap examples ------------------------------------------------------


@FAST
@given(st.text(alphabet="0123456789-, x+", max_size=15))
def test_arity_text_parses_to_arities_in_range_or_is_refused(text: str) -> None:
    try:
        arities = parse_arities(text)
    except InputError as exc:
        assert "\n" not in str(exc)
    else:
        assert arities and len(set(arities)) == len(arities)
        assert all(MIN_ARITY <= a <= MAX_ARITY for a in arities)


@FAST
@given(st.integers(-(2**80), 2**80), st.integers(-(2**80), 2**80))
def test_seed_and_samples_bounds(seed: int, samples: int) -> None:
    for check, value, top in ((check_seed, seed, MAX_SEED), (check_samples, samples, MAX_SAMPLES)):
        if 0 <= value <= top:
            assert check(value) == value
        else:
            with pytest.raises(InputError):
                check(value)


# -- census options on the command line: each example has at least one bad value ----------------

_BAD_OPTION = st.one_of(
    st.tuples(st.just("--arity"), st.sampled_from(["0", "1", "7", "2-99999999999", "4-2", ",", "-", "x", "2-x", "99"])),
    st.tuples(st.just("--seed"), st.one_of(st.integers(max_value=-1), st.integers(min_value=MAX_SEED + 1)).map(str)),
    st.tuples(st.just("--seed"), st.sampled_from(["1e20", "x", "", "1.5"])),
    st.tuples(
        st.just("--samples"), st.one_of(st.integers(max_value=-1), st.integers(min_value=MAX_SAMPLES + 1)).map(str)
    ),
    st.tuples(st.just("--max-stoich"), st.one_of(st.integers(max_value=0), st.integers(min_value=17)).map(str)),
    st.tuples(st.just("--element-counts"), st.text(max_size=12).filter(lambda t: t not in ELEMENT_COUNT_LABELS)),
    st.tuples(st.just("--oxidation-states"), st.text(alphabet="abcxyz_/.", min_size=1, max_size=12)),
    st.tuples(st.just("--known"), st.text(alphabet="abc/._", min_size=1, max_size=8).filter(lambda t: t != "none")),
)


@CLI
@given(st.lists(_BAD_OPTION, min_size=1, max_size=3), st.booleans())
def test_census_with_bad_options_fails_in_one_line(bad: list[tuple[str, str]], as_json: bool) -> None:
    args = ["census", "--arity", "2", "--samples", "3"] + [part for pair in bad for part in pair]
    result = runner.invoke(app, args + (["--json"] if as_json else []))
    check_outcome(result)
    assert result.exit_code in (1, 2), result.output  # never a census run on a bad value


# -- systems, which run for real and cheaply ----------------------------------------------------

_GOOD_SYMBOLS = ["Li", "Zn", "O", "Sn", "Fe", "He", "S"]
_GOOD_SYSTEM = st.lists(st.sampled_from(_GOOD_SYMBOLS), min_size=2, max_size=3, unique=True).map("-".join)
_ANY_SYSTEM = st.tuples(
    st.lists(st.sampled_from([*_GOOD_SYMBOLS, "Xx", "li", "O2", ""]), min_size=1, max_size=4),
    st.sampled_from(["-", ",", " ", "--"]),
).map(lambda t: t[1].join(t[0]))


_GOOD_SYSTEM_ARGS = st.tuples(
    _GOOD_SYSTEM,
    st.sampled_from([None, "2", "2,3", "2-3"]),
    st.sampled_from([None, *LABELS]),
    st.sampled_from(["json", "csv", "table"]),
)
_ANY_SYSTEM_ARGS = st.tuples(
    st.one_of(_GOOD_SYSTEM, _ANY_SYSTEM),
    st.one_of(st.none(), st.sampled_from(["2", "3", "2,3", "2-3", "0", "9", "x", "2-99999999999"])),
    st.one_of(st.none(), st.sampled_from([*LABELS, *CATEGORIES, "bogus"])),
    st.sampled_from(["json", "csv", "table", "xml"]),
)


@CLI
@given(st.one_of(_GOOD_SYSTEM_ARGS, _ANY_SYSTEM_ARGS))
def test_system_gives_valid_rows_or_one_line(case: tuple[str, str | None, str | None, str]) -> None:
    system, arity, only, fmt = case
    args = ["system", system, "--format", fmt, "--known", "none"]
    args += ["--arity", arity] if arity else []
    args += ["--only", only] if only else []
    result = runner.invoke(app, args)
    check_outcome(result)
    if result.exit_code == 0 and fmt == "json":
        rows = json.loads(result.stdout)
        wanted = parse_arities(arity) if arity else range(MIN_ARITY, MAX_ARITY + 1)
        assert all(row["arity"] in wanted for row in rows)
        if only in LABELS:
            assert all(row["allowed"] == (only == "allowed") for row in rows)


# -- oxidation-state files ----------------------------------------------------------------------

_STATE = st.integers(-9, 9).map(lambda q: f"{q:+d}")
_GOOD_FILE = st.dictionaries(
    st.sampled_from([*all_symbols()[:20], "Rf"]), st.lists(_STATE, max_size=4), min_size=1, max_size=8
).map(lambda d: ["# generated", *(" ".join([s, *q]) for s, q in d.items())])
_LINE = st.one_of(
    st.tuples(
        st.sampled_from([*all_symbols()[:20], "Rf", "Xx", "o", "#"]),
        st.lists(st.one_of(_STATE, st.sampled_from(["2", "+10", "1e20", "two", "#"])), max_size=4),
    ).map(lambda t: " ".join([t[0], *t[1]])),
    st.sampled_from(["", "# comment", "   "]),
)
_OX_LINES = st.one_of(_GOOD_FILE, st.lists(_LINE, max_size=8))


def _ox_file(lines: list[str], bom: bool) -> Path:
    """A new file each time (oxidation-state sets are cached by path)."""
    path = Path(tempfile.gettempdir()) / f"chemspace-ox-{os.getpid()}-{next(_unique)}.txt"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + "\n".join(lines).encode())
    return path


@settings(max_examples=150, deadline=None, derandomize=True)
@given(_OX_LINES, st.booleans())
def test_oxidation_file_is_read_as_smact_reads_it_or_refused(lines: list[str], bom: bool) -> None:
    path = _ox_file(lines, bom)
    try:
        ours = _read_custom_file(path)
    except InputError as exc:
        assert "\n" not in str(exc) and str(path) in str(exc)
        return
    finally:
        plain = path.read_bytes().removeprefix(b"\xef\xbb\xbf")
        path.write_bytes(plain)
    theirs = lookup_element_oxidation_states_custom("all", str(path), copy=True)
    path.unlink()
    assert {s: tuple(q) for s, q in theirs.items() if s in ours} == {s: q for s, q in ours.items() if q}


@CLI
@given(_OX_LINES, st.booleans())
def test_system_with_a_generated_oxidation_file(lines: list[str], bom: bool) -> None:
    path = _ox_file(lines, bom)
    result = runner.invoke(
        app, ["system", "Li-O", "--format", "json", "--known", "none", "--oxidation-states", str(path)]
    )
    path.unlink()
    check_outcome(result)
    if result.exit_code == 0:
        assert isinstance(json.loads(result.stdout), list)


# -- imports ------------------------------------------------------------------------------------

_FORMULA_ISH = st.one_of(
    st.sampled_from(["ZnO", "CuSO4.5H2O", "CuSO4·5H2O", "Fe2(SO4)3·H2O", "Li0.5CoO2", "D2O", "Na0Cl", "Na1e308Cl"]),
    st.text(alphabet="HNaClOZn()·.0123456789e#[]/", max_size=14),
)


@CLI
@given(st.lists(_FORMULA_ISH, min_size=1, max_size=8), st.booleans(), st.sampled_from(["txt", "csv", "json"]))
def test_import_stores_valid_formulas_or_fails_in_one_line(formulas: list[str], skip: bool, suffix: str) -> None:
    folder = Path(tempfile.mkdtemp(prefix="chemspace-import-"))
    path = folder / f"list.{suffix}"
    if suffix == "csv":
        path.write_text("id,formula\n" + "".join(f'{i},"{f}"\n' for i, f in enumerate(formulas)))
    elif suffix == "json":
        path.write_text(json.dumps(formulas))
    else:
        path.write_text("\n".join(formulas) + "\n")
    name = f"gen{next(_unique)}"
    result = runner.invoke(app, ["known", "import", str(path), "--name", name, *(["--skip-invalid"] if skip else [])])
    check_outcome(result)
    if result.exit_code == 0:
        known = load_set(name)
        assert all(min(c.counts) > 0 and "D" not in c.symbols for c in known.entries)
    else:
        assert name not in cached_names()


# -- a few real processes: the audit's own command lines ----------------------------------------


AUDIT_LINES = [
    (["census", "--arity", "2-99999999999"], "arity 99999999999"),
    (["census", "--seed", "-1", "--arity", "2"], "--seed -1"),
    (["census", "--json", "--element-counts", "bogus", "--arity", "2"], "--element-counts 'bogus'"),
    (["project", "--seed", "100000000000000000000", "--out", "p.csv"], "--seed"),
    (["known", "import", "."], "directory"),
    (["--system", "Li-Zn", "--arity", "3", "--known", "none"], "Li-Zn has only 2 elements"),  # before the app opens
    (["known", "fetch", "--endpoint", "http://example.invalid/"], "plain http"),
]


@pytest.mark.parametrize(("args", "fragment"), AUDIT_LINES)
def test_audit_command_lines_in_process(args: list[str], fragment: str) -> None:
    result = runner.invoke(app, args, env={"MP_API_KEY": "k" * 32})
    check_outcome(result)
    assert result.exit_code == 1 and fragment in result.stderr


@pytest.mark.parametrize(("args", "fragment"), [AUDIT_LINES[0], AUDIT_LINES[-1]])
def test_audit_command_lines_in_real_processes(args: list[str], fragment: str) -> None:
    env = {**os.environ, "MP_API_KEY": "k" * 32, "COLUMNS": "200"}
    proc = subprocess.run(
        [sys.executable, "-m", "chemspace.tui", *args], capture_output=True, text=True, timeout=300, env=env
    )
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert len(lines) == 1 and lines[0].startswith("error:") and fragment in lines[0], proc.stderr


@pytest.mark.parametrize(
    ("module", "args"),
    [
        ("cmd_export", ["export", "--arity", "3", "--allowed-only", "--known", "none", "--out"]),
        ("cmd_project", ["project", "--arity", "2", "--known", "none", "--out"]),
    ],
)
def test_read_only_output_directory_fails_before_any_counting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, module: str, args: list[str]
) -> None:
    """The audit's case: export --allowed-only and project counted everything before finding it read-only."""
    import tempfile as real_tempfile

    real_mkstemp = real_tempfile.mkstemp

    def read_only(*a: object, dir: object = None, **k: object) -> tuple[int, str]:
        if Path(str(dir)) == tmp_path:
            raise OSError(30, "Read-only file system")
        return real_mkstemp(*a, dir=dir, **k)  # type: ignore[arg-type]

    monkeypatch.setattr("chemspace.core.atomic.tempfile.mkstemp", read_only)
    monkeypatch.setattr(f"chemspace.tui.{module}.run_census", lambda *a, **k: pytest.fail("counted first"))
    result = runner.invoke(app, [*args, str(tmp_path / "out.csv")])
    check_outcome(result)
    assert result.exit_code == 1 and "Read-only file system" in result.stderr
