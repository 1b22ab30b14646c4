"""`chemspace-tui project`: embed sampled compositions and reduce them to 2-D (the paper's Figs. 2-5).

The census draws ``--samples`` compositions per label (the four categories with a known set, else
allowed/forbidden), :func:`chemspace.core.reduce.project_samples` embeds and projects them (the same
code path as the app's projection panel), and the table ``formula, category, anion_class, x, y`` is
written atomically. ``--figure`` draws the projection; with ``--grid`` it draws the paper's grid of
the six element embeddings (rows) by PCA, t-SNE and UMAP (columns) for the one arity, every panel
on the same compositions (those every embedding can represent; the command says how many it
dropped), and ``--out`` then gets every panel's points with ``embedding`` and ``reducer`` columns.
Progress goes to stderr: bars on a terminal, one line per stage otherwise (logs, CI).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import pyarrow as pa
import pyarrow.parquet as pq
import typer
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

from chemspace.core.atomic import atomic_path
from chemspace.core.census import ArityCensus, run_census
from chemspace.core.csv_format import write_csv_table
from chemspace.core.embeddings import PAPER_EMBEDDINGS, check_embedding, check_stats
from chemspace.core.errors import InputError
from chemspace.core.export import output_format
from chemspace.core.figures import DPI, check_colouring, check_dpi, check_figure_path, common_samples, draw
from chemspace.core.reduce import REDUCERS, Projection, make_reducer, project_samples
from chemspace.core.rule import arity_name, check_seed
from chemspace.tui.options import (
    AlloysOpt,
    ForceOpt,
    KnownOpt,
    MaxStoichOpt,
    MixedValenceOpt,
    NoPaulingOpt,
    OxStatesOpt,
    SamplesOpt,
    SeedOpt,
    check_output,
    err_console,
    guarded,
    load_known,
    parse_arities,
    rule_from_options,
    settings_from_options,
)
from chemspace.tui.progress import timing_text


def projection_table(projection: Projection, panel_columns: bool = False) -> pa.Table:
    """The output columns: formula, category, anion_class, x, y (after embedding, reducer for a grid's panels)."""
    panel = {}
    if panel_columns:
        panel = {
            "embedding": pa.array([projection.embedding] * len(projection), type=pa.string()),
            "reducer": pa.array([projection.reducer] * len(projection), type=pa.string()),
        }
    return pa.table(
        {
            **panel,
            "formula": pa.array(projection.formulas, type=pa.string()),
            "category": pa.array([str(v) for v in projection.labels], type=pa.string()),
            "anion_class": pa.array([str(v) for v in projection.anion_classes], type=pa.string()),
            "x": pa.array(projection.x, type=pa.float64()),
            "y": pa.array(projection.y, type=pa.float64()),
        }
    )


def write_projection(projection: Projection | Sequence[Projection], path: Path) -> None:
    """Write a projection (or several panels, one after another with panel columns) as CSV or Parquet, atomically."""
    if isinstance(projection, Projection):
        table = projection_table(projection)
    else:
        table = pa.concat_tables([projection_table(p, panel_columns=True) for p in projection])
    fmt = output_format(path)
    try:
        with atomic_path(path) as tmp:
            if fmt == "csv":
                write_csv_table(table, tmp)
            else:
                pq.write_table(table, tmp)
    except OSError as exc:
        raise InputError(f"cannot write {str(path)!r}: {exc.strerror or exc}") from None


def _single_arity(text: str) -> int:
    arities = parse_arities(text)
    if len(arities) != 1:
        raise InputError(f"--arity takes one arity for a projection, got {text!r}")
    return arities[0]


def say(text: str) -> None:
    """One progress line on stderr when it is not a terminal (where the bars are hidden)."""
    if not err_console.is_terminal:
        err_console.print(text, highlight=False, soft_wrap=True)


@contextmanager
def _progress() -> Iterator[Progress]:
    """Bars on stderr on a terminal; elsewhere the stages are told line by line (:func:`say`)."""
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=False,
        disable=not err_console.is_terminal,
    )
    with progress:
        yield progress


def _panels(grid: bool, embedding: str, reducer: str) -> list[tuple[str, str]]:
    if not grid:
        return [(embedding, reducer)]
    return [(e, r) for e in PAPER_EMBEDDINGS for r in REDUCERS]


