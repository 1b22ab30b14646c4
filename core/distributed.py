"""The census's work units on Dask's distributed scheduler (``--scheduler tcp://HOST:8786`` or ``local:N``).

Most of the census's work is counting each distinct subset signature once (``SignatureCache``). Sent
as plain ranges of stems, every worker would count nearly every signature itself (measured: worker
CPU 4.4 s with one worker, 31.5 s with eight, for the same arities 2-4), so the runner works in
rounds of stems, three steps each:

1. collect: workers list the signatures of their stems that they do not hold yet (one row each);
2. count: the client keeps the round's new signatures, splits them evenly and has each counted
   once, on one worker, then broadcasts them (code, count) to every worker;
3. lookup: each block goes back to the worker that collected it, which kept its subset rows and
   codes, and is counted from the signatures the worker now holds (a worker that joined late or
   restarted counts what it lacks itself: slower, never wrong); the allowed counts per stem, per
   element and per subset stream back in completion order.

The next round's collect runs beside this round's lookup. Results stream through the same loop as
the in-process runner, so progress, cancel and checkpoints behave the same; Dask reschedules the
units of a worker that dies, so no work is lost. We use Dask's scheduler rather than writing one.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import signal
import threading
import uuid
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict

import numpy as np

from chemspace.core.atomic import signals_set
from chemspace.core.engine import ArityPlan, charge_tables, distinct
from chemspace.core.errors import InputError
from chemspace.core.rule import Rule

#: Lookup units per worker and round: enough to balance uneven units and to redo little when a worker dies.
UNITS_PER_WORKER = 3
#: Rounds of stems (equal work): the progress moves once per round's lookups, and a round's new
#: signatures are counted before its lookups start.
ROUNDS = 8
#: Signature-counting pieces per worker and round (signatures cost about the same: pieces even out).
PIECES_PER_WORKER = 4
#: Fewest subsets in a unit (smaller ones cost more in scheduling than in counting).
MIN_UNIT = 2_000
#: Seconds between looks at the cancel event while waiting for a unit (a unit can take minutes).
POLL_SECONDS = 0.05

_PLANS: dict[tuple, ArityPlan] = {}
_PLANS_LOCK = threading.Lock()
#: Signature batches (client-side ids) each worker process has added to its plans' caches.
_LOADED: dict[tuple, set[str]] = {}
#: Blocks this worker collected, kept for its lookup of them: (plan key, start, stop) -> (subset rows as
#: int8, their codes), oldest first, at most BLOCK_STORE_BYTES (a lookup sent elsewhere recomputes them).
_BLOCKS: OrderedDict[tuple, tuple[np.ndarray, np.ndarray]] = OrderedDict()
BLOCK_STORE_BYTES = 512 * 2**20

Delta = tuple[str, np.ndarray, np.ndarray]  # (batch id, sorted signature codes, allowed counts)


def _worker_plan(rule_json: str, pool: tuple[str, ...], arity: int, deltas: tuple[Delta, ...] = ()) -> ArityPlan:
    """The plan for (rule, pool, arity) in this worker process, built once and kept, with every
    broadcast signature batch in ``deltas`` added to its cache once."""
    from chemspace.core.elements import element_table

    key = (rule_json, pool, arity)
    with _PLANS_LOCK:
        if key not in _PLANS:
            rule = Rule(**json.loads(rule_json))
            table = element_table(rule.oxidation_states, pool)
            _PLANS[key] = ArityPlan(arity, rule.max_stoich, charge_tables(table, rule))
            _LOADED[key] = set()
        plan = _PLANS[key]
        for batch, codes, values in deltas:
            if batch not in _LOADED[key]:
                new = plan.signatures.unseen(codes)  # this worker may have counted some itself
                if new.any():
                    plan.signatures.add(codes[new], values[new])
                _LOADED[key].add(batch)
        return plan


def collect_unit(
    rule_json: str, pool: tuple[str, ...], arity: int, start: int, stop: int, *deltas: Delta
) -> tuple[np.ndarray, np.ndarray, str | None]:
    """Step 1 on a worker: the sorted signature codes of stems ``start..stop-1`` that it does not hold,
    one subset row (kernel indices) for each, and this worker's address (its lookup is sent here)."""
    from distributed import get_worker

    plan = _worker_plan(rule_json, pool, arity, deltas)
    elems, _ = plan.block_subsets(np.arange(start, stop, dtype=np.int64))
    codes = plan.signatures.codes(elems)
    _keep_block((rule_json, pool, arity, start, stop), elems.astype(np.int8), codes)
    unique, first, _ = distinct(codes)
    new = plan.signatures.unseen(unique)
    return unique[new], elems[first[new]].astype(np.int8), get_worker().address


