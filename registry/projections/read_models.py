"""The read-model projection: events in, rows out.

Officer events are folded into Officer aggregates with the domain's own
methods, so a row says exactly what the rules say. After each batch, every
officer the batch touched is written again from its aggregate: one row for the
officer and one per certificate. A certificate row carries its **timeline**:
the status from each date on, computed at every date where a fact takes
effect or a certificate expires. Status on any date is then a look-up in the
timeline, right on any day without new events.

Agency rows come straight from agency events. Every officer event adds a row
to the officer's timeline (for auditors) and status changes add rows to the
change feed of the agencies concerned.
"""

from __future__ import annotations

import heapq
import json
from collections import OrderedDict
from collections.abc import Container, Iterable
from datetime import date
from typing import Any

import orjson
from eventsourcing.utils import get_topic

from registry.application import Registry
from registry.domain.agency import Agency
from registry.domain.events import BASE_FIELDS, json_value
from registry.domain.officer import EFFECTIVE_ORDER, Officer
from registry.domain.values import CertificateStatus, Credential
from registry.projections import library, store
from registry.projections.store import Views

OFFICER_EVENTS = [
    Officer.Enrolled,
    Officer.TrainingRecorded,
    Officer.ExamRecorded,
    Officer.PostStatusChanged,
    Officer.Assigned,
    Officer.Separated,
    Officer.Joined,
    Officer.CertificateIssued,
    Officer.CertificateRenewed,
    Officer.CertificateActionRecorded,
    Officer.WithheldChanged,
    Officer.Corrected,
]
AGENCY_EVENTS = [Agency.Registered, Agency.Updated]
#: The topics this projection reads; other events (indexes, command records) are skipped.
TOPICS = frozenset(get_topic(cls) for cls in (*OFFICER_EVENTS, *AGENCY_EVENTS))

#: Columns of the rows the projection only ever inserts.
CHANGE_COLUMNS = (
    "position",
    "agency_code",
    "certificate_number",
    "officer_id",
    "kind",
    "effective_on",
    "recorded_at",
    "detail",
)
TIMELINE_COLUMNS = (
    "position",
    "officer_id",
    "version",
    "event",
    "effective_on",
    "recorded_at",
    "actor_id",
    "actor_role",
    "details",
)
#: Timeline rows written at a time within a batch.
TIMELINE_CHUNK = 2000
#: Officers held (touched, rows not yet written) before a batch writes their rows.
FLUSH_OFFICERS = 20_000
#: Why a lapse is in the change feed.
NOT_RENEWED = "not renewed by its expiry date"
PLACEMENT_COLUMNS = ("officer_id", "from_on", "until_on", "agency_code", "district", "shift")
STATUS_INDEX_COLUMNS = ("number", "idx")
#: Statuses on the expiry date under which there is no lapse to report: a revoked or
#: voided certificate has ended already. (A suspended one still lapses.)
NO_LAPSE = {
    CertificateStatus.REVOKED.value,
    CertificateStatus.VOIDED.value,
    CertificateStatus.DECEASED.value,
}
#: Events that may add to the change feed.
CHANGE_EVENTS = (
    Officer.CertificateIssued,
    Officer.CertificateRenewed,
    Officer.CertificateActionRecorded,
    Officer.Separated,
    Officer.Joined,
    Officer.PostStatusChanged,
    Officer.Corrected,
)
CERTIFICATE_CHANGES = {
    Officer.CertificateIssued: "issued",
    Officer.CertificateRenewed: "renewed",
}

#: Which of an officer's rows besides its own (which holds its version, so every event
#: changes it) an event can change: (placements, certificates). A placement comes from
#: employment and assignments; a certificate row from the certificate's actions, the POST
#: statuses (its timeline) and the trainings (CE hours). Events not named here: both.
#: tests/integration/test_read_models.py checks each claim against full rewrites.
ROWS_CHANGED: dict[type, tuple[bool, bool]] = {
    Officer.TrainingRecorded: (False, True),
    Officer.ExamRecorded: (False, False),
    Officer.PostStatusChanged: (False, True),
    Officer.Assigned: (True, False),
    Officer.Separated: (True, True),  # a death ends the certificates' timelines
    Officer.Joined: (True, False),
    Officer.CertificateIssued: (False, True),
    Officer.CertificateRenewed: (False, True),
    Officer.CertificateActionRecorded: (False, True),
    Officer.WithheldChanged: (False, False),
}

