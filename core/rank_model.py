"""How signals become one score: a single signal, their plain sum, or a learned (positive-unlabelled) mix.

All three are a :class:`Scorer`: standardise each signal, take a weighted sum. ``sum`` weighs every
signal 1; a signal's own name weighs only it; ``learned`` fits scikit-learn's logistic regression
to tell the known compositions of the arity that the rule allows, switches included (positives),
from an unlabelled sample of compositions the rule allows and the set lacks, with the signals of
each positive computed without it (see ``rank_signals``), plus a weight per element as cation and
as anion (``element_roles``), leaving out NOT_LEARNED. It is
trained only on the known set the user gives, seeded, and cached on disk (keyed by the set's
contents, the arity, the rule, the seed and library versions), as the projections are.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass, replace
from importlib.metadata import version
from pathlib import Path
from typing import NamedTuple

import numpy as np

from chemspace.core.atomic import atomic_path
from chemspace.core.dirs import user_dir
from chemspace.core.engine import batch_allowed
from chemspace.core.errors import InputError
from chemspace.core.rank_pool import AllowedEnumerator, CompArrays, sample_allowed
from chemspace.core.rank_signals import SIGNAL_NAMES, KnownContext, element_roles, role_score
from chemspace.core.rule import arity_name

#: Combination methods besides the single signals.
LEARNED = "learned"
SUM = "sum"
METHODS: tuple[str, ...] = (LEARNED, SUM, *SIGNAL_NAMES)

#: Unlabelled allowed compositions drawn to fit the learned combination and to standardise signals.
UNLABELLED = 20000
#: Fewer known compositions of the arity than this and ``learned`` falls back to ``sum``.
MIN_POSITIVES = 20
#: Points of the unlabelled score distribution kept to turn a raw score into a percentile.
QUANTILES = 1001
#: Above this quantile of the unlabelled sample, percentiles come from an exponential tail.
TAIL_FROM = 0.99
#: Bump when the cached model's meaning changes.
CACHE_FORMAT = 9
#: Signals the learned combination gives no weight. ``system`` and ``pairs`` count the known
#: compositions of the row's own system (or its element pairs), so they rank every composition of an
#: unexplored system below the explored ones (AUC 0.26 alone when whole systems are hidden); with the
#: element roles in the model they add nothing when single compositions are hidden, and leaving them
#: out lifts the by-system AUC from 0.757 to 0.833. ``elements`` is a function of the elements themselves
#: but for its leave-one-out offset, which the fit would learn as a label (weight -9.5: a known row
#: counts itself out) though it separates nothing in an evaluation. README, "Evidence".
NOT_LEARNED: tuple[str, ...] = ("system", "pairs", "elements")
#: A floor for -inf signals (a forbidden composition's oxidation likelihood) before standardising.
SIGNAL_FLOOR = -50.0


def check_method(method: str) -> str:
    """``method`` if it is a combination or a signal name, else InputError listing them."""
    if method not in METHODS:
        raise InputError(f"unknown ranking method {method!r} (expected one of {', '.join(METHODS)})")
    return method


@dataclass(frozen=True)
class Scorer:
    """score = sum_j weights[j] * (signal_j - mean[j]) / scale[j] + element part + intercept (higher = more plausible).

    The element part (``learned`` only) is ``element_roles(batch) @ element_weights``: a weight per
    element as a cation and as the anion, learned with the signals.
    """

    method: str
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    weights: tuple[float, ...]
    intercept: float = 0.0
    positives: int = 0
    quantiles: tuple[float, ...] = ()
    tail_scale: float = 1.0
    trained_on: int = 0
    element_weights: tuple[float, ...] = ()

    def raw(self, signals: np.ndarray, batch: CompArrays) -> np.ndarray:
        """The weighted sum for the rows of ``batch`` and their signals (columns in SIGNAL_NAMES order)."""
        z = (np.maximum(signals, SIGNAL_FLOOR) - np.array(self.mean)) / np.array(self.scale)
        out = np.full(len(z), self.intercept)
        for j, w in enumerate(self.weights):  # not z @ w: BLAS rounds a row differently by its place in the batch
            out += w * z[:, j]
        if self.element_weights and len(batch):
            out = out + role_score(batch, np.array(self.element_weights))
        return out

    def percentile(self, raw: np.ndarray) -> np.ndarray:
        """Estimated share of the arity's allowed, not known compositions that score lower.

        Comparable across arities and methods, where raw sums are not: 0.999 means better than
        99.9% of the missing compositions of that arity. Read from the unlabelled sample's quantiles
        up to its 99th percentile, beyond it from an exponential tail fitted to the sample's top 1%,
        so the best candidates stay ordered instead of all reading 1.
        """
        if not self.quantiles:
            return np.full(len(raw), 0.5)
        q = np.array(self.quantiles)
        out = np.interp(raw, q, np.linspace(0.0, 1.0, len(q)))
        q99 = q[round(TAIL_FROM * (len(q) - 1))]
        above = raw > q99
        # math.exp, one value at a time: numpy's vectorised exp can differ by an ulp with the row's place in
        # the array, and a score must not depend on what else is scored with it (the top 1% only: cheap)
        decay = [math.exp(-(v - q99) / self.tail_scale) for v in raw[above].tolist()]
        out[above] = 1.0 - (1.0 - TAIL_FROM) * np.array(decay)
        return out

    def describe(self) -> str:
        """One line: the method and, for the learned mix, its weights."""
        if self.method == SUM:
            few = self.positives < MIN_POSITIVES
            return "sum of the standardised signals" + (
                f" ({self.positives} known compositions: too few to learn from)" if few else ""
            )
        if self.method != LEARNED:
            return f"{self.method} alone"
        parts = ", ".join(f"{n} {w:+.2f}" for n, w in zip(SIGNAL_NAMES, self.weights))
        where = f" {arity_name(self.trained_on)}" if self.trained_on else ""
        roles = ", and a weight per element as cation and as anion" if self.element_weights else ""
        return f"learned on {self.positives} known{where} compositions: {parts}{roles}"


def known_allowed(context: KnownContext, arity: int) -> CompArrays:
    """The known compositions of the arity that the context's rule allows, switches included (the positives)."""
    ref = context.known.get(arity)
    if ref is None:
        return CompArrays.concat([], arity)
    from chemspace.core.elements import element_table

    table = element_table(context.rule.oxidation_states)
    ok = batch_allowed(table, ref.elems, ref.counts, context.rule) & (ref.counts.max(axis=1) <= context.rule.max_stoich)
    return ref.take(ok)


