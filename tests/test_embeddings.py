"""Compositional embeddings (eq. 2 and ElementEmbeddings' other statistics) against ElementEmbeddings itself."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from chemspace.core.composition import Composition, parse_formula
from chemspace.core.elements import all_symbols
from chemspace.core.embeddings import (
    PAPER_EMBEDDINGS,
    STATS,
    available_embeddings,
    element_vectors,
    embed,
    fraction_matrix,
    species_key,
)
from chemspace.core.errors import InputError

#: The paper's six plus a few of the other representations the package ships.
CHECKED = (*PAPER_EMBEDDINGS, "magpie_sc", "oliynyk_sc", "matscholar", "mod_petti", "xenonpy", "cgnf", "atomic")


def random_compositions(n: int, seed: int, symbols: tuple[str, ...] | None = None) -> list[Composition]:
    """Random reduced compositions of 1-5 elements with counts 1..8 (drawn from H..Lr by default)."""
    rng = np.random.default_rng(seed)
    pool = np.array(symbols or all_symbols())
    comps = []
    for _ in range(n):
        k = int(rng.integers(1, 6))
        elems = rng.choice(pool, size=k, replace=False)
        comps.append(Composition.from_counts(dict(zip(elems.tolist(), rng.integers(1, 9, size=k).tolist()))))
    return comps


@pytest.fixture(scope="module")
def comps() -> list[Composition]:
    return random_compositions(60, seed=7)


def reference(formula: str, embedding, stats: list[str]) -> np.ndarray:
    from elementembeddings.composition import CompositionalEmbedding

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # log/reciprocal of non-positive features, as in the library
        return CompositionalEmbedding(formula, embedding=embedding).feature_vector(stats=stats)


@pytest.mark.parametrize("name", CHECKED)
def test_every_statistic_equals_elementembeddings(comps: list[Composition], name: str) -> None:
    """All eight statistics, concatenated in ElementEmbeddings' order, to 1e-6 (NaN where it gives NaN)."""
    from elementembeddings.core import Embedding

    library = Embedding.load_data(name)
    ours = embed(comps, name, STATS)
    kept = [c for c, k in zip(comps, ours.kept) if k]
    assert ours.vectors.shape == (len(kept), len(STATS) * element_vectors(name)[1].shape[1])
    assert len(kept) >= 10, "the random compositions should mostly be embeddable"
    for comp, vec in zip(kept, ours.vectors):
        np.testing.assert_allclose(vec, reference(comp.formula, library, list(STATS)), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("stats", [("mean",), ("variance", "mean"), ("maxpool", "minpool", "range", "sum")])
def test_statistic_order_and_subsets(comps: list[Composition], stats: tuple[str, ...]) -> None:
    from elementembeddings.core import Embedding

    library = Embedding.load_data("megnet16")
    ours = embed(comps, "megnet16", stats)
    kept = [c for c, k in zip(comps, ours.kept) if k]
    for comp, vec in zip(kept[:20], ours.vectors):
        np.testing.assert_allclose(vec, reference(comp.formula, library, list(stats)), rtol=1e-6, atol=1e-6)


def test_mean_is_eq_2_a_fraction_weighted_sum() -> None:
    """Fe2O3: 0.4 Fe + 0.6 O; a single element's mean is its own vector (no standardisation)."""
    from elementembeddings.core import Embedding

    raw = Embedding.load_data("magpie").embeddings
    out = embed([parse_formula("Fe2O3"), parse_formula("Cu")], "magpie")
    np.testing.assert_allclose(out.vectors[0], 0.4 * np.nan_to_num(raw["Fe"]) + 0.6 * np.nan_to_num(raw["O"]))
    np.testing.assert_allclose(out.vectors[1], np.nan_to_num(raw["Cu"]))


def test_fraction_matrix_rows_are_atomic_fractions() -> None:
    frac = fraction_matrix([[3, 0], [1, 2, 4]], [(1, 3), (2, 2, 4)], 5).toarray()
    np.testing.assert_allclose(frac.sum(axis=1), 1.0)
    np.testing.assert_allclose(frac[0], [0.75, 0, 0, 0.25, 0])
    np.testing.assert_allclose(frac[1], [0, 0.25, 0.25, 0, 0.5])


def test_missing_elements_are_skipped_counted_never_zero_filled() -> None:
    comps = [parse_formula("NaCl"), parse_formula("CfO2"), parse_formula("ZnO"), parse_formula("No2S3")]
    out = embed(comps, "magpie")
    assert out.kept.tolist() == [True, False, True, False]
    assert out.skipped == 2 and out.missing_elements == {"Cf", "No"}
    assert out.vectors.shape[0] == 2
    assert not np.all(out.vectors == 0, axis=1).any()
    full = embed(comps, "mat2vec")  # mat2vec covers every element here
    assert full.skipped == 0 and full.vectors.shape[0] == 4


def test_bad_names_raise_input_error() -> None:
    comps = [parse_formula("NaCl")]
    with pytest.raises(InputError, match="nosuch"):
        embed(comps, "nosuch")
    with pytest.raises(InputError, match="median"):
        embed(comps, "magpie", ("mean", "median"))


def test_every_shipped_representation_is_offered() -> None:
    from elementembeddings.utils.config import DEFAULT_ELEMENT_EMBEDDINGS, DEFAULT_SPECIES_EMBEDDINGS

    assert available_embeddings()[:6] == PAPER_EMBEDDINGS
    assert set(available_embeddings()) == set(DEFAULT_ELEMENT_EMBEDDINGS) | set(DEFAULT_SPECIES_EMBEDDINGS)
    dims = {name: element_vectors(name)[1].shape[1] for name in PAPER_EMBEDDINGS}
    assert dims == {"magpie": 22, "mat2vec": 200, "megnet16": 16, "oliynyk": 44, "skipatom": 200, "random_200": 200}


def test_species_key_matches_skipspecies_names() -> None:
    rows, _ = element_vectors("skipspecies")
    assert [species_key(s, q) for s, q in [("Fe", 3), ("O", -2), ("Na", 1), ("Cl", -1)]] == [
        "Fe3+",
        "O2-",
        "Na+",
        "Cl-",
    ]
    assert {"Fe3+", "O2-", "Na+", "Cl-"} <= set(rows)


def test_species_embedding_equals_elementembeddings() -> None:
    """SkipSpecies vectors pooled with charge-neutral SMACT oxidation states; forbidden ones skipped."""
    from elementembeddings.composition import SpeciesCompositionalEmbedding
    from elementembeddings.core import SpeciesEmbedding

    comps = [parse_formula(f) for f in ("Fe2O3", "NaCl", "ZnO", "Li2ZnSn3O8", "CuFeS2", "NaCl2", "GaAs", "KBr")]
    out = embed(comps, "skipspecies", ("mean", "variance"))
    assert out.kept.tolist() == [True, True, True, True, True, False, True, True]
    assert out.no_oxidation_states == 1  # NaCl2 has no charge-neutral SMACT states
    library = SpeciesEmbedding.load_data("skipspecies")
    kept = [c for c, k in zip(comps, out.kept) if k]
    for comp, vec in zip(kept, out.vectors):
        # recover which ions were used: the one charge-neutral choice whose pooled mean is ours
        species = _assigned_species(comp)
        assert sum(q * n for (_, q), n in zip(species, comp.counts)) == 0
        formula = {species_key(s, q): n for (s, q), n in zip(species, comp.counts)}
        ref = SpeciesCompositionalEmbedding(formula, library).feature_vector(["mean", "variance"])
        np.testing.assert_allclose(vec, ref, rtol=1e-6, atol=1e-6)


def _assigned_species(comp: Composition) -> list[tuple[str, int]]:
    from dataclasses import replace

    from chemspace.core.elements import element_table
    from chemspace.core.engine import oxidation_assignment

    rows, _ = element_vectors("skipspecies")
    table = element_table("smact14")
    covered = replace(
        table,
        oxidation_states=tuple(
            tuple(q for q in st if species_key(s, q) in rows) for s, st in zip(table.symbols, table.oxidation_states)
        ),
    )
    states = oxidation_assignment(covered, comp)
    assert states is not None
    return [(s, states[s]) for s in comp.symbols]
