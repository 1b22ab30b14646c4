"""Every key of the app, read from the bindings themselves: the help screen and the command palette are built from here.

Bindings are declared once, on the app (global keys) and on each pane and widget (their own keys);
the footer shows the focused pane's, and :func:`key_rows` lists them all, so no list can drift.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from textual.binding import Binding
from textual.dom import DOMNode


@dataclass(frozen=True)
class KeyRow:
    """One key: where it works, the key as shown, what it does, and the action to run."""

    scope: str
    key: str
    text: str
    action: str
    node: type[DOMNode]


def key_display(binding: Binding) -> str:
    """'?' for question_mark, '/' for slash, 'enter', 'f1'... (several keys joined by ' / ')."""
    names = {"question_mark": "?", "slash": "/", "ctrl+p": "ctrl+p"}
    return binding.key_display or " / ".join(names.get(k.strip(), k.strip()) for k in binding.key.split(","))


def key_rows(scopes: Iterable[tuple[str, type[DOMNode]]]) -> Iterator[KeyRow]:
    """A row per binding of each (scope name, class) in order: the tooltip when given, else the description.

    The first scope is the global one: a pane's key with the same action as a global key (one it also
    shows in its own footer) is listed once, there.
    """
    global_keys: set[tuple[str, str]] = set()
    for number, (scope, cls) in enumerate(scopes):
        for binding in cls.BINDINGS:
            if not isinstance(binding, Binding) or (binding.key, binding.action) in global_keys:
                continue
            if number == 0:
                global_keys.add((binding.key, binding.action))
            yield KeyRow(scope, key_display(binding), binding.tooltip or binding.description, binding.action, cls)
