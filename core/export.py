"""Stream every composition of one arity to CSV or Parquet, in batches, never all in memory.

Rows carry the conventional formula, the elements and coefficients in formula order, the allowed
flag and, with a known set, ``known`` and ``category``. Files are written to a temporary sibling and
renamed into place, so an interrupted export leaves no partial file behind.
"""

from __future__ import annotations

import itertools
import json
import math
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from chemspace.core import kernels
from chemspace.core.atomic import atomic_path
from chemspace.core.composition import _formula_order
from chemspace.core.csv_format import csv_text, write_csv_batches
from chemspace.core.elements import element_table
from chemspace.core.engine import ArityPlan, charge_tables, check_arity, check_max_stoich, subset_flags
from chemspace.core.errors import CancelledError, InputError
from chemspace.core.known import KnownSet
from chemspace.core.rule import Rule, arity_name, category
from chemspace.core.system import SystemRow

if TYPE_CHECKING:  # core.rank writes its rankings with this module's helpers
    from chemspace.core.rank import RankedScore

FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}


@dataclass(frozen=True)
class ExportSpec:
    """What to export: one arity of the space under a rule (the paper's by default)."""

    arity: int
    rule: Rule = field(default_factory=Rule)
    allowed_only: bool = False
    pool: tuple[str, ...] | None = None

    @property
    def max_stoich(self) -> int:
        return self.rule.max_stoich

    @property
    def oxidation_states(self) -> str:
        return self.rule.oxidation_states


