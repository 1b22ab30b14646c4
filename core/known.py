"""Known-materials sets: which reduced compositions a database (Materials Project, ICSD, a list) holds.

The census only needs the set of reduced compositions; the system view also shows each entry's
ids and energy above hull. Matching is always by reduced composition, never by formula string
(pymatgen writes LiZn4Sn4O8 as "LiZn4(SnO2)4"). Sets are cached as JSON in the user's data
directory (``$CHEMSPACE_DATA_DIR`` overrides it), written atomically.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from chemspace.core.atomic import atomic_path
from chemspace.core.composition import Composition, parse_formula
from chemspace.core.errors import InputError

#: Name of the Materials Project set in the cache.
MP_NAME = "mp"
MAX_ARITY = 6


@dataclass(frozen=True)
class KnownEntry:
    """One database entry: its id and, where the source has them, stability fields."""

    id: str | None
    formula: str
    energy_above_hull: float | None = None
    is_stable: bool | None = None
    theoretical: bool | None = None


@dataclass
class KnownSet:
    """A named set of known compositions with the entries behind each.

    Attributes
    ----------
    name : short name used on the command line (``mp``, or an imported set's name).
    source : where it came from (``Materials Project``, a file path...).
    version : database version where known (MP: ``db_version`` from ``/heartbeat``).
    date : ISO date the set was fetched or imported.
    entries : reduced composition -> its entries.
    outside : entries that fall outside the enumerable space, counted by reason.
    """

    name: str
    source: str
    entries: dict[Composition, list[KnownEntry]]
    version: str | None = None
    date: str | None = None
    outside: dict[str, int] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.entries)

    def __contains__(self, comp: object) -> bool:
        return comp in self.entries

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


def build_set(
    name: str, source: str, rows: Iterable[KnownEntry], version: str | None = None, date: str | None = None
) -> KnownSet:
    """Group entries by reduced composition; entries with 1 or more than 6 elements are counted outside."""
    entries: dict[Composition, list[KnownEntry]] = {}
    outside: dict[str, int] = {}
    for row in rows:
        comp = parse_formula(row.formula)
        if comp.arity == 1 or comp.arity > MAX_ARITY:
            reason = "single element" if comp.arity == 1 else f"more than {MAX_ARITY} elements"
            outside[reason] = outside.get(reason, 0) + 1
            continue
        entries.setdefault(comp, []).append(row)
    return KnownSet(name, source, entries, version, date or dt.date.today().isoformat(), outside)


# -- the on-disk store --------------------------------------------------------------------------


def data_dir() -> Path:
    """Where known sets are cached: ``$CHEMSPACE_DATA_DIR`` or the platform's user data directory."""
    env = os.environ.get("CHEMSPACE_DATA_DIR")
    if env:
        return Path(env)
    from platformdirs import user_data_dir

    return Path(user_data_dir("chemspace-tui"))


def _set_path(name: str) -> Path:
    if not name or any(ch in name for ch in "/\\") or name.startswith("."):
        raise InputError(f"invalid set name {name!r} (use letters, digits, - or _)")
    return data_dir() / "known" / f"{name}.json"


def save_set(known: KnownSet) -> Path:
    """Write ``known`` to the store atomically (an interrupted write leaves the old file whole)."""
    path = _set_path(known.name)
    doc = {
        "name": known.name,
        "source": known.source,
        "version": known.version,
        "date": known.date,
        "outside": known.outside,
        "entries": [
            [list(comp.symbols), list(comp.counts), e.id, e.formula, e.energy_above_hull, e.is_stable, e.theoretical]
            for comp, rows in known.entries.items()
            for e in rows
        ],
    }
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(doc, separators=(",", ":")), encoding="utf-8")
    return path


def load_set(name: str) -> KnownSet:
    """Read a cached set by name (InputError if there is none)."""
    path = _set_path(name)
    if not path.exists():
        raise InputError(f"no known-materials set named {name!r} is cached{_cached_hint()}")
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"cached set {name!r} is unreadable ({exc}); fetch or import it again") from None
    entries: dict[Composition, list[KnownEntry]] = {}
    for symbols, counts, *fields in doc["entries"]:
        entries.setdefault(Composition(tuple(symbols), tuple(counts)), []).append(KnownEntry(*fields))
    return KnownSet(doc["name"], doc["source"], entries, doc.get("version"), doc.get("date"), doc.get("outside", {}))


