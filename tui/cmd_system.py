"""`chemspace-tui system Li-Zn-Sn-O`: every composition of a chemical system, labelled."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from chemspace.core.elements import parse_system
from chemspace.core.errors import InputError
from chemspace.core.explain import assignment_text
from chemspace.core.export import missing_rows, system_csv, system_format, system_scores, write_system_export
from chemspace.core.known import KnownSet
from chemspace.core.palette import CATEGORY_HEX
from chemspace.core.rule import Rule
from chemspace.core.system import SystemRow, system_rows
from chemspace.tui.options import (
    AlloysOpt,
    ForceOpt,
    KnownOpt,
    MaxStoichOpt,
    MixedValenceOpt,
    NoPaulingOpt,
    OxStatesOpt,
    check_output,
    err_console,
    guarded,
    load_known,
    parse_arities,
    rule_from_options,
)
from chemspace.tui.progress import system_progress
from chemspace.tui.tables import print_table


class OutputFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


def _entries_text(row: SystemRow) -> str:
    parts = []
    for e in row.entries:
        ehull = "" if e.energy_above_hull is None else f" ({e.energy_above_hull:.3f} eV/atom)"
        parts.append(f"{e.id or e.formula}{ehull}")
    held = f"{' + '.join(row.sources)}: " if len(row.sources) > 1 else ""
    return held + "; ".join(parts)


def rows_table(rows: list[SystemRow], title: str) -> Table:
    """Rich table: formula, arity, label, every assignment or the reason, known entries."""
    table = Table(title=title)
    table.add_column("Formula")
    table.add_column("Arity", justify="right")
    table.add_column("Category" if rows and rows[0].known is not None else "Label")
    table.add_column("Oxidation states (every assignment) / reason")
    if rows and rows[0].known is not None:
        table.add_column("Known entries (E above hull)")
    for r in rows:
        why = r.assignments_text() or (str(r.basis) if r.allowed else str(r.reason))
        if r.witness is not None:
            w = r.witness
            why += f": {assignment_text(w.assignment)}, cation {w.cation} {w.cation_en:g}"
            why += f" >= anion {w.anion} {w.anion_en:g}"
        cells = [r.formula, str(r.arity), f"[{CATEGORY_HEX[r.label]}]{r.label}[/]", why]
        if r.known is not None:
            cells.append(_entries_text(r))
        table.add_row(*cells)
    return table


@guarded
def system_command(
    system: Annotated[
        str, typer.Argument(metavar="SYSTEM", help="Chemical system, e.g. Li-Zn-Sn-O (2 to 6 elements).")
    ],
    known: KnownOpt = None,
    max_stoich: MaxStoichOpt = 8,
    oxidation_states: OxStatesOpt = "smact14",
    no_pauling: NoPaulingOpt = False,
    alloys: AlloysOpt = False,
    mixed_valence: MixedValenceOpt = False,
    fmt: Annotated[
        OutputFormat, typer.Option("--format", "-f", metavar="FORMAT", help="table, csv or json.")
    ] = OutputFormat.table,
    only: Annotated[
        str | None,
        typer.Option(
            "--only",
            metavar="LABEL",
            help="Keep one label (allowed, forbidden), category (standard, missing, interesting, unlikely) "
            "or reason (no-oxidation-states, not-charge-neutral, electronegativity).",
        ),
    ] = None,
    arity: Annotated[
        str | None, typer.Option("--arity", "-a", metavar="ARITIES", help="Keep these arities, e.g. 3 or 2,3.")
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            metavar="FILE",
            help="Write FILE.csv, .json or .parquet instead: the app's system export, columns and scores alike.",
        ),
    ] = None,
    force: ForceOpt = False,
) -> None:
    """List every composition over every subset of 2..n of the elements, with its labels."""
    elements = parse_system(system)  # bad input fails before any notice is printed
    if out is not None:
        system_format(out)
        check_output(out, force)  # before any work: a typo in the directory or an existing file fails now
    if arity is not None and not any(a <= len(elements) for a in parse_arities(arity)):
        raise InputError(f"--arity {arity}: {'-'.join(elements)} has only {len(elements)} elements")
    known_set = load_known(known)
    rule = rule_from_options(max_stoich, oxidation_states, no_pauling, alloys, mixed_valence)
    with system_progress("-".join(elements)) as on_progress:
        rows = system_rows(elements, known=known_set, rule=rule, on_progress=on_progress)
    if out is not None:
        write_system_file(rows, out, known_set, rule, only, arity)
        return
    rows = filter_rows(rows, only, arity)
    if fmt is OutputFormat.json:
        typer.echo(json.dumps([r.to_json() for r in rows]))
    elif fmt is OutputFormat.csv:
        typer.echo(system_csv(rows), nl=False)
    else:
        allowed = sum(r.allowed for r in rows)
        title = f"{'-'.join(elements)}: {len(rows):,} compositions, {allowed:,} allowed"  # not the raw argument
        print_table(rows_table(rows, title))


def write_system_file(
    rows: list[SystemRow], out: Path, known: KnownSet | None, rule: Rule, only: str | None, arity: str | None
) -> None:
    """Score the missing rows (ranked among all the system's missing rows, as the app does), keep the
    filtered rows and write them with the columns of the app's system export."""
    kept = filter_rows(rows, only, arity)  # a bad --only fails before the scoring
    with err_console.status(f"scoring {len(missing_rows(rows)):,} missing compositions"):
        scores = system_scores(rows, known, rule)
    written = write_system_export(kept, out, scores)
    err_console.print(f"wrote {written:,} rows to {out}", highlight=False)


def filter_rows(rows: list[SystemRow], only: str | None, arity: str | None) -> list[SystemRow]:
    """Apply --only and --arity."""
    from chemspace.core.rule import CATEGORIES, LABELS, REASONS

    if only is not None and only in REASONS:
        rows = [r for r in rows if r.reason == only]
    elif only is not None:
        if only not in (*LABELS, *CATEGORIES):
            raise InputError(f"--only {only!r} is not one of {', '.join((*LABELS, *CATEGORIES, *REASONS))}")
        if only in CATEGORIES and rows and rows[0].known is None:
            raise InputError(f"--only {only} needs a known-materials set (--known)")
        rows = [r for r in rows if r.label == only or (only in LABELS and (r.allowed == (only == "allowed")))]
    if arity is not None:
        keep = set(parse_arities(arity))
        rows = [r for r in rows if r.arity in keep]
    return rows