def _keep_block(key: tuple, elems: np.ndarray, codes: np.ndarray) -> None:
    """Remember a collected block for this worker's lookup of it, dropping the oldest beyond the budget."""
    with _PLANS_LOCK:
        _BLOCKS[key] = (elems, codes)
        while sum(e.nbytes + c.nbytes for e, c in _BLOCKS.values()) > BLOCK_STORE_BYTES and len(_BLOCKS) > 1:
            _BLOCKS.popitem(last=False)


def _take_block(key: tuple) -> tuple[np.ndarray, np.ndarray] | None:
    """The collected rows and codes of a block, if this worker still holds them (each is used once)."""
    with _PLANS_LOCK:
        kept = _BLOCKS.pop(key, None)
    return None if kept is None else (kept[0].astype(np.int64), kept[1])


def evaluate_unit(rule_json: str, pool: tuple[str, ...], arity: int, reps: np.ndarray) -> np.ndarray:
    """Step 2 on a worker: the allowed count of each representative subset row (one per signature)."""
    return _worker_plan(rule_json, pool, arity).signatures.evaluate(reps).astype(np.int32)


def count_unit(
    rule_json: str, pool: tuple[str, ...], arity: int, start: int, stop: int, *deltas: Delta
) -> tuple[int, int, np.ndarray, np.ndarray, np.ndarray]:
    """Step 3 on a worker: count stems ``start..stop-1``: (start, stop, allowed per stem, per element,
    per subset). Per-subset counts come back only when the client stores them (not in the senary: 4 GB).
    """
    plan = _worker_plan(rule_json, pool, arity, deltas)
    subsets = _take_block((rule_json, pool, arity, start, stop))
    allowed, per_element, counts = plan.count(np.arange(start, stop, dtype=np.int64), subsets)
    counts = counts.astype(plan.subset_dtype) if plan.keeps_subset_counts else counts[:0].astype(np.int32)
    return start, stop, allowed, per_element, counts


def rounds(plan: ArityPlan, todo: np.ndarray, n: int) -> list[np.ndarray]:
    """``todo`` (a bool per stem) cut into at most ``n`` masks of consecutive stems with equal work."""
    work = np.cumsum(np.where(todo, plan.stem_weights, 0))
    if len(work) == 0 or work[-1] == 0:
        return []
    cuts = np.searchsorted(work, work[-1] * np.arange(1, n) / n, side="left")
    edges = np.unique(np.concatenate([[0], cuts + 1, [len(todo)]]))
    out = []
    for lo, hi in itertools.pairwise(edges):
        mask = np.zeros_like(todo)
        mask[lo:hi] = todo[lo:hi]
        if mask.any():
            out.append(mask)
    return out


def _finished(futures: list, cancel: threading.Event) -> Iterator:
    """The futures in completion order, stopping within POLL_SECONDS once ``cancel`` is set."""
    from distributed import as_completed

    pending = as_completed(futures)
    while not pending.is_empty():
        if cancel.is_set():
            return
        if pending.has_ready():
            yield next(pending)
        else:
            cancel.wait(POLL_SECONDS)


class DaskRunner:
    """Send rounds of stems to a Dask cluster (collect, count, lookup) and yield counts as they complete."""

    def __init__(self, client) -> None:  # client: distributed.Client
        self.client = client

    def _workers(self) -> int:
        return max(1, len(self.client.scheduler_info().get("workers", {})))

    def run(
        self, plan: ArityPlan, todo: np.ndarray, cancel: threading.Event | None
    ) -> Iterator[tuple[np.ndarray, tuple[np.ndarray, np.ndarray, np.ndarray]]]:
        """Yield (block, (allowed per stem, per active element, per subset)) for the stems in ``todo``.

        Ctrl-C, TERM and HUP set the cancel event here rather than interrupting a Dask call: the run
        stops at the next poll, cancels what it submitted, then raises :class:`Interrupted`."""
        cancel = cancel if cancel is not None else threading.Event()
        with signals_set(cancel):
            yield from self._rounds(plan, todo, cancel)

    def _rounds(
        self, plan: ArityPlan, todo: np.ndarray, cancel: threading.Event
    ) -> Iterator[tuple[np.ndarray, tuple[np.ndarray, np.ndarray, np.ndarray]]]:
        job = _Job(self.client, plan, self._workers(), cancel)
        todo_rounds = rounds(plan, todo, ROUNDS)
        try:
            collecting = job.collect(todo_rounds[0]) if todo_rounds else {}
            for r in range(len(todo_rounds)):
                found = {collecting[f]: f.result() for f in _finished(list(collecting), cancel)}
                if len(found) < len(collecting) or not job.count_new(list(found.values())):
                    return  # cancelled
                # each block's lookup goes to the worker that collected it (it kept the block's codes)
                lookups = [job.submit(count_unit, b0, b1, *job.deltas, where=found[b0, b1][2]) for b0, b1 in found]
                collecting = job.collect(todo_rounds[r + 1]) if r + 1 < len(todo_rounds) else {}
                for future in _finished(lookups, cancel):
                    start, stop, allowed, per_element, counts = future.result()
                    yield np.arange(start, stop, dtype=np.int64), (allowed, per_element, counts.astype(np.int64))
                if cancel.is_set():
                    return
        finally:
            self.client.cancel([f for f in job.submitted if not f.done()])


