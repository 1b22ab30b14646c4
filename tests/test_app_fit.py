"""The app at 80x24 as a newcomer sees it: every tab's key lines, selector values, detail panes, keys and
status lines on screen whole (read from the composed screen, not from the widgets); the heat key's levels;
the check box's category; scores told apart; a known set loaded without the label selector spinning;
quitting while a projection computes."""

from __future__ import annotations

import asyncio
import math
import threading
from dataclasses import replace

from app_helpers import (
    SYSTEM,
    SpyProjector,
    box_text,
    imported_set,
    make_app,
    screen_lines,
    shown,
    system_app,
    text_of,
    wait_for,
    wait_ready,
)
from textual.widgets import Input, Select
from textual.worker import WorkerState

from chemspace.core.census import CensusSettings
from chemspace.core.composition import parse_formula
from chemspace.core.rule import Rule, category
from chemspace.core.system import system_rows
from chemspace.tui.formatting import top_share_text
from chemspace.tui.panes.periodic import PeriodicPane
from chemspace.tui.screens import CheckScreen
from chemspace.tui.widgets import CensusPanel, PeriodicTable, SystemExplorer
from chemspace.tui.widgets.periodic_table import HEAT_GLYPHS, heat_key, heat_level, level_floors
from chemspace.tui.widgets.style import count_text

from smact_reference import smact_verdict

SMALL = (80, 24)
#: Keys the footer must show on every tab at 80 columns.
ESSENTIAL_KEYS = ("e Export", "? Help", "q Quit")


def run(coro) -> None:
    asyncio.run(coro)


def footer(app) -> str:
    return screen_lines(app)[-1]


def test_every_tab_at_80x24_shows_its_keys_selectors_details_and_status_whole(tmp_path) -> None:
    known = imported_set(tmp_path)
    rows = system_rows("-".join(SYSTEM), known=known)
    witnessed = next(r for r in rows if r.witness is not None)

    async def scenario() -> None:
        app = system_app(SpyProjector(), known=known)
        async with app.run_test(size=SMALL) as pilot:
            await wait_ready(pilot)
            for tab in ("1", "2", "3", "4"):
                await pilot.press(tab)
                await pilot.pause()
                for key in ESSENTIAL_KEYS:
                    assert key in footer(app), (tab, footer(app))

            # system tab: each label selector value whole, and a forbidden row's witness
            label = app.main.query_one("#system-label", Select)
            for text, value in label._options:
                label.value = value
                await pilot.pause()
                assert shown(str(text), app), (text, screen_lines(app)[3])
            label.value = "all"
            box = app.main.query_one("#system-filter", Input)
            assert shown(box.placeholder, app)  # the filter's examples, whole
            box.value = witnessed.formula
            explorer = app.main.query_one(SystemExplorer)
            await wait_for(pilot, lambda: explorer.shown_rows[:1] == [witnessed])
            await pilot.pause()
            detail = box_text(app, "system-detail")
            assert witnessed.witness.text() in detail and f"not in {known.name}" in detail

            # periodic tab: the element's numbers for every arity, and the colour scale's key
            await pilot.press("2")
            table = app.main.query_one(PeriodicTable)
            table.cursor = "Zn"
            await pilot.pause()
            detail = box_text(app, "element-detail")
            for arity, census in app.censuses.items():
                unique = census.element_counts("unique")["Zn"]
                assert count_text(unique) in detail, (arity, detail)
            assert {"Binary", "Ternary", "Quaternary"} <= set(detail.split())
            key = heat_key(table.top).plain
            assert shown(key, app), key
            pt_label = app.main.query_one("#pt-label", Select)
            for text, value in pt_label._options:  # unique, the labels, known and the four categories
                pt_label.value = value
                await pilot.pause()
                assert shown(str(text), app) and shown(heat_key(table.top).plain, app), text

            # projection tab: the status line, with a highlight count, whole
            await pilot.press("3")
            pane = app.projection_pane
            await wait_for(pilot, lambda: "drawn" in text_of(app.main.query_one("#scatter-status")))
            pane.highlight_text("Zn")
            await pilot.pause()
            pane.set_status(pane.query_one("#scatter-status").render().plain + "; and a long tail to wrap")
            await pilot.pause()
            assert shown(text_of(app.main.query_one("#scatter-status")), app)

    run(scenario())


