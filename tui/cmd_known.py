"""`chemspace-tui known ...`: fetch, import, list and remove known-materials sets."""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from chemspace.core.atomic import deferred_signals
from chemspace.core.elements import DEFAULT_OXIDATION_STATES, element_table
from chemspace.core.errors import CancelledError, InputError
from chemspace.core.fetch_journal import interrupted_downloads, journal_path
from chemspace.core.known import (
    KnownSet,
    cached_names,
    check_name,
    data_dir,
    import_file,
    import_name,
    load_set,
    remove_set,
    resolve_known,
    save_set,
    set_path,
)
from chemspace.core.known_compare import Comparison, census_totals, compare_sets
from chemspace.core.mp_client import DEFAULT_ENDPOINT, fetch_materials_project
from chemspace.core.optimade_client import FetchLimits, fetch_optimade, providers, resolve_provider
from chemspace.core.rule import CATEGORIES, arity_name
from chemspace.tui.options import (
    ForceOpt,
    MaxStoichOpt,
    OxStatesOpt,
    cancel_on_interrupt,
    err_console,
    guarded,
    parse_arities,
    refuse_existing,
    rule_from_options,
)
from chemspace.tui.plain_flags import PlainFlagsCommand, PlainFlagsGroup
from chemspace.tui.progress import counted_progress
from chemspace.tui.tables import print_table

known_app = typer.Typer(
    help="Known-materials sets: OPTIMADE or Materials Project downloads, file imports, comparisons.",
    no_args_is_help=True,
    cls=PlainFlagsGroup,
)

ProviderOpt = Annotated[
    str | None,
    typer.Option(
        "--provider",
        metavar="PROVIDER",
        help=f"OPTIMADE database, no key needed: {', '.join(providers())}, or a base URL.",
        show_default=False,
    ),
]
SetNameOpt = Annotated[
    str | None, typer.Option("--name", metavar="NAME", help="Set name with --provider (default: the provider's).")
]
PageLimitOpt = Annotated[
    int | None, typer.Option("--page-limit", metavar="N", help="Structures per request with --provider (default 500).")
]
RestartOpt = Annotated[
    bool, typer.Option("--restart", help="With --provider: discard an interrupted download instead of resuming it.")
]
MaxEntriesOpt = Annotated[
    int, typer.Option("--max-entries", metavar="N", help="Stop with an error beyond this many structures.")
]
MaxTimeOpt = Annotated[
    float | None,
    typer.Option("--max-time", metavar="SECONDS", help="Give up after this many seconds (default: no limit)."),
]


def _save(known: KnownSet) -> Path:
    """Cache ``known``; a disk failure (full, read-only) becomes one clear line, the old cache intact."""
    try:
        return save_set(known)
    except OSError as exc:
        raise InputError(f"cannot write the cache in {data_dir()}: {exc.strerror or exc}") from None


Download = Callable[[Callable[[int, int | None], None], threading.Event], KnownSet]


def _download(label: str, unit: str, run: Download) -> KnownSet:
    """Run a download with a progress bar on stderr counting ``unit``; Ctrl-C cancels it."""
    cancel = threading.Event()
    with counted_progress(label, unit, eta=False, transient=True) as progress:
        task = progress.add_task("fetch", total=None)
        with cancel_on_interrupt(cancel):
            return run(lambda done, total: progress.update(task, completed=done, total=total), cancel)


