"""The system view under the rule: JSON/CSV/export rows carry assignments, reasons and witnesses."""

from __future__ import annotations

import csv
import json

import pyarrow.parquet as pq
from test_explain import smact_species, smact_verdict
from typer.testing import CliRunner

from chemspace.core.composition import parse_formula
from chemspace.core.rule import REASONS, Rule
from chemspace.tui.cli import app

runner = CliRunner()


def test_json_rows_carry_every_assignment_of_sno2() -> None:
    """SnO2: smact_filter gives Sn4+ O2- and Sn2+ with the peroxide O-; both are listed."""
    result = runner.invoke(app, ["system", "Sn-O", "--format", "json", "--known", "none"])
    assert result.exit_code == 0
    rows = {r["formula"]: r for r in json.loads(result.stdout)}
    sno2 = rows["SnO2"]
    expected = smact_species(("O", "Sn"), "smact14")

    assert [dict(sorted(a.items())) for a in sno2["assignments"]] == [
        dict(sorted(a.items())) for a in expected[parse_formula("SnO2")]
    ]
    assert sno2["oxidation_states"] == sno2["assignments"][0] and sno2["reason"] is None
    assert all(r["reason"] in REASONS for r in rows.values() if not r["allowed"])


def test_only_reason_and_csv_assignments() -> None:
    result = runner.invoke(app, ["system", "Li-Zn-Sn-O", "--only", "electronegativity", "--format", "csv"])
    lines = list(csv.DictReader(result.stdout.splitlines()))
    assert len(lines) == 433  # the count, from smact below
    assert all(r["reason"] == "electronegativity" and r["allowed"] == "false" for r in lines)
    allowed = runner.invoke(app, ["system", "Sn-O", "--format", "csv", "--only", "allowed", "--known", "none"])
    sno2 = next(r for r in csv.DictReader(allowed.stdout.splitlines()) if r["formula"] == "SnO2")
    assert set(sno2["assignments"].split(" | ")) == {"Sn+2 O-1", "Sn+4 O-2"}


def test_system_variants_follow_smact_validity() -> None:
    """--mixed-valence, --alloys, --no-pauling on a system: each row's verdict is smact_validity's."""
    for system, flags, rule in [
        ("Fe-O", ["--mixed-valence"], Rule(mixed_valence=True)),
        ("Sn-S", ["--mixed-valence"], Rule(mixed_valence=True)),
        ("Cu-Zn-Al", ["--alloys"], Rule(alloys=True)),
        ("Li-Sn-O", ["--no-pauling"], Rule(pauling=False)),
    ]:
        result = runner.invoke(app, ["system", system, "--format", "json", "--known", "none", *flags])
        assert result.exit_code == 0
        for row in json.loads(result.stdout):
            expected = smact_verdict(parse_formula(row["formula"]), rule)
            assert expected is None or row["allowed"] == expected, (flags, row["formula"])
            assert (row["reason"] is None) == row["allowed"]


def test_system_export_csv_and_parquet(tmp_path) -> None:
    out = tmp_path / "lzso.csv"
    result = runner.invoke(app, ["export", "--system", "Li-Zn-Sn-O", "--out", str(out), "--known", "none"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == 5837 and sum(r["allowed"] == "true" for r in rows) == 728
    assert sum(r["reason"] == "electronegativity" for r in rows) == 433
    pq_out = tmp_path / "feo.parquet"
    result = runner.invoke(
        app,
        ["export", "--system", "Fe-O", "--out", str(pq_out), "--known", "none", "--mixed-valence", "--allowed-only"],
    )
    assert result.exit_code == 0, result.output
    table = pq.read_table(pq_out).to_pylist()
    fe3o4 = next(r for r in table if r["formula"] == "Fe3O4")
    assert "Fe[+2,+3,+3] O-2" in fe3o4["assignments"].split(" | ")
    assert all(r["allowed"] for r in table)


def test_export_refusals_are_one_line(tmp_path) -> None:
    for args in (
        ["export", "--out", str(tmp_path / "x.csv")],
        ["export", "--arity", "2", "--system", "Li-O", "--out", str(tmp_path / "x.csv")],
        ["export", "--system", "Li-Xx", "--out", str(tmp_path / "x.csv")],
    ):
        result = runner.invoke(app, [*args, "--known", "none"])
        assert result.exit_code == 1 and result.stderr.startswith("error:") and "Traceback" not in result.output
    assert not (tmp_path / "x.csv").exists()
