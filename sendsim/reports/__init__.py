"""Reports: the terminal summary of an experiment (`text`) and the board paper (`board`,
`html`, `charts`, `pdf`), which turns an experiment's summary tables into a self-contained HTML
or PDF file a Schools Forum or a Safety Valve board can read."""

from .text import HIGH, LOW, format_summary, summary_table

__all__ = ["HIGH", "LOW", "format_summary", "summary_table"]
