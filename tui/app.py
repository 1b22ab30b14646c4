"""The Textual application: one pane per tab (census, periodic table, projection, system), composed here.

Each pane owns its state, its workers and its keys (:mod:`chemspace.tui.panes`); the app only
composes them, routes the global keys (tabs, cancel, re-run, export, help, quit) and hands the census
pane's state to the others. The census runs in a thread worker (the numba kernels release the GIL);
cancelling sets the worker's ``cancelled_event``, which the core checks between chunks.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import ClassVar

from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Footer, Header, TabbedContent, TabPane
from textual.worker import Worker, WorkerState

from chemspace.core.census import ArityCensus, CensusResult, CensusSettings
from chemspace.core.embeddings import EMBEDDINGS
from chemspace.core.errors import InputError
from chemspace.core.known import KnownSet
from chemspace.core.reduce import REDUCERS, Projection, project_samples
from chemspace.core.rule import Rule
from chemspace.tui.keys import KeyRow, key_rows
from chemspace.tui.panes import CensusPane, CensusState, ExportJob, Pane, PeriodicPane, ProjectionPane, SystemPane
from chemspace.tui.screens import CheckScreen, ExportScreen, HelpScreen
from chemspace.tui.widgets import CensusPanel, PeriodicTable
from chemspace.tui.widgets.scatter import ProjectionPlot

TABS = ("census", "periodic", "projection", "system")
#: Below this width the footer leaves out the command palette's hint, so every shown key fits.
NARROW = 100
#: SMACT's switches of the filter rule: key, Rule field, name, what it does.
RULE_SWITCHES = (
    ("P", "pauling", "Pauling", "the Pauling electronegativity test"),
    ("A", "alloys", "Alloys", "metal-only compositions allowed as alloys"),
    ("M", "mixed_valence", "Mixed valence", "mixed valence (atoms of one element in different states)"),
)


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


def export_dir() -> Path:
    """Where `e` proposes to write: ``$CHEMSPACE_EXPORT_DIR``, else the user's documents folder / chemspace-tui."""
    env = os.environ.get("CHEMSPACE_EXPORT_DIR")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_documents_dir()) / "chemspace-tui"


class MainScreen(Screen):
    """Header, the tabs with their panes, and the footer (the focused pane's keys and the global ones)."""

    def compose(self) -> ComposeResult:
        app = self.app
        assert isinstance(app, ChemspaceApp)
        yield Header(show_clock=False, icon="⬡")
        with TabbedContent(initial="census", id="tabs"):
            for number, pane in enumerate(app.panes, start=1):
                title = pane.TITLE if pane.TAB_ID != "system" else f"System {'-'.join(app.system or ())}"
                with TabPane(f"{title} [{number}]", id=pane.TAB_ID):
                    yield pane
        yield Footer(compact=True)

    def on_resize(self) -> None:
        # below 100 columns the footer's palette hint gives its room to the keys (the projection tab's
        # keys, export, help and quit take 77 columns); help and the header's icon still name ctrl+p
        footer = self.query_one(Footer)
        wide = self.size.width >= NARROW
        if footer.show_command_palette != wide:
            footer.show_command_palette = wide
            footer.refresh(recompose=True)  # the footer recomposes on binding changes only


