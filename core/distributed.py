"""The census's work units on Dask's distributed scheduler (``--scheduler tcp://HOST:8786`` or ``local:N``).

A work unit is a contiguous range of stems of one arity; a worker rebuilds the same plan from the
rule, pool and arity (cached per worker process, with its signature cache) and returns the
unit's allowed counts per stem, per element and per subset. The client streams results back in
completion order through the same loop as the in-process runner, so progress, cancel and
checkpoints behave the same. Dask reschedules the units of a worker that dies, so no work is lost.
We use Dask's scheduler rather than writing one.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict

import numpy as np

from chemspace.core.engine import ArityPlan, charge_tables
from chemspace.core.errors import InputError
from chemspace.core.rule import Rule

#: Units per worker: enough to balance uneven units and to redo little when a worker dies.
UNITS_PER_WORKER = 24

_PLANS: dict[tuple, ArityPlan] = {}
_PLANS_LOCK = threading.Lock()


def _worker_plan(rule_json: str, pool: tuple[str, ...], arity: int) -> ArityPlan:
    """The plan for (rule, pool, arity) in this worker process, built once and kept (with its signatures)."""
    from chemspace.core.elements import element_table

    key = (rule_json, pool, arity)
    with _PLANS_LOCK:
        if key not in _PLANS:
            rule = Rule(**json.loads(rule_json))
            table = element_table(rule.oxidation_states, pool)
            _PLANS[key] = ArityPlan(arity, rule.max_stoich, charge_tables(table, rule))
        return _PLANS[key]


def count_unit(
    rule_json: str, pool: tuple[str, ...], arity: int, start: int, stop: int
) -> tuple[int, int, np.ndarray, np.ndarray, np.ndarray]:
    """Count stems ``start..stop-1`` on a worker: (start, stop, allowed per stem, per element, per subset).

    Per-subset counts come back only when the client stores them (not in the senary: 4 GB).
    """
    plan = _worker_plan(rule_json, pool, arity)
    allowed, per_element, counts = plan.count(np.arange(start, stop, dtype=np.int64))
    counts = counts.astype(plan.subset_dtype) if plan.keeps_subset_counts else counts[:0].astype(np.int32)
    return start, stop, allowed, per_element, counts


class DaskRunner:
    """Send blocks of stems to a Dask cluster and yield their counts as they complete."""

    def __init__(self, client) -> None:  # client: distributed.Client
        self.client = client

    def _workers(self) -> int:
        return max(1, len(self.client.scheduler_info().get("workers", {})))

    def run(
        self, plan: ArityPlan, todo: np.ndarray, cancel: threading.Event | None
    ) -> Iterator[tuple[np.ndarray, tuple[np.ndarray, np.ndarray, np.ndarray]]]:
        """Yield (block, (allowed per stem, per active element, per subset)) for the stems in ``todo``."""
        from distributed import as_completed

        remaining = int(plan.stem_weights[todo].sum())
        if remaining == 0:
            return
        target = max(2_000, remaining // (UNITS_PER_WORKER * self._workers()))
        rule_json = json.dumps(asdict(plan.tables.rule), sort_keys=True)
        pool = plan.tables.symbols  # the plan's own elements rebuild the same plan on a worker
        futures = [
            self.client.submit(
                count_unit, rule_json, pool, plan.arity, int(b[0]), int(b[-1]) + 1, pure=False, retries=3
            )
            for b in plan.chunks_adaptive(lambda: target, todo)
        ]
        try:
            for future in as_completed(futures):
                if cancel is not None and cancel.is_set():
                    return
                start, stop, allowed, per_element, counts = future.result()
                yield np.arange(start, stop, dtype=np.int64), (allowed, per_element, counts.astype(np.int64))
        finally:
            self.client.cancel([f for f in futures if not f.done()])


def parse_scheduler(spec: str) -> tuple[str, int | str]:
    """('local', N) for ``local:N`` or ('address', 'tcp://...') for a scheduler address; InputError otherwise."""
    if spec.startswith("local:"):
        try:
            n = int(spec.split(":", 1)[1])
        except ValueError:
            n = 0
        if n < 1:
            raise InputError(f"scheduler {spec!r}: local:N needs a positive number of workers, e.g. local:4")
        return "local", n
    if spec.startswith(("tcp://", "tls://", "inproc://", "ws://", "wss://")):
        return "address", spec
    raise InputError(f"scheduler {spec!r} is not tcp://HOST:PORT or local:N")


@contextmanager
def runner_for(spec: str | None) -> Iterator[DaskRunner | None]:
    """The runner ``--scheduler`` asks for: None (in-process threads), a LocalCluster, or a running scheduler."""
    if spec is None:
        yield None
        return
    kind, value = parse_scheduler(spec)
    from distributed import Client, LocalCluster

    if kind == "local":
        # one numba thread per worker process: the processes are the parallelism
        with (
            LocalCluster(
                n_workers=int(value),
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
                env={"NUMBA_NUM_THREADS": "1"},
            ) as cluster,
            Client(cluster) as client,
        ):
            yield DaskRunner(client)
        return
    try:
        client = Client(str(value), timeout="10s")
    except OSError as exc:
        raise InputError(f"cannot reach the Dask scheduler at {value}: {exc}") from None
    with client:
        yield DaskRunner(client)
