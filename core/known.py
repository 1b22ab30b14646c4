"""Known-materials sets: which reduced compositions a database (Materials Project, ICSD, a list) holds.

The census only needs the set of reduced compositions; the system view also shows each entry's
ids and energy above hull. Matching is always by reduced composition, never by formula string
(pymatgen writes LiZn4Sn4O8 as "LiZn4(SnO2)4"). Sets are cached as JSON in the user's data
directory (``$CHEMSPACE_DATA_DIR`` overrides it), written atomically.
"""

from __future__ import annotations

import csv
import datetime as dt
import gc
import io
import itertools
import json
import math
import os
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from chemspace.core.atomic import atomic_path
from chemspace.core.composition import Composition, parse_formula
from chemspace.core.dirs import user_dir
from chemspace.core.elements import ElementTable, atomic_numbers
from chemspace.core.errors import InputError
from chemspace.core.files import missing_file, read_user_text
from chemspace.core.rule import MAX_ARITY

#: Name of the Materials Project set in the cache.
MP_NAME = "mp"


@dataclass(frozen=True)
class KnownEntry:
    """One database entry: its id and, where the source has them, stability fields."""

    id: str | None
    formula: str
    energy_above_hull: float | None = None
    is_stable: bool | None = None
    theoretical: bool | None = None
    #: the set this entry came from, in a union of sets (None: the set holding it)
    set_name: str | None = None

    def to_json(self, holder: str | None = None) -> dict:
        """The entry for JSON rows: id, formula, energy above hull and the set it came from."""
        return {
            "id": self.id,
            "formula": self.formula,
            "energy_above_hull": self.energy_above_hull,
            "set": self.set_name or holder,
        }


@dataclass
class KnownSet:
    """A named set of known compositions with the entries behind each.

    Attributes
    ----------
    name : short name used on the command line (``mp``, or an imported set's name).
    source : where it came from (``Materials Project``, a file path...).
    version : database version where known (MP: ``db_version`` from ``/heartbeat``).
    date : ISO date the set was fetched or imported.
    entries : reduced composition -> its entries. Holds every composition with 2..6 elements,
        whatever its coefficients or elements: those limits depend on the census settings, so
        :meth:`within` applies them.
    outside : entries that can never be in the space (1 or more than 6 elements), counted by reason.
    provider, base_url, api_version : for a set fetched over OPTIMADE, the provider's name, the base
        URL asked and the OPTIMADE API version it answered with (None otherwise).
    members : for a union of sets (``--known mp,oqmd``), the names of the sets in it, else empty.
    """

    name: str
    source: str
    entries: dict[Composition, list[KnownEntry]]
    version: str | None = None
    date: str | None = None
    outside: dict[str, int] = field(default_factory=dict)
    provider: str | None = None
    base_url: str | None = None
    api_version: str | None = None
    members: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.entries)

    def __contains__(self, comp: object) -> bool:
        return comp in self.entries

    def sources(self, comp: Composition) -> frozenset[str]:
        """Names of the sets holding ``comp``: this set's name, or in a union each member that has it."""
        return frozenset(e.set_name or self.name for e in self.entries.get(comp, ()))

    @property
    def entry_count(self) -> int:
        """Number of entries (a composition can have several: polymorphs)."""
        return sum(len(rows) for rows in self.entries.values())

    def compositions(self, arity: int | None = None) -> Iterator[Composition]:
        """Known compositions, optionally only those with ``arity`` elements."""
        for comp in self.entries:
            if arity is None or comp.arity == arity:
                yield comp

    def count_by_arity(self) -> dict[int, int]:
        """Distinct compositions per number of elements."""
        out: dict[int, int] = {}
        for comp in self.entries:
            out[comp.arity] = out.get(comp.arity, 0) + 1
        return dict(sorted(out.items()))

    def within(
        self, max_stoich: int, table: ElementTable, arity: int | None = None
    ) -> tuple[list[Composition], dict[str, int]]:
        """The compositions inside the space a census with these settings enumerates, and the rest by reason.

        The space is every reduced composition over the census's element pool with coefficients up
        to ``max_stoich``, whatever SMACT makes of it: a known compound of an element with no
        oxidation states (HeF2 in smact14) is inside, forbidden, so "interesting", as the census
        counts it (the paper's 225 879 binaries include the noble gases). The census and
        ``known list`` both use this one rule.

        Parameters
        ----------
        max_stoich : largest coefficient the census enumerates (after reduction, as stored).
        table : the census's element pool.
        arity : only compositions with this many elements (and no set-level reasons); None: all.

        Returns
        -------
        compositions : known compositions with every element in the pool and no coefficient above
            ``max_stoich``.
        outside : entries left out, by reason, including the set's own (1 or more than 6 elements)
            when ``arity`` is None. Counts are of entries, as :attr:`outside` is; a composition's
            first failing reason counts.
        """
        pool = frozenset(table.symbols)
        inside: list[Composition] = []
        outside = dict(self.outside) if arity is None else {}
        for comp, rows in self.entries.items():
            if arity is not None and comp.arity != arity:
                continue
            reason = outside_reason(comp, max_stoich, pool)
            if reason is None:
                inside.append(comp)
            else:
                outside[reason] = outside.get(reason, 0) + len(rows)
        return inside, outside