def output_format(path: Path) -> str:
    """'csv' or 'parquet' from the file suffix, else InputError."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputError(f"output file {str(path)!r} must end in .csv or .parquet")
    return fmt


def total_rows(spec: ExportSpec, allowed_total: int | None = None) -> int:
    """Rows the export will write (``allowed_total`` needed with ``allowed_only``)."""
    table = element_table(spec.oxidation_states, spec.pool)
    if spec.allowed_only:
        if allowed_total is None:
            raise ValueError("allowed_total required for allowed_only")
        return allowed_total
    return math.comb(len(table), spec.arity) * kernels.coprime_count(spec.arity, spec.max_stoich)


def iter_batches(
    spec: ExportSpec, known: KnownSet | None = None, batch_subsets: int = 2000
) -> Iterator[pa.RecordBatch]:
    """Yield record batches covering every element subset of the pool, in atomic-number order."""
    check_arity(spec.arity)
    check_max_stoich(spec.max_stoich)
    table = element_table(spec.oxidation_states, spec.pool)
    tables = charge_tables(table, spec.rule)
    plan = ArityPlan(spec.arity, spec.max_stoich, tables)
    tuples = kernels.weight_tuples(spec.arity, spec.max_stoich)
    coprime = np.gcd.reduce(tuples, axis=1) == 1
    known_by_subset = _known_by_subset(known, spec.arity) if known is not None else None
    subsets = itertools.combinations(table.symbols, spec.arity)
    while batch := list(itertools.islice(subsets, batch_subsets)):
        yield _batch(plan, batch, tuples, coprime, spec.allowed_only, known_by_subset)


def _known_by_subset(known: KnownSet, arity: int) -> dict[tuple[str, ...], set[tuple[int, ...]]]:
    out: dict[tuple[str, ...], set[tuple[int, ...]]] = {}
    for comp in known.compositions(arity):
        out.setdefault(comp.symbols, set()).add(comp.counts)
    return out


def _batch(
    plan: ArityPlan,
    subsets: list[tuple[str, ...]],
    tuples: np.ndarray,
    coprime: np.ndarray,
    allowed_only: bool,
    known_by_subset: dict[tuple[str, ...], set[tuple[int, ...]]] | None,
) -> pa.RecordBatch:
    """Rows for a list of element subsets (each in atomic-number order)."""
    index = plan.tables.index
    n = plan.arity
    sym_cols: list[list[np.ndarray]] = [[] for _ in range(n)]
    cnt_cols: list[list[np.ndarray]] = [[] for _ in range(n)]
    allowed_parts: list[np.ndarray] = []
    known_parts: list[np.ndarray] = []
    for subset in subsets:
        if all(s in index for s in subset):
            order = sorted(range(n), key=lambda j: index[subset[j]])
            flags_en = subset_flags(plan, np.array([index[subset[j]] for j in order], dtype=np.int64))
            # weight tuple bit index is over EN order; re-map columns back to subset order
            rows_en = tuples[coprime]
            flags = flags_en[coprime]
            counts = np.empty_like(rows_en)
            counts[:, order] = rows_en
        else:
            counts = tuples[coprime]
            flags = np.zeros(len(counts), dtype=np.bool_)
        if allowed_only:
            counts, flags = counts[flags], flags[flags]
        if len(counts) == 0:
            continue
        fo = sorted(range(n), key=lambda j: _formula_order(subset[j]))
        for col, j in enumerate(fo):
            sym_cols[col].append(np.full(len(counts), subset[j], dtype=object))
            cnt_cols[col].append(counts[:, j])
        allowed_parts.append(flags)
        if known_by_subset is not None:
            hits = known_by_subset.get(subset, set())
            known_parts.append(np.array([tuple(row) in hits for row in counts.tolist()], dtype=np.bool_))
    if not allowed_parts:
        return _empty_batch(n, known_by_subset is not None)
    symbols = [np.concatenate(c) for c in sym_cols]
    counts_ = [np.concatenate(c) for c in cnt_cols]
    formula = _formulas(symbols, counts_)
    arrays = {"formula": formula}
    for j in range(n):
        arrays[f"element_{j + 1}"] = symbols[j]
        arrays[f"count_{j + 1}"] = counts_[j]
    allowed = np.concatenate(allowed_parts)
    arrays["allowed"] = allowed
    if known_by_subset is not None:
        known = np.concatenate(known_parts)
        arrays["known"] = known
        arrays["category"] = _categories(allowed, known)
    return pa.RecordBatch.from_pydict({k: pa.array(v) for k, v in arrays.items()})


def _formulas(symbols: list[np.ndarray], counts: list[np.ndarray]) -> np.ndarray:
    """Vectorised conventional formulas: symbol then count, count omitted when 1."""
    out = np.full(len(symbols[0]), "", dtype=object)
    for sym, cnt in zip(symbols, counts):
        digits = np.where(cnt == 1, "", cnt.astype(str)).astype(object)
        out = out + sym + digits
    return out


def _categories(allowed: np.ndarray, known: np.ndarray) -> np.ndarray:
    """Vectorised :func:`chemspace.core.rule.category`: index 2*allowed + known."""
    cats = np.array([str(category(a, k)) for a in (False, True) for k in (False, True)], dtype=object)
    return cats[allowed.astype(int) * 2 + known.astype(int)]


def _empty_batch(n: int, with_known: bool) -> pa.RecordBatch:
    fields = [pa.field("formula", pa.string())]
    for j in range(n):
        fields += [pa.field(f"element_{j + 1}", pa.string()), pa.field(f"count_{j + 1}", pa.int64())]
    fields.append(pa.field("allowed", pa.bool_()))
    if with_known:
        fields += [pa.field("known", pa.bool_()), pa.field("category", pa.string())]
    schema = pa.schema(fields)
    return pa.RecordBatch.from_pylist([], schema=schema)


def write_export(
    spec: ExportSpec,
    path: Path,
    known: KnownSet | None = None,
    on_rows: Callable[[int], None] | None = None,
    cancel: threading.Event | None = None,
) -> int:
    """Stream the export to ``path`` (CSV or Parquet by suffix), atomically; returns rows written."""
    fmt = output_format(path)
    batches = _watched(iter_batches(spec, known), on_rows, cancel)
    with atomic_path(path) as tmp:
        if fmt == "csv":
            with pa.OSFile(str(tmp), "wb") as sink:
                return write_csv_batches(batches, sink)
        written = 0
        writer = None
        try:
            for batch in batches:
                if writer is None:
                    writer = pq.ParquetWriter(str(tmp), batch.schema, compression="zstd")
                if batch.num_rows:
                    writer.write_batch(batch)
                written += batch.num_rows
        finally:
            if writer is not None:
                writer.close()
    return written


def _watched(
    batches: Iterator[pa.RecordBatch], on_rows: Callable[[int], None] | None, cancel: threading.Event | None
) -> Iterator[pa.RecordBatch]:
    """The batches, stopping with CancelledError once ``cancel`` is set and reporting each one's rows."""
    for batch in batches:
        if cancel is not None and cancel.is_set():
            raise CancelledError("export cancelled")
        yield batch
        if on_rows:
            on_rows(batch.num_rows)


#: A system export's columns, in this order, wherever it is written (``system --format csv`` and
#: ``--out``, ``export --system``, the app's system tab): the composition and its verdict, then the
#: known set's columns (with a known set), then the ranking's (in file exports, scored or not yet).
SYSTEM_COLUMNS: tuple[str, ...] = (
    "formula",
    "arity",
    "allowed",
    "oxidation_states",
    "assignments",
    "reason",
    "witness",
)
SYSTEM_KNOWN_COLUMNS: tuple[str, ...] = ("known", "category", "ids", "energy_above_hull")
SYSTEM_SCORE_COLUMNS: tuple[str, ...] = ("score", "rank", "top_percent")

#: Suffixes a system export can be written as.
SYSTEM_FORMATS = {".csv": "csv", ".json": "json", ".parquet": "parquet", ".pq": "parquet"}

_SYSTEM_TYPES = {
    "arity": pa.int64(),
    "allowed": pa.bool_(),
    "known": pa.bool_(),
    "score": pa.float64(),
    "rank": pa.int64(),
    "top_percent": pa.float64(),
}


def missing_rows(rows: Sequence[SystemRow]) -> list[SystemRow]:
    """Rows the ranking scores: allowed and not known (every allowed row without a known set)."""
    return [r for r in rows if r.allowed and not r.known]


