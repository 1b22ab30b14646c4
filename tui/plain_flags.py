"""Typer command classes whose help shows flags as plain flags.

Typer's rich help prints a type after every option, flags included (``--json <bool>``), although a
flag takes no value; giving flags an empty metavar leaves the type column blank for them only.
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


class PlainFlagsCommand(TyperCommand):
    """A command whose help shows its flags without a ``<bool>`` type."""

    def get_params(self, ctx: typer.Context) -> list:
        return plain_flags(super().get_params(ctx))


class PlainFlagsGroup(TyperGroup):
    """A command group whose help shows its flags without a ``<bool>`` type."""

    def get_params(self, ctx: typer.Context) -> list:
        return plain_flags(super().get_params(ctx))
