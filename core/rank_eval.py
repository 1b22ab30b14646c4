"""The evidence that the ranking works: hide known compositions, rank them among the missing, measure.

A fraction of the known allowed compositions of one arity is hidden, at random or whole chemical
systems at once. The hidden compositions are deleted from the known set, and everything (the
signals, the system and neighbour counts, the learned combination's training set) is rebuilt from
what remains, so nothing about a hidden composition enters its own score. The missing pool plus the
hidden ones are then ranked by every method, and the report gives each method's ROC AUC and the
share of hidden compositions found in the top 1%, 5% and 10%, beside a seeded random ranking.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from chemspace.core.composition import Composition
from chemspace.core.errors import InputError
from chemspace.core.known import KnownSet
from chemspace.core.rank_model import METHODS, known_allowed, scorer_for
from chemspace.core.rank_pool import AllowedEnumerator, CompArrays, check_rule, comps_to_arrays
from chemspace.core.rank_rule import RuleContext
from chemspace.core.rank_signals import system_keys
from chemspace.core.rule import Rule, check_arity

#: How a hold-out is drawn.
BY_COMPOSITION = "composition"
BY_SYSTEM = "system"
HOLDOUT_MODES = (BY_COMPOSITION, BY_SYSTEM)
#: The top fractions recall is reported at.
RECALL_AT = (0.01, 0.05, 0.10)
#: The random baseline's name in the report.
RANDOM = "random"
#: Beyond binaries the allowed pool is too large to rank whole in an evaluation: a seeded sample of it.
POOL_SAMPLE = 200_000


@dataclass
class MethodResult:
    """One ranking's figures on the hidden compositions."""

    method: str
    auc: float
    recall: dict[float, float]

    def to_json(self) -> dict:
        return {
            "method": self.method,
            "auc": self.auc,
            **{f"recall_{round(f * 100)}pct": r for f, r in self.recall.items()},
        }


@dataclass
class Evaluation:
    """An evaluation's setup, per-method results, and what was ranked (for checking it)."""

    arity: int
    by: str
    holdout: float
    seed: int
    hidden: list[Composition]
    removed: list[Composition]
    candidates: CompArrays
    labels: np.ndarray
    scores: dict[str, np.ndarray]
    results: list[MethodResult] = field(default_factory=list)
    learned: str = ""
    rule: Rule = field(default_factory=Rule)

    def to_json(self) -> dict:
        return {
            "arity": self.arity,
            "by": self.by,
            "holdout": self.holdout,
            "seed": self.seed,
            "rule": self.rule.as_dict(),
            "hidden": len(self.hidden),
            "removed": len(self.removed),
            "candidates": len(self.candidates),
            "learned": self.learned,
            "results": [r.to_json() for r in self.results],
        }


def recall_at(scores: np.ndarray, labels: np.ndarray, fraction: float) -> float:
    """Share of positives among the top ``fraction`` of rows; a tie at the cut counts pro rata (no luck)."""
    k = max(1, math.ceil(fraction * len(scores)))
    threshold = np.sort(scores)[::-1][k - 1]
    above = scores > threshold
    tied = scores == threshold
    slots = k - int(above.sum())
    found = float((labels & above).sum()) + slots * float((labels & tied).sum()) / max(int(tied.sum()), 1)
    return found / max(int(labels.sum()), 1)


def choose_hidden(positives: CompArrays, holdout: float, by: str, rng: np.random.Generator) -> np.ndarray:
    """Mask over ``positives``: a ``holdout`` share of the rows, or of their chemical systems."""
    if by == BY_COMPOSITION:
        mask = np.zeros(len(positives), dtype=np.bool_)
        mask[rng.choice(len(positives), size=round(holdout * len(positives)), replace=False)] = True
        return mask
    keys = system_keys(positives.elems)
    systems = np.unique(keys)
    chosen = rng.choice(systems, size=round(holdout * len(systems)), replace=False)
    return np.isin(keys, chosen)