# What the apply loop needs to know about an event's class, found once per class.
_AGENCY, _MOVE, _ISSUE, _CHANGE, _OTHER = "agency", "move", "issue", "change", "other"


class _Plan:
    """How the apply loop treats events of one class."""

    __slots__ = ("certificates", "kind", "name", "placements")

    def __init__(self, cls: type) -> None:
        if issubclass(cls, Agency.Registered | Agency.Updated):
            self.kind = _AGENCY
        elif issubclass(cls, Officer.Separated | Officer.Joined):
            self.kind = _MOVE
        elif issubclass(cls, Officer.CertificateIssued):
            self.kind = _ISSUE
        elif issubclass(cls, CHANGE_EVENTS):
            self.kind = _CHANGE
        else:
            self.kind = _OTHER
        self.name = cls.__name__
        self.placements, self.certificates = ROWS_CHANGED.get(cls, (True, True))


_PLANS: dict[type, _Plan] = {}


def _plan(cls: type) -> _Plan:
    plan = _PLANS.get(cls)
    if plan is None:
        plan = _PLANS[cls] = _Plan(cls)
    return plan


def certificate_timeline(officer: Officer, number: str) -> list[list[Any]]:
    """[from, status, expires_on, reason] from each date the status may change on."""
    cert = officer.certificates[number]
    related = [cert]
    if cert.credential is Credential.CIT_YOUTH:
        related += [
            c for c in officer.certificates.values() if c.credential is Credential.CIT_OFFICER
        ]
    points: set[date] = {p.effective_on for p in officer.post_statuses if not p.void}
    died = officer.deceased_on()
    if died is not None:
        points.add(died)
    for c in related:
        for action in c.actions:
            if not action.void:
                points.add(action.effective_on)
                if action.expires_on:
                    points.add(action.expires_on)
    timeline: list[list[Any]] = []
    for day in sorted(points):
        view = officer.certificate_view(number, day)
        entry = [
            day.isoformat(),
            view.status.value,
            view.expires_on.isoformat() if view.expires_on else None,
            view.reason,
        ]
        if not timeline or timeline[-1][1:] != entry[1:]:
            timeline.append(entry)
    return timeline


