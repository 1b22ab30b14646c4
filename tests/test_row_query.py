"""The system table's query language: element, ion, formula and text words, checked on Li-Zn-Sn-O."""

from __future__ import annotations

import pytest

from chemspace.core.composition import parse_formula
from chemspace.core.row_query import parse_query
from chemspace.core.system import SystemRow, system_rows


@pytest.fixture(scope="module")
def rows() -> list[SystemRow]:
    return system_rows("Li-Zn-Sn-O")


def _hits(rows: list[SystemRow], query: str) -> list[SystemRow]:
    q = parse_query(query)
    return [r for r in rows if q(r, f"{r.formula} {r.label} {r.oxidation_text()}".lower())]


def test_an_element_symbol_means_contains_it(rows: list[SystemRow]) -> None:
    hits = _hits(rows, "O")
    assert hits == [r for r in rows if "O" in r.composition.symbols] and len(hits) < len(rows)


def test_ions_in_either_notation(rows: list[SystemRow]) -> None:
    hits = _hits(rows, "Sn2+")
    assert hits and all(any(a.get("Sn") == 2 for a in r.assignments) for r in hits)
    assert hits == _hits(rows, "Sn+2") == [r for r in rows if any(a.get("Sn") == 2 for a in r.assignments)]
    peroxide_like = _hits(rows, "O-")  # LiO is allowed as Li+ O-: the assignment, not the element, decides
    assert parse_formula("LiO") in {r.composition for r in peroxide_like}
    assert parse_formula("LiO") not in {r.composition for r in _hits(rows, "O2-")}


def test_formulas_are_exact_and_element_sets_need_dashes_or_commas(rows: list[SystemRow]) -> None:
    assert [r.composition for r in _hits(rows, "SnO2")] == [parse_formula("SnO2")]
    assert [r.composition for r in _hits(rows, "Sn3ZnLi2O8")] == [parse_formula("Li2ZnSn3O8")]
    # counts left out are 1, as chemists write: the paper's Table 1 formulas find themselves
    assert [r.composition for r in _hits(rows, "ZnO")] == [parse_formula("ZnO")]
    assert [r.composition for r in _hits(rows, "LiZnSnO")] == [parse_formula("LiZnSnO")]
    both = [r for r in rows if {"Sn", "O"} <= set(r.composition.symbols)]
    assert _hits(rows, "Sn-O") == _hits(rows, "O,Sn") == both and len(both) > 1


def test_an_ion_matches_any_assignment_not_only_the_first(rows: list[SystemRow]) -> None:
    """Rows list every assignment smact_filter finds: an ion matches if any of them has it."""
    later = [r for r in rows if any(a.get("O") == -1 for a in r.assignments[1:]) and r.oxidation_states["O"] != -1]
    assert later  # e.g. SnO2: Sn+4 O-2 first, Sn+2 O-1 after
    hits = {r.composition for r in _hits(rows, "O-")}
    assert all(r.composition in hits for r in later)
    assert _hits(rows, "O-") == [r for r in rows if any(a.get("O") == -1 for a in r.assignments)]
