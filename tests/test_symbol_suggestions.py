"""A mistyped element symbol gets one line naming it and at most three likely symbols, in every command."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chemspace.core.check import BadFormula, check_formulas
from chemspace.core.elements import MAX_SUGGESTIONS, all_symbols, symbol_suggestions
from chemspace.core.rule import Rule
from chemspace.tui.cli import app
from chemspace.tui.screens import explanation_text

runner = CliRunner()


@pytest.mark.parametrize(
    ("argv", "meant"),
    [
        (["check", "Oo", "--known", "none"], "O"),
        (["check", "Nq2O", "--known", "none"], "N"),
        (["system", "Li-Zz-O", "--known", "none"], "Zn"),
        (["system", "Li-OO", "--known", "none"], "O"),
        (["export", "--system", "Li-Sb-Qo", "--out", "x.csv", "--known", "none"], "Co"),
        (["rank", "--arity", "2", "--elements", "Li,Oo", "--known", "none"], "O"),
    ],
)
def test_a_mistyped_symbol_gets_a_suggestion_on_its_one_line(
    argv: list[str], meant: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, argv)
    lines = result.stderr.splitlines()
    assert result.exit_code == 1 and len(lines) == 1, result.output
    assert "did you mean" in lines[0]
    suggested = re.findall(r"'([A-Za-z]+)'", lines[0].split("did you mean", 1)[1])
    assert meant in suggested and 1 <= len(suggested) <= MAX_SUGGESTIONS
    assert set(suggested) <= set(all_symbols())


def test_a_symbol_in_the_wrong_case_names_only_the_right_one() -> None:
    result = runner.invoke(app, ["system", "li-Zn-O", "--known", "none"])
    assert result.exit_code == 1 and "case-sensitive: did you mean 'Li'?" in result.stderr
    assert symbol_suggestions("ZN") == ("Zn",)


def test_text_far_from_any_symbol_gets_no_guess() -> None:
    assert symbol_suggestions("Qwerty") == ()
    (bad,) = check_formulas(["Qwerty2O"], Rule())
    assert isinstance(bad, BadFormula) and "did you mean" not in bad.message


def test_the_apps_check_box_shows_the_suggestion() -> None:
    """The app's `k` box explains through the same parser, so it says the same."""
    shown = explanation_text("Zz2O", Rule()).plain
    assert shown.startswith("not a formula") and "did you mean 'Zn' or 'Zr'?" in shown