@known_app.command("fetch", cls=PlainFlagsCommand)
@guarded
def fetch(
    api_key: Annotated[
        str | None,
        typer.Option(
            "--api-key",
            metavar="KEY",
            help="MP API key. Prefer $MP_API_KEY or the hidden prompt: a key on the command line shows in the"
            " process list and shell history.",
        ),
    ] = None,
    endpoint: Annotated[
        str,
        typer.Option(
            "--endpoint", metavar="URL", help="API root (https; http only to this machine), for mirrors and tests."
        ),
    ] = DEFAULT_ENDPOINT,
    provider: ProviderOpt = None,
    name: SetNameOpt = None,
    page_limit: PageLimitOpt = None,
    max_entries: MaxEntriesOpt = FetchLimits.max_entries,
    max_time: MaxTimeOpt = None,
    restart: RestartOpt = False,
) -> None:
    """Download a known-materials set: --provider NAME|URL from OPTIMADE (no key), else the Materials Project API.

    `known fetch --provider mp` needs no key and caches the set as `mp`, the default --known set. Without
    --provider, every Materials Project formula with its id and stability, with your API key, cached as `mp`.
    The key comes from $MP_API_KEY or, on a terminal, a prompt that does not echo it (or from
    --api-key, which others can see in the process list); it is sent only to --endpoint, never
    printed or stored.
    """
    if provider is not None:
        limits = FetchLimits(max_entries=max_entries, max_seconds=max_time)
        _fetch_optimade(provider, name, page_limit, limits, restart)
        return
    key = api_key or os.environ.get("MP_API_KEY") or _prompt_key()
    if not key:
        raise InputError(
            "no API key: set MP_API_KEY (from your Materials Project dashboard), run on a terminal to be asked,"
            " or pass --api-key (visible in the process list)"
        )
    known = _download(
        "Materials Project",
        "materials",
        lambda on_progress, cancel: fetch_materials_project(key, endpoint, on_progress=on_progress, cancel=cancel),
    )
    path = _save(known)
    with deferred_signals():  # the set is cached: finish the report whatever arrives now
        err_console.print(
            f"cached {_plural(known.entry_count, 'entry', 'entries')} ({_plural(len(known), 'composition')}), "
            f"database {known.version or 'unknown'}, in {path}",
            highlight=False,
            soft_wrap=True,
        )


def _fetch_optimade(spec: str, name: str | None, page_limit: int | None, limits: FetchLimits, restart: bool) -> None:
    """`known fetch --provider`: one OPTIMADE database into a named set, with a progress bar; resumable."""
    prov = resolve_provider(spec)
    if page_limit is not None:
        if page_limit < 1:
            raise InputError(f"--page-limit {page_limit} must be at least 1")
        prov = replace(prov, page_limit=page_limit)
    set_name = check_name(name or prov.name)
    if journal_path(set_name).exists() and not restart:
        _note(f"resuming the interrupted download of {set_name!r} (--restart starts again)")
    stored: list[Path] = []
    try:
        known = _download(
            prov.name,
            "structures",
            lambda progress, cancel: fetch_optimade(
                prov, set_name, progress, cancel, limits, keep=lambda k: stored.append(_save(k)), restart=restart
            ),
        )
    except CancelledError:
        if journal_path(set_name).exists():
            _note("the pages fetched so far are kept: the same command resumes")
        raise
    skipped = "".join(f", {n:,} {reason}" for reason, n in sorted(known.outside.items()))
    _note(
        f"cached {_plural(known.entry_count, 'structure')} ({_plural(len(known), 'composition')}{skipped}) "
        f"from {known.base_url} (OPTIMADE {known.api_version}) as {known.name!r} in {stored[0]}"
    )


def _note(text: str) -> None:
    """One plain line on stderr."""
    err_console.print(text, highlight=False, soft_wrap=True)


@known_app.command("import", cls=PlainFlagsCommand)
@guarded
def import_(
    file: Annotated[
        Path, typer.Argument(metavar="FILE", help="CSV with a formula column, JSON list, or one formula per line.")
    ],
    name: Annotated[
        str | None, typer.Option("--name", metavar="NAME", help="Name to use with --known (default: file stem).")
    ] = None,
    skip_invalid: Annotated[
        bool,
        typer.Option(
            "--skip-invalid", help="Skip malformed formulas (counted, the first few shown) instead of stopping."
        ),
    ] = False,
    force: ForceOpt = False,
) -> None:
    """Import a list of known formulas (ICSD, OQMD, in-house) and cache it under a name.

    A malformed formula stops the import at its line, caching nothing, unless --skip-invalid is given.
    A set already cached under that name is kept unless --force is given.
    """
    set_name = import_name(file, name)
    refuse_existing(set_path(set_name), force, f"a known set named {set_name!r}")
    invalid: list[str] | None = [] if skip_invalid else None
    try:
        known = import_file(file, name, invalid)
    except InputError as exc:
        hint = "" if skip_invalid or ", line " not in str(exc) else " (--skip-invalid imports the other lines)"
        raise InputError(f"{exc}{hint}") from None
    path = _save(known)
    with deferred_signals():  # the set is cached: finish the report whatever arrives now
        outside = sum(known.outside.values())
        note = f", {outside:,} outside the space (1 or more than 6 elements)" if outside else ""
        err_console.print(
            f"cached {_plural(known.entry_count, 'entry', 'entries')} ({_plural(len(known), 'composition')}{note})"
            f" as {known.name!r} in {path}",
            highlight=False,
            soft_wrap=True,
        )
        if invalid:
            _report_skipped(invalid)


