"""`check`: any formula, explained — parse, explain under a rule, look up in a known set.

The verdict is :func:`chemspace.core.explain.explain`, which follows
``smact.screening.smact_validity`` with the rule's switches (any positive integer counts, 1 to 6
elements). A bad formula becomes a :class:`BadFormula` naming it (and its line in a file) while the
others are still checked.
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import reduce
from pathlib import Path

from chemspace.core.composition import Composition, parse_formula
from chemspace.core.elements import atomic_numbers
from chemspace.core.errors import InputError
from chemspace.core.explain import Explanation, explain_many
from chemspace.core.files import read_user_text, unreadable
from chemspace.core.formula import MAX_AMOUNT, MAX_FORMULA_LENGTH
from chemspace.core.known import KnownEntry, KnownSet
from chemspace.core.mixed_valence import MAX_MIXED_ATOMS
from chemspace.core.rule import MAX_ARITY, PAPER_RULE, Category, Rule, category, mixed_valence_elements

#: A plain formula: element symbols with optional positive integer counts, nothing else.
_PLAIN = re.compile(r"(?:[A-Z][a-z]?(?:[1-9][0-9]{0,5})?)+")
_PLAIN_TOKEN = re.compile(r"([A-Z][a-z]?)([0-9]*)")


@dataclass(frozen=True)
class CheckResult:
    """One checked formula: what was asked, its explanation and, with a known set, its category."""

    formula: str  # as given
    explanation: Explanation
    known: bool | None = None
    entries: tuple[KnownEntry, ...] = field(default=())
    sources: tuple[str, ...] = ()  # names of the known sets holding it (several with --known a,b)
    line: int | None = None  # line number in a file
    max_stoich: int | None = None  # the rule's coefficient limit: the census space's edge

    @property
    def outside_space(self) -> str | None:
        """Why the composition lies outside the census space whose categories are counted, or None."""
        comp = self.explanation.composition
        if self.max_stoich is not None and max(comp.counts) > self.max_stoich:
            return f"outside the census space (coefficients <= {self.max_stoich})"
        if comp.arity > MAX_ARITY or comp.arity < 2:
            return f"outside the census space (2..{MAX_ARITY} elements)"
        return None

    @property
    def category(self) -> Category | None:
        """standard / missing / interesting / unlikely, or None without a known set."""
        return None if self.known is None else category(self.explanation.allowed, self.known)

    def to_json(self) -> dict:
        """{formula, reduced, allowed, reason, assignments, category, witness, ...}."""
        e = self.explanation
        row: dict = {"formula": self.formula, "reduced": e.composition.formula} | e.to_json()
        row["category"] = None if self.category is None else str(self.category)
        if self.known is not None:
            row["known"] = self.known
            row["entries"] = [x.to_json(self.sources[0] if len(self.sources) == 1 else None) for x in self.entries]
            row["sources"] = list(self.sources)
        if self.line is not None:
            row["line"] = self.line
        row["outside_space"] = self.outside_space
        return row


@dataclass(frozen=True)
class BadFormula:
    """A formula that could not be checked, with the one-line message saying why."""

    formula: str
    message: str
    line: int | None = None

    def text(self) -> str:
        """'line 3: malformed formula 'Xx2'' (or the message alone)."""
        return self.message if self.line is None else f"line {self.line}: {self.message}"


def parse_checked(text: str) -> Composition:
    """A formula for ``check``: pymatgen syntax via :func:`parse_formula`, 1 to 6 elements.

    Plain formulas ('Li2ZnSn3O8') take a fast path that gives the same reduced Composition without
    pymatgen (about 10x faster; ``check`` reads files of 100 000 formulas); anything else, and any
    plain formula the fast path would have to judge (unknown symbols), goes to parse_formula.
    """
    plain = len(text) <= MAX_FORMULA_LENGTH and _PLAIN.fullmatch(text)
    comp = _parse_plain(text) if plain else None  # else parse_formula names the length or syntax error
    if comp is None:
        comp = parse_formula(text)
    if comp.arity > MAX_ARITY:
        raise InputError(f"formula {text!r} has {comp.arity} elements; check takes 1 to {MAX_ARITY}")
    return comp


def _parse_plain(text: str) -> Composition | None:
    """Reduced Composition of a plain formula, or None to leave it to parse_formula."""
    z = atomic_numbers()
    counts: dict[str, int] = {}
    for symbol, digits in _PLAIN_TOKEN.findall(text):
        if symbol not in z:
            return None
        counts[symbol] = counts.get(symbol, 0) + (int(digits) if digits else 1)
        if counts[symbol] > MAX_AMOUNT:
            return None  # parse_formula refuses it with the reason
    g = reduce(math.gcd, counts.values())
    symbols = sorted(counts, key=z.__getitem__)
    return Composition(tuple(symbols), tuple(counts[s] // g for s in symbols))


def check_formulas(
    formulas: Sequence[str],
    rule: Rule = PAPER_RULE,
    known: KnownSet | None = None,
    lines: Sequence[int] | None = None,
) -> list[CheckResult | BadFormula]:
    """Check every formula (in order); bad ones become BadFormula entries, the rest are explained at once."""
    rule = rule.validated()
    parsed: list[Composition | BadFormula] = []
    cache: dict[str, Composition | BadFormula] = {}
    for i, text in enumerate(formulas):
        line = None if lines is None else lines[i]
        hit = cache.get(text)
        if hit is None:
            try:
                hit = parse_checked(text.strip())
            except InputError as exc:
                hit = BadFormula(text, str(exc))
            cache[text] = hit
        if isinstance(hit, Composition) and rule.mixed_valence:
            hit = _mixed_limit(text, hit)
        parsed.append(BadFormula(text, hit.message, line) if isinstance(hit, BadFormula) else hit)
    good = [p for p in parsed if isinstance(p, Composition)]
    explained = iter(explain_many(good, rule))
    out: list[CheckResult | BadFormula] = []
    for i, p in enumerate(parsed):
        if isinstance(p, BadFormula):
            out.append(p)
            continue
        e = next(explained)
        out.append(
            CheckResult(
                formulas[i],
                e,
                known=None if known is None else p in known,
                entries=tuple(known.entries.get(p, ())) if known is not None else (),
                sources=tuple(sorted(known.sources(p))) if known is not None else (),
                line=None if lines is None else lines[i],
                max_stoich=rule.max_stoich,
            )
        )
    return out


def _mixed_limit(text: str, comp: Composition) -> Composition | BadFormula:
    """The composition, or a BadFormula when mixed valence would need more atoms than the search takes."""
    mixed = mixed_valence_elements()
    over = [(s, n) for s, n in zip(comp.symbols, comp.counts) if s in mixed and n > MAX_MIXED_ATOMS]
    if not over:
        return comp
    s, n = over[0]
    return BadFormula(text, f"formula {text!r} has {n} atoms of {s}; mixed valence takes at most {MAX_MIXED_ATOMS}")


def read_formula_file(path: Path) -> tuple[list[str], list[int]]:
    """Formulas in a text file ('-': standard input), one a line (blank lines and '#' comments
    skipped), with line numbers."""
    if str(path) != "-":
        text = read_user_text(path, "formula file")
    else:
        try:
            text = sys.stdin.read()
        except (OSError, UnicodeDecodeError) as exc:
            raise unreadable("-", exc, "standard input") from None
    formulas, lines = [], []
    for number, raw in enumerate(text.splitlines(), start=1):
        item = raw.split("#", 1)[0].strip()
        if item:
            formulas.append(item)
            lines.append(number)
    return formulas, lines


def summarise(results: Iterable[CheckResult | BadFormula]) -> dict[str, int]:
    """Counts for a closing line: checked, allowed, forbidden, bad."""
    out = {"checked": 0, "allowed": 0, "forbidden": 0, "bad": 0}
    for r in results:
        if isinstance(r, BadFormula):
            out["bad"] += 1
        else:
            out["checked"] += 1
            out["allowed" if r.explanation.allowed else "forbidden"] += 1
    return out
