"""Rich progress bars on stderr for the census, one bar per arity, fed by the core's callback.

The bar and its ETA follow the work (element subsets counted), not the share of compositions,
which runs ahead (compositions over elements that can never pass cost nothing). While an arity
runs, its allowed count is marked "so far" with its share of the compositions processed, never of
the whole space; a first run says it is compiling the kernels instead of showing 0.0 s of counting.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from chemspace.core.census import ArityCensus, ProgressCallback
from chemspace.core.rule import arity_name
from chemspace.tui.options import err_console

PHASE_TEXT = {
    "compiling": "compiling kernels (first run after install, about a minute)",
    "sampling": "drawing samples",
    "cancelled": "cancelled: partial",
}


def status_text(census: ArityCensus) -> str:
    """The line beside a bar: allowed so far (share of the processed part) while running, final when done."""
    if census.phase in PHASE_TEXT and census.phase != "sampling":
        return PHASE_TEXT[census.phase]
    share = 100.0 * census.allowed / census.done if census.done else 0.0
    if census.running:
        return f"{census.allowed:,} allowed so far ({share:.2f}% of {census.done:,} processed)"
    return f"{census.allowed:,} allowed ({100.0 * census.allowed / census.unique:.2f}%)"


@contextmanager
def census_progress(arities: tuple[int, ...]) -> Iterator[ProgressCallback]:
    """Yield an ``on_progress`` callback that drives one bar per arity (hidden when not a terminal)."""
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
        TextColumn("{task.fields[status]}"),
        console=err_console,
        transient=False,
        disable=not err_console.is_terminal,
    )
    tasks = {a: progress.add_task(f"{arity_name(a):>10}", total=1.0, status="waiting") for a in arities}

    def update(census: ArityCensus) -> None:
        progress.update(tasks[census.arity], completed=census.work_fraction, status=status_text(census))

    with progress:
        yield update
