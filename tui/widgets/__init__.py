"""Widgets of the chemspace-tui application: census dashboard, periodic table, scatter plot, system explorer."""

from chemspace.tui.widgets.census_panel import CensusPanel
from chemspace.tui.widgets.periodic_table import ElementDetail, PeriodicTable
from chemspace.tui.widgets.scatter import ProjectionPlot
from chemspace.tui.widgets.system_explorer import SystemExplorer

__all__ = ["CensusPanel", "ElementDetail", "PeriodicTable", "ProjectionPlot", "SystemExplorer"]
