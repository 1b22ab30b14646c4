"""The Textual app driven by the pilot: launch, live counts equal to the headless census, the panes' keys,
cancel, export of what each tab shows, the system filter and detail pane, the projection cursor and
highlights, help and palette generated from the bindings, failures as notifications."""

from __future__ import annotations

import asyncio
import csv
import json
import math
import re

import numpy as np
import pytest
from app_helpers import SYSTEM, SpyProjector, imported_set, make_app, system_app, text_of, wait_for, wait_ready
from textual.widgets import DataTable, Input, Select
from textual.worker import WorkerState

from chemspace.core.census import CensusSettings, run_census
from chemspace.core.composition import parse_formula
from chemspace.core.explain import assignment_text, explain
from chemspace.core.rule import CATEGORIES
from chemspace.core.system import system_rows
from chemspace.tui.app import AppOptions, ChemspaceApp
from chemspace.tui.keys import key_display
from chemspace.tui.screens import CheckScreen, HelpScreen
from chemspace.tui.widgets import CensusPanel, PeriodicTable, ProjectionPlot, SystemExplorer


def run(coro) -> None:
    asyncio.run(coro)


def counts(result_json: dict) -> dict:
    """Per-arity counts without timings or samples."""
    keep = ("unique", "allowed", "forbidden", "processed", "complete", "known", "standard", "missing")
    return {a: {k: v.get(k) for k in keep} for a, v in result_json["arities"].items()}


def status(app: ChemspaceApp) -> str:
    return text_of(app.main.query_one("#scatter-status"))


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


def test_periodic_pane_keys_cycle_arity_and_label() -> None:
    async def scenario() -> None:
        app = system_app()
        async with app.run_test(size=(120, 36)) as pilot:
            await wait_ready(pilot)
            await pilot.press("2")
            pane = app.periodic_pane
            table = app.main.query_one(PeriodicTable)
            assert table.has_focus  # the pane's keys are live and shown in the footer
            assert table.counts == app.censuses[2].element_counts("allowed")
            await pilot.press("a")
            assert pane.arity == 3 and app.main.query_one("#pt-arity", Select).value == 3
            assert table.counts == app.censuses[3].element_counts("allowed")
            await pilot.press("l")
            assert pane.label == "forbidden" and app.main.query_one("#pt-label", Select).value == "forbidden"
            assert table.counts == app.censuses[3].element_counts("forbidden")
            # the heat map's key gives its scale: the largest count shown
            top = max(table.counts.values())
            assert f"max {top:,};" in text_of(app.main.query_one("#heat-key"))

    run(scenario())


def test_enter_on_the_periodic_table_adds_the_element_to_the_system_filter() -> None:
    expected = system_rows("Li-Zn-Sn-O")

    async def scenario() -> None:
        app = system_app()
        async with app.run_test(size=(120, 36)) as pilot:
            await wait_ready(pilot)
            await pilot.press("2")
            app.main.query_one(PeriodicTable).cursor = "Zn"
            await pilot.press("enter")
            await pilot.pause()
            explorer = app.main.query_one(SystemExplorer)
            assert app.main.query_one("#tabs").active == "system"
            assert app.main.query_one("#system-filter", Input).value == "Zn"  # visible, and cleared by editing it
            assert len(explorer.shown_rows) == sum("Zn" in r.composition.symbols for r in expected)
            app.main.query_one("#system-filter", Input).value = ""
            await wait_for(pilot, lambda: len(explorer.shown_rows) == len(expected))

    run(scenario())


def test_enter_on_the_periodic_table_in_whole_space_highlights_the_projection() -> None:
    settings = CensusSettings(arities=(2,), samples=100, pool=("Li", "Na", "O", "S", "Cl", "Zn"))

    async def scenario() -> None:
        app = make_app(settings)
        async with app.run_test(size=(120, 36)) as pilot:
            await wait_ready(pilot)
            await pilot.press("2")
            app.main.query_one(PeriodicTable).cursor = "Zn"
            await pilot.press("enter")
            await pilot.press("3")
            await wait_for(pilot, lambda: "drawn" in status(app), state=lambda: status(app))
            pane = app.projection_pane
            assert pane.highlight is not None
            want = [("Zn" in parse_formula(f).symbols) for f in pane.data.formulas]
            assert pane.highlight.tolist() == want and any(want)
            assert f"{sum(want):,} highlighted" in status(app)

    run(scenario())


