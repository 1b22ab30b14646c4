"""`chemspace-tui known ...`: fetch, import, list and remove known-materials sets."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn
from rich.table import Table

from chemspace.core.errors import CancelledError, InputError
from chemspace.core.known import cached_names, import_file, load_set, remove_set, save_set
from chemspace.core.mp_client import DEFAULT_ENDPOINT, fetch_materials_project
from chemspace.tui.options import err_console, guarded

known_app = typer.Typer(help="Known-materials sets: Materials Project download, file imports.", no_args_is_help=True)


@known_app.command("fetch")
@guarded
def fetch(
    api_key: Annotated[str | None, typer.Option("--api-key", help="MP API key (default: $MP_API_KEY).")] = None,
    endpoint: Annotated[str, typer.Option("--endpoint", help="API root, for mirrors and tests.")] = DEFAULT_ENDPOINT,
) -> None:
    """Download every Materials Project formula with its id and stability, and cache it as `mp`."""
    key = api_key or os.environ.get("MP_API_KEY")
    if not key:
        raise InputError("no API key: pass --api-key or set MP_API_KEY (from your Materials Project dashboard)")
    cancel = threading.Event()
    with Progress(
        TextColumn("Materials Project"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.completed:,.0f}/{task.total:,.0f} materials"),
        console=err_console,
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
    path = save_set(known)
    err_console.print(
        f"cached {sum(len(v) for v in known.entries.values()):,} entries ({len(known):,} compositions), "
        f"database {known.version or 'unknown'}, in {path}",
        highlight=False,
    )


@known_app.command("import")
@guarded
def import_(
    file: Annotated[Path, typer.Argument(help="CSV with a formula column, JSON list, or one formula per line.")],
    name: Annotated[str | None, typer.Option("--name", help="Name to use with --known (default: file stem).")] = None,
) -> None:
    """Import a list of known formulas (ICSD, OQMD, in-house) and cache it under a name."""
    known = import_file(file, name)
    path = save_set(known)
    err_console.print(f"cached {len(known):,} compositions as {known.name!r} in {path}", highlight=False)


@known_app.command("list")
@guarded
def list_() -> None:
    """Show every cached set: source, version, date, compositions per arity, entries outside the space."""
    table = Table(title="Known-materials sets")
    for col in ("Name", "Source", "Version", "Date", "Binary", "Ternary", "Quaternary", "Other", "Outside"):
        table.add_column(col, justify="right" if col in ("Binary", "Ternary", "Quaternary", "Other") else "left")
    for name in cached_names():
        known = load_set(name)
        counts = known.count_by_arity()
        other = sum(v for k, v in counts.items() if k not in (2, 3, 4))
        outside = ", ".join(f"{v:,} {k}" for k, v in known.outside.items()) or "0"
        table.add_row(
            name,
            known.source,
            known.version or "—",
            known.date or "—",
            *(f"{counts.get(a, 0):,}" for a in (2, 3, 4)),
            f"{other:,}",
            outside,
        )
    if not cached_names():
        err_console.print("no sets cached yet: `chemspace-tui known fetch` or `known import FILE`", highlight=False)
        return
    Console().print(table)


@known_app.command("remove")
@guarded
def remove(name: Annotated[str, typer.Argument(help="Cached set to delete.")]) -> None:
    """Delete a cached set."""
    remove_set(name)
    err_console.print(f"removed {name!r}", highlight=False)
