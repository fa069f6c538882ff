"""Queries of the read models: plain functions returning pydantic models.

Every question about a date takes `on`; a certificate's status on that date is
read from its timeline, so the answer is right on any day without new events.
Officers whose records are withheld are marked `withheld`; callers that face
the public show only what a verification token would show.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict

from registry.domain.errors import InvalidInput, NotFound
from registry.domain.policy import Policy
from registry.domain.values import CertificateStatus, Credential, OfficerRole
from registry.projections import store
from registry.projections.read_models import status_on
from registry.projections.store import Views

IN_FORCE = CertificateStatus.IN_FORCE.value
#: Most days a coverage forecast or an expiring report looks ahead.
MAX_WINDOW_DAYS = 3660


class View(BaseModel):
    model_config = ConfigDict(frozen=True)


class CertificationStatus(View):
    number: str
    credential: Credential
    officer_id: str
    holder_name: str
    post_number: str
    agency_code: str | None
    status: CertificateStatus
    on: date
    issued_on: date | None
    expires_on: date | None
    reason: str
    mandated: bool
    withheld: bool
    #: The certificate's entry in the signed status list.
    status_idx: int

    @property
    def in_force(self) -> bool:
        return self.status is CertificateStatus.IN_FORCE


class PublicCertification(View):
    """What anyone may know of a certificate on a date: what its verification token
    shows. The holder's name and agency are null when the officer's record is withheld."""

    number: str
    credential: Credential
    status: CertificateStatus
    on: date
    issued_on: date | None
    expires_on: date | None
    reason: str
    holder_name: str | None
    agency_code: str | None


def public_view(status: CertificationStatus) -> PublicCertification:
    """A certificate as the public sees it: no registry id or POST number, and no holder
    at all if the record is withheld."""
    shown = not status.withheld
    return PublicCertification(
        number=status.number,
        credential=status.credential,
        status=status.status,
        on=status.on,
        issued_on=status.issued_on,
        expires_on=status.expires_on,
        reason=status.reason,
        holder_name=status.holder_name if shown else None,
        agency_code=status.agency_code if shown else None,
    )


class RosterOfficer(View):
    officer_id: str
    post_number: str
    name: str
    role: OfficerRole
    district: str | None
    shift: str | None
    post_status: str | None
    withheld: bool
    certificates: list[CertificationStatus]


class Roster(View):
    agency_code: str
    on: date
    officers: list[RosterOfficer]


class CoverageCell(View):
    district: str
    shift: str
    cit_officers: int
    #: First date in the next 365 days on which the cell loses its last CIT officer if
    #: nobody renews (the date itself when it has none today); None if it stays covered.
    gap_opens_on: date | None


class Coverage(View):
    agency_code: str
    on: date
    districts: list[str]
    shifts: list[str]
    cells: list[CoverageCell]
    gaps: list[CoverageCell]
    patrol_officers: int
    certified_patrol_officers: int
    share: float
    target: float
    meets_target: bool


class Expiring(View):
    number: str
    credential: Credential
    officer_id: str
    name: str
    expires_on: date
    days_left: int
    ce_hours: float
    ce_hours_lacking: float


class AgencyTier(View):
    code: str
    name: str
    region: str
    tier: str
    officers_in_force: int
    in_house_course: bool


class TimelineEntry(View):
    position: int
    version: int
    event: str
    effective_on: date
    recorded_at: datetime
    actor_id: str
    actor_role: str
    details: dict[str, Any]


class Change(View):
    seq: int
    position: int | None
    agency_code: str | None
    certificate_number: str
    officer_id: str
    kind: str
    effective_on: date
    recorded_at: datetime | None
    detail: str


# ---------------------------------------------------------------- certificates

#: A certificate with its holder and where the holder served on the date asked (two `?`).
CERTIFICATES = (
    "SELECT c.number, c.credential, c.officer_id, c.issued_on, c.mandated, c.timeline, "
    "c.status_idx, "
    "c.ce_hours, o.name, o.post_number, o.role, o.withheld, "
    "p.agency_code, p.district, p.shift FROM rm_certificates c "
    "JOIN rm_officers o ON o.officer_id = c.officer_id "
    "LEFT JOIN rm_placements p ON p.officer_id = c.officer_id "
    "AND p.from_on <= ? AND (p.until_on IS NULL OR p.until_on > ?) "
)


def _certificates(
    views: Views, on: date, where: str, params: tuple[Any, ...]
) -> list[dict[str, Any]]:
    day = on.isoformat()
    return store.query(views, CERTIFICATES + where, (day, day, *params))


def _certification(row: dict[str, Any], on: date) -> CertificationStatus:
    status, expires_on, reason = status_on(json.loads(row["timeline"]), on)
    return CertificationStatus(
        number=row["number"],
        credential=row["credential"],
        officer_id=row["officer_id"],
        holder_name=row["name"],
        post_number=row["post_number"],
        agency_code=row["agency_code"],
        status=CertificateStatus(status),
        on=on,
        issued_on=row["issued_on"],
        expires_on=None if expires_on is None else date.fromisoformat(expires_on),
        reason=reason,
        mandated=bool(row["mandated"]),
        withheld=bool(row["withheld"]),
        status_idx=row["status_idx"],
    )


def certificate_status(views: Views, number: str, on: date) -> CertificationStatus:
    """A certificate's status on a date, with its holder and current agency."""
    rows = _certificates(views, on, "WHERE c.number = ?", (number.strip().upper(),))
    if not rows:
        raise NotFound(f"no certificate {number!r}")
    return _certification(rows[0], on)