class _Job:
    """One arity's run on the cluster: what was submitted and the signature batches broadcast so far."""

    def __init__(self, client, plan: ArityPlan, workers: int, cancel: threading.Event) -> None:
        self.client, self.plan, self.workers, self.cancel = client, plan, workers, cancel
        self.args = (json.dumps(asdict(plan.tables.rule), sort_keys=True), plan.tables.symbols, plan.arity)
        self.submitted: list = []
        self.deltas: list = []  # futures of the broadcast signature batches, in order
        self.token = uuid.uuid4().hex  # batch ids unique across runs: workers outlive a run

    def submit(self, fn, *fn_args, where: str | None = None):
        """Submit ``fn(rule, pool, arity, *fn_args)`` (retried on a lost worker; preferably on the worker
        at ``where``, else anywhere) and remember the future."""
        workers = {"workers": [where], "allow_other_workers": True} if where else {}
        future = self.client.submit(fn, *self.args, *fn_args, pure=False, retries=3, **workers)
        self.submitted.append(future)
        return future

    def collect(self, mask: np.ndarray) -> dict:
        """Step 1 for the stems in ``mask``: a collect unit per block, as {future: (first stem, stop)}."""
        plan = self.plan
        target = max(MIN_UNIT, int(plan.stem_weights[mask].sum()) // (UNITS_PER_WORKER * self.workers))
        blocks = [(int(b[0]), int(b[-1]) + 1) for b in plan.chunks_adaptive(lambda: target, mask)]
        return {self.submit(collect_unit, b0, b1, *self.deltas): (b0, b1) for b0, b1 in blocks}

    def count_new(self, found: list[tuple[np.ndarray, np.ndarray, str]]) -> bool:
        """Count the collected signatures no earlier batch holds, each once and split evenly across the
        workers; add them to the client's cache and broadcast them. False when cancelled."""
        plan = self.plan
        codes = np.concatenate([c for c, _, _ in found]) if found else np.zeros(0, np.int64)
        reps = np.concatenate([e for _, e, _ in found]) if found else np.zeros((0, plan.arity), np.int8)
        codes, first, _ = distinct(codes)
        new = plan.signatures.unseen(codes)
        codes, reps = codes[new], reps[first[new]]
        if len(codes) == 0:
            return True
        pieces = min(len(codes), PIECES_PER_WORKER * self.workers)
        futures = [self.submit(evaluate_unit, reps[k::pieces]) for k in range(pieces)]
        piece_of = {f.key: k for k, f in enumerate(futures)}
        values = np.zeros(len(codes), dtype=np.int32)
        done = 0
        for future in _finished(futures, self.cancel):
            values[piece_of[future.key] :: pieces] = future.result()
            done += 1
        if done < pieces:
            return False
        plan.signatures.add(codes, values)
        batch = (f"{self.token}-{len(self.deltas)}", codes, values)
        self.deltas.append(self.client.scatter(batch, broadcast=True, hash=False))
        return True


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


def _leave_interrupts_to_the_client() -> None:
    """Ignore SIGINT in this worker process (its event loop runs in the main thread)."""
    with contextlib.suppress(ValueError):  # not the main thread: leave the handler as it is
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def _interrupts_plugin():
    """A worker plugin: local workers ignore Ctrl-C. The terminal sends it to every process of the job;
    the client, which cancels the run and shuts the cluster down, is the one to act on it (else each
    worker prints a KeyboardInterrupt traceback). A plugin, so a restarted worker gets it too; built
    here so that importing this module does not import Dask."""
    from distributed.diagnostics.plugin import WorkerPlugin

    class LeaveInterruptsToTheClient(WorkerPlugin):
        name = "chemspace-leave-interrupts-to-the-client"

        def setup(self, worker) -> None:
            _leave_interrupts_to_the_client()

    return LeaveInterruptsToTheClient()


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
                silence_logs=logging.ERROR,  # a cancelled run's lost-task warnings are expected, not news
            ) as cluster,
            Client(cluster) as client,
        ):
            client.register_plugin(_interrupts_plugin())
            yield DaskRunner(client)
        return
    try:
        client = Client(str(value), timeout="10s")
    except OSError as exc:
        raise InputError(f"cannot reach the Dask scheduler at {value}: {exc}") from None
    with client:
        yield DaskRunner(client)
