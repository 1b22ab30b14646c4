"""Table 1 of the paper through the system view: the four categories over Li-Zn-Sn-O.

The known set is the paper's seven MP compounds, LiZn4Sn4O8 written as pymatgen writes it
("LiZn4(SnO2)4"), so the test also shows that matching is by reduced composition.
"""

from __future__ import annotations

import pytest

from chemspace.core.known import KnownEntry, build_set

system = pytest.importorskip("chemspace.core.system")  # the lead's module; runs once it has landed

TABLE1_KNOWN = ["ZnO", "ZnO2", "LiZnO2", "Li6ZnO4", "Li2ZnSn3O8", "LiZn4SnO8", "LiZn4(SnO2)4"]

TABLE1 = {
    "standard": ["ZnO", "ZnO2", "LiZnO2", "Li6ZnO4", "Li2ZnSn3O8"],
    "missing": ["Zn2O", "LiZnO", "LiZnSnO2"],
    "interesting": ["LiZn4SnO8", "LiZn4Sn4O8"],
    "unlikely": ["ZnO3", "LiZnO4", "LiZnSnO"],
}


def _rows(known: object) -> dict[str, object]:
    rows = system.system_rows(["Li", "Zn", "Sn", "O"], known=known)
    by_formula = {row.formula: row for row in rows}
    assert len(by_formula) == len(rows)  # each reduced composition once
    return by_formula


def test_table1_categories() -> None:
    known = build_set("table1", "paper Table 1", [KnownEntry(f"mp-{i}", f) for i, f in enumerate(TABLE1_KNOWN)])
    rows = _rows(known)
    got = {category: [f for f in formulas if rows[f].category == category] for category, formulas in TABLE1.items()}
    assert got == TABLE1
    # the seven known compounds are the only known rows, whatever their category
    assert sorted(f for f, row in rows.items() if row.category in ("standard", "interesting")) == sorted(
        TABLE1["standard"] + TABLE1["interesting"]
    )


def test_without_a_known_set_there_are_no_categories() -> None:
    rows = _rows(None)
    assert all(rows[f].category is None for formulas in TABLE1.values() for f in formulas)
