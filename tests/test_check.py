"""`check`: verdicts equal smact_validity, bad formulas get one line each, files report bad lines."""

from __future__ import annotations

import json
import random

import pytest
from test_explain import README_EXAMPLES, VARIANTS, smact_verdict
from typer.testing import CliRunner

from chemspace.core.check import BadFormula, CheckResult, check_formulas, parse_checked
from chemspace.core.composition import parse_formula
from chemspace.core.elements import all_symbols
from chemspace.core.errors import InputError
from chemspace.core.rule import Rule
from chemspace.tui.cli import app

runner = CliRunner()

FLAGS = {
    "default": [],
    "no-pauling": ["--no-pauling"],
    "alloys": ["--alloys"],
    "mixed-valence": ["--mixed-valence"],
    "all": ["--no-pauling", "--alloys", "--mixed-valence"],
    "alloys+mixed": ["--alloys", "--mixed-valence"],
    "icsd24": ["--oxidation-states", "icsd24"],
    "icsd24-all": ["--oxidation-states", "icsd24", "--no-pauling", "--alloys", "--mixed-valence"],
}


@pytest.mark.parametrize("variant", list(FLAGS))
def test_cli_json_verdicts_equal_smact_validity(variant: str) -> None:
    formulas = [*README_EXAMPLES, "LiZn4(SnO2)4", "Fe2(SO4)3", "Li2SnO", "PmCl3"]
    result = runner.invoke(app, ["check", *formulas, "--json", "--known", "none", *FLAGS[variant]])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [r["formula"] for r in rows] == formulas
    for r in rows:
        assert set(r) >= {"formula", "allowed", "reason", "assignments", "category", "witness"}
        assert r["allowed"] == smact_verdict(parse_formula(r["formula"]), VARIANTS[variant]), r["formula"]
        assert (r["reason"] is None) == r["allowed"]
        assert r["category"] is None


def test_cli_human_output_shows_assignments_and_reason() -> None:
    result = runner.invoke(app, ["check", "SnO2", "Li2SnO", "Fe3O4", "--known", "none"])
    assert result.exit_code == 0
    out = result.stdout
    assert "SnO2: allowed, 2 assignments" in out and "Sn+2 O-1" in out and "Sn+4 O-2" in out
    assert "Li2SnO: forbidden (electronegativity)" in out and "not less electronegative" in out
    assert "Fe3O4: forbidden (not-charge-neutral)" in out
    mv = runner.invoke(app, ["check", "Fe3O4", "--mixed-valence", "--known", "none"])
    assert "Fe[+2,+3,+3] O-2" in mv.stdout


def test_bad_formulas_one_line_each_and_the_rest_still_checked() -> None:
    result = runner.invoke(app, ["check", "NaCl", "Xx2", "Fe3O4", "Na(Cl", "--json", "--known", "none"])
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 2 and "'Xx2'" in errors[0] and "'Na(Cl'" in errors[1]
    assert "Traceback" not in result.output
    assert [r["formula"] for r in json.loads(result.stdout)] == ["NaCl", "Fe3O4"]


def test_file_reports_bad_lines_by_number(tmp_path) -> None:
    path = tmp_path / "formulas.txt"
    path.write_text("# a comment\nNaCl\n\nQq3\nFe3O4  # magnetite\nHLiBeBCNO\nSn3O4\n", encoding="utf-8")
    result = runner.invoke(app, ["check", "--file", str(path), "--json", "--known", "none", "--mixed-valence"])
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 2
    assert errors[0].startswith("error: line 4:") and "Qq3" in errors[0]
    assert errors[1].startswith("error: line 6:") and "7 elements" in errors[1]
    rows = json.loads(result.stdout)
    assert [(r["formula"], r["line"], r["allowed"]) for r in rows] == [
        ("NaCl", 2, True),
        ("Fe3O4", 5, True),
        ("Sn3O4", 7, True),
    ]


def test_file_from_standard_input() -> None:
    result = runner.invoke(app, ["check", "--file", "-", "--json", "--known", "none"], input="NaCl\nFe3O4\n")
    assert result.exit_code == 0
    assert [(r["formula"], r["line"]) for r in json.loads(result.stdout)] == [("NaCl", 1), ("Fe3O4", 2)]


