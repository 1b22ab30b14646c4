"""Make an SVG and a PNG of every screen of the app into this folder.

    .venv/bin/python screenshots/make_screenshots.py [--fast]

Whole space (arities 2-4, ~20 s with a warm JIT cache): the census dashboard (Table 2) at 120x34,
200x60 (the heat map beside it) and 80x24, and the periodic table of binary allowed compositions
(Fig. 1). The whole space's binaries projected with magpie + UMAP (Fig. 2), the cursor on a point.
System mode Li-Zn-Sn-O: the system table (with its scores), the help screen, and every tab at
80x24 (the projection also coloured by score), the system table with ``NO_COLOR=1``. Last, the
real app in tmux with ``TERM=xterm`` (16 colours) at 80x24, captured with its colours and drawn by
rich. ``--fast`` counts binaries only for the whole space.
"""

from __future__ import annotations

import asyncio
import io
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import cairosvg
from rich.console import Console
from rich.text import Text
from textual.pilot import Pilot

from chemspace.core.census import CensusSettings
from chemspace.tui.app import AppOptions, ChemspaceApp
from chemspace.tui.widgets import PeriodicTable

HERE = Path(__file__).resolve().parent
SYSTEM = ("Li", "Zn", "Sn", "O")
Steps = Callable[[Pilot, ChemspaceApp], Awaitable[None]]


async def _until(pilot: Pilot, predicate: Callable[[], bool], timeout: float = 600.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("the app did not get there in time")
        await pilot.pause(0.1)


def _png(svg: Path, width_cells: int) -> None:
    cairosvg.svg2png(url=str(svg), write_to=str(svg.with_suffix(".png")), output_width=width_cells * 12)
    print(f"wrote {svg.name} and {svg.with_suffix('.png').name}")


async def _shoot(app: ChemspaceApp, shots: list[tuple[str, tuple[int, int], Steps]]) -> None:
    """Run the app headless once; for each shot resize, drive it there and save ``name``.svg and .png."""
    app.animation_level = "none"
    async with app.run_test(size=shots[0][1]) as pilot:
        await _until(pilot, lambda: app.result is not None and (app.system is None or app.system_rows is not None))
        for name, size, steps in shots:
            await pilot.resize_terminal(*size)
            await pilot.pause(0.3)
            await steps(pilot, app)
            app.clear_notifications()
            await pilot.pause(0.3)
            svg = HERE / f"{name}.svg"
            app.save_screenshot(str(svg))
            _png(svg, size[0])


async def _tab(pilot: Pilot, app: ChemspaceApp, key: str) -> None:
    if app.screen is not app.main:
        await pilot.press("escape")
    await pilot.press(key)


async def _census(pilot: Pilot, app: ChemspaceApp) -> None:
    await _tab(pilot, app, "1")


async def _periodic(pilot: Pilot, app: ChemspaceApp) -> None:
    await _tab(pilot, app, "2")
    app.main.query_one(PeriodicTable).cursor = "O"


async def _projection(pilot: Pilot, app: ChemspaceApp) -> None:
    await _tab(pilot, app, "3")
    await _until(pilot, lambda: "drawn" in str(app.main.query_one("#scatter-status").render()))
    await pilot.press("right", "right", "up")


async def _system(pilot: Pilot, app: ChemspaceApp) -> None:
    await _tab(pilot, app, "4")
    await _until(pilot, lambda: app.system_pane is not None and app.system_pane.scores is not None)
    if not app.main.query_one("#system-filter").value:
        await pilot.press("slash", *"Sn4+ Zn", "enter")
        await pilot.pause(0.3)
        await pilot.press("down", "down")


async def _projection_by_score(pilot: Pilot, app: ChemspaceApp) -> None:
    await _projection(pilot, app)
    if app.projection_pane.colouring != "score":
        await pilot.press("t")
    await _until(pilot, lambda: app.projection_pane.data is not None and app.projection_pane.data.bands is not None)


async def _help(pilot: Pilot, app: ChemspaceApp) -> None:
    await pilot.press("question_mark")


def _app(settings: CensusSettings, system: tuple[str, ...] | None = None, reducer: str = "pca") -> ChemspaceApp:
    return ChemspaceApp(AppOptions(settings=settings, system=system, reducer=reducer), show_elapsed=False)


def tmux_capture(
    name: str, env: dict[str, str], keys: list[list[str]], size: tuple[int, int] = (80, 24), until: str = ""
) -> None:
    """Run the real app in tmux (its own terminal settings), send keys, wait for ``until`` on screen, capture it."""
    if shutil.which("tmux") is None:
        print(f"no tmux: {name} not made")
        return
    session = f"chemspace-shot-{os.getpid()}"
    app = str(Path(sys.executable).with_name("chemspace-tui"))
    command = " ".join(["env", *(f"{k}={v}" for k, v in env.items()), app, "--system", "-".join(SYSTEM)])
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", str(size[0]), "-y", str(size[1]), command])
    try:
        deadline = time.monotonic() + 300
        while "done" not in _capture(session, colours=False):
            if time.monotonic() > deadline:
                raise TimeoutError("the app in tmux did not finish its census")
            time.sleep(0.5)
        for group in keys:  # one group at a time: a human's pace, not a paste
            subprocess.run(["tmux", "send-keys", "-t", session, *group])
            time.sleep(1.0)
        while until not in _capture(session, colours=False):
            if time.monotonic() > deadline:
                raise TimeoutError(f"the app in tmux never showed {until!r}")
            time.sleep(0.5)
        screen = _capture(session, colours=True)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session])
    console = Console(record=True, width=size[0], file=io.StringIO(), color_system="standard", force_terminal=True)
    console.print(Text.from_ansi(screen), end="")
    svg = HERE / f"{name}.svg"
    svg.write_text(console.export_svg(title=f"chemspace-tui {env.get('TERM', '')} {size[0]}x{size[1]} (tmux)"))
    _png(svg, size[0])


