"""How signals become one score: a single signal, their plain sum, or a learned (positive-unlabelled) mix.

All three are a :class:`Scorer`: standardise each signal, take a weighted sum. ``sum`` weighs every
signal 1; a signal's own name weighs only it; ``learned`` fits scikit-learn's logistic regression
to tell the known compositions of the arity (positives) from an unlabelled sample of allowed, not
known ones, with the signals of each positive computed without it (see ``rank_signals``). It is
trained only on the known set the user gives, seeded, and cached on disk (keyed by the set's
contents, the arity, the rule, the seed and library versions), as the projections are.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, replace
from importlib.metadata import version
from pathlib import Path

import numpy as np

from chemspace.core.atomic import atomic_path
from chemspace.core.dirs import user_dir
from chemspace.core.engine import batch_allowed
from chemspace.core.errors import InputError
from chemspace.core.rank_pool import AllowedEnumerator, CompArrays, sample_allowed
from chemspace.core.rank_signals import SIGNAL_NAMES, KnownContext
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
CACHE_FORMAT = 5
#: A floor for -inf signals (a forbidden composition's oxidation likelihood) before standardising.
SIGNAL_FLOOR = -50.0


def check_method(method: str) -> str:
    """``method`` if it is a combination or a signal name, else InputError listing them."""
    if method not in METHODS:
        raise InputError(f"unknown ranking method {method!r} (expected one of {', '.join(METHODS)})")
    return method


@dataclass(frozen=True)
class Scorer:
    """score = sum_j weights[j] * (signal_j - mean[j]) / scale[j] + intercept (higher = more plausible)."""

    method: str
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    weights: tuple[float, ...]
    intercept: float = 0.0
    positives: int = 0
    quantiles: tuple[float, ...] = ()
    tail_scale: float = 1.0
    trained_on: int = 0

    def raw(self, signals: np.ndarray) -> np.ndarray:
        """The weighted sum for rows of signals (columns in SIGNAL_NAMES order)."""
        z = (np.maximum(signals, SIGNAL_FLOOR) - np.array(self.mean)) / np.array(self.scale)
        return z @ np.array(self.weights) + self.intercept

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
        body = np.interp(raw, q, np.linspace(0.0, 1.0, len(q)))
        q99 = q[round(TAIL_FROM * (len(q) - 1))]
        tail = 1.0 - (1.0 - TAIL_FROM) * np.exp(-(raw - q99) / self.tail_scale)
        return np.where(raw > q99, tail, body)

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
        return f"learned on {self.positives} known{where} compositions: {parts}"


def known_allowed(context: KnownContext, arity: int) -> CompArrays:
    """The known compositions of the arity that the rule allows (the positives)."""
    ref = context.known.get(arity)
    if ref is None:
        return CompArrays.concat([], arity)
    from chemspace.core.elements import element_table

    table = element_table(context.rule.oxidation_states)
    ok = batch_allowed(table, ref.elems, ref.counts) & (ref.counts.max(axis=1) <= context.rule.max_stoich)
    return ref.take(ok)


def _standardiser(signals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    clipped = np.maximum(signals, SIGNAL_FLOOR)
    mean = clipped.mean(axis=0) if len(clipped) else np.zeros(signals.shape[1])
    scale = clipped.std(axis=0) if len(clipped) else np.ones(signals.shape[1])
    scale[~(scale > 1e-12)] = 1.0
    return mean, scale


def training_data(context: KnownContext, arity: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(signals, labels) of the positives (1) and the unlabelled sample (0) for one arity."""
    rng = np.random.default_rng(seed)
    enum = AllowedEnumerator(context.rule, arity)
    unlabelled = sample_allowed(enum, UNLABELLED, rng)
    unlabelled = unlabelled.take(~context.is_known(unlabelled))
    positives = known_allowed(context, arity)
    x = np.concatenate([context.signals(positives), context.signals(unlabelled)])
    y = np.concatenate([np.ones(len(positives)), np.zeros(len(unlabelled))])
    return x, y


def fit_scorer(x: np.ndarray, y: np.ndarray, method: str, seed: int) -> Scorer:
    """A scorer for ``method`` from training signals ``x`` and labels ``y`` (1 known, 0 unlabelled)."""
    from sklearn.linear_model import LogisticRegression

    mean, scale = _standardiser(x)
    positives = int(y.sum())
    if method == LEARNED and positives >= MIN_POSITIVES:
        z = (np.maximum(x, SIGNAL_FLOOR) - mean) / scale
        model = LogisticRegression(C=1.0, class_weight="balanced", max_iter=2000, random_state=seed).fit(z, y)
        weights, intercept = model.coef_[0], float(model.intercept_[0])
    else:
        method = SUM if method == LEARNED else method
        weights = np.array([1.0 if method in (SUM, name) else 0.0 for name in SIGNAL_NAMES])
        intercept = 0.0
    scorer = Scorer(
        method, tuple(mean.tolist()), tuple(scale.tolist()), tuple(np.asarray(weights).tolist()), intercept, positives
    )
    return with_quantiles(scorer, x[y == 0])


def with_quantiles(scorer: Scorer, unlabelled: np.ndarray) -> Scorer:
    """The scorer with the distribution of its raw score over an unlabelled sample (for percentiles)."""
    raw = scorer.raw(unlabelled)
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
    x, y = training_data(context, arity, seed)
    if method == LEARNED and y.sum() < MIN_POSITIVES:
        donors = [a for a in range(arity - 1, 1, -1) if len(known_allowed(context, a)) >= MIN_POSITIVES]
        if donors:
            donor = fit_scorer(*training_data(context, donors[0], seed), LEARNED, seed)
            # a signal constant over this arity (no known neighbours or analogues of it yet) says nothing here
            informative = np.ptp(np.maximum(x, SIGNAL_FLOOR), axis=0) > 1e-12
            weights = tuple(w if ok else 0.0 for w, ok in zip(donor.weights, informative))
            return with_quantiles(replace(donor, weights=weights, trained_on=donors[0]), x[y == 0])
    return fit_scorer(x, y, method, seed)


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
