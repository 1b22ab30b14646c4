"""Every CSV we write: a header, "\\n" line ends, a field quoted only when it needs it.

A field needs quotes when it holds a comma, a double quote or a line break (Python's
``csv.QUOTE_MINIMAL``); numbers, booleans (``true``/``false``) and plain formulas stay bare, and an
empty field is a missing value. pyarrow writes CSV fast but either quotes every string field (its
"needed" style) or none (its "none" style refuses a value that needs quotes); Python's csv module
quotes minimally but is slow for exports of millions of rows. So a batch with nothing to quote goes
through pyarrow unquoted and any other batch through the csv module, and the header is ours (pyarrow
quotes column names): the fields read back the same either way.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

#: What makes a field need quotes in our CSV.
NEEDS_QUOTES = (b",", b'"', b"\n", b"\r")

#: pyarrow's options for a batch with nothing to quote (the header is written apart).
_BARE = pacsv.WriteOptions(include_header=False, quoting_style="none")


def csv_cell(value: object) -> str:
    """A field's text: empty for None, true/false, a float at full precision (as pyarrow writes them)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    return repr(value) if isinstance(value, float) else str(value)


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """CSV text of a header and rows, quoting only the fields that need it."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([csv_cell(v) for v in row] for row in rows)
    return buf.getvalue()


def _rows_text(batch: pa.RecordBatch) -> str:
    """The CSV lines of ``batch``'s rows, without the header, through the csv module."""
    return csv_text(batch.schema.names, zip(*(c.to_pylist() for c in batch.columns))).split("\n", 1)[1]


def _needs_quotes(batch: pa.RecordBatch) -> bool:
    """Whether any text field of ``batch`` may hold a comma, a quote or a line break.

    Searches each text column's character buffer at once (several times faster than a regex per value);
    a buffer shared with a larger array can only make this say yes, never miss one.
    """
    for column, field in zip(batch.columns, batch.schema):
        if pa.types.is_string(field.type) or pa.types.is_large_string(field.type):
            chars = column.buffers()[2]
            if chars is not None and any(mark in chars.to_pybytes() for mark in NEEDS_QUOTES):
                return True
    return False


def write_csv_batches(batches: Iterable[pa.RecordBatch], sink: pa.NativeFile) -> int:
    """Write the batches to ``sink`` as one CSV (the header from the first batch); returns rows written."""
    written = 0
    bare: pacsv.CSVWriter | None = None  # one pyarrow writer for every bare batch: it writes through, in order
    for i, batch in enumerate(batches):
        if i == 0:
            sink.write(csv_text(batch.schema.names, ()).encode("utf-8"))
            bare = pacsv.CSVWriter(sink, batch.schema, write_options=_BARE)
        if _needs_quotes(batch):
            sink.write(_rows_text(batch).encode("utf-8"))
        elif batch.num_rows and bare is not None:
            bare.write_batch(batch)
        written += batch.num_rows
    if bare is not None:
        bare.close()
    return written


def write_csv_table(table: pa.Table, path: Path) -> None:
    """Write ``table`` to ``path`` as our CSV (an empty table still gets its header)."""
    batches = table.to_batches() or [pa.RecordBatch.from_pylist([], schema=table.schema)]
    with pa.OSFile(str(path), "wb") as sink:
        write_csv_batches(batches, sink)
