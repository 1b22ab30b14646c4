"""Static figures of projections (matplotlib, Agg): one panel, or the paper's embeddings-by-reducers grid.

Colours follow the paper (:mod:`chemspace.core.palette`, shared with the app): categories as in
Figs. 2-4, anion classes as in Fig. 5, and "allowed"/"forbidden" in colours the categories do not use.

Every panel is 3 x 3 inches, at 200 dpi by default, so a PNG of ``rows x columns`` panels is exactly
``600 * columns`` by ``600 * rows`` pixels (``dpi * 3`` per panel; ``bbox_inches`` is left alone on
purpose); an SVG is 216 pt per panel. The legend is sized for the panel (9 pt text, 7 pt markers).
Files are written atomically.

A grid compares embeddings only if every panel holds the same compositions: :func:`common_samples`
keeps the samples every embedding can represent and says how many it dropped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from chemspace.core.atomic import atomic_path
from chemspace.core.composition import Composition
from chemspace.core.errors import InputError
from chemspace.core.palette import ANION_HEX, CATEGORY_HEX, DRAW_ORDER
from chemspace.core.reduce import Projection

COLOURINGS = ("category", "anion")
FIGURE_SUFFIXES = (".png", ".svg")
PANEL_INCHES = 3.0
#: Marker areas (points^2): the crowd, and classes with under RARE_SHARE of a panel's points.
MARKER, RARE_MARKER, RARE_SHARE = 2.0, 9.0, 0.05
DPI = 200
MIN_DPI, MAX_DPI = 50, 1200
#: Legend text and marker sizes (points): readable beside a 3-inch panel.
LEGEND_FONT, LEGEND_MARKER = 9.0, 7.0


def check_dpi(dpi: int) -> int:
    """A resolution in MIN_DPI..MAX_DPI, else InputError."""
    if not MIN_DPI <= dpi <= MAX_DPI:
        raise InputError(f"--dpi {dpi} is outside {MIN_DPI}..{MAX_DPI}")
    return dpi


def common_samples(
    samples: Mapping[str, Sequence[Composition]],
    embeddings: Sequence[str],
    *,
    stats: Sequence[str] = ("mean",),
    oxidation_states: str = "smact14",
) -> tuple[dict[str, list[Composition]], int]:
    """The samples every embedding can represent (label -> compositions), and how many were dropped.

    Each embedding skips compositions with an element it has no vector for; without this, each
    panel of a grid would hold a different subset and the panels could not be compared.
    """
    from chemspace.core.embeddings import embed
    from chemspace.core.reduce import sample_labels

    labels = sample_labels(samples)
    comps = [c for lab in labels for c in samples[lab]]
    keep = np.ones(len(comps), dtype=bool)
    for name in embeddings:
        keep &= embed(comps, name, stats, oxidation_states).kept
    out: dict[str, list[Composition]] = {}
    start = 0
    for lab in labels:
        n = len(samples[lab])
        out[lab] = [c for c, k in zip(samples[lab], keep[start : start + n]) if k]
        start += n
    return out, int((~keep).sum())


def check_figure_path(path: Path) -> str:
    """'png' or 'svg' from the suffix, else InputError."""
    suffix = path.suffix.lower()
    if suffix not in FIGURE_SUFFIXES:
        raise InputError(f"figure file {str(path)!r} must end in .png or .svg")
    return suffix.lstrip(".")


def check_colouring(colour_by: str) -> str:
    """Return ``colour_by`` if it is 'category' or 'anion', else InputError."""
    if colour_by not in COLOURINGS:
        raise InputError(f"colouring {colour_by!r} is not category or anion")
    return colour_by


def _ordered(names: set[str]) -> list[str]:
    return sorted(names, key=lambda n: (DRAW_ORDER.index(n) if n in DRAW_ORDER else len(DRAW_ORDER), n))


def _scatter(ax, projection: Projection, colour_by: str) -> None:
    """One panel: points coloured by category or anion class, axes bare as in the paper.

    A class with under 5% of the points (a handful of known compounds among thousands of missing
    ones) is drawn with larger markers, on top, so it cannot vanish under the crowd.
    """
    classes = np.asarray(projection.labels if colour_by == "category" else projection.anion_classes)
    palette = CATEGORY_HEX if colour_by == "category" else ANION_HEX
    names = set(classes.tolist())
    rare = {n for n in names if (classes == n).sum() < RARE_SHARE * len(classes)}
    for name in [*_ordered(names - rare), *_ordered(rare)]:
        mask = classes == name
        ax.scatter(
            projection.x[mask],
            projection.y[mask],
            s=RARE_MARKER if name in rare else MARKER,
            c=palette.get(name, "#000000"),
            label=name,
            alpha=0.6,
            linewidths=0,
            rasterized=False,
        )
    ax.set_xticks([])
    ax.set_yticks([])


def _legend_entries(projections: Sequence[Projection], colour_by: str) -> list[str]:
    names: set[str] = set()
    for p in projections:
        names |= set(np.asarray(p.labels if colour_by == "category" else p.anion_classes).tolist())
    palette = CATEGORY_HEX if colour_by == "category" else ANION_HEX
    return [n for n in palette if n in names] + sorted(names - set(palette))


def draw(
    projections: Sequence[Projection],
    path: Path,
    colour_by: str = "category",
    columns: int = 1,
    titles: Sequence[str] | None = None,
    dpi: int = DPI,
) -> None:
    """Write one panel per projection, ``columns`` per row, to PNG or SVG, atomically.

    Parameters
    ----------
    projections : the panels, row by row.
    path : FILE.png or FILE.svg.
    colour_by : "category" (Figs. 2-4) or "anion" (Fig. 5).
    columns : panels per row (3 for the embeddings-by-reducers grid).
    titles : panel titles; default "embedding · reducer".
    dpi : resolution of a PNG (a panel is 3 inches: ``3 * dpi`` pixels).
    """
    fmt = check_figure_path(path)
    check_dpi(dpi)
    check_colouring(colour_by)
    if not projections:
        raise InputError("nothing to draw")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    columns = max(1, min(columns, len(projections)))
    rows = -(-len(projections) // columns)
    fig, axes = plt.subplots(
        rows, columns, figsize=(PANEL_INCHES * columns, PANEL_INCHES * rows), squeeze=False, dpi=dpi
    )
    try:
        for i, (ax, proj) in enumerate(zip(axes.ravel(), projections)):
            _scatter(ax, proj, colour_by)
            ax.set_title(titles[i] if titles else f"{proj.embedding} · {proj.reducer}", fontsize=8)
        for ax in axes.ravel()[len(projections) :]:
            ax.axis("off")
        palette = CATEGORY_HEX if colour_by == "category" else ANION_HEX
        names = _legend_entries(projections, colour_by)
        handles = [
            Line2D([], [], marker="o", linestyle="", markersize=LEGEND_MARKER, color=palette.get(n, "#000000"))
            for n in names
        ]
        ncol = max(1, min(len(names), 3 * columns))
        legend_rows = -(-len(names) // ncol)
        fig.legend(
            handles,
            names,
            loc="lower center",
            ncol=ncol,
            frameon=False,
            fontsize=LEGEND_FONT,
            columnspacing=1.0,
            handletextpad=0.2,
        )
        legend_inches = 0.22 * legend_rows + 0.1  # a 9 pt line is 0.125 in, plus spacing
        fig.tight_layout(rect=(0, legend_inches / (PANEL_INCHES * rows), 1, 1))
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format=fmt, dpi=dpi)
    finally:
        plt.close(fig)