#: Reasons an entry falls outside the space, as reported in ``outside`` counts.
SINGLE_ELEMENT = "single element"
TOO_MANY_ELEMENTS = f"more than {MAX_ARITY} elements"
ABOVE_MAX_STOICH = "coefficient above max stoichiometry"
NOT_IN_POOL = "element outside the pool"
NO_COMPOSITION = "no usable composition"  # a downloaded structure with no formula, or one that does not parse


def outside_reason(comp: Composition, max_stoich: int, pool: frozenset[str]) -> str | None:
    """Why ``comp`` is outside the space of a census over ``pool`` up to ``max_stoich``, or None."""
    if not pool.issuperset(comp.symbols):
        return NOT_IN_POOL
    if comp.max_count > max_stoich:
        return ABOVE_MAX_STOICH
    return None


def build_set(
    name: str,
    source: str,
    rows: Iterable[KnownEntry] | Iterable[tuple[str, KnownEntry]],
    version: str | None = None,
    date: str | None = None,
    invalid: list[str] | None = None,
) -> KnownSet:
    """Group entries by reduced composition; entries with 1 or more than 6 elements are counted outside.

    Parameters
    ----------
    name, source, version, date : see :class:`KnownSet` (date defaults to today).
    rows : entries, or (where, entry) pairs: ``where`` ("file, line 3") prefixes the error of an
        entry whose formula does not parse, so the user can find it.
    invalid : None: the first formula that does not parse raises InputError. A list: such entries
        are skipped and their error lines appended to it (``known import --skip-invalid``).
    """
    parsed: dict[str, Composition] = {}  # MP repeats formulas across polymorphs: parse each once

    def pairs() -> Iterator[tuple[Composition, KnownEntry]]:
        for row in rows:
            where, entry = row if isinstance(row, tuple) else (None, row)
            comp = parsed.get(entry.formula)
            if comp is None:
                try:
                    comp = parsed[entry.formula] = _parse_at(entry.formula, where or entry.id)
                except InputError as exc:
                    _refuse(invalid, str(exc))
                    continue
            yield comp, entry

    return set_from_compositions(name, source, pairs(), version, date)


def _refuse(invalid: list[str] | None, message: str) -> None:
    """Raise InputError(message), or, when collecting (``invalid`` is a list), record it and go on."""
    if invalid is None:
        raise InputError(message)
    invalid.append(message)


def set_from_compositions(
    name: str,
    source: str,
    pairs: Iterable[tuple[Composition, KnownEntry]],
    version: str | None = None,
    date: str | None = None,
) -> KnownSet:
    """Group (composition, entry) pairs into a set (the one grouping rule; :func:`build_set` parses first),
    for entries whose composition the caller already has (OPTIMADE's element
    lists and ratios, its strict reduced formulas), skipping pymatgen's formula parser: about 0.2 ms
    a formula, minutes for a database of millions."""
    entries: dict[Composition, list[KnownEntry]] = {}
    outside: dict[str, int] = {}
    for comp, entry in pairs:
        if comp.arity == 1 or comp.arity > MAX_ARITY:
            reason = SINGLE_ELEMENT if comp.arity == 1 else TOO_MANY_ELEMENTS
            outside[reason] = outside.get(reason, 0) + 1
            continue
        entries.setdefault(comp, []).append(entry)
    return KnownSet(name, source, entries, version, date or dt.date.today().isoformat(), outside)