class ChemspaceApp(App[None]):
    """Map inorganic crystal chemical space: census, periodic table, projections, one chemical system."""

    CSS_PATH = Path(__file__).with_name("app.tcss")
    TITLE = "chemspace-tui"

    BINDINGS: ClassVar[list[BindingType]] = [
        # export, help and quit in that order: the footer shows them after the tab's own keys, and at 80
        # columns the last of them would be the first to go
        Binding(
            "e",
            "export",
            "Export",
            tooltip="export what the tab shows: census JSON, per-element CSV, projection CSV or PNG, system table",
        ),
        Binding("question_mark,f1", "help", "Help", key_display="?", tooltip="help: every key and what the words mean"),
        Binding("q", "quit", "Quit", tooltip="quit (cancels a running census first)"),
        Binding("c", "cancel", "Cancel", show=False, tooltip="cancel the running census: counts so far stay, partial"),
        Binding("r", "rerun", "Re-run", show=False, tooltip="re-run the census (and the system table)"),
        Binding("k", "check", "Check", show=False, tooltip="check a formula: allowed or forbidden, and why"),
        *(
            Binding(key, f"toggle_rule('{switch}')", name, show=False, tooltip=f"rule: {what} on/off (counts again)")
            for key, switch, name, what in RULE_SWITCHES
        ),
        *(
            Binding(str(i + 1), f"tab('{t}')", t.capitalize(), show=False, tooltip=f"open the {t} tab")
            for i, t in enumerate(TABS)
        ),
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
        self.autostart = autostart
        embedding = options.embedding if options.embedding in EMBEDDINGS else EMBEDDINGS[0]
        reducer = options.reducer if options.reducer in REDUCERS else REDUCERS[0]
        self.census_pane = CensusPane(self.settings, self.known, show_elapsed=show_elapsed)
        self.periodic_pane = PeriodicPane(self.settings, with_known=self.known is not None)
        self.projection_pane = ProjectionPane(
            self.settings,
            self.known,
            EMBEDDINGS,
            REDUCERS,
            embedding,
            reducer,
            projector or project_samples,
            warm_up_reducers,
        )
        self.system_pane = None if self.system is None else SystemPane(self.system, self.settings, self.known)
        self.panes: tuple[Pane, ...] = tuple(
            p for p in (self.census_pane, self.periodic_pane, self.projection_pane, self.system_pane) if p is not None
        )
        self.main = MainScreen()
        self.sub_title = self._sub_title()

    # ---------------------------------------------------------------- state the tests and scripts read

    @property
    def state(self) -> CensusState:
        """The census as the panes see it."""
        return self.census_pane.state

    @property
    def censuses(self) -> dict[int, ArityCensus]:
        return self.state.censuses

    @property
    def result(self) -> CensusResult | None:
        return self.state.result

    @property
    def running(self) -> bool:
        return self.state.running

    @property
    def first_counts_at(self) -> float | None:
        return self.census_pane.first_counts_at

    @property
    def system_rows(self):
        return None if self.system_pane is None else self.system_pane.rows

    def census_json(self) -> dict:
        """The census document (what the census tab's export writes)."""
        return self.census_pane.census_result().to_json()

    # ---------------------------------------------------------------- lifecycle

    def get_default_screen(self) -> Screen:
        return self.main

    def on_mount(self) -> None:
        self.call_after_refresh(self._startup)

    def _startup(self) -> None:
        """Start the workers once the main screen is composed."""
        self.census_pane.shown()
        if self.autostart:
            self.action_rerun()

    @on(CensusPane.Changed)
    def _census_changed(self, message: CensusPane.Changed) -> None:
        for pane in self.panes:
            if pane is not self.census_pane:
                pane.census_changed(message.state)

    @on(TabbedContent.TabActivated)
    def _tab_activated(self, event: TabbedContent.TabActivated) -> None:
        pane = self.pane(str(event.pane.id))
        if pane is not None:
            pane.shown()

    def pane(self, tab: str) -> Pane | None:
        """The pane of a tab id."""
        return next((p for p in self.panes if tab == p.TAB_ID), None)

    @property
    def active_pane(self) -> Pane:
        """The pane of the open tab."""
        return self.pane(str(self.main.query_one(TabbedContent).active)) or self.census_pane

    # ---------------------------------------------------------------- global keys

    def action_tab(self, tab: str) -> None:
        """Switch to a tab by id."""
        pane = self.pane(tab)
        if pane is None:
            self.notify("the system table needs --system, e.g. chemspace-tui --system Li-Zn-Sn-O", timeout=3)
            return
        self.main.query_one(TabbedContent).active = tab
        pane.shown()  # now, not on TabActivated: keys typed right after the tab key reach the new pane

    def action_cancel(self) -> None:
        """Stop the census between chunks (from any tab)."""
        self.census_pane.action_cancel()

    def action_rerun(self) -> None:
        """Run the census again from scratch (and the system table in system mode)."""
        self.census_pane.start()
        if self.system_pane is not None:
            self.system_pane.load()

    def action_check(self) -> None:
        """Open the formula check under the current rule."""
        self.push_screen(CheckScreen(self.settings.rule, self.known))

    def action_toggle_rule(self, switch: str) -> None:
        """Turn one of SMACT's switches on or off and count again under the new rule."""
        rule = self.settings.rule
        self.set_rule(rule.with_switches(**{switch: not getattr(rule, switch)}))

    def set_rule(self, rule: Rule) -> None:
        """Count everything again under another rule (every pane reads the new settings)."""
        self.settings = replace(self.settings, rule=rule).validated()
        for pane in self.panes:
            pane.settings = self.settings  # type: ignore[attr-defined]
        self.census_pane.query_one(CensusPanel).set_settings(self.settings)
        self.sub_title = self._sub_title()
        self.notify(f"rule: {rule.describe()}; counting again", timeout=4)
        self.action_rerun()

    def action_fetch_known(self) -> None:
        """Open the fetch dialog (OPTIMADE, no key); a fetched set is labelled against at once."""
        from chemspace.tui.fetch_screen import FetchKnownScreen

        def fetched(known: KnownSet | None) -> None:
            if known is not None:
                self.call_later(self.set_known, known)

        self.push_screen(FetchKnownScreen(), fetched)

    async def set_known(self, known: KnownSet) -> None:
        """Label against another known set: the panes that show known-ness learn it, and everything counts again."""
        self.known = known
        self.census_pane.known = known
        panel = self.census_pane.query_one(CensusPanel)
        panel.known_name = known.name
        panel.set_settings(self.settings)
        await panel.query("#known-hint").remove()
        self.periodic_pane.set_labels(with_known=True)
        self.projection_pane.known = known
        if self.system_pane is not None:
            await self.system_pane.set_known(known)
        self.notify(f"known set: {known.name} ({len(known):,} compositions); counting again", timeout=4)
        self.action_rerun()

    def _sub_title(self) -> str:
        where = "whole space" if self.system is None else "-".join(self.system)
        return where if self.settings.rule.is_paper else f"{where} · {self.settings.rule.short()}"

    async def action_quit(self) -> None:
        self.workers.cancel_all()
        self.exit()

    def action_help(self) -> None:
        """Show every key and the definitions."""
        self.push_screen(HelpScreen(list(self.key_rows()), export_dir()))

    def key_rows(self) -> Iterable[KeyRow]:
        """Every binding: global, then each pane's and its widgets'."""
        scopes: list = [("everywhere", type(self))]
        for pane in self.panes:
            scopes.append((f"{pane.TITLE.lower()} tab", type(pane)))
            if isinstance(pane, PeriodicPane):
                scopes.append(("periodic table (arrows)", PeriodicTable))
            if isinstance(pane, ProjectionPane):
                scopes.append(("projection plot (arrows)", ProjectionPlot))
        return key_rows(scopes)

    @on(PeriodicPane.ElementChosen)
    def _element_chosen(self, message: PeriodicPane.ElementChosen) -> None:
        """System mode: add the element to the system filter; whole space: highlight it on the projection."""
        symbol = message.symbol
        if self.system_pane is not None:
            if symbol not in self.system_pane.system:
                self.notify(f"{symbol} is not in {'-'.join(self.system_pane.system)}", severity="warning")
                return
            self.system_pane.add_word(symbol)
            self.action_tab("system")
            self.notify(f"system table: filter has {symbol} (edit the filter to clear it)", timeout=3)
        else:
            self.projection_pane.highlight_text(symbol)
            self.notify(f"projection (tab 3): compositions containing {symbol} highlighted (f edits)", timeout=3)

    # ---------------------------------------------------------------- export

    def action_export(self) -> None:
        """Ask where, then write what the open tab shows, atomically, in a worker."""
        job = self.active_pane.export_job()
        if job is None:
            self.notify("nothing to export on this tab yet", severity="warning", timeout=3)
            return

        def chosen(path: Path | None) -> None:
            if path is not None:
                self._export(job, path)

        self.push_screen(ExportScreen(job.what, export_dir() / self._export_name(job.filename), job.formats), chosen)

    def _export_name(self, filename: str) -> str:
        """In system mode every tab's default export name starts with the system (Li-Zn-Sn-O-census.json)."""
        if self.system is None:
            return filename
        system = "-".join(self.system)
        return filename if filename.startswith(system) else f"{system}-{filename.removeprefix('chemspace-')}"

    @work(thread=True, group="export", exit_on_error=False, name="export", description="export")
    def _export(self, job: ExportJob, path: Path) -> None:
        if path.parent == export_dir():
            path.parent.mkdir(parents=True, exist_ok=True)
        what = job.write(path)
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
            self.census_pane.failed(reason)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """Textual's own commands, every binding of the app and its panes by name, and the fetch dialog."""
        yield from super().get_system_commands(screen)
        yield SystemCommand(
            "Fetch known materials…", "an OPTIMADE database (no key) becomes the known set", self.action_fetch_known
        )
        for row in self.key_rows():
            if row.node is type(self):
                yield SystemCommand(row.text.capitalize(), f"key {row.key}", self._runner(None, row.action))
            else:
                pane = next((p for p in self.panes if isinstance(p, row.node)), None)
                if pane is not None:
                    yield SystemCommand(row.text.capitalize(), f"key {row.key}", self._runner(pane, row.action))

    def _runner(self, pane: Pane | None, action: str) -> Callable[[], None]:
        """A palette callback: open the pane's tab, then run the action there."""

        def run() -> None:
            if pane is None:
                self.call_later(self.run_action, action)
                return
            self.action_tab(pane.TAB_ID)
            self.call_later(self.run_action, action, pane)

        return run


def run_app(options: AppOptions) -> None:
    """Open the app (``chemspace-tui`` and ``chemspace-tui --system ...``)."""
    ChemspaceApp(options).run()
