"""The "fetch known materials" dialog, driven by Textual's pilot in a tiny app, against the stand-in."""

from __future__ import annotations

import asyncio

from textual.app import App
from textual.widgets import Input, Label, Select

from chemspace.core.fetch_journal import journal_path
from chemspace.core.known import cached_names, load_set
from chemspace.core.optimade_client import FetchLimits, Provider
from chemspace.tui.fetch_screen import FetchKnownScreen

from optimade_servers import StandIn, standin_server, structure

MISSING = object()


class DialogApp(App[None]):
    """Opens the dialog at start and keeps what it dismisses with."""

    def __init__(self, screen: FetchKnownScreen) -> None:
        super().__init__()
        self.dialog = screen
        self.result: object = MISSING

    def on_mount(self) -> None:
        self.push_screen(self.dialog, self._done)

    def _done(self, result: object) -> None:
        self.result = result


def _docs(n: int) -> list[dict]:
    return [structure(f"s-{i}", {"Li": 1 + i % 7, "O": 1 + i % 5, "Zn": 1 + i % 3}, None) for i in range(n)]


async def _until(condition, pilot, limit_s: float = 120.0) -> None:
    """Wait (generously: the machine may be loaded) until ``condition()`` holds."""
    for _ in range(int(limit_s / 0.05)):
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError("condition not reached")


def _choices(url: str) -> dict[str, Provider]:
    return {"standin": Provider("standin", "stand-in", url, page_limit=20), "other": Provider("other", "x", url)}


def test_fetch_from_the_picker_caches_and_returns_the_set() -> None:
    asyncio.run(_test_fetch_from_the_picker_caches_and_returns_the_set())


async def _test_fetch_from_the_picker_caches_and_returns_the_set() -> None:
    state = StandIn(_docs(200), max_page=20)
    with standin_server(state) as url:
        app = DialogApp(FetchKnownScreen(_choices(url)))
        async with app.run_test() as pilot:
            app.dialog.query_one("#fetch-provider", Select).value = "standin"
            app.dialog.query_one("#fetch-name", Input).value = "picked"
            await pilot.click("#fetch-go")
            await _until(lambda: app.result is not MISSING, pilot)
    assert app.result is not None and app.result.name == "picked"
    assert "picked" in cached_names() and load_set("picked").entry_count == 200
    assert sum(r.startswith("/v1/structures") for r in state.requests) == 10


def test_cancel_stops_the_fetch_and_keeps_nothing() -> None:
    asyncio.run(_test_cancel_stops_the_fetch_and_keeps_nothing())


async def _test_cancel_stops_the_fetch_and_keeps_nothing() -> None:
    state = StandIn(_docs(800), max_page=20, page_delay=0.2)  # 40 pages, 8 s at least: time to cancel
    with standin_server(state) as url:
        app = DialogApp(FetchKnownScreen(_choices(url)))
        async with app.run_test() as pilot:
            app.dialog.query_one("#fetch-provider", Select).value = "standin"
            await pilot.click("#fetch-go")
            await _until(lambda: "structures" in str(app.dialog.query_one("#fetch-status", Label).render()), pilot)
            await pilot.press("escape")
            await _until(lambda: app.result is not MISSING, pilot)
            await asyncio.sleep(0.5)
    assert app.result is None and "standin" not in cached_names() and journal_path("standin").exists()
    assert sum(r.startswith("/v1/structures") for r in state.requests) < 40


def test_a_bad_url_is_one_line_and_the_dialog_stays() -> None:
    asyncio.run(_test_a_bad_url_is_one_line_and_the_dialog_stays())


async def _test_a_bad_url_is_one_line_and_the_dialog_stays() -> None:
    with standin_server(StandIn([], mode="html")) as url:
        app = DialogApp(FetchKnownScreen(_choices(url), limits=FetchLimits(retries=1)))
        async with app.run_test() as pilot:
            app.dialog.query_one("#fetch-url", Input).value = url
            await pilot.click("#fetch-go")
            status = app.dialog.query_one("#fetch-status", Label)
            await _until(lambda: "error" in str(status.render()), pilot)
            assert "does not answer as an OPTIMADE API" in str(status.render())
            assert app.result is MISSING and not app.dialog.running
            await pilot.press("escape")
            await _until(lambda: app.result is not MISSING, pilot)
    assert app.result is None


def test_the_shipped_providers_are_offered_with_mp_first_choice() -> None:
    asyncio.run(_test_the_shipped_providers_are_offered_with_mp_first_choice())


async def _test_the_shipped_providers_are_offered_with_mp_first_choice() -> None:
    app = DialogApp(FetchKnownScreen())
    async with app.run_test() as pilot:
        await pilot.pause()
        select = app.dialog.query_one("#fetch-provider", Select)
        assert select.value == "mp"
        assert set(app.dialog.choices) >= {"mp", "oqmd", "alexandria", "cod", "jarvis", "nomad"}
        await pilot.press("escape")
        await _until(lambda: app.result is not MISSING, pilot)
    assert app.result is None


def test_a_bad_set_name_is_one_line() -> None:
    asyncio.run(_test_a_bad_set_name_is_one_line())


async def _test_a_bad_set_name_is_one_line() -> None:
    app = DialogApp(FetchKnownScreen(_choices("http://127.0.0.1:9")))
    async with app.run_test() as pilot:
        app.dialog.query_one("#fetch-provider", Select).value = "standin"
        app.dialog.query_one("#fetch-name", Input).value = "a b"
        await pilot.click("#fetch-go")
        await pilot.pause()
        assert "invalid set name" in str(app.dialog.query_one("#fetch-status", Label).render())
        assert not app.dialog.running