def _standardiser(signals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    clipped = np.maximum(signals, SIGNAL_FLOOR)
    mean = clipped.mean(axis=0) if len(clipped) else np.zeros(signals.shape[1])
    scale = clipped.std(axis=0) if len(clipped) else np.ones(signals.shape[1])
    scale[~(scale > 1e-12)] = 1.0
    return mean, scale


class Training(NamedTuple):
    """One arity's training rows: the positives then the unlabelled sample, their signals and labels."""

    rows: CompArrays
    x: np.ndarray
    y: np.ndarray

    @property
    def unlabelled(self) -> tuple[np.ndarray, CompArrays]:
        """Signals and rows of the unlabelled sample."""
        return self.x[self.y == 0], self.rows.take(self.y == 0)


def training_data(context: KnownContext, arity: int, seed: int) -> Training:
    """The positives (label 1) and the unlabelled sample (label 0) for one arity, with their signals."""
    rng = np.random.default_rng(seed)
    enum = AllowedEnumerator(context.rule, arity)
    unlabelled = sample_allowed(enum, UNLABELLED, rng)
    unlabelled = unlabelled.take(~context.is_known(unlabelled))
    positives = known_allowed(context, arity)
    x = np.concatenate([context.signals(positives), context.signals(unlabelled)])
    y = np.concatenate([np.ones(len(positives)), np.zeros(len(unlabelled))])
    return Training(CompArrays.concat([positives, unlabelled], arity), x, y)


def _logistic_fit(z: np.ndarray, y: np.ndarray, seed: int) -> tuple[np.ndarray, float]:
    """Weights and intercept of scikit-learn's balanced logistic regression on standardised features."""
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=1.0, class_weight="balanced", max_iter=5000, random_state=seed).fit(z, y)
    return model.coef_[0], float(model.intercept_[0])


def fit_scorer(data: Training, method: str, seed: int) -> Scorer:
    """A scorer for ``method`` from one arity's training rows.

    ``learned`` fits the standardised signals and the element roles together. The roles stay 0/1 (not
    standardised), so the L2 penalty holds an element seen in a role only once or twice near 0: scaled
    to unit spread, such a column got weight +6 (Rb as anion, from CsRb alone) and put Cs-K-Rb
    "compounds" at the top of the ternaries.
    """
    x, y = data.x, data.y
    mean, scale = _standardiser(x)
    positives = int(y.sum())
    element_weights: tuple[float, ...] = ()
    if method == LEARNED and positives >= MIN_POSITIVES:
        used = np.array([name not in NOT_LEARNED for name in SIGNAL_NAMES])
        z = np.column_stack([((np.maximum(x, SIGNAL_FLOOR) - mean) / scale)[:, used], element_roles(data.rows)])
        coef, intercept = _logistic_fit(z, y, seed)
        weights = np.zeros(len(SIGNAL_NAMES))
        weights[used] = coef[: used.sum()]
        element_weights = tuple(coef[used.sum() :].tolist())
    else:
        method = SUM if method == LEARNED else method
        weights = np.array([1.0 if method in (SUM, name) else 0.0 for name in SIGNAL_NAMES])
        intercept = 0.0
    scorer = Scorer(
        method,
        tuple(mean.tolist()),
        tuple(scale.tolist()),
        tuple(np.asarray(weights).tolist()),
        intercept,
        positives,
        element_weights=element_weights,
    )
    return with_quantiles(scorer, *data.unlabelled)


