"""What the pages say: each certificate status and agency tier in words, with its icon.

Status is never told by colour alone: each has its words and an icon of its own shape;
the colour only repeats them.
"""

from __future__ import annotations

from dataclasses import dataclass

from registry.domain.values import CertificateStatus, Credential

CREDENTIALS = {
    Credential.CIT_OFFICER: "CIT Officer",
    Credential.CIT_TELECOMMUNICATOR: "CIT Telecommunicator (911 dispatch)",
    Credential.CIT_YOUTH: "CIT-Y (youth), an add-on to CIT Officer",
}


def credential_name(credential: Credential | str) -> str:
    """A credential as people call it."""
    return CREDENTIALS.get(Credential(credential), str(credential))


@dataclass(frozen=True)
class Words:
    """A status as a page shows it: its heading, a sentence, an icon and a tone."""

    label: str
    sentence: str
    icon: str  # the name of an icon in templates/icons.html
    tone: str  # good, warn, bad or neutral: the colour, which only repeats the words


S = CertificateStatus
STATUS_WORDS = {
    S.IN_FORCE: Words("In force", "The certificate is in force.", "check", "good"),
    S.NOT_YET_ISSUED: Words(
        "Not yet issued", "The certificate was not yet issued on that day.", "clock", "neutral"
    ),
    S.EXPIRED: Words(
        "Expired", "The certificate was not renewed before its expiry date.", "clock", "bad"
    ),
    S.SUSPENDED: Words(
        "Suspended",
        "The state has suspended the certificate: not valid while suspended.",
        "pause",
        "warn",
    ),
    S.REVOKED: Words("Revoked", "The state has revoked the certificate.", "cross", "bad"),
    S.POST_NOT_ACTIVE: Words(
        "Not in force: POST certification not active",
        "The holder's POST certification is not active, so the CIT certificate is not in force.",
        "pause",
        "warn",
    ),
    S.BASE_NOT_IN_FORCE: Words(
        "Not in force: the CIT certificate it builds on is not",
        "This credential needs the holder's CIT Officer certificate in force, and it is not.",
        "pause",
        "warn",
    ),
    S.VOIDED: Words(
        "Voided",
        "The certificate was recorded in error and voided by a correction.",
        "cross",
        "bad",
    ),
    S.DECEASED: Words(
        "Officer deceased",
        "The holder has died; the certificate ended on that day.",
        "ribbon",
        "neutral",
    ),
}


def status_words(status: CertificateStatus) -> Words:
    return STATUS_WORDS[status]


@dataclass(frozen=True)
class Tier:
    label: str
    sentence: str
    icon: str
    tone: str


TIERS = {
    "state_certified": Tier(
        "Best practice: state-certified CIT",
        "Officers of this agency hold the state's CIT certification, in force today: "
        "the 40-hour academy, the state exams, and continuing education to renew.",
        "check",
        "good",
    ),
    "in_house_only": Tier(
        "In-house course only: claims CIT",
        "The agency runs a crisis course of its own, but none of its officers holds the "
        "state's CIT certification in force.",
        "half",
        "warn",
    ),
    "none": Tier(
        "No CIT",
        "None of the agency's officers holds the state's CIT certification in force, and it "
        "reports no crisis course of its own.",
        "dash",
        "neutral",
    ),
}
