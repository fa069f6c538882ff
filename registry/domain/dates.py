"""Calendar arithmetic used by the rules. Pure functions of dates."""

from __future__ import annotations

from calendar import monthrange
from datetime import date


def add_months(day: date, months: int) -> date:
    """The same day `months` later; the 31st falls back to the month's last day."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, monthrange(year, month)[1]))


def add_years(day: date, years: int) -> date:
    """The same day `years` later; 29 February falls back to 28 February."""
    return add_months(day, 12 * years)


def whole_months_between(start: date, end: date) -> int:
    """How many whole months have passed from `start` to `end` (0 if end is earlier)."""
    if end <= start:
        return 0
    months = (end.year - start.year) * 12 + end.month - start.month
    if add_months(start, months) > end:
        months -= 1
    return months
