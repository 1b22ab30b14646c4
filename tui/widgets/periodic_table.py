"""Fig. 1 of the paper: a periodic-table heat map of per-element counts, with a movable cursor."""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import cache
from typing import ClassVar

from rich.console import Group
from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Static

from chemspace.core.census import ArityCensus
from chemspace.core.elements import all_symbols
from chemspace.core.palette import HEAT_HEX
from chemspace.core.rule import CATEGORIES, arity_name
from chemspace.tui.widgets.style import compact, count_text, short_count_text

COLUMNS = 18
#: Heat-map glyphs, low to high, drawn after the symbol in the one-line layout: the level reads without colour.
HEAT_GLYPHS = (" ", "▁", "▃", "▅", "▇", "█")


def heat_level(value: int, top: int) -> int:
    """Index into HEAT_HEX for a count: Fig. 1's linear scale with the low end spread out (square root)."""
    return min(len(HEAT_HEX) - 1, int(math.sqrt(value / top) * (len(HEAT_HEX) - 1) + 0.5))


def level_floors(top: int) -> dict[int, int]:
    """The heat levels that some count 1..``top`` reaches, each with the smallest count reaching it.

    A narrow range skips levels (with ``top`` 8 no count reaches the second colour), which the key
    would otherwise show twice with the same count.
    """
    steps = len(HEAT_HEX) - 1
    floors: dict[int, int] = {}
    for level in range(len(HEAT_HEX)):
        # heat_level's threshold, inverted (level 0 has none: its floor is 1); a float's rounding is then
        # nudged away a count or two at a time (never a walk over the range: top reaches 1.4e10)
        low = max(1, math.ceil(top * (max(0.0, level - 0.5) / steps) ** 2))
        while low > 1 and heat_level(low - 1, top) >= level:  # rounding of the square: nudge onto the exact floor
            low -= 1
        while low <= top and heat_level(low, top) < level:
            low += 1
        if low <= top and heat_level(low, top) == level:
            floors[level] = low
    return floors


def heat_key(top: int, width: int = 1_000) -> Text:
    """The heat map's key: each colour (and glyph) a count reaches, with the least count showing it, up to ``top``.

    Within ``width`` cells: the largest count in short form (14G) when written out it would not fit.
    """
    if top <= 0:
        return Text("key:") + Text(" no counts yet", style="dim")
    text = Text()
    for level, low in level_floors(top).items():
        fg = "black" if level >= 3 else "white"
        text.append(" ")
        text.append(f"{HEAT_GLYPHS[level]}{compact(low)}+", style=Style(color=fg, bgcolor=HEAT_HEX[level]))
    for largest in (f"{top:,}", compact(top)):
        key = Text("key:") + text + Text(f" (max {largest}; √ scale; · none)", style="dim")
        if key.cell_len <= width:
            break
    return key


@cache
def layout() -> dict[str, tuple[int, int]]:
    """Symbol -> (row, column) on the 18-column table; rows 7 and 8 are La–Lu and Ac–Lr."""
    pos: dict[str, tuple[int, int]] = {}
    symbols = all_symbols()

    def put(z: int, row: int, col: int) -> None:
        pos[symbols[z - 1]] = (row, col)

    put(1, 0, 0)
    put(2, 0, 17)
    for start, row in ((3, 1), (11, 2)):
        put(start, row, 0)
        put(start + 1, row, 1)
        for i in range(6):
            put(start + 2 + i, row, 12 + i)
    for start, row in ((19, 3), (37, 4)):
        for i in range(18):
            put(start + i, row, i)
    for start, row in ((55, 5), (87, 6)):
        put(start, row, 0)
        put(start + 1, row, 1)
        for i in range(15):  # lanthanides / actinides
            put(start + 2 + i, row + 2, 2 + i)
    for i in range(15):  # Hf..Rn
        put(72 + i, 5, 3 + i)
    return pos


