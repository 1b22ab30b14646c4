"""The chemical-system view and the streaming export."""

from __future__ import annotations

import csv
import itertools
import math
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from chemspace.core.census import CensusSettings, run_census
from chemspace.core.composition import Composition, parse_formula
from chemspace.core.errors import InputError
from chemspace.core.export import ExportSpec, write_export
from chemspace.core.rule import Rule
from chemspace.core.system import system_rows

from smact_reference import smact_allowed


def test_li_zn_sn_o_rows() -> None:
    rows = system_rows("Li-Zn-Sn-O")
    assert len(rows) == 5837
    assert sum(r.allowed for r in rows) == 728
    by_formula = {r.formula: r for r in rows}
    assert by_formula["ZnO"].oxidation_states == {"Zn": 2, "O": -2}
    assert by_formula["Zn2O"].oxidation_states == {"Zn": 1, "O": -2}
    assert by_formula["LiZn4SnO8"].allowed is False and by_formula["LiZn4SnO8"].oxidation_states is None
    allowed = {r.composition for r in rows if r.allowed}
    for subset in [("Zn", "O"), ("Li", "Zn", "O"), ("Li", "Zn", "Sn", "O")]:
        assert smact_allowed(subset) == {c for c in allowed if c.symbols == tuple(sorted(subset, key=_z))}


def _z(symbol: str) -> int:
    from chemspace.core.elements import atomic_numbers

    return atomic_numbers()[symbol]


def test_system_rejects_bad_input() -> None:
    for bad, msg in [
        ("Li-Zn-Xx", "'Xx'"),
        ("Li-Li-O", "repeated"),
        ("Li", "at least two"),
        ("H-He-Li-Be-B-C-N", "at most 6"),
    ]:
        with pytest.raises(InputError, match=msg):
            system_rows(bad)


def test_binary_csv_export_has_every_composition(tmp_path) -> None:
    out = tmp_path / "binary.csv"
    written = write_export(ExportSpec(arity=2), out)
    assert written == 225_879
    with out.open() as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 225_879
    assert sum(r["allowed"] == "true" for r in rows) == 13_464
    formulas = {r["formula"]: r for r in rows}
    assert formulas["ZnO"]["allowed"] == "true" and formulas["ZnO3"]["allowed"] == "false"
    assert {formulas["ZnO"]["element_1"], formulas["ZnO"]["element_2"]} == {"Zn", "O"}
    # formulas are conventional and parse back to their own columns
    for r in rows[:2000:37]:
        comp = parse_formula(r["formula"])
        assert comp.as_dict() == {r["element_1"]: int(r["count_1"]), r["element_2"]: int(r["count_2"])}
    assert not list(tmp_path.glob("*.part"))


def test_allowed_only_parquet_export(tmp_path) -> None:
    out = tmp_path / "lzso.parquet"
    spec = ExportSpec(arity=4, allowed_only=True, pool=("Li", "Zn", "Sn", "O"))
    written = write_export(spec, out)
    table = pq.read_table(out)
    assert table.num_rows == written
    formulas = set(table.column("formula").to_pylist())
    assert "Li2ZnSn3O8" in formulas and "LiZnSnO2" in formulas and "LiZn4SnO8" not in formulas
    expected = {r.formula for r in system_rows("Li-Zn-Sn-O") if r.allowed and r.arity == 4}
    assert formulas == expected


def test_interrupted_export_leaves_no_file(tmp_path) -> None:
    import threading

    from chemspace.core.errors import CancelledError

    out = tmp_path / "t.csv"
    out.write_text("previous\n")
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(CancelledError):
        write_export(ExportSpec(arity=2), out, cancel=cancel)
    assert out.read_text() == "previous\n"
    assert not list(tmp_path.glob("*.part"))


VARIANTS = {
    "no-pauling": Rule(max_stoich=4, pauling=False),
    "alloys": Rule(max_stoich=4, alloys=True),
    "mixed-valence": Rule(max_stoich=4, mixed_valence=True),
    "all": Rule(max_stoich=4, pauling=False, alloys=True, mixed_valence=True),
}


@pytest.mark.parametrize("variant", VARIANTS)
def test_whole_space_export_follows_the_rule(tmp_path, variant: str) -> None:
    """Every exported row's allowed flag is the rule's verdict (explain, itself tested against smact_validity),
    and the allowed rows are as many as the census counts under the same rule."""
    from chemspace.core.explain import explain

    rule = VARIANTS[variant]
    pool = ("Na", "Fe", "Sn", "Cu", "Zn", "Cl", "Pm")
    out = tmp_path / "t.parquet"
    write_export(ExportSpec(arity=3, rule=rule, pool=pool), out)
    rows = pq.read_table(out).to_pylist()
    assert len(rows) == 35 * sum(1 for w in itertools.product(range(1, 5), repeat=3) if math.gcd(*w) == 1)
    for row in rows:
        comp = Composition.from_counts({row[f"element_{j}"]: row[f"count_{j}"] for j in (1, 2, 3)})
        assert row["allowed"] == explain(comp, rule).allowed, (variant, comp.formula)
    census = run_census(CensusSettings(arities=(3,), rule=rule, pool=pool, samples=0))
    assert sum(r["allowed"] for r in rows) == census.arities[3].allowed