def test_a_five_element_census_table_fits_80_columns() -> None:
    system = ("Li", "Na", "Zn", "Sn", "O")
    settings = CensusSettings(arities=(2, 3, 4, 5), samples=0, pool=system)

    async def scenario() -> None:
        app = make_app(settings, system)
        async with app.run_test(size=SMALL) as pilot:
            await wait_ready(pilot, scores=False)
            panel = app.main.query_one(CensusPanel)
            table = panel.fitted_table(panel.content_size.width)
            for column in table.columns:
                assert shown(str(column.header), app)
                for cell in column.cells:
                    assert shown(str(cell), app), cell
            # cancelled during the quinary pass: '(partial)' headers would not fit, a star explained below does
            for arity in (4, 5):
                panel.update_census(replace(app.censuses[arity], complete=False, phase="cancelled"))
            panel.finish(cancelled=True)
            await pilot.pause()
            table = panel.fitted_table(panel.content_size.width)
            assert [str(c.header) for c in table.columns][-2:] == ["Quaternary*", "Quinary*"]
            for column in table.columns:
                for cell in column.cells:
                    assert shown(str(cell), app), cell
            assert shown(str(table.caption), app) and "%" in str(list(table.columns[-1].cells)[1])
            # with less room the table drops the shares before it would clip a count
            narrow = panel.fitted_table(60)
            assert app.console.measure(narrow).maximum <= 60
            assert not any("%" in str(cell) for column in narrow.columns for cell in column.cells)

    run(scenario())


def test_heat_key_levels_are_distinct_and_each_is_reached_from_its_floor() -> None:
    for top in [*range(1, 400), 13_993_099_343, 117_000_000]:
        floors = level_floors(top)
        lows = list(floors.values())
        assert lows == sorted(set(lows)), top  # distinct, ascending
        for level, low in floors.items():
            assert heat_level(low, top) == level and (low == 1 or heat_level(low - 1, top) < level), (top, level)
        if top < 400:  # every count 1..top shows a colour the key lists
            assert {heat_level(v, top) for v in range(1, top + 1)} == set(floors), top
        text = heat_key(top, 78).plain
        assert text.count("+") == len(floors) and len(text) <= 78, text
    assert "▁" not in heat_key(8).plain and f"{HEAT_GLYPHS[2]}1+" in heat_key(8).plain  # 8: no count is level 1


def test_check_box_gives_the_category_and_the_known_entries(tmp_path) -> None:
    known = imported_set(tmp_path)
    listed = {parse_formula(f) for f in (tmp_path / "icsd.txt").read_text().split()}

    async def scenario() -> None:
        app = system_app(known=known)
        async with app.run_test(size=SMALL) as pilot:
            await wait_ready(pilot, scores=False)
            await pilot.press("k")
            assert isinstance(app.screen, CheckScreen)
            for formula in ("ZnO", "LiZn", "Li2ZnO2", "Li2ZnSnO", "Sn2O3"):
                comp = parse_formula(formula)
                app.screen.query_one(Input).value = formula
                await pilot.press("enter")
                result = text_of(app.screen.query_one("#check-result"))
                expected = category(bool(smact_verdict(comp, Rule())), comp in listed)
                assert f"category: {expected}" in result.replace("● ", "").replace("○ ", "").replace("◆ ", "").replace(
                    "· ", ""
                ), result
                assert (f"in {known.name}: {comp.formula}" if comp in listed else f"not in {known.name}") in result
                assert shown(result.splitlines()[-1], app)  # the category line is on screen at 80x24
        app2 = system_app()
        async with app2.run_test(size=SMALL) as pilot:
            await wait_ready(pilot, scores=False)
            await pilot.press("k")
            app2.screen.query_one(Input).value = "ZnO"
            await pilot.press("enter")
            assert "no known-materials set loaded" in text_of(app2.screen.query_one("#check-result"))

    run(scenario())


def test_score_text_keeps_the_best_rows_apart() -> None:
    assert top_share_text(1 - 4.2e-5) == "top 0.0042%"
    assert top_share_text(1 - 5.1e-5) == "top 0.0051%"
    assert top_share_text(1 - 3.1e-9) == "top 0.00000031%"  # plain, as the CLI's Top column
    assert top_share_text(0.9957) == "top 0.43%"
    assert top_share_text(0.5) == "top 50%"
    assert top_share_text(0.0) == "top 100%"
    assert top_share_text(float("-inf")) == "—"

    async def scenario() -> None:
        app = system_app()
        async with app.run_test(size=SMALL) as pilot:
            await wait_ready(pilot)
            scores = app.system_pane.scores
            shares = {f: 100 * (1 - s) for f, s in scores.items() if math.isfinite(s)}
            best = sorted(shares, key=shares.get)[:20]
            texts = {f: top_share_text(scores[f]) for f in best}
            for a in best:  # shares 10% apart or more read differently, however small
                for b in best:
                    if shares[b] > 1.1 * shares[a]:
                        assert texts[a] != texts[b], (a, b, texts[a])
            assert len(set(texts.values())) > 1 and not any("<" in t for t in texts.values())
            await pilot.press("4", "t")
            await pilot.pause()
            assert shown(texts[best[0]], app)  # best first, its score on screen

    run(scenario())


