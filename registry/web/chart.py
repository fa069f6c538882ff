"""The forecast's chart, drawn on the server as SVG geometry (no script): the agency's
share of patrol officers with CIT in force on each of the next 365 days, as a step line,
against the target as a dashed line. The template writes the markup; this module only
computes coordinates, so that a test can read them back."""

from __future__ import annotations

from dataclasses import dataclass

from registry.projections.forecast import Forecast
from registry.web.pages import long_date

WIDTH, HEIGHT = 640, 300
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 12, 40
PLOT_W, PLOT_H = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
#: The days marked on the x axis, and the shares on the y axis.
X_TICKS = (0, 91, 182, 273, 365)
Y_TICKS = (0.0, 0.25, 0.5, 0.75, 1.0)


@dataclass(frozen=True)
class Tick:
    at: float
    label: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    left: int
    top: int
    bottom_y: float
    right_x: float
    share_path: str  # the agency's share, a step line
    target_y: float
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]
    summary: str  # what the chart shows, in words


def _x(i: int, days: int) -> float:
    return round(LEFT + PLOT_W * i / max(1, days - 1), 1)


def _y(share: float) -> float:
    return round(TOP + PLOT_H * (1 - min(1.0, max(0.0, share))), 1)


def step_path(values: list[float], days: int) -> str:
    """An SVG path through `values` (one a day) that moves only where the value changes."""
    parts = [f"M{_x(0, days)} {_y(values[0])}"]
    for i in range(1, len(values)):
        if values[i] != values[i - 1]:
            parts.append(f"H{_x(i, days)} V{_y(values[i])}")
    parts.append(f"H{_x(len(values) - 1, days)}")
    return " ".join(parts)


def share_chart(found: Forecast) -> Chart:
    """The chart of `found`: its agency share against its target."""
    days = len(found.certified)
    shares = [found.share(i) for i in range(days)]
    x_ticks = tuple(
        Tick(_x(i, days), f"{found.day(i).day} {found.day(i):%b %Y}") for i in X_TICKS if i < days
    )
    y_ticks = tuple(Tick(_y(s), f"{s:.0%}") for s in Y_TICKS)
    end = days - 1
    if found.below_on is None:
        fate = f"it stays at or above the {found.target:.0%} target all year"
    elif found.below_on == found.start:
        fate = f"it is below the {found.target:.0%} target today"
    else:
        fate = f"it falls below the {found.target:.0%} target on {long_date(found.below_on)}"
    summary = (
        f"The share of patrol officers with CIT in force is {shares[0]:.0%} today and "
        f"{shares[end]:.0%} on {long_date(found.day(end))} if no certificate is renewed; "
        f"{fate}."
    )
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        left=LEFT,
        top=TOP,
        bottom_y=TOP + PLOT_H,
        right_x=LEFT + PLOT_W,
        share_path=step_path(shares, days),
        target_y=_y(found.target),
        x_ticks=x_ticks,
        y_ticks=y_ticks,
        summary=summary,
    )
