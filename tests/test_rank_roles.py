"""The learned ranking's element roles: which element is the anion, how the roles enter the score, and
that the learned mix gives the system counts no weight (so an unexplored system is not held against)."""

from __future__ import annotations

import numpy as np
import pytest
from test_rank import dev_data

from chemspace.core.elements import all_symbols
from chemspace.core.known import import_file
from chemspace.core.rank_model import NOT_LEARNED, scorer_for
from chemspace.core.rank_pool import AllowedEnumerator
from chemspace.core.rank_signals import (
    ROLE_COLUMNS,
    SIGNAL_NAMES,
    KnownContext,
    anion_elements,
    element_roles,
    role_score,
)
from chemspace.core.rule import Rule

SYSTEM = ("Li", "Zn", "Sn", "O", "S")


@pytest.fixture(scope="module")
def allowed() -> dict:
    """Every allowed binary, ternary and quaternary of Li-Zn-Sn-O-S."""
    return {n: AllowedEnumerator(Rule(), n, SYSTEM).all() for n in (2, 3, 4)}


@pytest.mark.parametrize("arity", [2, 3, 4])
def test_anion_is_smacts_most_electronegative_element(allowed, arity: int) -> None:
    from smact import Element

    batch = allowed[arity]
    symbols = all_symbols()
    expected = [max(row, key=lambda e: Element(symbols[e]).pauling_eneg) for row in batch.elems.tolist()]
    assert anion_elements(batch).tolist() == expected


@pytest.mark.parametrize("arity", [2, 3, 4])
def test_roles_are_one_anion_and_the_mean_of_the_cations(allowed, arity: int) -> None:
    batch = allowed[arity]
    roles = element_roles(batch)
    assert roles.shape == (len(batch), ROLE_COLUMNS)
    half = ROLE_COLUMNS // 2
    np.testing.assert_allclose(roles[:, half:].sum(axis=1), 1.0)  # one anion
    np.testing.assert_allclose(roles[:, :half].sum(axis=1), 1.0)  # cations share one unit
    anion = anion_elements(batch)
    assert (roles[np.arange(len(batch)), anion] == 0).all()  # the anion is no cation
    # the streamed score is the matrix product, row by row whatever the batch around it
    weights = np.random.default_rng(0).normal(size=ROLE_COLUMNS)
    np.testing.assert_allclose(role_score(batch, weights), roles @ weights, rtol=1e-12, atol=1e-12)
    one = np.array([role_score(batch.take(np.array([i])), weights)[0] for i in range(0, len(batch), 7)])
    assert np.array_equal(one, role_score(batch, weights)[::7])


def test_learned_mix_weighs_elements_not_system_counts(allowed) -> None:
    context = KnownContext.build(import_file(dev_data()), Rule())
    scorer = scorer_for(context, 2, "learned", seed=42, use_cache=False)
    assert len(scorer.element_weights) == ROLE_COLUMNS and np.any(scorer.element_weights)
    assert "element" in scorer.describe()
    batch = allowed[2]
    signals = context.signals(batch)
    moved = signals.copy()
    for name in NOT_LEARNED:  # a system with nothing known scores as one with much known
        moved[:, SIGNAL_NAMES.index(name)] = 0.0 if name == "system" else 9.0
    np.testing.assert_array_equal(scorer.raw(signals, batch), scorer.raw(moved, batch))
    # an element never in a role among the allowed binaries says nothing about compositions where it is
    never = element_roles(AllowedEnumerator(Rule(), 2).all()).sum(axis=0) == 0
    assert never.any() and not np.any(np.array(scorer.element_weights)[never])
    # the element roles count: the same signals with the elements swapped score differently
    swapped = batch.take(np.arange(len(batch))[::-1])
    assert not np.allclose(scorer.raw(signals, batch), scorer.raw(signals, swapped))


def test_sum_and_single_signals_have_no_element_part(allowed) -> None:
    context = KnownContext.build(import_file(dev_data()), Rule())
    for method in ("sum", "analogues"):
        assert scorer_for(context, 2, method, seed=42, use_cache=False).element_weights == ()
