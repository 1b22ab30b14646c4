"""What every pane shares: the census state it is told about, the export it offers, and the Pane base class."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, TypeVar

from textual.containers import Vertical
from textual.widget import Widget

from chemspace.core.atomic import atomic_path
from chemspace.core.census import ArityCensus, CensusResult
from chemspace.core.errors import CancelledError

T = TypeVar("T")
#: How often a worker waiting on abandonable work looks at its cancel flag (seconds).
POLL_S = 0.05


@dataclass(frozen=True)
class CensusState:
    """The census as the panes see it: counts so far per arity, the final result once it ends."""

    generation: int = 0
    censuses: dict[int, ArityCensus] = field(default_factory=dict)
    result: CensusResult | None = None
    running: bool = False


@dataclass(frozen=True)
class ExportJob:
    """What a pane exports: a description, a default file name, the formats, and the writer (run in a worker).

    ``write(path)`` writes the file atomically and returns what it wrote ('5,837 compositions').
    """

    what: str
    filename: str
    formats: str
    write: Callable[[Path], str]


class Pane(Vertical):
    """A tab's content. Subclasses set TAB_ID and TITLE and override the hooks they need."""

    TAB_ID: ClassVar[str] = ""
    TITLE: ClassVar[str] = ""

    def census_changed(self, state: CensusState) -> None:
        """The census moved on (progress, end, restart)."""

    def export_job(self) -> ExportJob | None:
        """What `e` writes on this tab (None: nothing to export yet)."""
        return None

    def focus_target(self) -> Widget | None:
        """The widget to focus when the tab opens (its keys then show in the footer)."""
        return None

    def shown(self) -> None:
        """The tab was opened."""
        focus_now(self.focus_target())


def write_text(path: Path, text: str) -> None:
    """Write an export whole or not at all (a temporary sibling renamed over ``path``)."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def focus_now(widget: Widget | None) -> None:
    """Focus at once, not after the queued events (``Widget.focus`` defers): keys typed right after
    ``/`` or a tab key then reach the widget they were meant for."""
    if widget is not None:
        widget.screen.set_focus(widget)


def yield_cpu_to_interface(niceness: int = 10) -> None:
    """Lower this worker thread's scheduling priority (Linux: nice is per thread).

    The census keeps every core busy; threads that the worker's parallel kernels start inherit the
    lower priority, so the interface thread wins the CPU whenever it has a key to handle, while an
    idle interface costs the census nothing. Where the platform has no per-thread priority, a no-op.
    """
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), niceness)


def abandonable(work: Callable[[], T], cancel: threading.Event, name: str) -> T:
    """Run ``work`` in a daemon thread and wait for it, giving up (CancelledError) as soon as ``cancel`` is set.

    For work that cannot stop itself promptly (a UMAP fit, its first compile, a scorer's fit): the
    worker calling this returns at once when cancelled, so quitting the app is not held up by it:
    Python joins the executor threads Textual runs workers on before the process exits, but never a
    daemon thread, which is dropped at exit. A work abandoned while the app goes on runs to its next
    cancel check and its result is discarded; whatever it holds (a lock) it keeps until then.
    """
    outcome: list = []
    done = threading.Event()

    def run() -> None:
        try:
            outcome.append((True, work()))
        except BaseException as exc:  # handed to the waiting worker, which raises it
            outcome.append((False, exc))
        finally:
            done.set()

    threading.Thread(target=run, name=name, daemon=True).start()
    while not done.wait(POLL_S):
        if cancel.is_set():
            raise CancelledError(f"{name} abandoned")
    ok, value = outcome[0]
    if not ok:
        raise value
    return value
