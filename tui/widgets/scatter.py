"""The 2-D projection of the sampled compositions (Figs. 2-5) as a textual-plotext scatter plot.

Projections come from :func:`chemspace.core.reduce.project_samples`. The panel only draws: the app computes a
projection in a thread worker, thins it to at most one point per label per screen cell (plotext
redraws every point on the UI thread at each refresh) and hands the result to :meth:`ScatterPanel.show`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Label, Select, Static
from textual_plotext import PlotextPlot

from chemspace.core.palette import ANION_RGB, CATEGORY_RGB
from chemspace.core.reduce import Projection
from chemspace.tui.widgets.style import ANION_STYLES, LABEL_STYLES

COLOURINGS = ("category", "anion")
#: Draw order: the big grey classes first, so the rare ones stay visible on top.
LABEL_ORDER = ("unlikely", "forbidden", "missing", "allowed", "standard", "interesting")
ANION_ORDER = ("other", "pnictide", "halide", "chalcogenide", "oxide")


@dataclass
class ProjectionData:
    """A projection reduced to what the plot needs: one entry per sampled composition."""

    formulas: list[str]
    labels: np.ndarray
    anions: np.ndarray
    x: np.ndarray
    y: np.ndarray
    skipped: int = 0

    @classmethod
    def from_projection(cls, projection: Projection) -> ProjectionData:
        """The plot's view of the core's Projection."""
        return cls(
            formulas=list(projection.formulas),
            labels=np.asarray(projection.labels),
            anions=np.asarray(projection.anion_classes),
            x=np.asarray(projection.x, dtype=float),
            y=np.asarray(projection.y, dtype=float),
            skipped=projection.skipped,
        )

    def __len__(self) -> int:
        return len(self.x)

    def thinned(self, width: int, height: int, colouring: str) -> ProjectionData:
        """Keep at most one point per colour class per screen cell (plotext draws one glyph per cell)."""
        n = len(self)
        if n == 0 or width <= 0 or height <= 0:
            return self
        classes = self.labels if colouring == "category" else self.anions
        span_x = float(np.ptp(self.x)) or 1.0
        span_y = float(np.ptp(self.y)) or 1.0
        cx = np.clip(((self.x - self.x.min()) / span_x * (width - 1)).astype(np.int64), 0, width - 1)
        cy = np.clip(((self.y - self.y.min()) / span_y * (height - 1)).astype(np.int64), 0, height - 1)
        _, class_idx = np.unique(classes, return_inverse=True)
        key = (class_idx.astype(np.int64) * height + cy) * width + cx
        _, keep = np.unique(key, return_index=True)
        keep.sort()
        return ProjectionData(
            [self.formulas[i] for i in keep],
            self.labels[keep],
            self.anions[keep],
            self.x[keep],
            self.y[keep],
            self.skipped,
        )


class ScatterPanel(Vertical):
    """Selectors (embedding, reducer, colouring), status line, plot and legend."""

    def __init__(
        self,
        arity_options: list[tuple[str, int]],
        arity: int,
        embeddings: tuple[str, ...],
        reducers: tuple[str, ...],
        embedding: str,
        reducer: str,
    ) -> None:
        super().__init__(id="scatter-panel")
        self.arity_options = arity_options
        self.arity = arity
        self.embeddings = embeddings
        self.reducers = reducers
        self._embedding = embedding
        self._reducer = reducer
        self._data: ProjectionData | None = None
        self._colouring = "category"

    def compose(self) -> ComposeResult:
        with Horizontal(id="scatter-controls", classes="controls"):
            yield Select(self.arity_options, value=self.arity, allow_blank=False, id="sc-arity")
            yield Select([(e, e) for e in self.embeddings], value=self._embedding, allow_blank=False, id="embedding")
            yield Select([(r, r) for r in self.reducers], value=self._reducer, allow_blank=False, id="reducer")
            yield Select([(c, c) for c in COLOURINGS], value="category", allow_blank=False, id="colouring")
        yield Label("", id="scatter-status")
        yield PlotextPlot(id="scatter-plot")
        yield Static("", id="scatter-empty")
        yield Static("", id="scatter-legend")

    def set_status(self, text: str) -> None:
        """The state of the projection: computing, waiting for samples, not available, or what is shown."""
        self.query_one("#scatter-status", Label).update(text)

    def plot_cells(self) -> tuple[int, int]:
        """Size of the plot canvas in cells (minus axes), for thinning.

        While the placeholder is shown the plot is hidden and has no size; the placeholder takes the
        same space, so it is measured instead.
        """
        shown = "#scatter-empty" if self.has_class("-empty") else "#scatter-plot"
        size = self.query_one(shown).size
        return max(10, size.width - 8), max(5, size.height - 4)

    def show(self, data: ProjectionData | None, colouring: str, title: str) -> None:
        """Draw already-thinned points (None clears the plot)."""
        self._data = data
        self._colouring = colouring
        empty = data is None or not len(data)
        self.set_class(empty, "-empty")
        self.query_one("#scatter-empty", Static).update(title)
        plot = self.query_one(PlotextPlot)
        plt = plot.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title(title)
        legend = Text()
        if data is not None and len(data):
            classes = data.labels if colouring == "category" else data.anions
            order = LABEL_ORDER if colouring == "category" else ANION_ORDER
            colours = CATEGORY_RGB if colouring == "category" else ANION_RGB
            styles = LABEL_STYLES if colouring == "category" else ANION_STYLES
            present = [c for c in order if np.any(classes == c)]
            present += sorted({str(c) for c in classes} - set(present))
            for cls in present:
                mask = classes == cls
                colour = colours.get(cls, (255, 255, 255))
                plt.scatter(data.x[mask].tolist(), data.y[mask].tolist(), marker="dot", color=colour)
                legend.append("● ", style=styles.get(cls, "default"))
                legend.append(f"{cls}   ")
        plt.xfrequency(0)
        plt.yfrequency(0)
        self.query_one("#scatter-legend", Static).update(legend)
        plot.refresh()