def test_system_filter_formulas_are_exact_and_the_detail_follows() -> None:
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
            app.main.query_one("#system-label", Select).value = "all"
            # the paper's formulas find themselves (ZnO is ZnO1), and the detail pane follows the filter
            for formula in ("LiZn4SnO8", "ZnO", "Li2ZnSn3O8"):
                await pilot.press("slash")
                app.main.query_one("#system-filter", Input).value = ""
                await pilot.press(*formula, "enter")
                await wait_for(pilot, lambda: len(explorer.shown_rows) == 1)
                assert explorer.shown_rows[0].composition == parse_formula(formula)
                assert text_of(app.main.query_one("#system-detail")).startswith(formula)
            assert "Li+1 Zn+2 Sn+4 O-2" in text_of(app.main.query_one("#system-detail"))
            # an element set by explicit syntax
            app.main.query_one("#system-filter", Input).value = "Li-Sn"
            await wait_for(pilot, lambda: len(explorer.shown_rows) > 1)
            assert explorer.shown_rows == [r for r in expected if {"Li", "Sn"} <= set(r.composition.symbols)]
            # sort: by formula, then reversed
            app.main.query_one("#system-filter", Input).value = ""
            await wait_for(pilot, lambda: len(explorer.shown_rows) == 5837)
            await pilot.press("escape", "s")
            table = app.main.query_one(DataTable)
            first = [str(table.get_row_at(i)[0]) for i in range(3)]
            assert first == sorted(first, key=str.lower)
            await pilot.press("s")
            assert str(table.get_row_at(0)[0]) == max((r.formula for r in expected), key=str.lower)
            # escape leaves the filter box, so digit keys switch tabs again
            await pilot.press("slash", "escape", "1")
            assert app.main.query_one("#tabs").active == "census"

    run(scenario())


def test_known_column_shows_the_set_name_and_its_own_ids_or_formulas(tmp_path) -> None:
    known = imported_set(tmp_path, "icsd")

    async def scenario() -> None:
        app = system_app(known=known)
        async with app.run_test(size=(140, 36)) as pilot:
            await wait_ready(pilot)
            await pilot.press("4")
            table = app.main.query_one(DataTable)
            headers = [str(c.label) for c in table.columns.values()]
            assert "Known (icsd)" in headers and not any("MP" in h for h in headers)
            app.main.query_one("#system-filter", Input).value = "ZnO"
            explorer = app.main.query_one(SystemExplorer)
            await wait_for(pilot, lambda: len(explorer.shown_rows) == 1)
            cells = [str(c) for c in table.get_row_at(0)]
            assert cells[-1] == "ZnO" and "?" not in cells[-1]
            detail = text_of(app.main.query_one("#system-detail"))
            assert "in icsd" in detail and "?" not in detail

    run(scenario())


def test_projection_cursor_moves_between_points_and_shows_them() -> None:
    async def scenario() -> None:
        app = system_app(SpyProjector())
        async with app.run_test(size=(120, 36)) as pilot:
            await wait_ready(pilot)
            await pilot.press("3")
            await wait_for(pilot, lambda: "drawn" in status(app), state=lambda: status(app))
            plot = app.main.query_one(ProjectionPlot)
            assert plot.has_focus
            await pilot.press("right")
            first = plot.cursor
            assert first is not None
            await pilot.press("right")
            data = app.projection_pane.data
            assert plot.cursor != first and data.x[plot.cursor] > data.x[first]
            await pilot.press("left")
            assert data.x[plot.cursor] < data.x[first] or plot.cursor == first
            formula = data.formulas[plot.cursor]
            info = text_of(app.main.query_one("#point-info"))
            why = explain(parse_formula(formula))  # smact-checked in tests/test_explain.py
            assert info.startswith(formula) and str(data.labels[plot.cursor]) in info
            if why.allowed:
                assert f"{len(why.assignments)} assignment" in info and assignment_text(why.assignments[0]) in info
            else:
                assert f"forbidden: {why.reason}" in info
            # find: a formula among the samples is highlighted, enter puts the cursor on it
            target = data.formulas[0]
            await pilot.press("f", *target, "enter")
            assert app.projection_pane.highlight.sum() == 1
            assert plot.cursor == 0 and plot.has_focus
            # a half-typed formula ('Z' of 'Zn') says nothing; a wrong one says why once it is entered
            find = app.main.query_one("#find")
            find.value = ""
            await pilot.press("f", "Z")
            assert not [n for n in app._notifications if n.message.startswith("highlight:")]
            await pilot.press("z", "enter")
            assert any(n.message.startswith("highlight:") and "Zz" in n.message for n in app._notifications)

    run(scenario())


