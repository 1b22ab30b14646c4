"""Our CSV files quote a field only when it needs it, and read back exactly as the same export in Parquet."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from typer.testing import CliRunner

from chemspace.core.csv_format import write_csv_batches, write_csv_table
from chemspace.tui.cli import app

runner = CliRunner()


def _read_as(path: Path, schema: pa.Schema) -> pa.Table:
    """A CSV file read by pyarrow with the column types of ``schema``, an empty field as missing (only it: NaN is
    sodium nitride)."""
    options = pacsv.ConvertOptions(column_types=schema, null_values=[""], strings_can_be_null=True)
    return pacsv.read_csv(path, convert_options=options)


def test_the_whole_space_export_is_bare_and_reads_back_as_its_parquet(tmp_path: Path) -> None:
    csv_path, parquet_path = tmp_path / "b.csv", tmp_path / "b.parquet"
    for path in (csv_path, parquet_path):
        result = runner.invoke(app, ["export", "--arity", "2", "--known", "none", "--out", str(path)])
        assert result.exit_code == 0, result.output
    text = csv_path.read_text()
    assert '"' not in text  # formulas, symbols, counts and booleans need no quotes
    assert text.splitlines()[:2] == ["formula,element_1,count_1,element_2,count_2,allowed", "HHe,H,1,He,1,false"]
    expected = pq.read_table(parquet_path)
    assert _read_as(csv_path, expected.schema).equals(expected)


def test_only_fields_that_need_it_are_quoted_and_every_value_reads_back(tmp_path: Path) -> None:
    table = pa.table(
        {
            "formula": ["LiO", "Li2O", None, "ZnO"],
            "assignments": ["Li+1 O-1", "Li+1, O-2", 'say "x"', "line\nbreak"],
            "score": [0.25, 1e-05, None, 3.0],
            "allowed": [True, False, None, True],
        }
    )
    path = tmp_path / "t.csv"
    write_csv_table(table, path)
    text = path.read_text()
    assert text.startswith("formula,assignments,score,allowed\nLiO,Li+1 O-1,0.25,true\n")
    assert '"Li+1, O-2"' in text and '"say ""x"""' in text and '"line\nbreak"' in text
    assert text.count('"') == 2 + 6 + 2  # nothing else is quoted
    assert _read_as(path, table.schema).equals(table)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[2] == ["Li2O", "Li+1, O-2", "1e-05", "false"] and rows[3][0] == ""


def test_batches_written_each_way_make_one_file_with_one_header(tmp_path: Path) -> None:
    """A batch needing quotes after a bare one: the csv module continues pyarrow's file, no second header."""
    bare = pa.record_batch({"formula": ["LiO"], "n": [1]})
    quoted = pa.record_batch({"formula": ["a,b"], "n": [2]})
    sink = pa.BufferOutputStream()
    assert write_csv_batches([bare, quoted, bare], sink) == 3
    assert sink.getvalue().to_pybytes().decode() == 'formula,n\nLiO,1\n"a,b",2\nLiO,1\n'
    empty = tmp_path / "empty.csv"
    write_csv_table(pa.table({"formula": pa.array([], pa.string())}), empty)
    assert empty.read_text() == "formula\n"
