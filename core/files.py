"""Reading a file the user named: one plain line for each way it can fail, never Python's errno text.

Every command that takes a file (``check --file``, ``known import``, ``--known FILE``,
``--oxidation-states FILE``, ``census --checkpoint``) reads it here, so a missing file, a directory,
an unreadable file or one that is not UTF-8 is said the same way everywhere.
"""

from __future__ import annotations

import errno
from pathlib import Path

from chemspace.core.errors import InputError


def missing_file(path: Path | str) -> InputError:
    """The error for a file that does not exist, whatever it was for: ``no such file: PATH``."""
    return InputError(f"no such file: {path}")


def unreadable(path: Path | str, exc: OSError | UnicodeDecodeError, what: str = "file") -> InputError:
    """One plain line for why ``path`` could not be read (missing, a directory, permission, not UTF-8, ...)."""
    if isinstance(exc, UnicodeDecodeError):
        return InputError(f"cannot read {what} {path}: not UTF-8 text (byte {exc.start})")
    if isinstance(exc, FileNotFoundError):
        return missing_file(path)
    if isinstance(exc, IsADirectoryError) or exc.errno == errno.EISDIR:
        return InputError(f"{path} is a directory, not a {what}")
    if isinstance(exc, PermissionError):
        return InputError(f"cannot read {what} {path}: permission denied")
    reason = (exc.strerror or type(exc).__name__).lower()
    return InputError(f"cannot read {what} {path}: {reason}")


def read_user_text(path: Path, what: str = "file", encoding: str = "utf-8-sig") -> str:
    """The text of a file the user named (a UTF-8 byte-order mark dropped), else InputError in one line."""
    try:
        if path.is_dir():
            raise IsADirectoryError(errno.EISDIR, "is a directory", str(path))
        return path.read_text(encoding=encoding)
    except (OSError, UnicodeDecodeError) as exc:
        raise unreadable(path, exc, what) from None