class ReadModels:
    """Keeps rm_agencies, rm_officers, rm_certificates, rm_timeline and rm_changes."""

    name = store.NAME
    topics = TOPICS

    def __init__(self, app: Registry, views: Views, *, cache_size: int = 50_000) -> None:
        self.app = app
        self.views = views
        self.cache_size = cache_size
        self.zone = app.settings.zone()
        #: Officers as the rows stand, least recently touched first, by their id's integer.
        self._officers: OrderedDict[int, Officer] = OrderedDict()
        #: The placement rows last written for officers in the cache (emptied with it, and
        #: on a rollback), so an officer's next write changes only the rows that differ.
        self._placed: dict[int, list[tuple[Any, ...]]] = {}
        self._swept_through: date | None = None
        self._started = False
        #: What the sweeps need to know of every certificate (None until the first sweep).
        self._expiries: _Expiries | None = None

    def forget(self) -> None:
        """Drop cached state (after a rolled-back batch it may be ahead of the rows)."""
        self._officers.clear()
        self._placed.clear()
        self._swept_through = None
        self._started = False
        self._expiries = None

    def apply(self, cursor: Any, events: Iterable[tuple[int, Any]]) -> None:
        """Apply a batch of (position, event) inside the caller's transaction.

        Before the first event recorded on a new day, expiries due by that day are
        swept into the change feed, so a rebuild notes the same lapses, with the
        same knowledge, as the runner did when it followed the log day by day.
        """
        pending = _Pending()
        if not self._started:
            self._swept_through = self._load_swept_through(cursor)
            self._started = True
        swept_before, expiries = self._swept_through, self._expiries
        next_idx = store.fetch(
            self.views, cursor, "SELECT COALESCE(MAX(idx), -1) + 1 AS n FROM rm_status_index"
        )[0]["n"]
        zone, cache = self.zone, self._officers
        timeline, changes, touched = pending.timeline, pending.changes, pending.officers
        dumps, sort_keys, base_fields = orjson.dumps, orjson.OPT_SORT_KEYS, tuple(BASE_FIELDS)
        swept = self._swept_through
        for position, event in events:
            state = event.__dict__
            timestamp = state["timestamp"]
            # The day the event was recorded: the read models follow the log alone, never
            # the clock of the process applying it.
            day = timestamp.astimezone(zone).date()
            if swept is None or day > swept:
                self.sweep(cursor, day, pending)
                swept, expiries = self._swept_through, self._expiries
            plan = _PLANS.get(event.__class__) or _plan(event.__class__)
            kind = plan.kind
            if kind is _AGENCY:
                self._agency(cursor, event)
                continue
            # The officer as it stood just before the event (None for an enrolment).
            originator_id = state["originator_id"]
            key = originator_id.int
            version = state["originator_version"]
            entry = touched.get(key)
            officer = None
            if version != 1:
                officer = entry[0] if entry is not None else cache.get(key)
                if officer is None or officer.version != version - 1:
                    officer = self._officer_before(event)
            before = officer.agency_on(None) if officer and kind is _MOVE else None
            # What `mutate` does, without its per-event look-ups (the version is checked above).
            officer = library.mutate(event, officer)
            if entry is None:
                entry = touched[key] = (officer, str(originator_id))
                # From now until the flush, its expiries are swept from the aggregate.
                pending.ids[entry[1]] = key
                if expiries is not None:
                    expiries.queue(officer, entry[1])
            elif entry[0] is not officer:
                entry = touched[key] = (officer, entry[1])
            if kind is not _OTHER and expiries is not None:
                expiries.queue(officer, entry[1])
            if plan.placements:
                pending.placements.add(key)
            if plan.certificates and officer.certificates:
                pending.certificates.add(key)
            if kind is _ISSUE:
                # Status-list entries are given out in log order, so rebuilds give the same.
                pending.indexes.append((event.number, next_idx))
                next_idx += 1
            actor = state["actor"]
            details = state.copy()  # the event's own fields: event_details(event), in C
            for name in base_fields:
                details.pop(name, None)
            timeline.append(
                (
                    position,
                    entry[1],
                    version,
                    plan.name,
                    state["effective_on"].isoformat(),
                    timestamp.isoformat(),
                    actor.id,
                    actor.role._value_,  # .value, without the enum property's Python-level call
                    dumps(details, default=json_value, option=sort_keys).decode(),
                )
            )
            if kind is not _OTHER:
                changes.extend(self._changes(position, event, officer, before))
            if len(timeline) >= TIMELINE_CHUNK:
                # Timeline rows depend on nothing else written: they go in chunks, and
                # the memory of one chunk serves the next.
                store.insert_many(self.views, cursor, "rm_timeline", TIMELINE_COLUMNS, timeline)
                timeline.clear()
                if len(touched) >= FLUSH_OFFICERS:
                    self._flush(cursor, pending)
        self._flush(cursor, pending)
        if self._swept_through != swept_before:
            store.execute(
                self.views,
                cursor,
                "INSERT INTO rm_meta VALUES ('swept_through', ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (self._swept_through.isoformat(),),
            )

    def _flush(self, cursor: Any, pending: _Pending) -> None:
        views = self.views
        store.insert_many(views, cursor, "rm_status_index", STATUS_INDEX_COLUMNS, pending.indexes)
        store.insert_many(views, cursor, "rm_timeline", TIMELINE_COLUMNS, pending.timeline)
        store.insert_many(views, cursor, "rm_changes", CHANGE_COLUMNS, pending.changes)
        self._write_officers(cursor, pending.officers, pending.placements, pending.certificates)
        store.execute_many(
            views,
            cursor,
            "UPDATE rm_certificates SET expiry_noted = ? WHERE number = ?",
            pending.noted,
        )
        self._remember(pending.officers)
        pending.clear()

    # ----------------------------------------------------------------- agencies

    def _agency(self, cursor: Any, event: Any) -> None:
        # An update does not repeat the code; the aggregate knows it (codes never change).
        code = event.__dict__.get("code") or self.app.repository.get(event.originator_id).code
        store.execute(
            self.views,
            cursor,
            "INSERT INTO rm_agencies VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (code) DO UPDATE SET "
            "name = excluded.name, region = excluded.region, districts = excluded.districts, "
            "shifts = excluded.shifts, in_house_course = excluded.in_house_course",
            (
                code,
                event.name,
                event.region,
                json.dumps(list(event.districts)),
                json.dumps(list(event.shifts)),
                int(event.in_house_course),
                event.effective_on.isoformat(),
            ),
        )

    # ----------------------------------------------------------------- officers

    def _officer_before(self, event: Any) -> Officer | None:
        """The officer as it stood just before `event` (None for an enrolment)."""
        if event.originator_version == 1:
            return None
        officer = self._officers.get(event.originator_id.int)
        if officer is None or officer.version != event.originator_version - 1:
            officer = self.app.repository.get(
                event.originator_id, version=event.originator_version - 1
            )
        return officer

    def _remember(self, touched: dict[int, tuple[Officer, str]]) -> None:
        """Keep the officers a batch touched, as the most recently used."""
        cache = self._officers
        for key, (officer, _) in touched.items():
            cache[key] = officer
            cache.move_to_end(key)
        while len(cache) > self.cache_size:
            key, _ = cache.popitem(last=False)
            self._placed.pop(key, None)

    def _changes(
        self, position: int, event: Any, officer: Officer, agency_before: str | None
    ) -> list[tuple[Any, ...]]:
        """Change-feed rows, one per agency concerned and certificate held."""
        if not isinstance(event, CHANGE_EVENTS):
            return []
        kind: str | None = None
        numbers: list[str] = []
        agencies = [officer.agency_on(None)]
        detail = ""
        if isinstance(event, Officer.CertificateIssued | Officer.CertificateRenewed):
            kind, numbers = CERTIFICATE_CHANGES[type(event)], [event.number]
            detail = f"expires {event.expires_on.isoformat()}"
        elif isinstance(event, Officer.CertificateActionRecorded):
            kind, numbers, detail = event.action, [event.number], event.reason
        elif isinstance(event, Officer.Separated):
            kind, numbers, agencies = "separated", _held(officer), [agency_before]
            detail = str(event.reason)
            if getattr(event, "reported_late", False):
                days = (event.timestamp.astimezone(self.zone).date() - event.effective_on).days
                detail += f"; reported late, {days} days after it took effect"
            if event.new_agency_code:
                agencies.append(event.new_agency_code)
        elif isinstance(event, Officer.Joined):
            kind, numbers = "transferred_in", _held(officer)
            detail = f"from {agency_before or 'unassociated'}"
        elif isinstance(event, Officer.PostStatusChanged):
            kind, numbers, detail = "post_status", _held(officer), str(event.status)
        elif isinstance(event, Officer.Corrected):
            target = officer.facts.get(event.corrects_version)
            kind, numbers = "corrected", _held(officer)
            detail = f"version {event.corrects_version}: {event.reason}"
            if target is None:
                return []
        if kind is None:
            return []
        recorded = event.timestamp.isoformat()
        return [
            (
                position,
                agency,
                number,
                str(officer.id),
                kind,
                event.effective_on.isoformat(),
                recorded,
                detail,
            )
            for agency in dict.fromkeys(agencies)
            for number in numbers
        ]

    def _write_officers(
        self,
        cursor: Any,
        officers: dict[int, tuple[Officer, str]],
        placements: Container[int] | None = None,
        certificates: Container[int] | None = None,
    ) -> None:
        """Write the rows of each officer again from its aggregate, a statement per table:
        its own row, and its placements and certificate rows if its key is in `placements`
        and `certificates` (None: all of them)."""
        officer_rows: list[tuple[Any, ...]] = []
        cleared: list[tuple[str]] = []  # officers whose placements are all written again
        removed: list[tuple[str, str]] = []  # (officer, from) of single placements
        added: list[tuple[Any, ...]] = []
        certificate_rows: list[tuple[Any, ...]] = []
        placed, expiries = self._placed, self._expiries
        for key, (officer, officer_id) in officers.items():
            officer_rows.append(_officer_row(officer_id, officer))
            if placements is None or key in placements:
                now = [(officer_id, *p) for p in officer_placements(officer)]
                before = placed.get(key)
                if before is None:
                    cleared.append((officer_id,))
                    added += now
                elif before != now:
                    # Usually one period closed and one opened: only those rows change.
                    kept = set(before) & set(now)
                    removed += [(r[0], r[1]) for r in before if r not in kept]
                    added += [r for r in now if r not in kept]
                placed[key] = now
            if certificates is None or key in certificates:
                rows = _certificate_rows(officer_id, officer)
                certificate_rows += rows
                for row in rows:
                    if row[4] is not None and expiries is not None:  # for the sweeps
                        expiries.push(row[4], row[0], officer_id)
        views = self.views
        store.execute_many(views, cursor, UPSERT_OFFICER, officer_rows)
        store.execute_many(views, cursor, "DELETE FROM rm_placements WHERE officer_id = ?", cleared)
        store.execute_many(
            views, cursor, "DELETE FROM rm_placements WHERE officer_id = ? AND from_on = ?", removed
        )
        store.insert_many(views, cursor, "rm_placements", PLACEMENT_COLUMNS, added)
        store.execute_many(views, cursor, UPSERT_CERTIFICATE, certificate_rows)

    # ------------------------------------------------------------------ expiry

    def sweep(self, cursor: Any, today: date, pending: _Pending) -> int:
        """Add an 'expired' change for each certificate whose expiry date has passed.

        Expiry is not an event: it happens when a date passes. Each expiry is noted
        once, when the log first reaches a day on or after it (the first event recorded
        that day), so the change feed is a function of the log alone and a rebuild
        gives exactly the same entries. The expiry dates come from a queue kept in
        memory (`_Expiries`), so a day on which nothing expires costs no query. A
        certificate of an officer the batch holds is judged from the aggregate, as its
        row will be written; any other from its row. A sweep's lapses are ordered by
        expiry date and number.
        """
        expiries = self._expiries
        if expiries is None:
            # Loaded at the first sweep (the first event of a new day), not before: a
            # command's catch-up on the same day needs none of it.
            expiries = self._expiries = _Expiries.load(self.views, cursor)
            for officer, officer_id in pending.officers.values():
                expiries.queue(officer, officer_id)
        lapses: list[tuple[Any, ...]] = []
        written: dict[str, None] = {}
        for expires_on, number, officer_id in expiries.due(today.isoformat()):
            key = pending.ids.get(officer_id)
            if key is None:
                written[number] = None  # its row says whether it is due
                continue
            officer = pending.officers[key][0]
            cert = officer.certificates[number]
            current = cert.expires_on() if cert.issued() else None
            if current is None or current.isoformat() != expires_on:
                continue  # renewed (or voided) since it was queued
            if expiries.noted.get(number, "") >= expires_on:
                continue
            expiries.noted[number] = expires_on
            pending.noted.append((expires_on, number))
            if status_on(certificate_timeline(officer, number), current)[0] in NO_LAPSE:
                continue
            agencies = [
                agency
                for since, until, agency, _, _ in officer_placements(officer)
                if since <= expires_on and (until is None or until > expires_on)
            ]
            lapses += [_lapse(a, number, officer_id, expires_on) for a in agencies or [None]]
        numbers, noted = list(written), []
        for chunk in range(0, len(numbers), 500):
            part = numbers[chunk : chunk + 500]
            rows = store.fetch(
                self.views,
                cursor,
                DUE + f" AND c.number IN ({', '.join('?' * len(part))})",
                (today.isoformat(), *part),
            )
            for row in rows:
                noted.append((row["number"],))
                expiries.noted[row["number"]] = row["expires_on"]
                timeline = json.loads(row["timeline"])
                if status_on(timeline, date.fromisoformat(row["expires_on"]))[0] in NO_LAPSE:
                    continue
                lapses.append(
                    _lapse(row["agency_code"], row["number"], row["officer_id"], row["expires_on"])
                )
        store.execute_many(
            self.views,
            cursor,
            "UPDATE rm_certificates SET expiry_noted = expires_on WHERE number = ?",
            noted,
        )
        lapses.sort(key=lambda r: (r[5], r[2], r[1] or ""))
        pending.changes.extend(lapses)
        if self._swept_through is None or today > self._swept_through:
            self._swept_through = today
        return len(lapses)

    def _load_swept_through(self, cursor: Any) -> date | None:
        """The last day swept, as recorded with the rows (so a restart sweeps no earlier)."""
        rows = store.fetch(
            self.views, cursor, "SELECT value FROM rm_meta WHERE key = 'swept_through'"
        )
        return date.fromisoformat(rows[0]["value"]) if rows else None