def test_loading_a_known_set_leaves_the_label_selector_at_rest(tmp_path, monkeypatch) -> None:
    """set_labels changes the selector twice; acting on the stale change once made the two values chase
    each other on the UI thread forever, which starved the scoring worker (20x slower)."""
    changes: list[object] = []
    handler = PeriodicPane._select_changed

    def counting(self, event):
        changes.append(event.value)
        return handler(self, event)

    monkeypatch.setattr(PeriodicPane, "_select_changed", counting)

    async def scenario() -> None:
        app = system_app()
        async with app.run_test(size=SMALL) as pilot:
            await wait_ready(pilot)
            await app.set_known(imported_set(tmp_path))
            await wait_ready(pilot)
            await pilot.pause(0.5)
            changes.clear()
            await pilot.pause(0.5)
            assert changes == []
            pane = app.periodic_pane
            assert pane.label == app.main.query_one("#pt-label", Select).value == "allowed"
            assert "standard" in pane.labels

    run(scenario())


class BlockingProjector(SpyProjector):
    """A projection that ignores its cancel flag until released, like a UMAP fit in progress."""

    def __init__(self) -> None:
        super().__init__()
        self.started = threading.Event()
        self.release = threading.Event()
        self.returned = threading.Event()

    def __call__(self, samples, embedding, reducer, random_state=42, cancel=None):
        self.started.set()
        self.release.wait(120)
        self.returned.set()
        return super().__call__(samples, embedding, reducer, random_state, cancel)


def test_quit_while_a_projection_computes_does_not_wait_for_it() -> None:
    projector = BlockingProjector()

    async def scenario() -> None:
        app = system_app(projector)
        async with app.run_test(size=SMALL) as pilot:
            await wait_ready(pilot)
            await pilot.press("3")
            await wait_for(pilot, projector.started.is_set)
            workers = list(app.workers)
            await pilot.press("q")
        # the app has exited while the projection still blocks: no worker is left running
        assert not projector.returned.is_set()
        assert all(w.state is not WorkerState.RUNNING for w in workers)
        assert app.projection_pane.key is not None and not app.projection_pane.projections

    try:
        run(scenario())
    finally:
        projector.release.set()


def test_the_footer_gives_the_palette_hint_room_to_the_keys_below_100_columns() -> None:
    async def scenario() -> None:
        app = system_app()
        async with app.run_test(size=(120, 30)) as pilot:
            await wait_ready(pilot, scores=False)
            await pilot.press("3")
            assert "palette" in footer(app)
            await pilot.resize_terminal(*SMALL)
            await pilot.pause(0.2)
            assert "palette" not in footer(app)
            for key in ("a Arity", "m Embedding", "d Reducer", "o Colour", "t Score", "f Find", *ESSENTIAL_KEYS):
                assert key in footer(app), footer(app)
            await pilot.resize_terminal(120, 30)
            await pilot.pause(0.2)
            assert "palette" in footer(app)

    run(scenario())


def test_whole_space_element_detail_fits_80x24_without_ellipses(tmp_path) -> None:
    """The whole space's quaternaries (656 million unique compositions with O) in the element detail."""
    settings = CensusSettings(arities=(2, 3, 4), samples=0)

    async def scenario() -> None:
        app = make_app(settings, known=imported_set(tmp_path))
        async with app.run_test(size=SMALL) as pilot:
            await wait_ready(pilot, scores=False)
            await pilot.press("2")
            app.main.query_one(PeriodicTable).cursor = "O"
            await pilot.pause()
            detail = box_text(app, "element-detail")
            assert "…" not in detail, detail
            for name in (
                "Binary",
                "Ternary",
                "Quaternary",
                "allowed",
                "standard",
                "missing",
                "interesting",
                "unlikely",
            ):
                assert name in detail.split(), detail
            assert f"(max {app.main.query_one(PeriodicTable).top:,};" in box_text(app, "heat-key")

    run(scenario())
