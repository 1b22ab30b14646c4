"""SVG snapshots of every tab at 80x24 (the smallest terminal the app must fit), the census at 200x60
(the room used) and the system tab without colour, on deterministic data: system mode Li-Zn-Sn-O, no
elapsed times, no animations, the real projections (PCA). Refresh with ``--snapshot-update``."""

from __future__ import annotations

from app_helpers import SpyProjector, system_app, text_of, wait_for, wait_ready
from textual.pilot import Pilot

from chemspace.tui.app import ChemspaceApp
from chemspace.tui.widgets import PeriodicTable

SMALL = (80, 24)
LARGE = (200, 60)


async def _ready(pilot: Pilot, *keys: str) -> None:
    await wait_ready(pilot)
    if keys:
        await pilot.press(*keys)
    await pilot.pause()


async def _quiet(pilot: Pilot) -> None:
    pilot.app.clear_notifications()
    await pilot.pause()


async def _projection_drawn(pilot: Pilot) -> None:
    app = pilot.app
    assert isinstance(app, ChemspaceApp)
    await _ready(pilot, "3")
    await wait_for(pilot, lambda: "drawn" in text_of(app.main.query_one("#scatter-status")))
    await pilot.press("right")
    await _quiet(pilot)


def test_census_80x24(snap_compare) -> None:
    assert snap_compare(system_app(), terminal_size=SMALL, run_before=_ready)


def test_census_200x60_shows_the_elements_beside(snap_compare) -> None:
    assert snap_compare(system_app(), terminal_size=LARGE, run_before=_ready)


def test_periodic_table_80x24(snap_compare) -> None:
    async def before(pilot: Pilot) -> None:
        await _ready(pilot, "2")
        pilot.app.query_one(PeriodicTable).cursor = "Zn"
        await pilot.press("a")
        await _quiet(pilot)

    assert snap_compare(system_app(), terminal_size=SMALL, run_before=before)


def test_projection_80x24_with_the_point_cursor(snap_compare) -> None:
    assert snap_compare(system_app(SpyProjector()), terminal_size=SMALL, run_before=_projection_drawn)


def test_projection_200x60(snap_compare) -> None:
    assert snap_compare(system_app(SpyProjector()), terminal_size=LARGE, run_before=_projection_drawn)


async def _system_filtered(pilot: Pilot) -> None:
    await _ready(pilot, "4")
    await pilot.press("slash", *"Sn3O8", "enter")
    await pilot.pause(0.3)
    await pilot.press("down")
    await _quiet(pilot)


def test_system_80x24(snap_compare) -> None:
    assert snap_compare(system_app(), terminal_size=SMALL, run_before=_system_filtered)


def test_system_no_color_tells_labels_apart_by_glyph(snap_compare, monkeypatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = system_app()
    assert app.no_color
    assert snap_compare(app, terminal_size=SMALL, run_before=_system_filtered)


def test_help_80x24(snap_compare) -> None:
    assert snap_compare(system_app(), terminal_size=SMALL, run_before=lambda pilot: _ready(pilot, "question_mark"))


def test_export_dialog_80x24(snap_compare, monkeypatch) -> None:
    monkeypatch.setenv("CHEMSPACE_EXPORT_DIR", "/exports")
    assert snap_compare(system_app(), terminal_size=SMALL, run_before=lambda pilot: _ready(pilot, "4", "e"))


def test_system_80x24_best_first(snap_compare) -> None:
    """t: the missing compositions by plausibility score, best first, with the score column."""
    assert snap_compare(system_app(), terminal_size=SMALL, run_before=lambda pilot: _ready(pilot, "4", "t"))


def test_projection_80x24_coloured_by_score(snap_compare) -> None:
    async def before(pilot: Pilot) -> None:
        await _projection_drawn(pilot)
        await pilot.press("t")
        pane = pilot.app.projection_pane  # type: ignore[attr-defined]
        await wait_for(pilot, lambda: pane.data is not None and pane.data.bands is not None)
        await _quiet(pilot)

    assert snap_compare(system_app(SpyProjector()), terminal_size=SMALL, run_before=before)
