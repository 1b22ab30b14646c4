"""Modal screens: the help screen (keys from the bindings, and what the app's words mean) and the export dialog."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from chemspace.core.anions import ANION_CLASSES, DEFAULT_ANION_RULE
from chemspace.core.check import CheckResult
from chemspace.core.known import KnownSet
from chemspace.core.rule import CATEGORIES, Rule
from chemspace.tui.keys import KeyRow
from chemspace.tui.widgets.style import marked

ALLOWED = (
    "[b]allowed[/b]: SMACT's filters pass. Some assignment of oxidation states (one per element, from the"
    " oxidation-state set) is charge neutral, and in it every cation is less electronegative (Pauling) than"
    " every anion. [b]forbidden[/b]: no assignment passes. Coefficients are 1..max stoichiometry, reduced."
)
CATEGORY_TEXT = {
    "standard": "allowed and known",
    "missing": "allowed, not known (candidates)",
    "interesting": "forbidden yet known (the filters miss them)",
    "unlikely": "forbidden and not known",
}
FILTER = (
    "[b]System filter[/b] (words combine, all must hold): [b]O[/b] an element: contains it ·"
    " [b]ZnO[/b], [b]Li2ZnSn3O8[/b] a formula: exactly that reduced composition (counts left out are 1) ·"
    " [b]Li-Zn[/b] or [b]Li,Zn[/b] an element set: contains all of them · [b]Sn2+[/b], [b]O2-[/b] an ion:"
    " the oxidation states have it · anything else: text in the row (missing, an id)."
)


def _anion_text() -> Text:
    by_class: dict[str, list[str]] = {}
    for element, cls in DEFAULT_ANION_RULE.items():
        by_class.setdefault(cls, []).append(element)
    text = Text.from_markup("[b]Anion classes[/b] (Fig. 5), by the most electronegative element: ")
    for cls in ANION_CLASSES:
        text.append_text(marked(cls, "anion"))
        text.append(f" {', '.join(by_class.get(cls, ['anything else']))}   ")
    return text


def _categories_text() -> Text:
    text = Text.from_markup("[b]Categories[/b] (need a known-materials set): ")
    for name in CATEGORIES:
        text.append_text(marked(name))
        text.append(f" {CATEGORY_TEXT[name]}   ")
    return text


class HelpScreen(ModalScreen[None]):
    """Every key (from the bindings) and what the app's words mean; scrolls with the arrows, PageDown and End."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q,question_mark,f1", "dismiss", "Close")]

    def __init__(self, rows: list[KeyRow], export_dir: Path) -> None:
        super().__init__()
        self.rows = rows
        self.export_dir = export_dir

    def compose(self) -> ComposeResult:
        table = Table(box=None, show_header=False, padding=(0, 1))
        table.add_column(style="bold cyan", no_wrap=True)
        table.add_column()
        scope = None
        for row in self.rows:
            if row.scope != scope:
                scope = row.scope
                table.add_row("", Text(scope, style="bold underline"))
            table.add_row(row.key, row.text)
        with VerticalScroll(id="help-dialog"):
            yield Static("[b]chemspace-tui[/b]: keys (ctrl+p finds every action by name)", id="help-title")
            yield Static(table, id="help-keys")
            yield Static(ALLOWED, classes="help-text")
            yield Static(_categories_text(), classes="help-text")
            yield Static(_anion_text(), classes="help-text")
            yield Static(FILTER, classes="help-text")
            yield Static(
                f"[b]Exports[/b] (e) go to {self.export_dir} unless you give another path"
                " ($CHEMSPACE_EXPORT_DIR sets it).",
                classes="help-text",
            )
            yield Static("[dim]escape closes · arrows, PageDown, End scroll[/dim]")

    def on_mount(self) -> None:
        self.query_one("#help-dialog").focus()


