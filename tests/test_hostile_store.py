"""Damaged known-set stores and hostile import files: one line naming the file and the fix, the other
sets unharmed, the default set falling back to none; imports that never store wrong data."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chemspace.core.composition import parse_formula
from chemspace.core.errors import InputError
from chemspace.core.known import KnownEntry, build_set, cached_names, load_set, save_set
from chemspace.tui.cli import app

runner = CliRunner()


def _store(name: str) -> Path:
    return Path(os.environ["CHEMSPACE_DATA_DIR"]) / "known" / f"{name}.json"


def _good_doc() -> dict:
    save_set(build_set("tmpl", "x", [KnownEntry("a", "ZnO", 0.1, True, False), KnownEntry("b", "LiZnO2")]))
    doc = json.loads(_store("tmpl").read_text())
    _store("tmpl").unlink()
    return doc


def _with(path: tuple, value: object) -> dict:
    doc = _good_doc()
    target = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return doc


DAMAGED: dict[str, object] = {
    "a list": [1, 2, 3],
    "null": None,
    "a string": "hello",
    "deep nesting": "DEEP",
    "empty file": "EMPTY",
    "binary": "BINARY",
    "outside as text": ("outside", "lots"),
    "name null": ("name", None),
    "counts as strings": ("compositions", "counts", [["1", "1"], ["1", "1", "2"]]),
    "energy as text": ("entries", "energy_above_hull", ["low", None]),
    "stability as text": ("entries", "is_stable", ["yes", None]),
    "negative index": ("entries", "composition", [-1, 0]),
    "index past the end": ("entries", "composition", [0, 7]),
    "unknown symbol": ("compositions", "symbols", [["Zn", "Xx"], ["Li", "Zn", "O"]]),
    "zero count": ("compositions", "counts", [[0, 1], [1, 1, 2]]),
    "not reduced": ("compositions", "counts", [[2, 2], [1, 1, 2]]),
    "one element": ("compositions", "symbols", [["Zn"], ["Li", "Zn", "O"]]),
    "columns of different lengths": ("entries", "id", ["a"]),
    "wrong format": ("format", 99),
}


def _damage(name: str, how: object) -> None:
    path = _store(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    if how == "DEEP":
        path.write_text("[" * 200_000 + "]" * 200_000)
    elif how == "EMPTY":
        path.write_bytes(b"")
    elif how == "BINARY":
        path.write_bytes(bytes(range(256)))
    elif isinstance(how, tuple):
        path.write_text(json.dumps(_with(how[:-1], how[-1])))
    else:
        path.write_text(json.dumps(how))


@pytest.mark.parametrize("case", list(DAMAGED))
def test_damaged_store_is_one_line_and_never_stops_the_others(case: str) -> None:
    save_set(build_set("good", "x", [KnownEntry(None, "NaCl")]))
    _damage("mp", DAMAGED[case])
    with pytest.raises(InputError, match=r"'mp' in .*mp\.json is damaged .*known remove mp") as info:
        load_set("mp")
    assert "\n" not in str(info.value)

    listed = runner.invoke(app, ["known", "list"], env={"COLUMNS": "200"})
    assert listed.exit_code == 0, listed.output
    assert "good" in listed.stdout and "damaged" in listed.stdout and "Traceback" not in listed.output
    assert "warning:" in listed.stderr and "known remove mp" in listed.stderr

    default = runner.invoke(app, ["system", "Zn-O", "--format", "json"])  # the default set is the damaged mp
    assert default.exit_code == 0, default.output
    assert "going on without a known set" in default.stderr
    assert all("known" not in row for row in json.loads(default.stdout))

    named = runner.invoke(app, ["system", "Zn-O", "--known", "mp"])
    assert named.exit_code == 1 and len(named.stderr.strip().splitlines()) == 1

    assert runner.invoke(app, ["known", "remove", "mp"]).exit_code == 0
    assert cached_names() == ["good"]


def test_remove_of_a_directory_or_in_a_read_only_directory_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    _store("adir").mkdir(parents=True)
    result = runner.invoke(app, ["known", "remove", "adir"])
    assert result.exit_code == 1 and "directory" in result.stderr and len(result.stderr.splitlines()) == 1
    save_set(build_set("locked", "x", [KnownEntry(None, "NaCl")]))

    def refuse(self: Path, missing_ok: bool = False) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "unlink", refuse)  # a read-only directory (chmod does not stop root)
    result = runner.invoke(app, ["known", "remove", "locked"])
    assert result.exit_code == 1 and "Permission denied" in result.stderr and "Traceback" not in result.output


def _import(path: Path, *extra: str) -> object:
    return runner.invoke(app, ["known", "import", str(path), "--name", "imp", *extra])


def test_hydrates_isotopes_and_counts_store_what_the_formula_says(tmp_path: Path) -> None:
    path = tmp_path / "h.txt"
    path.write_text("CuSO4.5H2O\nCuSO4·5H2O\nFe2(SO4)3·H2O\n")
    assert _import(path).exit_code == 0
    known = load_set("imp")
    assert set(known.entries) == {parse_formula("CuSO4(H2O)5"), parse_formula("Fe2S3O13H2")}
    assert parse_formula("CuSO4(H2O)5").formula == "CuH10SO9"


@pytest.mark.parametrize(
    ("line", "fragment"),
    [("D2O", "isotope"), ("Na0Cl", "zero"), ("Na1e308Cl", "exponent"), ("Na" + "9" * 309, "absurd")],
)
def test_refused_formulas_name_the_line_and_cache_nothing(tmp_path: Path, line: str, fragment: str) -> None:
    path = tmp_path / "bad.txt"
    path.write_text(f"ZnO\n{line}\nNaCl\n")
    result = _import(path)
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 1 and len(lines) == 1 and "line 2" in lines[0] and fragment in lines[0]
    assert "--skip-invalid" in lines[0] and cached_names() == []


def test_skip_invalid_imports_the_rest_and_reports_count_and_first_lines(tmp_path: Path) -> None:
    path = tmp_path / "mixed.txt"
    bad = ["D2O", "Na0Cl", "Xq2", "Zn)(O", "H" * 2000, "Na1e308Cl", "LiQ"]
    path.write_text("\n".join(["ZnO", *bad, "NaCl"]) + "\n")
    result = _import(path, "--skip-invalid")
    assert result.exit_code == 0, result.output
    assert "cached 2 entries" in result.stderr and "skipped 7 malformed formulas:" in result.stderr
    assert "line 2" in result.stderr and "line 6" in result.stderr and "and 2 more" in result.stderr
    assert "line 7" not in result.stderr and len(result.stderr.splitlines()) < 12  # the long line is not echoed
    assert set(load_set("imp").entries) == {parse_formula("ZnO"), parse_formula("NaCl")}


def test_skip_invalid_with_nothing_valid_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "none.txt"
    path.write_text("D2O\nXq\n")
    result = _import(path, "--skip-invalid")
    assert result.exit_code == 1 and "none of its 2 formulas is valid" in result.stderr and cached_names() == []


@pytest.mark.parametrize(
    ("header", "fragment"), [("formula,Formula", "2 'formula' columns"), ("id,formula,ID", "2 'id' columns")]
)
def test_ambiguous_csv_columns_are_refused(tmp_path: Path, header: str, fragment: str) -> None:
    path = tmp_path / "two.csv"
    path.write_text(f"{header}\nZnO,NaCl,x\n")
    result = _import(path)
    assert result.exit_code == 1 and fragment in result.stderr and cached_names() == []


def test_ten_megabyte_lines_are_refused_quickly(tmp_path: Path) -> None:
    """Parsing is linear and capped: a 10 MB line is one clear refusal (text) or one line (CSV field)."""
    text = tmp_path / "long.txt"
    text.write_text("ZnO\n" + "H2O" * 3_500_000 + "\n")
    result = _import(text, "--skip-invalid")
    assert result.exit_code == 0 and "too long" in result.stderr
    csv_file = tmp_path / "long.csv"
    csv_file.write_text("formula\nZnO\n" + "H" * 10_000_000 + "\n")
    result = _import(csv_file, "--force")
    assert result.exit_code == 1 and "not readable as CSV" in result.stderr and len(result.stderr.splitlines()) == 1


@pytest.mark.parametrize(
    ("name", "content", "fragment"),
    [
        ("dir.txt", None, "directory"),
        ("latin1.txt", b"Zn\xf6O\n", "not UTF-8"),
        ("deep.json", b"[" * 100_000, "not valid JSON"),
        ("obj.json", b'{"formula": "ZnO"}', "expected a JSON list"),
        ("markup.txt", b"[/bold]\n", "[/bold]"),
    ],
)
def test_unreadable_files_are_one_line_exit_1(tmp_path: Path, name: str, content: bytes | None, fragment: str) -> None:
    path = tmp_path / name
    path.mkdir() if content is None else path.write_bytes(content)
    result = _import(path)
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 1 and len(lines) == 1 and fragment in lines[0], result.output