class _Pending:
    """Rows of a batch not yet written, and what the sweeps need to know of them."""

    def __init__(self) -> None:
        #: Officers touched, by their id's integer: (officer, id as text).
        self.officers: dict[int, tuple[Officer, str]] = {}
        #: Their keys by their ids as text.
        self.ids: dict[str, int] = {}
        self.timeline: list[tuple[Any, ...]] = []
        self.changes: list[tuple[Any, ...]] = []
        self.indexes: list[tuple[str, int]] = []
        #: Keys of the officers whose placements, and whose certificate rows, may have
        #: changed (see ROWS_CHANGED).
        self.placements: set[int] = set()
        self.certificates: set[int] = set()
        #: (expiry date, number) noted by sweeps for their certificates: written after
        #: their rows (a certificate issued in the batch has no row before).
        self.noted: list[tuple[str, str]] = []

    def clear(self) -> None:
        self.officers.clear()
        self.ids.clear()
        self.placements.clear()
        self.certificates.clear()
        self.indexes.clear()
        self.timeline.clear()
        self.changes.clear()
        self.noted.clear()


class _Expiries:
    """What the sweeps need to know of every certificate: the expiry dates not yet noted,
    soonest first (a heap of (expiry date, number, officer id)), and the expiry date last
    noted for each certificate. Loaded from rm_certificates at a projection's first sweep,
    then kept as rows are written and expiries noted. An entry may be out of date (the
    certificate renewed since): the sweep checks each one it takes."""

    def __init__(self) -> None:
        self.heap: list[tuple[str, str, str]] = []
        self._queued: set[tuple[str, str]] = set()
        self.noted: dict[str, str] = {}

    @classmethod
    def load(cls, views: Views, cursor: Any) -> _Expiries:
        expiries = cls()
        rows = store.fetch(
            views,
            cursor,
            "SELECT number, officer_id, expires_on, expiry_noted FROM rm_certificates "
            "WHERE expires_on IS NOT NULL OR expiry_noted IS NOT NULL",
        )
        for row in rows:
            if row["expiry_noted"] is not None:
                expiries.noted[row["number"]] = row["expiry_noted"]
            if row["expires_on"] is not None:
                expiries.push(row["expires_on"], row["number"], row["officer_id"])
        return expiries

    def push(self, expires_on: str, number: str, officer_id: str) -> None:
        """Queue an expiry date, unless it is queued or noted already."""
        entry = (expires_on, number)
        if entry not in self._queued and self.noted.get(number, "") < expires_on:
            self._queued.add(entry)
            heapq.heappush(self.heap, (expires_on, number, officer_id))

    def queue(self, officer: Officer, officer_id: str) -> None:
        """Queue the expiry date of each of an officer's certificates, as it stands."""
        for number, cert in officer.certificates.items():
            expires_on = cert.expires_on()
            if expires_on is not None and cert.issued() is not None:
                self.push(expires_on.isoformat(), number, officer_id)

    def due(self, day: str) -> list[tuple[str, str, str]]:
        """Take every entry whose date is on or before `day`, soonest first."""
        heap, taken = self.heap, []
        while heap and heap[0][0] <= day:
            entry = heapq.heappop(heap)
            self._queued.discard(entry[:2])
            taken.append(entry)
        return taken


