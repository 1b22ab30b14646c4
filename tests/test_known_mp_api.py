"""The stand-in MP server answers as the real API does: mp-api's own client reads it.

Separate from test_known_mp.py because ``import mp_api.client`` alone takes several seconds.
"""

from __future__ import annotations

import warnings

import pytest

from chemspace.core.mp_client import FIELDS

from mp_server import GOOD_KEY, MPState, make_docs, mp_server

FORMULAS = [f"Na{n}Cl" for n in range(1, 9)] * 200


@pytest.mark.slow
def test_mp_api_reads_the_stand_in_server() -> None:
    """mp-api's own MPRester gets the same documents and db_version from the stand-in: same shapes."""
    mp_api = pytest.importorskip("mp_api.client")
    state = MPState(make_docs(FORMULAS))
    with mp_server(state) as url, warnings.catch_warnings():
        warnings.simplefilter("error")  # e.g. its "server emmet version too old" warning
        with mp_api.MPRester(api_key=GOOD_KEY, endpoint=url, mute_progress_bars=True, use_document_model=False) as mpr:
            docs = mpr.materials.summary.search(deprecated=False, fields=list(FIELDS))
            version = mpr.db_version
    assert version == state.db_version
    assert [d["material_id"] for d in docs] == [d["material_id"] for d in make_docs(FORMULAS)]
    assert set(docs[0]) == set(FIELDS)
