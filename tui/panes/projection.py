"""The projection tab (Figs. 2-5): the census's samples embedded and reduced to 2-D, with a cursor and highlights."""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

import numpy as np
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input, Label, Select, Static
from textual.worker import Worker, get_current_worker

from chemspace.core.census import CensusSettings
from chemspace.core.composition import Composition, parse_formula
from chemspace.core.elements import atomic_numbers
from chemspace.core.errors import CancelledError, InputError
from chemspace.core.explain import assignment_text, explain
from chemspace.core.known import KnownSet
from chemspace.core.rank import score_bands, score_compositions
from chemspace.core.reduce import Projection, warm_up
from chemspace.core.rule import CATEGORIES, LABELS, Category, arity_name
from chemspace.core.rule import Label as Verdict
from chemspace.tui.formatting import top_share_text
from chemspace.tui.panes.base import (
    CensusState,
    ExportJob,
    Pane,
    abandonable,
    focus_now,
    yield_cpu_to_interface,
)
from chemspace.tui.panes.periodic import cycle
from chemspace.tui.widgets.scatter import COLOURINGS, ProjectionData, ProjectionPlot, legend
from chemspace.tui.widgets.style import marked

#: Said while the first projection of a process runs: the imports alone take most of it.
FIRST_TIME = "the first projection of a session imports scikit-learn and the embeddings, about 20 s"


def first_time_note() -> str:
    """FIRST_TIME in brackets until both scikit-learn and the embeddings are imported in this process
    (scoring the system table imports scikit-learn alone: the embeddings still take their time)."""
    return "" if {"sklearn", "elementembeddings"} <= sys.modules.keys() else f" ({FIRST_TIME})"


def _warm_up_reducers() -> None:
    """Load t-SNE and UMAP (imports, numba kernels), at low priority."""
    yield_cpu_to_interface()
    warm_up(("umap", "tsne"))


class ProjectionReady(Message, bubble=False):
    """A projection finished, or failed with a reason."""

    def __init__(self, key: tuple, projection: Projection | None, reason: str = "") -> None:
        super().__init__()
        self.key = key
        self.projection = projection
        self.reason = reason


def highlight_mask(formulas: list[str], text: str) -> np.ndarray | None:
    """Points matching: an element (contains it), a system ``Li-Zn-O`` (only those elements), a formula (exactly).

    None when the text is empty; InputError when it is none of those.
    """
    text = text.strip()
    if not text:
        return None
    comps = [parse_formula(f) for f in formulas]
    if text in atomic_numbers():
        return np.array([text in c.symbols for c in comps], dtype=bool)
    if "-" in text or "," in text:
        from chemspace.core.elements import parse_system

        wanted = set(parse_system(text))
        return np.array([set(c.symbols) <= wanted for c in comps], dtype=bool)
    target = parse_formula(text)
    return np.array([c == target for c in comps], dtype=bool)


class PointScoresReady(Message, bubble=False):
    """Plausibility scores of one projection's points (-inf where not scored), or why there are none."""

    def __init__(self, key: tuple, scores: np.ndarray | None, reason: str = "") -> None:
        super().__init__()
        self.key = key
        self.scores = scores
        self.reason = reason


#: Points the score colouring scores: the missing ones (every allowed one without a known set).
SCORED_LABELS = (Category.MISSING, Verdict.ALLOWED)
#: What the score colouring's legend says the bands are.
SCORE_NOTE = "missing points by score: among the top N% of the arity's missing compositions"