def missing_scores(
    rows: Sequence[SystemRow], known: KnownSet | None, rule: Rule, cancel: threading.Event | None = None
) -> dict[str, float]:
    """The ranking's score per missing formula of a system (the app's system tab shows and sorts by them)."""
    from chemspace.core.rank import score_compositions  # core.rank imports this module

    missing = missing_rows(rows)
    scores = score_compositions([r.composition for r in missing], known, rule, cancel=cancel)
    return dict(zip((r.formula for r in missing), scores.tolist()))


def system_scores(
    rows: Sequence[SystemRow], known: KnownSet | None, rule: Rule, cancel: threading.Event | None = None
) -> dict[str, RankedScore]:
    """The ranking's score, rank among the system's missing rows and top percent, per missing formula
    (the score columns of a system export)."""
    from chemspace.core.rank import ranked_scores

    return ranked_scores(missing_scores(rows, known, rule, cancel))


def system_export_name(
    system: Sequence[str], label: str | None = None, arity: int | None = None, suffix: str = ".csv"
) -> str:
    """A system export's default file name, naming the system and what is kept: ``Li-Zn-Sn-O-missing.csv``."""
    parts = ["-".join(system), *([label] if label else []), *([arity_name(arity)] if arity else [])]
    return "-".join(parts) + suffix


def system_format(path: Path) -> str:
    """'csv', 'json' or 'parquet' from a system export's suffix, else InputError."""
    fmt = SYSTEM_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputError(f"output file {str(path)!r} must end in .csv, .json or .parquet")
    return fmt


def system_columns(rows: Sequence[SystemRow], scores: Mapping[str, RankedScore] | None = None) -> tuple[str, ...]:
    """The columns of these rows' export, in :data:`SYSTEM_COLUMNS` order (``scores`` given: the score columns too)."""
    with_known = bool(rows) and rows[0].known is not None
    known = SYSTEM_KNOWN_COLUMNS if with_known else ()
    return SYSTEM_COLUMNS + known + (SYSTEM_SCORE_COLUMNS if scores is not None else ())


def system_values(rows: Sequence[SystemRow], scores: Mapping[str, RankedScore] | None = None) -> dict[str, list]:
    """Column name -> one value per row (None where empty), for :func:`system_columns`; assignments as text
    ('Sn+4 O-2 | Sn+2 O-1'), score, rank and top percent for the scored (missing) rows only."""
    values: dict[str, Callable[[SystemRow], object]] = {
        "formula": lambda r: r.formula,
        "arity": lambda r: r.arity,
        "allowed": lambda r: r.allowed,
        "oxidation_states": lambda r: r.oxidation_text(),
        "assignments": lambda r: r.assignments_text(),
        "reason": lambda r: None if r.reason is None else str(r.reason),
        "witness": lambda r: None if r.witness is None else r.witness.text(),
        "known": lambda r: r.known,
        "category": lambda r: None if r.category is None else str(r.category),
        "ids": lambda r: ";".join(e.id or "" for e in r.entries),
        "energy_above_hull": lambda r: ";".join(
            "" if e.energy_above_hull is None else f"{e.energy_above_hull:g}" for e in r.entries
        ),
    }
    ranked = scores or {}
    for i, column in enumerate(SYSTEM_SCORE_COLUMNS):
        values[column] = lambda r, i=i: None if r.formula not in ranked else ranked[r.formula][i]
    return {c: [values[c](r) for r in rows] for c in system_columns(rows, scores)}


def system_table(rows: Sequence[SystemRow], scores: Mapping[str, RankedScore] | None = None) -> pa.Table:
    """A chemical system's rows as a table with the columns of :func:`system_columns`, typed."""
    return pa.table(
        {c: pa.array(v, type=_SYSTEM_TYPES.get(c, pa.string())) for c, v in system_values(rows, scores).items()}
    )


def system_csv(rows: Sequence[SystemRow], scores: Mapping[str, RankedScore] | None = None) -> str:
    """CSV text of a system's rows: a header, one line a row, booleans as true/false, empty for None."""
    columns = system_values(rows, scores)
    return csv_text(list(columns), zip(*columns.values()))


def system_json(rows: Sequence[SystemRow], scores: Mapping[str, RankedScore] | None = None) -> str:
    """JSON list of a system's rows (:meth:`SystemRow.to_json`), with score, rank and top_percent when scored."""
    extra = system_values(rows, scores) if scores is not None else {}
    score_columns = [c for c in SYSTEM_SCORE_COLUMNS if c in extra]
    return json.dumps(
        [{**r.to_json(), **{c: extra[c][i] for c in score_columns}} for i, r in enumerate(rows)], indent=1
    )


def write_system_export(rows: Sequence[SystemRow], path: Path, scores: Mapping[str, RankedScore] | None = None) -> int:
    """Write a system's rows to CSV, JSON or Parquet (by suffix), atomically; returns rows written."""
    fmt = system_format(path)
    with atomic_path(path) as tmp:
        if fmt == "parquet":
            pq.write_table(system_table(rows, scores), str(tmp), compression="zstd")
        else:
            text = system_csv(rows, scores) if fmt == "csv" else system_json(rows, scores)
            tmp.write_text(text, encoding="utf-8")
    return len(rows)
