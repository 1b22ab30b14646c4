"""The hold-out is real: what the evaluation reports is what a from-scratch ranking without the hidden gives."""

from __future__ import annotations

import numpy as np
import pytest
from test_rank import dev_data

from chemspace.core.composition import parse_formula
from chemspace.core.known import build_set, import_file, read_file
from chemspace.core.rank import Ranker
from chemspace.core.rank_eval import RANDOM, RECALL_AT, evaluate, recall_at
from chemspace.core.rank_model import METHODS, known_allowed
from chemspace.core.rank_rule import RuleContext
from chemspace.core.rank_signals import SIGNAL_NAMES, system_keys
from chemspace.core.rule import Rule

CHECKED = ("learned", "sum", "system", "neighbour", "analogues")


@pytest.mark.parametrize(
    ("by", "rule"),
    [("composition", Rule()), ("system", Rule()), ("composition", Rule(pauling=False))],
    ids=["composition", "system", "composition-no-pauling"],
)
def test_reported_scores_equal_scores_from_scratch_without_the_hidden(by: str, rule: Rule) -> None:
    """Under the paper's rule and under a switch (--no-pauling: its own positives, pool and oxidation signals)."""
    path = dev_data()
    known = import_file(path)
    ev = evaluate(known, 2, 0.2, 42, by, rule=rule, methods=CHECKED, use_cache=False)
    assert ev.rule == rule and ev.to_json()["rule"] == rule.as_dict()
    hidden = set(ev.hidden)
    positives = len(known_allowed(RuleContext.build(known, rule), 2))
    assert len(hidden) == round(0.2 * positives) if by == "composition" else 0 < len(hidden) < positives
    # the hidden compositions are exactly the positives among what was ranked
    ranked = ev.candidates.compositions()
    assert {c for c, label in zip(ranked, ev.labels) if label} == hidden
    # from scratch: the file's lines with every hidden composition (by system: every composition of a
    # hidden system, forbidden ones too) deleted, a new set, a new ranker
    removed = set(ev.removed)
    assert hidden <= removed and (removed == hidden) == (by == "composition")
    lines = [row for row in read_file(path) if parse_formula(row[1].formula) not in removed]
    fresh = build_set("fresh", str(path), lines)
    assert not any(c in fresh for c in hidden)
    assert all(c not in fresh for c in ranked)  # ranked = the missing pool plus the hidden
    if not rule.is_paper:  # the switch's own positives: some hidden ones the paper's rule forbids
        paper = set(known_allowed(RuleContext.build(known, Rule()), 2).compositions())
        assert hidden - paper
    for method in CHECKED:
        scratch = Ranker(fresh, rule, method=method, seed=42, use_cache=False).score(ev.candidates).raw
        np.testing.assert_allclose(ev.scores[method], scratch, rtol=1e-10, atol=1e-12, err_msg=method)
    if by == "system":  # whole systems hidden: no known binary is left in any hidden system
        hidden_systems = set(system_keys(ev.candidates.take(ev.labels).elems).tolist())
        left = [c for c in fresh.entries if c.arity == 2]
        from chemspace.core.rank_pool import comps_to_arrays

        left_keys = set(system_keys(comps_to_arrays(left)[2][1].elems).tolist())
        assert not hidden_systems & left_keys


@pytest.mark.parametrize("by", ["composition", "system"])
def test_report_has_every_method_and_learned_beats_each_signal(by: str) -> None:
    known = import_file(dev_data())
    ev = evaluate(known, 2, 0.2, 42, by)
    by_method = {r.method: r for r in ev.results}
    assert set(by_method) == {*METHODS, RANDOM}
    for r in ev.results:
        assert 0.0 <= r.auc <= 1.0
        values = [r.recall[f] for f in RECALL_AT]
        assert all(0.0 <= v <= 1.0 for v in values) and values == sorted(values)
    assert by_method["learned"].auc > by_method[RANDOM].auc + 0.2
    # the learned mix finds hidden compositions (and, by system, unexplored systems) better than any one signal
    assert by_method["learned"].auc > max(by_method[m].auc for m in SIGNAL_NAMES)
    assert abs(by_method[RANDOM].auc - 0.5) < 0.1


def test_recall_counts_ties_pro_rata() -> None:
    scores = np.array([3.0, 2.0, 2.0, 2.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0])
    labels = np.array([0, 1, 0, 0, 1, 0, 0, 0, 0, 0], dtype=bool)
    assert recall_at(scores, labels, 0.1) == 0.0  # only the top row
    assert recall_at(scores, labels, 0.2) == pytest.approx(0.5 * (1 / 3))  # one of three tied slots
    assert recall_at(scores, labels, 0.5) == 1.0
