"""Every option that takes a value shows a name a user reads (FILE, N, SYSTEM), the same one in every command."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator

import pytest
import typer
from typer.testing import CliRunner

from chemspace.tui.cli import app

#: An option's value name: capitals, as typer's usage line shows them.
READABLE = re.compile(r"[A-Z][A-Z_]*")


def _commands() -> Iterator[tuple[list[str], object]]:
    """(path, command) for the app and every subcommand, nested groups included."""
    stack = [([], typer.main.get_command(app))]
    while stack:
        path, command = stack.pop()
        yield path, command
        stack.extend(([*path, name], sub) for name, sub in getattr(command, "commands", {}).items())


def _value_options() -> list[tuple[str, str, str | None]]:
    """(command, option, metavar) for every option that takes a value."""
    found = []
    for path, command in _commands():
        ctx = typer.Context(command)
        for param in command.get_params(ctx):
            if param.param_type_name == "option" and not param.is_flag:
                found.append((" ".join(path) or "(app)", param.opts[0], param.metavar))
    return found


def test_every_value_option_has_a_readable_metavar() -> None:
    options = _value_options()
    assert len(options) > 40  # every command's options were found
    unnamed = [(c, o, m) for c, o, m in options if m is None or not READABLE.fullmatch(m)]
    assert unnamed == []


def test_an_option_has_one_metavar_across_commands() -> None:
    """--arity reads N where a command takes one arity and ARITIES where it takes a list."""
    names: dict[str, set[str | None]] = defaultdict(set)
    for _, option, metavar in _value_options():
        names[option].add(metavar)
    assert names.pop("--arity") == {"N", "ARITIES"}
    assert {option: sorted(m) for option, m in names.items() if len(m) > 1} == {}
    assert names["--out"] == {"FILE"} and names["--known"] == {"SETS"} and names["--system"] == {"SYSTEM"}


@pytest.mark.parametrize("path", [[], ["census"], ["system"], ["export"], ["project"], ["rank"], ["known", "fetch"]])
def test_help_shows_no_type_in_angle_brackets_for_options(path: list[str]) -> None:
    result = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "160"})
    assert result.exit_code == 0
    options_panel = result.output.split("Options", 1)[1]
    assert "<" not in options_panel, options_panel
