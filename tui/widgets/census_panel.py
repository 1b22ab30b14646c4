"""The live census dashboard: one progress bar per arity and the Table-2 counts, growing as chunks finish."""

from __future__ import annotations

from rich.cells import cell_len
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Label, ProgressBar, Static

from chemspace.core.census import ArityCensus, CensusSettings
from chemspace.core.rule import CATEGORIES, Category, arity_name
from chemspace.tui.widgets.style import count_text, marked

#: Rows of the counts table, in the paper's order.
ROWS = ("unique", "allowed", "forbidden", "known", *CATEGORIES)

KNOWN_HINT = (
    "No known-materials set loaded: known and the four categories show as —. "
    "Fetch one without a key from the palette (ctrl+p, Fetch known materials) or with "
    "[b]chemspace-tui known fetch --provider mp[/b]; or import one with [b]chemspace-tui known import FILE[/b]."
)


class ArityProgress(Horizontal):
    """Name, progress bar and state of one arity's pass."""

    def __init__(self, arity: int) -> None:
        super().__init__(id=f"progress-{arity}", classes="arity-progress")
        self.arity = arity
        self._state = "waiting"

    def compose(self) -> ComposeResult:
        yield Label(arity_name(self.arity, title=True), classes="arity-name")
        yield ProgressBar(total=1.0, show_eta=False, show_percentage=True)
        yield Label("waiting", classes="arity-state")

    def show(self, census: ArityCensus | None, state: str) -> None:
        """Move the bar to the census's fraction and show the state text (redrawn only if it changed)."""
        self.query_one(ProgressBar).update(progress=census.work_fraction if census is not None else 0.0)
        label = self.query_one(".arity-state", Label)
        if state != self._state:
            # same width as before: no relayout of the screen (the state column is sized for the longest)
            label.update(state, layout=len(state) != len(self._state))
            self._state = state


