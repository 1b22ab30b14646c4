"""Result tables on stdout: a number is never cut to an ellipsis, on a narrow terminal or in a pipe."""

from __future__ import annotations

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

#: Width to measure a table's natural (one line per row) width against.
_UNBOUNDED = 10_000
#: Rows up to which a table too wide for the terminal is printed as blocks; longer ones fold their cells.
STACK_ROWS = 8


def print_table(table: Table, console: Console | None = None) -> None:
    """Print ``table`` whole. Rich's default cuts a cell that does not fit ("225,8…"), which for a census
    or a ranking reads as a wrong number; instead, into a file or a pipe (a log, ``| cat``) the table
    gets the width it needs; on a terminal too narrow for it, each row of a short table becomes a block
    of ``column  value`` lines, and a long table's cells fold onto further lines."""
    console = console or Console()
    natural = console.measure(table, options=console.options.update_width(_UNBOUNDED)).maximum
    if natural <= console.width:
        console.print(table)
    elif not console.is_terminal:
        Console(file=console.file, width=natural, color_system=None).print(table)
    elif table.row_count <= STACK_ROWS:
        console.print(stacked(table))
    else:  # a long list stays a table: a cell too wide for its column goes on over a second line
        for column in table.columns:
            column.overflow = "fold"
        console.print(table)


def stacked(table: Table) -> Group:
    """The table as one block per row (titled by the row's first cell), a ``column  value`` line per cell."""
    columns = [list(column.cells) for column in table.columns]
    blocks: list = [Text(str(table.title), style="bold")] if table.title else []
    for r in range(table.row_count):
        block = Table(title=Text.assemble(str(columns[0][r])), title_justify="left", show_header=False)
        block.add_column(style="bold")
        block.add_column(justify="right", overflow="fold")
        for column, cells in zip(table.columns[1:], columns[1:]):
            block.add_row(Text.assemble(str(column.header)), cells[r])
        blocks.append(block)
    if table.caption:
        blocks.append(Text(str(table.caption), style="dim"))
    return Group(*blocks)
