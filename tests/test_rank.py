"""The ranking: its pool is smact's allowed set, its signals smact's statistics and leave-one-out, its top K exact."""

from __future__ import annotations

import json
import math
import random
import threading
import warnings
from pathlib import Path

import numpy as np
import pytest

from chemspace.core.composition import Composition, parse_formula
from chemspace.core.elements import element_table
from chemspace.core.errors import CancelledError
from chemspace.core.explain import explain
from chemspace.core.known import KnownEntry, build_set, import_file
from chemspace.core.rank import Ranker, rank_arity, rank_system, score_compositions
from chemspace.core.rank_eval import without
from chemspace.core.rank_model import cache_path, known_allowed, scorer_for
from chemspace.core.rank_pool import AllowedEnumerator, comps_to_arrays, system_allowed
from chemspace.core.rank_rule import RuleContext, single_state_scores
from chemspace.core.rank_signals import SIGNAL_NAMES, KnownContext
from chemspace.core.rule import Rule

from smact_reference import smact_allowed, smact_verdict

ROOT = Path(__file__).resolve().parents[1]


def dev_data() -> Path:
    """mp-binaries-half.txt in ``shared/data`` beside the checkout (or beside the worktrees' parent)."""
    for base in (ROOT.parent, ROOT.parent.parent):
        path = base / "shared" / "data" / "mp-binaries-half.txt"
        if path.exists():
            return path
    pytest.skip("development data shared/data/mp-binaries-half.txt is not beside this checkout")


@pytest.fixture(scope="module")
def mp_half():
    return import_file(dev_data())


def _smact_species(symbols: tuple[str, ...], counts: tuple[int, ...]) -> list[tuple[int, ...]]:
    """Every oxidation-state tuple smact_filter accepts for exactly this composition."""
    from smact import Element
    from smact.screening import smact_filter

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        found = smact_filter([Element(s) for s in symbols], threshold=8, species_unique=True)
    target = Composition.from_counts(dict(zip(symbols, counts)))
    return [ox for syms, ox, ratio in found if Composition.from_counts(dict(zip(syms, ratio))) == target]


def test_pool_is_smact_allowed_set() -> None:
    parts = system_allowed(Rule(), ("Li", "Zn", "Sn", "O"))
    ours = {c for part in parts for c in part.compositions()}
    expected = set()
    for subset in (
        *[(a, b) for i, a in enumerate(["Li", "Zn", "Sn", "O"]) for b in ["Li", "Zn", "Sn", "O"][i + 1 :]],
        ("Li", "Zn", "Sn"),
        ("Li", "Zn", "O"),
        ("Li", "Sn", "O"),
        ("Zn", "Sn", "O"),
        ("Li", "Zn", "Sn", "O"),
    ):
        expected |= smact_allowed(subset)
    assert ours == expected and len(ours) == 728


class SmactOxidation:
    """The two oxidation signals of one assignment, from smact's own tables (OxidationStateProbabilityFinder,
    the ICSD-24 counts), atom by atom so that mixed-valence assignments score too."""

    def __init__(self) -> None:
        from smact import data_directory
        from smact.oxidation_states import OxidationStateProbabilityFinder

        self.finder = OxidationStateProbabilityFinder()
        doc = json.loads((Path(data_directory) / "oxidation_states_icsd24_counts.json").read_text())
        self.freq = {(r["element"], r["oxidation_state"]): r["results_count"] for r in doc}
        self.totals: dict[str, int] = {}
        for (el, _), n in self.freq.items():
            self.totals[el] = self.totals.get(el, 0) + n

    def scores(self, atoms: list[tuple[str, int]]) -> tuple[float, float]:
        """(ICSD mean log frequency, pair probability) of per-atom (element, charge) pairs."""
        from smact import Species

        logs = [math.log(max(self.freq.get((s, q), 0) / self.totals[s], 1e-4)) for s, q in atoms]
        anion_el = max(dict.fromkeys(s for s, _ in atoms), key=lambda s: Species(s, 0).pauling_eneg)
        anion = Species(anion_el, min(q for s, q in atoms if s == anion_el))
        probs = []
        for s, q in sorted({(s, q) for s, q in atoms if q > 0}):
            try:
                probs.append(self.finder.pair_probability(anion, Species(s, q)))
            except (KeyError, ValueError):
                probs.append(0.0)
        pair = sum(probs) / len(probs) if probs and anion.oxidation < 0 else 0.0
        return sum(logs) / len(logs), pair