class CensusPanel(VerticalScroll):
    """Progress per arity and a table of unique/allowed/forbidden/known and the four categories."""

    def __init__(self, settings: CensusSettings, known_name: str | None, *, show_elapsed: bool = True) -> None:
        super().__init__(id="census-panel")
        self.settings = settings
        self.known_name = known_name
        self.show_elapsed = show_elapsed
        self._censuses: dict[int, ArityCensus] = {}
        self._cancelled = False
        self._running = False
        self._table_shape: tuple[int, ...] = ()
        self._status = "starting…"
        self._second: tuple[str, dict[int, dict[Category, int]]] | None = None

    def compose(self) -> ComposeResult:
        yield Static(self.title_text(), id="census-title")
        yield Static("starting…", id="census-status")
        for arity in self.settings.arities:
            yield ArityProgress(arity)
        yield Static(id="census-table")
        if self.known_name is None:
            yield Static(KNOWN_HINT, id="known-hint")

    def on_mount(self) -> None:
        self.refresh_counts()

    def on_resize(self) -> None:
        self.refresh_counts()  # the table's form follows the room it has

    def title_text(self) -> str:
        """What is counted: the pool, the rule and the known set."""
        pool = "whole space (H–Lr)" if self.settings.pool is None else "-".join(self.settings.pool)
        return f"[b]Census[/b] of {pool} · {self.settings.rule.short()} · known set: {self.known_name or 'none'}"

    def set_settings(self, settings: CensusSettings) -> None:
        """A new rule: retitle (the counts are reset by the next run)."""
        self.settings = settings
        self.query_one("#census-title", Static).update(self.title_text())

    def reset(self, status: str) -> None:
        """Forget all counts (a new run is starting)."""
        self._censuses = {}
        self._second = None  # counted against the old run's totals
        self._cancelled = False
        self._running = True
        self.set_status(status)
        self.refresh_counts()

    def set_status(self, text: str) -> None:
        """The one-line state of the run (the app repeats it on every progress post: redraw on change only)."""
        if text != self._status:
            self._status = text
            self.query_one("#census-status", Static).update(text)

    def update_census(self, census: ArityCensus) -> None:
        """Take a running (or final) snapshot of one arity."""
        self._censuses[census.arity] = census
        self.refresh_counts()

    def set_second(self, name: str | None, counts: dict[int, dict[Category, int]] | None = None) -> None:
        """Show a second known set's four category counts under the first's (None clears them)."""
        self._second = None if name is None or counts is None else (name, counts)
        self.refresh_counts()

    def finish(self, cancelled: bool) -> None:
        """The run ended, completely or cancelled (counts stay, marked partial)."""
        self._running = False
        self._cancelled = cancelled
        self.refresh_counts()

    def _state(self, arity: int) -> str:
        census = self._censuses.get(arity)
        if census is None:
            return "cancelled" if self._cancelled else ("waiting" if self._running else "not run")
        # no "0.0 s" while the first chunk waits for the kernels to load: the status line says why
        elapsed = f" {census.elapsed:.1f} s" if self.show_elapsed and census.elapsed >= 0.05 else ""
        if elapsed and census.compile_seconds >= 0.05:  # a first run: compiling is not counting
            elapsed += f" (+{census.compile_seconds:.0f} s compiling)"
        if census.complete:
            return f"done{elapsed}"
        if self._cancelled or not self._running:
            return f"partial{elapsed}"
        if census.phase == "compiling":
            return "compiling kernels"
        return f"{census.phase}{elapsed}"

    def refresh_counts(self) -> None:
        """Redraw the bars and the table from the latest snapshots."""
        for arity in self.settings.arities:
            self.query_one(f"#progress-{arity}", ArityProgress).show(self._censuses.get(arity), self._state(arity))
        table = self.fitted_table(self.content_size.width or self.app.size.width)
        shape = _column_widths(table)
        # a relayout of the whole screen per update cost more than the census on 2 cores: only when the
        # table's shape changes (a wider number, a new header), not when digits change in place
        self.query_one("#census-table", Static).update(table, layout=shape != self._table_shape)
        self._table_shape = shape

    def fitted_table(self, width: int) -> Table:
        """The counts table in the first form that fits ``width`` cells: as it is; with partial arities
        marked by a star explained under it; without the shares (a quinary system at 80 columns)."""
        forms = ((False, True), (True, True), (True, False))
        for short, shares in forms:
            table = self.counts_table(short_partial=short, shares=shares)
            if self.app.console.measure(table).maximum <= width:
                break
        return table

    def counts_table(self, *, short_partial: bool = False, shares: bool = True) -> Table:
        """Table 2 of the paper, one column per arity; '(partial)' (or '*') on arities that did not finish."""
        # one space between columns and no wrapping: the whole space's quaternary column
        # ("13,993,099,343 (82.79%)") still fits 80 columns beside the binary and ternary ones
        table = Table(expand=False, box=None, padding=(0, 0, 0, 1), header_style="bold", caption_justify="left")
        table.add_column("", no_wrap=True)
        stopped = self._cancelled or not self._running
        for arity in self.settings.arities:
            census = self._censuses.get(arity)
            name = arity_name(arity, title=True)
            if census is not None and not census.complete:
                name += ("*" if short_partial else " (partial)") if stopped else " …"
                if stopped and short_partial:
                    table.caption = "* partial: the run stopped before the end"
            table.add_column(name, justify="right", no_wrap=True)
        for row in ROWS:
            cells: list[Text | str] = [marked(row)]
            for arity in self.settings.arities:
                census = self._censuses.get(arity)
                if census is None:
                    cells.append("")
                elif row == "unique":
                    cells.append(f"{census.unique:,}")
                elif row == "known":
                    cells.append(count_text(census.known))
                else:
                    # a share of what has been counted so far (all of it once the arity is complete)
                    cells.append(count_text(census.count(row), (census.done or None) if shares else None))
            table.add_row(*cells)
        if self._second is not None:
            name, counts = self._second
            table.add_row(Text(f"with {name}:", style="bold"), *("" for _ in self.settings.arities))
            for cat in CATEGORIES:
                row_cells: list[Text | str] = [marked(cat)]
                for arity in self.settings.arities:
                    census = self._censuses.get(arity)
                    value = counts.get(arity, {}).get(cat)
                    unique = census.unique if census is not None and shares else None
                    row_cells.append("" if value is None or census is None else count_text(value, unique))
                table.add_row(*row_cells)
        return table


def _column_widths(table: Table) -> tuple[int, ...]:
    """The table's shape for layout purposes: its row count (a second set adds rows), whether it has a
    caption (the partial-star's note), then each column's widest cell (header included)."""
    widths = (max([cell_len(str(c.header)), *(cell_len(str(cell)) for cell in c.cells)]) for c in table.columns)
    return (table.row_count, int(table.caption is not None), *widths)