def _parse_at(formula: str, where: str | None) -> Composition:
    """``parse_formula``, its error prefixed by where the formula came from."""
    try:
        return parse_formula(formula)
    except InputError as exc:
        raise InputError(f"{where}: {exc}" if where else str(exc)) from None


# -- the on-disk store --------------------------------------------------------------------------
#
# One JSON file per set, column-oriented: the distinct compositions once, then one flat list per
# entry field, so each composition is built once however many polymorphs it has. JSON rather than
# Parquet: pyarrow reads the columns faster but building the Python objects dominates either way
# (measured), and JSON stays readable. bench/bench_known.py times a 150 000-entry set.

STORE_FORMAT = 2
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


def data_dir() -> Path:
    """Where known sets are cached: ``$CHEMSPACE_DATA_DIR`` or the platform's user data directory."""
    return user_dir("data")


def check_name(name: str) -> str:
    """Return ``name`` if it can name a cached set (letters, digits, ``-``, ``_``, ``.``), else InputError."""
    if not _NAME.fullmatch(name or ""):
        raise InputError(f"invalid set name {name!r} (use letters, digits, -, _ or ., at most 64)")
    if name.lower() == "none":
        raise InputError("'none' cannot name a set: `--known none` means no known set")
    return name


def set_path(name: str) -> Path:
    """The file a cached set of that name lives in (whether or not it exists yet)."""
    return data_dir() / "known" / f"{check_name(name)}.json"


#: Optional provenance keys (OPTIMADE sets); absent from older files, which therefore still load.
_PROVENANCE = ("provider", "base_url", "api_version")


def _to_doc(known: KnownSet) -> dict:
    """The column-oriented document :func:`save_set` writes."""
    comps = list(known.entries)
    index = {comp: i for i, comp in enumerate(comps)}
    rows = [(index[comp], e) for comp, group in known.entries.items() for e in group]
    return {
        "format": STORE_FORMAT,
        "name": known.name,
        "source": known.source,
        "version": known.version,
        "date": known.date,
        "outside": known.outside,
        **{key: getattr(known, key) for key in _PROVENANCE if getattr(known, key) is not None},
        "compositions": {
            "symbols": [c.symbols for c in comps],
            "counts": [c.counts for c in comps],
        },
        "entries": {
            "composition": [i for i, _ in rows],
            "id": [e.id for _, e in rows],
            "formula": [e.formula for _, e in rows],
            "energy_above_hull": [e.energy_above_hull for _, e in rows],
            "is_stable": [e.is_stable for _, e in rows],
            "theoretical": [e.theoretical for _, e in rows],
        },
    }


def _from_doc(doc: object) -> KnownSet:
    """Inverse of :func:`_to_doc`, checking the document's shape and ranges (ValueError naming the damage)."""
    doc = _check_doc(doc)
    cols, e = doc["compositions"], doc["entries"]
    comps = [Composition(tuple(s), tuple(c)) for s, c in zip(cols["symbols"], cols["counts"])]
    entries: dict[Composition, list[KnownEntry]] = {c: [] for c in comps}
    fields = zip(e["composition"], e["id"], e["formula"], e["energy_above_hull"], e["is_stable"], e["theoretical"])
    for i, ident, formula, e_hull, stable, theoretical in fields:
        entries[comps[i]].append(KnownEntry(ident, formula, e_hull, stable, theoretical))
    return KnownSet(
        doc["name"],
        doc["source"],
        entries,
        doc.get("version"),
        doc.get("date"),
        doc.get("outside", {}),
        **{key: doc.get(key) for key in _PROVENANCE},
    )


