"""INT, TERM, HUP and KILL during `export` and `known import`, in real processes: a catchable signal
cancels cleanly (exit 128+signal, 'cancelled', no temporary file, the old file whole); after a KILL
the next write into that directory sweeps the dead writer's temporary file."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

CATCHABLE = [signal.SIGINT, signal.SIGTERM, signal.SIGHUP]
#: Generous bounds: the machine may be loaded; nothing here depends on them being tight.
APPEAR_SECONDS = 300.0
EXIT_SECONDS = 120.0


def _start(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "chemspace.tui", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )


def _parts(folder: Path) -> list[Path]:
    return sorted(folder.glob(".*.part")) if folder.exists() else []


def _wait_for_part(proc: subprocess.Popen, folder: Path) -> Path:
    """The temporary file the process is writing, once it exists (fails if the process ends first)."""
    end = time.monotonic() + APPEAR_SECONDS
    while time.monotonic() < end:
        for part in _parts(folder):
            time.sleep(0.05)
            if part.exists():  # not the writable-directory probe, which is gone within microseconds
                return part
        if proc.poll() is not None:
            pytest.fail(f"process ended ({proc.returncode}) before writing: {proc.stderr.read()[-500:]}")
        time.sleep(0.01)
    proc.kill()
    pytest.fail("no temporary file appeared")


def _finish(proc: subprocess.Popen) -> tuple[int, str]:
    try:
        _, err = proc.communicate(timeout=EXIT_SECONDS)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail("the process did not stop after the signal")
    return proc.returncode, err


@pytest.mark.parametrize("sig", CATCHABLE, ids=lambda s: s.name)
def test_catchable_signal_during_export_leaves_no_temporary_and_the_old_file(
    tmp_path: Path, sig: signal.Signals
) -> None:
    out = tmp_path / "t.csv"
    out.write_text("old\n")
    proc = _start("export", "--arity", "3", "--known", "none", "--out", str(out), "--force")
    _wait_for_part(proc, tmp_path)
    proc.send_signal(sig)
    code, err = _finish(proc)
    assert code == 128 + sig, err
    assert "cancelled" in err and "Traceback" not in err
    assert _parts(tmp_path) == [] and out.read_text() == "old\n"


def _big_list(path: Path, n: int = 200_000) -> Path:
    """``n`` distinct formulas (each parsed: the importer parses a repeated formula once)."""
    path.write_text("".join(f"Na{i % 997 + 1}Cl{i // 997 + 1}O3\n" for i in range(n)))
    return path


@pytest.mark.parametrize("sig", [signal.SIGTERM], ids=lambda s: s.name)  # INT and HUP: the export tests
def test_catchable_signal_while_import_saves_leaves_no_temporary(tmp_path: Path, sig: signal.Signals) -> None:
    store = Path(os.environ["CHEMSPACE_DATA_DIR"]) / "known"
    proc = _start("known", "import", str(_big_list(tmp_path / "big.txt")), "--name", "big")
    _wait_for_part(proc, store)
    proc.send_signal(sig)
    code, err = _finish(proc)
    assert "Traceback" not in err
    if code == 0:  # the signal came after the rename: then the set is cached and the report says so
        assert "cached" in err and "cancelled" not in err and (store / "big.json").exists()
    else:
        assert code == 128 + sig and "cancelled" in err and "cached" not in err
        assert not (store / "big.json").exists()
    assert _parts(store) == []


def test_kill_leaves_a_temporary_that_the_next_write_sweeps(tmp_path: Path) -> None:
    from chemspace.core.atomic import atomic_path

    out = tmp_path / "t.csv"
    proc = _start("export", "--arity", "3", "--known", "none", "--out", str(out), "--force")
    part = _wait_for_part(proc, tmp_path)
    proc.send_signal(signal.SIGKILL)
    code, _ = _finish(proc)
    assert code == -signal.SIGKILL and part.exists() and not out.exists()  # nothing can run on KILL
    with atomic_path(tmp_path / "b.csv") as tmp:  # the next write there (in any process: the same code)
        tmp.write_text("b\n")
    assert _parts(tmp_path) == [] and (tmp_path / "b.csv").read_text() == "b\n"


def test_a_live_writers_temporary_is_never_swept(tmp_path: Path) -> None:
    """Two writers into one directory: the sweep removes only files whose process is gone."""
    from chemspace.core.atomic import atomic_path, sweep_stale_temporaries

    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    try:
        live = tmp_path / f".a.csv.chemspace-{sleeper.pid}-abc.part"
        stale = tmp_path / f".b.csv.chemspace-{int(dead.stdout)}-xyz.part"
        other = tmp_path / ".c.csv.someoneelse.part"
        for path in (live, stale, other):
            path.write_text("x")
        with atomic_path(tmp_path / "d.csv") as tmp:
            tmp.write_text("d\n")
        assert sorted(p.name for p in _parts(tmp_path)) == sorted([live.name, other.name])
        assert sweep_stale_temporaries(tmp_path) == 0
    finally:
        sleeper.kill()
        sleeper.wait()


def test_deferred_signals_hold_an_interrupt_while_the_report_is_written() -> None:
    """Issue 11: once the store is in place, a late Ctrl-C must not turn the outcome into 'cancelled'."""
    from chemspace.core.atomic import deferred_signals, interrupt_on_signals

    previous = {s: signal.getsignal(s) for s in CATCHABLE}
    try:
        interrupt_on_signals()
        with deferred_signals() as received:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(0.05)
        assert received == [signal.SIGTERM]
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def test_signals_set_turn_an_interrupt_into_a_cancel_then_raise_it_on_leaving() -> None:
    """During a Dask run a signal only sets the cancel event (no KeyboardInterrupt inside a library
    call); leaving the block raises it as Interrupted with its number, and the handlers come back."""
    import threading

    from chemspace.core.atomic import Interrupted, interrupt_on_signals, signals_set

    previous = {s: signal.getsignal(s) for s in CATCHABLE}
    try:
        interrupt_on_signals()
        before = signal.getsignal(signal.SIGINT)
        cancel = threading.Event()
        finished_inside = False
        with pytest.raises(Interrupted) as raised, signals_set(cancel):
            os.kill(os.getpid(), signal.SIGHUP)
            assert cancel.wait(5)
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)
            finished_inside = True
        assert finished_inside
        assert raised.value.signum == signal.SIGHUP
        assert signal.getsignal(signal.SIGINT) is before
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def test_a_signal_surfacing_as_system_error_is_a_clean_cancel(capsys: pytest.CaptureFixture) -> None:
    """A signal that numba reports as SystemError (seen as a traceback on Ctrl-C during a resumed
    checkpointed census) still ends in 'cancelled' and exit 128 + signal; other SystemErrors propagate."""
    import typer

    from chemspace.tui.options import guarded

    def plain_system_error() -> None:
        raise SystemError("not a signal")

    with pytest.raises(typer.Exit) as done:
        guarded(_interrupted_with_context)()
    assert done.value.exit_code == 128 + signal.SIGTERM
    assert capsys.readouterr().err.strip() == "cancelled"
    with pytest.raises(SystemError, match="not a signal"):
        guarded(plain_system_error)()


def test_a_command_sees_a_signal_numba_wrapped_as_the_interrupt_it_is() -> None:
    """`census --checkpoint` says where the finished work is in its ``except KeyboardInterrupt``: a
    Ctrl-C that numba turned into SystemError (a kernel loading from the cache) must reach it too."""
    from chemspace.core.atomic import Interrupted
    from chemspace.tui.options import interrupts_unwrapped

    with pytest.raises(Interrupted) as seen, interrupts_unwrapped():
        _interrupted_with_context()
    assert seen.value.signum == signal.SIGTERM
    with pytest.raises(SystemError, match="not a signal"), interrupts_unwrapped():
        raise SystemError("not a signal")


def _interrupted_with_context() -> None:
    """SystemError whose context is the Interrupted being handled (``from None`` hides the cause only)."""
    from chemspace.core.atomic import Interrupted

    try:
        raise Interrupted(signal.SIGTERM)
    except Interrupted:
        raise SystemError("CPUDispatcher(...) returned a result with an exception set")  # noqa: B904
