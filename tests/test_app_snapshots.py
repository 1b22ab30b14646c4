"""SVG snapshots of every screen (pytest-textual-snapshot), on deterministic data: system mode Li-Zn-Sn-O,
no elapsed times, no animations, the real projections (PCA). Refresh the baselines with ``--snapshot-update``."""

from __future__ import annotations

from app_helpers import SpyProjector, system_app, wait_for, wait_ready
from textual.pilot import Pilot

from chemspace.tui.app import ChemspaceApp
from chemspace.tui.widgets import PeriodicTable

SIZE = (110, 34)


async def _ready(pilot: Pilot, *keys: str) -> None:
    await wait_ready(pilot)
    if keys:
        await pilot.press(*keys)
    await pilot.pause()


def _quiet(pilot: Pilot) -> None:
    pilot.app.clear_notifications()


def test_census_screen(snap_compare) -> None:
    async def before(pilot: Pilot) -> None:
        await _ready(pilot)

    assert snap_compare(system_app(), terminal_size=SIZE, run_before=before)


def test_periodic_table_screen(snap_compare) -> None:
    async def before(pilot: Pilot) -> None:
        await _ready(pilot, "2")
        pilot.app.query_one(PeriodicTable).cursor = "Zn"
        await pilot.press("a")
        _quiet(pilot)
        await pilot.pause()

    assert snap_compare(system_app(), terminal_size=SIZE, run_before=before)


def test_projection_screen(snap_compare) -> None:
    async def before(pilot: Pilot) -> None:
        await _ready(pilot, "3")
        app = pilot.app
        assert isinstance(app, ChemspaceApp)
        await wait_for(pilot, lambda: "drawn" in str(app.main.query_one("#scatter-status").render()))
        await pilot.pause()

    assert snap_compare(system_app(SpyProjector()), terminal_size=SIZE, run_before=before)


def test_system_screen(snap_compare) -> None:
    async def before(pilot: Pilot) -> None:
        await _ready(pilot, "4")
        await pilot.press("slash", *"Sn3O8", "enter")
        await pilot.pause(0.3)
        await pilot.press("down")
        await pilot.pause()

    assert snap_compare(system_app(), terminal_size=SIZE, run_before=before)


def test_help_screen(snap_compare) -> None:
    async def before(pilot: Pilot) -> None:
        await _ready(pilot, "question_mark")

    assert snap_compare(system_app(), terminal_size=SIZE, run_before=before)


def test_census_screen_narrow(snap_compare) -> None:
    """80x24, the smallest terminal the app is checked at."""

    async def before(pilot: Pilot) -> None:
        await _ready(pilot)

    assert snap_compare(system_app(), terminal_size=(80, 24), run_before=before)
