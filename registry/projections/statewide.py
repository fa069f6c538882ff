"""Questions the state program office asks of the whole registry: coverage in every agency
on a date, grouped by region, and the separations its agencies reported late.

Coverage counts what `queries.coverage` counts for one agency (the patrol officers placed
in the agency on the date, and those of them holding a CIT officer certificate in force on
it, each once), for every agency at once: two queries, whatever the number of agencies.

Both answers are kept for the few questions last asked of each store, by the position the
read models stand at (`remembered`): the same question at the same position has the same
answer, so a page asked again before anything new is recorded costs one small query.

A separation is reported late when it was recorded more than the policy's
`separation_report_days` after it took effect: the day it was recorded is its event's
timestamp in the registry's time zone, as the domain judges it when the report arrives
(the event's `reported_late`). A separation voided by a later correction is left out.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Hashable, Iterable
from datetime import date, datetime, tzinfo
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

from registry.domain.values import Credential, OfficerRole
from registry.projections import store
from registry.projections.queries import IN_FORCE, View
from registry.projections.read_models import status_on
from registry.projections.store import Views

#: Officers (or timeline entries) looked up by one query.
CHUNK = 500
#: Answers kept for each store.
REMEMBERED = 8
T = TypeVar("T")
_answers: WeakKeyDictionary[Any, OrderedDict[Hashable, Any]] = WeakKeyDictionary()
_lock = threading.Lock()


def remembered(views: Views, question: Hashable, answer: Callable[[], T]) -> T:
    """`answer()`, or the answer kept for `question` at the read models' current position.

    Read models are a function of the log up to their position, so nothing but a new
    position can change an answer. (One computed while the projection moved on may hold
    newer rows than its position says: it is then only ever given to a request that read
    that position before the newer rows were committed, and so is no older than the truth.)
    """
    key = (store.position(views, store.NAME), question)
    with _lock:
        kept = _answers.setdefault(views, OrderedDict())
        if key in kept:
            kept.move_to_end(key)
            return kept[key]
    found = answer()
    with _lock:
        kept[key] = found
        while len(kept) > REMEMBERED:
            kept.popitem(last=False)
    return found


# ------------------------------------------------------------------ coverage


class AgencyCoverage(View):
    code: str
    name: str
    region: str
    patrol_officers: int
    certified_patrol_officers: int
    target: float

    @property
    def share(self) -> float:
        """The share of patrol officers with CIT in force (0 with no patrol officers)."""
        return share_of(self.certified_patrol_officers, self.patrol_officers)

    @property
    def standing(self) -> str:
        """Against the target: met, below, or empty (no patrol officers to cover)."""
        return standing_of(self.certified_patrol_officers, self.patrol_officers, self.target)


class RegionCoverage(View):
    region: str
    agencies: list[AgencyCoverage]
    target: float

    @property
    def patrol_officers(self) -> int:
        return sum(a.patrol_officers for a in self.agencies)

    @property
    def certified_patrol_officers(self) -> int:
        return sum(a.certified_patrol_officers for a in self.agencies)

    @property
    def share(self) -> float:
        return share_of(self.certified_patrol_officers, self.patrol_officers)

    @property
    def standing(self) -> str:
        return standing_of(self.certified_patrol_officers, self.patrol_officers, self.target)

    @property
    def below(self) -> int:
        """How many of the region's agencies are below the target."""
        return sum(a.standing == "below" for a in self.agencies)


class StateCoverage(View):
    on: date
    target: float
    regions: list[RegionCoverage]

    @property
    def patrol_officers(self) -> int:
        return sum(r.patrol_officers for r in self.regions)

    @property
    def certified_patrol_officers(self) -> int:
        return sum(r.certified_patrol_officers for r in self.regions)

    @property
    def share(self) -> float:
        return share_of(self.certified_patrol_officers, self.patrol_officers)

    @property
    def standing(self) -> str:
        return standing_of(self.certified_patrol_officers, self.patrol_officers, self.target)

    @property
    def agencies(self) -> int:
        return sum(len(r.agencies) for r in self.regions)

    @property
    def below(self) -> int:
        return sum(r.below for r in self.regions)


def share_of(certified: int, patrol: int) -> float:
    return certified / patrol if patrol else 0.0


def standing_of(certified: int, patrol: int, target: float) -> str:
    """Against the target as `queries.coverage` judges it (`meets_target`)."""
    if patrol == 0:
        return "empty"
    return "met" if certified / patrol >= target else "below"


#: Every patrol officer placed in an agency on a date, with each CIT officer certificate
#: they hold (`?`: the credential, the date twice, the patrol role). The placements in force
#: are read first (CROSS JOIN keeps SQLite, which has no statistics on these tables, to
#: that order), then each one's officer and certificates by their keys.
PATROL = (
    "SELECT p.agency_code, p.officer_id, c.timeline FROM rm_placements p "
    "CROSS JOIN rm_officers o "
    "LEFT JOIN rm_certificates c ON c.officer_id = p.officer_id AND c.credential = ? "
    "WHERE o.officer_id = p.officer_id AND p.from_on <= ? "
    "AND (p.until_on IS NULL OR p.until_on > ?) AND o.role = ?"
)


