"""`chemspace-tui export`: every composition of one arity to CSV or Parquet, streamed."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

from chemspace.core.atomic import check_directory
from chemspace.core.census import CensusSettings, run_census
from chemspace.core.errors import CancelledError, InputError
from chemspace.core.export import ExportSpec, output_format, total_rows, write_export
from chemspace.tui.options import (
    KnownOpt,
    MaxStoichOpt,
    OxStatesOpt,
    err_console,
    guarded,
    load_known,
    rule_from_options,
)

#: Above this many rows a CSV export is refused without --allowed-only: it would be hundreds of GB.
CSV_ROW_LIMIT = 200_000_000


@guarded
def export_command(
    arity: Annotated[int, typer.Option("--arity", "-a", help="Number of elements (2..6).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="FILE.csv or FILE.parquet")],
    allowed_only: Annotated[
        bool, typer.Option("--allowed-only", help="Only compositions that pass the filters.")
    ] = False,
    max_stoich: MaxStoichOpt = 8,
    oxidation_states: OxStatesOpt = "smact14",
    known: KnownOpt = None,
) -> None:
    """Write every composition (formula, elements, coefficients, allowed[, known, category])."""
    fmt = output_format(out)
    check_directory(out)  # before any counting: a read-only directory fails now, not after the census
    spec = ExportSpec(arity, max_stoich, oxidation_states, allowed_only)
    rule = rule_from_options(max_stoich, oxidation_states)
    CensusSettings(arities=(arity,), rule=rule).validated()
    known_set = load_known(known)
    allowed_total = None
    if allowed_only:
        census = run_census(CensusSettings(arities=(arity,), rule=rule, samples=0))
        allowed_total = census.arities[arity].allowed
    total = total_rows(spec, allowed_total)
    if fmt == "csv" and total > CSV_ROW_LIMIT:
        raise InputError(f"{total:,} rows is too many for CSV; write .parquet, or add --allowed-only")
    cancel = threading.Event()
    with Progress(
        TextColumn(f"export {out.name}"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.completed:,.0f}/{task.total:,.0f} rows"),
        TimeRemainingColumn(),
        console=err_console,
        disable=not err_console.is_terminal,
    ) as progress:
        task = progress.add_task("export", total=total)
        try:
            written = write_export(spec, out, known_set, on_rows=lambda n: progress.advance(task, n), cancel=cancel)
        except KeyboardInterrupt:
            cancel.set()
            raise CancelledError from None
    err_console.print(f"wrote {written:,} rows to {out}", highlight=False)