def test_t_colours_missing_points_by_score_band_with_a_legend(tmp_path) -> None:
    """t colours the missing points by the ranking's score band (the others keep their category), says what the
    bands mean, and t again returns to the categories."""
    from chemspace.core.palette import SCORE_BAND_NAMES
    from chemspace.core.rank import score_bands, score_compositions
    from chemspace.tui.panes.projection import SCORE_NOTE

    known = imported_set(tmp_path, "icsd")

    async def scenario() -> None:
        app = system_app(SpyProjector(), known=known)
        async with app.run_test(size=(120, 36)) as pilot:
            await wait_ready(pilot)
            await pilot.press("3")
            await wait_for(pilot, lambda: "drawn" in status(app), state=lambda: status(app))
            await pilot.press("t")
            pane = app.projection_pane
            assert pane.colouring == "score"
            await wait_for(pilot, lambda: pane.data is not None and pane.data.bands is not None)
            data = pane.data
            missing = np.flatnonzero(data.labels.astype(str) == "missing")
            assert len(missing) and len(missing) < len(data)
            expected = score_compositions([parse_formula(data.formulas[i]) for i in missing], known, app.settings.rule)
            assert list(data.bands[missing]) == list(score_bands(expected))
            others = np.setdiff1d(np.arange(len(data)), missing)
            assert list(data.bands[others]) == [str(x) for x in data.labels[others]]
            legend = text_of(app.main.query_one("#scatter-legend"))
            assert SCORE_NOTE in legend and "○ missing" not in legend
            assert all(name in legend for name in set(data.bands[missing]))
            assert set(data.bands[missing]) <= set(SCORE_BAND_NAMES)
            await pilot.press("t")
            assert pane.colouring == "category" and "○ missing" in text_of(app.main.query_one("#scatter-legend"))

    run(scenario())


def test_score_bands_have_their_own_glyphs_beside_the_categories() -> None:
    """Colouring by score shows bands next to categories: every glyph differs, so NO_COLOR keeps them apart."""
    from chemspace.core.palette import SCORE_BAND_NAMES
    from chemspace.tui.widgets.style import marked

    names = (*CATEGORIES, "allowed", "forbidden", *SCORE_BAND_NAMES)
    glyphs = [marked(n, "score").plain.split()[0] for n in names]
    assert len(set(glyphs)) == len(names) and all(len(g) == 1 for g in glyphs)


def test_the_plot_draws_for_the_size_it_is_rendered_at() -> None:
    """The race behind a flaky snapshot (41 points drawn for 173): thinning used a size taken before layout."""

    async def scenario() -> None:
        app = system_app(SpyProjector())
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_ready(pilot)
            await pilot.press("3")
            await wait_for(pilot, lambda: "drawn" in status(app), state=lambda: status(app))
            plot = app.main.query_one(ProjectionPlot)
            data = app.projection_pane.data
            for width, height in ((160, 50), (90, 26)):
                await pilot.resize_terminal(width, height)
                await wait_for(pilot, lambda w=width: plot.size.width == w - 2)  # the pane's padding
                await pilot.pause()
                cells = (plot.size.width - 8, plot.size.height - 4)
                await wait_for(pilot, lambda c=cells: plot.drawn == len(data.thinned_indices(*c, "category")))
                assert f"{plot.drawn:,} drawn" in status(app)

    run(scenario())


def test_projection_selectors_first_time_notice_and_failure_notification() -> None:
    projector = SpyProjector()

    async def scenario() -> None:
        app = system_app(projector, warm_up_reducers=True)
        async with app.run_test(size=(120, 36)) as pilot:
            await wait_ready(pilot)
            await pilot.press("3")
            await wait_for(pilot, lambda: "drawn" in status(app), state=lambda: status(app))
            assert projector.calls == [("magpie", "pca")]
            sampled = re.search(r"([\d,]+) binary samples", status(app)).group(1)
            assert int(sampled.replace(",", "")) == 211
            await pilot.press("d")
            await wait_for(pilot, lambda: len(projector.calls) == 2)
            assert projector.calls[-1] == ("magpie", "tsne")
            await pilot.press("m")
            await wait_for(pilot, lambda: len(projector.calls) == 3)
            assert projector.calls[-1] == ("mat2vec", "tsne")
            await wait_for(pilot, lambda: "mat2vec + tsne: " in status(app))
            await pilot.press("o")
            assert app.projection_pane.colouring == "anion"
            assert "● oxide" in text_of(app.main.query_one("#scatter-legend"))
            await pilot.press("a")
            await wait_for(pilot, lambda: len(projector.calls) == 4)
            projector.fail = True
            await pilot.press("d")
            await wait_for(pilot, lambda: any("projection failed" in n.message for n in app._notifications))
            assert app.is_running  # no traceback, still alive
            warm = app.projection_pane.reducer_warm_up
            assert warm is not None
            await wait_for(pilot, lambda: warm.is_finished)
            assert warm.state == WorkerState.SUCCESS

    run(scenario())


