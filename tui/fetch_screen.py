"""The "fetch known materials" dialog: pick an OPTIMADE provider, watch the progress, cancel.

Self-contained: push ``FetchKnownScreen()`` with a callback; it downloads on a worker thread through
the same core function as ``chemspace-tui known fetch --provider``, caches the set, and dismisses with
the cached :class:`KnownSet` (or None when closed or cancelled), so the app can relabel with it.
"""

from __future__ import annotations

import threading
from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, ProgressBar, Select, Static

from chemspace.core.errors import CancelledError, InputError
from chemspace.core.fetch_journal import journal_path
from chemspace.core.known import KnownSet, save_set
from chemspace.core.optimade_client import FetchLimits, Provider, fetch_optimade, providers, resolve_provider

#: The provider preselected: keyless, about 150 000 structures, closest to the paper's MP set.
DEFAULT_PROVIDER = "mp"


class FetchKnownScreen(ModalScreen[KnownSet | None]):
    """Provider picker (or a base URL), set name, progress bar, fetch and cancel.

    Dismisses with the fetched and cached set, or None. Escape cancels a running fetch and closes
    the dialog; the pages fetched so far are kept, and fetching the same provider again resumes.
    """

    DEFAULT_CSS = """
    FetchKnownScreen { align: center middle; }
    #fetch-dialog {
        width: 80%; max-width: 90; height: auto; border: round $primary; padding: 1 2; background: $surface;
    }
    #fetch-dialog Select, #fetch-dialog Input { margin-top: 1; }
    #fetch-progress { margin-top: 1; display: none; }
    #fetch-status { width: 100%; height: auto; margin-top: 1; }
    #fetch-buttons { height: auto; margin-top: 1; }
    #fetch-buttons Button { margin-right: 2; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self,
        choices: dict[str, Provider] | None = None,
        limits: FetchLimits | None = None,
    ) -> None:
        """``choices``: providers offered (default: the shipped list); ``limits``: retries and bounds."""
        super().__init__()
        self.choices = choices if choices is not None else providers()
        self.limits = limits or FetchLimits()
        self._cancel = threading.Event()
        self.running = False

    def compose(self) -> ComposeResult:
        options = [(_option_label(p), n) for n, p in self.choices.items()]
        first = DEFAULT_PROVIDER if DEFAULT_PROVIDER in self.choices else next(iter(self.choices), Select.BLANK)
        with Vertical(id="fetch-dialog"):
            yield Static("[b]Fetch known materials[/b] (OPTIMADE, no key needed)")
            yield Select(options, value=first, allow_blank=True, id="fetch-provider", prompt="provider")
            yield Input(placeholder="or an OPTIMADE base URL (https://...)", id="fetch-url")
            yield Input(placeholder="set name (default: the provider's)", id="fetch-name")
            yield ProgressBar(total=None, id="fetch-progress", show_eta=False)
            yield Label("", id="fetch-status")
            with Horizontal(id="fetch-buttons"):
                yield Button("Fetch", variant="primary", id="fetch-go")
                yield Button("Cancel", id="fetch-cancel")

    def _chosen(self) -> Provider:
        """The provider to fetch: the URL typed, else the one picked (InputError if neither)."""
        url = self.query_one("#fetch-url", Input).value.strip()
        if url:
            return resolve_provider(url)
        picked = self.query_one("#fetch-provider", Select).value
        if picked is Select.BLANK or picked not in self.choices:
            raise InputError("pick a provider or type a base URL")
        return self.choices[str(picked)]

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "fetch-go":
            self.start()
        elif event.button.id == "fetch-cancel":
            self.action_cancel()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.start()

    def start(self) -> None:
        """Begin fetching the chosen provider (ignored while a fetch runs)."""
        if self.running:
            return
        try:
            provider = self._chosen()
        except InputError as exc:
            self._status(f"[red]error:[/] {exc}")
            return
        name = self.query_one("#fetch-name", Input).value.strip() or None
        try:
            resuming = journal_path(name or provider.name).exists()
        except InputError as exc:  # a set name that cannot be one
            self._status(f"[red]error:[/] {exc}")
            return
        self.running = True
        self._cancel.clear()
        self.query_one("#fetch-go", Button).disabled = True
        bar = self.query_one("#fetch-progress", ProgressBar)
        bar.update(total=None, progress=0)
        bar.display = True  # shown only while a fetch runs: an idle or failed one must not look busy
        self._status(f"{'resuming' if resuming else 'contacting'} {provider.base_url} ...")
        self._run(provider, name)

    @work(thread=True, exclusive=True, group="fetch-known", exit_on_error=False, description="fetch known")
    def _run(self, provider: Provider, name: str | None) -> None:
        """Fetch and cache on a worker thread; report back on the UI thread."""
        try:
            known = fetch_optimade(
                provider,
                name,
                on_progress=self._progress_from_thread,
                cancel=self._cancel,
                limits=self.limits,
                keep=save_set,
            )
        except CancelledError:
            self.app.call_from_thread(self._finished, None, "cancelled")
        except InputError as exc:
            self.app.call_from_thread(self._finished, None, f"[red]error:[/] {exc}")
        else:
            self.app.call_from_thread(self._finished, known, None)

    def _progress_from_thread(self, done: int, total: int | None) -> None:
        self.app.call_from_thread(self._progress, done, total)

    def _progress(self, done: int, total: int | None) -> None:
        self.query_one("#fetch-progress", ProgressBar).update(total=total, progress=done)
        self._status(f"{done:,} structures" + (f" of {total:,}" if total else ""))

    def _finished(self, known: KnownSet | None, message: str | None) -> None:
        self.running = False
        self.query_one("#fetch-progress", ProgressBar).display = False
        if known is not None:
            self.dismiss(known)
            return
        if self._cancel.is_set():
            self.dismiss(None)
            return
        self.query_one("#fetch-go", Button).disabled = False
        self._status(message or "")

    def _status(self, text: str) -> None:
        self.query_one("#fetch-status", Label).update(text)

    def action_cancel(self) -> None:
        """Stop a running fetch (the worker dismisses when it has stopped), or close the dialog."""
        if self.running:
            self._cancel.set()
            self._status("cancelling ...")
        else:
            self.dismiss(None)


def _option_label(provider: Provider) -> str:
    """'mp: Materials Project (about 150 000 structures)'."""
    return f"{provider.name}: {provider.title}" + (f" ({provider.size})" if provider.size else "")
