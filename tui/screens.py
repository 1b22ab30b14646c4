"""Modal screens: the help screen and the export dialog."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

#: Every key of the app, shown by the help screen (the footer shows the main ones).
KEYS: tuple[tuple[str, str], ...] = (
    ("q", "quit (cancels a running census first)"),
    ("c", "cancel the running census: counts so far stay, marked partial"),
    ("r", "re-run the census (and recompute the system table)"),
    ("e", "export: census JSON, or in system mode the (filtered) table as CSV/JSON"),
    ("a", "next arity for the periodic table and the projection"),
    ("l", "next label/category for the periodic table"),
    ("m", "next element embedding for the projection"),
    ("d", "next dimension reducer (PCA, t-SNE, UMAP)"),
    ("o", "colour the projection by category or by anion class"),
    ("s", "system table: sort by the next column (click a header to sort by it)"),
    ("/", "system table: focus the filter"),
    ("1-4", "switch tab: census, periodic table, projection, system"),
    ("enter", "periodic table: select the element (filters the system table)"),
    ("ctrl+p", "command palette: every action above by name"),
    ("? / f1", "this help"),
)


class HelpScreen(ModalScreen[None]):
    """Every key and what it does."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q,question_mark,f1", "dismiss", "Close")]

    def compose(self) -> ComposeResult:
        table = Table(box=None, show_header=False, padding=(0, 2))
        table.add_column(style="bold cyan", no_wrap=True)
        table.add_column()
        for key, what in KEYS:
            table.add_row(key, what)
        with Vertical(id="help-dialog"):
            yield Static("[b]chemspace-tui keys[/b]", id="help-title")
            yield Static(table)
            yield Static(
                "Categories (paper colours): [#4285f4]standard[/] allowed & known · [#e63946]missing[/] allowed & "
                "unknown · [#34b233]interesting[/] forbidden & known · [#8c8c8c]unlikely[/] forbidden & unknown.",
                id="help-legend",
            )
            yield Static("[dim]escape closes this screen[/dim]")


class ExportScreen(ModalScreen[Path | None]):
    """Ask for the file to write; dismisses with the path, or None when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, what: str, default: Path, formats: str = ".json or .csv by suffix") -> None:
        super().__init__()
        self.what = what
        self.default = default
        self.formats = formats

    def compose(self) -> ComposeResult:
        with Vertical(id="export-dialog"):
            yield Label(f"Export {self.what} to:")
            yield Input(str(self.default), id="export-path")
            yield Label(f"[dim]{self.formats}; written whole or not at all[/dim]")
            with Horizontal(id="export-buttons"):
                yield Button("Export", variant="primary", id="export-ok")
                yield Button("Cancel", id="export-cancel")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self._submit(event.value)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "export-ok":
            self._submit(self.query_one(Input).value)
        else:
            self.dismiss(None)

    def _submit(self, value: str) -> None:
        value = value.strip()
        if not value:
            self.notify("give a file name", severity="warning")
            return
        self.dismiss(Path(value).expanduser())

    def action_cancel(self) -> None:
        self.dismiss(None)
