"""The system tab: every composition of one chemical system, filterable and sortable, with the row's details."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widget import Widget
from textual.widgets import DataTable, Input
from textual.worker import get_current_worker

from chemspace.core.census import CensusSettings
from chemspace.core.errors import CancelledError
from chemspace.core.export import missing_scores, system_export_name, write_system_export
from chemspace.core.known import KnownSet
from chemspace.core.rank import ranked_scores
from chemspace.core.system import SystemRow, system_rows
from chemspace.tui.panes.base import ExportJob, Pane, abandonable, focus_now
from chemspace.tui.progress import system_progress_text
from chemspace.tui.widgets import SystemExplorer


class SystemRowsReady(Message, bubble=False):
    """Every composition of the chemical system, labelled."""

    def __init__(self, rows: list[SystemRow]) -> None:
        super().__init__()
        self.rows = rows


class SystemScoresReady(Message, bubble=False):
    """Plausibility scores of the missing rows of one labelling (formula -> score), or why there are none."""

    def __init__(self, rows: list[SystemRow], scores: dict[str, float], reason: str = "") -> None:
        super().__init__()
        self.rows = rows
        self.scores = scores
        self.reason = reason


#: The worker group of the scoring (exclusive: one at a time, the newest wins).
SCORE_GROUP = "system-score"


class SystemPane(Pane):
    """The system explorer and the worker that labels the system's compositions."""

    TAB_ID = "system"
    TITLE = "System"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "focus_filter", "Filter", tooltip="system table: type a filter (escape returns to the table)"),
        Binding("s", "sort", "Sort", tooltip="system table: sort by the next column (click a header to sort by it)"),
        Binding(
            "t",
            "score_sort",
            "Best first",
            tooltip="system table: missing compositions by plausibility score, best first (again: the previous order)",
        ),
    ]

    def __init__(self, system: tuple[str, ...], settings: CensusSettings, known: KnownSet | None) -> None:
        super().__init__(id="system-pane")
        self.system = system
        self.settings = settings
        self.known = known
        self.rows: list[SystemRow] | None = None
        self.scores: dict[str, float] | None = None

    def compose(self) -> ComposeResult:
        yield SystemExplorer(self.system, None if self.known is None else self.known.name)

    def focus_target(self) -> Widget:
        return self.query_one(DataTable)

    def load(self) -> None:
        """Label every composition of the system in a worker (stopping a scoring of the old labels)."""
        self.cancel_scoring()
        self._label(self.system)

    def cancel_scoring(self) -> None:
        """Stop the scoring worker, if one runs: its work sees the cancel flag at its next chunk of rows."""
        self.workers.cancel_group(self, SCORE_GROUP)

    @work(
        thread=True,
        exclusive=True,
        group="system",
        exit_on_error=False,
        name="system table",
        description="system table",
    )
    def _label(self, system: tuple[str, ...]) -> None:
        def progress(done: int, total: int, phase: str) -> None:
            self.app.call_from_thread(self._show_progress, system_progress_text(done, total, phase))

        cancel = get_current_worker().cancelled_event
        try:
            rows = system_rows(system, known=self.known, rule=self.settings.rule, on_progress=progress, cancel=cancel)
        except CancelledError:
            return  # superseded: the newer labelling posts its own rows
        self.post_message(SystemRowsReady(rows))

    def _show_progress(self, text: str) -> None:
        """The labelling's progress on the count line of the explorer (if it is still mounted)."""
        for explorer in self.query(SystemExplorer):
            explorer.show_progress(text)

    @on(SystemRowsReady)
    def _ready(self, message: SystemRowsReady) -> None:
        self.rows = message.rows
        self.scores = None
        self.query_one(SystemExplorer).set_rows(message.rows)
        self._score(message.rows)

    @work(
        thread=True,
        exclusive=True,
        group=SCORE_GROUP,
        exit_on_error=False,
        name="system scores",
        description="system scores",
    )
    def _score(self, rows: list[SystemRow]) -> None:
        """Score the missing rows with the ranking (the first time per known set and rule fits its scorers).

        Exclusive: a newer request cancels this one, whose work stops at its next chunk of rows. Not
        niced like the census: the user waits on it, and at nice 10 on a shared, busy machine it got a
        twentieth of a core (the interface thread wins the GIL at every switch interval anyway).
        """
        cancel = get_current_worker().cancelled_event
        known, rule = self.known, self.settings.rule
        try:
            # abandoned when cancelled: a scorer's fit does not stop midway, and quitting must not wait for it
            scores = abandonable(lambda: missing_scores(rows, known, rule, cancel), cancel, "system scores")
        except CancelledError:
            return  # superseded: the newer request posts its own scores
        except Exception as exc:  # shown, never fatal: the table works without scores
            self.post_message(SystemScoresReady(rows, {}, f"{type(exc).__name__}: {exc}"))
            return
        if not get_current_worker().is_cancelled:
            self.post_message(SystemScoresReady(rows, scores))

    @on(SystemScoresReady)
    def _scored(self, message: SystemScoresReady) -> None:
        if message.rows is not self.rows:
            return  # a labelling that has since been replaced
        if message.reason:
            self.notify(f"scoring failed: {message.reason}", severity="error", timeout=8)
        self.scores = message.scores
        explorer = self.query_one(SystemExplorer)
        explorer.set_scores(message.scores)
        if explorer.sorted_by_score and message.scores:  # t was pressed while they were computing
            self.app.clear_notifications()  # the "still computing" note
            self.notify("scores ready: missing compositions sorted best first", timeout=3)

    async def set_known(self, known: KnownSet) -> None:
        """Another known set: a new explorer (its known column is named after the set); rows follow on reload."""
        self.known = known
        self.rows = None
        self.scores = None
        self.cancel_scoring()
        await self.query_one(SystemExplorer).remove()
        await self.mount(SystemExplorer(self.system, known.name))

    def add_word(self, word: str) -> None:
        """Add a word to the filter (what enter on the periodic table does)."""
        self.query_one(SystemExplorer).add_word(word)

    def action_focus_filter(self) -> None:
        """Focus the filter box."""
        focus_now(self.query_one("#system-filter", Input))

    def action_sort(self) -> None:
        """Sort by the next column."""
        self.notify(self.query_one(SystemExplorer).cycle_sort(), timeout=1.5)

    def action_score_sort(self) -> None:
        """Sort by plausibility score, best first; again: back to the order before."""
        explorer = self.query_one(SystemExplorer)
        said = explorer.toggle_score_sort()
        # while the scores compute, the note stays up until they arrive (then a second one says so)
        self.notify(said, timeout=30 if explorer.sorted_by_score and self.scores is None else 1.5)

    def export_job(self) -> ExportJob | None:
        if self.rows is None:
            return None
        explorer = self.query_one(SystemExplorer)
        rows = list(explorer.shown_rows)
        ranked = ranked_scores(self.scores or {})

        def write(path: Path) -> str:
            write_system_export(rows, path, ranked)  # the columns and order of `system --out`
            return f"{len(rows):,} compositions"

        pending = " (scores still computing: score columns empty)" if self.scores is None else ""
        return ExportJob(
            f"the system table ({len(rows):,} rows shown{pending})",
            system_export_name(self.system, *explorer.kept()),
            ".csv, .json or .parquet by suffix",
            write,
        )