def _check_doc(doc: object) -> dict:
    """The store document if its shape and values are what :func:`_to_doc` writes, else ValueError.

    Checked column by column with set and numpy operations (a per-composition Python loop tripled
    the load time of a 150 000-entry set): types, symbols in H..Lr, 2..6 elements in atomic-number
    order, positive reduced counts, entry indices in range.
    """
    if not isinstance(doc, dict):
        raise ValueError(f"a JSON {type(doc).__name__}, expected an object")
    if doc.get("format") != STORE_FORMAT:
        raise ValueError(f"store format {str(doc.get('format'))[:20]!r}, expected {STORE_FORMAT}")
    for key in ("name", "source"):
        _expect(isinstance(doc.get(key), str), f"{key!r} is not a string")
    for key in ("version", "date"):
        _expect(doc.get(key) is None or isinstance(doc[key], str), f"{key!r} is not a string")
    outside = doc.get("outside", {})
    _expect(
        isinstance(outside, dict) and all(isinstance(k, str) and _is_count(v) for k, v in outside.items()),
        "'outside' is not a mapping of reasons to counts",
    )
    cols, entries = doc.get("compositions"), doc.get("entries")
    _expect(isinstance(cols, dict) and isinstance(entries, dict), "no 'compositions' and 'entries' objects")
    symbols, counts = _column(cols, "symbols"), _column(cols, "counts")  # type: ignore[arg-type]
    _check_compositions(symbols, counts)
    names = ("composition", "id", "formula", "energy_above_hull", "is_stable", "theoretical")
    columns = [_column(entries, k) for k in names]  # type: ignore[arg-type]
    _expect(len({len(c) for c in columns}) == 1, "entry columns differ in length")
    index, ids, formulas, e_hull, stable, theoretical = columns
    _expect(_types(index) <= {int}, "an entry's composition index is not an integer")
    _expect(not index or (min(index) >= 0 and max(index) < len(symbols)), "an entry points at no composition")
    _expect(_types(ids) <= {str, type(None)}, "an entry id is not a string")
    _expect(_types(formulas) <= {str}, "an entry formula is not a string")
    _expect(_types(e_hull) <= {int, float, type(None)}, "an energy above hull is not a number")
    _expect(all(math.isfinite(v) for v in e_hull if v is not None), "an energy above hull is not finite")
    _expect(_types(stable) | _types(theoretical) <= {bool, type(None)}, "a stability flag is not a boolean")
    return doc


def _check_compositions(symbols: list, counts: list) -> None:
    """ValueError unless each (symbols, counts) pair is a reduced composition, 2..6 elements by atomic number."""
    _expect(len(symbols) == len(counts), "'symbols' and 'counts' differ in length")
    _expect(_types(symbols) | _types(counts) <= {list}, "a composition is not two lists")
    sizes = np.fromiter(map(len, symbols), dtype=np.int64, count=len(symbols))
    _expect(
        np.array_equal(sizes, np.fromiter(map(len, counts), dtype=np.int64, count=len(counts))),
        "a composition's lists differ in length",
    )
    _expect(bool(((sizes >= 2) & (sizes <= MAX_ARITY)).all()), f"a composition does not have 2..{MAX_ARITY} elements")
    flat_symbols = list(itertools.chain.from_iterable(symbols))
    flat_counts = list(itertools.chain.from_iterable(counts))
    z = atomic_numbers()
    unknown = set(flat_symbols) - z.keys()  # TypeError for an unhashable item: damaged too
    _expect(not unknown, f"unknown element symbols {sorted(map(str, unknown))[:3]}")
    _expect(_types(flat_counts) <= {int}, "a count is not an integer")
    if not flat_counts:
        return
    numbers = np.array([z[s] for s in flat_symbols], dtype=np.int64)
    values = np.array(flat_counts, dtype=np.int64)  # OverflowError past int64: damaged too
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    within = np.ones(len(numbers), dtype=bool)
    within[starts] = False  # an element compared with the one before it in the same composition
    _expect(bool((np.diff(numbers, prepend=0)[within] > 0).all()), "a composition is not in atomic-number order")
    _expect(bool((values > 0).all()), "a count is not positive")
    _expect(bool((np.gcd.reduceat(values, starts) == 1).all()), "a composition is not reduced")