def same_systems(known: KnownSet, hidden: CompArrays) -> list[Composition]:
    """Every known composition (allowed or not) in the chemical systems of ``hidden``, of the same arity.

    Hiding a whole system must also hide its compositions the filter forbids (Fe3O4 beside FeO and
    Fe2O3), or the system would still look explored.
    """
    comps = list(known.compositions(hidden.arity))
    if not comps:
        return []
    keys = system_keys(comps_to_arrays(comps)[hidden.arity][1].elems)
    chosen = np.isin(keys, system_keys(hidden.elems))
    return [c for c, hit in zip(comps, chosen) if hit]


def without(known: KnownSet, hidden: list[Composition]) -> KnownSet:
    """A copy of ``known`` with the hidden compositions deleted."""
    drop = set(hidden)
    entries = {c: e for c, e in known.entries.items() if c not in drop}
    return KnownSet(known.name, known.source, entries, known.version, known.date, dict(known.outside))


def check_evaluation(arity: int, holdout: float, by: str) -> None:
    """InputError naming the first bad evaluation setting."""
    check_arity(arity)
    if not 0.0 < holdout < 1.0:
        raise InputError(f"--holdout {holdout} is outside (0, 1)")
    if by not in HOLDOUT_MODES:
        raise InputError(f"--by {by!r} is not one of {', '.join(HOLDOUT_MODES)}")


def evaluate(
    known: KnownSet,
    arity: int = 2,
    holdout: float = 0.2,
    seed: int = 42,
    by: str = BY_COMPOSITION,
    rule: Rule | None = None,
    methods: tuple[str, ...] = METHODS,
    use_cache: bool = True,
) -> Evaluation:
    """Hide, rebuild from what remains, rank the missing pool plus the hidden, and measure every method.

    Everything follows ``rule`` (the paper's by default; SMACT's switches too): the positives are the
    known compositions it allows, the pool what it allows, the oxidation signals its assignments.
    """
    from sklearn.metrics import roc_auc_score

    check_evaluation(arity, holdout, by)
    rule = check_rule(rule or Rule())
    rng = np.random.default_rng(seed)
    positives = known_allowed(RuleContext.build(known, rule), arity)
    if len(positives) < 10:
        raise InputError(
            f"the known set has {len(positives)} allowed {arity}-element compositions; need 10 to evaluate"
        )
    hidden_mask = choose_hidden(positives, holdout, by, rng)
    hidden = positives.take(hidden_mask).compositions()
    removed = hidden if by == BY_COMPOSITION else same_systems(known, positives.take(hidden_mask))
    context = RuleContext.build(without(known, removed), rule)
    pool = _pool(rule, arity, rng)
    pool = CompArrays.concat([pool, positives.take(hidden_mask)], arity)
    candidates = _unique_rows(pool.take(~context.is_known(pool)))
    labels = RuleContext.build(known, rule).is_known(candidates)  # the hidden: the rest is missing
    signals = context.signals(candidates)
    evaluation = Evaluation(arity, by, holdout, seed, hidden, removed, candidates, labels, {}, rule=rule)
    for method in methods:
        scorer = scorer_for(context, arity, method, seed, use_cache)
        evaluation.scores[method] = scorer.raw(signals, candidates)
        if method == "learned":
            evaluation.learned = scorer.describe()
    evaluation.scores[RANDOM] = np.random.default_rng(seed).random(len(candidates))
    for method, scores in evaluation.scores.items():
        auc = float(roc_auc_score(labels, scores)) if 0 < labels.sum() < len(labels) else float("nan")
        evaluation.results.append(MethodResult(method, auc, {f: recall_at(scores, labels, f) for f in RECALL_AT}))
    return evaluation


def _pool(rule: Rule, arity: int, rng: np.random.Generator) -> CompArrays:
    """Every allowed composition of the arity (binaries), else a seeded sample of POOL_SAMPLE of them."""
    from chemspace.core.rank_pool import sample_allowed

    enum = AllowedEnumerator(rule, arity)
    return enum.all() if arity == 2 else sample_allowed(enum, POOL_SAMPLE, rng)


def _unique_rows(batch: CompArrays) -> CompArrays:
    """Rows with duplicates dropped (a hidden composition the pool sample also drew)."""
    both = np.column_stack([batch.elems, batch.counts])
    _, first = np.unique(both, axis=0, return_index=True)
    return batch.take(np.sort(first))