def test_oxidation_signals_follow_smact_tables() -> None:
    """Best pair probability = max over smact's allowed assignments of OxidationStateProbabilityFinder's mean;
    best ICSD likelihood = max of the atom-weighted mean log frequency from smact's ICSD-24 counts."""
    smact_scores = SmactOxidation()
    comps = [parse_formula(f) for f in ("Fe2O3", "FeO", "SnO2", "Li2ZnSnO4", "CuCl", "Mn3O4", "TiS2", "NaCl", "Sb2S3")]
    ctx = KnownContext.build(None, Rule())
    for positions, batch in comps_to_arrays(comps).values():
        sig = ctx.signals(batch)
        for row, pos in enumerate(positions):
            comp = comps[pos]
            best_icsd, best_pair = -math.inf, -math.inf
            for ox in _smact_species(comp.symbols, comp.counts):
                atoms = [(s, q) for s, q, n in zip(comp.symbols, ox, comp.counts) for _ in range(n)]
                icsd, pair = smact_scores.scores(atoms)
                best_icsd, best_pair = max(best_icsd, icsd), max(best_pair, pair)
            assert sig[row, SIGNAL_NAMES.index("oxidation_pair")] == pytest.approx(best_pair), comp.formula
            assert sig[row, SIGNAL_NAMES.index("oxidation_icsd")] == pytest.approx(best_icsd), comp.formula


@pytest.mark.parametrize(
    "rule",
    [Rule(pauling=False), Rule(alloys=True), Rule(mixed_valence=True), Rule(pauling=False, alloys=True)],
    ids=lambda r: r.describe(),
)
def test_oxidation_signals_follow_the_rules_assignments(rule: Rule) -> None:
    """Under a switch the oxidation signals are the best over the assignments that rule accepts (smact_validity's
    verdict, listed by explain), scored with smact's tables; an alloy with no assignment gets the floor."""
    smact_scores = SmactOxidation()
    comps = [c for part in system_allowed(rule, ("Fe", "Cu", "Sn", "S")) for c in part.compositions()]
    comps = random.Random(7).sample(comps, 150) + [parse_formula(f) for f in ("Fe3S4", "CuSn", "Li2SnO", "Fe3O4")]
    ctx = RuleContext.build(None, rule)
    for positions, batch in comps_to_arrays(comps).values():
        sig = ctx.signals(batch, with_neighbour=False)
        for row, pos in enumerate(positions):
            comp = comps[pos]
            why = explain(comp, rule)
            verdict = smact_verdict(comp, rule)
            assert verdict is None or why.allowed == verdict, comp.formula  # None: smact gave up
            best_icsd, best_pair = (-math.inf, -math.inf) if why.allowed else (math.nan, math.nan)
            if why.allowed and not why.assignments:  # an alloy of metals
                best_icsd, best_pair = math.log(1e-4), 0.0
            for assignment in why.assignments:
                n = dict(zip(comp.symbols, comp.counts))
                atoms = [(s, x) for s, q in assignment.items() for x in ([q] * n[s] if isinstance(q, int) else q)]
                icsd, pair = smact_scores.scores(atoms)
                best_icsd, best_pair = max(best_icsd, icsd), max(best_pair, pair)
            got_icsd = sig[row, SIGNAL_NAMES.index("oxidation_icsd")]
            got_pair = sig[row, SIGNAL_NAMES.index("oxidation_pair")]
            if not why.allowed:
                assert got_icsd == -math.inf, comp.formula
                continue
            assert got_icsd == pytest.approx(best_icsd) and got_pair == pytest.approx(best_pair), comp.formula


def test_paper_rule_context_is_the_plain_context(mp_half) -> None:
    """Under the paper's rule the rule-aware signals are the plain ones, bit for bit."""
    batch = AllowedEnumerator(Rule(), 2).all()
    np.testing.assert_array_equal(
        RuleContext.build(mp_half, Rule()).signals(batch), KnownContext.build(mp_half, Rule()).signals(batch)
    )
    icsd, pair = single_state_scores(batch, element_table("smact14"), pauling=True)
    plain = KnownContext.build(None, Rule()).signals(batch, with_neighbour=False)
    np.testing.assert_allclose(icsd, plain[:, SIGNAL_NAMES.index("oxidation_icsd")])
    np.testing.assert_allclose(pair, plain[:, SIGNAL_NAMES.index("oxidation_pair")])


