"""Shared fixtures: isolated data/cache directories so tests never touch the user's files."""

from __future__ import annotations

import signal

import pytest


def _hear_interrupts() -> None:
    """Undo an inherited 'ignore' of SIGINT and SIGHUP in the test process.

    A suite started in the background from a script (``pytest ... &``, which ignores SIGINT) or under
    ``nohup`` (SIGHUP) passes that 'ignore' to every process it starts, and the product, like Python,
    keeps a signal its parent chose to ignore: the tests that send Ctrl-C or a hang-up to a command
    would then see it ignored. The product is right to; the tests need the terminal's defaults.
    """
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    if signal.getsignal(signal.SIGHUP) is signal.SIG_IGN:
        signal.signal(signal.SIGHUP, signal.SIG_DFL)


_hear_interrupts()


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point the known-set store and the projection cache at per-test temporary directories."""
    monkeypatch.setenv("CHEMSPACE_DATA_DIR", str(tmp_path_factory.mktemp("data")))
    monkeypatch.setenv("CHEMSPACE_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.delenv("MP_API_KEY", raising=False)
