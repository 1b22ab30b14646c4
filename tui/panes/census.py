"""The census tab: runs the census in a worker and shows Table 2 growing; a per-element summary when there is room."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.message import Message
from textual.timer import Timer
from textual.widget import Widget
from textual.worker import Worker, get_current_worker

from chemspace.core.census import ArityCensus, CensusResult, CensusSettings, run_census
from chemspace.core.errors import InputError
from chemspace.core.known import KnownSet, cached_names, load_set
from chemspace.core.known_compare import category_counts
from chemspace.core.rule import Category, arity_name
from chemspace.tui.panes.base import CensusState, ExportJob, Pane, write_text, yield_cpu_to_interface
from chemspace.tui.progress import timing_text
from chemspace.tui.screens import PickSetScreen
from chemspace.tui.widgets import CensusPanel, PeriodicTable

#: What the status says until the first counts arrive (the numba kernels load or compile meanwhile).
STARTING = (
    "starting: loading the numba kernels (the first run after installing compiles them, 30-60 s;"
    " cached on disk afterwards)"
)


#: What the status says while the core reports it is compiling the kernels (the first run after installing).
COMPILING = "compiling the numba kernels: the first run after installing takes 30-60 s; cached on disk afterwards"


def running_status(census: ArityCensus) -> str:
    """'counting ternary compositions… (c cancels)'; once an arity is done, that the next one follows."""
    name = arity_name(census.arity)
    if census.phase in ("done", "cancelled"):
        return f"{name} compositions {census.phase}; the next arity follows… (c cancels)"
    return f"{census.phase} {name} compositions… (c cancels)"


def snapshot(census: ArityCensus) -> ArityCensus:
    """A copy the UI can read while the worker keeps adding to the original."""

    def copy(arr):
        return None if arr is None else arr.copy()

    return replace(
        census,
        element_unique=census.element_unique.copy(),
        element_done=census.element_done.copy(),
        element_allowed=census.element_allowed.copy(),
        element_standard=copy(census.element_standard),
        element_interesting=copy(census.element_interesting),
        known_outside=dict(census.known_outside),
        samples=dict(census.samples),
    )


class CensusProgress(Message, bubble=False):
    """A chunk finished: the running counts of one arity. A newer post of the same arity supersedes it."""

    def __init__(self, worker: Worker, census: ArityCensus) -> None:
        super().__init__()
        self.worker = worker
        self.census = census

    def can_replace(self, message: Message) -> bool:
        return (
            isinstance(message, CensusProgress)
            and message.worker is self.worker
            and message.census.arity == self.census.arity
        )


class CensusEnded(Message, bubble=False):
    """The census ended, complete or cancelled."""

    def __init__(self, worker: Worker, result: CensusResult) -> None:
        super().__init__()
        self.worker = worker
        self.result = result


class SecondSetCounts(Message, bubble=False):
    """A second known set's category counts, worked out from the finished census's totals."""

    def __init__(self, name: str, counts: dict[int, dict[Category, int]]) -> None:
        super().__init__()
        self.name = name
        self.counts = counts


class CensusPane(Pane):
    """Progress per arity and Table 2; beside them, at 150 columns and more, the per-element heat map."""

    TAB_ID = "census"
    TITLE = "Census"
    BINDINGS: ClassVar[list[BindingType]] = [
        # the same keys as the app's global ones (listed once in the help), shown in this tab's footer
        Binding("c", "cancel", "Cancel", tooltip="cancel the running census: counts so far stay, partial"),
        Binding("r", "rerun", "Re-run", tooltip="re-run the census (and the system table)"),
        Binding("b", "beside", "Beside", tooltip="a second known-materials set's four categories beside the first"),
    ]

    class Changed(Message):
        """The census state changed; the app hands it to every other pane."""

        def __init__(self, state: CensusState) -> None:
            super().__init__()
            self.state = state

    def __init__(self, settings: CensusSettings, known: KnownSet | None, *, show_elapsed: bool = True) -> None:
        super().__init__(id="census-pane")
        self.settings = settings
        self.known = known
        self.show_elapsed = show_elapsed
        self.state = CensusState()
        self.started_at = 0.0
        self.first_counts_at: float | None = None
        self.kernels_ready_at: float | None = None
        self._worker: Worker | None = None
        self._ticker: Timer | None = None

    def compose(self) -> ComposeResult:
        with Horizontal(id="census-body"):
            yield CensusPanel(
                self.settings, None if self.known is None else self.known.name, show_elapsed=self.show_elapsed
            )
            yield PeriodicTable(self.settings.pool, id="census-elements")

    def focus_target(self) -> Widget:
        return self.query_one(CensusPanel)

    def on_resize(self) -> None:
        # beside the counts when there is room for both (the heat map takes 92 columns, the counts ~75)
        self.set_class(self.size.width >= 170, "-wide")
        self.query_one("#census-elements", PeriodicTable).tall = self.size.height >= 21

    # ------------------------------------------------------------ the run

    def start(self) -> None:
        """Start (or restart: the running worker is cancelled by exclusivity) the census."""
        self.started_at = time.perf_counter()
        self.first_counts_at = None
        self.kernels_ready_at = None
        self.state = CensusState(generation=self.state.generation + 1, running=True)
        self.query_one(CensusPanel).reset(STARTING)
        if self._ticker is not None:
            self._ticker.stop()
        self._ticker = self.set_interval(1.0, self._tick) if self.show_elapsed else None
        self._worker = self._count(self.settings, self.known)
        self.post_message(self.Changed(self.state))

    def _tick(self) -> None:
        """Say how long the start has taken until the first chunk is counted (the kernels are loaded then)."""
        if self.kernels_ready_at is None and self.state.running:
            self.query_one(CensusPanel).set_status(f"{STARTING} · {time.perf_counter() - self.started_at:.0f} s")

    @work(thread=True, exclusive=True, group="census", exit_on_error=False, name="census", description="census")
    def _count(self, settings: CensusSettings, known: KnownSet | None) -> None:
        worker = get_current_worker()
        yield_cpu_to_interface()

        def on_progress(census: ArityCensus) -> None:
            self.post_message(CensusProgress(worker, snapshot(census)))

        result = run_census(settings, known=known, on_progress=on_progress, cancel=worker.cancelled_event)
        self.post_message(CensusEnded(worker, result))

    @on(CensusProgress)
    def _progress(self, message: CensusProgress) -> None:
        if message.worker is not self._worker:
            return
        census = message.census
        panel = self.query_one(CensusPanel)
        now = time.perf_counter() - self.started_at
        if self.first_counts_at is None:
            self.first_counts_at = now  # the up-front counts (sizes, never-passing subsets)
        if self.kernels_ready_at is None and census.phase != "compiling" and census.work_done > 0:
            self.kernels_ready_at = now  # a chunk was counted: the kernels are loaded
        self.state = replace(self.state, censuses={**self.state.censuses, census.arity: census})
        panel.update_census(census)
        if census.phase == "compiling":
            panel.set_status(COMPILING)
        elif self.state.running and self.kernels_ready_at is not None:
            panel.set_status(running_status(census))
        self._show_elements(census)
        self.post_message(self.Changed(self.state))

    @on(CensusEnded)
    def _ended(self, message: CensusEnded) -> None:
        if message.worker is not self._worker:
            return
        result = message.result
        self.state = replace(self.state, censuses=dict(result.arities), result=result, running=False)
        panel = self.query_one(CensusPanel)
        for census in result.arities.values():
            panel.update_census(census)
            self._show_elements(census)
        panel.finish(result.cancelled)
        elapsed = f", {timing_text(result.elapsed, result.compile_seconds)}" if self.show_elapsed else ""
        if result.cancelled:
            panel.set_status(f"[yellow]cancelled{elapsed}: counts are partial[/] (r re-runs)")
        else:
            panel.set_status(f"[green]done{elapsed}[/] (r re-runs, e exports the census as JSON)")
        self.post_message(self.Changed(self.state))

    def failed(self, reason: str) -> None:
        """The worker raised: say why, keep what was counted."""
        self.state = replace(self.state, running=False)
        panel = self.query_one(CensusPanel)
        panel.finish(cancelled=True)
        panel.set_status(f"[red]census failed:[/] {reason}")
        self.post_message(self.Changed(self.state))

    def _show_elements(self, census: ArityCensus) -> None:
        """The side heat map follows the largest arity counted so far."""
        if census.arity == max(self.state.censuses):
            table = self.query_one("#census-elements", PeriodicTable)
            table.border_title = f"allowed {arity_name(census.arity)} compositions per element"
            table.counts = census.element_counts("allowed")

    def action_cancel(self) -> None:
        """Stop the census between chunks; what was counted stays, marked partial."""
        if not self.state.running or self._worker is None:
            self.notify("nothing is running", timeout=2)
            return
        self._worker.cancel()
        self.query_one(CensusPanel).set_status("cancelling…")

    def action_beside(self) -> None:
        """Pick a cached known set and show its four category counts beside the first set's."""
        result = self.state.result
        if result is None or result.cancelled:
            self.notify("wait for the census to finish (a second set is counted from its totals)", timeout=3)
            return
        names = [n for n in cached_names() if self.known is None or n != self.known.name]
        if not names:
            self.notify("no other known-materials set cached: fetch or import one first", timeout=3)
            return

        def chosen(name: str | None) -> None:
            if name is not None:
                self.query_one(CensusPanel).set_status(f"counting the categories with {name}…")
                self._count_beside(name, result)

        self.app.push_screen(PickSetScreen(names, "A second known-materials set, beside the first:"), chosen)

    @work(thread=True, exclusive=True, group="beside", exit_on_error=False, name="beside", description="second set")
    def _count_beside(self, name: str, result: CensusResult) -> None:
        second = load_set(name)
        totals = {a: (c.allowed, c.unique - c.allowed) for a, c in result.arities.items()}
        counts = category_counts(second, result.settings.rule, totals, pool=result.settings.pool)
        self.post_message(SecondSetCounts(name, counts))

    @on(SecondSetCounts)
    def _show_beside(self, message: SecondSetCounts) -> None:
        panel = self.query_one(CensusPanel)
        panel.set_second(message.name, message.counts)
        panel.set_status(f"[green]done[/] · the categories with {message.name} are under the table (b changes it)")

    def action_rerun(self) -> None:
        """Run the census again (the app also reloads the system table)."""
        self.app.action_rerun()  # type: ignore[attr-defined]

    # ------------------------------------------------------------ export

    def census_result(self) -> CensusResult:
        """The final result, or the counts so far marked partial."""
        if self.state.result is not None:
            return self.state.result
        known_name = None if self.known is None else self.known.name
        return CensusResult(
            settings=self.settings, arities=dict(self.state.censuses), known_name=known_name, cancelled=True
        )

    def export_job(self) -> ExportJob:
        result = self.census_result()

        def write(path: Path) -> str:
            if path.suffix.lower() != ".json":
                raise InputError(f"the census is written as JSON: name the file .json, not {path.name!r}")
            text = json.dumps(result.to_json(), indent=1)  # in the worker: thousands of sample formulas
            write_text(path, text)
            return "the census" + (" (partial)" if result.cancelled else "")

        return ExportJob(
            "the census (Table 2, per-element counts, samples)", "chemspace-census.json", "a .json file", write
        )
