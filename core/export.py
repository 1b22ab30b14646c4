"""Stream every composition of one arity to CSV or Parquet, in batches, never all in memory.

Rows carry the conventional formula, the elements and coefficients in formula order, the allowed
flag and, with a known set, ``known`` and ``category``. Files are written to a temporary sibling and
renamed into place, so an interrupted export leaves no partial file behind.
"""

from __future__ import annotations

import itertools
import math
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from chemspace.core import kernels
from chemspace.core.atomic import atomic_path
from chemspace.core.composition import _formula_order
from chemspace.core.elements import element_table
from chemspace.core.engine import ArityPlan, charge_tables, check_arity, check_max_stoich, subset_flags
from chemspace.core.errors import CancelledError, InputError
from chemspace.core.known import KnownSet
from chemspace.core.rule import Rule, category
from chemspace.core.system import SystemRow

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
    written = 0
    with atomic_path(path) as tmp:
        writer = None
        try:
            for batch in iter_batches(spec, known):
                if cancel is not None and cancel.is_set():
                    raise CancelledError("export cancelled")
                if writer is None:
                    writer = (
                        pacsv.CSVWriter(str(tmp), batch.schema)
                        if fmt == "csv"
                        else pq.ParquetWriter(str(tmp), batch.schema, compression="zstd")
                    )
                if batch.num_rows:
                    writer.write_batch(batch)
                written += batch.num_rows
                if on_rows:
                    on_rows(batch.num_rows)
        finally:
            if writer is not None:
                writer.close()
    return written


def system_table(rows: Sequence[SystemRow]) -> pa.Table:
    """A chemical system's rows as a table: formula, arity, allowed, reason, every assignment as text
    ('Sn+4 O-2 | Sn+2 O-1'), the first assignment, and known/category with a known set."""
    with_known = bool(rows) and rows[0].known is not None
    columns: dict[str, list] = {
        "formula": [r.formula for r in rows],
        "arity": [r.arity for r in rows],
        "allowed": [r.allowed for r in rows],
        "reason": [None if r.reason is None else str(r.reason) for r in rows],
        "assignments": [r.assignments_text() for r in rows],
        "oxidation_states": [r.oxidation_text() for r in rows],
        "witness": [None if r.witness is None else r.witness.text() for r in rows],
    }
    if with_known:
        columns["known"] = [r.known for r in rows]
        columns["category"] = [None if r.category is None else str(r.category) for r in rows]
        columns["ids"] = [";".join(e.id or "" for e in r.entries) for r in rows]
    types = {"arity": pa.int64(), "allowed": pa.bool_(), "known": pa.bool_()}
    return pa.table({k: pa.array(v, type=types.get(k, pa.string())) for k, v in columns.items()})


def write_system_export(rows: Sequence[SystemRow], path: Path) -> int:
    """Write a system's rows to CSV or Parquet (by suffix), atomically; returns rows written."""
    fmt = output_format(path)
    table = system_table(rows)
    with atomic_path(path) as tmp:
        if fmt == "csv":
            pacsv.write_csv(table, str(tmp))
        else:
            pq.write_table(table, str(tmp), compression="zstd")
    return table.num_rows
