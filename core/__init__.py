"""chemspace.core: the science and the engine (no Textual, typer or rich here)."""
