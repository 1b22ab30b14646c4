"""Formula parsing under hostile input: hydrates both ways, isotopes, zero and absurd counts, long lines,
and agreement with pymatgen's parser on pymatgen's own syntax (property-based)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pymatgen.core import Composition as PmgComposition

from chemspace.core.composition import Composition, parse_formula
from chemspace.core.elements import all_symbols
from chemspace.core.errors import InputError
from chemspace.core.formula import MAX_AMOUNT, MAX_FORMULA_LENGTH

#: Hypothesis settings for the whole audit: fixed examples per run, no deadline (the machine is shared).
AUDIT = settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])


def _pmg(text: str) -> Composition:
    """What pymatgen reads ``text`` as, reduced."""
    return Composition.from_counts({str(e): a for e, a in PmgComposition(text).get_el_amt_dict().items()})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("CuSO4.5H2O", "CuSO4(H2O)5"),
        ("CuSO4·5H2O", "CuSO4(H2O)5"),
        ("CuSO4*5H2O", "CuSO4(H2O)5"),
        ("Fe2(SO4)3·H2O", "Fe2(SO4)3H2O"),
        ("Fe2(SO4)3.H2O", "Fe2(SO4)3H2O"),
        ("NaCl.2H2O", "NaCl(H2O)2"),
        ("MgSO4 · 7 H2O", "MgSO4(H2O)7"),
        ("CoCl2.6NH3", "CoCl2(NH3)6"),
    ],
)
def test_hydrates_both_ways(text: str, expected: str) -> None:
    assert parse_formula(text) == _pmg(expected)


@pytest.mark.parametrize("text", ["Li0.5CoO2", "La1.85Sr0.15CuO4", "Fe0.95O", "Na.5Cl.5", "LiZn4(SnO2)4", "Y3N@C80"])
def test_decimals_and_pymatgen_syntax_read_as_pymatgen_does(text: str) -> None:
    assert parse_formula(text) == _pmg(text)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("D2O", "isotope"),
        ("T2O", "isotope"),
        ("CuSO4.5D2O", "isotope"),
        ("Na0Cl", "zero"),
        ("Na0.0Cl", "zero"),
        ("(NaCl)0", "zero"),
        ("Na1e308Cl", "exponent"),
        ("Na" + "9" * 309 + "Cl", "absurd"),
        (f"Na{MAX_AMOUNT + 1}Cl", "absurd"),
        ("((Na1000)1000)1000Cl", "at most"),
        ("Li2Xq", "outside H..Lr"),
        ("H2)", "unmatched"),
        ("(H2", "unclosed"),
        ("(H2]", "unmatched"),
        ("()", "empty"),
        ("CuSO4.", "empty part"),
        ("·H2O", "empty part"),
        ("2H2O", "unexpected"),
        ("missing", "unexpected"),
        ("Fe2+", "unexpected"),
        ("", "empty"),
        ("   ", "empty"),
    ],
)
def test_refused_with_one_clear_message(text: str, fragment: str) -> None:
    with pytest.raises(InputError, match=fragment) as info:
        parse_formula(text)
    assert "\n" not in str(info.value) and len(str(info.value)) < 200


def test_length_is_capped_and_the_message_stays_short() -> None:
    assert parse_formula("H" * MAX_FORMULA_LENGTH) == Composition.from_counts({"H": 1})
    with pytest.raises(InputError, match="too long") as info:
        parse_formula("H2O" * 3_500_000)  # a 10 MB line: refused before any parsing
    assert len(str(info.value)) < 100


_ELEMENT = st.sampled_from(all_symbols())
_COUNT = st.one_of(st.just(""), st.integers(1, 40).map(str))


@st.composite
def _pymatgen_formula(draw: st.DrawFn) -> str:
    """A formula in pymatgen's syntax: symbols with integer counts, nested groups with multipliers."""

    def group(depth: int) -> str:
        parts = []
        for _ in range(draw(st.integers(1, 4))):
            if depth < 3 and draw(st.booleans()) and draw(st.booleans()):
                parts.append(f"({group(depth + 1)}){draw(st.integers(1, 9))}")
            else:
                parts.append(draw(_ELEMENT) + draw(_COUNT))
        return "".join(parts)

    return group(0)


@AUDIT
@given(_pymatgen_formula())
def test_agrees_with_pymatgen_on_its_syntax(text: str) -> None:
    assert parse_formula(text) == _pmg(text)


@AUDIT
@given(st.text(alphabet="HNaClO()[]·.*@ 0123456789eDT", max_size=30))
def test_any_text_parses_or_is_refused_cleanly(text: str) -> None:
    try:
        comp = parse_formula(text)
    except InputError as exc:
        assert "\n" not in str(exc)
    else:
        assert all(n > 0 for n in comp.counts) and "D" not in comp.symbols and "T" not in comp.symbols
