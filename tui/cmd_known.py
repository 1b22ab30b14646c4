"""Placeholder: replaced by the known-materials commands (issue 3)."""

import typer

known_app = typer.Typer(help="Known-materials sets (Materials Project, imports).", no_args_is_help=True)
