"""Values written to CSV files that people open in a spreadsheet."""

from __future__ import annotations

# A cell starting with one of these is run as a formula by spreadsheets (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def formula_safe(value: str) -> str:
    """``value`` as text a spreadsheet shows, never runs: a leading single quote
    before a value that would start a formula."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value