#: Most certificates one query of `certificate_statuses` asks for. PostgreSQL without
#: statistics on the read models (a new database, autovacuum off) plans a longer list
#: with a sequential scan of the placements: 3 ms a query instead of 0.25.
MAX_NUMBERS = 8


def certification_position(views: Views, number: str) -> int | None:
    """The log position of the event that issued or last renewed a certificate."""
    rows = store.query(
        views,
        "SELECT MAX(position) AS position FROM rm_changes "
        "WHERE certificate_number = ? AND kind IN ('issued', 'renewed')",
        (number.strip().upper(),),
    )
    found = rows[0]["position"] if rows else None
    return None if found is None else int(found)


def certificate_statuses(
    views: Views, numbers: Iterable[str], on: date
) -> dict[str, CertificationStatus]:
    """The status on a date of each certificate found among `numbers`, by number: the
    look-ups of many callers at once, answered by one query per `MAX_NUMBERS`."""
    wanted = sorted({number.strip().upper() for number in numbers})
    found: dict[str, CertificationStatus] = {}
    for start in range(0, len(wanted), MAX_NUMBERS):
        chunk = wanted[start : start + MAX_NUMBERS]
        where = f"WHERE c.number IN ({', '.join('?' * len(chunk))})"
        for row in _certificates(views, on, where, tuple(chunk)):
            found.setdefault(row["number"], _certification(row, on))
    return found


def officer_certifications(views: Views, officer_id: str, on: date) -> list[CertificationStatus]:
    """Every certificate of one officer, as it stands on a date."""
    rows = _certificates(views, on, "WHERE c.officer_id = ? ORDER BY c.issued_on", (officer_id,))
    return [_certification(row, on) for row in rows]


# -------------------------------------------------------------------- agencies


def _agency(views: Views, code: str) -> dict[str, Any]:
    rows = store.query(views, "SELECT * FROM rm_agencies WHERE code = ?", (code.strip().upper(),))
    if not rows:
        raise NotFound(f"agency {code} is not registered")
    agency = rows[0]
    agency["districts"] = json.loads(agency["districts"])
    agency["shifts"] = json.loads(agency["shifts"])
    return agency


def agency_name(views: Views, code: str) -> str | None:
    """The name of the agency `code`, or None if no such agency is registered."""
    rows = store.query(views, "SELECT name FROM rm_agencies WHERE code = ?", (code.upper(),))
    return str(rows[0]["name"]) if rows else None


def _certificates_by_officer(
    views: Views, code: str, on: date
) -> dict[str, list[CertificationStatus]]:
    held: dict[str, list[CertificationStatus]] = defaultdict(list)
    for row in _certificates(views, on, "WHERE p.agency_code = ?", (code,)):
        held[row["officer_id"]].append(_certification(row, on))
    return held


def roster(views: Views, code: str, on: date) -> Roster:
    """The agency's officers with their CIT credentials, district and shift."""
    agency = _agency(views, code)
    held = _certificates_by_officer(views, agency["code"], on)
    officers = _placed(views, agency["code"], on, "ORDER BY o.name")
    return Roster(
        agency_code=agency["code"],
        on=on,
        officers=[
            RosterOfficer(
                officer_id=o["officer_id"],
                post_number=o["post_number"],
                name=o["name"],
                role=o["role"],
                district=o["district"],
                shift=o["shift"],
                post_status=o["post_status"],
                withheld=bool(o["withheld"]),
                certificates=held.get(o["officer_id"], []),
            )
            for o in officers
        ],
    )


