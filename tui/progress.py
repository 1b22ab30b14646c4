"""Rich progress bars on stderr for the census, one bar per arity, fed by the core's callback."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

from chemspace.core.census import ArityCensus, ProgressCallback
from chemspace.core.rule import arity_name
from chemspace.tui.options import err_console


@contextmanager
def census_progress(arities: tuple[int, ...]) -> Iterator[ProgressCallback]:
    """Yield an ``on_progress`` callback that drives one bar per arity (hidden when not a terminal)."""
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("[green]{task.fields[allowed]:>15,} allowed"),
        TimeElapsedColumn(),
        console=err_console,
        transient=False,
        disable=not err_console.is_terminal,
    )
    tasks = {a: progress.add_task(f"{arity_name(a):>10}", total=1.0, allowed=0) for a in arities}

    def update(census: ArityCensus) -> None:
        progress.update(tasks[census.arity], completed=census.fraction, allowed=census.allowed)

    with progress:
        yield update
