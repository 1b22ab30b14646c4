"""From map to candidates: score missing compositions by how likely they are to be real compounds.

The one entry point the app needs is :func:`score_compositions` (a score per composition, higher =
more plausible, -inf for a composition the rule forbids). The command line ranks a chemical system
(:func:`rank_system`) or a whole arity, streamed chunk by chunk and keeping only the top K
(:func:`rank_arity`). Signals live in ``rank_signals``, their combination in ``rank_model``, the
hold-out evidence in ``rank_eval``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np

from chemspace.core.atomic import atomic_path
from chemspace.core.composition import Composition
from chemspace.core.elements import parse_system
from chemspace.core.errors import CancelledError, InputError
from chemspace.core.export import output_format
from chemspace.core.known import KnownSet
from chemspace.core.palette import SCORE_BAND_NAMES
from chemspace.core.rank_model import LEARNED, Scorer, check_method, scorer_for
from chemspace.core.rank_pool import AllowedEnumerator, CompArrays, check_rule, comps_to_arrays
from chemspace.core.rank_rule import RuleContext
from chemspace.core.rank_signals import NEIGHBOUR_COLUMN, SIGNAL_NAMES
from chemspace.core.rule import Rule, check_arity

#: Score bands of the app's projection, best first: (name, lowest score in the band). A score is a
#: percentile among the arity's missing compositions, so "top 5%" holds about 5% of them.
SCORE_BANDS: tuple[tuple[str, float], ...] = tuple(zip(SCORE_BAND_NAMES, (0.95, 0.75, 0.5, -np.inf)))


def score_bands(scores: np.ndarray) -> np.ndarray:
    """The SCORE_BANDS name of each score (a forbidden composition's -inf falls in the last band)."""
    names = np.array([name for name, _ in SCORE_BANDS], dtype=object)
    floors = np.array([floor for _, floor in SCORE_BANDS])
    return names[np.argmax(np.asarray(scores)[:, None] >= floors[None, :], axis=1)]


class RankedScore(NamedTuple):
    """One scored composition among others: its score, its rank among them (1 = best; ties share) and top percent."""

    score: float
    rank: int
    top_percent: float


def ranked_scores(scores: dict[str, float]) -> dict[str, RankedScore]:
    """formula -> score, rank among these formulas (1 + how many score higher) and the arity-wide top percent.

    For exports of a scored table (the app's system tab); a forbidden composition's -inf is left out.
    """
    finite = {f: s for f, s in scores.items() if np.isfinite(s)}
    ordered = np.sort(np.array(list(finite.values()), dtype=float))
    higher = len(ordered) - np.searchsorted(ordered, list(finite.values()), side="right")
    return {f: RankedScore(s, int(h) + 1, 100.0 * (1.0 - s)) for (f, s), h in zip(finite.items(), higher.tolist())}


@dataclass
class Ranker:
    """Scores compositions against one known set with one method (scorers fitted per arity, lazily)."""

    known: KnownSet | None
    rule: Rule = field(default_factory=Rule)
    method: str = LEARNED
    seed: int = 42
    use_cache: bool = True
    cancel: threading.Event | None = None

    def __post_init__(self) -> None:
        check_rule(self.rule)
        check_method(self.method)
        self.context = RuleContext.build(self.known, self.rule)
        self.context.cancel = self.cancel  # fitting and scoring stop between chunks once it is set
        self._scorers: dict[int, Scorer] = {}

    def scorer(self, arity: int) -> Scorer:
        """The fitted scorer for compositions of ``arity`` elements."""
        if arity not in self._scorers:
            self._scorers[arity] = scorer_for(self.context, arity, self.method, self.seed, self.use_cache)
        return self._scorers[arity]

    def score(self, batch: CompArrays) -> Scored:
        """Scores and signals of a batch of one arity; a forbidden row scores -inf."""
        return self._finish(batch, self.context.signals(batch))

    def score_above(self, batch: CompArrays, floor: float) -> Scored:
        """The rows of ``batch`` whose raw score can exceed ``floor``, scored; the rest are dropped unscored.

        Every signal but the neighbour distance is cheap: a row's raw score is bounded by giving it
        the best neighbour value (distance 0), and only rows whose bound beats ``floor`` pay for the
        nearest-neighbour search. Exact for a top-K: a dropped row could not have entered it.
        """
        signals = self.context.signals(batch, with_neighbour=False)
        scorer = self.scorer(batch.arity) if len(batch) else None
        if scorer is not None and scorer.weights[NEIGHBOUR_COLUMN] > 0 and np.isfinite(floor):
            best_case = signals.copy()
            best_case[:, NEIGHBOUR_COLUMN] = 0.0
            keep = scorer.raw(best_case, batch) > floor
            batch, signals = batch.take(keep), signals[keep]
        self.context.fill_neighbour(batch, signals)
        return self._finish(batch, signals)

    def _finish(self, batch: CompArrays, signals: np.ndarray) -> Scored:
        """Scores from complete signals."""
        scorer = self.scorer(batch.arity) if len(batch) else None
        raw = scorer.raw(signals, batch) if scorer else np.zeros(0)
        score = scorer.percentile(raw) if scorer else np.zeros(0)
        forbidden = ~np.isfinite(signals[:, SIGNAL_NAMES.index("oxidation_icsd")])
        raw[forbidden] = score[forbidden] = -np.inf
        return Scored(batch, score, raw, signals)


class Scored(NamedTuple):
    """A batch with its scores: ``score`` the percentile among missing compositions of the arity, ``raw`` the sum."""

    batch: CompArrays
    score: np.ndarray
    raw: np.ndarray
    signals: np.ndarray

    def best_first(self) -> np.ndarray:
        """Row order by score, then raw score, then input order."""
        return np.lexsort((np.arange(len(self.score)), -self.raw, -self.score))

    def take(self, rows: np.ndarray) -> Scored:
        return Scored(self.batch.take(rows), self.score[rows], self.raw[rows], self.signals[rows])

    @staticmethod
    def concat(parts: Sequence[Scored]) -> Scored:
        """Rows of several scored batches of one arity, in order."""
        return Scored(
            CompArrays.concat([p.batch for p in parts], parts[0].batch.arity),
            np.concatenate([p.score for p in parts]),
            np.concatenate([p.raw for p in parts]),
            np.concatenate([p.signals for p in parts]),
        )


def score_compositions(
    comps: Sequence[Composition],
    known: KnownSet | None,
    rule: Rule | None = None,
    method: str = LEARNED,
    seed: int = 42,
    cancel: threading.Event | None = None,
) -> np.ndarray:
    """A plausibility score per composition, in input order (higher = more likely a real compound).

    For the app: sort a system table by it, colour a projection by it. A forbidden composition
    scores -inf; a known one is scored as if it were deleted from ``known`` (leave-one-out), so its
    score says how expected it was. The score is a percentile among the missing compositions of the
    arity (see :meth:`Scorer.percentile`), so binaries and ternaries sort on one scale. ``cancel``
    stops the work (fitting included) between chunks of rows: CancelledError.
    """
    ranker = Ranker(known, rule or Rule(), method, seed, cancel=cancel)
    out = np.full(len(comps), -np.inf)
    for arity, (positions, batch) in comps_to_arrays(comps).items():
        check_arity(arity)
        out[positions] = ranker.score(batch).score
    return out


@dataclass
class Ranking:
    """Ranked compositions, best first, with the scores and signals behind each."""

    compositions: list[Composition]
    scores: np.ndarray
    raw: np.ndarray
    signals: np.ndarray
    considered: int = 0
    scorer_lines: dict[int, str] = field(default_factory=dict)

    @classmethod
    def build(cls, parts: Sequence[Scored], top: int | None) -> Ranking:
        """Merge scored batches and keep the ``top`` best (all when None), best first."""
        parts = [p for p in parts if len(p.batch)]
        if not parts:
            return cls([], np.zeros(0), np.zeros(0), np.zeros((0, len(SIGNAL_NAMES))))
        score = np.concatenate([p.score for p in parts])
        raw = np.concatenate([p.raw for p in parts])
        signals = np.concatenate([p.signals for p in parts])
        order = np.lexsort((np.arange(len(score)), -raw, -score))[:top]  # as Scored.best_first
        offsets = np.cumsum([0] + [len(p.batch) for p in parts])
        part_of = np.searchsorted(offsets, order, side="right") - 1
        comps: list[Composition] = [None] * len(order)  # type: ignore[list-item]
        for j, part in enumerate(parts):
            where = np.flatnonzero(part_of == j)
            for slot, comp in zip(where, part.batch.take(order[where] - offsets[j]).compositions()):
                comps[slot] = comp
        return cls(comps, score[order], raw[order], signals[order], considered=len(score))

    def __len__(self) -> int:
        return len(self.scores)

    def rows(self) -> list[dict]:
        """One dict per composition: formula, score, rank, arity, raw score and every signal."""
        out = []
        for i, comp in enumerate(self.compositions):
            row = {"formula": comp.formula, "score": float(self.scores[i]), "rank": i + 1, "arity": comp.arity}
            row["raw"] = float(self.raw[i])
            row.update({name: float(self.signals[i, j]) for j, name in enumerate(SIGNAL_NAMES)})
            out.append(row)
        return out


def _merge_top(best: Scored | None, new: Scored, top: int) -> Scored:
    """The ``top`` best rows of the kept ones and a new batch (ties: earlier rows first)."""
    merged = new if best is None else Scored.concat([best, new])
    if len(merged.score) > top:
        merged = merged.take(np.sort(merged.best_first()[:top]))
    return merged


def missing_only(ranker: Ranker, batch: CompArrays) -> CompArrays:
    """Rows of an allowed batch that the known set does not hold."""
    return batch.take(~ranker.context.is_known(batch))


def rank_system(elements: Sequence[str] | str, ranker: Ranker, top: int | None = None) -> Ranking:
    """Every missing composition of a chemical system (all subsets of 2..n elements), ranked."""
    symbols = parse_system(elements if isinstance(elements, str) else "-".join(elements))
    parts = []
    for arity in range(2, len(symbols) + 1):
        parts.append(ranker.score(missing_only(ranker, AllowedEnumerator(ranker.rule, arity, symbols).all())))
    ranking = Ranking.build(parts, top)
    ranking.scorer_lines = {a: ranker.scorer(a).describe() for a in range(2, len(symbols) + 1)}
    return ranking


def rank_arity(
    arity: int,
    ranker: Ranker,
    top: int | None = 10000,
    pool: Sequence[str] | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    cancel: threading.Event | None = None,
    subsets_per_batch: int = 4000,
) -> Ranking:
    """The best ``top`` missing compositions of one arity over ``pool`` (default H..Lr), streamed.

    Allowed compositions are enumerated per batch of element subsets and scored, and only the best
    ``top`` are kept between batches, so memory stays bounded whatever the arity. ``on_progress(done,
    total)`` counts element subsets; ``cancel`` stops between batches (CancelledError).
    """
    check_arity(arity)
    if top is not None and top < 1:
        raise InputError(f"--top {top} must be at least 1")
    symbols = tuple(parse_system("-".join(pool))) if pool else None
    if symbols is not None and len(symbols) < arity:
        raise InputError(f"--elements {','.join(symbols)} has {len(symbols)} elements; arity {arity} needs {arity}")
    enum = AllowedEnumerator(ranker.rule, arity, symbols)
    ranker.scorer(arity)  # fit (or load) before streaming, so progress measures the ranking
    best: Scored | None = None
    kept: list[Scored] = []
    done = considered = 0
    for n_subsets, batch in enum.batches(subsets_per_batch):
        if cancel is not None and cancel.is_set():
            raise CancelledError("ranking cancelled")
        missing = missing_only(ranker, batch)
        considered += len(missing)
        full = top is not None and best is not None and len(best.raw) >= top
        scored = ranker.score_above(missing, float(best.raw.min()) if full else -np.inf)
        if top is None:
            kept.append(scored)
        elif len(scored.score):
            best = _merge_top(best, scored, top)
        done += n_subsets
        if on_progress is not None:
            on_progress(done, enum.n_subsets)
    ranking = Ranking.build(kept if top is None else [best] if best is not None else [], top)
    ranking.considered = considered
    ranking.scorer_lines = {arity: ranker.scorer(arity).describe()}
    return ranking


def write_ranking(ranking: Ranking, path: Path) -> None:
    """Write ``formula, score, rank, arity, raw`` and the signals to CSV or Parquet (by suffix), atomically."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from chemspace.core.csv_format import write_csv_table

    fmt = output_format(path)
    rows = ranking.rows()
    columns = ["formula", "score", "rank", "arity", "raw", *SIGNAL_NAMES]
    table = pa.table({c: [r[c] for r in rows] for c in columns})
    with atomic_path(path) as tmp:
        if fmt == "csv":
            write_csv_table(table, tmp)
        else:
            pq.write_table(table, str(tmp))
