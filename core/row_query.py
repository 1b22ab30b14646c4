"""A chemist's filter for the rows of a chemical system: what each word of a query asks for.

Words are read, in order of preference, as:

* an element symbol (case-sensitive, ``O``, ``Sn``): the composition contains that element;
* an element set, the symbols joined by ``-`` or ``,`` (``Li-Zn``, ``Sn,O``): it contains all of them;
* an ion (``Sn2+``, ``Sn+2``, ``O2-``, ``Li+``): any of the composition's passing oxidation-state
  assignments has it (not only the first: SnO2 lists Sn+4 O-2 and Sn+2 O-1);
* a formula (``SnO2``, ``Li2ZnSn3O8``, ``ZnO``, ``LiZnSnO``, in any element order): exactly that
  reduced composition, a missing count meaning 1, as chemists write (the paper's Table 1 formulas
  find themselves);
* anything else: a case-insensitive substring of the row's text (label, category, formula, ids).

Every word must hold. Plain substring search got the chemistry wrong: ``O`` matched every row
through "allowed"/"forbidden", and ``Sn2+`` matched nothing because rows write ``Sn +2``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from chemspace.core.composition import Composition, parse_formula
from chemspace.core.elements import atomic_numbers
from chemspace.core.errors import InputError
from chemspace.core.system import SystemRow

_ION = re.compile(r"^([A-Z][a-z]?)(?:(\d*)([+-])|([+-])(\d*))$")
_FORMULA = re.compile(r"^(?:[A-Z][a-z]?\d*)+$")
_ELEMENT_SET = re.compile(r"^[A-Z][a-z]?(?:[-,][A-Z][a-z]?)+$")

Predicate = Callable[[SystemRow, str], bool]


@dataclass(frozen=True)
class RowQuery:
    """A parsed query: one predicate per word, each called with the row and its lower-cased text."""

    predicates: tuple[Predicate, ...]

    def __call__(self, row: SystemRow, text: str) -> bool:
        return all(p(row, text) for p in self.predicates)


def parse_query(query: str) -> RowQuery:
    """Read every whitespace-separated word of ``query`` (see the module docstring)."""
    return RowQuery(tuple(_word(w) for w in query.split()))


def has_ion(row: SystemRow, symbol: str, charge: int) -> bool:
    """Whether any of the row's assignments gives ``symbol`` that charge (on any atom, under mixed valence)."""
    for states in row.assignments:
        q = states.get(symbol)
        if q == charge or (isinstance(q, list) and charge in q):
            return True
    return False


def _word(word: str) -> Predicate:
    z = atomic_numbers()
    if word in z:
        return lambda row, _: word in row.composition.symbols
    if _ELEMENT_SET.match(word):
        wanted = set(re.split(r"[-,]", word))
        if wanted <= z.keys():
            return lambda row, _: wanted <= set(row.composition.symbols)
    ion = _ION.match(word)
    if ion and ion.group(1) in z:
        symbol = ion.group(1)
        magnitude = int(ion.group(2) or ion.group(5) or 1)
        charge = magnitude if (ion.group(3) or ion.group(4)) == "+" else -magnitude
        return lambda row, _: has_ion(row, symbol, charge)
    if _FORMULA.match(word):
        try:
            comp = parse_formula(word)
        except InputError:
            comp = None
        if comp is not None and comp.arity > 1:  # "O8" is no composition of a system: text
            return _exactly(comp)
    needle = word.lower()
    return lambda _, text: needle in text


def _exactly(comp: Composition) -> Predicate:
    return lambda row, _: row.composition == comp