def test_the_first_projection_says_it_is_importing(monkeypatch) -> None:
    """About 20 s of imports before the first PCA: the status says so, and only while it is true."""
    import sys

    from chemspace.tui.panes.projection import FIRST_TIME, first_time_note

    monkeypatch.delitem(sys.modules, "sklearn", raising=False)
    monkeypatch.delitem(sys.modules, "elementembeddings", raising=False)
    assert FIRST_TIME in first_time_note()
    import sklearn  # noqa: F401

    assert FIRST_TIME in first_time_note()  # scoring imports scikit-learn alone: the embeddings are still to come
    import elementembeddings  # noqa: F401

    assert first_time_note() == ""


def test_a_burst_of_projection_keys_computes_one_projection_at_a_time() -> None:
    """m a a d a m in one burst: never two projections at once, and the last selection wins."""
    projector = SpyProjector()

    async def scenario() -> None:
        app = system_app(projector)
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_ready(pilot)
            await pilot.press("3", "m", "a", "a", "d", "a", "m")
            pane = app.projection_pane
            assert (pane.embedding, pane.arity, pane.reducer) == ("megnet16", 2, "tsne")
            await wait_for(pilot, lambda: "megnet16 + tsne: " in status(app))
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
            await wait_for(pilot, lambda: "drawn" in status(app), state=lambda: status(app))
            samples = app.projection_pane._samples()
            skipped = sum(1 for comps in samples.values() for c in comps if {"Cf", "Es"} & set(c.symbols))
            assert skipped > 0 and f"{skipped:,} skipped (no magpie vector)" in status(app)

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
            assert app.census_json()["cancelled"] is True
            partial = [c for c in app.result.arities.values() if not c.complete]
            assert partial and 0 < partial[0].done < partial[0].unique
            panel = app.main.query_one(CensusPanel)
            assert any("(partial)" in str(col.header) for col in panel.counts_table().columns)
            assert "cancelled" in text_of(panel.query_one("#census-status"))
            # re-run starts from scratch (a new generation; the old worker's messages are ignored). The
            # warm census of arities 3-4 takes a few seconds, so it may finish before the second cancel
            cancelled, generation = app.result, app.census_pane.state.generation
            await pilot.press("r")
            assert app.census_pane.state.generation == generation + 1
            await pilot.press("c")
            await wait_for(pilot, lambda: app.result is not None and app.result is not cancelled, timeout=60)
            assert app.result.cancelled or all(c.complete for c in app.result.arities.values())

    run(scenario())


async def _export(pilot, tmp_path, name: str):
    """Press e, check the default is in the export directory, write to ``name`` there."""
    app = pilot.app
    await pilot.press("e")
    box = app.screen.query_one(Input)
    assert box.value.startswith(str(tmp_path / "exports"))
    target = tmp_path / "exports" / name
    box.value = str(target)
    await pilot.press("enter")
    return target


