"""`chemspace-tui census`: the paper's Table 2 for any arities, pool and oxidation-state set."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from chemspace.core.census import CensusResult, run_census
from chemspace.core.checkpoint import Checkpoint
from chemspace.core.distributed import runner_for
from chemspace.core.rule import CATEGORIES, arity_name
from chemspace.tui.options import (
    AlloysOpt,
    ArityOpt,
    KnownOpt,
    MaxStoichOpt,
    MixedValenceOpt,
    NoPaulingOpt,
    OxStatesOpt,
    SamplesOpt,
    SeedOpt,
    cancel_on_interrupt,
    check_element_label,
    err_console,
    guarded,
    load_known,
    rule_from_options,
    settings_from_options,
)
from chemspace.tui.progress import census_progress, timing_text
from chemspace.tui.tables import print_table


def _cell(value: int | None, unique: int) -> str:
    if value is None:
        return "—"
    return f"{value:,} ({100.0 * value / unique:.2f}%)" if unique else f"{value:,}"


def census_table(result: CensusResult) -> Table:
    """Table 2 of the paper: unique, allowed, and the four categories when a known set is given."""
    with_known = result.known_name is not None
    title = f"Composition census ({result.settings.rule.describe()})"
    table = Table(title=title)
    table.add_column("Arity")
    table.add_column("Unique", justify="right")
    table.add_column("Allowed", justify="right", style="green")
    table.add_column("Forbidden", justify="right")
    if with_known:
        table.add_column("Known", justify="right")
        for cat in CATEGORIES:
            table.add_column(cat.capitalize(), justify="right")
    for arity, c in result.arities.items():
        row = [arity_name(arity, title=True) + ("" if c.complete else " (partial)"), f"{c.unique:,}"]
        row += [_cell(c.allowed, c.unique), _cell(c.forbidden, c.unique)]
        if with_known:
            row += [f"{c.known:,}"] + [_cell(c.count(cat), c.unique) for cat in CATEGORIES]
        table.add_row(*row)
    return table


def _say_saved(checkpoint: Path) -> None:
    """The last word of a cancelled census with a checkpoint: where its finished work is."""
    err_console.print(
        f"the finished work is saved in {escape(str(checkpoint))}: the same command resumes it",
        highlight=False,
        soft_wrap=True,
    )


@guarded
def census_command(
    arity: ArityOpt = "2,3,4",
    max_stoich: MaxStoichOpt = 8,
    oxidation_states: OxStatesOpt = "smact14",
    samples: SamplesOpt = 3000,
    seed: SeedOpt = 42,
    known: KnownOpt = None,
    no_pauling: NoPaulingOpt = False,
    alloys: AlloysOpt = False,
    mixed_valence: MixedValenceOpt = False,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print one JSON object on stdout instead of the table.")
    ] = False,
    checkpoint: Annotated[
        Path | None,
        typer.Option(
            "--checkpoint",
            metavar="FILE",
            help="Record finished work in FILE every few seconds; the same command resumes from it after a kill.",
        ),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            metavar="WHERE",
            help="Run work units on Dask: tcp://HOST:8786 (a running scheduler) or local:N (N worker processes).",
        ),
    ] = None,
    element_label: Annotated[
        str,
        typer.Option(
            "--element-counts",
            metavar="LABEL",
            help="Which per-element counts go in the JSON: allowed, unique, a category.",
        ),
    ] = "allowed",
) -> None:
    """Count every reduced composition and how many pass SMACT's filters (Table 2)."""
    rule = rule_from_options(max_stoich, oxidation_states, no_pauling, alloys, mixed_valence)
    settings = settings_from_options(arity, max_stoich, oxidation_states, samples, seed, rule=rule)
    check_element_label(element_label)
    known_set = load_known(known)
    cancel = threading.Event()
    saver = None if checkpoint is None else Checkpoint(checkpoint, settings.fingerprint())  # refuses a foreign file
    if saver is not None and saver.states:
        shares = ", ".join(
            f"{arity_name(a)} {state.processed.mean():.0%}" for a, state in saver.states.items() if len(state.processed)
        )
        err_console.print(
            f"resuming from {escape(str(checkpoint))}" + (f" (units of work done: {shares})" if shares else ""),
            style="dim",
            highlight=False,
            soft_wrap=True,
        )
    with (
        runner_for(scheduler) as runner,
        cancel_on_interrupt(cancel, then=None if checkpoint is None else lambda: _say_saved(checkpoint)),
        census_progress(settings.arities) as on_progress,
    ):
        result = run_census(
            settings, known=known_set, on_progress=on_progress, cancel=cancel, checkpoint=saver, runner=runner
        )
    if json_out:
        typer.echo(json.dumps(result.to_json(element_label)))
    else:
        print_table(census_table(result))
        for a, b in result.interesting_breakdown.items():
            typer.echo(f"{arity_name(a, title=True)}: {b.text()}")
        typer.echo(timing_text(result.elapsed, result.compile_seconds))
