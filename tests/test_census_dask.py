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


def test_cancel_then_resume_from_the_checkpoint(in_process: dict, tmp_path) -> None:
    """Cancelled mid-quaternary on the cluster, the checkpointed run resumes there and ends identical."""
    cancel = threading.Event()
    checkpoint = tmp_path / "census.ckpt"

    def on_progress(census) -> None:
        if census.arity == 4 and census.work_done:
            cancel.set()

    with runner_for("local:2") as runner:
        first = run_census(SETTINGS, runner=runner, on_progress=on_progress, cancel=cancel, checkpoint=checkpoint)
        assert first.cancelled and not first.arities[4].complete
        assert 0 < first.arities[4].work_done < first.arities[4].work_total
        seen: list[int] = []
        resumed = run_census(
            SETTINGS,
            runner=runner,
            checkpoint=checkpoint,
            on_progress=lambda c: seen.append(c.work_done) if c.arity == 4 else None,
        )
    assert seen[0] >= first.arities[4].work_done  # resumed where it stopped, not from the start
    assert _strip_times(resumed.to_json(element_label="allowed")) == in_process


def _count_signature_rows() -> bool:
    """In a worker: tally the subset rows handed to the signature-counting kernel (its costly work)."""
    from chemspace.core import kernels

    if not hasattr(kernels, "rows_counted"):
        original = kernels.count_signatures

        def counting(reps, *args):
            kernels.rows_counted += len(reps)
            return original(reps, *args)

        kernels.rows_counted = 0
        kernels.count_signatures = counting
    return True


def _rows_counted() -> int:
    from chemspace.core import kernels

    return kernels.rows_counted


def test_each_signature_is_counted_once_across_workers() -> None:
    """Three workers together count every distinct signature of the pool exactly once (not once each)."""
    import numpy as np

    from chemspace.core.elements import element_table
    from chemspace.core.engine import ArityPlan, charge_tables

    settings = CensusSettings(arities=(4,), pool=POOL, samples=0)
    plan = ArityPlan(4, settings.max_stoich, charge_tables(element_table(settings.oxidation_states, POOL)))
    plan.count(np.arange(len(plan.stems)))  # in process: every signature, each once
    with runner_for("local:3") as runner:
        runner.client.run(_count_signature_rows)
        result = run_census(settings, runner=runner)
        counted = sum(runner.client.run(_rows_counted).values())
    assert result.arities[4].complete
    assert counted == len(plan.signatures) > 1000


@pytest.mark.parametrize("spec", ["local:0", "local:x", "http://host", "8786"])
def test_bad_scheduler_is_one_clear_error(spec: str) -> None:
    with pytest.raises(InputError, match="scheduler"):
        parse_scheduler(spec)


def test_ctrl_c_on_a_cluster_run_says_cancelled_and_nothing_else(tmp_path) -> None:
    """Ctrl-C (SIGINT to the whole process group, as a terminal sends it) during `census --scheduler
    local:2`: exit 130 with `cancelled`, no worker tracebacks or lost-task warnings, no worker left."""
    import subprocess
    import sys
    import time
    from pathlib import Path

    exe = Path(sys.executable).with_name("chemspace-tui")
    err_path = tmp_path / "stderr.txt"
    env = dict(os.environ, CHEMSPACE_DATA_DIR=str(tmp_path), CHEMSPACE_PROGRESS_SECONDS="0.5")
    with err_path.open("w") as err:
        proc = subprocess.Popen(
            [str(exe), "census", "--scheduler", "local:2", "--known", "none", "--samples", "0"],
            stdout=subprocess.DEVNULL,
            stderr=err,
            env=env,
            start_new_session=True,
        )
        deadline = time.monotonic() + 300
        while "quaternary" not in err_path.read_text() and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.2)
        assert proc.poll() is None, err_path.read_text()
        os.killpg(proc.pid, signal.SIGINT)
        code = proc.wait(timeout=120)
    text = err_path.read_text()
    assert code == 130, text
    assert "cancelled" in text
    assert "Traceback" not in text and "KeyboardInterrupt" not in text and "WARNING" not in text, text
    leftover = ["?"]
    deadline = time.monotonic() + 30  # multiprocessing's resource tracker leaves once its pipe closes
    while leftover and time.monotonic() < deadline:
        time.sleep(0.5)
        found = subprocess.run(["pgrep", "-a", "-g", str(proc.pid)], capture_output=True, text=True).stdout
        leftover = [line for line in found.splitlines() if line.strip()]
    assert not leftover, f"processes left in the job's group: {leftover}"
