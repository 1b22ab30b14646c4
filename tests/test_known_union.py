"""Several known sets at once (`--known a,b`) and `known compare`, on generated sets with known answers.

Which compositions are allowed comes from smact itself (tests/smact_reference.py), never from us.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chemspace.core.census import CensusSettings, run_census
from chemspace.core.composition import Composition, parse_formula
from chemspace.core.errors import InputError
from chemspace.core.known import KnownEntry, KnownSet, build_set, resolve_known, save_set, union_sets
from chemspace.core.known_compare import category_counts, compare_sets
from chemspace.core.rule import Category, Rule, category
from chemspace.tui.cli import app

from smact_reference import smact_allowed

SYSTEM = ("Li", "Zn", "Sn", "O")


def _formulas(seed: int, n: int) -> list[str]:
    """``n`` distinct binary/ternary formulas over Li-Zn-Sn-O, some forbidden, some repeated (polymorphs)."""
    rng = random.Random(seed)
    out: list[str] = []
    while len(set(out)) < n:
        k = rng.choice([2, 2, 3])
        symbols = rng.sample(SYSTEM, k)
        out.append("".join(f"{s}{rng.randint(1, 6)}" for s in symbols))
    return out + out[:3]


def _set(name: str, formulas: list[str]) -> KnownSet:
    rows = [KnownEntry(id=f"{name}-{i}", formula=f) for i, f in enumerate(formulas)]
    return build_set(name, f"generated {name}", rows)


@pytest.fixture
def two_sets() -> tuple:
    a = _set("seta", _formulas(1, 60))
    b = _set("setb", _formulas(2, 50) + _formulas(1, 60)[:20])  # overlap: the first 20 of A
    save_set(a)
    save_set(b)
    return a, b


def _allowed(comp: Composition) -> bool:
    return comp in smact_allowed(comp.symbols)


def test_union_holds_both_and_says_which(two_sets: tuple) -> None:
    a, b = two_sets
    union = resolve_known("seta,setb")
    assert union is not None and union.members == ("seta", "setb")
    assert set(union.entries) == set(a.entries) | set(b.entries)
    for comp in union.entries:
        expected = {name for name, s in (("seta", a), ("setb", b)) if comp in s}
        assert union.sources(comp) == expected
        assert {e.set_name for e in union.entries[comp]} == expected
        assert len(union.entries[comp]) == len(a.entries.get(comp, [])) + len(b.entries.get(comp, []))
    assert a.sources(next(iter(a.entries))) == {"seta"}
    assert a.sources(parse_formula("Xe")) == frozenset()


def test_union_with_a_file(two_sets: tuple, tmp_path: Path) -> None:
    extra = tmp_path / "extra.txt"
    extra.write_text("LiF\nZnO\n")
    union = resolve_known(f"seta,{extra}")
    assert union.sources(parse_formula("LiF")) == {"extra"}


@pytest.mark.parametrize("spec", ["seta,", "seta,none", "seta,seta", "seta,nosuchset"])
def test_bad_union_lists(two_sets: tuple, spec: str) -> None:
    with pytest.raises(InputError):
        resolve_known(spec)


def test_system_labels_against_the_union(two_sets: tuple) -> None:
    """`system --known a,b` marks a composition known exactly when either set holds it."""
    a, b = two_sets
    result = CliRunner().invoke(app, ["system", "Li-Zn-O", "--known", "seta,setb", "--format", "json", "-a", "2-3"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert rows
    for row in rows:
        comp = Composition.from_counts(dict(zip(row["elements"], row["counts"])))
        assert row["known"] == (comp in a.entries or comp in b.entries)
        holders = [name for name, s in (("seta", a), ("setb", b)) if comp in s]
        assert row["sources"] == holders
        assert sorted({e["set"] for e in row["entries"]}) == holders


def test_check_says_which_sets_hold_a_formula(two_sets: tuple) -> None:
    """`check --known a,b --json` names the sets holding each formula, entry by entry."""
    a, b = two_sets
    both = next(c for c in a.entries if c in b.entries)
    only_a = next(c for c in a.entries if c not in b.entries)
    result = CliRunner().invoke(app, ["check", both.formula, only_a.formula, "--known", "seta,setb", "--json"])
    assert result.exit_code == 0, result.output
    first, second = json.loads(result.stdout)
    assert first["sources"] == ["seta", "setb"] and second["sources"] == ["seta"]
    assert {e["set"] for e in first["entries"]} == {"seta", "setb"}
    text = CliRunner().invoke(app, ["check", both.formula, "--known", "seta,setb"]).stdout
    assert "known in seta, setb" in text


def test_bad_union_on_the_command_line(two_sets: tuple) -> None:
    result = CliRunner().invoke(app, ["system", "Li-O", "--known", "seta,seta"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.stderr.strip().startswith("error:") and "twice" in result.stderr


def test_compare_counts_and_transitions(two_sets: tuple) -> None:
    """Every count and every move checked against set membership and smact's verdicts."""
    a, b = two_sets
    result = compare_sets(a, b, Rule(), arities=(2, 3), list_moves=True)
    for arity in (2, 3):
        in_a = {c for c in a.entries if c.arity == arity}
        in_b = {c for c in b.entries if c.arity == arity}
        got = result.arities[arity]
        assert (got.in_a, got.in_b, got.both) == (len(in_a), len(in_b), len(in_a & in_b))
        expected: dict = {}
        for comp in in_a | in_b:
            ok = _allowed(comp)
            move = (category(ok, comp in in_a), category(ok, comp in in_b))
            expected.setdefault(move, set()).add(comp)
        assert got.transitions == {m: len(c) for m, c in expected.items()}
        assert {m: set(c) for m, c in got.moves.items()} == {m: c for m, c in expected.items() if m[0] != m[1]}
        assert (Category.STANDARD, Category.MISSING) in got.transitions  # the generated sets do disagree
        assert (Category.INTERESTING, Category.UNLIKELY) in got.transitions


