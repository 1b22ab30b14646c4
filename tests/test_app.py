"""The Textual app driven by the pilot: launch, live counts equal to the headless census, selectors,
cancel, export, the system table's filters, failures as notifications, and responsiveness."""

from __future__ import annotations

import asyncio
import csv
import json
import re

import pytest
from app_helpers import SYSTEM, SpyProjector, make_app, system_app, wait_for, wait_ready
from textual.widgets import DataTable, Input, Select
from textual.worker import WorkerState

from chemspace.core.census import CensusSettings, run_census
from chemspace.core.system import system_rows
from chemspace.tui.app import AppOptions, ChemspaceApp
from chemspace.tui.widgets import CensusPanel, PeriodicTable, ScatterPanel, SystemExplorer


def run(coro) -> None:
    asyncio.run(coro)


def counts(result_json: dict) -> dict:
    """Per-arity counts without timings or samples."""
    keep = ("unique", "allowed", "forbidden", "processed", "complete", "known", "standard", "missing")
    return {a: {k: v.get(k) for k in keep} for a, v in result_json["arities"].items()}


def test_whole_space_binary_counts_equal_headless_census() -> None:
    settings = CensusSettings(arities=(2,), samples=50)
    headless = run_census(settings)

    async def scenario() -> None:
        app = make_app(settings)
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_ready(pilot)
            assert app.first_counts_at is not None
            doc = app.census_json()
            assert counts(doc) == counts(headless.to_json())
            assert doc["element_counts"] == headless.to_json()["element_counts"]
            assert app.censuses[2].allowed == 13_464  # Table 2
            table = app.main.query_one(CensusPanel).counts_table()
            cells = [str(c) for c in table.columns[1].cells]
            assert "13,464 (5.96%)" in cells
            assert "—" in cells  # known-dependent rows absent without a known set, not zero

    run(scenario())


def test_switch_arity_and_label_update_the_periodic_table() -> None:
    async def scenario() -> None:
        app = system_app()
        async with app.run_test(size=(120, 36)) as pilot:
            await wait_ready(pilot)
            await pilot.press("2")
            table = app.main.query_one(PeriodicTable)
            assert table.counts == app.censuses[2].element_counts("allowed")
            await pilot.press("a")
            assert app.arity == 3
            assert app.main.query_one("#pt-arity", Select).value == 3
            assert table.counts == app.censuses[3].element_counts("allowed")
            await pilot.press("l")
            assert app.label == "forbidden"
            assert app.main.query_one("#pt-label", Select).value == "forbidden"
            assert table.counts == app.censuses[3].element_counts("forbidden")
            await pilot.press("l", "l")
            assert app.label == "allowed"
            await pilot.press("a", "a")
            assert app.arity == 2

    run(scenario())


def test_system_table_filters_sorts_and_element_selection() -> None:
    expected = system_rows("Li-Zn-Sn-O")

    async def scenario() -> None:
        app = system_app()
        async with app.run_test(size=(120, 36)) as pilot:
            await wait_ready(pilot)
            explorer = app.main.query_one(SystemExplorer)
            assert len(explorer.shown_rows) == len(expected) == 5837
            await pilot.press("4")
            app.main.query_one("#system-label", Select).value = "allowed"
            await pilot.pause()
            assert len(explorer.shown_rows) == 728
            app.main.query_one("#system-arity", Select).value = "4"
            await pilot.pause()
            assert len(explorer.shown_rows) == sum(r.allowed and r.arity == 4 for r in expected)
            await pilot.press("slash")
            await pilot.press(*"Li2ZnSn3O8", "enter")
            await wait_for(pilot, lambda: len(explorer.shown_rows) == 1)
            assert explorer.shown_rows[0].oxidation_text() == "Li +1, Zn +2, Sn +4, O -2"
            assert "Li +1, Zn +2, Sn +4, O -2" in str(app.main.query_one("#system-detail").render())
            # clear the text and label filters, then pick Zn in the periodic table
            app.main.query_one("#system-filter", Input).value = ""
            app.main.query_one("#system-label", Select).value = "all"
            app.main.query_one("#system-arity", Select).value = "all"
            await pilot.pause(0.3)
            assert len(explorer.shown_rows) == 5837
            await pilot.press("2")
            app.main.query_one(PeriodicTable).cursor = "Zn"
            await pilot.press("enter")
            assert len(explorer.shown_rows) == sum("Zn" in r.composition.symbols for r in expected)
            await pilot.press("enter")  # selecting it again clears the filter
            assert len(explorer.shown_rows) == 5837
            # sort: by formula, then reversed
            await pilot.press("4", "s")
            table = app.main.query_one(DataTable)
            first = [str(table.get_row_at(i)[0]) for i in range(3)]
            assert first == sorted(r.formula for r in expected)[:3] or first == sorted(first)
            await pilot.press("s")
            last = str(table.get_row_at(0)[0])
            assert last == max((r.formula for r in expected), key=str.lower)
            # escape leaves the filter box, so digit keys switch tabs again
            await pilot.press("slash", "escape", "1")
            assert app.main.query_one("#tabs").active == "census"

    run(scenario())


