"""Anion classes by the most electronegative element (Fig. 5): the documented rule on examples."""

from __future__ import annotations

import pytest

from chemspace.core.anions import ANION_CLASSES, DEFAULT_ANION_RULE, anion_class, anion_classes, most_electronegative
from chemspace.core.composition import parse_formula


@pytest.mark.parametrize(
    ("formula", "expected"),
    [
        ("ZnO", "oxide"),
        ("Al2O3", "oxide"),
        ("KBrO3", "oxide"),  # O (3.44) beats Br (2.96)
        ("Li2ZnSn3O8", "oxide"),
        ("GaSb", "pnictide"),  # Sb (2.05) beats Ga (1.81)
        ("GaAs", "pnictide"),
        ("Li3N", "pnictide"),
        ("Na3P", "pnictide"),
        ("NaCl", "halide"),
        ("CsPbI3", "halide"),
        ("MgF2", "halide"),
        ("OF2", "halide"),  # F (3.98) beats O
        ("CuFeS2", "chalcogenide"),
        ("CdTe", "chalcogenide"),
        ("ZnSe", "chalcogenide"),
        ("Fe3Al", "other"),
        ("CuZn", "other"),
        ("NaH", "other"),  # H (2.20) is not in the rule
        ("SiC", "other"),  # C (2.55) is not in the rule
        ("Au2Te", "other"),  # Au (2.54) beats Te (2.1)
    ],
)
def test_default_rule(formula: str, expected: str) -> None:
    assert anion_class(parse_formula(formula)) == expected


def test_most_electronegative_ignores_elements_without_a_pauling_value() -> None:
    assert most_electronegative(parse_formula("XeF2")) == "F"
    assert most_electronegative(parse_formula("NaCl")) == "Cl"


def test_rule_is_configurable() -> None:
    rule = {**DEFAULT_ANION_RULE, "H": "hydride", "C": "carbide"}
    assert anion_class(parse_formula("NaH"), rule) == "hydride"
    assert anion_class(parse_formula("SiC"), rule) == "carbide"
    assert anion_class(parse_formula("ZnO"), {"Cl": "chloride"}) == "other"
    assert anion_classes([parse_formula("NaCl"), parse_formula("ZnO")]) == ["halide", "oxide"]


def test_rule_covers_the_papers_classes() -> None:
    assert set(DEFAULT_ANION_RULE.values()) | {"other"} == set(ANION_CLASSES)
    assert {e for e, c in DEFAULT_ANION_RULE.items() if c == "pnictide"} == {"N", "P", "As", "Sb"}
    assert {e for e, c in DEFAULT_ANION_RULE.items() if c == "chalcogenide"} == {"S", "Se", "Te"}
    assert {e for e, c in DEFAULT_ANION_RULE.items() if c == "halide"} == {"F", "Cl", "Br", "I"}