def test_e_exports_what_each_tab_shows(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("CHEMSPACE_EXPORT_DIR", str(tmp_path / "exports"))

    async def scenario() -> None:
        app = system_app(SpyProjector())
        async with app.run_test(size=(120, 36)) as pilot:
            await wait_ready(pilot)
            target = await _export(pilot, tmp_path, "census.json")
            await wait_for(pilot, target.exists)
            doc = json.loads(target.read_text())
            assert doc["arities"]["4"]["allowed"] == 500 and doc["settings"]["pool"] == list(SYSTEM)

            await pilot.press("2", "a")
            target = await _export(pilot, tmp_path, "elements.csv")
            await wait_for(pilot, target.exists)
            rows = {r["element"]: r for r in csv.DictReader(target.open())}
            assert set(rows) == set(SYSTEM)
            assert {s: int(r["allowed"]) for s, r in rows.items()} == app.censuses[3].element_counts("allowed")

            await pilot.press("3")
            await wait_for(pilot, lambda: "drawn" in status(app), state=lambda: status(app))
            target = await _export(pilot, tmp_path, "projection.csv")
            await wait_for(pilot, target.exists)
            points = list(csv.DictReader(target.open()))
            assert len(points) == len(app.projection_pane.data) and set(points[0]) >= {"formula", "x", "y"}
            figure = await _export(pilot, tmp_path, "projection.png")
            await wait_for(pilot, figure.exists, timeout=120)
            assert figure.read_bytes()[:4] == b"\x89PNG"

            await pilot.press("4")
            app.main.query_one("#system-label", Select).value = "allowed"
            await pilot.pause()
            target = await _export(pilot, tmp_path, "rows.csv")
            await wait_for(pilot, target.exists)
            rows = list(csv.DictReader(target.open()))
            assert len(rows) == 728 and all(r["allowed"] == "true" for r in rows)
            assert not list((tmp_path / "exports").glob(".*part"))  # temp files renamed into place

            bad = await _export(pilot, tmp_path, "rows.txt")
            await wait_for(pilot, lambda: any("export failed" in n.message for n in app._notifications))
            assert not bad.exists()

    run(scenario())


def test_help_is_generated_from_the_bindings_defines_the_words_and_scrolls() -> None:
    async def scenario() -> None:
        app = system_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_ready(pilot)
            await pilot.press("question_mark")
            assert isinstance(app.screen, HelpScreen)
            text = " ".join(text_of(w) for w in app.screen.query(".help-text"))
            listed = {(r.key, r.text) for r in app.screen.rows}
            for cls in (type(app), *(type(p) for p in app.panes), PeriodicTable, ProjectionPlot):
                for binding in cls.BINDINGS:  # every key of every pane, in the words of its binding
                    assert (key_display(binding), binding.tooltip or binding.description) in listed
            for word in ("charge neutral", "Pauling", "missing", "interesting", "unlikely", "halide", "Li-Zn", "ZnO"):
                assert word in text
            dialog = app.screen.query_one("#help-dialog")
            assert dialog.max_scroll_y > 0  # 80x24 cannot show it all: End reaches the last line
            await pilot.press("end")
            await pilot.pause()
            assert dialog.scroll_y == dialog.max_scroll_y
            await pilot.press("escape")
            assert type(app.screen).__name__ == "MainScreen"
            await pilot.press("q")
            await pilot.pause()
        assert app.return_code in (None, 0)

    run(scenario())


def test_palette_offers_every_action_of_every_pane() -> None:
    async def scenario() -> None:
        app = system_app()
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_ready(pilot)
            titles = {c.title for c in app.get_system_commands(app.screen)}
            for row in app.key_rows():
                if row.node in {type(p) for p in app.panes} | {type(app)}:
                    assert row.text.capitalize() in titles
            # running one from the palette opens its tab and runs it there
            command = next(c for c in app.get_system_commands(app.screen) if "next element embedding" in c.title)
            command.callback()
            await wait_for(pilot, lambda: app.projection_pane.embedding == "mat2vec")
            assert app.main.query_one("#tabs").active == "projection"

    run(scenario())


def test_bad_settings_do_not_start() -> None:
    from chemspace.core.errors import InputError

    with pytest.raises(InputError):
        ChemspaceApp(AppOptions(settings=CensusSettings(arities=(9,))))


def test_system_detail_lists_every_assignment_or_the_reason_and_witness() -> None:
    expected = system_rows("Li-Zn-Sn-O")
    several = next(r for r in expected if len(r.assignments) > 1)
    witnessed = next(r for r in expected if r.witness is not None)

    async def scenario() -> None:
        app = system_app()
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_ready(pilot)
            await pilot.press("4")
            explorer = app.main.query_one(SystemExplorer)
            box = app.main.query_one("#system-filter", Input)
            box.value = several.formula
            await wait_for(pilot, lambda: len(explorer.shown_rows) == 1)
            detail = text_of(app.main.query_one("#system-detail"))
            assert f"{len(several.assignments)} assignments" in detail
            for states in several.assignments[:6]:
                assert assignment_text(states) in detail
            box.value = witnessed.formula
            await wait_for(pilot, lambda: explorer.shown_rows[:1] == [witnessed])
            detail = text_of(app.main.query_one("#system-detail"))
            assert str(witnessed.reason) in detail and witnessed.witness.text() in detail
            # the label selector also filters forbidden rows by reason
            box.value = ""
            app.main.query_one("#system-label", Select).value = "reason:not-charge-neutral"
            wanted = [r for r in expected if r.reason == "not-charge-neutral"]
            await wait_for(pilot, lambda: explorer.shown_rows == wanted)
            assert 0 < len(wanted) < len(expected)

    run(scenario())


def test_check_box_explains_a_typed_formula() -> None:
    async def scenario() -> None:
        app = system_app()
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_ready(pilot)
            await pilot.press("k")
            assert isinstance(app.screen, CheckScreen)
            for formula in ("SnO2", "NaCl2"):
                app.screen.query_one(Input).value = formula
                await pilot.press("enter")
                result = text_of(app.screen.query_one("#check-result"))
                why = explain(parse_formula(formula))
                assert result.startswith(formula) and ("allowed" if why.allowed else str(why.reason)) in result
                for states in why.assignments:
                    assert assignment_text(states) in result
            app.screen.query_one(Input).value = "Xx2"
            await pilot.press("enter")
            assert "not a formula" in text_of(app.screen.query_one("#check-result"))
            await pilot.press("escape")
            assert app.screen is app.main

    run(scenario())


def test_system_scores_missing_rows_sorts_best_first_and_back_and_follows_the_rule(tmp_path) -> None:
    """The score column holds the ranking's score of each missing row (— for the others); t sorts by it, best
    first, and back; an alloy switch rescores under the new rule."""
    from chemspace.core.rank import score_compositions
    from chemspace.tui.formatting import top_share_text

    known = imported_set(tmp_path, "icsd")

    async def scenario() -> None:
        app = system_app(known=known)
        async with app.run_test(size=(140, 36)) as pilot:
            await wait_ready(pilot)
            await pilot.press("4")
            pane = app.system_pane
            missing = [r for r in app.system_rows if r.category == "missing"]
            expected = score_compositions([r.composition for r in missing], known, app.settings.rule)
            assert pane.scores == pytest.approx(dict(zip((r.formula for r in missing), expected.tolist())))
            table = app.main.query_one(DataTable)
            score_at = list(table.columns).index("score")
            explorer = app.main.query_one(SystemExplorer)
            before = [str(table.get_row_at(i)[0]) for i in range(table.row_count)]
            for i in range(0, table.row_count, 97):
                row = explorer.shown_rows[i]
                cell = str(table.get_row_at(i)[score_at])
                assert cell == (top_share_text(pane.scores[row.formula]) if row.category == "missing" else "—")
            await pilot.press("t")
            order = [str(table.get_row_at(i)[0]) for i in range(table.row_count)]
            best = sorted(pane.scores.values(), reverse=True)
            assert [pane.scores[f] for f in order[: len(best)]] == best
            assert set(order[len(best) :]).isdisjoint(pane.scores)
            # the detail pane follows the row the sort put under the cursor
            under = str(table.get_row_at(table.cursor_row)[0])
            assert text_of(app.main.query_one("#system-detail")).startswith(under)
            await pilot.press("t")
            assert [str(table.get_row_at(i)[0]) for i in range(table.row_count)] == before
            paper_rows = pane.rows
            await pilot.press("A")
            assert app.settings.rule.alloys
            await wait_for(pilot, lambda: pane.rows not in (None, paper_rows) and pane.scores is not None)
            li_zn = [r for r in pane.rows if set(r.composition.symbols) == {"Li", "Zn"} and r.category == "missing"]
            assert li_zn and all(r.basis == "alloy" for r in li_zn if not r.assignments)
            assert all(math.isfinite(pane.scores[r.formula]) for r in li_zn)
            missing = [r for r in pane.rows if r.category == "missing"]
            assert set(pane.scores) == {r.formula for r in missing}

    run(scenario())


def test_rule_switch_counts_again_under_the_new_rule() -> None:
    async def scenario() -> None:
        app = system_app()
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_ready(pilot)
            paper = app.censuses[3].allowed
            await pilot.press("P")
            assert not app.settings.rule.pauling and app.sub_title.endswith("no Pauling")
            await wait_ready(pilot)
            await wait_for(pilot, lambda: app.result is not None and app.result.settings.rule == app.settings.rule)
            headless = run_census(app.settings)
            assert app.censuses[3].allowed == headless.arities[3].allowed > paper
            assert app.settings.rule.short() in text_of(app.main.query_one("#census-title"))
            await pilot.press("P")
            await wait_for(pilot, lambda: app.result is not None and app.settings.rule.pauling)
            await wait_for(pilot, lambda: app.result is not None and app.result.settings.rule == app.settings.rule)
            assert app.censuses[3].allowed == paper and app.sub_title == "-".join(SYSTEM)

    run(scenario())


def test_a_known_set_loaded_in_the_app_relabels_every_pane(tmp_path) -> None:
    """What the fetch dialog's result does (the dialog itself is tested against a stand-in server)."""
    known = imported_set(tmp_path, "icsd")

    async def scenario() -> None:
        app = system_app()
        async with app.run_test(size=(140, 36)) as pilot:
            await wait_ready(pilot)
            assert app.censuses[2].known is None
            assert any(c.title.startswith("Fetch known materials") for c in app.get_system_commands(app.screen))
            await app.set_known(known)
            await wait_ready(pilot, scores=False)  # relabelling is the point here, not the ranking
            await wait_for(pilot, lambda: app.result is not None and app.censuses[2].known is not None)
            headless = run_census(app.settings, known=known)
            assert app.censuses[4].standard == headless.arities[4].standard
            assert "missing" in app.periodic_pane.labels
            await pilot.press("4")
            headers = [str(c.label) for c in app.main.query_one(DataTable).columns.values()]
            assert "Known (icsd)" in headers
            assert "known set: icsd" in text_of(app.main.query_one("#census-title"))

    run(scenario())


def test_every_label_category_and_anion_class_has_its_own_glyph() -> None:
    """Without colour (NO_COLOR) or at 16 colours (forbidden and missing both red) the glyph tells them apart."""
    from chemspace.core.anions import ANION_CLASSES
    from chemspace.core.rule import LABELS
    from chemspace.tui.widgets.style import marked

    for names, colouring in ((LABELS, "category"), (CATEGORIES, "category"), (ANION_CLASSES, "anion")):
        glyphs = [marked(n, colouring).plain.split()[0] for n in names]
        assert len(set(glyphs)) == len(names) and all(len(g) == 1 for g in glyphs)


def test_census_says_the_kernels_are_compiling_instead_of_0_0_s() -> None:
    """While the core reports its kernels compiling, the arity shows that, never a frozen 'counting 0.0 s'."""
    from chemspace.core.census import ArityCensus

    async def scenario() -> None:
        app = make_app(CensusSettings(arities=(2,), samples=0), warm_up_reducers=False)
        app.autostart = False
        async with app.run_test(size=(100, 30)) as pilot:
            panel = app.main.query_one(CensusPanel)
            panel.show_elapsed = True
            panel.reset("starting")
            panel.update_census(ArityCensus(arity=2, symbols=("Li", "O"), unique=10, phase="compiling"))
            await pilot.pause()
            state = text_of(panel.query_one("#progress-2 .arity-state"))
            assert state == "compiling kernels" and "0.0 s" not in state

    run(scenario())


def test_whole_space_counts_fit_80_columns_without_wrapping() -> None:
    """Table 2's own numbers (the paper's) in the census table: every row one line within an 80-column tab."""
    import io

    import numpy as np
    from rich.console import Console

    from chemspace.core.census import ArityCensus
    from chemspace.tui.widgets.census_panel import ROWS

    paper = {2: (225_879, 13_464), 3: (77_637_589, 10_779_441), 4: (16_902_534_325, 2_909_434_982)}
    panel = CensusPanel(CensusSettings(arities=(2, 3, 4)), None, show_elapsed=False)
    for arity, (unique, allowed) in paper.items():
        empty = np.zeros(1, dtype=np.int64)
        census = ArityCensus(arity, ("H",), unique, unique, allowed, empty, empty, empty, complete=True, phase="done")
        panel._censuses[arity] = census
    console = Console(width=78, file=io.StringIO(), record=True)  # 80 columns less the tab's padding
    console.print(panel.counts_table())
    lines = console.export_text().splitlines()
    assert len(lines) == 1 + len(ROWS) and all(len(line) <= 78 for line in lines)  # a header, one line a row
    assert "13,993,099,343 (82.79%)" in lines[3]


def test_a_second_set_beside_the_first_in_the_census_tab(tmp_path) -> None:
    """`b` picks another cached set; its four categories appear under the first set's, equal to a census with it."""
    import io

    from rich.console import Console
    from textual.widgets import OptionList

    from chemspace.core.known import import_file, save_set
    from chemspace.tui.screens import PickSetScreen

    first = imported_set(tmp_path, "icsd")
    listing = tmp_path / "other.txt"
    listing.write_text("ZnO2\nLiZnO2\nLi6ZnO4\nSnO\nLiZn\nLi2ZnSn3O8\n")
    second = import_file(listing, "other")
    save_set(second)

    async def scenario() -> None:
        app = system_app(known=first)
        async with app.run_test(size=(140, 44)) as pilot:
            await wait_ready(pilot)
            await pilot.press("1")
            await pilot.press("b")
            await wait_for(pilot, lambda: isinstance(app.screen, PickSetScreen))
            assert "icsd" not in app.screen.names  # the first set is not offered again
            app.screen.query_one(OptionList).highlighted = app.screen.names.index("other")
            await pilot.press("enter")
            panel = app.main.query_one(CensusPanel)
            await wait_for(pilot, lambda: panel._second is not None)
            name, beside = panel._second
            own = run_census(app.settings, known=second)
            assert name == "other" and set(beside) == set(own.arities)
            for arity, census in own.arities.items():
                assert beside[arity] == {cat: census.count(cat) for cat in CATEGORIES}
            console = Console(width=200, record=True, file=io.StringIO())
            console.print(panel.counts_table())
            assert "with other:" in console.export_text()

    run(scenario())


def test_system_export_carries_each_missing_rows_score_rank_and_top_share(tmp_path, monkeypatch) -> None:
    """CSV and JSON of the system table: score, rank among the system's missing rows and top percent of each
    missing row (the ranking's own scores), empty for the other rows."""
    from chemspace.core.rank import score_compositions

    monkeypatch.setenv("CHEMSPACE_EXPORT_DIR", str(tmp_path / "exports"))
    known = imported_set(tmp_path, "icsd")

    async def scenario() -> None:
        app = system_app(known=known)
        async with app.run_test(size=(140, 36)) as pilot:
            await wait_ready(pilot)
            await pilot.press("4")
            missing = [r for r in app.system_rows if r.category == "missing"]
            expected = dict(
                zip((r.formula for r in missing), score_compositions([r.composition for r in missing], known))
            )
            target = await _export(pilot, tmp_path, "rows.csv")
            await wait_for(pilot, target.exists)
            rows = {r["formula"]: r for r in csv.DictReader(target.open())}
            assert len(rows) == len(app.system_rows) and missing
            for formula, row in rows.items():
                if formula not in expected:
                    assert row["score"] == row["rank"] == row["top_percent"] == "", formula
                    continue
                score = expected[formula]
                assert float(row["score"]) == pytest.approx(score)
                assert int(row["rank"]) == 1 + sum(s > score for s in expected.values())
                assert float(row["top_percent"]) == pytest.approx(100 * (1 - score))
            assert sorted(int(rows[f]["rank"]) for f in expected)[0] == 1
            target = await _export(pilot, tmp_path, "rows.json")
            await wait_for(pilot, target.exists)
            doc = {r["formula"]: r for r in json.loads(target.read_text())}
            assert set(doc) == set(rows)
            for formula, row in doc.items():
                if formula in expected:
                    assert row["score"] == pytest.approx(expected[formula]) and row["rank"] == int(
                        rows[formula]["rank"]
                    )
                else:
                    assert row["score"] is row["rank"] is row["top_percent"] is None

    run(scenario())


def test_a_newer_scoring_request_stops_the_older_one(tmp_path, monkeypatch) -> None:
    """Mixed valence makes scoring long (its scorers' fit: tens of seconds); switching back while it runs stops it
    at its next chunk of rows, and the table gets the newer rule's scores. The older scoring is held at its first
    look at the cancel flag until the second request is in, so the test does not race the machine's speed."""
    import threading

    import chemspace.core.rank as rank_module
    from chemspace.core.errors import CancelledError
    from chemspace.core.rank import score_compositions

    known = imported_set(tmp_path, "icsd")
    runs: list[dict] = []
    second_request_in, first_look = threading.Event(), threading.Event()

    class HeldFlag:
        """The worker's cancel flag, its first look held until the second request is in; counts the looks."""

        def __init__(self, flag: threading.Event, run: dict) -> None:
            self.flag, self.run = flag, run

        def is_set(self) -> bool:
            self.run["looks"] += 1
            if self.run["rule"].mixed_valence and not first_look.is_set():
                first_look.set()
                assert second_request_in.wait(120)
                self.run["looks_after"] = 0
            if "looks_after" in self.run:
                self.run["looks_after"] += 1
            return self.flag.is_set()

    def spy(comps, known_set, rule, cancel=None, **options):
        run = {"rule": rule, "state": "running", "looks": 0}
        runs.append(run)
        try:
            scores = score_compositions(comps, known_set, rule, cancel=HeldFlag(cancel, run), **options)
        except CancelledError:
            run["state"] = "cancelled"
            raise
        run["state"] = "done"
        return scores

    monkeypatch.setattr(rank_module, "score_compositions", spy)  # what the system tab's missing_scores calls

    async def scenario() -> None:
        app = system_app(known=known)
        async with app.run_test(size=(140, 36)) as pilot:
            await wait_ready(pilot)
            await pilot.press("4")
            pane = app.system_pane
            paper_scores = dict(pane.scores)
            await pilot.press("M")
            await wait_for(pilot, first_look.is_set)  # the mixed-valence scoring is under way
            mixed = runs[-1]
            assert mixed["rule"].mixed_valence and mixed["state"] == "running"
            await pilot.press("M")  # back to the paper's rule: a newer labelling and scoring
            assert app.settings.rule.is_paper
            second_request_in.set()
            await wait_for(pilot, lambda: mixed["state"] != "running", state=lambda: str(mixed))
            assert mixed["state"] == "cancelled" and mixed["looks_after"] == 1  # stopped at the next look
            await wait_for(pilot, lambda: pane.scores is not None and runs[-1]["state"] == "done")
            assert runs[-1]["rule"].is_paper and pane.scores == pytest.approx(paper_scores)
            missing = [r for r in pane.rows if r.category == "missing"]
            expected = score_compositions([r.composition for r in missing], known)
            assert pane.scores == pytest.approx(dict(zip((r.formula for r in missing), expected.tolist())))

    run(scenario())
