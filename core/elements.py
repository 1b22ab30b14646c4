"""The chemistry the census runs on: elements, oxidation states and Pauling electronegativities.

Everything is read from the installed ``smact`` package (its element table and its
oxidation-state files), never copied into this repository, so the census and
``smact.screening.smact_filter`` always judge a composition from the same data.
"""

from __future__ import annotations

import difflib
import functools
import math
import os
import re
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from chemspace.core.errors import InputError
from chemspace.core.files import missing_file, read_user_text

#: Oxidation-state sets shipped with smact, by the names ``smact_filter`` accepts.
OXIDATION_STATE_SETS: dict[str, str] = {
    "smact14": "oxidation_states_smact14",
    "icsd24": "oxidation_states_icsd24",
    "icsd16": "oxidation_states_icsd16",
    "pymatgen_sp": "oxidation_states_sp",
    "wiki": "oxidation_states_wiki",
}

#: The paper's default: SMACT's 2014 set, 421 species over H..Lr.
DEFAULT_OXIDATION_STATES = "smact14"

#: The paper's element pool: the first 103 elements, H..Lr.
MAX_ATOMIC_NUMBER = 103


@functools.cache
def all_symbols() -> tuple[str, ...]:
    """Symbols H..Lr in atomic-number order, from smact."""
    from smact import ordered_elements

    return tuple(ordered_elements(1, MAX_ATOMIC_NUMBER))


@functools.cache
def atomic_numbers() -> dict[str, int]:
    """Map symbol -> atomic number for H..Lr."""
    return {s: i + 1 for i, s in enumerate(all_symbols())}


@functools.cache
def _smact_element(symbol: str):  # -> smact.Element
    from smact import Element

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Element(symbol)


def pauling_electronegativity(symbol: str) -> float | None:
    """Pauling electronegativity of ``symbol`` from smact, or None where smact has none."""
    return _smact_element(symbol).pauling_eneg


#: At most this many symbols are suggested for a mistyped one.
MAX_SUGGESTIONS = 3
#: difflib similarity (on lower case) a symbol needs to be suggested: 'Zz' finds 'Zn' (0.5).
SUGGESTION_CUTOFF = 0.5


def symbol_suggestions(text: str) -> tuple[str, ...]:
    """Up to three symbols of H..Lr that ``text`` was likely meant to be, closest first.

    difflib's similarity on lower case, so 'li' and 'LI' find 'Li' (then only it); ties go to symbols
    sharing the first letter, then to the lighter element ('Oo': 'O', 'Os', 'Co'). Text longer than
    three letters is no mistyped symbol, so it gets none.
    """
    typed = text.lower()
    if not typed or len(typed) > 3:
        return ()
    z = atomic_numbers()
    scored = [(difflib.SequenceMatcher(None, typed, s.lower()).ratio(), s) for s in z]
    if exact := [s for ratio, s in scored if ratio == 1.0]:
        return tuple(exact)
    close = sorted(
        ((ratio, s) for ratio, s in scored if ratio >= SUGGESTION_CUTOFF),
        key=lambda pair: (-pair[0], pair[1][0].lower() != typed[0], z[pair[1]]),
    )
    return tuple(s for _, s in close[:MAX_SUGGESTIONS])


def did_you_mean(text: str) -> str:
    """ "did you mean 'O', 'Os' or 'Co'?" for a mistyped symbol ('' when no symbol is close)."""
    found = [repr(s) for s in symbol_suggestions(text)]
    if not found:
        return ""
    if len(found) == 1 and found[0].lower() == repr(text).lower():
        return f"symbols are case-sensitive: did you mean {found[0]}?"
    listed = found[0] if len(found) == 1 else f"{', '.join(found[:-1])} or {found[-1]}"
    return f"did you mean {listed}?"


def check_symbol(symbol: str) -> str:
    """Return ``symbol`` if it names one of H..Lr, else raise InputError naming it (and what it may mean)."""
    if symbol not in atomic_numbers():
        hint = f"; {hint}" if (hint := did_you_mean(symbol)) else ""
        raise InputError(f"unknown element symbol {symbol!r} (expected one of H..Lr, e.g. 'Li', 'O'{hint})")
    return symbol


def parse_system(text: str) -> tuple[str, ...]:
    """Parse a chemical system such as ``Li-Zn-Sn-O`` into element symbols, in the order given.

    Commas and spaces separate symbols too (``Li,Zn,Sn,O``, ``Li Zn Sn O``). Raises InputError for
    an unknown symbol, a repeated element or fewer than two elements.
    """
    parts = [p.strip() for p in re.split(r"\s*[-,\s]\s*", text.strip())]
    if any(not p for p in parts):
        raise InputError(f"malformed chemical system {text!r} (expected symbols joined by '-', e.g. Li-Zn-Sn-O)")
    symbols = [check_symbol(p) for p in parts]
    seen: set[str] = set()
    for s in symbols:
        if s in seen:
            raise InputError(f"element {s!r} is repeated in chemical system {text!r}")
        seen.add(s)
    if len(symbols) < 2:
        raise InputError(f"chemical system {text!r} needs at least two elements")
    if len(symbols) > 6:
        raise InputError(f"chemical system {text!r} has {len(symbols)} elements; at most 6 are supported")
    return tuple(symbols)


#: Largest oxidation state magnitude a file may give (the largest known is Ir+9; bounds the kernels' sums).
MAX_OXIDATION_STATE = 9


