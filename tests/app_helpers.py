"""Shared helpers for the app tests: app factories, a waiting loop and a projector spy."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from textual.pilot import Pilot

from chemspace.core.census import CensusSettings
from chemspace.core.errors import InputError
from chemspace.core.known import KnownSet, import_file
from chemspace.core.reduce import project_samples
from chemspace.tui.app import AppOptions, ChemspaceApp

SYSTEM = ("Li", "Zn", "Sn", "O")


class SpyProjector:
    """The real ``project_samples``, recording every call and failing on demand (the app's error path)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []
        self.fail = False
        self.running = 0
        self.most_at_once = 0
        self._lock = threading.Lock()

    def __call__(self, samples, embedding, reducer, random_state=42, cancel=None):
        with self._lock:
            self.calls.append((embedding, reducer))
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
        try:
            if self.fail:
                raise InputError(f"{embedding} has no vector for Lr")
            return project_samples(samples, embedding, reducer, random_state=random_state, cancel=cancel)
        finally:
            with self._lock:
                self.running -= 1


def make_app(
    settings: CensusSettings,
    system: tuple[str, ...] | None = None,
    projector: Callable | None = None,
    warm_up_reducers: bool = False,
    known: KnownSet | None = None,
) -> ChemspaceApp:
    """An app with no elapsed times and no animations, as the tests and snapshots want it.

    The reducer warm-up is off unless asked for: it loads UMAP in the background, which a fresh
    environment compiles for tens of seconds while holding the parallel lock the next census needs.
    """
    app = ChemspaceApp(
        AppOptions(settings=settings, system=system, known=known),
        show_elapsed=False,
        projector=projector,
        warm_up_reducers=warm_up_reducers,
    )
    app.animation_level = "none"
    return app


def system_app(
    projector: Callable | None = None, warm_up_reducers: bool = False, known: KnownSet | None = None
) -> ChemspaceApp:
    """Li-Zn-Sn-O, arities 2-4, small samples: deterministic and fast."""
    settings = CensusSettings(arities=(2, 3, 4), samples=200, pool=SYSTEM)
    return make_app(settings, SYSTEM, projector, warm_up_reducers, known)


def imported_set(tmp_path: Path, name: str = "icsd") -> KnownSet:
    """A known set imported from a plain list of formulas (no ids), as `known import` reads it."""
    path = tmp_path / f"{name}.txt"
    path.write_text("ZnO\nSnO2\nLi2SnO3\nLi2ZnSn3O8\nLiZn\n")
    return import_file(path, name)


def screen_lines(app) -> list[str]:
    """What the terminal shows now, line by line (the composed screen, as a user sees it)."""
    return [strip.text for strip in app.screen._compositor.render_strips()]


def box_text(app, widget_id: str) -> str:
    """The words a bordered widget shows on screen, its wrapped lines joined with single spaces."""
    region = app.screen.query_one(f"#{widget_id}").region
    lines = screen_lines(app)[region.y : region.bottom]
    return " ".join(" ".join(line[region.x : region.right].strip(" │╭╮╰╯─").split()) for line in lines).strip()


def shown(text: str, app) -> bool:
    """Whether ``text`` is on screen whole, allowing it to wrap at spaces onto the next lines."""
    words = " ".join(text.split())
    borders = str.maketrans("│╭╮╰╯─", "      ")
    flat = " ".join(" ".join(line.translate(borders).split()) for line in screen_lines(app))
    return words in flat


def text_of(widget) -> str:
    """What a Static or Label shows, as plain text."""
    return str(widget.render())


async def wait_for(
    pilot: Pilot, predicate: Callable[[], bool], timeout: float = 180.0, state: Callable[[], str] | None = None
) -> None:
    """Let the app run until ``predicate`` holds (fails after ``timeout`` s: generous, since the first
    test in a fresh environment may be compiling the numba kernels); ``state`` says what the app showed."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the app" + (f"; it shows: {state()}" if state else ""))
        await pilot.pause(0.05)


async def wait_ready(pilot: Pilot, scores: bool = True) -> None:
    """Census finished and, in system mode, the system table filled and (``scores``) its missing rows scored."""
    app = pilot.app
    assert isinstance(app, ChemspaceApp)
    system_done = lambda: app.system_pane is None or app.system_pane.scores is not None  # noqa: E731
    await wait_for(pilot, lambda: app.result is not None and (app.system is None or app.system_rows is not None))
    if scores:
        await wait_for(pilot, system_done)
    await pilot.pause()
