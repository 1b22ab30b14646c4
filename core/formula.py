"""Formula text -> element amounts, in one linear pass (the reader behind ``parse_formula``).

Written here rather than delegated to pymatgen's ``Composition`` (2026.10) because that parser, for
the inputs files and databases actually hold, gets four things wrong: it removes each token with
``str.replace`` so a long line takes time quadratic in its length (a 10 MB line stalls an import);
it reads ``CuSO4.5H2O`` as CuSO4.5 + H2O (Cu2H4S2O11) and rejects ``CuSO4·5H2O``; it maps the
isotopes D and T to H silently; and it accepts ``Na0Cl`` (one element) and ``Na1e308Cl``. The syntax
accepted is pymatgen's otherwise: element symbols with optional integer or decimal counts,
parentheses (``[]`` and ``{}`` too) with multipliers, spaces between tokens, ``@`` ignored
(``Y3N@C80``), and hydrate or adduct parts after a dot.

Dots. ``·``, ``•``, ``∙``, ``⋅`` and ``*`` always separate parts (``CuSO4·5H2O``). A ``.`` separates
parts when it is not followed by a digit (``Fe2(SO4)3.H2O``) or when a whole number of a common
adduct molecule follows it (``CuSO4.5H2O``, ``NaCl.2H2O``: water, ammonia...); otherwise it is a
decimal point (``Li0.5CoO2``, ``Na.5Cl.5``). A part may start with a
multiplier (``5H2O``).
"""

from __future__ import annotations

import re

from chemspace.core.errors import InputError

#: Longest formula accepted (characters); real formulas are far shorter, and a cap bounds the work.
MAX_FORMULA_LENGTH = 1000
#: Largest amount of one element accepted, after multiplying out parentheses and parts.
MAX_AMOUNT = 1_000_000
#: Isotope symbols people write for hydrogen; refused, since matching is by element.
ISOTOPES = {"D": "deuterium", "T": "tritium"}
#: Molecules that follow a "." as a whole-number adduct (CuSO4.5H2O) rather than a decimal.
ADDUCTS = ("H2O", "D2O", "NH3", "CO2", "H2O2", "HF", "HCl", "CH3OH", "C2H5OH")

_ALWAYS_SEPARATORS = "·•∙⋅*"
_OPEN, _CLOSE = "([{", ")]}"
_SYMBOL = re.compile(r"[A-Z][a-z]*")
_NUMBER = re.compile(r"\d+(?:\.\d+)?|\.\d+")
_SPACES = re.compile(r"\s*")
_EXPONENT = re.compile(r"[eE][+-]?\d+")
_ADDUCT_AFTER_DOT = re.compile(r"\.\d+(?:" + "|".join(ADDUCTS) + r")(?=$|[" + re.escape(_ALWAYS_SEPARATORS) + r".\s])")


def read_amounts(text: str, known_symbols: frozenset[str] | set[str] | dict[str, int]) -> dict[str, float]:
    """Element -> amount for the formula ``text`` (not reduced), or InputError naming what is wrong.

    Parameters
    ----------
    text : the formula.
    known_symbols : the element symbols accepted (H..Lr).
    """
    formula = text.strip()
    if len(formula) > MAX_FORMULA_LENGTH:
        raise InputError(f"formula of {len(formula):,} characters is too long (at most {MAX_FORMULA_LENGTH:,})")
    if not formula:
        raise InputError("empty formula")
    total: dict[str, float] = {}
    for index, part in enumerate(_split_parts(formula)):
        _add(total, _read_part(part, formula, known_symbols, leading_multiplier=index > 0), 1.0, formula)
    if not total:
        raise InputError(f"malformed formula {_quote(text)}: no element symbols")
    return total


def _split_parts(formula: str) -> list[str]:
    """Split at hydrate separators (see the module docstring); each part is parsed alone."""
    parts, start = [], 0
    for i, ch in enumerate(formula):
        if ch in _ALWAYS_SEPARATORS or (ch == "." and _is_part_dot(formula, i)):
            parts.append(formula[start:i])
            start = i + 1
    parts.append(formula[start:])
    if any(not p.strip() for p in parts):
        raise InputError(f"malformed formula {_quote(formula)}: an empty part around a '.' or '·'")
    return parts


def _is_part_dot(formula: str, i: int) -> bool:
    """Whether the '.' at ``i`` separates parts rather than being a decimal point."""
    if not formula[i + 1 : i + 2].isdigit():
        return True
    return _ADDUCT_AFTER_DOT.match(formula, i) is not None