#: How many skipped lines `known import --skip-invalid` shows.
SHOWN_INVALID = 5


def _report_skipped(invalid: list[str]) -> None:
    """'skipped N malformed formulas:' and the first few error lines, on stderr."""
    err_console.print(f"skipped {_plural(len(invalid), 'malformed formula')}:", highlight=False, soft_wrap=True)
    for line in invalid[:SHOWN_INVALID]:
        err_console.print(f"  {line}", highlight=False, soft_wrap=True, markup=False)
    if len(invalid) > SHOWN_INVALID:
        err_console.print(f"  ... and {len(invalid) - SHOWN_INVALID:,} more", highlight=False)


def _prompt_key() -> str | None:
    """Ask for the key without echo when stdin is a terminal (None otherwise)."""
    if not sys.stdin.isatty():
        return None
    return typer.prompt("Materials Project API key", hide_input=True, default="", show_default=False) or None


#: `known list` reports what falls outside the space at the paper's settings.
LIST_MAX_STOICH = 8


@known_app.command("list", cls=PlainFlagsCommand)
@guarded
def list_() -> None:
    """Show every cached set: source, version, date, compositions per arity, entries outside the space.

    "Outside" is counted at the paper's settings (coefficients up to 8, smact14 oxidation states):
    1 or more than 6 elements, a coefficient above 8, an element without oxidation states.
    """
    names = cached_names()
    if waiting := interrupted_downloads():
        _note(f"interrupted downloads (the same `known fetch --provider` resumes): {', '.join(waiting)}")
    if not names:
        err_console.print(
            f"no known-materials sets cached in {data_dir()}; get one with `chemspace-tui known fetch --provider mp` "
            "(OPTIMADE, no key), `chemspace-tui known fetch` (Materials Project API key) or "
            "`chemspace-tui known import FILE`",
            highlight=False,
            soft_wrap=True,
        )
        return
    console = Console()
    elements = element_table(DEFAULT_OXIDATION_STATES)
    arities = tuple(arity_name(a, title=True) for a in (2, 3, 4))
    fields = ("Name", "Source", "Version", "Date", "Entries", *arities, "5-6", "Outside")
    rows: list[tuple[str, ...]] = []
    damaged = []
    for name in names:
        try:
            known = load_set(name)
        except InputError as exc:  # one damaged set never hides the others
            damaged.append(str(exc))
            rows.append((name, "[red]damaged[/]", *["—"] * 8))
            continue
        counts = known.count_by_arity()
        _, outside = known.within(LIST_MAX_STOICH, elements)
        rows.append(
            (
                name,
                known.source if known.base_url is None else f"{known.source}\n{known.base_url}",
                known.version or "—",
                known.date or "—",
                f"{known.entry_count:,}",
                *(f"{counts.get(a, 0):,}" for a in (2, 3, 4)),
                f"{counts.get(5, 0) + counts.get(6, 0):,}",
                "\n".join(f"{v:,} {k}" for k, v in sorted(outside.items())) or "0",
            )
        )
    caption = f"outside: at max stoichiometry {LIST_MAX_STOICH}, smact14"
    if console.width >= 120:
        table = Table(title="Known-materials sets", caption=caption)
        for col in fields:
            left = col in ("Name", "Source", "Version", "Date", "Outside")
            table.add_column(col, justify="left" if left else "right")
        for row in rows:
            table.add_row(*row)
        print_table(table, console)
    else:  # a narrow terminal (80 columns): one block per set, a field per line, so nothing is squeezed
        for row in rows:
            block = Table(title=f"Known-materials set {row[0]}", show_header=False, caption=caption)
            block.add_column(style="bold")
            block.add_column()
            for field, value in zip(fields[1:], row[1:]):
                block.add_row(field, value)
            print_table(block, console)
    for line in damaged:
        err_console.print(f"[bold yellow]warning:[/] {escape(line)}", highlight=False, soft_wrap=True)


@known_app.command("providers", cls=PlainFlagsCommand)
@guarded
def providers_() -> None:
    """List the OPTIMADE databases `known fetch --provider NAME` knows by name (none needs a key)."""
    table = Table(title="OPTIMADE providers (no key needed)", caption="or pass any OPTIMADE base URL to --provider")
    for col in ("Name", "Database", "Base URL", "Size"):
        table.add_column(col, overflow="fold")
    for prov in providers().values():
        table.add_row(prov.name, prov.title, prov.base_url, prov.size)
    print_table(table)


