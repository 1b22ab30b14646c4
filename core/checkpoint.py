"""Census checkpoints: finished work recorded atomically, so a killed run resumes where it stopped.

Per arity the file holds which stems are finished, their allowed counts and the per-element
allowed counts; everything else the census reports (done, per-element done, known categories,
samples) is derived from those, so a resumed run ends with exactly the result of an uninterrupted
one. The file is a NumPy ``.npz`` archive written through :mod:`chemspace.core.atomic` (temp file,
then rename): a kill, SIGKILL included, leaves either the previous checkpoint or the new one.
"""

from __future__ import annotations

import json
import os
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from chemspace.core.atomic import atomic_path, check_directory
from chemspace.core.errors import InputError
from chemspace.core.files import unreadable

#: Seconds between checkpoint writes (``CHEMSPACE_CHECKPOINT_SECONDS`` overrides, for tests).
CHECKPOINT_SECONDS = 5.0


@dataclass
class ArityState:
    """Finished work of one arity: stems done, their allowed counts, allowed counts per pool element."""

    processed: np.ndarray
    stem_allowed: np.ndarray
    element_allowed: np.ndarray


def _differences(recorded: str, wanted: str) -> str:
    """The settings that differ, as ``arities [5] there, [4] here``, from two fingerprints' JSON."""
    try:
        there, here = json.loads(recorded), json.loads(wanted)
    except ValueError:
        return "unreadable settings"
    if not isinstance(there, dict):
        return "unreadable settings"
    names = sorted(k for k in set(there) | set(here) if there.get(k) != here.get(k))
    return "; ".join(f"{name} {json.dumps(there.get(name))} there, {json.dumps(here.get(name))} here" for name in names)


class Checkpoint:
    """Load and periodically save the finished work of a census run with fixed settings."""

    def __init__(self, path: Path | str, fingerprint: dict) -> None:
        self.path = Path(path)
        check_directory(self.path)
        self.fingerprint = json.dumps(fingerprint, sort_keys=True)
        self.every = float(os.environ.get("CHEMSPACE_CHECKPOINT_SECONDS", CHECKPOINT_SECONDS))
        self.states: dict[int, ArityState] = self._load()
        self._saved_at = time.monotonic()

    def matches(self, fingerprint: dict) -> bool:
        """Whether this checkpoint is the one for settings with ``fingerprint``."""
        return self.fingerprint == json.dumps(fingerprint, sort_keys=True)

    def _load(self) -> dict[int, ArityState]:
        """States recorded in the file (none if it does not exist); InputError if it is not ours."""
        if not self.path.exists():
            return {}
        if self.path.is_dir():
            raise unreadable(self.path, IsADirectoryError(), "checkpoint")
        try:
            with np.load(self.path, allow_pickle=False) as doc:
                recorded = str(doc["fingerprint"])
                arrays = {k: doc[k] for k in doc.files}
        except (FileNotFoundError, PermissionError, IsADirectoryError) as exc:
            raise unreadable(self.path, exc, "checkpoint") from None
        except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError) as exc:
            raise InputError(f"{str(self.path)!r} is not a census checkpoint ({exc})") from None
        if recorded != self.fingerprint:
            raise InputError(
                f"checkpoint {str(self.path)!r} was written for other census settings "
                f"({_differences(recorded, self.fingerprint)}); use another file or delete it"
            )
        arities = sorted({int(k.split("_")[1]) for k in arrays if k.startswith("processed_")})
        return {
            a: ArityState(
                processed=arrays[f"processed_{a}"].astype(np.bool_),
                stem_allowed=arrays[f"stem_allowed_{a}"].astype(np.int64),
                element_allowed=arrays[f"element_allowed_{a}"].astype(np.int64),
            )
            for a in arities
        }

    def due(self) -> bool:
        """Whether ``every`` seconds have passed since the last write (callers copy state only then)."""
        return time.monotonic() - self._saved_at >= self.every

    def update(self, arity: int, state: ArityState, force: bool = False) -> None:
        """Record ``state`` for ``arity``; write the file if ``every`` seconds have passed (or ``force``)."""
        self.states[arity] = state
        if force or self.due():
            self.save()

    def save(self) -> None:
        """Write every recorded state atomically."""
        arrays: dict[str, np.ndarray] = {"fingerprint": np.array(self.fingerprint)}
        for a, s in self.states.items():
            arrays[f"processed_{a}"] = s.processed
            arrays[f"stem_allowed_{a}"] = s.stem_allowed
            arrays[f"element_allowed_{a}"] = s.element_allowed
        with atomic_path(self.path) as tmp, tmp.open("wb") as handle:
            np.savez(handle, **arrays)
        self._saved_at = time.monotonic()
