"""`python -m chemspace.tui` runs the command line."""

from chemspace.tui.cli import main

main()
