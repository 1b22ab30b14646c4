"""System mode: every composition of a chemical system in a sortable, filterable table with a detail pane."""

from __future__ import annotations

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.timer import Timer
from textual.widgets import DataTable, Input, Label, Select, Static

from chemspace.core.explain import assignment_text
from chemspace.core.row_query import parse_query
from chemspace.core.rule import CATEGORIES, LABELS, REASONS, arity_name
from chemspace.core.system import SystemRow
from chemspace.tui.formatting import top_share_text
from chemspace.tui.widgets.style import marked

COLUMNS = ("formula", "arity", "label", "oxidation", "ids")
#: The score column's key: sorted by the plausibility score behind it, best first.
SCORE = "score"
ALL = "all"
#: Prefix of the label selector's values that filter forbidden rows by reason.
REASON = "reason:"
#: Assignments listed in the detail pane (SnO2 has 2, a quaternary can have dozens).
DETAIL_ASSIGNMENTS = 6
#: What each reason means, in a chemist's words.
REASON_TEXT = {
    "no-oxidation-states": "an element has no oxidation states in this set (or no Pauling value)",
    "not-charge-neutral": "no choice of the elements' oxidation states sums to zero",
    "electronegativity": "each neutral assignment has a cation more electronegative than an anion",
}


def _has_label(row: SystemRow, label: str) -> bool:
    """A label, a category, or ``reason:R`` for forbidden rows failing with reason R."""
    if label.startswith(REASON):
        return not row.allowed and str(row.reason) == label.removeprefix(REASON)
    return row.label == label or (label in LABELS and row.allowed == (label == "allowed"))


def _entries_text(row: SystemRow) -> str:
    """The row's known entries by their own id, else their formula (an imported set may have no ids)."""
    return ", ".join(e.id or e.formula for e in row.entries)


def _sort_key(column: str):
    """Key for sorting a column's cell values (the table holds Text and str)."""
    if column == "arity":
        return lambda v: int(str(v))
    return lambda v: str(v).lower()