#: Certificates whose expiry date has come (by the date given) and is not noted yet.
DUE = (
    "SELECT c.number, c.officer_id, c.expires_on, c.timeline, p.agency_code "
    "FROM rm_certificates c LEFT JOIN rm_placements p ON p.officer_id = c.officer_id "
    "AND p.from_on <= c.expires_on AND (p.until_on IS NULL OR p.until_on > c.expires_on) "
    "WHERE c.expires_on <= ? AND (c.expiry_noted IS NULL OR c.expiry_noted < c.expires_on)"
)


def _lapse(agency: str | None, number: str, officer_id: str, expires_on: str) -> tuple[Any, ...]:
    """A change-feed row for a certificate not renewed by its expiry date."""
    return (None, agency, number, officer_id, "expired", expires_on, None, NOT_RENEWED)


UPSERT_OFFICER = (
    "INSERT INTO rm_officers VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (officer_id) DO UPDATE SET post_number = excluded.post_number, "
    "name = excluded.name, role = excluded.role, agency_code = excluded.agency_code, "
    "district = excluded.district, shift = excluded.shift, "
    "post_status = excluded.post_status, withheld = excluded.withheld, "
    "version = excluded.version"
)
UPSERT_CERTIFICATE = (
    "INSERT INTO rm_certificates VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, "
    "(SELECT idx FROM rm_status_index WHERE number = ?)) "
    "ON CONFLICT (number) DO UPDATE SET "
    "issued_on = excluded.issued_on, expires_on = excluded.expires_on, "
    "cycle_start = excluded.cycle_start, ce_hours = excluded.ce_hours, "
    "mandated = excluded.mandated, timeline = excluded.timeline"
)


