"""Static figures of projections (matplotlib, Agg): one panel, or the paper's embeddings-by-reducers grid."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from chemspace.core.atomic import atomic_path
from chemspace.core.errors import InputError
from chemspace.core.reduce import Projection

#: The paper's colours: categories (Figs. 2-4) and anion classes (Fig. 5).
CATEGORY_COLOURS = {
    "standard": "tab:blue",
    "missing": "tab:red",
    "interesting": "tab:green",
    "unlikely": "tab:grey",
    "allowed": "tab:red",
    "forbidden": "tab:grey",
}
ANION_COLOURS = {
    "pnictide": "gold",
    "halide": "tab:blue",
    "chalcogenide": "tab:red",
    "oxide": "tab:green",
    "other": "tab:grey",
}
FIGURE_SUFFIXES = (".png", ".svg")


def _scatter(ax, projection: Projection, colour_by: str) -> None:
    classes = projection.labels if colour_by == "category" else projection.anion_classes
    palette = CATEGORY_COLOURS if colour_by == "category" else ANION_COLOURS
    for name, colour in palette.items():  # grey classes first in the dicts' order is fine: few points
        mask = np.asarray(classes) == name
        if mask.any():
            ax.scatter(projection.x[mask], projection.y[mask], s=2, c=colour, label=name, alpha=0.6, linewidths=0)
    ax.set_xticks([])
    ax.set_yticks([])


def draw(projections: Sequence[Projection], path: Path, colour_by: str = "category", columns: int = 1) -> None:
    """Write one panel per projection (grid of ``columns``) to PNG or SVG, atomically."""
    if path.suffix.lower() not in FIGURE_SUFFIXES:
        raise InputError(f"figure file {str(path)!r} must end in .png or .svg")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = -(-len(projections) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(3 * columns, 3 * rows), squeeze=False, dpi=100)
    for ax, proj in zip(axes.ravel(), projections):
        _scatter(ax, proj, colour_by)
        ax.set_title(f"{proj.embedding} · {proj.reducer}", fontsize=8)
    for ax in axes.ravel()[len(projections) :]:
        ax.axis("off")
    handles, names = axes.ravel()[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="lower center", ncol=len(names), markerscale=4, frameon=False)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format=path.suffix.lower().lstrip("."))
    plt.close(fig)