def _placed(
    views: Views, code: str, on: date, extra: str = "", params: tuple[Any, ...] = ()
) -> list[dict[str, Any]]:
    """Officers who served `code` on `on`, with the district and shift they held then."""
    day = on.isoformat()
    return store.query(
        views,
        "SELECT o.officer_id, o.post_number, o.name, o.role, o.post_status, o.withheld, "
        "p.district, p.shift FROM rm_placements p "
        "JOIN rm_officers o ON o.officer_id = p.officer_id "
        "WHERE p.agency_code = ? AND p.from_on <= ? AND (p.until_on IS NULL OR p.until_on > ?) "
        + extra,
        (code, day, day, *params),
    )


def patrol_by_cell(views: Views, code: str, on: date) -> dict[tuple[str | None, str | None], int]:
    """How many patrol officers served the agency `code` on `on` in each district and shift,
    by (district, shift): the officers `coverage` counts as the agency's patrol officers."""
    cells: dict[tuple[str | None, str | None], int] = defaultdict(int)
    patrol = (OfficerRole.PATROL_OFFICER.value,)
    for row in _placed(views, code.strip().upper(), on, "AND o.role = ?", patrol):
        cells[row["district"], row["shift"]] += 1
    return dict(cells)


def _in_force_until(timeline: list[list[Any]], on: date) -> date | None:
    """The first date after `on` on which the certificate stops being in force (None: never)."""
    day = on.isoformat()
    for start, status, _expires, _reason in timeline:
        if start > day and status != IN_FORCE:
            return date.fromisoformat(start)
    return None


def coverage(views: Views, code: str, on: date, policy: Policy) -> Coverage:
    """Districts by shifts, with the CIT officers in force in each cell, gaps and forecast."""
    agency = _agency(views, code)
    horizon = on + timedelta(days=365)
    last_day: dict[tuple[str, str], date] = {}
    count: dict[tuple[str, str], int] = defaultdict(int)
    certified: set[str] = set()
    for row in _certificates(
        views,
        on,
        "WHERE p.agency_code = ? AND c.credential = ? AND o.role = ?",
        (agency["code"], Credential.CIT_OFFICER.value, OfficerRole.PATROL_OFFICER.value),
    ):
        timeline = json.loads(row["timeline"])
        if status_on(timeline, on)[0] != IN_FORCE or row["officer_id"] in certified:
            continue
        certified.add(row["officer_id"])
        cell = (row["district"], row["shift"])
        count[cell] += 1
        until = _in_force_until(timeline, on) or date.max
        last_day[cell] = max(last_day.get(cell, on), until)
    patrol = len(
        _placed(views, agency["code"], on, "AND o.role = ?", (OfficerRole.PATROL_OFFICER.value,))
    )
    cells = []
    for district in agency["districts"]:
        for shift in agency["shifts"]:
            cell = (district, shift)
            if count[cell] == 0:
                opens: date | None = on
            else:
                opens = last_day[cell] if last_day[cell] <= horizon else None
            cells.append(
                CoverageCell(
                    district=district, shift=shift, cit_officers=count[cell], gap_opens_on=opens
                )
            )
    share = len(certified) / patrol if patrol else 0.0
    return Coverage(
        agency_code=agency["code"],
        on=on,
        districts=agency["districts"],
        shifts=agency["shifts"],
        cells=cells,
        gaps=[c for c in cells if c.cit_officers == 0],
        patrol_officers=patrol,
        certified_patrol_officers=len(certified),
        share=round(share, 4),
        target=policy.coverage_target,
        meets_target=patrol > 0 and share >= policy.coverage_target,
    )