def test_signals_of_a_known_composition_are_leave_one_out(mp_half) -> None:
    """A known composition's signals equal those computed with it deleted from the set."""
    ctx = KnownContext.build(mp_half, Rule())
    rng = random.Random(7)
    allowed_known = [c for c in mp_half.entries if c.arity == 2 and c.max_count <= 8]
    for comp in rng.sample(allowed_known, 12):
        _, batch = comps_to_arrays([comp])[2]
        alone = KnownContext.build(without(mp_half, [comp]), Rule())
        np.testing.assert_allclose(ctx.signals(batch), alone.signals(batch), rtol=1e-9, atol=1e-12)


def test_rank_system_lists_missing_only_best_first(mp_half) -> None:
    ranker = Ranker(mp_half)
    ranking = rank_system("Zn-Sn-O", ranker)
    allowed = {c for part in system_allowed(Rule(), ("Zn", "Sn", "O")) for c in part.compositions()}
    assert set(ranking.compositions) == {c for c in allowed if c not in mp_half}
    assert all(c not in mp_half for c in ranking.compositions)
    assert np.all(np.diff(ranking.scores) <= 0)
    rows = ranking.rows()
    assert [r["rank"] for r in rows] == list(range(1, len(rows) + 1))
    assert set(SIGNAL_NAMES) <= set(rows[0])