def test_compare_command_json(two_sets: tuple) -> None:
    a, b = two_sets
    result = CliRunner().invoke(app, ["known", "compare", "seta", "setb", "--arity", "2", "--json", "--list"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    binary = doc["arities"]["2"]
    in_a = {c for c in a.entries if c.arity == 2}
    in_b = {c for c in b.entries if c.arity == 2}
    assert (binary["only_a"], binary["only_b"]) == (len(in_a - in_b), len(in_b - in_a))
    lost = {parse_formula(f) for f in binary["moves"]["standard->missing"]}
    assert lost == {c for c in in_a - in_b if _allowed(c)}
    assert doc["transitions"]["standard"]["missing"] == len(lost)
    assert sum(sum(row.values()) for row in doc["transitions"].values()) == len(in_a | in_b)


def test_compare_command_table(two_sets: tuple) -> None:
    result = CliRunner().invoke(app, ["known", "compare", "seta", "setb", "-a", "2-3"], env={"COLUMNS": "160"})
    assert result.exit_code == 0, result.output
    assert "Only seta" in result.stdout and "interesting" in result.stdout


def test_compare_bad_operands(two_sets: tuple) -> None:
    for args in (["seta", "none"], ["seta", "nosuchset"], ["seta", "setb", "--arity", "9"]):
        result = CliRunner().invoke(app, ["known", "compare", *args])
        assert result.exit_code == 1, (args, result.output)
        assert result.stderr.startswith("error:") and "Traceback" not in result.output


def test_union_of_one_is_the_set(two_sets: tuple) -> None:
    a, _ = two_sets
    assert union_sets([a]) is a


#: Table 2 of the paper: binary compositions in the space, and how many SMACT allows.
PAPER_BINARY_UNIQUE, PAPER_BINARY_ALLOWED = 225_879, 13_464


def test_compare_with_the_census_counts_every_composition(two_sets: tuple) -> None:
    """With --census the table covers the whole space: rows are A's four categories, columns B's."""
    a, b = two_sets
    result = CliRunner().invoke(app, ["known", "compare", "seta", "setb", "--arity", "2", "--census", "--json"])
    assert result.exit_code == 0, result.output
    binary = json.loads(result.stdout)["arities"]["2"]
    assert binary["complete"] is True
    table = binary["transitions"]
    assert sum(sum(row.values()) for row in table.values()) == PAPER_BINARY_UNIQUE
    for side, known in (("a", a), ("b", b)):
        cats = binary["categories"][side]
        assert cats["standard"] + cats["missing"] == PAPER_BINARY_ALLOWED
        in_set = [c for c in known.entries if c.arity == 2]
        assert cats["standard"] == sum(_allowed(c) for c in in_set)
        assert cats["interesting"] == sum(not _allowed(c) for c in in_set)
    assert sum(table["missing"].values()) == binary["categories"]["a"]["missing"]


def test_compare_without_the_census_says_it_is_partial(two_sets: tuple) -> None:
    result = CliRunner().invoke(app, ["known", "compare", "seta", "setb", "--arity", "2", "--json"])
    assert json.loads(result.stdout)["arities"]["2"]["complete"] is False


def test_a_second_sets_counts_match_its_own_census(two_sets: tuple) -> None:
    """category_counts (B beside a census run with A) equals the census run with B itself, in a system."""
    a, b = two_sets
    b = union_sets([b, _set("elsewhere", ["NaCl", "MgO", "Li2S", "ZnSe"])])  # outside the pool: not counted
    settings = CensusSettings(arities=(2, 3), samples=0, pool=SYSTEM)
    first = run_census(settings, known=a)
    totals = {k: (c.allowed, c.unique - c.allowed) for k, c in first.arities.items()}
    beside = category_counts(b, settings.rule, totals, pool=SYSTEM)
    own = run_census(settings, known=b)
    assert set(own.arities) == set(beside) == {2, 3}
    for arity, census in own.arities.items():
        assert beside[arity] == {cat: census.count(cat) for cat in Category}
        assert beside[arity][Category.STANDARD] > 0 and beside[arity][Category.INTERESTING] > 0
