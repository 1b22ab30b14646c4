"""The one filter rule and the one home of every label name.

A :class:`Rule` says what "allowed" means: the oxidation-state set, the stoichiometry limit and
SMACT's switches (the Pauling test, alloys, mixed valence). The paper's rule is ``Rule()``. Every
consumer (census, system view, export, check, species embeddings, the app) takes a Rule, so a new
switch touches the rule, its kernels and the option parser only.

Labels, categories and reasons are StrEnums: they compare equal to their plain strings, so JSON
keys and CSV values stay what they were.
"""

from __future__ import annotations

import functools
from dataclasses import asdict, dataclass, replace
from enum import StrEnum

from chemspace.core.elements import DEFAULT_OXIDATION_STATES, validate_oxidation_states
from chemspace.core.errors import InputError

#: Smallest and largest arity the product enumerates (binary .. senary).
MIN_ARITY = 2
MAX_ARITY = 6
#: Largest stoichiometric coefficient accepted anywhere (the paper uses 8).
MAX_STOICH_LIMIT = 16
#: Random seeds accepted by the census and the projections (numpy and scikit-learn take 32-bit seeds).
MAX_SEED = 2**32 - 1
#: Most samples drawn per label or category (the paper draws 3 000; projections of more are impractical).
MAX_SAMPLES = 100_000

ARITY_NAMES: dict[int, str] = {2: "binary", 3: "ternary", 4: "quaternary", 5: "quinary", 6: "senary"}


def arity_name(arity: int, title: bool = False) -> str:
    """'ternary' (or 'Ternary'); 'N-ary' beyond the named arities."""
    name = ARITY_NAMES.get(arity, f"{arity}-ary")
    return name.capitalize() if title else name


class Label(StrEnum):
    """SMACT's verdict on a composition."""

    ALLOWED = "allowed"
    FORBIDDEN = "forbidden"


class Category(StrEnum):
    """The paper's four categories: the label crossed with known/unknown."""

    STANDARD = "standard"
    MISSING = "missing"
    INTERESTING = "interesting"
    UNLIKELY = "unlikely"


class Reason(StrEnum):
    """Why a composition is forbidden, from the first test it cannot pass."""

    NO_OXIDATION_STATES = "no-oxidation-states"  # an element has no states in the set (or no Pauling value)
    NOT_CHARGE_NEUTRAL = "not-charge-neutral"  # no assignment of states sums to zero
    ELECTRONEGATIVITY = "electronegativity"  # neutral assignments exist, every one fails Pauling


class Basis(StrEnum):
    """What makes an allowed composition allowed."""

    OXIDATION_STATES = "oxidation-states"  # a neutral assignment passes the rule's tests
    ALLOY = "alloy"  # metals only, with Rule.alloys (smact_validity's include_alloys)
    ELEMENT = "element"  # a single element (smact_validity calls any element valid)


LABELS: tuple[Label, ...] = tuple(Label)
CATEGORIES: tuple[Category, ...] = tuple(Category)
REASONS: tuple[Reason, ...] = tuple(Reason)


@functools.cache
def alloy_metals() -> frozenset[str]:
    """smact's list of metals: the elements ``smact_validity(include_alloys=True)`` lets form alloys."""
    from smact import metals

    return frozenset(metals)


@functools.cache
def mixed_valence_elements() -> frozenset[str]:
    """smact's ``MIXED_VALENCE_ELEMENTS``: elements whose atoms may take different states (Fe in Fe3O4)."""
    from smact.screening import MIXED_VALENCE_ELEMENTS

    return frozenset(MIXED_VALENCE_ELEMENTS)


def category(allowed: bool, known: bool) -> Category:
    """standard / missing / interesting / unlikely from the two labels."""
    if allowed:
        return Category.STANDARD if known else Category.MISSING
    return Category.INTERESTING if known else Category.UNLIKELY


