"""The coverage forecast: how each district-and-shift cell of an agency, and the agency as a
whole, would stand on each of the next 365 days if nothing new were recorded (no renewal,
no new certificate, no transfer).

`load` reads the read models once (the agency, its patrol officers' placements and their
CIT officer certificates' timelines); `forecast` is a pure function of what it read. The
count of a cell on day d is what `queries.coverage(views, code, d, policy)` counts: the
patrol officers placed in the cell on d who hold a CIT officer certificate in force on d,
each once. It walks each officer's spans once, not 365 coverage queries.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from registry.domain.errors import NotFound
from registry.domain.values import CertificateStatus, Credential, OfficerRole
from registry.projections import store
from registry.projections.store import Views

IN_FORCE = CertificateStatus.IN_FORCE.value
#: Days looked ahead after today: the forecast has HORIZON + 1 days, today first.
HORIZON = 365

Cell = tuple[str, str]  # (district, shift)


@dataclass(frozen=True)
class Span:
    """Days from `start` up to, not including, `end` (None: with no end)."""

    start: date
    end: date | None = None


@dataclass(frozen=True)
class Placement:
    """A patrol officer in a cell of the agency for a span of days."""

    officer_id: str
    cell: Cell
    span: Span


@dataclass(frozen=True)
class CellForecast:
    """One cell's CIT officers and patrol officers on each day of the forecast."""

    cell: Cell
    certified: tuple[int, ...]
    patrol: tuple[int, ...]
    #: The first day below the target (today if it is below today); None: never.
    below_on: date | None


@dataclass(frozen=True)
class Forecast:
    agency_code: str
    start: date
    target: float
    cells: tuple[CellForecast, ...]
    certified: tuple[int, ...]  # the agency's, each day
    patrol: tuple[int, ...]
    below_on: date | None

    def day(self, i: int) -> date:
        return self.start + timedelta(days=i)

    def share(self, i: int) -> float:
        """The agency's share of patrol officers with CIT in force on day `i`."""
        return self.certified[i] / self.patrol[i] if self.patrol[i] else 0.0


def in_force_spans(timeline: list[list[str]]) -> list[Span]:
    """The spans in which a certificate is in force, from its timeline (rows of start date,
    status, expiry, reason: each status holds from its start until the next row's)."""
    spans = []
    for i, (start, status, _expires, _reason) in enumerate(timeline):
        if status != IN_FORCE:
            continue
        end = date.fromisoformat(timeline[i + 1][0]) if i + 1 < len(timeline) else None
        spans.append(Span(date.fromisoformat(start), end))
    return spans


def merged(spans: list[Span]) -> list[Span]:
    """The union of `spans`, as spans that neither overlap nor touch."""
    out: list[Span] = []
    for span in sorted(spans, key=lambda s: s.start):
        last = out[-1] if out else None
        if last is not None and (last.end is None or span.start <= last.end):
            end = None if last.end is None or span.end is None else max(last.end, span.end)
            out[-1] = Span(last.start, end)
        else:
            out.append(span)
    return out


def _clip(span: Span, within: Span, start: date, days: int) -> tuple[int, int] | None:
    """`span` ∩ `within` as indexes [i, j) of the forecast's days, or None if empty."""
    first = max(span.start, within.start)
    ends = [e for e in (span.end, within.end) if e is not None]
    i = max(0, (first - start).days)
    j = min(days, (min(ends) - start).days) if ends else days
    return (i, j) if i < j else None


def _running(steps: list[int], days: int) -> tuple[int, ...]:
    total, out = 0, []
    for i in range(days):
        total += steps[i]
        out.append(total)
    return tuple(out)


def _below(certified: tuple[int, ...], patrol: tuple[int, ...], target: float) -> int | None:
    """The first day on which the share is not at or above `target` (none with no patrol)."""
    for i, (held, of) in enumerate(zip(certified, patrol, strict=True)):
        if of == 0 or held / of < target:
            return i
    return None