def test_projection_selectors_and_failure_notification() -> None:
    projector = SpyProjector()

    async def scenario() -> None:
        app = system_app(projector, warm_up_reducers=True)
        async with app.run_test(size=(120, 36)) as pilot:
            await wait_ready(pilot)
            await pilot.press("3")
            panel = app.main.query_one(ScatterPanel)
            await wait_for(pilot, lambda: "drawn" in str(panel.query_one("#scatter-status").render()))
            assert projector.calls == [("magpie", "pca")]
            # thinning keeps one point per screen cell and colour: on a 120x36 screen most of 211 survive
            sampled, drawn = re.findall(
                r"([\d,]+) (?:binary samples|drawn)", str(panel.query_one("#scatter-status").render())
            )
            assert int(sampled.replace(",", "")) == 211 and int(drawn) > 150
            await pilot.press("d")
            await wait_for(pilot, lambda: len(projector.calls) == 2)
            assert projector.calls[-1] == ("magpie", "tsne")
            await pilot.press("m")
            await wait_for(pilot, lambda: len(projector.calls) == 3)
            assert projector.calls[-1] == ("mat2vec", "tsne")
            await wait_for(pilot, lambda: "mat2vec + tsne: " in str(panel.query_one("#scatter-status").render()))
            await pilot.press("o")
            assert app.colouring == "anion"
            assert "oxide" in str(panel.query_one("#scatter-legend").render())
            await pilot.press("a")
            await wait_for(pilot, lambda: len(projector.calls) == 4)
            projector.fail = True
            await pilot.press("d")
            await wait_for(pilot, lambda: any("projection failed" in n.message for n in app._notifications))
            assert app.is_running  # no traceback, still alive
            # opening the tab started the reducer warm-up (t-SNE and UMAP loaded in the background)
            assert app.reducer_warm_up is not None
            await wait_for(pilot, lambda: app.reducer_warm_up.is_finished)
            assert app.reducer_warm_up.state == WorkerState.SUCCESS

    run(scenario())


def test_a_burst_of_projection_keys_computes_one_projection_at_a_time() -> None:
    """m a a d a m in one burst: the app stays responsive, never runs two projections at once and
    ends on the last selection (a freeze seen by a tester: workers piled up and starved the UI)."""
    projector = SpyProjector()

    async def scenario() -> None:
        app = system_app(projector)
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_ready(pilot)
            await pilot.press("3", "m", "a", "a", "d", "a", "m")
            panel = app.main.query_one(ScatterPanel)
            # magpie -> mat2vec -> megnet16; binary -> ternary -> quaternary -> binary; pca -> tsne
            assert (app.embedding, app.arity, app.reducer) == ("megnet16", 2, "tsne")
            await wait_for(pilot, lambda: "megnet16 + tsne: " in str(panel.query_one("#scatter-status").render()))
            assert projector.most_at_once == 1
            await pilot.press("1")
            assert app.main.query_one("#tabs").active == "census"

    run(scenario())