def cached_names() -> list[str]:
    """Names of the cached sets."""
    folder = data_dir() / "known"
    return sorted(p.stem for p in folder.glob("*.json")) if folder.exists() else []


def remove_set(name: str) -> None:
    """Delete a cached set."""
    path = _set_path(name)
    if not path.exists():
        raise InputError(f"no known-materials set named {name!r} is cached{_cached_hint()}")
    path.unlink()


def _cached_hint() -> str:
    names = cached_names()
    return f" (cached: {', '.join(names)})" if names else " (none cached yet)"


# -- importing files ----------------------------------------------------------------------------


def read_file(path: Path) -> list[KnownEntry]:
    """Entries from CSV (``formula`` column, optional ``id``), JSON (list of formulas or of objects
    with ``formula``/``id``) or text (one formula per line, ``#`` comments). A malformed formula is
    refused with its line (or item) number."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {str(path)!r}: {exc}") from None
    suffix = path.suffix.lower()
    if suffix == ".json":
        return _from_json(text, path)
    if suffix == ".csv":
        return _from_csv(text, path)
    return _from_lines(text, path)


def _checked(formula: str, where: str) -> KnownEntry:
    try:
        parse_formula(formula)
    except InputError as exc:
        raise InputError(f"{where}: {exc}") from None
    return KnownEntry(id=None, formula=formula.strip())


def _from_lines(text: str, path: Path) -> list[KnownEntry]:
    out = []
    for n, line in enumerate(text.splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if line:
            out.append(_checked(line, f"{path}, line {n}"))
    return out


def _from_csv(text: str, path: Path) -> list[KnownEntry]:
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or "formula" not in reader.fieldnames:
        raise InputError(f"{path}: CSV needs a 'formula' column (found: {', '.join(reader.fieldnames or [])})")
    out = []
    for n, row in enumerate(reader, start=2):
        entry = _checked(row["formula"] or "", f"{path}, line {n}")
        out.append(KnownEntry(id=row.get("id") or None, formula=entry.formula))
    return out


def _from_json(text: str, path: Path) -> list[KnownEntry]:
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise InputError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(doc, list):
        raise InputError(f"{path}: expected a JSON list of formulas or of objects with 'formula'")
    out = []
    for n, item in enumerate(doc, start=1):
        formula = item.get("formula") if isinstance(item, dict) else item
        if not isinstance(formula, str):
            raise InputError(f"{path}, item {n}: no formula string")
        entry = _checked(formula, f"{path}, item {n}")
        ident = item.get("id") if isinstance(item, dict) else None
        out.append(KnownEntry(id=None if ident is None else str(ident), formula=entry.formula))
    return out


def import_file(path: Path, name: str | None = None) -> KnownSet:
    """Build a set from a file (not cached; see :func:`save_set`)."""
    return build_set(name or path.stem, str(path), read_file(path))


# -- the --known option -------------------------------------------------------------------------


def default_known_notice() -> str:
    """One line telling how to get a known set when none is cached."""
    return (
        "no known-materials set cached: known/unknown shows as absent. Get one with "
        "`chemspace-tui known fetch` (Materials Project) or `chemspace-tui known import FILE`."
    )


def resolve_known(spec: str | None) -> KnownSet | None:
    """Turn a ``--known`` value into a KnownSet, or None for no known set.

    None: the cached Materials Project set if there is one, else None. ``none``: None. ``mp`` or
    another cached set's name: that set. A file path: imported on the fly (not cached).
    """
    if spec == "none":
        return None
    if spec is None:
        return load_set(MP_NAME) if MP_NAME in cached_names() else None
    if spec in cached_names():
        return load_set(spec)
    if spec == MP_NAME:
        raise InputError("no Materials Project set cached; run `chemspace-tui known fetch` first")
    path = Path(spec)
    if path.exists():
        return import_file(path)
    raise InputError(f"--known {spec!r} is not a cached set or a file{_cached_hint()}; use mp, NAME, FILE or none")
