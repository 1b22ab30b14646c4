"""The Textual application: live census dashboard, periodic table, scatter projections, system explorer.

The census runs in a thread worker (the numba kernels release the GIL) and posts a copy of each
arity's running counts after every chunk, so the screen stays live. Cancelling sets a
:class:`threading.Event` the core checks between chunks (about 0.25 s apart); the counts so far stay,
marked partial. Projections and the system table are computed in thread workers too.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import ClassVar

from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Header, Label, Select, TabbedContent, TabPane
from textual.worker import Worker, WorkerState

from chemspace.core.atomic import atomic_path
from chemspace.core.census import ArityCensus, CensusResult, CensusSettings, run_census
from chemspace.core.embeddings import EMBEDDINGS
from chemspace.core.errors import InputError
from chemspace.core.known import KnownSet
from chemspace.core.reduce import REDUCERS, Projection, project_samples, warm_up
from chemspace.core.rule import CATEGORIES, LABELS
from chemspace.core.system import SystemRow
from chemspace.tui.screens import ExportScreen, HelpScreen
from chemspace.tui.widgets import CensusPanel, ElementDetail, PeriodicTable, ScatterPanel, SystemExplorer
from chemspace.tui.widgets.scatter import ProjectionData
from chemspace.tui.widgets.style import ARITY_NAMES

TABS = ("census", "periodic", "projection", "system")
#: Seconds between the census worker's progress posts to the interface.
PROGRESS_INTERVAL = 0.25


@dataclass
class AppOptions:
    """What the app opens on."""

    settings: CensusSettings
    system: tuple[str, ...] | None = None
    known: KnownSet | None = None
    known_spec: str | None = None
    embedding: str = "magpie"
    reducer: str = "pca"
    extra: dict = field(default_factory=dict)


def yield_cpu_to_interface(niceness: int = 10) -> None:
    """Lower this worker thread's scheduling priority (Linux: nice is per thread).

    The census keeps every core busy; threads that the worker's parallel kernels start inherit the
    lower priority, so the interface thread wins the CPU whenever it has a key to handle, while an
    idle interface costs the census nothing. Where the platform has no per-thread priority, a no-op.
    """
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), niceness)


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


class CensusProgress(Message):
    """A chunk finished: the running counts of one arity."""

    def __init__(self, run: int, census: ArityCensus) -> None:
        super().__init__()
        self.run = run
        self.census = census


class CensusFinished(Message):
    """The census ended, complete or cancelled."""

    def __init__(self, run: int, result: CensusResult) -> None:
        super().__init__()
        self.run = run
        self.result = result


class SystemRowsReady(Message):
    """Every composition of the chemical system, labelled."""

    def __init__(self, rows: list[SystemRow]) -> None:
        super().__init__()
        self.rows = rows


class ProjectionReady(Message):
    """A projection finished (thinned to the plot size), or failed with a reason."""

    def __init__(self, key: tuple, data: ProjectionData | None, full: int, reason: str = "") -> None:
        super().__init__()
        self.key = key
        self.data = data
        self.full = full
        self.reason = reason


class MainScreen(Screen):
    """The four tabs: census, periodic table, projection and (system mode) the system table."""

    def compose(self) -> ComposeResult:
        app = self.app
        assert isinstance(app, ChemspaceApp)
        settings = app.settings
        arity_options = [(ARITY_NAMES[a], a) for a in settings.arities]
        yield Header(show_clock=False, icon="⬡")
        with TabbedContent(initial="census", id="tabs"):
            with TabPane("Census [1]", id="census"):
                yield CensusPanel(settings, app.known_name, show_elapsed=app.show_elapsed)
            with TabPane("Periodic table [2]", id="periodic"), Vertical(id="periodic-pane"):
                with Horizontal(classes="controls"):
                    yield Select(arity_options, value=app.arity, allow_blank=False, id="pt-arity")
                    yield Select([(x, x) for x in app.labels], value=app.label, allow_blank=False, id="pt-label")
                    yield Label("", id="pt-caption")
                yield PeriodicTable(settings.pool, id="periodic-table")
                yield ElementDetail(id="element-detail")
            with TabPane("Projection [3]", id="projection"):
                yield ScatterPanel(arity_options, app.arity, app.embeddings, app.reducers, app.embedding, app.reducer)
            if app.system is not None:
                with TabPane("System [4]", id="system"):
                    yield SystemExplorer(app.system, with_known=app.known is not None)
        yield Footer()


class ChemspaceApp(App[None]):
    """Map inorganic crystal chemical space: census, periodic table, projections, one chemical system."""

    CSS_PATH = Path(__file__).with_name("app.tcss")
    TITLE = "chemspace-tui"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit"),
        Binding("c", "cancel", "Cancel"),
        Binding("r", "rerun", "Re-run"),
        Binding("e", "export", "Export"),
        Binding("a", "next_arity", "Arity"),
        Binding("l", "next_label", "Label"),
        Binding("m", "next_embedding", "Embedding"),
        Binding("d", "next_reducer", "Reducer"),
        Binding("o", "toggle_colouring", "Colour", show=False),
        Binding("s", "sort", "Sort", show=False),
        Binding("slash", "focus_filter", "Filter", show=False),
        Binding("question_mark,f1", "help", "Help"),
        *(Binding(str(i + 1), f"tab('{t}')", t, show=False) for i, t in enumerate(TABS)),
    ]

    def __init__(
        self,
        options: AppOptions,
        *,
        show_elapsed: bool = True,
        projector: Callable[..., Projection] | None = None,
        autostart: bool = True,
        warm_up_reducers: bool = True,
    ) -> None:
        super().__init__()
        self.options = options
        self.settings = options.settings.validated()
        self.system = options.system
        self.known = options.known
        self.known_name = None if options.known is None else options.known.name
        self.show_elapsed = show_elapsed
        self.autostart = autostart
        self.projector: Callable[..., Projection] = projector or project_samples
        self.embeddings: tuple[str, ...] = EMBEDDINGS
        self.reducers: tuple[str, ...] = REDUCERS
        self.embedding = options.embedding if options.embedding in self.embeddings else self.embeddings[0]
        self.reducer = options.reducer if options.reducer in self.reducers else self.reducers[0]
        self.colouring = "category"
        self.labels: tuple[str, ...] = ("unique", *LABELS) + (("known", *CATEGORIES) if self.known else ())
        self.arity = self.settings.arities[0]
        self.label = "allowed"
        self.censuses: dict[int, ArityCensus] = {}
        self.result: CensusResult | None = None
        self.running = False
        self.run_id = 0
        self.started_at = 0.0
        self.first_counts_at: float | None = None
        self.system_rows: list[SystemRow] | None = None
        self._cancel = threading.Event()
        self._projection_cancel = threading.Event()
        self._projection_lock = threading.Lock()
        self._projections: dict[tuple, tuple[ProjectionData | None, int]] = {}
        self._projection_key: tuple | None = None
        self._warm_up_reducers = warm_up_reducers
        self.reducer_warm_up: Worker | None = None
        self._states: dict[str, tuple[int, ...]] | None = None
        self.main = MainScreen()
        self.sub_title = "whole space" if self.system is None else "-".join(self.system)

    # ---------------------------------------------------------------- lifecycle

    def get_default_screen(self) -> Screen:
        return self.main

    def on_mount(self) -> None:
        self.call_after_refresh(self._startup)

    def _startup(self) -> None:
        """Start the workers once the main screen is composed."""
        if self.autostart:
            self.start_census()
            if self.system is not None:
                self.load_system()

    def on_unmount(self) -> None:
        self._cancel.set()
        self._projection_cancel.set()

    # ---------------------------------------------------------------- census

    def start_census(self) -> None:
        """Start (or restart) the census in a thread worker."""
        self._cancel.set()
        self._cancel = threading.Event()
        self.run_id += 1
        self.censuses = {}
        self.result = None
        self.running = True
        self.started_at = time.perf_counter()
        self.first_counts_at = None
        self._projections.clear()
        self.main.query_one(CensusPanel).reset(
            "starting… (the first run after installing compiles the numba kernels: 30-60 s, cached afterwards)"
        )
        self._census_worker(self.run_id, self._cancel)

    @work(thread=True, group="census", exit_on_error=False, name="census", description="census")
    def _census_worker(self, run: int, cancel: threading.Event) -> None:
        yield_cpu_to_interface()

        last_post = 0.0

        def on_progress(census: ArityCensus) -> None:
            # at most PROGRESS_INTERVAL apart (an arity's last chunk always): every post costs the UI a
            # redraw of the counts, which at chunk rate took a core from the census on 2-core machines
            nonlocal last_post
            now = time.monotonic()
            if census.complete or now - last_post >= PROGRESS_INTERVAL:
                last_post = now
                self.post_message(CensusProgress(run, snapshot(census)))

        result = run_census(self.settings, known=self.known, on_progress=on_progress, cancel=cancel)
        self.post_message(CensusFinished(run, result))

    def on_census_progress(self, message: CensusProgress) -> None:
        if message.run != self.run_id:
            return
        census = message.census
        if self.first_counts_at is None:
            self.first_counts_at = time.perf_counter() - self.started_at
        self.censuses[census.arity] = census
        panel = self.main.query_one(CensusPanel)
        panel.update_census(census)
        if self.running:
            panel.set_status(f"counting {ARITY_NAMES[census.arity].lower()} compositions… (c cancels)")
        if census.arity == self.arity:
            self.refresh_periodic()
        if census.complete and census.arity == self.arity:
            self.request_projection()

    def on_census_finished(self, message: CensusFinished) -> None:
        if message.run != self.run_id:
            return
        result = message.result
        self.result = result
        self.running = False
        for arity, census in result.arities.items():
            self.censuses[arity] = census
        panel = self.main.query_one(CensusPanel)
        for census in result.arities.values():
            panel.update_census(census)
        panel.finish(result.cancelled)
        elapsed = f" in {result.elapsed:.1f} s" if self.show_elapsed else ""
        if result.cancelled:
            panel.set_status(f"[yellow]cancelled{elapsed}: counts are partial[/] (r re-runs)")
        else:
            panel.set_status(f"[green]done{elapsed}[/] (r re-runs, e exports the census as JSON)")
        self.refresh_periodic()
        self.request_projection()

    def action_cancel(self) -> None:
        """Stop the census between chunks; what was counted stays, marked partial."""
        if not self.running:
            self.notify("nothing is running", timeout=2)
            return
        self._cancel.set()
        self._projection_cancel.set()
        self.main.query_one(CensusPanel).set_status("cancelling…")

    def action_rerun(self) -> None:
        """Run the census again from scratch (and the system table in system mode)."""
        self.start_census()
        if self.system is not None:
            self.load_system()

    async def action_quit(self) -> None:
        self._cancel.set()
        self._projection_cancel.set()
        self.exit()

    # ---------------------------------------------------------------- system table

    def load_system(self) -> None:
        """Compute every composition of the system in a worker."""
        assert self.system is not None
        self._system_worker(self.system)

    @work(
        thread=True,
        group="system",
        exclusive=True,
        exit_on_error=False,
        name="system table",
        description="system table",
    )
    def _system_worker(self, system: tuple[str, ...]) -> None:
        from chemspace.core.system import system_rows

        rows = system_rows(system, known=self.known, rule=self.settings.rule)
        self.post_message(SystemRowsReady(rows))

    def on_system_rows_ready(self, message: SystemRowsReady) -> None:
        self.system_rows = message.rows
        self.main.query_one(SystemExplorer).set_rows(message.rows)

    # ---------------------------------------------------------------- periodic table

    def refresh_periodic(self) -> None:
        """Show the selected arity's counts for the selected label."""
        table = self.main.query_one(PeriodicTable)
        census = self.censuses.get(self.arity)
        caption = self.main.query_one("#pt-caption", Label)
        if census is None:
            table.counts = None
            caption.update("no counts yet for this arity")
        else:
            counts = census.element_counts(self.label)
            table.counts = counts
            if counts is None:
                caption.update(f"{self.label}: needs a known-materials set (—)")
            else:
                state = "" if census.complete else " (partial)"
                caption.update(f"compositions containing each element{state}")
        self.show_element(table.cursor)

    def show_element(self, symbol: str) -> None:
        """Fill the detail pane for one element."""
        if self._states is None:
            from chemspace.core.elements import element_table

            table = element_table(self.settings.oxidation_states)
            self._states = dict(zip(table.symbols, table.oxidation_states))
        self.main.query_one(ElementDetail).show(symbol, self.censuses, self._states.get(symbol))

    def on_periodic_table_highlighted(self, message: PeriodicTable.Highlighted) -> None:
        self.show_element(message.symbol)

    def on_periodic_table_selected(self, message: PeriodicTable.Selected) -> None:
        if self.system is None:
            return
        if message.symbol is not None and message.symbol not in self.system:
            self.notify(f"{message.symbol} is not in {'-'.join(self.system)}", severity="warning")
            return
        self.main.query_one(SystemExplorer).set_element(message.symbol)
        if message.symbol is None:
            self.notify("system table: element filter cleared", timeout=2)
        else:
            self.notify(f"system table: compositions containing {message.symbol} (tab 4)", timeout=3)

    # ---------------------------------------------------------------- selectors and cycling keys

    def set_arity(self, arity: int) -> None:
        """Choose the arity shown by the periodic table and the projection."""
        self.arity = arity
        for select in self.main.query("#pt-arity, #sc-arity").results(Select):
            if select.value != arity:
                select.value = arity
        self.refresh_periodic()
        self.request_projection()

    def set_label(self, label: str) -> None:
        """Choose the label or category of the periodic table."""
        self.label = label
        select = self.main.query_one("#pt-label", Select)
        if select.value != label:
            select.value = label
        self.refresh_periodic()

    @on(Select.Changed)
    def _select_changed(self, event: Select.Changed) -> None:
        value = event.value
        if value is Select.BLANK:
            return
        match event.select.id:
            case "pt-arity" | "sc-arity":
                if value != self.arity:
                    self.set_arity(int(str(value)))
            case "pt-label":
                if value != self.label:
                    self.set_label(str(value))
            case "embedding":
                if value != self.embedding:
                    self.embedding = str(value)
                    self.request_projection()
            case "reducer":
                if value != self.reducer:
                    self.reducer = str(value)
                    self.request_projection()
            case "colouring":
                if value != self.colouring:
                    self.colouring = str(value)
                    self.redraw_projection()

    @staticmethod
    def _next(options: tuple, current: object) -> object:
        return options[(options.index(current) + 1) % len(options)] if current in options else options[0]

    def action_next_arity(self) -> None:
        """Cycle the arity of the periodic table and the projection."""
        self.set_arity(int(self._next(self.settings.arities, self.arity)))  # type: ignore[arg-type]
        self.notify(f"arity: {ARITY_NAMES[self.arity].lower()}", timeout=1.5)

    def action_next_label(self) -> None:
        """Cycle the label/category of the periodic table."""
        self.set_label(str(self._next(self.labels, self.label)))
        self.notify(f"periodic table: {self.label}", timeout=1.5)

    def action_next_embedding(self) -> None:
        """Cycle the element embedding of the projection."""
        self.main.query_one("#embedding", Select).value = self._next(self.embeddings, self.embedding)

    def action_next_reducer(self) -> None:
        """Cycle the dimension reducer of the projection."""
        self.main.query_one("#reducer", Select).value = self._next(self.reducers, self.reducer)

    def action_toggle_colouring(self) -> None:
        """Colour the projection by category or by anion class."""
        self.main.query_one("#colouring", Select).value = "anion" if self.colouring == "category" else "category"

    def action_tab(self, tab: str) -> None:
        """Switch to a tab by id."""
        if tab == "system" and self.system is None:
            self.notify("the system table needs --system, e.g. chemspace-tui --system Li-Zn-Sn-O", timeout=3)
            return
        self.main.query_one(TabbedContent).active = tab

    def action_sort(self) -> None:
        """Sort the system table by the next column."""
        if self.system is None:
            return
        self.notify(self.main.query_one(SystemExplorer).cycle_sort(), timeout=1.5)

    def action_focus_filter(self) -> None:
        """Focus the system table's filter box."""
        if self.system is None:
            return
        self.main.query_one(TabbedContent).active = "system"
        self.main.query_one("#system-filter").focus()

    def action_help(self) -> None:
        """Show every key."""
        self.push_screen(HelpScreen())

    @on(TabbedContent.TabActivated)
    def _tab_activated(self, event: TabbedContent.TabActivated) -> None:
        pane = event.pane.id
        if pane == "projection":
            self.request_projection()
        elif pane == "periodic":
            self.main.query_one(PeriodicTable).focus()
        elif pane == "system":
            self.main.query_one("#system-table").focus()

    # ---------------------------------------------------------------- projection

    def _samples_for(self, census: ArityCensus) -> dict:
        wanted = CATEGORIES if census.known is not None else LABELS
        return {k: v for k, v in census.samples.items() if k in wanted and v}

    def request_projection(self) -> None:
        """Compute (or reuse) the projection for the current arity, embedding and reducer."""
        try:
            panel = self.main.query_one(ScatterPanel)
        except Exception:
            return
        if self.main.query_one(TabbedContent).active != "projection":
            return
        if self.reducer_warm_up is None and self._warm_up_reducers and not self.running:
            # not while the census runs: the very first UMAP on a machine compiles for tens of seconds
            # holding the parallel lock, which would stall the census
            self.reducer_warm_up = self._warm_up_worker()
        key = (self.run_id, self.arity, self.embedding, self.reducer)
        if key == self._projection_key:
            return
        census = self.censuses.get(self.arity)
        if census is None or not self._samples_for(census):
            waiting = "running" if self.running else "not run"
            panel.set_status(
                f"waiting for samples: the {ARITY_NAMES[self.arity].lower()} census is {waiting}"
                " (samples are drawn when an arity's pass ends)"
                if self.settings.samples
                else "no samples: run with --samples N to see projections"
            )
            panel.show(None, self.colouring, "no projection yet")
            return
        self._projection_key = key
        if key in self._projections:
            self.redraw_projection()
            return
        self._projection_cancel.set()
        self._projection_cancel = threading.Event()
        panel.set_status(f"computing… {self.embedding} + {self.reducer} on {ARITY_NAMES[self.arity].lower()} samples")
        panel.show(None, self.colouring, "computing…")
        width, height = panel.plot_cells()
        self._projection_worker(key, self._samples_for(census), width, height, self._projection_cancel)

    @work(thread=True, group="warm-up", exit_on_error=False, name="reducer warm-up", description="warm-up")
    def _warm_up_worker(self) -> None:
        """Load t-SNE and UMAP (imports, numba kernels) while the user looks at the projection tab.

        The first t-SNE or UMAP of a process otherwise pays several seconds of imports and kernel
        loading; a warm-up failure is harmless (the real projection then reports any error).
        """
        yield_cpu_to_interface()
        warm_up(("umap", "tsne"))  # exit_on_error=False: a failure only marks the worker as failed

    # description given: Textual otherwise repr()s the arguments on the UI thread, here thousands of samples
    @work(
        thread=True,
        group="projection",
        exclusive=True,
        exit_on_error=False,
        name="projection",
        description="projection",
    )
    def _projection_worker(self, key: tuple, samples: dict, width: int, height: int, cancel: threading.Event) -> None:
        yield_cpu_to_interface()
        _, _, embedding, reducer = key
        try:
            # one projection computes at a time: a burst of keys queues workers here, and every one but
            # the newest finds itself cancelled and leaves without computing
            with self._projection_lock:
                if cancel.is_set():
                    return
                projection = self.projector(samples, embedding, reducer, random_state=self.settings.seed, cancel=cancel)
        except Exception as exc:
            if not cancel.is_set():
                self.post_message(ProjectionReady(key, None, 0, f"{type(exc).__name__}: {exc}"))
            return
        if cancel.is_set():
            return
        data = ProjectionData.from_projection(projection)
        self.post_message(ProjectionReady(key, data, len(data)))

    def on_projection_ready(self, message: ProjectionReady) -> None:
        if message.reason:
            self.notify(f"projection failed: {message.reason}", severity="error", timeout=8)
            if message.key == self._projection_key:
                self._projection_key = None
                self.main.query_one(ScatterPanel).set_status(f"[red]projection failed:[/] {message.reason}")
            return
        self._projections[message.key] = (message.data, message.full)
        if message.key == self._projection_key:
            self.redraw_projection()

    def redraw_projection(self) -> None:
        """Draw the current projection thinned to the plot's cells (cheap: numpy over a few 10k points)."""
        if self._projection_key not in self._projections:
            return
        data, full = self._projections[self._projection_key]
        panel = self.main.query_one(ScatterPanel)
        if data is None:
            return
        width, height = panel.plot_cells()
        thin = data.thinned(width, height, self.colouring)
        census = self.censuses.get(self.arity)
        partial = "" if census is None or census.complete else " (partial census)"
        panel.set_status(
            f"{self.embedding} + {self.reducer}: {full:,} {ARITY_NAMES[self.arity].lower()} samples{partial},"
            f" {len(thin):,} drawn (one per cell)"
            + (f"; {data.skipped:,} skipped (no {self.embedding} vector)" if data.skipped else "")
        )
        panel.show(thin, self.colouring, f"{ARITY_NAMES[self.arity]} · {self.embedding} · {self.reducer}")

    def on_resize(self) -> None:
        if self._projection_key in self._projections:
            self.set_timer(0.2, self.redraw_projection)

    # ---------------------------------------------------------------- export

    def action_export(self) -> None:
        """Ask for a file, then write the system table or the census JSON atomically."""
        on_system = self.system is not None and self.main.query_one(TabbedContent).active == "system"
        if on_system:
            assert self.system is not None
            what, default = "the system table (rows shown)", Path.cwd() / f"{'-'.join(self.system)}.csv"
            formats = ".csv or .json by suffix"
        else:
            what, default, formats = "the census", Path.cwd() / "chemspace-census.json", "a .json file"

        def chosen(path: Path | None) -> None:
            if path is not None:
                self.export_to(path, system_table=on_system)

        self.push_screen(ExportScreen(what, default, formats), chosen)

    def census_result(self) -> CensusResult:
        """The final result, or the counts so far (the UI's snapshots) marked partial."""
        if self.result is not None:
            return self.result
        return CensusResult(
            settings=self.settings, arities=dict(self.censuses), known_name=self.known_name, cancelled=True
        )

    def census_json(self) -> dict:
        """The census document (what the export writes)."""
        return self.census_result().to_json()

    def export_to(self, path: Path, *, system_table: bool) -> None:
        """Write in a worker; a notification says where, or why not."""
        if system_table:
            rows = list(self.main.query_one(SystemExplorer).shown_rows)
            self._export_worker(path, lambda: _rows_document(rows, path), f"{len(rows):,} compositions")
        elif path.suffix.lower() != ".json":
            self.notify(f"the census is written as JSON: name the file .json, not {path.name!r}", severity="error")
        else:
            result = self.census_result()  # serialised in the worker: thousands of sample formulas
            self._export_worker(path, lambda: json.dumps(result.to_json(), indent=1), "the census")

    @work(thread=True, group="export", exit_on_error=False, name="export", description="export")
    def _export_worker(self, path: Path, render: Callable[[], str], what: str) -> None:
        write_atomic(path, render())
        self.call_from_thread(self.notify, f"wrote {what} to {path}", timeout=4)

    # ---------------------------------------------------------------- errors and palette

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Worker failures become notifications with the reason, never a traceback."""
        if event.state is not WorkerState.ERROR:
            return
        error = event.worker.error
        reason = str(error) if isinstance(error, (InputError, OSError)) else f"{type(error).__name__}: {error}"
        self.notify(f"{event.worker.name} failed: {reason}", severity="error", timeout=10)
        if event.worker.name == "census":
            self.running = False
            self.main.query_one(CensusPanel).finish(cancelled=True)
            self.main.query_one(CensusPanel).set_status(f"[red]census failed:[/] {reason}")

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        commands = (
            ("Cancel census", "Stop the running census; partial counts stay", self.action_cancel),
            ("Re-run census", "Count again from scratch", self.action_rerun),
            ("Export", "Write the census JSON or the system table", self.action_export),
            ("Next arity", "Periodic table and projection arity", self.action_next_arity),
            ("Next label", "Periodic table label/category", self.action_next_label),
            ("Next embedding", "Projection element embedding", self.action_next_embedding),
            ("Next reducer", "Projection dimension reducer", self.action_next_reducer),
            ("Toggle colouring", "Projection coloured by category or anion class", self.action_toggle_colouring),
            ("Help", "Every key", self.action_help),
        )
        for title, help_text, callback in commands:
            yield SystemCommand(title, help_text, callback)


def _rows_document(rows: list[SystemRow], path: Path) -> str:
    """CSV or JSON text for system rows, by the file's suffix."""
    if path.suffix.lower() == ".json":
        return json.dumps([r.to_json() for r in rows], indent=1)
    if path.suffix.lower() != ".csv":
        raise InputError(f"export: use a .csv or .json file name, not {path.name!r}")
    from chemspace.tui.cmd_system import rows_csv

    return rows_csv(rows)


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to a temporary sibling, then rename it over ``path``."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def run_app(options: AppOptions) -> None:
    """Open the app (``chemspace-tui`` and ``chemspace-tui --system ...``)."""
    ChemspaceApp(options).run()