def _read_custom_file(path: Path) -> dict[str, tuple[int, ...]]:
    """Read an oxidation-state file in smact's format (``Fe +2 +3`` per line, ``#`` comments), checked.

    Read here rather than with smact's ``lookup_element_oxidation_states_custom``, which gives the
    same states for a well-formed file (tested) but drops what it cannot read without a word: a
    UTF-8 byte-order mark hides the first element, lines with unknown symbols or without digits
    vanish, a repeated element silently keeps its last line, and a state of 10^20 overflows later.
    Here each of those is an InputError naming the file and line. A symbol alone on a line is an
    element with no states (as in smact's files); elements past Lr (smact's files list Rf..Hs)
    are outside the pool and ignored.
    """
    where = f"oxidation-state file {str(path)!r}"
    text = read_user_text(path, "oxidation-state file")
    states: dict[str, tuple[int, ...]] = {}
    first_line: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        tokens = line.split()
        if not tokens or tokens[0].startswith("#"):
            continue
        symbol = tokens[0]
        if symbol not in _any_element():
            raise InputError(f"{where}, line {number}: {symbol[:20]!r} is not an element symbol")
        if symbol in first_line:
            raise InputError(f"{where}, line {number}: {symbol} is listed again (first on line {first_line[symbol]})")
        first_line[symbol] = number
        states[symbol] = tuple(_oxidation_state(token, f"{where}, line {number}") for token in tokens[1:])
    if not any(states.values()):
        raise InputError(f"{where} holds no oxidation states (expected lines like 'Fe +2 +3')")
    return {s: q for s, q in states.items() if s in atomic_numbers()}


def _oxidation_state(token: str, where: str) -> int:
    """One state from a file: an integer within +-MAX_OXIDATION_STATE, else InputError."""
    if not re.fullmatch(r"[+-]?[0-9]+", token):
        raise InputError(f"{where}: {token[:20]!r} is not an oxidation state (expected integers like +2 -1)")
    if len(token.lstrip("+-")) > 3 or abs(value := int(token)) > MAX_OXIDATION_STATE:
        raise InputError(
            f"{where}: oxidation state {token[:20]} is outside -{MAX_OXIDATION_STATE}..+{MAX_OXIDATION_STATE}"
        )
    return value


@functools.cache
def _any_element() -> frozenset[str]:
    """Every element symbol smact knows (H..Og), for telling an element past Lr from a typo."""
    from smact import ordered_elements

    return frozenset(ordered_elements(1, 118))


@functools.cache
def load_oxidation_states(name: str = DEFAULT_OXIDATION_STATES) -> dict[str, tuple[int, ...]]:
    """Oxidation states per symbol for a named smact set or a file in smact's format.

    Elements the set does not cover map to an empty tuple: such an element never passes the filter.
    """
    if name in OXIDATION_STATE_SETS:
        attr = OXIDATION_STATE_SETS[name]
        return {s: tuple(getattr(_smact_element(s), attr) or ()) for s in all_symbols()}
    path = Path(name)
    if not path.exists() and (os.sep in name or name.endswith(".txt")):
        raise missing_file(name)
    if not path.exists():
        known = ", ".join(OXIDATION_STATE_SETS)
        raise InputError(f"unknown oxidation-state set {name!r} (expected one of {known}, or a file path)")
    custom = _read_custom_file(path)
    return {s: custom.get(s, ()) for s in all_symbols()}


def validate_oxidation_states(name: str) -> str:
    """Return ``name`` if it names a usable oxidation-state set, else raise InputError."""
    load_oxidation_states(name)
    return name


@dataclass(frozen=True)
class ElementTable:
    """A pool of elements with the data the filter needs, in the pool's own order.

    Attributes
    ----------
    symbols : element symbols, atomic-number order for the whole pool.
    oxidation_states : per element, its oxidation states in the chosen set (may be empty).
    electronegativity : per element, Pauling electronegativity; NaN where smact has none.
    oxidation_set : the name (or path) of the oxidation-state set.
    """

    symbols: tuple[str, ...]
    oxidation_states: tuple[tuple[int, ...], ...]
    electronegativity: np.ndarray
    oxidation_set: str

    def __len__(self) -> int:
        return len(self.symbols)

    @property
    def species_count(self) -> int:
        """Number of (element, oxidation state) species, 421 for smact14 over H..Lr."""
        return sum(len(s) for s in self.oxidation_states)

    def index(self, symbol: str) -> int:
        """Position of ``symbol`` in this pool."""
        return self.symbols.index(symbol)

    @functools.cached_property
    def state_matrix(self) -> tuple[np.ndarray, np.ndarray]:
        """(states, counts): each element's oxidation states as a zero-padded int64 row, and how many.

        The form the numba assignment search takes; built once per table.
        """
        width = max([len(s) for s in self.oxidation_states] + [1])
        states = np.zeros((len(self), width), dtype=np.int64)
        for i, st in enumerate(self.oxidation_states):
            states[i, : len(st)] = st
        return states, np.array([len(st) for st in self.oxidation_states], dtype=np.int64)

    def can_pass(self, i: int) -> bool:
        """Whether element ``i`` can ever be in an allowed composition (has states and a Pauling value)."""
        return bool(self.oxidation_states[i]) and not math.isnan(self.electronegativity[i])


def element_table(oxidation_states: str = DEFAULT_OXIDATION_STATES, pool: Iterable[str] | None = None) -> ElementTable:
    """Build the element table for ``pool`` (default H..Lr), ordered by atomic number."""
    states = load_oxidation_states(oxidation_states)
    if pool is None:
        symbols: Sequence[str] = all_symbols()
    else:
        z = atomic_numbers()
        symbols = sorted({check_symbol(s) for s in pool}, key=z.__getitem__)
    en = np.array(
        [np.nan if (x := pauling_electronegativity(s)) is None else float(x) for s in symbols], dtype=np.float64
    )
    return ElementTable(
        symbols=tuple(symbols),
        oxidation_states=tuple(states[s] for s in symbols),
        electronegativity=en,
        oxidation_set=oxidation_states,
    )