def _types(values: list) -> set[type]:
    """The set of the values' exact types (bool is not int here)."""
    return set(map(type, values))


def _column(cols: dict, key: str) -> list:
    value = cols.get(key)
    _expect(isinstance(value, list), f"column {key!r} is missing or not a list")
    return value  # type: ignore[return-value]


def _is_count(value: object) -> bool:
    return type(value) is int and value >= 0


def _expect(condition: bool, damage: str) -> None:
    if not condition:
        raise ValueError(damage)


@contextmanager
def _no_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many small objects that hold no cycles.

    Allocating 150 000 entries otherwise triggers repeated full collections over the whole heap
    (pymatgen and numba make it large): measured, loading takes about twice as long.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def save_set(known: KnownSet) -> Path:
    """Write ``known`` to the store atomically (an interrupted write leaves the old file whole)."""
    path = set_path(known.name)
    with atomic_path(path, make_parents=True) as tmp:
        tmp.write_text(json.dumps(_to_doc(known), separators=(",", ":")), encoding="utf-8")
    return path


def load_set(name: str) -> KnownSet:
    """Read a cached set by name, checking it (InputError if there is none, or naming the file and fix if damaged)."""
    path = set_path(name)
    if not path.exists():
        raise InputError(f"no known-materials set named {name!r} is cached{_cached_hint()}")
    try:
        with _no_gc():
            return _from_doc(json.loads(path.read_bytes()))
    except (OSError, ValueError, TypeError, OverflowError, RecursionError) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc).splitlines()[0][:120]
        fix = "fetch it again" if name == MP_NAME else "import it again"
        raise InputError(
            f"known set {name!r} in {path} is damaged ({why}): run `chemspace-tui known remove {name}` or {fix}"
        ) from None


def cached_names() -> list[str]:
    """Names of the cached sets (files whose stem is a valid set name; damaged ones included)."""
    folder = data_dir() / "known"
    if not folder.is_dir():
        return []
    return sorted(p.stem for p in folder.glob("*.json") if _NAME.fullmatch(p.stem) and p.stem.lower() != "none")


def remove_set(name: str) -> None:
    """Delete a cached set (InputError naming the file if it cannot be removed)."""
    path = set_path(name)
    if not path.exists():
        raise InputError(f"no known-materials set named {name!r} is cached{_cached_hint()}")
    try:
        if path.is_dir():
            raise IsADirectoryError(21, "it is a directory, not a set file")
        path.unlink()
    except OSError as exc:
        raise InputError(f"cannot remove {str(path)!r}: {exc.strerror or exc}") from None


def _cached_hint() -> str:
    names = cached_names()
    return f" (cached: {', '.join(names)})" if names else " (none cached yet)"


# -- importing files ----------------------------------------------------------------------------


Located = tuple[str, KnownEntry]  # (where: "file, line 3", entry)


def read_file(path: Path, invalid: list[str] | None = None) -> list[Located]:
    """Entries of a file, each with where it stands, for :func:`build_set` to parse.

    CSV: one ``formula`` column (any case), optional ``id``. JSON: a list of formulas or of objects
    with ``formula`` and optional ``id``. Anything else: text, one formula per line, ``#`` comments.
    Line numbers are 1-based lines of the file, so an error points at the line to fix. ``invalid``:
    as in :func:`build_set`, for JSON items without a formula string.
    """
    text = read_user_text(path)
    suffix = path.suffix.lower()
    if suffix == ".json":
        return _from_json(text, path, invalid)
    if suffix == ".csv":
        return _from_csv(text, path)
    return _from_lines(text, path)


