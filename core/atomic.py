"""Atomic file writes: write to a temporary sibling, rename it into place only on success.

An interrupted export, download or cache write therefore never leaves a partial file behind, and
the previous file (if any) stays whole. The finished file gets the permissions any new file gets
(0666 less the umask), not the owner-only mode of a temporary file. Failures name the file the user
asked for, never the temporary one.

Signals. :func:`interrupt_on_signals` makes SIGTERM and SIGHUP interrupt like Ctrl-C (SIGINT), so
the temporary file is removed on every signal a process can catch. SIGKILL cannot be caught: the
temporary file's name carries the writer's process id (``.NAME.chemspace-PID-XXXX.part``), and the
next write into that directory removes every such file whose process is gone.
"""

from __future__ import annotations

import os
import re
import signal
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

from chemspace.core.errors import InputError


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


#: Read once at import (os.umask can only be read by setting it, which is not thread-safe later).
_NEW_FILE_MODE = 0o666 & ~_current_umask()


#: Signals that interrupt a command like Ctrl-C (SIGHUP: the terminal closed).
INTERRUPT_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))
_TEMP_MARK = "chemspace"
_TEMP_NAME = re.compile(rf"^\..+\.{_TEMP_MARK}-(\d+)-[^.]*\.part$")


class Interrupted(KeyboardInterrupt):
    """A catchable signal (INT, TERM, HUP) arrived; ``signum`` says which, for the exit status."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _raise_interrupted(signum: int, frame: FrameType | None) -> None:
    raise Interrupted(signum)


def interrupt_on_signals() -> None:
    """Make INT, TERM and HUP raise :class:`Interrupted` in the main thread (call once, at start-up)."""
    if threading.current_thread() is not threading.main_thread():
        return
    for signum in INTERRUPT_SIGNALS:
        if signal.getsignal(signum) is not signal.SIG_IGN:  # nohup: the user asked to ignore HUP
            signal.signal(signum, _raise_interrupted)


@contextmanager
def deferred_signals() -> Iterator[list[int]]:
    """Hold INT, TERM and HUP during the block (work already committed is being reported).

    The signals received are collected in the yielded list and then dropped: the work they would
    interrupt is done, so the outcome and the message stay in agreement. Outside the main thread
    (where handlers cannot be set) it does nothing.
    """
    received: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield received
        return
    previous = {signum: signal.signal(signum, lambda n, f: received.append(n)) for signum in INTERRUPT_SIGNALS}
    try:
        yield received
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


@contextmanager
def signals_set(event: threading.Event) -> Iterator[None]:
    """During the block INT, TERM and HUP set ``event`` instead of raising; on leaving it, the first
    one received is raised as :class:`Interrupted`.

    For work that polls a cancel event and must not be interrupted mid-call: a KeyboardInterrupt
    inside ``distributed``'s blocking client calls can print a library traceback (its ``sync()``
    cancels a future it may not have created yet). Outside the main thread it does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []

    def note(signum: int, frame: FrameType | None) -> None:
        received.append(signum)
        event.set()

    previous = {signum: signal.signal(signum, note) for signum in INTERRUPT_SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if received:
        raise Interrupted(received[0])


def sweep_stale_temporaries(directory: Path) -> int:
    """Remove temporary files of our naming in ``directory`` whose writing process is gone; how many.

    Only names :func:`atomic_path` makes are touched, and only when no process with the recorded
    id exists (a live writer's file, another process's, is never removed).
    """
    removed = 0
    try:
        names = os.listdir(directory)
    except OSError:
        return 0
    for name in names:
        m = _TEMP_NAME.match(name)
        if m is None or int(m.group(1)) == os.getpid() or _process_exists(int(m.group(1))):
            continue
        try:
            (Path(directory) / name).unlink()
            removed += 1
        except OSError:
            pass  # a read-only directory, or another run swept it first
    return removed


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True  # someone else's process: leave its file alone
    return True


def check_directory(path: Path) -> None:
    """InputError unless the directory ``path`` would be written into exists and is writable.

    Checked before long work, by creating and removing a temporary file there (``os.access`` says
    yes to root on a read-only filesystem).
    """
    parent = path.parent
    if not parent.exists():
        raise InputError(f"cannot write {str(path)!r}: the directory {str(parent)!r} does not exist")
    if not parent.is_dir():
        raise InputError(f"cannot write {str(path)!r}: {str(parent)!r} is not a directory")
    if path.is_dir():
        raise InputError(f"cannot write {str(path)!r}: it is a directory, not a file")
    try:
        fd, probe = tempfile.mkstemp(prefix=f".{path.name}.{_TEMP_MARK}-{os.getpid()}-", suffix=".part", dir=parent)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise InputError(f"cannot write {str(path)!r}: {exc.strerror or exc}") from None


@contextmanager
def atomic_path(path: Path, make_parents: bool = False) -> Iterator[Path]:
    """Yield a temporary sibling of ``path``; rename it into place only if the block succeeds.

    Parameters
    ----------
    path : the file to (re)place.
    make_parents : create missing directories (the app's own caches); for a path the user typed, a
        missing directory is more likely a typo, so it is an InputError instead.

    Raises
    ------
    InputError
        The file cannot be written (missing directory, permissions, full disk...), naming ``path``.
    """
    path = Path(path)
    try:
        if make_parents:
            path.parent.mkdir(parents=True, exist_ok=True)
        else:
            check_directory(path)
        sweep_stale_temporaries(path.parent)
        fd, tmp_name = tempfile.mkstemp(
            prefix=f".{path.name}.{_TEMP_MARK}-{os.getpid()}-", suffix=".part", dir=path.parent
        )
        os.close(fd)
    except OSError as exc:
        raise InputError(f"cannot write {str(path)!r}: {exc.strerror or exc}") from None
    tmp = Path(tmp_name)
    try:
        yield tmp
        with deferred_signals():  # the rename is the commit: never half-interrupted
            os.chmod(tmp, _NEW_FILE_MODE)
            os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise InputError(f"cannot write {str(path)!r}: {exc.strerror or exc}") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