def test_no_formula_is_a_usage_error(tmp_path) -> None:
    result = runner.invoke(app, ["check", "--known", "none"])
    assert result.exit_code == 2 and result.stderr.startswith("error:")
    missing = runner.invoke(app, ["check", "--file", str(tmp_path / "nope.txt"), "--known", "none"])
    assert missing.exit_code == 1 and "nope.txt" in missing.stderr and "Traceback" not in missing.output
    (tmp_path / "empty.txt").write_text("\n\n")
    empty = runner.invoke(app, ["check", "--file", str(tmp_path / "empty.txt"), "--known", "none"])
    assert empty.exit_code == 1 and "holds no formula" in empty.stderr


def test_known_set_gives_category_and_entries(tmp_path) -> None:
    known = tmp_path / "known.csv"
    known.write_text("formula\nFe3O4\nNaCl\n", encoding="utf-8")
    result = runner.invoke(app, ["check", "Fe3O4", "NaCl", "LiZn4SnO8", "--json", "--known", str(known)])
    assert result.exit_code == 0, result.output
    cats = {r["formula"]: r["category"] for r in json.loads(result.stdout)}
    assert cats == {"Fe3O4": "interesting", "NaCl": "standard", "LiZn4SnO8": "unlikely"}
    mv = runner.invoke(app, ["check", "Fe3O4", "--known", str(known), "--mixed-valence"])
    assert "category: standard" in mv.stdout


def test_fast_path_parses_like_parse_formula() -> None:
    """The plain-formula fast path gives the same reduced composition as pymatgen's parser."""
    rng = random.Random(7)
    symbols = all_symbols()
    for _ in range(500):
        els = rng.sample(symbols, rng.randint(1, 6))
        text = "".join(f"{s}{rng.choice(['', rng.randint(1, 40)])}" for s in els + rng.sample(els, 1))
        assert parse_checked(text) == parse_formula(text), text


@pytest.mark.parametrize("text", ["Fe2O3" * 2000, "Fe999999" * 3 + "O"])
def test_fast_path_refuses_what_parse_formula_refuses(text: str) -> None:
    """A plain formula too long, or with an absurd amount, gets parse_formula's own one-line refusal."""
    with pytest.raises(InputError) as expected:
        parse_formula(text)
    with pytest.raises(InputError) as got:
        parse_checked(text)
    assert str(got.value) == str(expected.value)


def test_any_counts_beyond_max_stoich() -> None:
    """check is not limited to the census's coefficient limit: LiZn4Sn4O8 reduces, Fe30O40 is Fe3O4."""
    mv = Rule(mixed_valence=True)
    results = check_formulas(["Li2ZnSn3O8", "Fe30O40", "Li13Cl13", "Fe11O12"], mv)
    assert all(isinstance(r, CheckResult) for r in results)
    for r in results:
        expected = smact_verdict(r.explanation.composition, mv)  # None: smact gives up (Fe11O12)
        assert r.explanation.allowed == expected or (expected is None and r.explanation.allowed)
    assert results[1].explanation.composition == parse_formula("Fe3O4")
    assert isinstance(check_formulas(["Zz"])[0], BadFormula)
    huge = check_formulas(["Fe99999O100000", "NaCl"], mv)  # beyond the search's size: one bad line, rest checked
    assert isinstance(huge[0], BadFormula) and "Fe" in huge[0].message and huge[1].explanation.allowed


def test_reason_sentences_name_the_cause() -> None:
    result = runner.invoke(app, ["check", "Fe3O4", "CuZn", "HeO", "PmCl3", "--known", "none"])
    out = result.stdout
    assert "--mixed-valence would let Fe atoms differ" in out
    assert "metals only: --alloys would allow it" in out
    assert "He has no oxidation states in smact14" in out
    assert "Pm has no Pauling electronegativity" in out
    allowed = runner.invoke(app, ["check", "PmCl3", "--no-pauling", "--known", "none"])
    assert "Cl3Pm): allowed" in allowed.stdout or "PmCl3: allowed" in allowed.stdout


def test_a_composition_beyond_the_coefficient_limit_is_said_to_be_outside_the_census() -> None:
    """Li17Sn4 has a category of its own but lies outside the space the census counts (coefficients <= 8)."""
    from chemspace.core.check import check_formulas
    from chemspace.core.rule import Rule

    beyond, inside = check_formulas(["Li17Sn4", "Li2O"], Rule())
    assert beyond.outside_space == "outside the census space (coefficients <= 8)"
    assert inside.outside_space is None
    wider = check_formulas(["Li17Sn4"], Rule(max_stoich=16))[0]
    assert wider.outside_space == "outside the census space (coefficients <= 16)"
    assert check_formulas(["Li16Sn4"], Rule(max_stoich=8))[0].outside_space is None  # reduced: Li4Sn