def _read_part(
    part: str, formula: str, known_symbols: frozenset[str] | set[str] | dict[str, int], leading_multiplier: bool
) -> dict[str, float]:
    """Amounts of one part: tokens left to right, a stack of open groups (linear in the part's length)."""
    pos = _SPACES.match(part, 0).end()  # type: ignore[union-attr]
    factor = 1.0
    if leading_multiplier and (m := _NUMBER.match(part, pos)):
        factor = _amount(m.group(), formula)
        pos = _SPACES.match(part, m.end()).end()  # type: ignore[union-attr]
    stack: list[tuple[dict[str, float], str]] = [({}, "")]
    while pos < len(part):
        ch = part[pos]
        if ch == "@":
            pos += 1
        elif ch in _OPEN:
            stack.append(({}, ch))
            pos += 1
        elif ch in _CLOSE:
            group, opener = stack.pop() if len(stack) > 1 else ({}, "")
            if not opener or _OPEN.index(opener) != _CLOSE.index(ch):
                raise InputError(f"malformed formula {_quote(formula)}: unmatched {ch!r}")
            if not group:
                raise InputError(f"malformed formula {_quote(formula)}: empty parentheses")
            pos, count = _count_after(part, pos + 1, formula)
            _add(stack[-1][0], group, count, formula)
        elif m := _SYMBOL.match(part, pos):
            symbol = _check_symbol(m.group(), formula, known_symbols)
            pos, count = _count_after(part, m.end(), formula)
            _add(stack[-1][0], {symbol: 1.0}, count, formula)
        else:
            raise InputError(f"malformed formula {_quote(formula)}: unexpected {part[pos : pos + 10]!r}")
        pos = _SPACES.match(part, pos).end()  # type: ignore[union-attr]
    if len(stack) > 1:
        raise InputError(f"malformed formula {_quote(formula)}: unclosed {stack[-1][1]!r}")
    return {s: a * factor for s, a in stack[0][0].items()}


def _count_after(part: str, pos: int, formula: str) -> tuple[int, float]:
    """The count written at ``pos`` (1 if none) and the position after it."""
    m = _NUMBER.match(part, _SPACES.match(part, pos).end())  # type: ignore[union-attr]
    if m is None:
        return pos, 1.0
    if exponent := _EXPONENT.match(part, m.end()):
        written = part[m.start() : exponent.end()]
        raise InputError(f"formula {_quote(formula)}: count {written} in exponent notation is not a count")
    return m.end(), _amount(m.group(), formula)


def _amount(digits: str, formula: str) -> float:
    """A count's value: positive and at most MAX_AMOUNT."""
    if len(digits) > 16:
        raise InputError(f"formula {_quote(formula)}: count {digits[:20]}... is absurd (at most {MAX_AMOUNT:,})")
    value = float(digits)
    if value <= 0:
        raise InputError(f"formula {_quote(formula)}: count {digits} is zero (leave the element out instead)")
    if value > MAX_AMOUNT:
        raise InputError(f"formula {_quote(formula)}: count {digits} is absurd (at most {MAX_AMOUNT:,})")
    return value


def _check_symbol(symbol: str, formula: str, known_symbols: frozenset[str] | set[str] | dict[str, int]) -> str:
    if symbol in known_symbols:
        return symbol
    if symbol in ISOTOPES:
        raise InputError(
            f"formula {_quote(formula)}: {symbol!r} ({ISOTOPES[symbol]}) is an isotope, not an element: write H"
        )
    from chemspace.core.elements import did_you_mean  # here: the parser itself needs no element data

    hint = f" ({hint})" if (hint := did_you_mean(symbol)) else ""
    raise InputError(f"formula {_quote(formula)} has an element outside H..Lr: {symbol!r}{hint}")


def _quote(formula: str) -> str:
    """The formula for a message, shortened so one line stays one line."""
    return repr(formula if len(formula) <= 40 else formula[:37] + "...")


def _add(into: dict[str, float], amounts: dict[str, float], factor: float, formula: str) -> None:
    """``into += factor * amounts``, refusing a total above MAX_AMOUNT."""
    for symbol, amount in amounts.items():
        value = into.get(symbol, 0.0) + amount * factor
        if value > MAX_AMOUNT:
            raise InputError(f"formula {_quote(formula)}: {symbol} amounts to {value:.3g} (at most {MAX_AMOUNT:,})")
        into[symbol] = value
