"""interesting_breakdown: known-but-forbidden compositions each switch would admit, counted as smact says."""

from __future__ import annotations

import json

from test_explain import smact_verdict
from typer.testing import CliRunner

from chemspace.core.breakdown import interesting_breakdown
from chemspace.core.census import CensusSettings, run_census
from chemspace.core.composition import parse_formula
from chemspace.core.known import KnownEntry, KnownSet
from chemspace.core.rule import Rule
from chemspace.tui.cli import app

KNOWN = ["Fe3O4", "Sn3O4", "Mn3O4", "CuZn", "Cu5Zn8", "Li2SnO", "LiZn4SnO8", "NaCl", "SnO2", "FeNi3", "Co3O4", "Ni3Al"]


def _known(formulas: list[str]) -> KnownSet:
    entries = {parse_formula(f): [KnownEntry(id=f"k-{i}", formula=f)] for i, f in enumerate(formulas)}
    return KnownSet(name="test", source="test", entries=entries)


def test_breakdown_counts_equal_smact_validity_per_switch() -> None:
    comps = [parse_formula(f) for f in KNOWN]
    b = interesting_breakdown(comps, Rule())
    forbidden = [c for c in comps if not smact_verdict(c, Rule())]
    assert b.interesting == len(forbidden) > 0
    for field_name, variant in [
        ("alloys", Rule(alloys=True)),
        ("mixed_valence", Rule(mixed_valence=True)),
        ("no_pauling", Rule(pauling=False)),
        ("any_switch", Rule(alloys=True, mixed_valence=True, pauling=False)),
    ]:
        assert getattr(b, field_name) == sum(bool(smact_verdict(c, variant)) for c in forbidden), field_name
    assert b.alloys > 0 and b.mixed_valence > 0


def test_census_json_carries_the_breakdown_only_with_a_known_set() -> None:
    known = _known(KNOWN)
    pool = ("Fe", "Sn", "O", "Cu", "Zn")
    result = run_census(CensusSettings(arities=(2,), pool=pool, samples=10), known=known)
    doc = result.to_json()
    b = doc["interesting_breakdown"]["2"]
    assert b["interesting"] == result.arities[2].interesting  # same verdict as the census kernels
    binaries = [parse_formula(f) for f in KNOWN if set(parse_formula(f).symbols) <= set(pool)]
    assert b == interesting_breakdown([c for c in binaries if c.arity == 2], Rule()).to_json()
    plain = run_census(CensusSettings(arities=(2,), pool=pool, samples=10)).to_json()
    assert "interesting_breakdown" not in plain


def test_census_command_prints_the_breakdown(tmp_path) -> None:
    path = tmp_path / "known.csv"
    path.write_text("formula\n" + "\n".join(KNOWN) + "\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["census", "--arity", "2", "--samples", "5", "--known", str(path)])
    assert result.exit_code == 0, result.output
    assert "interesting: alloys would admit" in result.stdout
    doc = json.loads(
        CliRunner().invoke(app, ["census", "--arity", "2", "--samples", "5", "--known", str(path), "--json"]).stdout
    )
    assert doc["interesting_breakdown"]["2"]["interesting"] == doc["arities"]["2"]["interesting"]
