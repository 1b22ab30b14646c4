"""Imported known sets: CSV/JSON/text, line numbers of malformed formulas, the store, --known values,
and entries outside the space counted by reason."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chemspace.core.composition import Composition, parse_formula
from chemspace.core.elements import element_table
from chemspace.core.errors import InputError
from chemspace.core.known import (
    KnownEntry,
    build_set,
    cached_names,
    default_known_notice,
    import_file,
    load_set,
    resolve_known,
    save_set,
)
from chemspace.tui.cli import app

TABLE1 = ["ZnO", "ZnO2", "LiZnO2", "Li6ZnO4", "Li2ZnSn3O8", "LiZn4SnO8", "LiZn4(SnO2)4"]
LI_ZN4_SN4_O8 = Composition.from_counts({"Li": 1, "Zn": 4, "Sn": 4, "O": 8})


def _import(path: Path, *extra: str) -> object:
    return CliRunner().invoke(app, ["known", "import", str(path), *extra])


@pytest.mark.parametrize(
    ("name", "content", "ids"),
    [
        ("t1.txt", "# Table 1 of the paper\n\n" + "\n".join(f"{f}  # MP" for f in TABLE1) + "\n", [None] * 7),
        ("t1.csv", "ID,Formula,note\n" + "".join(f"icsd-{i},{f},x\n" for i, f in enumerate(TABLE1)), None),
        ("t1.json", json.dumps([{"id": i, "formula": f} for i, f in enumerate(TABLE1)], indent=1), None),
        ("t1s.json", json.dumps(TABLE1), [None] * 7),
    ],
)
def test_import_formats(tmp_path: Path, name: str, content: str, ids: list | None) -> None:
    path = tmp_path / name
    path.write_text(content)
    result = _import(path, "--name", "table1")
    assert result.exit_code == 0, result.output
    assert "7 entries (7 compositions)" in result.stderr
    known = load_set("table1")
    assert known.source == str(path) and len(known) == 7 and known.outside == {}
    assert [e.formula for e in known.entries[LI_ZN4_SN4_O8]] == ["LiZn4(SnO2)4"]
    got_ids = [rows[0].id for rows in known.entries.values()]
    assert got_ids == (ids if ids is not None else [f"icsd-{i}" if "csv" in name else str(i) for i in range(7)])


def test_import_default_name_is_the_file_stem(tmp_path: Path) -> None:
    path = tmp_path / "ICSD list (2024).txt"
    path.write_text("ZnO\n")
    assert _import(path).exit_code == 0
    assert cached_names() == ["ICSD_list_2024"]
    mp_named = tmp_path / "mp.txt"
    mp_named.write_text("ZnO\n")
    assert _import(mp_named).exit_code == 0 and "mp" not in cached_names()  # never overwrites the MP set
    result = _import(mp_named, "--name", "mp")
    assert result.exit_code == 1 and "Materials Project" in result.stderr


@pytest.mark.parametrize(
    ("name", "content", "line"),
    [
        ("bad.txt", "ZnO\n# comment\n\nLi2Qx3\nNaCl\n", 4),
        ("bad.csv", "id,formula\na,ZnO\nb,NaCl\nc,Zn)(O\n", 4),
        ("bad.json", '[\n  "ZnO",\n  {"id": 2, "formula": "NaCl"},\n  {"id": 3,\n   "formula": "Xx2O"}\n]\n', 4),
        ("empty.csv", "id,formula\na,ZnO\nb,\n", 3),
    ],
)
def test_malformed_formula_names_file_and_line_and_caches_nothing(
    tmp_path: Path, name: str, content: str, line: int
) -> None:
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(InputError, match=rf"{name}, line {line}: "):
        import_file(path)
    result = _import(path)
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and f"line {line}" in result.stderr and "Traceback" not in result.output
    assert cached_names() == []


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("x.csv", "id,composition\n1,ZnO\n", "needs a 'formula' column"),
        ("x.json", '{"formula": "ZnO"}', "expected a JSON list"),
        ("y.json", '["ZnO", ]', "not valid JSON"),
        ("z.json", "[1]", "no formula string"),
        ("e.txt", "# nothing\n", "no formulas found"),
    ],
)
def test_unusable_files_are_refused(tmp_path: Path, name: str, content: str, message: str) -> None:
    path = tmp_path / name
    path.write_text(content)
    result = _import(path)
    assert result.exit_code == 1 and message in result.stderr and cached_names() == []


def test_missing_file_is_one_line(tmp_path: Path) -> None:
    result = _import(tmp_path / "nope.txt")
    assert (
        result.exit_code == 1 and result.stderr.startswith("error: no such file: ") and "Traceback" not in result.output
    )


def test_outside_the_space_is_counted_by_reason(tmp_path: Path) -> None:
    """1 element and >6 elements at build; coefficient above the limit and other elements per census.
    HeF2 is inside: He has no oxidation states in smact14, so the census counts it as interesting."""
    path = tmp_path / "mixed.txt"
    formulas = ["Fe", "O2", "LiNaKRbCsFrO", "NaCl", "Zn9O", "Zn3O27", "HeF2", "NaCl", "LiZn4(SnO2)4"]
    path.write_text("\n".join(formulas) + "\n")
    known = import_file(path, "mixed")
    assert known.outside == {"single element": 2, "more than 6 elements": 1}
    assert known.entry_count == 6 and len(known) == 5  # NaCl twice
    inside, outside = known.within(8, element_table("smact14"))
    assert set(inside) == {parse_formula("NaCl"), parse_formula("HeF2"), LI_ZN4_SN4_O8}
    assert outside == {
        "single element": 2,
        "more than 6 elements": 1,
        "coefficient above max stoichiometry": 2,  # Zn9O, and Zn3O27 which reduces to ZnO9
    }
    inside_16, outside_16 = known.within(16, element_table("smact14"))
    assert {parse_formula("Zn9O"), parse_formula("ZnO9")} <= set(inside_16)
    assert "coefficient above max stoichiometry" not in outside_16
    pool = element_table("smact14", ["Na", "Cl"])
    assert known.within(8, pool) == (
        [parse_formula("NaCl")],
        {"single element": 2, "more than 6 elements": 1, "element outside the pool": 4},
    )


def test_store_round_trip_and_list(tmp_path: Path) -> None:
    rows = [
        KnownEntry("mp-1", "ZnO", 0.0, True, False),
        KnownEntry("mp-2", "Zn2O2", 0.12, False, True),
        KnownEntry(None, "LiZn4(SnO2)4", None, None, None),
    ]
    known = build_set("rt", "a test", rows, version="v1", date="2024-01-02")
    save_set(known)
    again = load_set("rt")
    assert again == known
    assert again.entries[parse_formula("ZnO")] == rows[:2]
    listing = CliRunner().invoke(app, ["known", "list"], env={"COLUMNS": "200"})
    assert listing.exit_code == 0
    line = next(x for x in listing.stdout.splitlines() if "rt" in x and "a test" in x)
    assert "v1" in line and "2024-01-02" in line and " 3 " in line  # three entries
    assert CliRunner().invoke(app, ["known", "remove", "rt"]).exit_code == 0 and cached_names() == []
    assert CliRunner().invoke(app, ["known", "remove", "rt"]).exit_code == 1


def test_list_with_nothing_cached_says_how_to_get_a_set() -> None:
    result = CliRunner().invoke(app, ["known", "list"])
    assert result.exit_code == 0 and "known fetch" in result.stderr and result.stdout == ""


def test_failed_write_leaves_the_old_cache_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    save_set(build_set("keep", "first", [KnownEntry(None, "ZnO")]))
    path = Path(os.environ["CHEMSPACE_DATA_DIR"]) / "known" / "keep.json"
    before = path.read_bytes()

    def boom(*args: object, **kwargs: object) -> str:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("chemspace.core.known.json.dumps", boom)
    with pytest.raises(InputError, match=r"keep\.json.*No space left"):
        save_set(build_set("keep", "second", [KnownEntry(None, "NaCl")]))
    assert path.read_bytes() == before and sorted(p.name for p in path.parent.iterdir()) == ["keep.json"]


def test_damaged_cache_is_a_clear_error() -> None:
    save_set(build_set("dam", "x", [KnownEntry(None, "ZnO")]))
    (Path(os.environ["CHEMSPACE_DATA_DIR"]) / "known" / "dam.json").write_text('{"format": 2, "name"')
    with pytest.raises(InputError, match=r"'dam' in .*dam\.json is damaged.*known remove dam"):
        load_set("dam")


def test_known_option_values(tmp_path: Path) -> None:
    assert resolve_known(None) is None and resolve_known("none") is None
    assert "\n" not in default_known_notice() and "known fetch" in default_known_notice()
    with pytest.raises(InputError, match="no Materials Project set cached; run `chemspace-tui known fetch`"):
        resolve_known("mp")
    with pytest.raises(InputError, match="'nosuch' is not a cached set or a file"):
        resolve_known("nosuch")
    path = tmp_path / "adhoc.txt"
    path.write_text("LiZn4(SnO2)4\n")
    adhoc = resolve_known(str(path))
    assert adhoc is not None and LI_ZN4_SN4_O8 in adhoc and cached_names() == []  # not cached
    save_set(build_set("mp", "Materials Project", [KnownEntry("mp-1", "ZnO")]))
    default = resolve_known(None)
    assert default is not None and default.name == "mp" and parse_formula("ZnO") in default
    assert resolve_known("none") is None


@pytest.mark.parametrize("name", ["", "../x", "a/b", ".hidden", "none", "x" * 65])
def test_invalid_set_names(tmp_path: Path, name: str) -> None:
    path = tmp_path / "ok.txt"
    path.write_text("ZnO\n")
    with pytest.raises(InputError):
        import_file(path, name)


def test_list_fits_80_columns() -> None:
    """At 80 columns `known list` gives each set a block of one field per line instead of a squeezed table."""
    save_set(build_set("narrow", "an 80-column test", [KnownEntry("id-1", "ZnO"), KnownEntry(None, "LiZn4(SnO2)4")]))
    listing = CliRunner().invoke(app, ["known", "list"], env={"COLUMNS": "80"})
    assert listing.exit_code == 0
    lines = listing.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines)
    assert any("an 80-column test" in line for line in lines)
    entries = next(line for line in lines if "Entries" in line)
    assert entries.split()[-2:] == ["2", "│"]