def check_arity(arity: int) -> int:
    """An arity in MIN_ARITY..MAX_ARITY, else InputError."""
    if not MIN_ARITY <= arity <= MAX_ARITY:
        raise InputError(f"arity {arity} is outside {MIN_ARITY}..{MAX_ARITY}")
    return arity


def check_max_stoich(max_stoich: int) -> int:
    """A coefficient limit in 1..MAX_STOICH_LIMIT, else InputError."""
    if not 1 <= max_stoich <= MAX_STOICH_LIMIT:
        raise InputError(f"max stoichiometry {max_stoich} is outside 1..{MAX_STOICH_LIMIT}")
    return max_stoich


def check_seed(seed: int) -> int:
    """A seed in 0..MAX_SEED (one bound for the census and the projections), else InputError."""
    if not 0 <= seed <= MAX_SEED:
        raise InputError(f"--seed {seed} is outside 0..{MAX_SEED}")
    return seed


def check_samples(samples: int) -> int:
    """A sample count in 0..MAX_SAMPLES, else InputError."""
    if not 0 <= samples <= MAX_SAMPLES:
        raise InputError(f"--samples {samples} is outside 0..{MAX_SAMPLES:,}")
    return samples


@dataclass(frozen=True)
class Rule:
    """What makes a composition allowed.

    pauling: SMACT's electronegativity test (every cation less electronegative than every anion).
    alloys: a composition of metals only (smact's ``metals`` list) is allowed outright, as
        ``smact_validity(include_alloys=True)``.
    mixed_valence: atoms of an element in smact's ``MIXED_VALENCE_ELEMENTS`` may take different
        states (Fe3O4 as Fe2+ Fe3+ Fe3+), as ``smact_validity(mixed_valence=True)``, exactly.
    """

    oxidation_states: str = DEFAULT_OXIDATION_STATES
    max_stoich: int = 8
    pauling: bool = True
    alloys: bool = False
    mixed_valence: bool = False

    def validated(self) -> Rule:
        """Check every field, raising InputError naming the first bad value."""
        check_max_stoich(self.max_stoich)
        validate_oxidation_states(self.oxidation_states)
        return self

    @property
    def is_paper(self) -> bool:
        """True for the paper's rule switches (charge neutrality + Pauling, nothing else)."""
        return self.pauling and not self.alloys and not self.mixed_valence

    def with_switches(
        self, *, pauling: bool | None = None, alloys: bool | None = None, mixed_valence: bool | None = None
    ) -> Rule:
        """A copy with some switches changed (None keeps the current value)."""
        changes = {
            k: v
            for k, v in {"pauling": pauling, "alloys": alloys, "mixed_valence": mixed_valence}.items()
            if v is not None
        }
        return replace(self, **changes)

    def describe(self) -> str:
        """One line for titles and logs: 'smact14, coefficients <= 8, charge neutrality + Pauling'."""
        tests = ["charge neutrality"]
        if self.pauling:
            tests.append("Pauling")
        extras = [name for name, on in (("alloys", self.alloys), ("mixed valence", self.mixed_valence)) if on]
        text = f"{self.oxidation_states}, coefficients <= {self.max_stoich}, {' + '.join(tests)}"
        return text + (f" (+ {', '.join(extras)})" if extras else "")

    def short(self) -> str:
        """What differs from the paper's rule, for narrow places: 'no Pauling, alloys' ('paper rule' if nothing)."""
        paper = Rule()
        changes = [
            text
            for text, on in (
                (self.oxidation_states, self.oxidation_states != paper.oxidation_states),
                (f"coefficients <= {self.max_stoich}", self.max_stoich != paper.max_stoich),
                ("no Pauling", not self.pauling),
                ("alloys", self.alloys),
                ("mixed valence", self.mixed_valence),
            )
            if on
        ]
        return ", ".join(changes) or "paper rule"

    def as_dict(self) -> dict:
        """JSON-ready fields."""
        return asdict(self)


#: The paper's rule (smact14, coefficients <= 8, charge neutrality + Pauling): the default everywhere.
PAPER_RULE = Rule()