def _officer_row(officer_id: str, officer: Officer) -> tuple[Any, ...]:
    """The rm_officers row of an officer, as it stands now."""
    assignment = officer.assignment_on(None)
    statuses = [p for p in officer.post_statuses if not p.void]
    latest_post = max(statuses, key=EFFECTIVE_ORDER).status if statuses else None
    return (
        officer_id,
        officer.post_number,
        officer.name,
        officer.role.value,
        officer.agency_on(None),
        assignment.district if assignment else None,
        assignment.shift if assignment else None,
        latest_post.value if latest_post else None,
        int(officer.withheld),
        officer.version,
    )


def _certificate_rows(officer_id: str, officer: Officer) -> list[tuple[Any, ...]]:
    """The rm_certificates rows of an officer's certificates (the status index is looked up)."""
    rows = []
    for number, cert in officer.certificates.items():
        issued = cert.issued()
        expires_on = cert.expires_on()
        cycle_start, ce_hours = None, 0.0
        if issued is not None:
            start, expiry = officer.renewal_cycle(number, date.max)
            cycle_start, ce_hours = start.isoformat(), officer.ce_hours(number, start, expiry)
        rows.append(
            (
                number,
                officer_id,
                cert.credential.value,
                issued.effective_on.isoformat() if issued else None,
                expires_on.isoformat() if expires_on and issued else None,
                cycle_start,
                ce_hours,
                int(cert.mandated),
                json.dumps(certificate_timeline(officer, number)),
                number,
            )
        )
    return rows