def test_streamed_top_k_equals_full_ranking(mp_half, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keeping the best K between batches, and skipping the neighbour search for rows whose best case
    cannot enter them, gives exactly the head of the full ranking."""
    ranker = Ranker(mp_half)
    full = rank_arity(2, ranker, top=None)
    searched = []
    fill = ranker.context.fill_neighbour
    monkeypatch.setattr(ranker.context, "fill_neighbour", lambda b, s: (searched.append(len(b)), fill(b, s)))
    streamed = rank_arity(2, ranker, top=150, subsets_per_batch=97)
    assert sum(searched) < streamed.considered / 2  # the bound does prune
    known_allowed_binaries = len(known_allowed(KnownContext.build(mp_half, Rule()), 2))
    assert full.considered == streamed.considered == 13_464 - known_allowed_binaries
    assert streamed.compositions == full.compositions[:150]
    np.testing.assert_array_equal(streamed.scores, full.scores[:150])


def test_score_compositions_for_the_app(mp_half) -> None:
    comps = [parse_formula(f) for f in ("SnO2", "LiZn", "Li2ZnSnO4", "ZnO")]
    scores = score_compositions(comps, mp_half)
    assert scores[1] == -np.inf  # LiZn: forbidden by the filter
    assert np.all(np.isfinite(scores[[0, 2, 3]])) and np.all((scores[[0, 2, 3]] > 0) & (scores[[0, 2, 3]] < 1))
    # input order is kept: scoring reversed gives the reversed scores
    np.testing.assert_array_equal(score_compositions(comps[::-1], mp_half), scores[::-1])


def test_learned_scorer_is_cached(mp_half, monkeypatch: pytest.MonkeyPatch) -> None:
    ctx = KnownContext.build(mp_half, Rule())
    first = scorer_for(ctx, 2, "learned", seed=42)
    assert cache_path(ctx, 2, "learned", 42).exists()
    from chemspace.core import rank_model

    def refit(*args, **kwargs):
        raise AssertionError("refitted despite a cached scorer")

    monkeypatch.setattr(rank_model, "fit_for_arity", refit)
    assert scorer_for(ctx, 2, "learned", seed=42) == first
    assert cache_path(ctx, 2, "learned", 43) != cache_path(ctx, 2, "learned", 42)
    smaller = build_set("small", "test", [KnownEntry(None, f) for f in ("ZnO", "SnO2")])
    assert cache_path(KnownContext.build(smaller, Rule()), 2, "learned", 42) != cache_path(ctx, 2, "learned", 42)


def test_enumerator_counts_binaries() -> None:
    assert len(AllowedEnumerator(Rule(), 2).all()) == 13_464


def test_rank_arity_cancels_between_batches(mp_half) -> None:
    import threading

    from chemspace.core.errors import CancelledError

    cancel = threading.Event()
    ranker = Ranker(mp_half)
    seen = []

    def progress(done: int, total: int) -> None:
        seen.append(done)
        cancel.set()

    with pytest.raises(CancelledError):
        rank_arity(
            3,
            ranker,
            top=10,
            pool=("Li", "Na", "K", "O", "S", "Cl"),
            on_progress=progress,
            cancel=cancel,
            subsets_per_batch=5,
        )
    assert seen == [5]


def test_system_ranking_agrees_with_score_compositions(mp_half) -> None:
    ranking = rank_system("Li-Sn-S", Ranker(mp_half))
    np.testing.assert_allclose(score_compositions(ranking.compositions, mp_half), ranking.scores, rtol=1e-12)


@pytest.mark.parametrize("rule", [Rule(), Rule(alloys=True), Rule(mixed_valence=True)], ids=["paper", "alloys", "mv"])
def test_learned_scorer_trains_on_what_the_rule_allows(mp_half, rule: Rule) -> None:
    """Positives: the known compositions smact_validity allows under the same switches; unlabelled: the rule's
    allowed compositions the set lacks. A known alloy (CuZn3) is a positive under --alloys only."""
    from chemspace.core.rank_model import training_data

    ctx = RuleContext.build(mp_half, rule)
    positives = set(known_allowed(ctx, 2).compositions())
    binaries = sorted((c for c in mp_half.compositions() if c.arity == 2), key=lambda c: c.formula)
    sample = [parse_formula("CuZn3"), *random.Random(7).sample(binaries, 300)]
    for comp in sample:
        expected = max(comp.counts) <= rule.max_stoich and smact_verdict(comp, rule)
        assert (comp in positives) == bool(expected), comp.formula
    assert (parse_formula("CuZn3") in positives) == rule.alloys
    data = training_data(ctx, 2, 42)
    assert set(data.rows.take(data.y == 1).compositions()) == positives
    unlabelled = data.rows.take(data.y == 0).compositions()
    assert not any(c in mp_half for c in unlabelled)
    assert all(smact_verdict(c, rule) is not False for c in random.Random(3).sample(unlabelled, 200))
    assert cache_path(ctx, 2, "learned", 42) != cache_path(
        RuleContext.build(mp_half, Rule(pauling=False)), 2, "learned", 42
    )


class SetsAfter(threading.Event):
    """A cancel flag that reads as set from its ``n + 1``-th look on (a cancel arriving mid-work, no clock)."""

    def __init__(self, n: int) -> None:
        super().__init__()
        self.n, self.looks = n, 0

    def is_set(self) -> bool:
        self.looks += 1
        return self.looks > self.n


def test_scoring_stops_between_chunks_when_cancelled(mp_half) -> None:
    """The app's scoring (fitting included) looks at the cancel flag between chunks and stops at the first set look."""
    comps = [c for part in system_allowed(Rule(mixed_valence=True), ("Fe", "Cu", "S")) for c in part.compositions()]
    for n in (0, 3):
        flag = SetsAfter(n)
        with pytest.raises(CancelledError):
            score_compositions(comps, mp_half, Rule(mixed_valence=True), cancel=flag)
        assert flag.looks == n + 1  # nothing ran past the look that saw it set
    never = threading.Event()
    assert np.array_equal(score_compositions(comps, mp_half, cancel=never), score_compositions(comps, mp_half))


@pytest.mark.parametrize("rule", [Rule(), Rule(pauling=False, alloys=True)], ids=["paper", "switches"])
def test_signals_do_not_depend_on_the_chunking(mp_half, rule: Rule, monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks (cancel checks) change nothing but the last bits of the neighbour distance (scikit-learn's distances
    round by the batch they are computed in, as they did before the chunks)."""
    import chemspace.core.rank_rule as rank_rule

    batch = AllowedEnumerator(rule, 2).all().take(slice(0, 2500))
    whole = RuleContext.build(mp_half, rule).signals(batch)
    monkeypatch.setattr(rank_rule, "SIGNAL_CHUNK", 7)
    np.testing.assert_allclose(RuleContext.build(mp_half, rule).signals(batch), whole, rtol=1e-12, atol=1e-14)
