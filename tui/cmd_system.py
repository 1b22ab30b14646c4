"""`chemspace-tui system Li-Zn-Sn-O`: every composition of a chemical system, labelled."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from enum import StrEnum
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from chemspace.core.elements import parse_system
from chemspace.core.errors import InputError
from chemspace.core.explain import assignment_text
from chemspace.core.palette import CATEGORY_HEX
from chemspace.core.system import SystemRow, system_rows
from chemspace.tui.options import (
    AlloysOpt,
    KnownOpt,
    MaxStoichOpt,
    MixedValenceOpt,
    NoPaulingOpt,
    OxStatesOpt,
    guarded,
    load_known,
    parse_arities,
    rule_from_options,
)
from chemspace.tui.progress import system_progress


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


def rows_csv(rows: list[SystemRow], extra: dict[str, Callable[[SystemRow], object]] | None = None) -> str:
    """CSV text with one row per composition (``extra``: more columns, name -> value of a row)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    with_known = bool(rows) and rows[0].known is not None
    header = ["formula", "arity", "allowed", "oxidation_states", "assignments", "reason"]
    if with_known:
        header += ["known", "category", "ids", "energy_above_hull"]
    extra = extra or {}
    writer.writerow(header + list(extra))
    for r in rows:
        line = [r.formula, r.arity, str(r.allowed).lower(), r.oxidation_text(), r.assignments_text(), r.reason or ""]
        if with_known:
            line += [
                str(r.known).lower(),
                r.category,
                ";".join(e.id or "" for e in r.entries),
                ";".join("" if e.energy_above_hull is None else f"{e.energy_above_hull:g}" for e in r.entries),
            ]
        writer.writerow(line + [column(r) for column in extra.values()])
    return buf.getvalue()


@guarded
def system_command(
    system: Annotated[str, typer.Argument(help="Chemical system, e.g. Li-Zn-Sn-O (2 to 6 elements).")],
    known: KnownOpt = None,
    max_stoich: MaxStoichOpt = 8,
    oxidation_states: OxStatesOpt = "smact14",
    no_pauling: NoPaulingOpt = False,
    alloys: AlloysOpt = False,
    mixed_valence: MixedValenceOpt = False,
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f", help="table, csv or json.")] = OutputFormat.table,
    only: Annotated[
        str | None,
        typer.Option(
            "--only",
            help="Keep one label (allowed, forbidden), category (standard, missing, interesting, unlikely) "
            "or reason (no-oxidation-states, not-charge-neutral, electronegativity).",
        ),
    ] = None,
    arity: Annotated[str | None, typer.Option("--arity", "-a", help="Keep these arities, e.g. 3 or 2,3.")] = None,
) -> None:
    """List every composition over every subset of 2..n of the elements, with its labels."""
    elements = parse_system(system)  # bad input fails before any notice is printed
    if arity is not None and not any(a <= len(elements) for a in parse_arities(arity)):
        raise InputError(f"--arity {arity}: {'-'.join(elements)} has only {len(elements)} elements")
    known_set = load_known(known)
    rule = rule_from_options(max_stoich, oxidation_states, no_pauling, alloys, mixed_valence)
    with system_progress("-".join(elements)) as on_progress:
        rows = system_rows(elements, known=known_set, rule=rule, on_progress=on_progress)
    rows = filter_rows(rows, only, arity)
    if fmt is OutputFormat.json:
        typer.echo(json.dumps([r.to_json() for r in rows]))
    elif fmt is OutputFormat.csv:
        typer.echo(rows_csv(rows), nl=False)
    else:
        allowed = sum(r.allowed for r in rows)
        title = f"{'-'.join(elements)}: {len(rows):,} compositions, {allowed:,} allowed"  # not the raw argument
        Console().print(rows_table(rows, title))


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
