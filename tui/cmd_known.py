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
from chemspace.core.rule import arity_name
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
) -> None:
    """Import a list of known formulas (ICSD, OQMD, in-house) and cache it under a name."""
    known = import_file(file, name)
    path = _save(known)
    outside = sum(known.outside.values())
    note = f", {outside:,} outside the space (1 or more than 6 elements)" if outside else ""
    err_console.print(
        f"cached {_plural(known.entry_count, 'entry', 'entries')} ({_plural(len(known), 'composition')}{note})"
        f" as {known.name!r} in {path}",
        highlight=False,
        soft_wrap=True,
    )


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
    console = Console()
    elements = element_table(DEFAULT_OXIDATION_STATES)
    rows = []
    for name in names:
        known = load_set(name)
        counts = known.count_by_arity()
        _, outside = known.within(LIST_MAX_STOICH, elements)
        rows.append(
            {
                "Name": name,
                "Source": known.source,
                "Version": known.version or "—",
                "Date": known.date or "—",
                "Entries": f"{known.entry_count:,}",
                **{arity_name(a, title=True): f"{counts.get(a, 0):,}" for a in (2, 3, 4)},
                "5-6": f"{counts.get(5, 0) + counts.get(6, 0):,}",
                "Outside": "\n".join(f"{v:,} {k}" for k, v in sorted(outside.items())) or "0",
            }
        )
    caption = f"outside: at max stoichiometry {LIST_MAX_STOICH}, smact14"
    if console.width >= 120:
        table = Table(title="Known-materials sets", caption=caption)
        for col in rows[0]:
            numeric = col not in ("Name", "Source", "Version", "Date", "Outside")
            table.add_column(col, justify="right" if numeric else "left")
        for row in rows:
            table.add_row(*row.values())
        console.print(table)
        return
    # a narrow terminal (80 columns): one block per set, a field per line, so nothing is squeezed
    for row in rows:
        block = Table(title=f"Known-materials set {row['Name']}", show_header=False, caption=caption)
        block.add_column(style="bold")
        block.add_column()
        for field, value in row.items():
            if field != "Name":
                block.add_row(field, value)
        console.print(block)


@known_app.command("remove")
@guarded
def remove(name: Annotated[str, typer.Argument(help="Cached set to delete.")]) -> None:
    """Delete a cached set."""
    remove_set(name)
    err_console.print(f"removed {name!r}", highlight=False, soft_wrap=True)


def _plural(n: int, one: str, many: str | None = None) -> str:
    """'1 entry', '2,507 entries'."""
    return f"{n:,} {one if n == 1 else (many or one + 's')}"
