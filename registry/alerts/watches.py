"""Hiring agencies watching candidates they do not employ (`domain.webhooks.Watch`).

An agency watches the officers it employs without asking (the change feed names it). To
watch a candidate, it gives the certificate number and the POST number the candidate
handed over; a refusal does not say which of the two was wrong. A watch lasts the
policy's `candidate_watch_days` at most, and ends by itself then; the agency may end it
sooner. The candidate's record lists who watches it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, timedelta

from eventsourcing.persistence import IntegrityError
from eventsourcing.utils import get_topic

from registry.application import Registry
from registry.domain import rules
from registry.domain.errors import NotFound, RuleViolation
from registry.domain.values import Actor
from registry.domain.webhooks import Watch
from registry.storage import CreatedIds


@dataclass(frozen=True)
class WatchInfo:
    id: str
    agency_code: str
    officer_id: str
    certificate_number: str
    started_on: date
    ends_on: date
    ended_on: date | None
    ended_reason: str
    active: bool


class Watches:
    def __init__(self, app: Registry) -> None:
        self.app = app
        self._made = CreatedIds(app.recorder, get_topic(Watch.Created))

    def start(self, agency_code: str, number: str, post_number: str, actor: Actor) -> WatchInfo:
        """Watch the candidate holding certificate `number` under `post_number`."""
        agency = self.app.agency(agency_code)
        today = self.app.clock()
        unknown = NotFound("no certificate with that number is held under that POST number")
        try:
            officer = self.app.officer(post_number.strip())
        except NotFound:
            raise unknown from None
        number = number.strip().upper()
        same_post = officer.post_number.upper() == post_number.strip().upper()
        if not same_post or number not in officer.certificates:
            raise unknown
        if officer.agency_on(today) == agency.code:
            raise RuleViolation(
                rules.WATCH_EMPLOYER, f"{agency.code} employs this officer: it is told already"
            )
        officer_id = str(officer.id)
        earlier = [w for w in self.of(agency.code) if w.officer_id == officer_id]
        if any(w.active for w in earlier):
            raise RuleViolation(rules.WATCH_EXISTS, f"{agency.code} watches this candidate already")
        # The agency's nth watch of this candidate has one id: two starts sent at once (in
        # any processes) make the same aggregate, and the log takes only one.
        nth = hashlib.sha256(f"{agency.code}\n{officer_id}\n{len(earlier)}".encode())
        ends_on = today + timedelta(days=self.app.policy.candidate_watch_days)
        with self.app.recording():
            watch = Watch(
                watch_id="wt_" + nth.hexdigest()[:16], agency_code=agency.code,
                officer_id=officer_id, certificate_number=number, ends_on=ends_on,
                effective_on=today, actor=actor,
            )  # fmt: skip
        try:
            self.app.save(watch)
        except IntegrityError:
            raise RuleViolation(
                rules.WATCH_EXISTS, f"{agency.code} watches this candidate already"
            ) from None
        return self._info(watch)

    def end(self, watch_id: str, reason: str, actor: Actor) -> WatchInfo:
        watch = self.get(watch_id)
        with self.app.recording():
            watch.end(reason=reason, effective_on=self.app.clock(), actor=actor)
        self.app.save(watch)
        return self._info(watch)

    def get(self, watch_id: str) -> Watch:
        found = None
        if 0 < len(watch_id) <= 64:
            found = self.app.stored(Watch.create_id(watch_id), Watch)
        if found is None:
            raise NotFound(f"no watch {watch_id}")
        return found

    def all(self) -> list[Watch]:
        """Every watch ever made, oldest first."""
        return [self.app.repository.get(i) for i in self._made()]

    def of(self, agency_code: str) -> list[WatchInfo]:
        return [self._info(w) for w in self.all() if w.agency_code == agency_code]

    def watching(self, officer_id: str) -> list[WatchInfo]:
        """Who watches an officer today, as the candidate's record shows it."""
        today = self.app.clock()
        return [self._info(w) for w in self.all() if w.officer_id == officer_id
                and w.active_on(today)]  # fmt: skip

    def _info(self, watch: Watch) -> WatchInfo:
        return WatchInfo(
            id=watch.watch_id, agency_code=watch.agency_code, officer_id=watch.officer_id,
            certificate_number=watch.certificate_number, started_on=watch.started_on,
            ends_on=watch.ends_on, ended_on=watch.ended_on, ended_reason=watch.ended_reason,
            active=watch.active_on(self.app.clock()),
        )  # fmt: skip
