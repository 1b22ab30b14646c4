"""Rich progress bars on stderr for the census (one bar per arity) and a system's labelling, fed by the core's
callbacks, and the lines that say how long counting (not compiling) took.

The bar and its ETA follow the work (element subsets counted), not the share of compositions,
which runs ahead (compositions over elements that can never pass cost nothing). While an arity
runs, its allowed count is marked "so far" with its share of the compositions processed, never of
the whole space; a first run says it is compiling the kernels instead of showing 0.0 s of counting.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager

from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from chemspace.core.census import ArityCensus, ProgressCallback
from chemspace.core.rule import arity_name
from chemspace.core.system import SystemProgress
from chemspace.tui.options import err_console

#: Seconds between plain progress lines when stderr is not a terminal (``CHEMSPACE_PROGRESS_SECONDS``).
LOG_SECONDS = 30.0

PHASE_TEXT = {
    "compiling": "compiling kernels (first run after install, about a minute)",
    "sampling": "drawing samples",
    "cancelled": "cancelled: partial",
}
#: The same, short, for a narrow terminal's bars.
SHORT_PHASE_TEXT = PHASE_TEXT | {"compiling": "compiling kernels (once)"}
#: Terminal width below which the bars are laid out short (a narrow bar, the essential status only).
SHORT_BARS_BELOW = 120


def status_text(census: ArityCensus, short: bool = False) -> str:
    """The line beside a bar: allowed so far (share of the processed part) while running, final when done;
    ``short`` (a narrow terminal) leaves out what the processed part holds."""
    phases = SHORT_PHASE_TEXT if short else PHASE_TEXT
    if census.phase in phases and census.phase != "sampling":
        return phases[census.phase]
    share = 100.0 * census.allowed / census.done if census.done else 0.0
    if census.running:
        if short:
            return f"{census.allowed:,} allowed so far"
        return f"{census.allowed:,} allowed so far ({share:.2f}% of {census.done:,} processed)"
    return f"{census.allowed:,} allowed ({100.0 * census.allowed / census.unique:.2f}%)"


def timing_text(counting: float, compiling: float) -> str:
    """'counted in 1.8 s', naming a first run's kernel compile apart, never as counting:
    'counted in 1.8 s (+ 88.2 s compiling the numba kernels, once after installing)'."""
    text = f"counted in {counting:.1f} s"
    if compiling >= 0.05:
        text += f" (+ {compiling:.1f} s compiling the numba kernels, once after installing)"
    return text


def _clock(seconds: float) -> str:
    """h:mm:ss, like the bars' columns."""
    s = int(seconds)
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}"


def _eta(census: ArityCensus) -> str:
    """Time left at the counting rate so far (compile time left out), h:mm:ss; '-' before any work or after."""
    f = census.work_fraction
    return _clock(census.elapsed * (1 - f) / f) if 0 < f < 1 and census.running else "-"


def log_line(census: ArityCensus) -> str:
    """One plain progress line: share of the work, elapsed, ETA from the work rate, allowed so far."""
    done = f"{100 * census.work_fraction:.1f}% of the work, {_clock(census.elapsed)} elapsed, eta {_eta(census)}"
    return f"{arity_name(census.arity)}: {done}; {status_text(census)}"


class _LogLines:
    """Progress for logs (stderr not a terminal: batch jobs, clusters): a line every ``every`` seconds,
    and a last one per arity once any was written, so short runs stay silent."""

    def __init__(self, every: float) -> None:
        self.every = every
        self.last = time.monotonic()
        self.written: set[int] = set()

    def __call__(self, census: ArityCensus) -> None:
        now = time.monotonic()
        final = census.phase in ("done", "cancelled")
        if now - self.last >= self.every or (final and census.arity in self.written):
            err_console.print(log_line(census), highlight=False, soft_wrap=True)
            self.last = now
            self.written.add(census.arity)


class CountColumn(ProgressColumn):
    """``done/total unit`` (``1,200/5,000 rows``), or ``done unit`` while the total is not known yet."""

    def __init__(self, unit: str) -> None:
        super().__init__()
        self.unit = unit

    def render(self, task: Task) -> Text:
        total = f"/{task.total:,.0f}" if task.total is not None else ""
        return Text(f"{task.completed:,.0f}{total} {self.unit}")


