"""What a run prints and saves: the table, the targets of issues 6 and 17, the charts."""

from bench.report.chart import chart
from bench.report.table import table
from bench.report.verdicts import verdicts

__all__ = ["chart", "table", "verdicts"]