class PeriodicTable(Widget, can_focus=True):
    """Element counts as a heat map; arrows move the cursor, enter (or a click) chooses the element.

    Two lines per element (symbol, then count) when there are 19 lines; otherwise one line per
    element, the symbol followed by a heat glyph, so the table fits an 80x24 terminal.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "move(0, -1)", "Up", show=False, tooltip="move the element cursor up"),
        Binding("down", "move(0, 1)", "Down", show=False, tooltip="move the element cursor down"),
        Binding("left", "move(-1, 0)", "Left", show=False, tooltip="move the element cursor left"),
        Binding("right", "move(1, 0)", "Right", show=False, tooltip="move the element cursor right"),
    ]

    counts: reactive[dict[str, int] | None] = reactive(None, always_update=True)
    cursor: reactive[str] = reactive("O")
    #: Two lines per element (symbol, then count); the owner sets it from the room it has.
    tall: reactive[bool] = reactive(True, layout=True)

    class Highlighted(Message):
        """The cursor moved to an element."""

        def __init__(self, symbol: str) -> None:
            super().__init__()
            self.symbol = symbol

    class Selected(Message):
        """An element was chosen (enter or a click)."""

        def __init__(self, symbol: str) -> None:
            super().__init__()
            self.symbol = symbol

    def __init__(self, pool: tuple[str, ...] | None = None, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.pool = set(pool) if pool is not None else None
        self._by_cell = {cell: sym for sym, cell in layout().items()}
        if pool:
            self.cursor = pool[0]

    @property
    def cell_width(self) -> int:
        """Characters per element: 4 on an 80-column terminal, up to 7 when there is room."""
        return max(4, min(7, self.size.width // COLUMNS)) if self.size.width else 4

    def get_content_width(self, container, viewport) -> int:
        return COLUMNS * 4

    def get_content_height(self, container, viewport, width: int) -> int:
        return 19 if self.tall else 10

    @property
    def top(self) -> int:
        """The largest count shown (the heat map's scale)."""
        counts = self.counts or {}
        return max((v for s, v in counts.items() if v > 0 and (self.pool is None or s in self.pool)), default=0)

    def render(self) -> Text:
        counts = self.counts or {}
        top = self.top
        w = self.cell_width
        tall = self.tall
        per_row = 2 if tall else 1
        lines = [Text() for _ in range(9 * per_row + 1)]
        for row in range(9):
            base = row * per_row + (1 if row >= 7 else 0)
            for col in range(COLUMNS):
                sym = self._by_cell.get((row, col))
                if sym is None:
                    marker = "*" if (row, col) in ((5, 2), (6, 2)) else ""
                    lines[base].append(marker.center(w), style="dim")
                    if tall:
                        lines[base + 1].append(" " * w)
                    continue
                inside = self.pool is None or sym in self.pool
                value = counts.get(sym) if inside else None
                style, count_style = self._cell_style(sym, value, top)
                if tall:
                    lines[base].append(sym.center(w), style=style)
                    text = compact(value) if value is not None else ("·" if self.counts is not None else "")
                    lines[base + 1].append(text.center(w), style=count_style)
                else:
                    glyph = HEAT_GLYPHS[heat_level(value, top)] if value and top else ("·" if inside else " ")
                    lines[base].append(f"{sym:>2}{glyph}".ljust(w), style=style)
        return Text("\n").join(lines)

    def _cell_style(self, sym: str, value: int | None, top: int) -> tuple[Style, Style]:
        """Symbol and count styles: heat background by count, and the cursor mark."""
        outside = self.pool is not None and sym not in self.pool
        if outside or not value or not top:
            style = Style(color="bright_black" if outside else "default", dim=outside)
        else:
            level = heat_level(value, top)
            style = Style(color="black" if level >= 3 else "white", bgcolor=HEAT_HEX[level], bold=True)
        count_style = Style(color=style.color, bgcolor=style.bgcolor, dim=outside)
        if sym == self.cursor:
            mark = Style(reverse=True) if self.has_focus else Style(italic=True, underline=True)
            style += mark
            count_style += mark
        return style, count_style

    def watch_cursor(self, symbol: str) -> None:
        self.post_message(self.Highlighted(symbol))

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    def action_move(self, dx: int, dy: int) -> None:
        """Move to the nearest element in that direction (skipping gaps)."""
        row, col = layout()[self.cursor]
        for _ in range(COLUMNS):
            col += dx
            row += dy
            if not (0 <= row < 9 and 0 <= col < COLUMNS):
                return
            sym = self._by_cell.get((row, col))
            if sym is None and dy:  # moving vertically into a gap: try the nearest column in that row
                sym = min(
                    (s for (r, c), s in self._by_cell.items() if r == row),
                    key=lambda s: abs(layout()[s][1] - col),
                    default=None,
                )
            if sym is not None:
                self.cursor = sym
                return

    def choose(self) -> None:
        """Announce the element under the cursor as chosen."""
        self.post_message(self.Selected(self.cursor))

    def on_click(self, event: events.Click) -> None:
        symbol = self.symbol_at(event.x, event.y)
        if symbol is not None:
            self.cursor = symbol
            self.choose()

    def symbol_at(self, x: int, y: int) -> str | None:
        """The element drawn at a content offset, if any."""
        if y < 0:
            return None
        per_row = 2 if self.tall else 1
        gap = 7 * per_row
        if y == gap:
            return None
        row = y // per_row if y < gap else 7 + (y - gap - 1) // per_row
        return self._by_cell.get((row, x // self.cell_width))


class ElementDetail(Static):
    """The numbers of one element: per arity, how many compositions containing it fall in each label.

    A table, one row per arity, so it fits the few lines an 80x24 terminal leaves it; counts with their
    share of the element's unique compositions, in short form (1.2k 90%) when the full one is too wide.
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._shown: tuple[str, dict[int, ArityCensus], tuple[int, ...] | None] | None = None

    def show(self, symbol: str, censuses: dict[int, ArityCensus], oxidation_states: tuple[int, ...] | None) -> None:
        """Render the element's counts for every arity counted so far."""
        self._shown = (symbol, censuses, oxidation_states)
        self.update(self.detail_text(self.content_size.width or self.app.size.width))

    def on_resize(self) -> None:
        if self._shown is not None:
            self.update(self.detail_text(self.content_size.width))

    def detail_text(self, width: int) -> Group:
        """The symbol and its oxidation states, then the table (short cells when the full ones pass ``width``)."""
        assert self._shown is not None
        symbol, censuses, oxidation_states = self._shown
        states = (
            ", ".join(f"{q:+d}" for q in oxidation_states) if oxidation_states else "none in this set (never allowed)"
        )
        head = Text.from_markup(f"[b]{symbol}[/b]  oxidation states: {states}")
        if not censuses:
            return Group(head, Text("no counts yet"))
        # full counts; short ones (1.2k 90%); short unique counts too and, with the categories, no forbidden
        # column (it is interesting + unlikely): the whole space's quaternaries at 80 columns
        forms = (
            (count_text, count_text, True),
            (short_count_text, count_text, True),
            (short_count_text, compact, False),
        )
        for cell, unique_cell, forbidden in forms:
            table = self._table(symbol, censuses, cell, unique_cell, forbidden)
            if self.app.console.measure(table).maximum <= width:
                break
        parts: list = [head, table]
        if not all(c.complete for c in censuses.values()):
            parts.append(Text("* partial: that arity's census did not finish", style="dim"))
        return Group(*parts)

    @staticmethod
    def _table(
        symbol: str,
        censuses: dict[int, ArityCensus],
        cell: Callable[[int | None, int | None], str],
        unique_cell: Callable[[int | None], str],
        forbidden: bool,
    ) -> Table:
        """One row per arity: unique, then each label's count (``cell``); ``forbidden`` False leaves that
        column out when the categories are there to sum it."""
        with_known = any(c.known is not None for c in censuses.values())
        labels = (
            "allowed",
            *(("forbidden",) if forbidden or not with_known else ()),
            *(CATEGORIES if with_known else ()),
        )
        table = Table(box=None, padding=(0, 0, 0, 1), pad_edge=False, header_style="bold", show_edge=False)
        table.add_column("", no_wrap=True, style="bold")
        for name in ("unique", *labels):
            table.add_column(name, justify="right", no_wrap=True)
        for arity, census in sorted(censuses.items()):
            unique = (census.element_counts("unique") or {}).get(symbol)
            cells = [unique_cell(unique)]
            for label in labels:
                counts = census.element_counts(label)
                cells.append(cell(None if counts is None else counts.get(symbol), unique))
            table.add_row(arity_name(arity, title=True) + ("" if census.complete else "*"), *cells)
        return table