@guarded
def project_command(
    out: Annotated[Path | None, typer.Option("--out", "-o", metavar="FILE", help="FILE.csv or FILE.parquet")] = None,
    arity: Annotated[str, typer.Option("--arity", "-a", metavar="N", help="Number of elements (2..6).")] = "2",
    embedding: Annotated[
        str,
        typer.Option(
            "--embedding", "-e", metavar="EMBEDDING", help="Element embedding (magpie, mat2vec, ...) or skipspecies."
        ),
    ] = "magpie",
    reducer: Annotated[str, typer.Option("--reducer", "-r", metavar="REDUCER", help="pca, tsne or umap.")] = "pca",
    stats: Annotated[
        str,
        typer.Option(
            "--stats",
            metavar="STATS",
            help="Pooling statistics, comma-separated: mean (eq. 2), variance, minpool, maxpool, range, sum,"
            " geometric_mean, harmonic_mean.",
        ),
    ] = "mean",
    samples: SamplesOpt = 3000,
    seed: SeedOpt = 42,
    known: KnownOpt = None,
    max_stoich: MaxStoichOpt = 8,
    oxidation_states: OxStatesOpt = "smact14",
    no_pauling: NoPaulingOpt = False,
    alloys: AlloysOpt = False,
    mixed_valence: MixedValenceOpt = False,
    figure: Annotated[
        Path | None, typer.Option("--figure", metavar="FILE", help="Also draw FILE.png or FILE.svg.")
    ] = None,
    grid: Annotated[
        bool, typer.Option("--grid", help="Figure: the six paper embeddings x PCA, t-SNE, UMAP (Figs. 2-5).")
    ] = False,
    colour: Annotated[
        str, typer.Option("--colour", metavar="COLOURING", help="Figure colouring: category or anion.")
    ] = "category",
    dpi: Annotated[
        int, typer.Option("--dpi", metavar="DPI", help="Figure resolution: a panel is 3 inches (600 px at 200).")
    ] = DPI,
    force: ForceOpt = False,
) -> None:
    """Embed the census's per-label samples and project them to 2-D (columns formula, category, anion_class, x, y).

    The category column holds the paper's four categories with a known set, else allowed/forbidden.
    """
    if out is None and figure is None:
        raise InputError("nothing to write: give --out FILE.csv|FILE.parquet and/or --figure FILE.png|FILE.svg")
    if out is not None:  # validate every name and directory before the census runs
        output_format(out)
        check_output(out, force)
    if figure is not None:
        check_output(figure, force)
    check_embedding(embedding)
    pooling = check_stats([t.strip() for t in stats.split(",") if t.strip()])
    make_reducer(reducer, check_seed(seed))
    check_colouring(colour)
    check_dpi(dpi)
    if figure is not None:
        check_figure_path(figure)
    elif grid:
        raise InputError("--grid draws a figure: give --figure FILE.png or FILE.svg")
    n = _single_arity(arity)
    if samples < 3:
        raise InputError(f"--samples {samples} is too few to project (need at least 3 per label)")
    rule = rule_from_options(max_stoich, oxidation_states, no_pauling, alloys, mixed_valence)
    settings = settings_from_options(str(n), max_stoich, oxidation_states, samples, seed, rule=rule)
    known_set = load_known(known)
    panels = _panels(grid, embedding, reducer)
    wanted = panels if (embedding, reducer) in panels else [*panels, (embedding, reducer)]
    with _progress() as progress:
        census = _census(progress, settings, known_set, n)
        samples = {"grid": census.samples, "extra": census.samples}
        if grid:
            samples["grid"], dropped = common_samples(
                census.samples, PAPER_EMBEDDINGS, stats=pooling, oxidation_states=oxidation_states
            )
            kept = sum(len(v) for v in samples["grid"].values())
            err_console.print(
                f"grid: {kept:,} compositions in every panel; dropped {dropped:,} that some embedding cannot"
                " represent (no vector for an element)",
                highlight=False,
                soft_wrap=True,
            )
        chosen = [(e, r, samples["grid" if (e, r) in panels else "extra"]) for e, r in wanted]
        projections = dict(zip(wanted, _project(progress, chosen, seed, oxidation_states, pooling)))
        main = projections[embedding, reducer]
        if out is not None:
            write_projection([projections[p] for p in wanted] if grid else main, out)
        if figure is not None:
            task = progress.add_task("figure", total=1)
            say(f"drawing {figure}")
            try:
                shown = [projections[p] for p in panels]
                name = arity_name(n, title=True)
                titles = [f"{name} · {p.embedding} · {p.reducer} · {len(p):,} points" for p in shown]
                draw(shown, figure, colour, columns=len(REDUCERS) if grid else 1, titles=titles, dpi=dpi)
            except OSError as exc:
                raise InputError(f"cannot write {str(figure)!r}: {exc.strerror or exc}") from None
            progress.update(task, completed=1)
    _report(main, out, figure, panels=len(wanted) if grid else 1)


def _census(progress: Progress, settings, known_set, arity: int) -> ArityCensus:
    task = progress.add_task(f"census (arity {arity})", total=1.0)
    say(f"census of the {arity_name(arity)} compositions…")

    def update(census: ArityCensus) -> None:
        progress.update(task, completed=census.fraction)

    result = run_census(settings, known=known_set, on_progress=update)
    progress.update(task, completed=1.0)
    say(f"census {timing_text(result.elapsed, result.compile_seconds)}")
    return result.arities[arity]


def _project(
    progress: Progress,
    panels: list[tuple[str, str, dict]],
    seed: int,
    oxidation_states: str,
    stats: tuple[str, ...],
) -> list[Projection]:
    """Each (embedding, reducer, samples) panel's projection, in order."""
    task = progress.add_task("projections", total=len(panels))
    out = []
    for number, (embedding, reducer, samples) in enumerate(panels, start=1):
        progress.update(task, description=f"{embedding} + {reducer}")
        say(f"projection {number}/{len(panels)}: {embedding} + {reducer}")
        out.append(
            project_samples(
                samples, embedding, reducer, random_state=seed, stats=stats, oxidation_states=oxidation_states
            )
        )
        progress.advance(task)
    return out


def _report(projection: Projection, out: Path | None, figure: Path | None, panels: int = 1) -> None:
    if projection.skipped:
        missing = ", ".join(sorted(projection.missing_elements)[:12])
        more = "…" if len(projection.missing_elements) > 12 else ""
        why = f" (no vector for {missing}{more})" if missing else ""
        err_console.print(
            f"skipped {projection.skipped:,} compositions {projection.embedding} cannot embed{why}", highlight=False
        )
    written = [str(p) for p in (out, figure) if p is not None]
    what = f"{panels} panels" if panels > 1 else f"{len(projection):,} points"
    err_console.print(f"wrote {what} to {' and '.join(written)}", highlight=False)
