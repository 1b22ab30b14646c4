"""The headless commands as a user runs them: output shapes, exit codes, one-line errors."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chemspace.tui.cli import app

runner = CliRunner()


def test_census_json() -> None:
    result = runner.invoke(app, ["census", "--arity", "2", "--samples", "5", "--json", "--known", "none"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["arities"]["2"]["unique"] == 225_879
    assert doc["arities"]["2"]["allowed"] == 13_464
    assert doc["arities"]["2"]["missing"] is None
    assert sum(doc["element_counts"]["2"].values()) == 2 * 13_464
    assert doc["settings"]["oxidation_states"] == "smact14" and doc["settings"]["max_stoich"] == 8
    assert len(doc["arities"]["2"]["samples"]["allowed"]) == 5


def test_census_table() -> None:
    result = runner.invoke(app, ["census", "--arity", "2", "--samples", "0"])
    assert result.exit_code == 0
    assert "225,879" in result.stdout and "13,464" in result.stdout


def test_system_json_li_zn_sn_o() -> None:
    result = runner.invoke(app, ["system", "Li-Zn-Sn-O", "--format", "json"])
    assert result.exit_code == 0
    rows = json.loads(result.stdout)
    assert len(rows) == 5837 and sum(r["allowed"] for r in rows) == 728
    zno = next(r for r in rows if r["formula"] == "ZnO")
    assert zno["oxidation_states"] == {"Zn": 2, "O": -2} and zno["arity"] == 2


def test_system_csv_and_filters() -> None:
    result = runner.invoke(app, ["system", "Zn-O", "--format", "csv", "--only", "allowed"])
    assert result.exit_code == 0
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith("formula,arity,allowed")
    assert all(",true," in line for line in lines[1:])
    assert any(line.startswith("ZnO2,") for line in lines)


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["census", "--arity", "7"], "arity 7"),
        (["census", "--arity", "x"], "'x'"),
        (["census", "--max-stoich", "17"], "max stoichiometry 17"),
        (["census", "--oxidation-states", "smact99"], "smact99"),
        (["census", "--oxidation-states", "/nonexistent/ox.txt"], "no such file: /nonexistent/ox.txt"),
        (["system", "Li-Zn-Xx"], "'Xx'"),
        (["system", "Li-O-Li"], "repeated"),
        (["system", "li-zn-sn-o"], "did you mean 'Li'"),
        (["system", "Li-Zn-Sn-O", "--arity", "5"], "only 4 elements"),
        (["export", "--arity", "2", "--out", "x.txt"], ".csv or .parquet"),
        (["system", "Li-O", "--out", "x.txt"], ".csv, .json or .parquet"),
        (["system", "Li-O", "--out", "/no/such/dir/x.csv"], "'/no/such/dir' does not exist"),
        (["--system", "Li-Qq-O"], "'Qq'"),
    ],
)
def test_bad_input_is_one_line_without_traceback(args: list[str], fragment: str) -> None:
    """Run the real console script: one stderr line naming the value, exit 1, no traceback."""
    env = {**os.environ, "COLUMNS": "200"}
    proc = subprocess.run(
        [sys.executable, "-m", "chemspace.tui", *args], capture_output=True, text=True, env=env, timeout=120
    )
    assert proc.returncode == 1, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert fragment in lines[0] and lines[0].startswith("error:")
    assert "Traceback" not in proc.stderr


def test_unreadable_oxidation_file(tmp_path) -> None:
    bad = tmp_path / "ox.txt"
    bad.write_bytes(b"\xff\xfe\x00garbage")
    result = runner.invoke(app, ["census", "--arity", "2", "--oxidation-states", str(bad)])
    assert result.exit_code == 1


def _one_error_line(result) -> str:
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert result.exit_code == 1 and len(lines) == 1 and "Traceback" not in result.output, result.output
    return lines[0]


def test_export_to_a_missing_directory_or_through_a_file_is_one_line(tmp_path: Path) -> None:
    """A typo in the directory is an error naming the path, not a new directory tree or a traceback."""
    missing = tmp_path / "no" / "such" / "x.csv"
    line = _one_error_line(runner.invoke(app, ["export", "--arity", "2", "--known", "none", "--out", str(missing)]))
    assert str(missing) in line and "does not exist" in line and not (tmp_path / "no").exists()
    a_file = tmp_path / "f.csv"
    a_file.write_text("x")
    line = _one_error_line(
        runner.invoke(app, ["export", "--arity", "2", "--known", "none", "--out", str(a_file / "x.csv")])
    )
    assert "not a directory" in line and ".part" not in line


def test_written_files_get_the_usual_permissions(tmp_path: Path) -> None:
    """Files we write are readable as any new file is (0666 less the umask), not owner-only like a temp file."""
    out = tmp_path / "b.csv"
    result = runner.invoke(app, ["export", "--arity", "2", "--allowed-only", "--out", str(out)])
    assert result.exit_code == 0, result.output
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(out.stat().st_mode) == 0o666 & ~umask


@pytest.mark.parametrize("spelling", ["Li-Zn-Sn-O", "Li,Zn,Sn,O", "Li Zn Sn O", "Li, Zn, Sn, O"])
def test_system_separators(spelling: str) -> None:
    """Hyphens, commas or spaces between symbols name the same system."""
    result = runner.invoke(app, ["system", spelling, "--format", "csv", "--known", "none"])
    assert result.exit_code == 0, result.output
    assert len(result.stdout.strip().splitlines()) == 1 + 5837


def test_system_table_is_titled_with_the_system_not_the_raw_argument() -> None:
    result = runner.invoke(app, ["system", "Li,Zn,Sn,O", "--arity", "2", "--only", "allowed", "--known", "none"])
    assert result.exit_code == 0, result.output
    assert "Li-Zn-Sn-O: " in result.stdout and "Li,Zn" not in result.stdout


def _every_command_line() -> list[list[str]]:
    """The command path of the app, every subcommand and every subcommand of a group (from the click tree)."""
    import typer.main

    paths: list[list[str]] = []

    def walk(command: object, path: list[str]) -> None:
        paths.append(path)
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, [*path, name])

    walk(typer.main.get_command(app), [])
    return paths


@pytest.mark.parametrize("path", _every_command_line(), ids=lambda p: " ".join(p) or "app")
def test_help_shows_flags_without_a_type(path: list[str]) -> None:
    """`--help` of every command lists its flags (--json, --alloys, --help...) as plain flags, with no `<bool>`."""
    result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "200", "NO_COLOR": "1"})
    assert result.exit_code == 0, result.output
    assert "--help" in result.output
    assert "bool" not in result.output.lower(), result.output
    help_line = next(line for line in result.output.splitlines() if "--help" in line)
    assert help_line.split("--help", 1)[1].split()[:1] == ["Show"], help_line


@pytest.mark.parametrize("path", _every_command_line(), ids=lambda p: " ".join(p) or "app")
def test_help_keeps_each_paragraph_of_a_command_unbroken(path: list[str]) -> None:
    """A command's description wraps at the terminal's width, not where its docstring's lines ended."""
    import typer.main

    command = typer.main.get_command(app)
    for name in path:
        command = command.commands[name]
    result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "2000", "NO_COLOR": "1"})
    assert result.exit_code == 0, result.output
    lines = [" ".join(line.split()) for line in result.output.splitlines()]
    for paragraph in (command.help or "").split("\n\n"):
        whole = " ".join(paragraph.split())
        assert any(whole.replace("`", "") in line.replace("`", "") for line in lines), paragraph  # on one line