def test_projection_status_reports_compositions_without_vectors() -> None:
    """magpie has no vector for Cf or Es: the status says how many samples it skipped, as `project` does."""
    settings = CensusSettings(arities=(2,), samples=200, pool=("Li", "O", "Cf", "Es", "Na", "Cl"))

    async def scenario() -> None:
        app = make_app(settings)
        async with app.run_test(size=(140, 30)) as pilot:
            await wait_ready(pilot)
            await pilot.press("3")
            panel = app.main.query_one(ScatterPanel)
            await wait_for(pilot, lambda: "drawn" in str(panel.query_one("#scatter-status").render()))
            status = str(panel.query_one("#scatter-status").render())
            samples = app._samples_for(app.censuses[2])
            skipped = sum(1 for comps in samples.values() for c in comps if {"Cf", "Es"} & set(c.symbols))
            assert skipped > 0 and f"{skipped:,} skipped (no magpie vector)" in status

    run(scenario())


def test_cancel_keeps_partial_counts() -> None:
    settings = CensusSettings(arities=(3, 4), samples=0)

    async def scenario() -> None:
        app = make_app(settings)
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_for(pilot, lambda: 3 in app.censuses and app.censuses[3].done > 0)
            await pilot.press("c")
            await wait_for(pilot, lambda: app.result is not None, timeout=30)
            assert app.result is not None and app.result.cancelled
            doc = app.census_json()
            assert doc["cancelled"] is True
            partial = [c for c in app.result.arities.values() if not c.complete]
            assert partial and 0 < partial[0].done < partial[0].unique
            panel = app.main.query_one(CensusPanel)
            assert any("(partial)" in str(col.header) for col in panel.counts_table().columns)
            assert "cancelled" in str(panel.query_one("#census-status").render())
            # re-run starts from scratch
            await pilot.press("r")
            assert app.running and app.result is None
            await pilot.press("c")
            await wait_for(pilot, lambda: app.result is not None, timeout=30)

    run(scenario())


def test_export_census_json_and_system_csv(tmp_path) -> None:
    async def scenario() -> None:
        app = system_app()
        async with app.run_test(size=(120, 36)) as pilot:
            await wait_ready(pilot)
            target = tmp_path / "census.json"
            await pilot.press("e")
            app.screen.query_one(Input).value = str(target)
            await pilot.press("enter")
            await wait_for(pilot, target.exists)
            doc = json.loads(target.read_text())
            assert doc["arities"]["4"]["allowed"] == 500
            assert doc["settings"]["pool"] == list(SYSTEM)

            await pilot.press("4")
            app.main.query_one("#system-label", Select).value = "allowed"
            await pilot.pause()
            rows_path = tmp_path / "rows.csv"
            await pilot.press("e")
            app.screen.query_one(Input).value = str(rows_path)
            await pilot.press("enter")
            await wait_for(pilot, rows_path.exists)
            with rows_path.open() as fh:
                rows = list(csv.DictReader(fh))
            assert len(rows) == 728 and all(r["allowed"] == "true" for r in rows)
            assert not list(tmp_path.glob(".*part"))  # temp files renamed into place

            bad = tmp_path / "rows.txt"
            await pilot.press("e")
            app.screen.query_one(Input).value = str(bad)
            await pilot.press("enter")
            await wait_for(pilot, lambda: any("export failed" in n.message for n in app._notifications))
            assert not bad.exists()

    run(scenario())


def test_help_screen_and_quit() -> None:
    async def scenario() -> None:
        app = system_app()
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_ready(pilot)
            await pilot.press("question_mark")
            assert type(app.screen).__name__ == "HelpScreen"
            await pilot.press("escape")
            assert type(app.screen).__name__ == "MainScreen"
            await pilot.press("q")
            await pilot.pause()
        assert app.return_code in (None, 0)

    run(scenario())


def test_bad_settings_do_not_start() -> None:
    from chemspace.core.errors import InputError

    with pytest.raises(InputError):
        ChemspaceApp(AppOptions(settings=CensusSettings(arities=(9,))))
