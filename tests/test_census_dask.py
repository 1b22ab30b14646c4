"""The census on Dask's distributed scheduler: a LocalCluster on 127.0.0.1 gives every count the
in-process run gives, and a worker killed mid-run loses no work."""

from __future__ import annotations

import os
import signal
import threading

import pytest

from chemspace.core.census import CensusSettings, run_census
from chemspace.core.distributed import DaskRunner, parse_scheduler, runner_for
from chemspace.core.errors import InputError

POOL = (
    "H", "Li", "Be", "B", "C", "N", "O", "F", "Na", "Mg", "Al", "Si", "P", "S", "Cl", "K", "Ca", "Ti",
    "V", "Cr", "Mn", "Fe", "Co", "Ni", "Cu", "Zn", "Ga", "Ge", "As", "Se", "Br", "Sn", "Sb", "I", "Ba",
)  # fmt: skip
SETTINGS = CensusSettings(arities=(2, 3, 4), pool=POOL, samples=60)


def _strip_times(doc: dict) -> dict:
    doc.pop("elapsed_s"), doc.pop("compile_s")
    for arity in doc["arities"].values():
        arity.pop("elapsed_s"), arity.pop("compile_s")
    return doc


@pytest.fixture(scope="module")
def in_process() -> dict:
    return _strip_times(run_census(SETTINGS).to_json(element_label="allowed"))


def test_local_cluster_gives_the_in_process_counts(in_process: dict) -> None:
    """Every count, per-element count and sample equals the in-process run's."""
    with runner_for("local:2") as runner:
        assert isinstance(runner, DaskRunner)
        assert all(addr.startswith("tcp://127.0.0.1:") for addr in runner.client.scheduler_info()["workers"])
        result = run_census(SETTINGS, runner=runner)
    assert _strip_times(result.to_json(element_label="allowed")) == in_process


def test_a_worker_killed_mid_run_loses_no_work(in_process: dict) -> None:
    """SIGKILL one worker process after the first units come back: its units are redone, counts unchanged."""
    killed = threading.Event()
    with runner_for("local:2") as runner:
        pids = runner.client.run(os.getpid)

        def on_progress(census) -> None:
            if census.arity == 4 and census.work_done and not killed.is_set():
                os.kill(next(iter(pids.values())), signal.SIGKILL)
                killed.set()

        result = run_census(SETTINGS, runner=runner, on_progress=on_progress)
    assert killed.is_set()
    assert _strip_times(result.to_json(element_label="allowed")) == in_process


@pytest.mark.parametrize("spec", ["local:0", "local:x", "http://host", "8786"])
def test_bad_scheduler_is_one_clear_error(spec: str) -> None:
    with pytest.raises(InputError, match="scheduler"):
        parse_scheduler(spec)