def coverage(views: Views, on: date, target: float) -> StateCoverage:
    """Every agency's patrol officers and those with CIT in force on `on`, by region
    (regions and agencies in alphabetical order). Two queries."""
    day = on.isoformat()
    patrol: dict[str, set[str]] = defaultdict(set)
    certified: dict[str, set[str]] = defaultdict(set)
    for row in store.query(
        views, PATROL, (Credential.CIT_OFFICER.value, day, day, OfficerRole.PATROL_OFFICER.value)
    ):
        patrol[row["agency_code"]].add(row["officer_id"])
        timeline = row["timeline"]
        if timeline is not None and status_on(json.loads(timeline), on)[0] == IN_FORCE:
            certified[row["agency_code"]].add(row["officer_id"])
    regions: dict[str, list[AgencyCoverage]] = defaultdict(list)
    for agency in store.query(views, "SELECT code, name, region FROM rm_agencies"):
        code = agency["code"]
        regions[agency["region"]].append(
            AgencyCoverage(
                code=code,
                name=agency["name"],
                region=agency["region"],
                patrol_officers=len(patrol.get(code, ())),
                certified_patrol_officers=len(certified.get(code, ())),
                target=target,
            )
        )
    return StateCoverage(
        on=on,
        target=target,
        regions=[
            RegionCoverage(
                region=region,
                agencies=sorted(found, key=lambda a: (a.name.casefold(), a.code)),
                target=target,
            )
            for region, found in sorted(regions.items(), key=lambda r: r[0].casefold())
        ],
    )


# ---------------------------------------------------------- late separations


class LateSeparation(View):
    """A separation recorded more than the allowed days after it took effect."""

    position: int
    officer_id: str
    version: int
    #: The agency the officer left: the one that owed the report.
    agency_code: str
    effective_on: date
    recorded_at: datetime
    recorded_on: date
    #: Days from the separation taking effect to its recording.
    days_after: int
    #: Days past the deadline (`days_after` less the days allowed).
    days_late: int
    reason: str
    new_agency_code: str | None
    investigation_open: bool


class OfficerName(View):
    officer_id: str
    name: str
    post_number: str
    withheld: bool


def late_separations(views: Views, zone: tzinfo, allowed_days: int) -> list[LateSeparation]:
    """Every separation recorded more than `allowed_days` after it took effect (the day
    recorded read in `zone`), not voided since, newest recorded first.

    First the dates of every separation and correction (from an index that holds them),
    then the details of the late separations and of their officers' corrections only."""
    rows = store.query(
        views,
        "SELECT event, position, officer_id, version, effective_on, recorded_at "
        f"FROM rm_timeline WHERE {store.SEPARATIONS}",
    )
    late: dict[int, tuple[date, datetime, int]] = {}
    for row in rows:
        if row["event"] != "Separated":
            continue
        effective_on = date.fromisoformat(row["effective_on"])
        recorded_at = datetime.fromisoformat(row["recorded_at"]).astimezone(zone)
        days = (recorded_at.date() - effective_on).days
        if days > allowed_days:
            late[row["position"]] = (effective_on, recorded_at, days)
    officers = {row["officer_id"] for row in rows if row["position"] in late}
    corrections = [r for r in rows if r["event"] == "Corrected" and r["officer_id"] in officers]
    details = _details(views, [*late, *(r["position"] for r in corrections)])
    voided = {(r["officer_id"], details[r["position"]]["corrects_version"]) for r in corrections}
    found = [
        _late(row, details[row["position"]], *late[row["position"]], allowed_days)
        for row in rows
        if row["position"] in late and (row["officer_id"], row["version"]) not in voided
    ]
    found.sort(key=lambda s: (s.recorded_at, s.position), reverse=True)
    return found


def _details(views: Views, positions: list[int]) -> dict[int, dict[str, Any]]:
    """The details of the timeline's events at `positions`, by position."""
    found = {}
    for start in range(0, len(positions), CHUNK):
        chunk = positions[start : start + CHUNK]
        for row in store.query(
            views,
            "SELECT position, details FROM rm_timeline "
            f"WHERE position IN ({', '.join('?' * len(chunk))})",
            tuple(chunk),
        ):
            found[row["position"]] = json.loads(row["details"])
    return found


def _late(
    row: dict[str, Any],
    details: dict[str, Any],
    effective_on: date,
    recorded_at: datetime,
    days: int,
    allowed_days: int,
) -> LateSeparation:
    return LateSeparation(
        position=row["position"],
        officer_id=row["officer_id"],
        version=row["version"],
        agency_code=details["agency_code"],
        effective_on=effective_on,
        recorded_at=recorded_at,
        recorded_on=recorded_at.date(),
        days_after=days,
        days_late=days - allowed_days,
        reason=str(details.get("reason", "")),
        new_agency_code=details.get("new_agency_code"),
        investigation_open=bool(details.get("investigation_open", False)),
    )


def officers(views: Views, ids: Iterable[str]) -> dict[str, OfficerName]:
    """The name and POST number of each officer among `ids`, by id."""
    wanted = sorted(set(ids))
    found: dict[str, OfficerName] = {}
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start : start + CHUNK]
        for row in store.query(
            views,
            "SELECT officer_id, name, post_number, withheld FROM rm_officers "
            f"WHERE officer_id IN ({', '.join('?' * len(chunk))})",
            tuple(chunk),
        ):
            found[row["officer_id"]] = OfficerName(**{**row, "withheld": bool(row["withheld"])})
    return found


def agency_names(views: Views) -> dict[str, str]:
    """Every registered agency's name, by code."""
    return {r["code"]: r["name"] for r in store.query(views, "SELECT code, name FROM rm_agencies")}