@known_app.command("remove", cls=PlainFlagsCommand)
@guarded
def remove(name: Annotated[str, typer.Argument(metavar="NAME", help="Cached set to delete.")]) -> None:
    """Delete a cached set."""
    remove_set(name)
    err_console.print(f"removed {name!r}", highlight=False, soft_wrap=True)


def _plural(n: int, one: str, many: str | None = None) -> str:
    """'1 entry', '2,507 entries'."""
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


@known_app.command("compare", cls=PlainFlagsCommand)
@guarded
def compare(
    set_a: Annotated[str, typer.Argument(metavar="A", help="First set: a name, a file, or a union like mp,oqmd.")],
    set_b: Annotated[str, typer.Argument(metavar="B", help="Second set, the same way.")],
    arity: Annotated[str, typer.Option("--arity", "-a", metavar="ARITIES", help="Arities, e.g. 2 or 2-4.")] = "2-6",
    max_stoich: MaxStoichOpt = 8,
    oxidation_states: OxStatesOpt = "smact14",
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object on stdout.")] = False,
    list_moves: Annotated[bool, typer.Option("--list", help="List the compositions that change category.")] = False,
    with_census: Annotated[
        bool,
        typer.Option(
            "--census",
            help="Also count what stays missing or unlikely: runs the census (seconds for 2-4, far longer for 5-6).",
        ),
    ] = False,
) -> None:
    """How two sets disagree: compositions per arity in each, the overlap, and the category moves from A to B."""
    a, b = (_known_operand(spec) for spec in (set_a, set_b))
    rule, arities = rule_from_options(max_stoich, oxidation_states), parse_arities(arity)
    totals = None
    if with_census:
        _note(f"running the census for arities {', '.join(map(str, arities))} (Ctrl-C stops it)")
        totals = census_totals(rule, arities)
    result = compare_sets(a, b, rule, arities, list_moves, totals)
    if as_json:
        typer.echo(json.dumps(result.to_json()))
        return
    console = Console()
    print_table(_overlap_table(result), console)
    print_table(_transition_table(result), console)
    if list_moves:
        for comp in result.arities.values():
            for (cat_a, cat_b), comps in comp.moves.items():
                console.print(
                    f"{arity_name(comp.arity)} {cat_a} -> {cat_b} ({len(comps):,}): "
                    + " ".join(c.formula for c in comps),
                    highlight=False,
                    soft_wrap=True,
                )


def _known_operand(spec: str) -> KnownSet:
    """A set to compare (``none`` and an empty spec make no sense here)."""
    known = resolve_known(spec) if spec.strip() and spec != "none" else None
    if known is None:
        raise InputError(f"compare needs two sets (a name, a file or a list like mp,oqmd), not {spec!r}")
    return known


def _overlap_table(result: Comparison) -> Table:
    table = Table(title=f"{result.a} vs {result.b} ({result.rule.describe()})")
    for col in ("Arity", f"In {result.a}", f"In {result.b}", "Both", f"Only {result.a}", f"Only {result.b}"):
        table.add_column(col, justify="left" if col == "Arity" else "right")
    for comp in result.arities.values():
        counts = (comp.in_a, comp.in_b, comp.both, comp.only_a, comp.only_b)
        table.add_row(arity_name(comp.arity, title=True), *(f"{n:,}" for n in counts))
    return table


def _transition_table(result: Comparison) -> Table:
    """Rows: category with A as known; columns: with B. Only compositions of A or B can move."""
    totals = result.total_transitions()
    complete = all(c.totals is not None for c in result.arities.values())
    caption = (
        "every composition of the space: row totals are the categories with A, column totals with B"
        if complete
        else "compositions held by A or B; all others stay missing or unlikely (--census counts them)"
    )
    table = Table(title=f"Category with {result.a} (rows) -> with {result.b} (columns)", caption=caption)
    table.add_column(f"{result.a} \\ {result.b}")
    for cat in (*CATEGORIES, "total"):
        table.add_column(cat, justify="right")
    for row in CATEGORIES:
        cells = [totals.get((row, col), 0) for col in CATEGORIES]
        table.add_row(row, *(f"{n:,}" for n in [*cells, sum(cells)]))
    columns = [sum(totals.get((row, col), 0) for row in CATEGORIES) for col in CATEGORIES]
    table.add_row("total", *(f"{n:,}" for n in [*columns, sum(columns)]), style="bold")
    return table
