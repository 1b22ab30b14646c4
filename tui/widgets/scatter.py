"""The 2-D projection of the sampled compositions (Figs. 2-5) as a textual-plotext scatter plot with a point cursor.

Projections come from :func:`chemspace.core.reduce.project_samples`; the projection pane computes
them in a worker and hands the whole projection to :class:`ProjectionPlot`. The plot thins the
points to one per colour class per screen cell *when it renders*, with the size it is rendered at
(plotext redraws every point on the UI thread), so a resize or a layout that lands after the data
can never leave it drawn for a stale size.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from rich.align import Align
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.message import Message
from textual_plotext import PlotextPlot

from chemspace.core.palette import colouring_palette, draw_rank
from chemspace.core.reduce import Projection
from chemspace.tui.widgets.style import marked

COLOURINGS = ("category", "anion", "score")
#: Cells the plot's frame and title take from the widget (ticks are off).
FRAME_WIDTH, FRAME_HEIGHT = 8, 4
CURSOR_MARKER, HIGHLIGHT_MARKER = "X", "@"


@dataclass
class ProjectionData:
    """A projection reduced to what the plot needs: one entry per sampled composition."""

    formulas: list[str]
    labels: np.ndarray
    anions: np.ndarray
    x: np.ndarray
    y: np.ndarray
    skipped: int = 0
    bands: np.ndarray | None = None  # each point's score band (missing points) or label, once scored
    scores: np.ndarray | None = None  # each point's plausibility score (-inf where not scored)

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

    def classes(self, colouring: str) -> np.ndarray:
        """Each point's class under a colouring ('score' shows the labels until the scores arrive)."""
        if colouring == "score":
            return self.labels if self.bands is None else self.bands
        return self.labels if colouring == "category" else self.anions

    def cells(self, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
        """Each point's screen cell (column, row from the bottom) on a width x height canvas."""
        span_x = float(np.ptp(self.x)) or 1.0
        span_y = float(np.ptp(self.y)) or 1.0
        cx = np.clip(((self.x - self.x.min()) / span_x * (width - 1)).astype(np.int64), 0, width - 1)
        cy = np.clip(((self.y - self.y.min()) / span_y * (height - 1)).astype(np.int64), 0, height - 1)
        return cx, cy

    def thinned_indices(self, width: int, height: int, colouring: str) -> np.ndarray:
        """Indices keeping at most one point per colour class per screen cell (plotext draws one glyph per cell)."""
        n = len(self)
        if n == 0 or width <= 0 or height <= 0:
            return np.arange(n)
        cx, cy = self.cells(width, height)
        _, class_idx = np.unique(self.classes(colouring), return_inverse=True)
        key = (class_idx.astype(np.int64) * height + cy) * width + cx
        _, keep = np.unique(key, return_index=True)
        keep.sort()
        return keep

    def step(self, index: int, dx: int, dy: int) -> int:
        """The nearest point from ``index`` in a direction (dx, dy in -1..1), or ``index`` if none lies there."""
        span_x = float(np.ptp(self.x)) or 1.0
        span_y = float(np.ptp(self.y)) or 1.0
        ddx = (self.x - self.x[index]) / span_x
        ddy = (self.y - self.y[index]) / span_y
        along = ddx * dx + ddy * dy
        across = np.abs(ddx * dy) + np.abs(ddy * dx)
        ok = along > 1e-12
        if not ok.any():
            return index
        cost = np.where(ok, along + 2.0 * across, np.inf)
        return int(np.argmin(cost))

    def nearest_to_centre(self) -> int:
        """The point nearest the middle of the map (where the cursor starts)."""
        cx, cy = (self.x.min() + self.x.max()) / 2, (self.y.min() + self.y.max()) / 2
        span_x = float(np.ptp(self.x)) or 1.0
        span_y = float(np.ptp(self.y)) or 1.0
        return int(np.argmin(((self.x - cx) / span_x) ** 2 + ((self.y - cy) / span_y) ** 2))


class ProjectionPlot(PlotextPlot, can_focus=True):
    """The scatter plot; arrows move a cursor to the nearest point in that direction."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left", "step(-1, 0)", "Point ←", show=False, tooltip="cursor to the nearest point to the left"),
        Binding("right", "step(1, 0)", "Point →", show=False, tooltip="cursor to the nearest point to the right"),
        Binding("up", "step(0, 1)", "Point ↑", show=False, tooltip="cursor to the nearest point above"),
        Binding("down", "step(0, -1)", "Point ↓", show=False, tooltip="cursor to the nearest point below"),
    ]

    class PointHighlighted(Message):
        """The cursor moved to a point (index into the projection)."""

        def __init__(self, index: int) -> None:
            super().__init__()
            self.index = index

    class Drawn(Message):
        """The plot rendered ``count`` points (after thinning to its size)."""

        def __init__(self, count: int) -> None:
            super().__init__()
            self.count = count

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.data: ProjectionData | None = None
        self.colouring = "category"
        self.cursor: int | None = None
        self.highlight: np.ndarray | None = None
        self.title = ""
        self.drawn = 0
        self._built: tuple | None = None

    def show(
        self, data: ProjectionData | None, colouring: str, title: str, highlight: np.ndarray | None = None
    ) -> None:
        """Take a projection (None clears); drawing waits for the next render, at the size it has then."""
        if data is not self.data:
            self.cursor = None
        self.data, self.colouring, self.title, self.highlight = data, colouring, title, highlight
        self._built = None
        self.refresh()

    def action_step(self, dx: int, dy: int) -> None:
        """Move the cursor to the nearest point in a direction (the first press puts it mid-map)."""
        if self.data is None or not len(self.data):
            return
        if self.cursor is None:
            self.cursor = self.data.nearest_to_centre()
        else:
            self.cursor = self.data.step(self.cursor, dx, dy)
        self.move_to(self.cursor)

    def move_to(self, index: int) -> None:
        """Put the cursor on a point and announce it."""
        self.cursor = index
        self._built = None
        self.refresh()
        self.post_message(self.PointHighlighted(index))

    def _build(self, width: int, height: int) -> None:
        """Refill plotext's figure for this canvas size."""
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title(self.title)
        plt.xfrequency(0)
        plt.yfrequency(0)
        data = self.data
        self.drawn = 0
        if data is None or not len(data):
            return
        keep = data.thinned_indices(width, height, self.colouring)
        classes = data.classes(self.colouring)
        colours, glyphs = colouring_palette(self.colouring)
        for name in sorted({str(c) for c in classes[keep]}, key=draw_rank):
            idx = keep[classes[keep] == name]
            colour = colours.get(name, (255, 255, 255))
            plt.scatter(data.x[idx].tolist(), data.y[idx].tolist(), marker=glyphs.get(name, "•"), color=colour)
        self.drawn = len(keep)
        if self.highlight is not None and self.highlight.any():
            idx = np.flatnonzero(self.highlight)
            plt.scatter(data.x[idx].tolist(), data.y[idx].tolist(), marker=HIGHLIGHT_MARKER, color="white")
        if self.cursor is not None:
            plt.scatter([float(data.x[self.cursor])], [float(data.y[self.cursor])], marker=CURSOR_MARKER, color="white")

    def render(self):
        if self.data is None or not len(self.data):
            # the plot stays on screen (and focused) while there is nothing to draw: it says why instead
            return Align.center(Text(self.title, style="dim"), vertical="middle")
        width, height = self.size.width - FRAME_WIDTH, self.size.height - FRAME_HEIGHT
        key = (width, height)
        if self._built != key and width > 0 and height > 0:
            self._build(width, height)
            self._built = key
            self.post_message(self.Drawn(self.drawn))
        return super().render()


def legend(classes: list[str], colouring: str) -> Text:
    """'● standard  ○ missing ...': glyph and colour of each class shown."""
    text = Text()
    for name in sorted(classes, key=draw_rank):
        text.append_text(marked(name, colouring))
        text.append("  ")
    text.append(f"{CURSOR_MARKER} cursor  {HIGHLIGHT_MARKER} highlighted", style="dim")
    return text