def expiring(views: Views, code: str, on: date, within_days: int, policy: Policy) -> list[Expiring]:
    """Certificates in force on `on` that expire within `within_days`, soonest first."""
    if not 0 <= within_days <= MAX_WINDOW_DAYS:
        raise InvalidInput(f"within_days must be between 0 and {MAX_WINDOW_DAYS}")
    agency = _agency(views, code)
    until = on + timedelta(days=within_days)
    found = []
    for row in _certificates(
        views, on, "WHERE p.agency_code = ? AND c.expires_on >= ?", (agency["code"], on.isoformat())
    ):
        status = _certification(row, on)
        if not status.in_force or status.expires_on is None or status.expires_on > until:
            continue
        hours = float(row["ce_hours"])
        found.append(
            Expiring(
                number=status.number,
                credential=status.credential,
                officer_id=status.officer_id,
                name=status.holder_name,
                expires_on=status.expires_on,
                days_left=(status.expires_on - on).days,
                ce_hours=hours,
                ce_hours_lacking=max(0.0, policy.renewal_ce_hours - hours),
            )
        )
    return sorted(found, key=lambda e: (e.expires_on, e.number))


def tiers(views: Views, on: date) -> list[AgencyTier]:
    """For each agency: state-certified, in-house only, or none. The public's question."""
    in_force: dict[str, set[str]] = defaultdict(set)
    for row in _certificates(views, on, "WHERE p.agency_code IS NOT NULL", ()):
        if status_on(json.loads(row["timeline"]), on)[0] == IN_FORCE:
            in_force[row["agency_code"]].add(row["officer_id"])
    result = []
    for agency in store.query(views, "SELECT * FROM rm_agencies ORDER BY code"):
        officers = len(in_force[agency["code"]])
        tier = (
            "state_certified"
            if officers
            else ("in_house_only" if agency["in_house_course"] else "none")
        )
        result.append(
            AgencyTier(
                code=agency["code"],
                name=agency["name"],
                region=agency["region"],
                tier=tier,
                officers_in_force=officers,
                in_house_course=bool(agency["in_house_course"]),
            )
        )
    return result


def agency_tier(views: Views, code: str, on: date) -> AgencyTier:
    """One agency's tier on a date (NotFound if no agency has that code)."""
    wanted = code.strip().upper()
    found = next((tier for tier in tiers(views, on) if tier.code == wanted), None)
    if found is None:
        raise NotFound(f"agency {wanted} is not registered")
    return found


# --------------------------------------------------------------- for auditors


def timeline(views: Views, officer_id: str) -> list[TimelineEntry]:
    """Every event about an officer, in log order, with effective date, recorded time, actor."""
    rows = store.query(
        views, "SELECT * FROM rm_timeline WHERE officer_id = ? ORDER BY position", (officer_id,)
    )
    return [TimelineEntry(**{**row, "details": json.loads(row["details"])}) for row in rows]


def changes(views: Views, code: str, *, after: int = 0, limit: int = 100) -> list[Change]:
    """The agency's change feed after a cursor (`seq`), oldest first."""
    if after < 0 or not 1 <= limit <= 1000:
        raise InvalidInput("after must be >= 0 and limit between 1 and 1000")
    agency = _agency(views, code)
    rows = store.query(
        views,
        "SELECT * FROM rm_changes WHERE agency_code = ? AND seq > ? ORDER BY seq LIMIT ?",
        (agency["code"], after, limit),
    )
    return [Change(**row) for row in rows]


#: Status-list values (IETF Token Status List, 2 bits): valid, invalid, suspended.
LIST_VALID, LIST_INVALID, LIST_SUSPENDED = 0, 1, 2


def list_value(status: str) -> int:
    """A certificate status as a status-list value: in force is valid, suspended is
    suspended, anything else (expired, revoked, POST not active, voided) is invalid."""
    if status == IN_FORCE:
        return LIST_VALID
    if status == CertificateStatus.SUSPENDED.value:
        return LIST_SUSPENDED
    return LIST_INVALID


def status_list_values(views: Views, on: date) -> bytes:
    """Every certificate's status-list value on a date, by its index (one byte each).

    Indexes not given out are invalid.
    """
    rows = store.query(views, "SELECT status_idx, timeline FROM rm_certificates")
    values = bytearray([LIST_INVALID]) * (max((r["status_idx"] for r in rows), default=-1) + 1)
    for row in rows:
        values[row["status_idx"]] = list_value(status_on(json.loads(row["timeline"]), on)[0])
    return bytes(values)


def status_value(views: Views, number: str, idx: int, on: date) -> int | None:
    """The live status-list value of certificate `number` on a date, if it has entry `idx`."""
    rows = store.query(
        views,
        "SELECT timeline FROM rm_certificates WHERE number = ? AND status_idx = ?",
        (number, idx),
    )
    return list_value(status_on(json.loads(rows[0]["timeline"]), on)[0]) if rows else None