def with_quantiles(scorer: Scorer, unlabelled: np.ndarray, rows: CompArrays) -> Scorer:
    """The scorer with the distribution of its raw score over an unlabelled sample (for percentiles)."""
    raw = scorer.raw(unlabelled, rows)
    if len(raw) == 0:
        return scorer
    quantiles = np.maximum.accumulate(np.quantile(raw, np.linspace(0.0, 1.0, QUANTILES)))
    q99 = quantiles[round(TAIL_FROM * (QUANTILES - 1))]
    excess = raw[raw > q99] - q99
    scale = float(excess.mean()) if len(excess) and excess.mean() > 1e-9 else 1.0
    return replace(scorer, quantiles=tuple(quantiles.tolist()), tail_scale=scale)


def fit_for_arity(context: KnownContext, arity: int, method: str, seed: int) -> Scorer:
    """Fit ``method`` for one arity; ``learned`` with too few known compositions of the arity borrows the
    weights learned on the largest smaller arity that has enough (the signals mean the same at every arity)."""
    data = training_data(context, arity, seed)
    if method == LEARNED and data.y.sum() < MIN_POSITIVES:
        donors = [a for a in range(arity - 1, 1, -1) if len(known_allowed(context, a)) >= MIN_POSITIVES]
        if donors:
            donor = fit_scorer(training_data(context, donors[0], seed), LEARNED, seed)
            # a signal constant over this arity (no known neighbours or analogues of it yet) says nothing here
            informative = np.ptp(np.maximum(data.x, SIGNAL_FLOOR), axis=0) > 1e-12
            weights = tuple(w if ok else 0.0 for w, ok in zip(donor.weights, informative))
            return with_quantiles(replace(donor, weights=weights, trained_on=donors[0]), *data.unlabelled)
    return fit_scorer(data, method, seed)


def _cache_key(context: KnownContext, arity: int, method: str, seed: int) -> str:
    h = hashlib.sha256()
    for n in sorted(context.known):
        ref = context.known[n]
        order = np.lexsort(np.column_stack([ref.elems, ref.counts]).T[::-1])
        h.update(np.ascontiguousarray(ref.elems[order]).tobytes())
        h.update(np.ascontiguousarray(ref.counts[order]).tobytes())
    meta = {
        "arity": arity,
        "method": method,
        "seed": seed,
        "rule": context.rule.as_dict(),
        "unlabelled": UNLABELLED,
        "signals": SIGNAL_NAMES,
        "not_learned": NOT_LEARNED,
        "versions": {d: version(d) for d in ("numpy", "scikit-learn", "smact", "elementembeddings")},
        "format": CACHE_FORMAT,
    }
    h.update(json.dumps(meta, sort_keys=True).encode())
    return h.hexdigest()[:40]


def cache_path(context: KnownContext, arity: int, method: str, seed: int) -> Path:
    """Where the scorer for this known set, arity, method and seed is cached."""
    return user_dir("cache") / "rank" / f"{method}-{arity}-{_cache_key(context, arity, method, seed)}.json"


def scorer_for(context: KnownContext, arity: int, method: str, seed: int = 42, use_cache: bool = True) -> Scorer:
    """The fitted scorer (from the cache when it holds one for exactly these inputs)."""
    check_method(method)
    path = cache_path(context, arity, method, seed)
    if use_cache and path.exists():
        try:
            doc = json.loads(path.read_text())
            return Scorer(**{k: tuple(v) if isinstance(v, list) else v for k, v in doc.items()})
        except (OSError, ValueError, TypeError):
            pass  # damaged: refit and overwrite
    scorer = fit_for_arity(context, arity, method, seed)
    if use_cache:
        try:
            with atomic_path(path, make_parents=True) as tmp:
                tmp.write_text(json.dumps(asdict(scorer)))
        except InputError:
            pass  # a read-only cache must not lose the result
    return scorer
