"""Typer command classes whose help reads as prose: flags as plain flags, paragraphs unbroken.

Typer's rich help prints a type after every option, flags included (``--json <bool>``), although a
flag takes no value; giving flags an empty metavar leaves the type column blank for them only. It
also keeps a docstring's line breaks, so a sentence wrapped in the source broke mid-line in the
help ("assignment and," / "with a known set"); the lines of each paragraph are joined.
"""

from __future__ import annotations

from collections.abc import Sequence

import typer
from typer.core import TyperCommand, TyperGroup, TyperOption


def plain_flags(params: Sequence[object]) -> list:
    """The same parameters, every flag (``--json``, ``--help``) given an empty metavar so help shows no type."""
    for param in params:
        if isinstance(param, TyperOption) and param.is_flag and param.metavar is None:
            param.metavar = ""
    return list(params)


def joined_paragraphs(text: str | None) -> str | None:
    """``text`` with the line breaks inside each paragraph (blank-line separated) turned into spaces."""
    if not text:
        return text
    return "\n\n".join(" ".join(line.strip() for line in part.splitlines()) for part in text.split("\n\n"))


class _ProseHelp:
    """Mixed into a typer command class: paragraphs joined in its help, flags without a type."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.help = joined_paragraphs(self.help)

    def get_params(self, ctx: typer.Context) -> list:
        return plain_flags(super().get_params(ctx))


class PlainFlagsCommand(_ProseHelp, TyperCommand):
    """A command whose help shows its flags without a ``<bool>`` type and its paragraphs unbroken."""


class PlainFlagsGroup(_ProseHelp, TyperGroup):
    """A command group whose help shows its flags without a ``<bool>`` type and its paragraphs unbroken."""