def _day(start: date, i: int | None) -> date | None:
    return None if i is None else start + timedelta(days=i)


def forecast(
    code: str,
    cells: list[Cell],
    placements: list[Placement],
    in_force: dict[str, list[Span]],
    start: date,
    target: float,
    horizon: int = HORIZON,
) -> Forecast:
    """Each cell's count of CIT officers and patrol officers on `start` and the `horizon`
    days after it, given where each patrol officer is placed and when each holds a CIT
    officer certificate in force (`in_force`, by officer id)."""
    days = horizon + 1
    held: dict[Cell, list[int]] = defaultdict(lambda: [0] * (days + 1))
    placed: dict[Cell, list[int]] = defaultdict(lambda: [0] * (days + 1))
    for p in placements:
        whole = _clip(p.span, p.span, start, days)
        if whole is None:
            continue
        placed[p.cell][whole[0]] += 1
        placed[p.cell][whole[1]] -= 1
        for span in merged(in_force.get(p.officer_id, [])):
            part = _clip(span, p.span, start, days)
            if part is not None:
                held[p.cell][part[0]] += 1
                held[p.cell][part[1]] -= 1
    found = []
    for cell in cells:
        certified, patrol = _running(held[cell], days), _running(placed[cell], days)
        found.append(
            CellForecast(cell, certified, patrol, _day(start, _below(certified, patrol, target)))
        )
    # The agency's totals count every placement, as coverage's do, in a listed cell or not.
    total = _running([sum(steps[i] for steps in held.values()) for i in range(days)], days)
    patrol_total = _running([sum(steps[i] for steps in placed.values()) for i in range(days)], days)
    return Forecast(
        agency_code=code,
        start=start,
        target=target,
        cells=tuple(found),
        certified=total,
        patrol=patrol_total,
        below_on=_day(start, _below(total, patrol_total, target)),
    )


def load(views: Views, code: str, start: date, target: float, horizon: int = HORIZON) -> Forecast:
    """The forecast of agency `code` from `start`, read from the read models in three
    queries (NotFound if no agency has that code)."""
    wanted = code.strip().upper()
    rows = store.query(views, "SELECT * FROM rm_agencies WHERE code = ?", (wanted,))
    if not rows:
        raise NotFound(f"agency {wanted} is not registered")
    districts, shifts = json.loads(rows[0]["districts"]), json.loads(rows[0]["shifts"])
    cells = [(d, s) for d in districts for s in shifts]
    end = (start + timedelta(days=horizon + 1)).isoformat()
    placed = store.query(
        views,
        "SELECT p.officer_id, p.from_on, p.until_on, p.district, p.shift FROM rm_placements p "
        "JOIN rm_officers o ON o.officer_id = p.officer_id WHERE p.agency_code = ? "
        "AND o.role = ? AND p.from_on < ? AND (p.until_on IS NULL OR p.until_on > ?)",
        (wanted, OfficerRole.PATROL_OFFICER.value, end, start.isoformat()),
    )
    placements = [
        Placement(
            r["officer_id"],
            (r["district"], r["shift"]),
            Span(
                date.fromisoformat(r["from_on"]),
                date.fromisoformat(r["until_on"]) if r["until_on"] else None,
            ),
        )
        for r in placed
    ]
    in_force: dict[str, list[Span]] = defaultdict(list)
    for r in store.query(
        views,
        "SELECT DISTINCT c.officer_id, c.number, c.timeline FROM rm_certificates c "
        "JOIN rm_placements p ON p.officer_id = c.officer_id "
        "WHERE p.agency_code = ? AND c.credential = ?",
        (wanted, Credential.CIT_OFFICER.value),
    ):
        in_force[r["officer_id"]].extend(in_force_spans(json.loads(r["timeline"])))
    return forecast(wanted, cells, placements, in_force, start, target, horizon)
