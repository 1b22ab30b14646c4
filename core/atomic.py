"""Atomic file writes: write to a temporary sibling, rename it into place only on success.

An interrupted export, download or cache write therefore never leaves a partial file behind, and
the previous file (if any) stays whole. The finished file gets the permissions any new file gets
(0666 less the umask), not the owner-only mode of a temporary file. Failures name the file the user
asked for, never the temporary one.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from chemspace.core.errors import InputError


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


#: Read once at import (os.umask can only be read by setting it, which is not thread-safe later).
_NEW_FILE_MODE = 0o666 & ~_current_umask()


def check_directory(path: Path) -> None:
    """InputError unless the directory ``path`` would be written into exists (checked before long work)."""
    parent = path.parent
    if not parent.exists():
        raise InputError(f"cannot write {str(path)!r}: the directory {str(parent)!r} does not exist")
    if not parent.is_dir():
        raise InputError(f"cannot write {str(path)!r}: {str(parent)!r} is not a directory")


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
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
        os.close(fd)
    except OSError as exc:
        raise InputError(f"cannot write {str(path)!r}: {exc.strerror or exc}") from None
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.chmod(tmp, _NEW_FILE_MODE)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise InputError(f"cannot write {str(path)!r}: {exc.strerror or exc}") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
