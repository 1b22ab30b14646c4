"""Shared fixtures: isolated data/cache directories so tests never touch the user's files."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point the known-set store and the projection cache at per-test temporary directories."""
    monkeypatch.setenv("CHEMSPACE_DATA_DIR", str(tmp_path_factory.mktemp("data")))
    monkeypatch.setenv("CHEMSPACE_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.delenv("MP_API_KEY", raising=False)
