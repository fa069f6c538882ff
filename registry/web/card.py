"""The wallet card: a certificate in force, printed at credit-card size (ID-1) with a QR
code that holds its signed token, for the holder to carry and a receiving department to
scan into the token page (`<issuer>/v#<token>`).

Who may print one is who may take a token: the state, or the agency the holder serves
today. The route uses the token route's roles and scope check, not checks of its own.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from registry.access import Caller
from registry.api.routes.certifications import TokenTaker, holder_of
from registry.api.routes.officers import in_scope
from registry.api.services import Services, services_of
from registry.api.shapes import CERTIFICATE_NUMBER
from registry.domain.access import ApiRole
from registry.domain.errors import NotFound, RuleViolation
from registry.domain.values import CertificateStatus
from registry.projections import queries
from registry.signing import jws
from registry.signing.service import NOT_IN_FORCE
from registry.web.pages import render
from registry.web.qr import qr_svg
from registry.web.staff import StaffCaller, StaffGate
from registry.web.words import credential_name, status_words

router = APIRouter(include_in_schema=False)
Svc = Annotated[Services, Depends(services_of)]
#: Who prints a card from the console: as who takes a token, and training staff too.
Printer = Annotated[StaffCaller, Depends(StaffGate(ApiRole.STATE, ApiRole.AGENCY, ApiRole.ACADEMY))]


#: The card is for the caller who signed in: no shared cache keeps it, nor its token.
NO_STORE = {"Cache-Control": "no-store", "Vary": "Authorization"}
#: Characters a line of the printed card holds at the normal size (the holder's name, the
#: other facts), in the widest of the fonts a browser may print with (DejaVu Sans), and
#: the lines those three may take: at most 5 (3 for the name, 2 each for the others, as
#: the style sheet clamps them) fit only in the smaller type.
NAME_WIDTH, FACT_WIDTH, ROOM = 18, 26, 5
#: What would let a card be printed again, by status (none: it never can be).
AGAIN = {
    CertificateStatus.NOT_YET_ISSUED: "A card can be printed from the day it is issued.",
    CertificateStatus.EXPIRED: "A card can be printed again once the certificate is renewed.",
    CertificateStatus.SUSPENDED: "A card can be printed again if the state reinstates it.",
    CertificateStatus.POST_NOT_ACTIVE: (
        "A card can be printed again once the holder's POST certification is active."
    ),
    CertificateStatus.BASE_NOT_IN_FORCE: (
        "A card can be printed again once the CIT Officer certificate it builds on is in force."
    ),
}


@dataclass(frozen=True)
class Card:
    """What the card shows: the claims of the token its QR code holds, in words."""

    number: str
    holder: str | None  # None: withheld, as the token withholds it
    agency: str | None
    credential: str
    issued_on: date
    expires_on: date
    scan_until: date  # the token's own expiry: a reprint is needed after it

    @property
    def density(self) -> str:
        """The card's type: "dense" (smaller) when the holder, credential and agency would
        wrap onto more lines than the printed card has room for at the normal size, else
        "" (the normal size)."""
        lines = sum(
            len(textwrap.wrap(text or "-", width))
            for text, width in ((self.holder, NAME_WIDTH), (self.credential, FACT_WIDTH),
                                (self.agency, FACT_WIDTH))
        )  # fmt: skip
        return "" if lines <= ROOM else "dense"


def short_date(day: date) -> str:
    """`2027-09-15` as `15 Sep 2027`: the long date, short enough for a card."""
    return f"{day.day} {day:%b %Y}"


@router.get("/certifications/{number}/card")
def card(request: Request, number: str, services: Svc, caller: TokenTaker) -> HTMLResponse:
    """The printable wallet card of a certificate in force today; 422 with what stands in
    the way for any other."""
    return card_page(request, services, caller, number)


@router.get("/staff/certifications/{number}/card")
def staff_card(request: Request, number: str, services: Svc, caller: Printer) -> HTMLResponse:
    """The same card for a signed-in person: the state, the agency the holder serves, or
    training staff of an academy where the holder trained."""
    return card_page(request, services, caller, number)


def card_page(request: Request, services: Services, caller: Caller, number: str) -> HTMLResponse:
    """The card of certificate `number`, once `caller` is in scope for its holder."""
    if not CERTIFICATE_NUMBER.fullmatch(number.strip()):
        raise NotFound(f"no certificate {number!r}")
    number = number.strip().upper()
    in_scope(caller, holder_of(services, number), services.today())
    try:
        token = services.signing.issue_token(number)
    except RuleViolation as e:
        if e.rule != NOT_IN_FORCE:
            raise
        return _not_in_force(request, services, number)
    link = f"{services.signing.issuer}/v#{token}"
    shown = _card(services, jws.claims_of(jws.parse(token)))
    return render(
        request,
        "card.html",
        headers=NO_STORE,
        title=f"Wallet card for certificate {shown.number}",
        registry=request.app.title,
        card=shown,
        qr=qr_svg(link),
        short_date=short_date,
        refused=None,
    )


def _card(services: Services, claims: dict[str, Any]) -> Card:
    code = claims.get("agency")
    zone = services.settings.zone()
    return Card(
        number=claims["sub"],
        holder=claims.get("name"),
        agency=None if code is None else _agency(services, code),
        credential=credential_name(claims["credential"]),
        issued_on=date.fromisoformat(claims["issued_on"]),
        expires_on=date.fromisoformat(claims["expires_on"]),
        scan_until=datetime.fromtimestamp(claims["exp"], UTC).astimezone(zone).date(),
    )


def _agency(services: Services, code: str) -> str:
    """An agency by its name and code, `Salt Lake City Police (SLCPD)`."""
    name = queries.agency_name(services.views, code)
    return code if name is None else f"{name} ({code})"


def _not_in_force(request: Request, services: Services, number: str) -> HTMLResponse:
    status = queries.certificate_status(services.views, number, services.today())
    return render(
        request,
        "card.html",
        422,
        headers=NO_STORE,
        title=f"No card for certificate {status.number}: not in force",
        registry=request.app.title,
        card=None,
        qr=None,
        refused={
            "number": status.number,
            "words": status_words(status.status),
            "reason": status.reason,
            "again": AGAIN.get(status.status, "No card can be printed for it."),
        },
    )
