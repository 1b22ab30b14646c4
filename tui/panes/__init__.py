"""The app's tabs, one pane widget each: every pane owns its state, its workers and its keys."""

from chemspace.tui.panes.base import CensusState, ExportJob, Pane
from chemspace.tui.panes.census import CensusPane
from chemspace.tui.panes.periodic import PeriodicPane
from chemspace.tui.panes.projection import ProjectionPane
from chemspace.tui.panes.system import SystemPane

__all__ = ["CensusPane", "CensusState", "ExportJob", "Pane", "PeriodicPane", "ProjectionPane", "SystemPane"]
