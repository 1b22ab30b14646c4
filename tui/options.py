"""Options shared by the headless commands and the app, and the one-line error handling they share."""

from __future__ import annotations

import functools
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from chemspace.core.atomic import Interrupted, check_directory, deferred_signals
from chemspace.core.census import CensusSettings
from chemspace.core.elements import DEFAULT_OXIDATION_STATES
from chemspace.core.errors import CancelledError, InputError
from chemspace.core.known import KnownSet, default_known_notice, resolve_known
from chemspace.core.rule import (
    CATEGORIES,
    LABELS,
    MAX_ARITY,
    MIN_ARITY,
    Rule,
    check_arity,
    check_samples,
    check_seed,
)

#: Diagnostics and progress go to stderr so stdout stays clean for --json and --format output.
err_console = Console(stderr=True)

F = TypeVar("F", bound=Callable[..., object])


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print ``error: message`` on one line to stderr and return the Exit to raise."""
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def guarded(func: F) -> F:
    """Turn InputError into one clear line and exit 1; Ctrl-C, TERM or HUP into 'cancelled' and exit 128+signal."""

    @functools.wraps(func)
    def wrapper(*args: object, **kwargs: object) -> object:
        try:
            with interrupts_unwrapped():
                return func(*args, **kwargs)
        except InputError as exc:
            raise fail(str(exc)) from None
        except (KeyboardInterrupt, CancelledError) as exc:
            raise _cancelled(exc) from None
        except BrokenPipeError:  # `chemspace-tui system ... | head`
            sys.stderr.close()
            raise typer.Exit(0) from None

    return wrapper  # type: ignore[return-value]


@contextmanager
def interrupts_unwrapped() -> Iterator[None]:
    """Let a signal that numba wrapped in SystemError out as the interrupt it is.

    A signal handled while numba runs Python code (unpickling a cached kernel's constants on its first
    call) comes back as SystemError with the KeyboardInterrupt as its cause; a command's ``except
    KeyboardInterrupt`` (which says where the finished work is, or stops its threads) must see it too.
    """
    try:
        yield
    except SystemError as exc:
        interrupt = _interrupt_in(exc)
        if interrupt is None:
            raise
        raise interrupt from None


@contextmanager
def cancel_on_interrupt(cancel: threading.Event, then: Callable[[], None] | None = None) -> Iterator[None]:
    """Ctrl-C, TERM or HUP during the block (numba's wrapped ones too): set ``cancel`` so the work's
    threads stop, call ``then`` (a last word, like where the finished work is), raise CancelledError.
    The interrupt stays its context, so the exit status is still 128 + the signal."""
    try:
        with interrupts_unwrapped():
            yield
    except KeyboardInterrupt:
        cancel.set()
        if then is not None:
            then()
        raise CancelledError from None


def _cancelled(exc: BaseException) -> typer.Exit:
    """Say 'cancelled' and return the Exit with status 128 + the signal's number."""
    with deferred_signals():  # a second signal must not turn 'cancelled' into a traceback
        err_console.print("cancelled", highlight=False)
    return typer.Exit(128 + _signal_number(exc))


def _interrupt_in(exc: BaseException) -> KeyboardInterrupt | None:
    """The KeyboardInterrupt (or Interrupted) an exception was raised while handling, if any."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, KeyboardInterrupt):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def _signal_number(exc: BaseException) -> int:
    """The signal behind a cancellation (a CancelledError raised while handling one keeps it as context)."""
    for candidate in (exc, exc.__context__):
        if isinstance(candidate, Interrupted):
            return candidate.signum
    return signal.SIGINT


def parse_arities(text: str) -> tuple[int, ...]:
    """Parse '2,3,4' or '2-4' into distinct arities, each checked against 2..6 before any range is built."""
    try:
        if "-" in text.strip().lstrip("-"):
            lo, hi = (int(part) for part in text.strip().split("-", 1))
            check_arity(lo), check_arity(hi)
            arities = tuple(range(lo, hi + 1))
        else:
            arities = tuple(dict.fromkeys(check_arity(int(part)) for part in text.split(",") if part.strip()))
    except ValueError as exc:
        if isinstance(exc, InputError):
            raise
        raise InputError(f"arity {text!r} is not a number or list like 2,3,4") from None
    if not arities:
        raise InputError(f"arity {text!r} names no arity (expected e.g. 2,3,4 or 2-4 within {MIN_ARITY}..{MAX_ARITY})")
    return arities


#: Values of ``census --element-counts``.
ELEMENT_COUNT_LABELS = ("unique", *LABELS, "known", *CATEGORIES)


def check_element_label(label: str) -> str:
    """An ``--element-counts`` value, else InputError listing the choices."""
    if label not in ELEMENT_COUNT_LABELS:
        raise InputError(f"--element-counts {label!r} is not one of {', '.join(ELEMENT_COUNT_LABELS)}")
    return label


ArityOpt = Annotated[str, typer.Option("--arity", "-a", metavar="ARITIES", help="Arities, e.g. 2,3,4 or 2-4 (2..6).")]
MaxStoichOpt = Annotated[
    int, typer.Option("--max-stoich", metavar="N", help="Largest stoichiometric coefficient (1..16).")
]
OxStatesOpt = Annotated[
    str,
    typer.Option(
        "--oxidation-states",
        metavar="STATES",
        help="smact14 (the paper's 421 species), icsd24, icsd16, pymatgen_sp, wiki, or a file in smact's format.",
    ),
]
SamplesOpt = Annotated[int, typer.Option("--samples", metavar="N", help="Sampled compositions per label/category.")]
SeedOpt = Annotated[int, typer.Option("--seed", metavar="SEED", help="Random seed for samples and projections.")]
KnownOpt = Annotated[
    str | None,
    typer.Option(
        "--known",
        metavar="SETS",
        help="Known-materials set: mp, a set's NAME, a FILE, a list like mp,oqmd (their union), or none. "
        "Default: the cached mp set if any.",
    ),
]

NoPaulingOpt = Annotated[
    bool, typer.Option("--no-pauling", help="Charge neutrality only: drop the Pauling electronegativity test.")
]
AlloysOpt = Annotated[
    bool, typer.Option("--alloys", help="Allow every composition of metals only (smact's metals list), as alloys.")
]
MixedValenceOpt = Annotated[
    bool,
    typer.Option("--mixed-valence", help="Let atoms of Fe, Mn, Co, Cu, ... take different states (Fe3O4, Sn3O4)."),
]

ForceOpt = Annotated[bool, typer.Option("--force", help="Replace the output if it exists (else it is refused).")]


def refuse_existing(path: Path, force: bool, what: str | None = None) -> None:
    """InputError if ``path`` exists and ``--force`` was not given: no command replaces a file unasked.

    The app asks instead (its export dialog); ``what`` names the thing when the path alone would not
    (a cached known set).
    """
    if path.exists() and not force:
        raise InputError(f"{what or repr(str(path))} exists: --force replaces it")


def check_output(path: Path, force: bool) -> None:
    """Before any work: ``path``'s directory can be written and ``path`` is new (or ``--force`` given)."""
    check_directory(path)
    refuse_existing(path, force)


DEFAULT_OX = DEFAULT_OXIDATION_STATES


def rule_from_options(
    max_stoich: int = 8,
    oxidation_states: str = DEFAULT_OX,
    no_pauling: bool = False,
    alloys: bool = False,
    mixed_valence: bool = False,
) -> Rule:
    """Validated filter rule from command-line values."""
    return Rule(
        oxidation_states=oxidation_states,
        max_stoich=max_stoich,
        pauling=not no_pauling,
        alloys=alloys,
        mixed_valence=mixed_valence,
    ).validated()


def settings_from_options(
    arity: str,
    max_stoich: int,
    oxidation_states: str,
    samples: int,
    seed: int,
    pool: tuple[str, ...] | None = None,
    rule: Rule | None = None,
) -> CensusSettings:
    """Validated census settings from command-line values (``rule``, when given, overrides the two rule fields)."""
    return CensusSettings(
        arities=parse_arities(arity),
        rule=rule or rule_from_options(max_stoich, oxidation_states),
        samples=check_samples(samples),
        seed=check_seed(seed),
        pool=pool,
    ).validated()


def load_known(spec: str | None) -> KnownSet | None:
    """Resolve ``--known``; with no value and nothing cached (or the cached set damaged), say so once and go on."""
    try:
        known = resolve_known(spec)
    except InputError as exc:
        if spec is not None:
            raise
        err_console.print(
            f"[bold yellow]warning:[/] {escape(str(exc))}; going on without a known set",
            highlight=False,
            soft_wrap=True,
        )
        return None
    if known is None and spec is None:
        err_console.print(f"[dim]{default_known_notice()}[/]", highlight=False)
    return known