#: Every command line that reads a file the user names; the file's path is appended last.
FILE_READERS = [
    ["check", "--known", "none", "--file"],
    ["known", "import", "--name", "audit"],
    ["check", "NaCl", "--known"],
    ["rank", "--system", "Li-O", "--known"],
    ["system", "Li-O", "--known", "none", "--oxidation-states"],
]


def _bad_file_line(args: list[str]) -> str:
    """Run a command in process; it must fail with exit 1 and one `error:` line without errno text."""
    result = runner.invoke(app, args)
    line = _one_error_line(result)
    assert line.startswith("error:") and "errno" not in line.lower() and "Traceback" not in result.output, line
    return line


@pytest.mark.parametrize("args", FILE_READERS, ids=lambda a: " ".join(a[:2]))
def test_a_missing_file_is_named_plainly(tmp_path: Path, args: list[str]) -> None:
    missing = tmp_path / "missing.txt"
    line = _bad_file_line([*args, str(missing)])
    assert line == f"error: no such file: {missing}", line


@pytest.mark.parametrize("args", FILE_READERS, ids=lambda a: " ".join(a[:2]))
def test_a_directory_is_not_a_file(tmp_path: Path, args: list[str]) -> None:
    line = _bad_file_line([*args, str(tmp_path)])
    assert f"{tmp_path} is a directory, not a" in line, line


@pytest.mark.parametrize("args", FILE_READERS, ids=lambda a: " ".join(a[:2]))
def test_an_unreadable_file_says_permission_denied(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    """The OS refusing the read (as it does for a mode-000 file when not root) is one plain line."""
    locked = tmp_path / "locked.txt"
    locked.write_text("NaCl\n")
    real_read_text = Path.read_text

    def refuse(self: Path, *a: object, **k: object) -> str:
        if self == locked:
            raise PermissionError(13, "Permission denied", str(self))
        return real_read_text(self, *a, **k)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "read_text", refuse)
    line = _bad_file_line([*args, str(locked)])
    assert "cannot read" in line and str(locked) in line and line.endswith("permission denied"), line


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads a mode-000 file")
def test_a_mode_000_file_in_a_real_process(tmp_path: Path) -> None:
    locked = tmp_path / "locked.txt"
    locked.write_text("NaCl\n")
    locked.chmod(0)
    proc = subprocess.run(
        [sys.executable, "-m", "chemspace.tui", "check", "--known", "none", "--file", str(locked)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.strip() == f"error: cannot read formula file {locked}: permission denied"


def test_check_file_missing_in_a_real_process(tmp_path: Path) -> None:
    """The newcomer's case, as typed: one line, no errno text, exit 1."""
    proc = subprocess.run(
        [sys.executable, "-m", "chemspace.tui", "check", "--file", "missing.txt"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines()[-1] == "error: no such file: missing.txt"
    assert "Errno" not in proc.stderr


def test_a_file_that_is_not_utf8_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"Na\xffCl\n")
    line = _bad_file_line(["check", "--known", "none", "--file", str(bad)])
    assert f"cannot read formula file {bad}: not UTF-8 text" in line, line


@pytest.mark.parametrize(
    "args",
    [
        ["export", "--arity", "2", "--known", "none", "--out"],
        ["export", "--system", "Li-O", "--known", "none", "--out"],
        ["rank", "--system", "Li-O", "--known", "none", "--out"],
        ["census", "--arity", "2", "--known", "none", "--checkpoint"],
    ],
    ids=lambda a: " ".join(a[:2]),
)
def test_an_output_that_is_a_directory_is_refused_before_any_work(tmp_path: Path, args: list[str]) -> None:
    target = tmp_path / "out.csv"
    target.mkdir()
    line = _bad_file_line([*args, str(target)])
    assert str(target) in line and "is a directory" in line, line
    assert not list(target.iterdir())
