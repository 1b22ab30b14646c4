"""Shared helpers for the app tests: app factories, a waiting loop and a deterministic fake projector."""

from __future__ import annotations

import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from textual.pilot import Pilot

from chemspace.core.census import CensusSettings
from chemspace.tui.app import AppOptions, ChemspaceApp

SYSTEM = ("Li", "Zn", "Sn", "O")
ANION_OF = {"O": "oxide", "S": "chalcogenide", "F": "halide", "Cl": "halide", "N": "pnictide", "P": "pnictide"}


@dataclass
class FakeProjection:
    """What the core's Projection carries, computed from the formulas alone (stable across runs)."""

    formulas: list[str]
    labels: list[str]
    anion_classes: list[str]
    x: np.ndarray
    y: np.ndarray


class FakeProjector:
    """Stands in for project_samples; records every call."""

    def __init__(self, fail: bool = False) -> None:
        self.calls: list[tuple[str, str]] = []
        self.fail = fail

    def __call__(self, samples, embedding, reducer, random_state=42, cancel=None):
        self.calls.append((embedding, reducer))
        if self.fail:
            raise ValueError("the embedding has no vector for Lr")
        formulas, labels, anions = [], [], []
        for label, comps in samples.items():
            for comp in comps:
                formulas.append(comp.formula)
                labels.append(label)
                anions.append(next((ANION_OF[s] for s in comp.symbols if s in ANION_OF), "other"))
        seeds = np.array([zlib.crc32(f.encode()) for f in formulas], dtype=np.float64)
        shift = {"pca": 0.0, "tsne": 1.0, "umap": 2.0}.get(reducer, 0.0)
        x = np.sin(seeds) + shift
        y = np.cos(seeds * 1.3) + np.array([sorted(samples).index(lb) for lb in labels], dtype=float)
        return FakeProjection(formulas, labels, anions, x, y)


def make_app(
    settings: CensusSettings,
    system: tuple[str, ...] | None = None,
    projector: Callable | None = None,
) -> ChemspaceApp:
    """An app with no elapsed times and no animations, as the tests and snapshots want it."""
    app = ChemspaceApp(AppOptions(settings=settings, system=system), show_elapsed=False, projector=projector)
    app.animation_level = "none"
    return app


def system_app(projector: Callable | None = None) -> ChemspaceApp:
    """Li-Zn-Sn-O, arities 2-4, small samples: deterministic and fast."""
    settings = CensusSettings(arities=(2, 3, 4), samples=200, pool=SYSTEM)
    return make_app(settings, SYSTEM, projector)


async def wait_for(pilot: Pilot, predicate: Callable[[], bool], timeout: float = 180.0) -> None:
    """Let the app run until ``predicate`` holds (fails after ``timeout`` s: generous, since the first
    test in a fresh environment may be compiling the numba kernels)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the app")
        await pilot.pause(0.05)


async def wait_ready(pilot: Pilot) -> None:
    """Census finished and, in system mode, the system table filled."""
    app = pilot.app
    assert isinstance(app, ChemspaceApp)
    await wait_for(pilot, lambda: app.result is not None and (app.system is None or app.system_rows is not None))
    await pilot.pause()