class SystemExplorer(Vertical):
    """Filter line (text, label, arity), the table of compositions and the selected row's details."""

    class Filtered(Message):
        """The visible rows changed (count shown / total)."""

        def __init__(self, shown: int, total: int) -> None:
            super().__init__()
            self.shown = shown
            self.total = total

    def __init__(self, system: tuple[str, ...], known_name: str | None) -> None:
        super().__init__(id="system-explorer")
        self.system = system
        self.known_name = known_name
        self.with_known = known_name is not None
        self.rows: list[SystemRow] = []
        self.shown_rows: list[SystemRow] = []
        self._search: list[str] = []
        self._debounce: Timer | None = None
        self._sort: tuple[str, bool] | None = None
        self._sort_before_score: tuple[str, bool] | None = None
        self._by_formula: dict[str, SystemRow] = {}
        self.scores: dict[str, float] | None = None  # formula -> score of the missing rows (None: computing)
        self.progress: str | None = "computing the compositions…"  # shown as the count until the rows come

    def show_progress(self, text: str) -> None:
        """While the rows are computed, the count line says how far (never '0 of 0 compositions')."""
        self.progress = text
        self.query_one("#system-count", Label).update(text)

    def compose(self) -> ComposeResult:
        labels = (*LABELS, *CATEGORIES) if self.with_known else LABELS
        with Horizontal(id="system-filters"):
            yield Input(
                placeholder="filter (/): ZnO · Li-Zn · Sn2+",  # the help lists every kind of word
                id="system-filter",
                compact=True,
            )
            reasons = [(f"× {r}", f"{REASON}{r}") for r in REASONS]  # forbidden, by why it fails (× as in the table)
            label_options = [("any label", ALL), *((x, x) for x in labels), *reasons]
            yield Select(label_options, value=ALL, allow_blank=False, id="system-label", compact=True)
            arities = [("any arity", ALL), *((arity_name(a), str(a)) for a in range(2, len(self.system) + 1))]
            yield Select(arities, value=ALL, allow_blank=False, id="system-arity", compact=True)
        yield Label("computing the compositions…", id="system-count")
        with Horizontal(id="system-body"):
            yield DataTable(id="system-table", cursor_type="row", zebra_stripes=True)
            yield Static("select a row to see its details", id="system-detail")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_column("Formula", key="formula")
        table.add_column("Arity", key="arity")
        table.add_column("Category" if self.with_known else "Label", key="label")
        table.add_column("Score", key=SCORE)
        table.add_column("Oxidation states", key="oxidation")
        if self.with_known:
            table.add_column(f"Known ({self.known_name})", key="ids")

    def on_resize(self) -> None:
        self.set_class(self.size.width < 110, "-narrow")

    def set_rows(self, rows: list[SystemRow]) -> None:
        """Take every composition of the system (computed in a worker) and show them."""
        self.rows = rows
        self.scores = None
        self.progress = None
        self._by_formula = {r.formula: r for r in rows}
        self._search = [
            " ".join((r.formula, *r.composition.symbols, r.label, str(r.reason or ""), _entries_text(r))).lower()
            for r in rows
        ]
        self.apply_filter()

    def add_word(self, word: str) -> None:
        """Add a word to the filter (enter on the periodic table): visible, and cleared by editing the filter."""
        box = self.query_one("#system-filter", Input)
        words = box.value.split()
        if word not in words:
            box.value = " ".join([*words, word])
        self.apply_filter()

    @on(Input.Changed, "#system-filter")
    def _filter_typed(self) -> None:
        if self._debounce is not None:
            self._debounce.stop()
        self._debounce = self.set_timer(0.15, self.apply_filter)

    def on_key(self, event: events.Key) -> None:
        """Escape leaves the filter box for the table, so letter and digit keys work again."""
        if event.key == "escape" and self.query_one("#system-filter", Input).has_focus:
            event.stop()
            self.screen.set_focus(self.query_one(DataTable))

    @on(Input.Submitted, "#system-filter")
    def _filter_submitted(self) -> None:
        self.apply_filter()
        self.screen.set_focus(self.query_one(DataTable))

    @on(Select.Changed)
    def _select_changed(self, event: Select.Changed) -> None:
        if event.select.id in ("system-label", "system-arity"):
            event.stop()
            self.apply_filter()

    def kept(self) -> tuple[str | None, int | None]:
        """The label (or category, or reason) and the arity the selectors keep, None for all (export names)."""
        label = self.query_one("#system-label", Select).value
        arity = self.query_one("#system-arity", Select).value
        return (None if label == ALL else str(label)), (None if arity == ALL else int(str(arity)))

    def matching(self) -> list[SystemRow]:
        """Rows passing the text, label, arity and element filters."""
        query = parse_query(self.query_one("#system-filter", Input).value)
        label = self.query_one("#system-label", Select).value
        arity = self.query_one("#system-arity", Select).value
        out = []
        for row, hay in zip(self.rows, self._search):
            if label != ALL and not _has_label(row, str(label)):
                continue
            if arity != ALL and row.arity != int(str(arity)):
                continue
            if not query(row, hay):
                continue
            out.append(row)
        return out

    def apply_filter(self) -> None:
        """Refill the table with the matching rows (keeping the sort order)."""
        self._debounce = None
        self.shown_rows = self.matching()
        table = self.query_one(DataTable)
        table.clear()
        table.add_rows(self._cells(r) for r in self.shown_rows)
        if self._sort is not None:
            self._sort_table(*self._sort)
        count = self.progress or f"{len(self.shown_rows):,} of {len(self.rows):,} compositions"
        words = self.query_one("#system-filter", Input).value.strip()
        if words:
            count += f" matching {words!r}"
        self.query_one("#system-count", Label).update(count)
        self.post_message(self.Filtered(len(self.shown_rows), len(self.rows)))
        self.show_detail_at(table.cursor_row if table.row_count else -1)

    def show_detail_at(self, index: int) -> None:
        """The detail pane follows the table: the row under the cursor, or why there is none."""
        table = self.query_one(DataTable)
        detail = self.query_one("#system-detail", Static)
        if not self.shown_rows or index < 0:
            detail.update("no composition matches the filters" if self.rows else "computing the compositions…")
            return
        row = self._by_formula.get(str(table.get_row_at(min(index, table.row_count - 1))[0]))
        if row is not None:
            detail.update(self.detail(row))

    def _cells(self, row: SystemRow) -> list[str | Text]:
        cells: list[str | Text] = [
            row.formula,
            str(row.arity),
            marked(row.label),
            self._score_text(row),
            row.oxidation_text() + (f" (+{len(row.assignments) - 1} more)" if len(row.assignments) > 1 else ""),
        ]
        if self.with_known:
            cells.append(_entries_text(row))
        return cells

    def set_scores(self, scores: dict[str, float]) -> None:
        """Take the missing rows' plausibility scores (computed in a worker) and show them."""
        self.scores = scores
        self.apply_filter()

    def _score_text(self, row: SystemRow) -> str:
        """'top 0.43%' for a scored row, '…' while scoring, '—' for a row the ranking does not score."""
        if self.scores is None:
            return "…" if row.allowed and not row.known else "—"
        return top_share_text(self.scores.get(row.formula, float("-inf")))

    def _sort_table(self, column: str, reverse: bool) -> None:
        """Sort the table's rows; the score column by the scores behind it (best first, unscored last)."""
        table = self.query_one(DataTable)
        if column == SCORE:
            scores = self.scores or {}
            table.sort("formula", key=lambda f: -scores.get(str(f), float("-inf")), reverse=reverse)
        else:
            table.sort(column, key=_sort_key(column), reverse=reverse)
        self.show_detail_at(table.cursor_row if table.row_count else -1)  # the cursor now sits on another row

    def sort_by(self, column: str) -> None:
        """Sort by a column; sorting by it again reverses the order."""
        reverse = self._sort is not None and self._sort == (column, False)
        self._sort = (column, reverse)
        self._sort_table(column, reverse)

    @property
    def sorted_by_score(self) -> bool:
        """Whether the table is sorted by plausibility score (key t)."""
        return self._sort is not None and self._sort[0] == SCORE

    def toggle_score_sort(self) -> str:
        """Sort by score, best first (key t); again: back to the order before. Returns a description."""
        if self._sort is not None and self._sort[0] == SCORE:
            self._sort = self._sort_before_score
            self.apply_filter()  # refilled in the rows' own order, then sorted as before
            return "back to the previous order" if self._sort is None else f"sorted by {self._sort[0]} again"
        self._sort_before_score = self._sort
        self._sort = (SCORE, False)
        self._sort_table(SCORE, False)
        pending = " (scores still computing: the order follows when they arrive)" if self.scores is None else ""
        return "missing compositions by plausibility score, best first" + pending

    def cycle_sort(self) -> str:
        """Sort by the next column (key s); returns a description."""
        columns = COLUMNS if self.with_known else COLUMNS[:-1]
        if self._sort is not None and self._sort[0] not in columns:  # sorted by score: start again
            self._sort = None
        if self._sort is None or self._sort[1]:
            nxt = columns[0] if self._sort is None else columns[(columns.index(self._sort[0]) + 1) % len(columns)]
            self.sort_by(nxt)
        else:
            self.sort_by(self._sort[0])
        column, reverse = self._sort or ("formula", False)
        return f"sorted by {column}{' (descending)' if reverse else ''}"

    @on(DataTable.HeaderSelected)
    def _header_selected(self, event: DataTable.HeaderSelected) -> None:
        event.stop()
        self.sort_by(str(event.column_key.value))

    @on(DataTable.RowHighlighted)
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self.show_detail_at(event.cursor_row)

    def detail(self, row: SystemRow) -> Text:
        """The detail pane for one composition: verdict first, then every assignment or why it fails, then known."""
        text = Text()
        text.append(row.formula, style="bold")
        text.append(f"  {arity_name(row.arity)}  ")
        text.append_text(marked(row.label))
        if row.allowed:
            basis = "" if row.basis in (None, "oxidation-states") else f", as {row.basis}"  # alloy, element
            count = len(row.assignments)
            shown = " · ".join(assignment_text(a) for a in row.assignments[:DETAIL_ASSIGNMENTS])
            more = f" · … {count - DETAIL_ASSIGNMENTS} more" if count > DETAIL_ASSIGNMENTS else ""
            text.append(f" (passes the SMACT filters{basis})\n")
            text.append(f"{count} assignment{'s' if count != 1 else ''}: {shown}{more}\n")
            if self.scores is not None and row.formula in self.scores:
                share = top_share_text(self.scores[row.formula])
                text.append(f"plausibility: {share} of the {arity_name(row.arity)} missing compositions\n")
        else:
            text.append(f" ({row.reason})\n")
            text.append(REASON_TEXT.get(str(row.reason), "") + "\n")
            if row.witness is not None:
                text.append(f"witness: {row.witness.text()}\n")
        if row.known is None:
            text.append("known: — (no known-materials set loaded)\n", style="dim")
        elif not row.entries:
            text.append(f"not in {self.known_name}\n")
        else:
            text.append(f"{len(row.entries)} entr{'y' if len(row.entries) == 1 else 'ies'} in {self.known_name}:")
            for e in row.entries:
                ehull = "" if e.energy_above_hull is None else f" (E_hull {e.energy_above_hull:.3f} eV/atom)"
                text.append(f" {e.id or e.formula}{ehull}")
            text.append("\n")
        return text
