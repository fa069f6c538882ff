"""What the console's forms do: one action for each command of the HTTP API, with the
API route's roles and its scope check.

The scope checks are the API routes' own functions (`in_agency`, `in_academy`,
`scoped_officer`, `officer_of`, `holder_of`), called in the same order, so a form
refuses exactly what the same person's API key would be refused; the rules of authority
(who may issue or renew) are decided with the command itself, for both.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from registry.access import Caller
from registry.api.auth import in_academy, in_agency
from registry.api.routes.certifications import holder_of
from registry.api.routes.officers import officer_of, scoped_officer
from registry.api.services import Services
from registry.domain import commands as c
from registry.domain.access import ApiRole

STATE, ACADEMY, AGENCY = ApiRole.STATE, ApiRole.ACADEMY, ApiRole.AGENCY
#: What a form is about, given in its address: an officer, a certificate, an agency or an
#: academy (its field of the command: officer, number, code), or nothing yet.
About = Literal["officer", "certificate", "agency", "academy"] | None
Scope = Callable[[Services, Caller, c.Command], None]


def _none(services: Services, caller: Caller, command: c.Command) -> None:
    """The state's commands: its role is the whole check."""


def _officer_in_scope(services: Services, caller: Caller, command: c.Command) -> None:
    scoped_officer(services, caller, command.officer)  # type: ignore[attr-defined]


def _officer(services: Services, caller: Caller, command: c.Command) -> None:
    officer_of(services, command.officer)  # type: ignore[attr-defined]


def _enrol(services: Services, caller: Caller, command: c.Command) -> None:
    in_agency(caller, command.agency_code)  # type: ignore[attr-defined]


def _training(services: Services, caller: Caller, command: c.Command) -> None:
    officer_of(services, command.officer)  # type: ignore[attr-defined]
    in_academy(caller, command.academy_code)  # type: ignore[attr-defined]


def _transfer(services: Services, caller: Caller, command: c.Command) -> None:
    officer_of(services, command.officer)  # type: ignore[attr-defined]
    in_agency(caller, command.agency_code)  # type: ignore[attr-defined]


def _certificate(services: Services, caller: Caller, command: c.Command) -> None:
    holder_of(services, command.number)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Action:
    """One form: the command it sends, who may send it, and what it is about."""

    slug: str
    title: str
    command: type[c.Command]
    roles: tuple[ApiRole, ...]
    about: About
    scope: Scope
    summary: str


ACTIONS = [
    Action("enrol", "Enrol an officer", c.EnrolOfficer, (STATE, AGENCY), None, _enrol,
           "Add an officer or telecommunicator to an agency under their POST number."),
    Action("assign", "Assign district and shift", c.AssignOfficer, (STATE, AGENCY),
           "officer", _officer_in_scope, "Place an officer in a district and shift."),
    Action("training", "Record a training", c.RecordTraining, (STATE, ACADEMY), "officer",
           _training, "A CIT academy week, continuing education, a dispatcher or youth "
           "course, or awareness training, completed at an academy."),
    Action("exam", "Record an exam", c.RecordExam, (STATE, ACADEMY), "officer",
           _officer_in_scope, "The result of the State CIT written or scenario exam."),
    Action("issue", "Issue a certificate", c.IssueCertificate, (STATE, ACADEMY), "officer",
           _officer, "Issue a CIT certificate once the officer meets every rule."),
    Action("renew", "Renew a certificate", c.RenewCertificate, (STATE, ACADEMY),
           "certificate", _certificate, "Renew for another cycle, once the continuing "
           "education hours of this cycle are recorded."),
    Action("separation", "Report a separation", c.SeparateOfficer, (STATE, AGENCY),
           "officer", _officer_in_scope, "The officer left the agency. Report it within "
           "30 days of the day they left: a later report is recorded as late."),
    Action("transfer", "Receive a transfer", c.TransferOfficer, (STATE, AGENCY), "officer",
           _transfer, "Take on an officer who has separated from their agency; their "
           "certificates keep their numbers and expiry dates."),
    Action("post-status", "Change POST status", c.ChangePostStatus, (STATE, AGENCY),
           "officer", _officer_in_scope, "A CIT certificate is in force only while the "
           "holder's POST certification is active."),
    Action("suspend", "Suspend a certificate", c.SuspendCertificate, (STATE,),
           "certificate", _certificate, "Not in force until the state reinstates it."),
    Action("reinstate", "Reinstate a certificate", c.ReinstateCertificate, (STATE,),
           "certificate", _certificate, "Lift a suspension."),
    Action("revoke", "Revoke a certificate", c.RevokeCertificate, (STATE,), "certificate",
           _certificate, "A revoked certificate can never be renewed or reinstated."),
    Action("correct", "Correct a record", c.CorrectRecord, (STATE,), "officer",
           _officer_in_scope, "Void or amend what was recorded at a version of the "
           "officer's history. Nothing is deleted: the correction is recorded too."),
    Action("withhold", "Withhold or release the public record", c.WithholdRecord, (STATE,),
           "officer", _officer_in_scope, "The public then sees the certificates without "
           "the holder's name or agency (undercover work, a protective order)."),
    Action("register-agency", "Register an agency", c.RegisterAgency, (STATE,), None, _none,
           "An agency with its region, districts and shifts, under a code no other has."),
    Action("update-agency", "Change an agency", c.UpdateAgency, (STATE,), "agency", _none,
           "Its name, region, districts, shifts or in-house course. Leave a field empty "
           "to keep it as it is."),
    Action("register-academy", "Register an academy", c.RegisterAcademy, (STATE,), None,
           _none, "A training academy, state-certified or not."),
    Action("academy-certification", "Certify an academy or withdraw it",
           c.ChangeAcademyCertification, (STATE,), "academy", _none,
           "Only a state-certified academy's training staff may issue and renew."),
]  # fmt: skip
BY_SLUG = {a.slug: a for a in ACTIONS}


def for_role(role: ApiRole, about: About = None) -> list[Action]:
    """The actions a role may take (about one kind of subject, or all of them)."""
    return [a for a in ACTIONS if role in a.roles and (about is None or a.about == about)]
