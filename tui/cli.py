"""The command line: `chemspace-tui` opens the app; subcommands do every job headless."""

from __future__ import annotations

import typer

from chemspace.core.errors import InputError
from chemspace.tui.cmd_census import census_command
from chemspace.tui.cmd_check import check_command
from chemspace.tui.cmd_export import export_command
from chemspace.tui.cmd_known import known_app
from chemspace.tui.cmd_project import project_command
from chemspace.tui.cmd_rank import rank_command
from chemspace.tui.cmd_system import system_command
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
    guarded,
    load_known,
    rule_from_options,
    settings_from_options,
)
from chemspace.tui.plain_flags import PlainFlagsCommand, PlainFlagsGroup

app = typer.Typer(
    name="chemspace-tui",
    help="Map inorganic crystal chemical space: SMACT census, known materials, embeddings, projections.",
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
    cls=PlainFlagsGroup,
)
app.command("census", cls=PlainFlagsCommand)(census_command)
app.command("system", cls=PlainFlagsCommand)(system_command)
app.command("check", cls=PlainFlagsCommand)(check_command)
app.command("export", cls=PlainFlagsCommand)(export_command)
app.command("project", cls=PlainFlagsCommand)(project_command)
app.command("rank", cls=PlainFlagsCommand)(rank_command)
app.add_typer(known_app, name="known")


@app.callback(invoke_without_command=True)
@guarded
def open_app(
    ctx: typer.Context,
    system: str | None = typer.Option(
        None, "--system", "-s", metavar="SYSTEM", help="Open one chemical system, e.g. Li-Zn-Sn-O."
    ),
    arity: ArityOpt = "2,3,4",
    max_stoich: MaxStoichOpt = 8,
    oxidation_states: OxStatesOpt = "smact14",
    known: KnownOpt = None,
    samples: SamplesOpt = 3000,
    seed: SeedOpt = 42,
    no_pauling: NoPaulingOpt = False,
    alloys: AlloysOpt = False,
    mixed_valence: MixedValenceOpt = False,
) -> None:
    """Open the app on the whole space (arities 2-4) or, with --system, on one chemical system."""
    if ctx.invoked_subcommand is not None:
        return
    from chemspace.core.elements import parse_system
    from chemspace.tui.app import AppOptions, run_app

    pool = parse_system(system) if system else None
    if pool is not None and arity == "2,3,4":
        arity = f"2-{len(pool)}"
    rule = rule_from_options(max_stoich, oxidation_states, no_pauling, alloys, mixed_valence)
    settings = settings_from_options(arity, max_stoich, oxidation_states, samples, seed, pool, rule=rule)
    if pool is not None and max(settings.arities) > len(pool):  # the census would show a column of zeros
        raise InputError(f"--arity {arity}: {'-'.join(pool)} has only {len(pool)} elements")
    run_app(AppOptions(settings=settings, system=pool, known=load_known(known), known_spec=known))


def main() -> None:
    """Console-script entry point: TERM and HUP cancel like Ctrl-C, so no temporary file is left."""
    from chemspace.core.atomic import interrupt_on_signals

    interrupt_on_signals()
    app()