def point_bands(labels: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Each point's class under the score colouring: its score band when scored, else its label."""
    scored = np.isin(labels.astype(str), [str(x) for x in SCORED_LABELS])
    return np.where(scored, score_bands(scores), labels.astype(object))


class ProjectionPane(Pane):
    """Selectors, status, the scatter plot with its cursor, the point under the cursor and the legend."""

    TAB_ID = "projection"
    TITLE = "Projection"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "next_arity", "Arity", tooltip="projection: next arity"),
        Binding("m", "next_embedding", "Embedding", tooltip="projection: next element embedding"),
        Binding("d", "next_reducer", "Reducer", tooltip="projection: next dimension reducer (PCA, t-SNE, UMAP)"),
        Binding("o", "toggle_colouring", "Colour", tooltip="projection: colour by category or by anion class"),
        Binding(
            "t",
            "toggle_score_colouring",
            "Score",
            tooltip="projection: colour missing points by plausibility score band (again: by category)",
        ),
        Binding(
            "f",
            "find",
            "Find",
            tooltip="projection: highlight a formula (ZnO), an element (Zn) or a system (Li-Zn-O); enter jumps to it",
        ),
    ]

    def __init__(
        self,
        settings: CensusSettings,
        known: KnownSet | None,
        embeddings: tuple[str, ...],
        reducers: tuple[str, ...],
        embedding: str,
        reducer: str,
        projector: Callable[..., Projection],
        warm_up_reducers: bool = True,
    ) -> None:
        super().__init__(id="projection-pane")
        self.settings = settings
        self.known = known
        self.embeddings = embeddings
        self.reducers = reducers
        self.embedding = embedding
        self.reducer = reducer
        self.colouring = "category"
        self.arity = settings.arities[0]
        self.projector = projector
        self.warm_up_reducers = warm_up_reducers
        self.reducer_warm_up: Worker | None = None
        self.state = CensusState()
        self.key: tuple | None = None
        self.projections: dict[tuple, Projection] = {}
        self.data: ProjectionData | None = None
        self.highlight: np.ndarray | None = None
        self.point_scores: dict[tuple, np.ndarray] = {}
        self._lock = threading.Lock()

    def compose(self) -> ComposeResult:
        with Horizontal(classes="controls"):
            arities = [(arity_name(a, title=True), a) for a in self.settings.arities]
            yield Select(arities, value=self.arity, allow_blank=False, id="sc-arity", compact=True)
            yield Select(
                [(e, e) for e in self.embeddings], value=self.embedding, allow_blank=False, id="embedding", compact=True
            )
            yield Select(
                [(r, r) for r in self.reducers], value=self.reducer, allow_blank=False, id="reducer", compact=True
            )
            yield Select(
                [(c, c) for c in COLOURINGS], value="category", allow_blank=False, id="colouring", compact=True
            )
        yield Input(placeholder="highlight: ZnO · Zn · Li-Zn-O (enter jumps, escape closes)", id="find", compact=True)
        yield Label("", id="scatter-status")
        yield ProjectionPlot(id="scatter-plot")
        yield Static("arrows move the point cursor", id="point-info")
        yield Static("", id="scatter-legend")

    def focus_target(self) -> Widget:
        return self.query_one(ProjectionPlot)

    def set_status(self, text: str) -> None:
        """The state of the projection: computing, waiting for samples, failed, or what is shown."""
        self.query_one("#scatter-status", Label).update(text)

    # ------------------------------------------------------------ computing

    def census_changed(self, state: CensusState) -> None:
        self.state = state
        census = state.censuses.get(self.arity)
        if (census is not None and census.complete) or not state.running:
            self.request()

    def shown(self) -> None:
        super().shown()
        self.request()

    def _samples(self) -> dict:
        census = self.state.censuses.get(self.arity)
        if census is None:
            return {}
        wanted = CATEGORIES if census.known is not None else LABELS
        return {k: v for k, v in census.samples.items() if k in wanted and v}

    def request(self) -> None:
        """Compute (or reuse) the projection for the current arity, embedding and reducer, when the tab is open."""
        if not self.is_on_screen:
            return
        if self.reducer_warm_up is None and self.warm_up_reducers and not self.state.running:
            # not while the census runs: the very first UMAP on a machine compiles for tens of seconds
            # holding the parallel lock, which would stall the census
            self.reducer_warm_up = self._warm_up()
        key = (self.state.generation, self.arity, self.embedding, self.reducer)
        if key == self.key:
            return
        samples = self._samples()
        if not samples:
            waiting = "running" if self.state.running else "not run"
            self.set_status(
                f"waiting for samples: the {arity_name(self.arity)} census is {waiting}"
                " (samples are drawn when an arity's pass ends)"
                if self.settings.samples
                else "no samples: run with --samples N to see projections"
            )
            self._draw(None, "no projection yet")
            return
        self.key = key
        if key in self.projections:
            self._show(self.projections[key])
            return
        first = first_time_note()
        self.set_status(f"computing… {self.embedding} + {self.reducer} on {arity_name(self.arity)} samples{first}")
        self._draw(None, "computing…" + first)
        self._compute(key, samples)

    @property
    def is_on_screen(self) -> bool:
        """Whether the projection tab is the open one."""
        try:
            return self.app.query_one("#tabs").active == self.TAB_ID  # type: ignore[attr-defined]
        except Exception:
            return False

    @work(thread=True, group="warm-up", exit_on_error=False, name="reducer warm-up", description="warm-up")
    def _warm_up(self) -> None:
        """Load t-SNE and UMAP (imports, numba kernels) while the user looks at the projection tab.

        Abandonable: quitting during the first UMAP compile (tens of seconds) does not wait for it.
        """
        with contextlib.suppress(CancelledError):
            abandonable(_warm_up_reducers, get_current_worker().cancelled_event, "reducer warm-up")

    # description given: Textual otherwise repr()s the arguments on the UI thread, here thousands of samples
    @work(
        thread=True,
        exclusive=True,
        group="projection",
        exit_on_error=False,
        name="projection",
        description="projection",
    )
    def _compute(self, key: tuple, samples: dict) -> None:
        cancel = get_current_worker().cancelled_event
        _, _, embedding, reducer = key

        def project() -> Projection | None:
            # not niced (the warm-up and the census are): the user waits on it, and at nice 10 beside other
            # busy processes it got a few percent of a core (a t-SNE of 6 000 points took minutes); the
            # interface thread still gets the GIL at every switch interval
            # one projection computes at a time: a burst of keys queues workers here, and every one but
            # the newest finds itself cancelled (exclusive=True) and leaves without computing
            with self._lock:
                if cancel.is_set():
                    return None
                return self.projector(samples, embedding, reducer, random_state=self.settings.seed, cancel=cancel)

        try:
            # abandoned when cancelled (a newer request, or quitting): a UMAP fit cannot stop midway, and
            # quitting must not wait for it
            projection = abandonable(project, cancel, "projection")
        except CancelledError:
            return
        except Exception as exc:
            if not cancel.is_set():
                self.post_message(ProjectionReady(key, None, f"{type(exc).__name__}: {exc}"))
            return
        if projection is not None and not cancel.is_set():
            self.post_message(ProjectionReady(key, projection))

    @on(ProjectionReady)
    def _ready(self, message: ProjectionReady) -> None:
        if message.reason:
            self.notify(f"projection failed: {message.reason}", severity="error", timeout=8)
            if message.key == self.key:
                self.key = None
                self.set_status(f"[red]projection failed:[/] {message.reason}")
            return
        assert message.projection is not None
        self.projections[message.key] = message.projection
        if message.key == self.key:
            self._show(message.projection)

    # ------------------------------------------------------------ drawing

    def _show(self, projection: Projection) -> None:
        self.data = ProjectionData.from_projection(projection)
        self._attach_scores()
        self.highlight = self._mask(self.query_one("#find", Input).value)
        self._draw(self.data, f"{arity_name(self.arity, title=True)} · {self.embedding} · {self.reducer}")

    def _draw(self, data: ProjectionData | None, title: str) -> None:
        plot = self.query_one(ProjectionPlot)
        plot.show(data, self.colouring, title, self.highlight)
        classes = [] if data is None else sorted({str(c) for c in data.classes(self.colouring)})
        text = legend(classes, self.colouring) if classes else Text()
        if classes and self.colouring == "score":
            scored = data is not None and data.bands is not None
            text.append("\n" + (SCORE_NOTE if scored else "scoring the missing points…"), style="dim")
        self.query_one("#scatter-legend", Static).update(text)
        self.query_one("#point-info", Static).update("" if data is None else "arrows move the point cursor")

    @on(ProjectionPlot.Drawn)
    def _drawn(self, message: ProjectionPlot.Drawn) -> None:
        message.stop()
        data = self.data
        if data is None or self.key not in self.projections:
            return
        census = self.state.censuses.get(self.arity)
        partial = "" if census is None or census.complete else " (partial census)"
        marked_count = "" if self.highlight is None else f"; {int(self.highlight.sum()):,} highlighted"
        self.set_status(
            f"{self.embedding} + {self.reducer}: {len(data):,} {arity_name(self.arity)} samples{partial},"
            f" {message.count:,} drawn (one per cell){marked_count}"
            + (f"; {data.skipped:,} skipped (no {self.embedding} vector)" if data.skipped else "")
        )

    @on(ProjectionPlot.PointHighlighted)
    def _point(self, message: ProjectionPlot.PointHighlighted) -> None:
        message.stop()
        self.query_one("#point-info", Static).update(self.point_text(message.index))

    def point_text(self, index: int) -> Text:
        """Formula, category, anion class, oxidation states and known entries of one point."""
        assert self.data is not None
        formula = self.data.formulas[index]
        comp = parse_formula(formula)
        text = Text()
        text.append(formula, style="bold")
        text.append("  ")
        text.append_text(marked(str(self.data.labels[index])))
        text.append("  ")
        text.append_text(marked(str(self.data.anions[index]), "anion"))
        why = explain(comp, self.settings.rule)
        if self.data.scores is not None and np.isfinite(self.data.scores[index]):
            text.append(f"  score: {top_share_text(float(self.data.scores[index]))} of missing")
        text.append("\n")
        if why.allowed:
            shown = " | ".join(assignment_text(a) for a in why.assignments[:3])
            more = f" (+{len(why.assignments) - 3} more)" if len(why.assignments) > 3 else ""
            text.append(f"{len(why.assignments)} assignment{'s' if len(why.assignments) != 1 else ''}: {shown}{more}")
        else:
            text.append(f"forbidden: {why.reason}")
        text.append("  ·  " + self._known_text(comp))
        return text

    def _known_text(self, comp: Composition) -> str:
        if self.known is None:
            return "known: — (no set loaded)"
        entries = self.known.entries.get(comp, [])
        if not entries:
            return f"not in {self.known.name}"
        ids = ", ".join(e.id or e.formula for e in entries[:4]) + ("…" if len(entries) > 4 else "")
        return f"{self.known.name}: {ids}"

    # ------------------------------------------------------------ highlight

    def _mask(self, text: str, quiet: bool = False) -> np.ndarray | None:
        """Points matching ``text``; a bad text says why unless ``quiet`` (half-typed, as in 'Z' of 'ZnO')."""
        if self.data is None:
            return None
        try:
            return highlight_mask(self.data.formulas, text)
        except InputError as exc:
            if not quiet:
                self.notify(f"highlight: {exc}", severity="warning", timeout=3)
            return None

    def action_find(self) -> None:
        """Open the highlight box."""
        find = self.query_one("#find", Input)
        find.display = True
        focus_now(find)

    def highlight_text(self, text: str) -> None:
        """Highlight the points matching ``text`` (what `f` and enter on the periodic table do)."""
        self.query_one("#find", Input).value = text
        self.query_one("#find", Input).display = True
        self._apply_highlight(text)

    def _apply_highlight(self, text: str, quiet: bool = False) -> None:
        self.highlight = self._mask(text, quiet)
        if self.data is not None:
            self.query_one(ProjectionPlot).show(
                self.data, self.colouring, self.query_one(ProjectionPlot).title, self.highlight
            )

    @on(Input.Changed, "#find")
    def _find_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._apply_highlight(event.value, quiet=True)

    @on(Input.Submitted, "#find")
    def _find_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        plot = self.query_one(ProjectionPlot)
        focus_now(plot)
        self._apply_highlight(event.value)  # says what is wrong with the text, now that it is complete
        if self.highlight is not None and self.highlight.any():
            plot.move_to(int(np.flatnonzero(self.highlight)[0]))
        elif self.highlight is not None and event.value.strip():
            self.notify(f"{event.value.strip()} is not among the projected samples", timeout=3)

    def on_key(self, event) -> None:
        """Escape closes the highlight box (the highlight stays until the box is emptied)."""
        if event.key == "escape" and self.query_one("#find", Input).has_focus:
            event.stop()
            self.query_one("#find", Input).display = False
            focus_now(self.query_one(ProjectionPlot))

    # ------------------------------------------------------------ selectors

    @on(Select.Changed)
    def _select_changed(self, event: Select.Changed) -> None:
        event.stop()
        value = event.value
        if value is Select.BLANK or value != event.select.value:
            return  # a change the select has since moved past: its newer message follows
        match event.select.id:
            case "sc-arity" if value != self.arity:
                self.arity = int(str(value))
                self.request()
            case "embedding" if value != self.embedding:
                self.embedding = str(value)
                self.request()
            case "reducer" if value != self.reducer:
                self.reducer = str(value)
                self.request()
            case "colouring" if value != self.colouring:
                self.colouring = str(value)
                if self.data is not None:
                    self._attach_scores()
                    self._draw(self.data, self.query_one(ProjectionPlot).title)

    def action_next_arity(self) -> None:
        """Cycle the arity."""
        self.query_one("#sc-arity", Select).value = cycle(self.settings.arities, self.arity)

    def action_next_embedding(self) -> None:
        """Cycle the element embedding."""
        self.query_one("#embedding", Select).value = cycle(self.embeddings, self.embedding)

    def action_next_reducer(self) -> None:
        """Cycle the dimension reducer."""
        self.query_one("#reducer", Select).value = cycle(self.reducers, self.reducer)

    def action_toggle_colouring(self) -> None:
        """Colour by category or by anion class."""
        self.query_one("#colouring", Select).value = "anion" if self.colouring == "category" else "category"

    def action_toggle_score_colouring(self) -> None:
        """Colour missing points by score band, or back to the categories."""
        self.query_one("#colouring", Select).value = "category" if self.colouring == "score" else "score"

    # ------------------------------------------------------------ scores

    def _attach_scores(self) -> None:
        """Give the shown points their scores (cached per projection), or start scoring them when colouring by score."""
        data, key = self.data, self.key
        if data is None or key is None or data.scores is not None:
            return
        if key in self.point_scores:
            data.scores = self.point_scores[key]
            data.bands = point_bands(data.labels, data.scores)
        elif self.colouring == "score":
            self._score_points(key, list(data.formulas), data.labels.copy())

    @work(thread=True, exclusive=True, group="point-scores", exit_on_error=False, description="point scores")
    def _score_points(self, key: tuple, formulas: list[str], labels: np.ndarray) -> None:
        """Score the missing points with the ranking under the app's known set and rule (not niced: awaited)."""
        scores = np.full(len(formulas), -np.inf)
        rows = np.flatnonzero(np.isin(labels.astype(str), [str(x) for x in SCORED_LABELS]))
        try:
            comps = [parse_formula(formulas[i]) for i in rows]
            cancel = get_current_worker().cancelled_event  # a newer request (exclusive) stops this one
            rule = self.settings.rule
            # abandoned when cancelled: a scorer's fit does not stop midway, and quitting must not wait for it
            scores[rows] = abandonable(
                lambda: score_compositions(comps, self.known, rule, cancel=cancel), cancel, "point scores"
            )
        except CancelledError:
            return
        except Exception as exc:  # shown, never fatal: the plot keeps its category colours
            self.post_message(PointScoresReady(key, None, f"{type(exc).__name__}: {exc}"))
            return
        if not get_current_worker().is_cancelled:
            self.post_message(PointScoresReady(key, scores))

    @on(PointScoresReady)
    def _points_scored(self, message: PointScoresReady) -> None:
        if message.scores is None:
            self.notify(f"scoring failed: {message.reason}", severity="error", timeout=8)
            return
        self.point_scores[message.key] = message.scores
        if message.key == self.key and self.data is not None:
            self._attach_scores()
            self._draw(self.data, self.query_one(ProjectionPlot).title)

    # ------------------------------------------------------------ export

    def export_job(self) -> ExportJob | None:
        projection = self.projections.get(self.key) if self.key is not None else None
        if projection is None:
            return None
        colouring = "category" if self.colouring == "score" else self.colouring  # figures know no score bands
        title = f"{arity_name(self.arity, title=True)} · {projection.embedding} · {projection.reducer}"

        def write(path: Path) -> str:
            suffix = path.suffix.lower()
            if suffix in (".png", ".svg"):
                from chemspace.core.figures import draw

                draw([projection], path, colouring, titles=[title])
                return f"the {colouring} figure of {len(projection):,} points"
            from chemspace.tui.cmd_project import write_projection

            write_projection(projection, path)
            return f"{len(projection):,} points"

        return ExportJob(
            f"the projection ({title})",
            f"projection-{arity_name(self.arity)}-{projection.embedding}-{projection.reducer}.csv",
            ".csv or .parquet (formula, category, anion_class, x, y), or a .png/.svg figure",
            write,
        )