def officer_placements(
    officer: Officer,
) -> list[tuple[str, str | None, str, str | None, str | None]]:
    """(from, until, agency, district, shift) for each period the officer served an agency."""
    # One pass over the facts in effective order, as `agency_on` and `assignment_on`
    # would answer on each date (each of them sorts the facts again on every call).
    jobs = sorted((f for f in officer.employment if not f.void), key=EFFECTIVE_ORDER)
    posts = sorted((a for a in officer.assignments if not a.void), key=EFFECTIVE_ORDER)
    points = sorted({f.effective_on for f in jobs} | {a.effective_on for a in posts})
    agency: str | None = None
    latest: dict[str | None, Any] = {}  # agency -> its last assignment effective so far
    i = j = 0
    periods: list[list[Any]] = []
    last: tuple[Any, ...] | None = None  # where the last period was
    for day in points:
        while i < len(jobs) and jobs[i].effective_on <= day:
            agency = None if jobs[i].separation else jobs[i].agency_code
            i += 1
        while j < len(posts) and posts[j].effective_on <= day:
            latest[posts[j].agency_code] = posts[j]
            j += 1
        assignment = latest.get(agency)
        where = (
            (agency, assignment.district, assignment.shift) if assignment else (agency, None, None)
        )
        if where == last:
            continue
        last = where
        since = day.isoformat()
        if periods:
            periods[-1][1] = since
        periods.append([since, None, *where])
    return [tuple(p) for p in periods if p[2] is not None]  # type: ignore[misc]


def status_on(timeline: list[list[Any]], on: date) -> tuple[str, str | None, str]:
    """(status, expires_on, reason) on a date, from a certificate's timeline."""
    day = on.isoformat()
    current: tuple[str, str | None, str] = (CertificateStatus.NOT_YET_ISSUED.value, None, "")
    for start, status, expires_on, reason in timeline:
        if start > day:
            break
        current = (status, expires_on, reason)
    return current


def _held(officer: Officer) -> list[str]:
    """The officer's certificates that were issued (not voided)."""
    return [n for n, c in officer.certificates.items() if c.issued() is not None]
