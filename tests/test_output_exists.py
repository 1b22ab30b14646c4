"""No command replaces an existing output file or cached set unasked: one line, exit 1, --force replaces."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from chemspace.core.composition import parse_formula
from chemspace.core.known import load_set
from chemspace.tui.cli import app

runner = CliRunner()

#: Every command that writes a file the user names, with that file's option; the refusal comes before any work.
WRITERS = [
    ["system", "Li-Zn-Sn-O", "--known", "none", "--out", "{out}.csv"],
    ["export", "--arity", "2", "--known", "none", "--out", "{out}.csv"],
    ["export", "--system", "Li-O", "--known", "none", "--out", "{out}.json"],
    ["rank", "--system", "Li-Zn-O", "--known", "none", "--out", "{out}.csv"],
    ["project", "--arity", "2", "--known", "none", "--out", "{out}.csv"],
    ["project", "--arity", "2", "--known", "none", "--figure", "{out}.png"],
]


@pytest.mark.parametrize("args", WRITERS, ids=lambda a: " ".join(a[:2]) + " " + a[-1])
def test_an_existing_output_file_is_refused_and_kept(tmp_path: Path, args: list[str]) -> None:
    argv = [a.format(out=tmp_path / "rows") for a in args]
    target = Path(argv[-1])
    target.write_text("previous\n")
    result = runner.invoke(app, argv)
    assert result.exit_code == 1, result.output
    assert result.stderr.splitlines() == [f"error: {str(target)!r} exists: --force replaces it"]
    assert target.read_text() == "previous\n"


def test_force_replaces_the_file(tmp_path: Path) -> None:
    target = tmp_path / "rows.csv"
    target.write_text("previous\n")
    result = runner.invoke(app, ["system", "Li-O", "--known", "none", "--out", str(target), "--force"])
    assert result.exit_code == 0, result.output
    assert "formula" in target.read_text().splitlines()[0] and "previous" not in target.read_text()


def test_known_import_keeps_a_cached_set_of_that_name_unless_forced(tmp_path: Path) -> None:
    first, second = tmp_path / "icsd.txt", tmp_path / "other.txt"
    first.write_text("ZnO\n")
    second.write_text("NaCl\nKCl\n")
    assert runner.invoke(app, ["known", "import", str(first)]).exit_code == 0
    result = runner.invoke(app, ["known", "import", str(second), "--name", "icsd"])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == ["error: a known set named 'icsd' exists: --force replaces it"]
    assert set(load_set("icsd").entries) == {parse_formula("ZnO")}
    result = runner.invoke(app, ["known", "import", str(second), "--name", "icsd", "--force"])
    assert result.exit_code == 0, result.output
    assert len(load_set("icsd")) == 2