class ExportScreen(ModalScreen[Path | None]):
    """Ask for the file to write; dismisses with the path, or None when cancelled.

    An existing file is never replaced at once: the dialog says so and asks again (enter or Overwrite
    confirms, editing the name or escape does not).
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, what: str, default: Path, formats: str = ".json or .csv by suffix") -> None:
        super().__init__()
        self.what = what
        self.default = default
        self.formats = formats
        self.confirming: Path | None = None  # an existing file the next submit replaces

    def compose(self) -> ComposeResult:
        with Vertical(id="export-dialog"):
            yield Label(f"Export {self.what} to:")
            yield Input(str(self.default), id="export-path")
            yield Label(f"[dim]{self.formats}; written whole or not at all[/dim]", id="export-note")
            with Horizontal(id="export-buttons"):
                yield Button("Export", variant="primary", id="export-ok", compact=True)
                yield Button("Cancel", id="export-cancel", compact=True)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self._submit(event.value)

    def on_input_changed(self, event: Input.Changed) -> None:
        """Another name: an overwrite asked about before no longer stands."""
        if self.confirming is not None and Path(event.value.strip()).expanduser() != self.confirming:
            self.confirming = None
            self.query_one("#export-note", Label).update(f"[dim]{self.formats}; written whole or not at all[/dim]")
            self.query_one("#export-ok", Button).label = "Export"

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "export-ok":
            self._submit(self.query_one(Input).value)
        else:
            self.dismiss(None)

    def _submit(self, value: str) -> None:
        value = value.strip()
        if not value:
            self.notify("give a file name", severity="warning")
            return
        path = Path(value).expanduser()
        if path.is_dir():
            self.query_one("#export-note", Label).update(f"[b red]{path} is a directory[/]: give a file name")
            return
        if path.exists() and path != self.confirming:
            self.confirming = path
            self.query_one("#export-note", Label).update(
                f"[b yellow]{path.name} exists[/]: enter or Overwrite replaces it; edit the name or escape to keep it"
            )
            self.query_one("#export-ok", Button).label = "Overwrite"
            return
        self.dismiss(path)

    def action_cancel(self) -> None:
        self.dismiss(None)


class PickSetScreen(ModalScreen[str | None]):
    """Choose one cached known-materials set by name (dismisses with the name, or None on escape)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss(None)", "Close")]

    def __init__(self, names: list[str], prompt: str) -> None:
        super().__init__()
        self.names = names
        self.prompt = prompt

    def compose(self) -> ComposeResult:
        from textual.widgets import OptionList

        with Vertical(id="pick-set-dialog"):
            yield Label(self.prompt)
            yield OptionList(*self.names, id="pick-set")
            yield Label("[dim]enter chooses · escape closes[/dim]")

    def on_option_list_option_selected(self, event) -> None:  # OptionList.OptionSelected
        event.stop()
        self.dismiss(self.names[event.option_index])


class CheckScreen(ModalScreen[None]):
    """Type a formula, see whether the current rule allows it and why, its category and its known entries."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss", "Close")]

    def __init__(self, rule: Rule, known: KnownSet | None = None) -> None:
        super().__init__()
        self.rule = rule
        self.known = known

    def compose(self) -> ComposeResult:
        against = "no known set" if self.known is None else f"known set {self.known.name}"
        with Vertical(id="check-dialog"):
            yield Label(f"Check a formula under {self.rule.describe()}, {against}:")
            yield Input(placeholder="e.g. LiZn4SnO8, Fe3O4, NaCl2", id="check-formula")
            yield Static("", id="check-result")
            yield Label("[dim]enter checks · escape closes[/dim]")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.query_one("#check-result", Static).update(explanation_text(event.value, self.rule, self.known))


#: Assignments the check box lists (the command line's --json has them all).
CHECK_ASSIGNMENTS = 8


def explanation_text(formula: str, rule: Rule, known: KnownSet | None = None) -> Text:
    """The verdict on a typed formula (what `chemspace-tui check` says), or what is wrong with it.

    Verdict and assignments or reason, then the category and the known set's entries for it.
    """
    from chemspace.core.check import BadFormula, check_formulas
    from chemspace.core.explain import assignment_text, reason_detail

    (result,) = check_formulas([formula.strip()], rule, known)
    if isinstance(result, BadFormula):
        return Text(f"not a formula: {result.message}", style="red")
    why = result.explanation
    text = Text(why.composition.formula, style="bold")
    text.append("  ")
    text.append_text(marked("allowed" if why.allowed else "forbidden"))
    if why.allowed:
        basis = "" if why.basis in (None, "oxidation-states") else f" (as {why.basis})"
        n = len(why.assignments)
        text.append(f"{basis}: {n}{'' if why.complete else '+'} assignment{'s' if n != 1 else ''}\n")
        for states in why.assignments[:CHECK_ASSIGNMENTS]:
            text.append(f"  {assignment_text(states)}\n")
        if n > CHECK_ASSIGNMENTS:
            text.append(f"  … {n - CHECK_ASSIGNMENTS} more\n", style="dim")
    else:
        text.append(f": {why.reason}\n")
        text.append(f"{reason_detail(why, rule)}\n")
    text.append_text(_known_text(result, known))
    return text


def _known_text(result: CheckResult, known: KnownSet | None) -> Text:
    """'category: ● standard · in mp: mp-2133, mp-13161' / '○ missing · not in mp', or why there is no category."""
    if known is None or result.category is None:
        return Text("category: — (no known-materials set loaded: ctrl+p, Fetch known materials)", style="dim")
    text = Text("category: ")
    text.append_text(marked(str(result.category)))
    if result.outside_space:
        text.append(f" · {result.outside_space}", style="dim")
    if not result.known:
        return text + Text(f" · not in {known.name}")
    ids = ", ".join(e.id or e.formula for e in result.entries[:6]) + (" …" if len(result.entries) > 6 else "")
    text.append(f" · in {', '.join(result.sources) or known.name}" + (f": {ids}" if ids else ""))
    return text
