"""census --checkpoint: a run killed with SIGKILL resumes and ends with the uninterrupted result."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from chemspace.core.census import CensusSettings, run_census
from chemspace.core.errors import InputError

ARGS = ["census", "--arity", "3,4", "--max-stoich", "10", "--samples", "40", "--known", "none", "--json"]
#: A run long enough (the quinary: about 25 s on 2 cores) that a signal sent at its first partial
#: checkpoint always lands mid-count, however fast the kernels or loaded the machine.
LONG_ARGS = ["census", "--arity", "5", "--samples", "40", "--known", "none", "--json"]


def _cli(*extra: str, args: list[str] = ARGS) -> list[str]:
    return [sys.executable, "-m", "chemspace.tui", *args, *extra]


def _env() -> dict[str, str]:
    return {**os.environ, "CHEMSPACE_CHECKPOINT_SECONDS": "0.2"}


def _strip_times(doc: dict) -> dict:
    doc.pop("elapsed_s"), doc.pop("compile_s")
    for arity in doc["arities"].values():
        arity.pop("elapsed_s"), arity.pop("compile_s")
    return doc


def _partial(path: Path, arity: int = 4) -> bool:
    """True once the checkpoint records some but not all stems of ``arity``."""
    try:
        with np.load(path) as doc:
            if f"processed_{arity}" not in doc.files:
                return False
            done = doc[f"processed_{arity}"]
            return 0 < int(done.sum()) < len(done)
    except (OSError, ValueError, EOFError):
        return False


def _run_until_partial(checkpoint: Path, args: list[str] = ARGS) -> subprocess.Popen:
    """Start the census with ``--checkpoint`` and return once the checkpoint holds part of its last arity."""
    proc = subprocess.Popen(
        _cli("--checkpoint", str(checkpoint), args=args),
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    last = int(args[args.index("--arity") + 1].split(",")[-1])
    deadline = time.monotonic() + 600
    while not _partial(checkpoint, last):
        assert proc.poll() is None, "the census finished before a partial checkpoint was seen"
        assert time.monotonic() < deadline
        time.sleep(0.05)
    return proc


def test_sigkill_then_resume_gives_the_identical_result(tmp_path: Path) -> None:
    """Kill the census mid-quaternary (SIGKILL), rerun the same command: same JSON as a run never killed."""
    checkpoint = tmp_path / "census.ckpt"
    proc = _run_until_partial(checkpoint)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    with np.load(checkpoint) as doc:
        done_at_kill = int(doc["processed_4"].sum())
    assert not list(tmp_path.glob("*.part"))  # the atomic writes left no temporary file behind either way
    resumed = subprocess.run(
        _cli("--checkpoint", str(checkpoint)), env=_env(), capture_output=True, text=True, check=True
    )
    fresh = subprocess.run(_cli(), env=_env(), capture_output=True, text=True, check=True)
    assert done_at_kill > 0
    assert f"resuming from {checkpoint} (units of work done: ternary 100%, quaternary " in resumed.stderr
    assert _strip_times(json.loads(resumed.stdout)) == _strip_times(json.loads(fresh.stdout))


def test_ctrl_c_says_where_the_finished_work_is(tmp_path: Path) -> None:
    """Ctrl-C mid-count: 'cancelled', exit 130, and a line naming the checkpoint that resumes it."""
    checkpoint = tmp_path / "census.ckpt"
    proc = _run_until_partial(checkpoint, LONG_ARGS)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert f"the finished work is saved in {checkpoint}: the same command resumes it" in err
    assert err.rstrip().endswith("cancelled") and "Traceback" not in err


def test_checkpoint_of_other_settings_is_refused(tmp_path: Path) -> None:
    """A checkpoint is only resumed by the settings that wrote it; anything else is one clear error."""
    path = tmp_path / "c.ckpt"
    run_census(CensusSettings(arities=(2,), samples=0), checkpoint=path)
    with pytest.raises(InputError, match="other census settings") as refused:
        run_census(CensusSettings(arities=(2,), samples=0, pool=("Li", "O", "Zn")), checkpoint=path)
    assert 'pool null there, ["Li", "O", "Zn"] here' in str(refused.value)  # what differs, not every setting
    assert "oxidation_states" not in str(refused.value)
    path.write_text("not a checkpoint")
    out = subprocess.run(_cli("--checkpoint", str(path)), env=_env(), capture_output=True, text=True)
    assert out.returncode == 1 and out.stderr.startswith("error:") and "not a census checkpoint" in out.stderr
    assert "Traceback" not in out.stderr


def test_a_finished_checkpoint_reproduces_the_result(tmp_path: Path) -> None:
    """Rerunning a finished run from its checkpoint counts nothing again and gives the same counts and samples."""
    path = tmp_path / "c.ckpt"
    settings = CensusSettings(arities=(2, 3), samples=30)
    first = _strip_times(run_census(settings, checkpoint=path).to_json())
    seen = []
    again = run_census(settings, checkpoint=path, on_progress=lambda c: seen.append(c.phase))
    assert "counting" not in seen and "compiling" not in seen
    assert _strip_times(again.to_json()) == first