def _cli_system_file(tmp_path, name: str, *args: str) -> bytes:
    """`chemspace-tui system Li-Zn-Sn-O --known icsd.txt ... --out NAME` (the tests' imported set), its bytes."""
    from typer.testing import CliRunner

    from chemspace.tui.cli import app

    out = tmp_path / name
    command = ["system", "Li-Zn-Sn-O", "--known", str(tmp_path / "icsd.txt"), *args, "--out", str(out)]
    result = CliRunner().invoke(app, command)
    assert result.exit_code == 0, result.output
    return out.read_bytes()


def test_app_and_command_line_write_the_same_system_export(tmp_path, monkeypatch) -> None:
    """The app's system export and `system --out` are the same file (columns, order, scores); its default
    name names the system and the kept label; an existing file is replaced only once confirmed."""
    import asyncio

    from app_helpers import imported_set, system_app, wait_for, wait_ready
    from textual.widgets import Input, Select

    from chemspace.tui.screens import ExportScreen

    monkeypatch.setenv("CHEMSPACE_EXPORT_DIR", str(tmp_path / "exports"))
    known = imported_set(tmp_path, "icsd")
    every = _cli_system_file(tmp_path, "cli.csv")
    missing = _cli_system_file(tmp_path, "cli-missing.csv", "--only", "missing")

    async def scenario() -> None:
        app = system_app(known=known)
        async with app.run_test(size=(140, 36)) as pilot:
            await wait_ready(pilot)
            await pilot.press("e")  # the census tab, in system mode
            assert Path(app.screen.query_one(Input).value).name == "Li-Zn-Sn-O-census.json"
            await pilot.press("escape")
            await pilot.press("4")
            await pilot.press("e")
            target = Path(app.screen.query_one(Input).value)
            assert target.name == "Li-Zn-Sn-O.csv"
            await pilot.press("enter")
            await wait_for(pilot, target.exists)
            assert target.read_bytes() == every

            app.main.query_one("#system-label", Select).value = "missing"
            await pilot.pause()
            await pilot.press("e")
            target = Path(app.screen.query_one(Input).value)
            assert target.name == "Li-Zn-Sn-O-missing.csv"
            target.write_text("previous\n")
            await pilot.press("enter")  # exists: asks, writes nothing
            await pilot.pause()
            assert isinstance(app.screen, ExportScreen) and "exists" in str(
                app.screen.query_one("#export-note").render()
            )
            await pilot.press("escape")
            await pilot.pause()
            assert target.read_text() == "previous\n"
            await pilot.press("e", "enter", "enter")  # asked, then confirmed
            await wait_for(pilot, lambda: target.read_bytes() != b"previous\n")
            await wait_for(pilot, lambda: target.read_bytes() == missing)

    asyncio.run(scenario())


def test_every_system_export_format_has_the_one_column_order(tmp_path) -> None:
    """CSV header, Parquet schema and JSON score keys follow core.export's one column definition."""
    import csv as csv_module
    import json

    from chemspace.core.export import SYSTEM_COLUMNS, SYSTEM_KNOWN_COLUMNS, SYSTEM_SCORE_COLUMNS

    expected = [*SYSTEM_COLUMNS, *SYSTEM_KNOWN_COLUMNS, *SYSTEM_SCORE_COLUMNS]
    (tmp_path / "icsd.txt").write_text("ZnO\nSnO2\nLi2SnO3\n")
    _cli_system_file(tmp_path, "s.csv")
    _cli_system_file(tmp_path, "s.parquet")
    _cli_system_file(tmp_path, "s.json")
    with (tmp_path / "s.csv").open() as fh:
        header = next(csv_module.reader(fh))
    assert header == expected
    table = pq.read_table(tmp_path / "s.parquet")
    assert table.column_names == expected and table.num_rows == 5837
    rows = json.loads((tmp_path / "s.json").read_text())
    assert len(rows) == 5837 and all(set(SYSTEM_SCORE_COLUMNS) <= set(r) for r in rows)
    by_formula = {r["formula"]: r for r in table.to_pylist()}
    for r in rows:
        assert r["rank"] == by_formula[r["formula"]]["rank"]
        assert (r["rank"] is None) == (r["category"] != "missing")