def _from_lines(text: str, path: Path) -> list[Located]:
    out = []
    for n, line in enumerate(text.splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if line:
            out.append((f"{path}, line {n}", KnownEntry(id=None, formula=line)))
    return out


def _from_csv(text: str, path: Path) -> list[Located]:
    reader = csv.reader(io.StringIO(text))
    out = []
    try:
        header = next(reader, [])
        formula_col, id_col = _csv_columns(header, path)
        for row in reader:
            where = f"{path}, line {reader.line_num}"  # the line the record ends on: exact unless quoted newlines
            formula = row[formula_col].strip() if formula_col < len(row) else ""
            ident = row[id_col].strip() if id_col is not None and id_col < len(row) else ""
            out.append((where, KnownEntry(id=ident or None, formula=formula)))
    except csv.Error as exc:  # a field over csv's size limit, a NUL byte...
        raise InputError(f"{path}, line {reader.line_num}: not readable as CSV ({exc})") from None
    return out


def _csv_columns(header: list[str], path: Path) -> tuple[int, int | None]:
    """Positions of the one ``formula`` column and the optional ``id`` column (InputError if ambiguous)."""
    names = [name.strip().lower() for name in header]
    found = ", ".join(repr(h) for h in header)[:200]
    if "formula" not in names:
        raise InputError(f"{path}: CSV needs a 'formula' column (found: {found})")
    for col in ("formula", "id"):
        if names.count(col) > 1:
            raise InputError(f"{path}: CSV has {names.count(col)} {col!r} columns ({found}); keep one")
    return names.index("formula"), names.index("id") if "id" in names else None


def _from_json(text: str, path: Path, invalid: list[str] | None = None) -> list[Located]:
    try:
        items = _json_list_with_lines(text)
    except (ValueError, RecursionError) as exc:
        raise InputError(f"{path}: not valid JSON ({str(exc)[:120]})") from None
    if items is None:
        raise InputError(f"{path}: expected a JSON list of formulas or of objects with 'formula'")
    out = []
    for line, item in items:
        where = f"{path}, line {line}"
        formula = item.get("formula") if isinstance(item, dict) else item
        if not isinstance(formula, str):
            _refuse(invalid, f"{where}: no formula string in {json.dumps(item)[:60]}")
            continue
        ident = item.get("id") if isinstance(item, dict) else None
        out.append((where, KnownEntry(id=None if ident is None else str(ident), formula=formula)))
    return out


def _json_list_with_lines(text: str) -> list[tuple[int, object]] | None:
    """Decode a top-level JSON list item by item, with the line each item starts on (None: not a list)."""
    decoder = json.JSONDecoder()
    ws = re.compile(r"[ \t\n\r]*")
    pos = ws.match(text, 0).end()  # type: ignore[union-attr]
    if not text.startswith("[", pos):
        decoder.decode(text)  # raises for invalid JSON; valid JSON that is not a list falls through
        return None
    pos = ws.match(text, pos + 1).end()  # type: ignore[union-attr]
    items: list[tuple[int, object]] = []
    if text.startswith("]", pos):
        return items if not text[pos + 1 :].strip() else decoder.decode(text)
    while True:
        item, end = decoder.raw_decode(text, pos)
        items.append((text.count("\n", 0, pos) + 1, item))
        pos = ws.match(text, end).end()  # type: ignore[union-attr]
        if text.startswith(",", pos):
            pos = ws.match(text, pos + 1).end()  # type: ignore[union-attr]
        elif text.startswith("]", pos) and not text[pos + 1 :].strip():
            return items
        else:
            decoder.decode(text)  # let json name the syntax error
            raise ValueError(f"unexpected data at line {text.count(chr(10), 0, pos) + 1}")


def import_file(path: Path, name: str | None = None, invalid: list[str] | None = None) -> KnownSet:
    """Build a set from a file (not cached; see :func:`save_set`).

    Parameters
    ----------
    path : CSV, JSON or text file (see :func:`read_file`).
    name : name for ``--known``; default the file's stem, made into a valid name.
    invalid : None: InputError naming the file and line of the first malformed formula. A list:
        malformed lines are skipped and their error lines appended (``--skip-invalid``).

    Raises InputError if the file holds no (valid) formulas at all.
    """
    set_name = import_name(path, name)
    rows = read_file(path, invalid)
    if not rows and not invalid:
        raise InputError(f"{path}: no formulas found")
    known = build_set(set_name, str(path), rows, invalid=invalid)
    if not known.entries and not known.outside:
        raise InputError(f"{path}: none of its {len(invalid or ()):,} formulas is valid ({(invalid or ['?'])[0]})")
    return known


def import_name(path: Path, name: str | None) -> str:
    """The set name an import of ``path`` caches under: ``name`` checked, else made from the file's stem."""
    if name == MP_NAME:
        raise InputError(f"{MP_NAME!r} names the Materials Project set (`known fetch`); choose another --name")
    return check_name(name) if name is not None else _name_from_stem(path.stem)


def _name_from_stem(stem: str) -> str:
    """A valid set name from a file stem ('ICSD list (2024)' -> 'ICSD_list_2024')."""
    cleaned = re.sub(r"[^A-Za-z0-9_.-]+", "_", stem).strip("_.-")[:64] or "imported"
    if cleaned.lower() == "none":
        return "imported"
    return f"{cleaned}_file" if cleaned == MP_NAME else cleaned


# -- the --known option -------------------------------------------------------------------------


def default_known_notice() -> str:
    """One line telling how to get a known set when none is cached."""
    return (
        "no known-materials set cached: known/unknown shows as absent. Get one with "
        "`chemspace-tui known fetch --provider mp` (OPTIMADE, no key), `chemspace-tui known fetch` "
        "(Materials Project API key) or `chemspace-tui known import FILE`."
    )


def resolve_known(spec: str | None) -> KnownSet | None:
    """Turn a ``--known`` value into a KnownSet, or None for no known set.

    None: the cached Materials Project set if there is one, else None. ``none``: None. ``mp`` or
    another cached set's name: that set. A file path: imported on the fly (not cached). A comma
    list of names and files (``mp,oqmd``): the union of those sets (see :func:`union_sets`).
    """
    if spec is not None and "," in spec and not Path(spec).exists():
        return union_sets([_resolve_member(part.strip()) for part in spec.split(",")])
    if spec == "none":
        return None
    if spec is None:
        return load_set(MP_NAME) if MP_NAME in cached_names() else None
    if spec in cached_names():
        return load_set(spec)
    if spec == MP_NAME:
        raise InputError(
            "no Materials Project set cached; run `chemspace-tui known fetch` first (API key) "
            "or `chemspace-tui known fetch --provider mp` (no key)"
        )
    path = Path(spec)
    if path.exists() or path.is_symlink():
        return import_file(path)
    if os.sep in spec or path.suffix.lower() in (".csv", ".json", ".txt"):
        raise missing_file(spec)
    raise InputError(f"--known {spec!r} is not a cached set or a file{_cached_hint()}; use mp, NAME, FILE or none")


def _resolve_member(spec: str) -> KnownSet:
    """One name or file of a ``--known`` list (``none`` and empty items make no sense there)."""
    if not spec or spec == "none":
        raise InputError(f"--known list items must be set names or files, not {spec or 'an empty item'!r}")
    known = resolve_known(spec)
    assert known is not None
    return known


def union_sets(sets: list[KnownSet]) -> KnownSet:
    """One set holding every composition of ``sets``, each entry tagged with the set it came from.

    Labelling against the union is labelling against "known in any of them"; :meth:`KnownSet.sources`
    then says which sets hold a composition. Names must differ (the same set twice is an error).
    """
    names = [k.name for k in sets]
    if len(set(names)) != len(names):
        raise InputError(f"--known lists a set twice: {', '.join(names)}")
    if len(sets) == 1:
        return sets[0]
    entries: dict[Composition, list[KnownEntry]] = {}
    outside: dict[str, int] = {}
    with _no_gc():
        for known in sets:
            for comp, rows in known.entries.items():
                entries.setdefault(comp, []).extend(replace(e, set_name=e.set_name or known.name) for e in rows)
            for reason, n in known.outside.items():
                outside[reason] = outside.get(reason, 0) + n
    return KnownSet(
        name="+".join(names),
        source="union of " + ", ".join(f"{k.name} ({k.source})" for k in sets),
        entries=entries,
        version=None,
        date=max((k.date for k in sets if k.date), default=None),
        outside=outside,
        members=tuple(names),
    )
