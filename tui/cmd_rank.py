"""`chemspace-tui rank`: missing compositions of a system or an arity, most plausible first; `--evaluate` proves it."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from chemspace.core.errors import InputError
from chemspace.core.export import output_format
from chemspace.core.rank import Ranker, Ranking, rank_arity, rank_system, write_ranking
from chemspace.core.rank_eval import BY_COMPOSITION, Evaluation, check_evaluation, evaluate
from chemspace.core.rank_model import LEARNED, METHODS, check_method
from chemspace.core.rank_signals import NO_VECTOR_DISTANCE
from chemspace.core.rule import Rule, arity_name, check_arity
from chemspace.tui.formatting import percent_column
from chemspace.tui.options import (
    AlloysOpt,
    ForceOpt,
    KnownOpt,
    MaxStoichOpt,
    MixedValenceOpt,
    NoPaulingOpt,
    OxStatesOpt,
    SeedOpt,
    check_output,
    err_console,
    guarded,
    load_known,
    rule_from_options,
)
from chemspace.tui.progress import counted_progress
from chemspace.tui.tables import print_table

#: Rows kept when ranking a whole arity without --top.
DEFAULT_ARITY_TOP = 10000
#: Rows printed as a table on the terminal (everything goes to --out or --json).
SHOWN = 30


@guarded
def rank_command(
    system: Annotated[
        str | None, typer.Option("--system", "-s", metavar="SYSTEM", help="Chemical system, e.g. Li-Zn-Sn-O.")
    ] = None,
    arity: Annotated[
        int | None, typer.Option("--arity", "-a", metavar="N", help="Rank every missing composition of one arity.")
    ] = None,
    elements: Annotated[
        str | None,
        typer.Option("--elements", metavar="ELEMENTS", help="With --arity: only these elements, e.g. Li,Zn,Sn,O,S."),
    ] = None,
    known: KnownOpt = None,
    top: Annotated[
        int | None,
        typer.Option(
            "--top", metavar="K", help=f"Keep the best K (default: all of a system, {DEFAULT_ARITY_TOP} of an arity)."
        ),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", metavar="FILE", help="Write FILE.csv or FILE.parquet.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object on stdout.")] = False,
    method: Annotated[
        str, typer.Option("--method", metavar="METHOD", help=f"How signals combine: {', '.join(METHODS)}.")
    ] = LEARNED,
    do_evaluate: Annotated[
        bool, typer.Option("--evaluate", help="Hide known compositions and measure how well each method finds them.")
    ] = False,
    holdout: Annotated[
        float, typer.Option("--holdout", metavar="SHARE", help="With --evaluate: share of known compositions hidden.")
    ] = 0.2,
    by: Annotated[
        str, typer.Option("--by", metavar="UNIT", help="With --evaluate: hide compositions or whole systems.")
    ] = BY_COMPOSITION,
    seed: SeedOpt = 42,
    max_stoich: MaxStoichOpt = 8,
    oxidation_states: OxStatesOpt = "smact14",
    no_pauling: NoPaulingOpt = False,
    alloys: AlloysOpt = False,
    mixed_valence: MixedValenceOpt = False,
    force: ForceOpt = False,
) -> None:
    """Score missing compositions (allowed under the rule, not known): formula, score, rank, the signals behind it."""
    rule = rule_from_options(max_stoich, oxidation_states, no_pauling, alloys, mixed_valence)
    check_method(method)
    if out is not None:
        output_format(out)
        check_output(out, force)
    if arity is not None:
        check_arity(arity)
    if do_evaluate:
        _evaluate(arity, known, holdout, by, seed, rule, as_json)
        return
    if (system is None) == (arity is None):
        raise InputError("give exactly one of --system A-B-C or --arity N")
    if top is not None and top < 1:
        raise InputError(f"--top {top} must be at least 1")
    if elements is not None and arity is None:
        raise InputError("--elements needs --arity (a system is already its elements)")
    known_set = load_known(known)
    ranker = Ranker(known_set, rule, method, seed)
    if system is not None:
        with err_console.status(f"ranking {system} (the first run fits and caches the scorers)"):
            ranking = rank_system(system, ranker, top)
        title = f"{system}: {len(ranking):,} missing compositions"
        title += "" if rule.is_paper else f" ({rule.describe()})"
    else:
        pool = tuple(e.strip() for e in elements.replace("-", ",").split(",") if e.strip()) if elements else None
        ranking = _rank_arity_with_progress(arity, ranker, top or DEFAULT_ARITY_TOP, pool)
        title = f"top {len(ranking):,} of {ranking.considered:,} missing {arity_name(arity)} compositions"
        title += "" if rule.is_paper else f" ({rule.describe()})"
    if out is not None:
        write_ranking(ranking, out)
        err_console.print(f"wrote {len(ranking):,} rows to {out}", highlight=False)
    if as_json:
        typer.echo(json.dumps(_ranking_json(ranking, known_set.name if known_set else None, method, rule)))
    elif out is None:
        print_table(_ranking_table(ranking, title))
        for a, line in ranking.scorer_lines.items():
            err_console.print(f"[dim]{arity_name(a)}: {line}[/]", highlight=False)


def _rank_arity_with_progress(arity: int, ranker: Ranker, top: int, pool: tuple[str, ...] | None) -> Ranking:
    with counted_progress(f"rank {arity_name(arity)}", "element sets") as progress:
        task = progress.add_task("rank", total=None)
        return rank_arity(
            arity, ranker, top, pool, on_progress=lambda done, total: progress.update(task, completed=done, total=total)
        )


def _ranking_json(ranking: Ranking, known_name: str | None, method: str, rule: Rule) -> dict:
    return {
        "known": known_name,
        "method": method,
        "rule": rule.as_dict(),
        "considered": ranking.considered,
        "scorers": {arity_name(a): line for a, line in ranking.scorer_lines.items()},
        "rows": [
            {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in r.items()}
            for r in ranking.rows()
        ],
    }


def _ranking_table(ranking: Ranking, title: str) -> Table:
    table = Table(title=title + (f" (best {SHOWN} shown; --out or --json for all)" if len(ranking) > SHOWN else ""))
    for col in ("Rank", "Formula", "Top", "Oxidation (ICSD)", "Atoms", "System known", "Neighbour"):
        table.add_column(col, justify="left" if col == "Formula" else "right")
    shown = ranking.rows()[:SHOWN]
    tops = percent_column([100 * (1 - row["score"]) for row in shown])
    for row, top in zip(shown, tops):
        table.add_row(
            str(row["rank"]),
            row["formula"],
            top,
            f"{math.exp(row['oxidation_icsd']):.3f}",
            f"{math.exp(-row['simplicity']):.0f}",
            f"{math.expm1(row['system']):.0f}",
            "—" if -row["neighbour"] >= NO_VECTOR_DISTANCE else f"{-row['neighbour']:.2f}",
        )
    return table


def _evaluate(
    arity: int | None, known: str | None, holdout: float, by: str, seed: int, rule: Rule, as_json: bool
) -> None:
    if arity is None:
        raise InputError("--evaluate needs --arity N")
    check_evaluation(arity, holdout, by)
    known_set = load_known(known)
    if known_set is None:
        raise InputError("--evaluate needs a known-materials set (--known)")
    with err_console.status(f"hiding {holdout:g} of the known {arity_name(arity)} compositions by {by}, ranking"):
        result = evaluate(known_set, arity, holdout, seed, by, rule)
    if as_json:
        typer.echo(json.dumps({"known": known_set.name, **result.to_json()}))
        return
    print_table(_evaluation_table(result))
    err_console.print(f"[dim]{result.learned}[/]", highlight=False)


def _evaluation_table(result: Evaluation) -> Table:
    table = Table(
        title=f"{arity_name(result.arity)}: {len(result.hidden):,} known compositions hidden by {result.by} "
        f"(holdout {result.holdout:g}, seed {result.seed}) among {len(result.candidates):,} ranked"
        + ("" if result.rule.is_paper else f" ({result.rule.describe()})")
    )
    for col in ("Method", "ROC AUC", "Recall @1%", "Recall @5%", "Recall @10%"):
        table.add_column(col, justify="left" if col == "Method" else "right")
    for r in result.results:
        table.add_row(r.method, f"{r.auc:.3f}", *(f"{v:.3f}" for v in r.recall.values()))
    return table
