"""`chemspace-tui export`: every composition of one arity to CSV or Parquet, streamed."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Annotated

import typer

from chemspace.core.census import CensusSettings, run_census
from chemspace.core.elements import parse_system
from chemspace.core.errors import InputError
from chemspace.core.export import ExportSpec, output_format, system_format, total_rows, write_export
from chemspace.core.rule import Rule
from chemspace.core.system import system_rows
from chemspace.tui.cmd_system import write_system_file
from chemspace.tui.options import (
    AlloysOpt,
    ForceOpt,
    KnownOpt,
    MaxStoichOpt,
    MixedValenceOpt,
    NoPaulingOpt,
    OxStatesOpt,
    cancel_on_interrupt,
    check_output,
    err_console,
    guarded,
    load_known,
    rule_from_options,
)
from chemspace.tui.progress import counted_progress, system_progress

#: Above this many rows a CSV export is refused without --allowed-only: it would be hundreds of GB.
CSV_ROW_LIMIT = 200_000_000


@guarded
def export_command(
    out: Annotated[
        Path,
        typer.Option("--out", "-o", metavar="FILE", help="FILE.csv or FILE.parquet (with --system also FILE.json)"),
    ],
    arity: Annotated[
        int | None, typer.Option("--arity", "-a", metavar="N", help="Number of elements (2..6); not with --system.")
    ] = None,
    system: Annotated[
        str | None,
        typer.Option(
            "--system",
            metavar="SYSTEM",
            help="Export one chemical system (e.g. Li-Zn-Sn-O) with assignments and reasons.",
        ),
    ] = None,
    allowed_only: Annotated[
        bool, typer.Option("--allowed-only", help="Only compositions that pass the filters.")
    ] = False,
    max_stoich: MaxStoichOpt = 8,
    oxidation_states: OxStatesOpt = "smact14",
    no_pauling: NoPaulingOpt = False,
    alloys: AlloysOpt = False,
    mixed_valence: MixedValenceOpt = False,
    known: KnownOpt = None,
    force: ForceOpt = False,
) -> None:
    """Write every composition (formula, elements, coefficients, allowed[, known, category]); with
    --system, a system's compositions with every assignment and the reason."""
    fmt = output_format(out) if system is None else system_format(out)
    check_output(out, force)  # before any counting: a read-only directory fails now, not after the census
    rule = rule_from_options(max_stoich, oxidation_states, no_pauling, alloys, mixed_valence)
    if system is not None:
        _export_system(system, arity, out, rule, allowed_only, known)
        return
    if arity is None:
        raise InputError("give --arity N (2..6) for the whole space, or --system A-B-C")
    spec = ExportSpec(arity, rule, allowed_only)
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
    with counted_progress(f"export {out.name}", "rows") as progress:
        task = progress.add_task("export", total=total)
        with cancel_on_interrupt(cancel):
            written = write_export(spec, out, known_set, on_rows=lambda n: progress.advance(task, n), cancel=cancel)
    err_console.print(f"wrote {written:,} rows to {out}", highlight=False)


def _export_system(
    system: str, arity: int | None, out: Path, rule: Rule, allowed_only: bool, known: str | None
) -> None:
    """`export --system`: the system view's rows, assignments as text, written atomically."""
    elements = parse_system(system)
    if arity is not None:
        raise InputError("--arity and --system do not combine (a system export holds every arity)")
    known_set = load_known(known)
    with system_progress("-".join(elements)) as on_progress:
        rows = system_rows(elements, known=known_set, rule=rule, on_progress=on_progress)
    write_system_file(rows, out, known_set, rule, "allowed" if allowed_only else None, None)
