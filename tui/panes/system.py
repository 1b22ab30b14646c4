"""The system tab: every composition of one chemical system, filterable and sortable, with the row's details."""

from __future__ import annotations

import json
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
from chemspace.core.errors import InputError
from chemspace.core.known import KnownSet
from chemspace.core.rank import score_compositions
from chemspace.core.system import SystemRow, system_rows
from chemspace.tui.panes.base import ExportJob, Pane, focus_now, write_text, yield_cpu_to_interface
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


def missing_rows(rows: list[SystemRow]) -> list[SystemRow]:
    """Rows the ranking scores: allowed and not known (every allowed row without a known set)."""
    return [r for r in rows if r.allowed and not r.known]


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
        """Label every composition of the system in a worker."""
        self._label(self.system)

    @work(
        thread=True,
        exclusive=True,
        group="system",
        exit_on_error=False,
        name="system table",
        description="system table",
    )
    def _label(self, system: tuple[str, ...]) -> None:
        rows = system_rows(system, known=self.known, rule=self.settings.rule)
        self.post_message(SystemRowsReady(rows))

    @on(SystemRowsReady)
    def _ready(self, message: SystemRowsReady) -> None:
        self.rows = message.rows
        self.scores = None
        self.query_one(SystemExplorer).set_rows(message.rows)
        self._score(message.rows)

    @work(
        thread=True,
        exclusive=True,
        group="system-score",
        exit_on_error=False,
        name="system scores",
        description="system scores",
    )
    def _score(self, rows: list[SystemRow]) -> None:
        """Score the missing rows with the ranking (the first time per known set and rule fits its scorers)."""
        yield_cpu_to_interface()
        missing = missing_rows(rows)
        try:
            scores = score_compositions([r.composition for r in missing], self.known, self.settings.rule)
        except Exception as exc:  # shown, never fatal: the table works without scores
            self.post_message(SystemScoresReady(rows, {}, f"{type(exc).__name__}: {exc}"))
            return
        if not get_current_worker().is_cancelled:
            self.post_message(SystemScoresReady(rows, dict(zip((r.formula for r in missing), scores.tolist()))))

    @on(SystemScoresReady)
    def _scored(self, message: SystemScoresReady) -> None:
        if message.rows is not self.rows:
            return  # a labelling that has since been replaced
        if message.reason:
            self.notify(f"scoring failed: {message.reason}", severity="error", timeout=8)
        self.scores = message.scores
        self.query_one(SystemExplorer).set_scores(message.scores)

    async def set_known(self, known: KnownSet) -> None:
        """Another known set: a new explorer (its known column is named after the set); rows follow on reload."""
        self.known = known
        self.rows = None
        self.scores = None
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
        self.notify(self.query_one(SystemExplorer).toggle_score_sort(), timeout=1.5)

    def export_job(self) -> ExportJob | None:
        if self.rows is None:
            return None
        rows = list(self.query_one(SystemExplorer).shown_rows)

        def write(path: Path) -> str:
            suffix = path.suffix.lower()
            if suffix == ".json":
                text = json.dumps([r.to_json() for r in rows], indent=1)
            elif suffix == ".csv":
                from chemspace.tui.cmd_system import rows_csv

                text = rows_csv(rows)
            else:
                raise InputError(f"use a .csv or .json file name, not {path.name!r}")
            write_text(path, text)
            return f"{len(rows):,} compositions"

        return ExportJob(
            f"the system table ({len(rows):,} rows shown)",
            f"{'-'.join(self.system)}.csv",
            ".csv or .json by suffix",
            write,
        )
