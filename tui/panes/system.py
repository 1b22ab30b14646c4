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

from chemspace.core.census import CensusSettings
from chemspace.core.errors import InputError
from chemspace.core.known import KnownSet
from chemspace.core.system import SystemRow, system_rows
from chemspace.tui.panes.base import ExportJob, Pane, focus_now, write_text
from chemspace.tui.widgets import SystemExplorer


class SystemRowsReady(Message, bubble=False):
    """Every composition of the chemical system, labelled."""

    def __init__(self, rows: list[SystemRow]) -> None:
        super().__init__()
        self.rows = rows


class SystemPane(Pane):
    """The system explorer and the worker that labels the system's compositions."""

    TAB_ID = "system"
    TITLE = "System"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "focus_filter", "Filter", tooltip="system table: type a filter (escape returns to the table)"),
        Binding("s", "sort", "Sort", tooltip="system table: sort by the next column (click a header to sort by it)"),
    ]

    def __init__(self, system: tuple[str, ...], settings: CensusSettings, known: KnownSet | None) -> None:
        super().__init__(id="system-pane")
        self.system = system
        self.settings = settings
        self.known = known
        self.rows: list[SystemRow] | None = None

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
        self.query_one(SystemExplorer).set_rows(message.rows)

    async def set_known(self, known: KnownSet) -> None:
        """Another known set: a new explorer (its known column is named after the set); rows follow on reload."""
        self.known = known
        self.rows = None
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
