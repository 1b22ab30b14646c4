"""chemspace.tui: the Textual application and the typer command line, thin over chemspace.core."""
