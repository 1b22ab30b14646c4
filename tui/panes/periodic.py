"""The periodic-table tab (Fig. 1): per-element counts of one arity and label as a heat map, its key, one element."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Label, Select, Static

from chemspace.core.census import CensusSettings
from chemspace.core.csv_format import csv_text
from chemspace.core.elements import atomic_numbers, element_table
from chemspace.core.errors import InputError
from chemspace.core.rule import CATEGORIES, LABELS, arity_name
from chemspace.tui.panes.base import CensusState, ExportJob, Pane, write_text
from chemspace.tui.widgets import ElementDetail, PeriodicTable
from chemspace.tui.widgets.periodic_table import heat_key


def cycle(options: tuple, current: object) -> object:
    """The option after ``current`` (the first when it is not among them)."""
    return options[(options.index(current) + 1) % len(options)] if current in options else options[0]


class PeriodicPane(Pane):
    """Arity and label selectors, the heat map, its key and the element under the cursor."""

    TAB_ID = "periodic"
    TITLE = "Periodic table"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "next_arity", "Arity", tooltip="periodic table: next arity"),
        Binding("l", "next_label", "Label", tooltip="periodic table: next label or category"),
        Binding(
            "enter",
            "choose",
            "Choose",
            tooltip="periodic table: choose the element (system mode: adds it to the system filter;"
            " whole space: highlights its compositions on the projection)",
        ),
    ]

    class ElementChosen(Message):
        """Enter (or a click) on an element: the app routes it to the system or projection pane."""

        def __init__(self, symbol: str) -> None:
            super().__init__()
            self.symbol = symbol

    def __init__(self, settings: CensusSettings, with_known: bool) -> None:
        super().__init__(id="periodic-pane")
        self.settings = settings
        self.labels: tuple[str, ...] = ("unique", *LABELS) + (("known", *CATEGORIES) if with_known else ())
        self.arity = settings.arities[0]
        self.label = "allowed"
        self.state = CensusState()
        table = element_table(settings.oxidation_states)
        self._states = dict(zip(table.symbols, table.oxidation_states))

    def set_labels(self, with_known: bool) -> None:
        """Offer the known-dependent labels (known and the categories) once a known set is loaded."""
        self.labels = ("unique", *LABELS) + (("known", *CATEGORIES) if with_known else ())
        select = self.query_one("#pt-label", Select)
        select.set_options([(x, x) for x in self.labels])
        select.value = self.label if self.label in self.labels else "allowed"

    def compose(self) -> ComposeResult:
        with Horizontal(classes="controls"):
            arities = [(arity_name(a, title=True), a) for a in self.settings.arities]
            yield Select(arities, value=self.arity, allow_blank=False, id="pt-arity", compact=True)
            yield Select(
                [(x, x) for x in self.labels], value=self.label, allow_blank=False, id="pt-label", compact=True
            )
            yield Label("", id="pt-caption")
        yield PeriodicTable(self.settings.pool, id="periodic-table")
        yield Static("", id="heat-key")
        yield ElementDetail(id="element-detail")

    def focus_target(self) -> Widget:
        return self.query_one(PeriodicTable)

    def on_resize(self) -> None:
        # two lines per element when the controls, the table, its key and a 5-line detail all fit
        self.query_one(PeriodicTable).tall = self.size.height >= 19 + 1 + 1 + 5
        self._show_key()

    def _show_key(self) -> None:
        """The colour scale's key, within the pane's width."""
        key = self.query_one("#heat-key", Static)
        key.update(heat_key(self.query_one(PeriodicTable).top, key.content_size.width or self.size.width))

    def census_changed(self, state: CensusState) -> None:
        self.state = state
        self.refresh_table()

    def refresh_table(self) -> None:
        """Show the selected arity's counts for the selected label, with the key and the element's numbers."""
        table = self.query_one(PeriodicTable)
        census = self.state.censuses.get(self.arity)
        caption = self.query_one("#pt-caption", Label)
        if census is None:
            table.counts = None
            caption.update("no counts yet for this arity")
        else:
            table.counts = census.element_counts(self.label)
            if table.counts is None:
                caption.update(f"{self.label}: needs a known-materials set (—)")
            else:
                caption.update("compositions containing each element" + ("" if census.complete else " (partial)"))
        self._show_key()
        self.show_element(table.cursor)

    def show_element(self, symbol: str) -> None:
        """Fill the detail pane for one element."""
        self.query_one(ElementDetail).show(symbol, self.state.censuses, self._states.get(symbol))

    @on(PeriodicTable.Highlighted)
    def _highlighted(self, message: PeriodicTable.Highlighted) -> None:
        message.stop()
        self.show_element(message.symbol)

    @on(PeriodicTable.Selected)
    def _selected(self, message: PeriodicTable.Selected) -> None:
        message.stop()
        self.post_message(self.ElementChosen(message.symbol))

    def action_choose(self) -> None:
        """Choose the element under the cursor."""
        self.query_one(PeriodicTable).choose()

    def set_arity(self, arity: int) -> None:
        """Show another arity."""
        self.arity = arity
        select = self.query_one("#pt-arity", Select)
        if select.value != arity:
            select.value = arity
        self.refresh_table()

    def set_label(self, label: str) -> None:
        """Show another label or category."""
        self.label = label
        select = self.query_one("#pt-label", Select)
        if select.value != label:
            select.value = label
        self.refresh_table()

    @on(Select.Changed)
    def _select_changed(self, event: Select.Changed) -> None:
        event.stop()
        if event.value is Select.BLANK or event.value != event.select.value:
            # a change the select has since moved past (set_labels changes it twice): acting on it would
            # set the old value back, whose own message sets the newer one back, forever on the UI thread
            return
        if event.select.id == "pt-arity" and event.value != self.arity:
            self.set_arity(int(str(event.value)))
        elif event.select.id == "pt-label" and event.value != self.label:
            self.set_label(str(event.value))

    def action_next_arity(self) -> None:
        """Cycle the arity."""
        self.set_arity(int(cycle(self.settings.arities, self.arity)))  # type: ignore[arg-type]

    def action_next_label(self) -> None:
        """Cycle the label/category."""
        self.set_label(str(cycle(self.labels, self.label)))

    def export_job(self) -> ExportJob | None:
        census = self.state.censuses.get(self.arity)
        if census is None:
            return None
        labels = [x for x in self.labels if census.element_counts(x) is not None]
        columns = {x: census.element_counts(x) or {} for x in labels}
        partial = not census.complete

        def write(path: Path) -> str:
            if path.suffix.lower() != ".csv":
                raise InputError(f"the per-element counts are written as CSV: name the file .csv, not {path.name!r}")
            symbols = sorted({s for c in columns.values() for s in c}, key=atomic_numbers().__getitem__)
            rows = ([s, *(columns[x].get(s, 0) for x in labels)] for s in symbols)
            write_text(path, csv_text(["element", *labels], rows))
            return f"{len(symbols)} elements' {arity_name(self.arity)} counts" + (" (partial)" if partial else "")

        return ExportJob(
            f"the per-element {arity_name(self.arity)} counts (every label)",
            f"elements-{arity_name(self.arity)}.csv",
            "a .csv file: element, then one column per label",
            write,
        )
