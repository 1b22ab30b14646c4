"""`chemspace-tui known ...`: fetch, import, list and remove known-materials sets."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn
from rich.table import Table

from chemspace.core.atomic import deferred_signals
from chemspace.core.elements import DEFAULT_OXIDATION_STATES, element_table
from chemspace.core.errors import CancelledError, InputError
from chemspace.core.known import (
    KnownSet,
    cached_names,
    data_dir,
    import_file,
    load_set,
    remove_set,
    save_set,
)
from chemspace.core.mp_client import DEFAULT_ENDPOINT, fetch_materials_project
from chemspace.tui.options import err_console, guarded

known_app = typer.Typer(help="Known-materials sets: Materials Project download, file imports.", no_args_is_help=True)


def _save(known: KnownSet) -> Path:
    """Cache ``known``; a disk failure (full, read-only) becomes one clear line, the old cache intact."""
    try:
        return save_set(known)
    except OSError as exc:
        raise InputError(f"cannot write the cache in {data_dir()}: {exc.strerror or exc}") from None


@known_app.command("fetch")
@guarded
def fetch(
    api_key: Annotated[
        str | None,
        typer.Option(
            "--api-key",
            help="MP API key. Prefer $MP_API_KEY or the hidden prompt: a key on the command line shows in the"
            " process list and shell history.",
        ),
    ] = None,
    endpoint: Annotated[
        str, typer.Option("--endpoint", help="API root (https; http only to this machine), for mirrors and tests.")
    ] = DEFAULT_ENDPOINT,
) -> None:
    """Download every Materials Project formula with its id and stability, and cache it as `mp`.

    The key comes from $MP_API_KEY or, on a terminal, a prompt that does not echo it (or from
    --api-key, which others can see in the process list); it is sent only to --endpoint, never
    printed or stored.
    """
    key = api_key or os.environ.get("MP_API_KEY") or _prompt_key()
    if not key:
        raise InputError(
            "no API key: set MP_API_KEY (from your Materials Project dashboard), run on a terminal to be asked,"
            " or pass --api-key (visible in the process list)"
        )
    cancel = threading.Event()
    with Progress(
        TextColumn("Materials Project"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.completed:,.0f}/{task.total:,.0f} materials"),
        console=err_console,
        transient=True,
        disable=not err_console.is_terminal,
    ) as progress:
        task = progress.add_task("fetch", total=None)
        try:
            known = fetch_materials_project(
                key,
                endpoint,
                on_progress=lambda done, total: progress.update(task, completed=done, total=total),
                cancel=cancel,
            )
        except KeyboardInterrupt:
            cancel.set()
            raise CancelledError from None
    path = _save(known)
    with deferred_signals():  # the set is cached: finish the report whatever arrives now
        err_console.print(
            f"cached {_plural(known.entry_count, 'entry', 'entries')} ({_plural(len(known), 'composition')}), "
            f"database {known.version or 'unknown'}, in {path}",
            highlight=False,
            soft_wrap=True,
        )


@known_app.command("import")
@guarded
def import_(
    file: Annotated[Path, typer.Argument(help="CSV with a formula column, JSON list, or one formula per line.")],
    name: Annotated[str | None, typer.Option("--name", help="Name to use with --known (default: file stem).")] = None,
    skip_invalid: Annotated[
        bool,
        typer.Option(
            "--skip-invalid", help="Skip malformed formulas (counted, the first few shown) instead of stopping."
        ),
    ] = False,
) -> None:
    """Import a list of known formulas (ICSD, OQMD, in-house) and cache it under a name.

    A malformed formula stops the import at its line, caching nothing, unless --skip-invalid is given.
    """
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


@known_app.command("list")
@guarded
def list_() -> None:
    """Show every cached set: source, version, date, compositions per arity, entries outside the space.

    "Outside" is counted at the paper's settings (coefficients up to 8, smact14 oxidation states):
    1 or more than 6 elements, a coefficient above 8, an element without oxidation states.
    """
    names = cached_names()
    if not names:
        err_console.print(
            f"no known-materials sets cached in {data_dir()}; get one with `chemspace-tui known fetch` "
            "(Materials Project) or `chemspace-tui known import FILE`",
            highlight=False,
            soft_wrap=True,
        )
        return
    table = Table(title="Known-materials sets", caption=f"outside: at max stoichiometry {LIST_MAX_STOICH}, smact14")
    for col in ("Name", "Source", "Version", "Date", "Entries", "Binary", "Ternary", "Quaternary", "5-6", "Outside"):
        table.add_column(col, justify="left" if col in ("Name", "Source", "Version", "Date", "Outside") else "right")
    elements = element_table(DEFAULT_OXIDATION_STATES)
    damaged = []
    for name in names:
        try:
            known = load_set(name)
        except InputError as exc:  # one damaged set never hides the others
            damaged.append(str(exc))
            table.add_row(name, "[red]damaged[/]", *["—"] * 8)
            continue
        counts = known.count_by_arity()
        _, outside = known.within(LIST_MAX_STOICH, elements)
        table.add_row(
            name,
            known.source,
            known.version or "—",
            known.date or "—",
            f"{known.entry_count:,}",
            *(f"{counts.get(a, 0):,}" for a in (2, 3, 4)),
            f"{counts.get(5, 0) + counts.get(6, 0):,}",
            "\n".join(f"{v:,} {k}" for k, v in sorted(outside.items())) or "0",
        )
    Console().print(table)
    for line in damaged:
        err_console.print(f"[bold yellow]warning:[/] {escape(line)}", highlight=False, soft_wrap=True)


@known_app.command("remove")
@guarded
def remove(name: Annotated[str, typer.Argument(help="Cached set to delete.")]) -> None:
    """Delete a cached set."""
    remove_set(name)
    err_console.print(f"removed {name!r}", highlight=False, soft_wrap=True)


def _plural(n: int, one: str, many: str | None = None) -> str:
    """'1 entry', '2,507 entries'."""
    return f"{n:,} {one if n == 1 else (many or one + 's')}"