def _capture(session: str, colours: bool) -> str:
    args = ["tmux", "capture-pane", "-p", "-t", session] + (["-e"] if colours else [])
    return subprocess.run(args, capture_output=True, text=True).stdout


async def main(fast: bool) -> None:
    whole = CensusSettings(arities=(2,) if fast else (2, 3, 4), samples=0)
    system = CensusSettings(arities=(2, 3, 4), samples=3000, pool=SYSTEM)
    await _shoot(
        _app(whole),
        [
            ("census", (120, 34), _census),
            ("census-200x60", (200, 60), _census),
            ("census-80x24", (80, 24), _census),
            ("periodic-table", (120, 34), _periodic),
        ],
    )
    binaries = CensusSettings(arities=(2,), samples=3000)  # the whole space's binaries, as the paper's Fig. 2
    await _shoot(_app(binaries, reducer="umap"), [("projection", (120, 34), _projection)])
    await _shoot(
        _app(system, SYSTEM),
        [
            ("system", (120, 34), _system),
            ("help", (120, 34), _help),
            ("periodic-80x24", (80, 24), _periodic),
            ("projection-80x24", (80, 24), _projection),
            ("projection-score-80x24", (80, 24), _projection_by_score),
            ("system-80x24", (80, 24), _system),
        ],
    )
    os.environ["NO_COLOR"] = "1"  # read (and removed) by the app when it starts
    await _shoot(_app(system, SYSTEM), [("system-no-color-80x24", (80, 24), _system)])
    keys = [["4"], ["/"], ["S", "n", "4", "+", " ", "Z", "n", "Enter"], ["Down", "Down"]]
    tmux_capture("system-xterm-80x24", {"TERM": "xterm", "COLORTERM": ""}, keys, until="top ")  # scores shown


if __name__ == "__main__":
    asyncio.run(main("--fast" in sys.argv))
