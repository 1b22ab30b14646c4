"""`chemspace-tui check Fe3O4 NaCl --mixed-valence`: any formula, explained under the rule.

Exit status: 0 when every formula parsed (allowed or not), 1 when any was bad (each named on one
``error:`` line on stderr, the rest still checked), 2 when no formula was given.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from chemspace.core.check import BadFormula, CheckResult, check_formulas, read_formula_file, summarise
from chemspace.core.explain import assignment_text, reason_detail
from chemspace.core.rule import Rule
from chemspace.tui.options import (
    AlloysOpt,
    KnownOpt,
    MixedValenceOpt,
    NoPaulingOpt,
    OxStatesOpt,
    err_console,
    fail,
    guarded,
    load_known,
    rule_from_options,
)

#: Assignments printed per formula in the human output (--json carries them all).
SHOWN_ASSIGNMENTS = 12


def result_text(r: CheckResult, rule: Rule) -> str:
    """Human lines for one formula: verdict and reason, assignments or witness, category and entries."""
    e = r.explanation
    reduced = e.composition.formula
    name = r.formula if r.formula == reduced else f"{r.formula} ({reduced})"
    if e.allowed:
        how = {"alloy": "as an alloy of metals", "element": "a single element"}.get(str(e.basis), "")
        n = len(e.assignments)
        more = "" if e.complete else "+"
        head = f"{name}: allowed" + (f" ({how})" if how else f", {n}{more} assignment{'s' if n != 1 else ''}")
    else:
        head = f"{name}: forbidden ({e.reason})"
    lines = [head]
    for a in e.assignments[:SHOWN_ASSIGNMENTS]:
        lines.append(f"  {assignment_text(a)}")
    if len(e.assignments) > SHOWN_ASSIGNMENTS:
        lines.append(f"  ... {len(e.assignments) - SHOWN_ASSIGNMENTS} more (--json lists them all)")
    if not e.allowed:
        lines.append(f"  {reason_detail(e, rule)}")
    if r.category is not None:
        entries = ", ".join(
            (x.id or x.formula) + ("" if x.energy_above_hull is None else f" ({x.energy_above_hull:.3f} eV/atom)")
            for x in r.entries
        )
        held = f" in {', '.join(r.sources)}" if r.sources else ""
        lines.append(f"  category: {r.category}" + (f"; known{held}: {entries}" if entries else ""))
        if r.outside_space:
            lines.append(f"  note: {r.outside_space}, so the census does not count it")
    return "\n".join(lines)


@guarded
def check_command(
    formulas: Annotated[
        list[str] | None,
        typer.Argument(metavar="FORMULA", help="Formulas, e.g. Fe3O4 LiZn4(SnO2)4 NaCl (1 to 6 elements)."),
    ] = None,
    file: Annotated[
        Path | None,
        typer.Option("--file", metavar="FILE", help="A text file of formulas, one a line ('-': standard input)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="A JSON list of objects on stdout.")] = False,
    known: KnownOpt = None,
    oxidation_states: OxStatesOpt = "smact14",
    no_pauling: NoPaulingOpt = False,
    alloys: AlloysOpt = False,
    mixed_valence: MixedValenceOpt = False,
) -> None:
    """Say whether each formula is allowed under the rule, why, every oxidation-state assignment and,
    with a known set, its category. Verdicts follow smact.screening.smact_validity."""
    texts, lines = list(formulas or []), [None] * len(formulas or [])
    if file is not None:
        from_file, numbers = read_formula_file(file)
        texts += from_file
        lines += numbers
    if not texts and file is not None:
        raise fail(f"{str(file)!r} holds no formula (one formula a line)")
    if not texts:
        raise fail("give at least one formula, or --file with one formula a line", code=2)
    rule = rule_from_options(8, oxidation_states, no_pauling, alloys, mixed_valence)
    known_set = load_known(known)
    results = check_formulas(texts, rule, known_set, lines=lines)
    good = [r for r in results if isinstance(r, CheckResult)]
    for r in results:
        if isinstance(r, BadFormula):
            err_console.print(f"[bold red]error:[/] {escape(r.text())}", highlight=False, soft_wrap=True)
    if as_json:
        typer.echo(json.dumps([r.to_json() for r in good]))
    else:
        typer.echo("\n".join(result_text(r, rule) for r in good))
        if len(results) > 1:
            s = summarise(results)
            err_console.print(
                f"{s['checked']:,} checked: {s['allowed']:,} allowed, {s['forbidden']:,} forbidden"
                + (f"; {s['bad']:,} bad" if s["bad"] else ""),
                highlight=False,
            )
    if len(good) < len(results):
        raise typer.Exit(1)
