"""Make an SVG and a PNG of every screen of the app into this folder.

    /work/venv/bin/python screenshots/make_screenshots.py [--fast]

Whole space (arities 2-4, ~20 s with a warm JIT cache): the census dashboard (Table 2) and the
periodic table of binary allowed compositions (Fig. 1). System mode Li-Zn-Sn-O: the projection,
the system table and the help screen. ``--fast`` counts binaries only for the whole-space screens.
The projection uses ``project_samples`` when the core provides it; otherwise the screenshot shows
the app's "projections not available" state, never made-up points.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import cairosvg
from textual.pilot import Pilot

from chemspace.core.census import CensusSettings
from chemspace.tui.app import AppOptions, ChemspaceApp
from chemspace.tui.widgets import PeriodicTable

HERE = Path(__file__).resolve().parent
SYSTEM = ("Li", "Zn", "Sn", "O")


async def _until(pilot: Pilot, predicate: Callable[[], bool], timeout: float = 600.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("the app did not get there in time")
        await pilot.pause(0.1)


async def _shoot(
    name: str,
    app: ChemspaceApp,
    size: tuple[int, int],
    steps: Callable[[Pilot, ChemspaceApp], Awaitable[None]],
) -> None:
    """Run the app headless, drive it to the screen, save ``name``.svg and ``name``.png."""
    app.animation_level = "none"
    async with app.run_test(size=size) as pilot:
        await _until(pilot, lambda: app.result is not None and (app.system is None or app.system_rows is not None))
        await pilot.pause()
        await steps(pilot, app)
        app.clear_notifications()
        await pilot.pause(0.2)
        svg = HERE / f"{name}.svg"
        app.save_screenshot(str(svg))
    cairosvg.svg2png(url=str(svg), write_to=str(HERE / f"{name}.png"), output_width=size[0] * 12)
    print(f"wrote {svg.name} and {name}.png")


async def _nothing(pilot: Pilot, app: ChemspaceApp) -> None:
    return None


async def _periodic(pilot: Pilot, app: ChemspaceApp) -> None:
    await pilot.press("2")
    app.main.query_one(PeriodicTable).cursor = "O"
    await pilot.pause()


async def _projection(pilot: Pilot, app: ChemspaceApp) -> None:
    await pilot.press("3")
    await _until(pilot, lambda: "drawn" in str(app.main.query_one("#scatter-status").render()))


async def _system(pilot: Pilot, app: ChemspaceApp) -> None:
    await pilot.press("4", "slash", *"Sn4+ Zn", "enter")
    await pilot.pause(0.3)
    await pilot.press("down", "down")


async def _help(pilot: Pilot, app: ChemspaceApp) -> None:
    await pilot.press("question_mark")


def _app(settings: CensusSettings, system: tuple[str, ...] | None = None, reducer: str = "pca") -> ChemspaceApp:
    return ChemspaceApp(AppOptions(settings=settings, system=system, reducer=reducer), show_elapsed=False)


async def main(fast: bool) -> None:
    whole = CensusSettings(arities=(2,) if fast else (2, 3, 4), samples=0)
    system = CensusSettings(arities=(2, 3, 4), samples=3000, pool=SYSTEM)
    await _shoot("census", _app(whole), (120, 34), _nothing)
    await _shoot("periodic-table", _app(whole), (120, 34), _periodic)
    await _shoot("census-80x24", _app(system, SYSTEM), (80, 24), _nothing)
    binaries = CensusSettings(arities=(2,), samples=3000)  # the whole space's binaries, as the paper's Fig. 2
    await _shoot("projection", _app(binaries, reducer="umap"), (120, 34), _projection)
    await _shoot("system", _app(system, SYSTEM), (120, 34), _system)
    await _shoot("help", _app(system, SYSTEM), (120, 34), _help)


if __name__ == "__main__":
    asyncio.run(main("--fast" in sys.argv))
