"""`chemspace-tui project`: embed sampled compositions and reduce them to 2-D (Figs. 2-5)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import typer

from chemspace.core.atomic import atomic_path
from chemspace.core.census import run_census
from chemspace.core.embeddings import PAPER_EMBEDDINGS, element_vectors
from chemspace.core.errors import InputError
from chemspace.core.export import output_format
from chemspace.core.figures import draw
from chemspace.core.reduce import REDUCERS, Projection, project_samples
from chemspace.tui.options import (
    KnownOpt,
    MaxStoichOpt,
    OxStatesOpt,
    SamplesOpt,
    SeedOpt,
    err_console,
    guarded,
    load_known,
    settings_from_options,
)


def _write_table(projection: Projection, path: Path) -> None:
    table = pa.table(
        {
            "formula": projection.formulas,
            "category": list(projection.labels),
            "anion_class": list(projection.anion_classes),
            "x": projection.x,
            "y": projection.y,
        }
    )
    fmt = output_format(path)
    with atomic_path(path) as tmp:
        if fmt == "csv":
            pacsv.write_csv(table, tmp)
        else:
            pq.write_table(table, tmp)


@guarded
def project_command(
    out: Annotated[Path, typer.Option("--out", "-o", help="FILE.csv or FILE.parquet")],
    arity: Annotated[int, typer.Option("--arity", "-a", help="Number of elements (2..6).")] = 2,
    embedding: Annotated[str, typer.Option("--embedding", "-e", help="Element embedding, e.g. magpie.")] = "magpie",
    reducer: Annotated[str, typer.Option("--reducer", "-r", help="pca, tsne or umap.")] = "pca",
    samples: SamplesOpt = 3000,
    seed: SeedOpt = 42,
    known: KnownOpt = None,
    max_stoich: MaxStoichOpt = 8,
    oxidation_states: OxStatesOpt = "smact14",
    figure: Annotated[Path | None, typer.Option("--figure", help="Also draw FILE.png or FILE.svg.")] = None,
    grid: Annotated[bool, typer.Option("--grid", help="Figure: every paper embedding x every reducer.")] = False,
    colour: Annotated[str, typer.Option("--colour", help="Figure colouring: category or anion.")] = "category",
) -> None:
    """Embed the census's per-label samples and project them to 2-D (columns formula, category, anion_class, x, y)."""
    output_format(out)
    element_vectors(embedding)  # validate names before the census runs
    if reducer not in REDUCERS:
        raise InputError(f"unknown reducer {reducer!r} (expected one of {', '.join(REDUCERS)})")
    if colour not in ("category", "anion"):
        raise InputError(f"--colour {colour!r} is not category or anion")
    settings = settings_from_options(str(arity), max_stoich, oxidation_states, samples, seed)
    census = run_census(settings, known=load_known(known)).arities[arity]
    with err_console.status(f"{embedding} + {reducer} on {sum(len(v) for v in census.samples.values()):,} samples"):
        projection = project_samples(census.samples, embedding, reducer, random_state=seed)
    _write_table(projection, out)
    if projection.skipped:
        err_console.print(f"skipped {projection.skipped} compositions with elements {embedding} lacks", highlight=False)
    if figure is not None:
        panels = [projection]
        if grid:
            with err_console.status("drawing the embeddings x reducers grid"):
                panels = [
                    project_samples(census.samples, e, r, random_state=seed) for e in PAPER_EMBEDDINGS for r in REDUCERS
                ]
        draw(panels, figure, colour, columns=len(REDUCERS) if grid else 1)
    err_console.print(f"wrote {len(projection.x):,} points to {out}", highlight=False)