def counted_progress(label: str, unit: str, eta: bool = True, transient: bool = False) -> Progress:
    """A one-task bar on stderr for a command's long step (hidden when not a terminal): ``label``, the bar,
    its percentage, how many ``unit`` are done (of how many, once known) and an ETA."""
    bar = BarColumn(bar_width=10 if err_console.width < SHORT_BARS_BELOW else 40)
    columns = [TextColumn(label), bar, TaskProgressColumn(), CountColumn(unit)]
    return Progress(
        *columns,
        *([TimeRemainingColumn()] if eta else []),
        console=err_console,
        transient=transient,
        disable=not err_console.is_terminal,
    )


#: What a system's progress says in each phase.
SYSTEM_PHASE_TEXT = {"compiling": PHASE_TEXT["compiling"], "labelling": "labelling"}
SHORT_SYSTEM_PHASE_TEXT = SYSTEM_PHASE_TEXT | {"compiling": SHORT_PHASE_TEXT["compiling"]}


def system_progress_text(done: int, total: int, phase: str) -> str:
    """How far a system's labelling is: how many of the total (known up front), and whether it is compiling."""
    line = f"{done:,} of {total:,} compositions labelled"
    return line if phase == "labelling" else f"{line}; {SYSTEM_PHASE_TEXT[phase]}"


def system_line(system: str, done: int, total: int, phase: str) -> str:
    """One plain progress line of a system's labelling, for logs."""
    return f"{system}: {system_progress_text(done, total, phase)}"


@contextmanager
def system_progress(system: str) -> Iterator[SystemProgress]:
    """Yield a ``system_rows`` progress callback: a bar against the total known up front on a terminal
    (saying so while the kernels compile), else a plain line now and then for logs."""
    if not err_console.is_terminal:
        every = float(os.environ.get("CHEMSPACE_PROGRESS_SECONDS", LOG_SECONDS))
        last = [time.monotonic()]

        def log(done: int, total: int, phase: str) -> None:
            if time.monotonic() - last[0] >= every:
                err_console.print(system_line(system, done, total, phase), highlight=False)
                last[0] = time.monotonic()

        yield log
        return
    with counted_progress(f"{system}: {{task.description}}", "compositions", transient=True) as bar:
        tasks: list[TaskID] = []

        said = SHORT_SYSTEM_PHASE_TEXT if err_console.width < SHORT_BARS_BELOW else SYSTEM_PHASE_TEXT

        def update(done: int, total: int, phase: str) -> None:
            if not tasks:  # the first call brings the total
                tasks.append(bar.add_task(said[phase], total=total))
            bar.update(tasks[0], completed=done, total=total, description=said[phase])

        yield update


@contextmanager
def census_progress(arities: tuple[int, ...]) -> Iterator[ProgressCallback]:
    """Yield an ``on_progress`` callback: one bar per arity on a terminal, else a plain line now and then."""
    if not err_console.is_terminal:
        yield _LogLines(float(os.environ.get("CHEMSPACE_PROGRESS_SECONDS", LOG_SECONDS)))
        return
    # elapsed and eta are the census's counting clock, not the bar's wall clock: a first run's
    # kernel compile is neither counting time nor a rate to extrapolate
    short = err_console.width < SHORT_BARS_BELOW  # 80 columns: every column whole rather than all of them cut
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(bar_width=10 if short else 40),
        TaskProgressColumn(),
        TextColumn("{task.fields[clock]} eta {task.fields[eta]}"),
        TextColumn("{task.fields[status]}"),
        console=err_console,
        transient=False,
    )
    tasks = {
        a: progress.add_task(f"{arity_name(a):>10}", total=1.0, status="waiting", clock=_clock(0), eta="-")
        for a in arities
    }

    def update(census: ArityCensus) -> None:
        progress.update(
            tasks[census.arity],
            completed=census.work_fraction,
            status=status_text(census, short),
            clock=_clock(census.elapsed),
            eta=_eta(census),
        )

    with progress:
        yield update
