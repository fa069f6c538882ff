"""Routes of the public web: the verification page, a certificate's answer, the token page,
the agencies and the transparency page, and the files they load.

Every page reads through the same queries as the API (`registry.projections.queries`)
and shows what the API shows the public. Every route declares its roles, as the API's do.
"""

from __future__ import annotations

import base64
import re
from contextlib import suppress
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from registry.api.auth import EVERYONE, allow
from registry.api.routes.certifications import LOOKUPS
from registry.api.services import Services, services_of
from registry.api.shapes import CERTIFICATE_NUMBER, DATE_RANGE, in_range
from registry.audit import checkpoints
from registry.domain.errors import InvalidInput, NotFound
from registry.projections import queries
from registry.web import (
    admin_console,
    agency_console,
    assets,
    card,
    forms,
    history,
    imports_console,
    signing_console,
    staff,
    state_console,
    watches_console,
    webhooks_console,
)
from registry.web.pages import render
from registry.web.words import TIERS, status_words

router = APIRouter(include_in_schema=False, dependencies=[allow(*EVERYONE)])
Svc = Annotated[Services, Depends(services_of)]

#: A compact JWS, as a visitor might paste one: three base64url parts, the last may be empty.
TOKEN = re.compile(r"[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
#: The longest query a page reads: a token is at most 8 KiB.
MAX_QUERY = 8192


@router.get("/")
def home(request: Request) -> HTMLResponse:
    """The verification page: one field, a number or a token."""
    return render(request, "index.html", title="Verify a CIT certificate", q="", on="", error=None)


@router.get("/verify", response_model=None)
async def verify(
    request: Request,
    services: Svc,
    q: Annotated[str, Query(max_length=MAX_QUERY)] = "",
    on: Annotated[str, Query(max_length=40)] = "",
) -> Response:
    """A certificate's status in words, rendered here; a pasted token goes to the token page.

    The look-up is the JSON look-up's (`LOOKUPS`: those that arrive together are answered
    by one query, in the event loop); one that finds nothing, or whose query failed, is
    asked again on its own, which says not found or raises the database's error."""
    asked = q.strip()
    if not asked:
        return _asked_again(request, "", "Enter a certificate number or a token.")
    if TOKEN.fullmatch(asked):
        # The token page reads it from the fragment: no server ever sees it again.
        return RedirectResponse(f"/v#{asked}", status_code=303)
    day = services.today()
    if on.strip():
        try:
            day = _date(on.strip())
        except InvalidInput as e:
            return _asked_again(request, asked, e.message, on=on)
    status = None
    if CERTIFICATE_NUMBER.fullmatch(asked):
        status = await LOOKUPS.status(services, asked.upper(), day)
        if status is None:
            with suppress(NotFound):
                status = await run_in_threadpool(
                    queries.certificate_status, services.views, asked, day
                )
    if status is None:
        return render(request, "not_found.html", 404, title="Certificate not found", q=asked, on=on)
    cert = queries.public_view(status)
    agency = cert.agency_code and queries.agency_name(services.views, cert.agency_code)
    return render(
        request,
        "verify.html",
        title=f"Certificate {status.number}",
        cert=cert,
        agency_name=agency or cert.agency_code,
        words=status_words(status.status),
        asked_on=day if on.strip() else None,
        as_of=services.registry.now(),
        today=services.today(),
    )


def _date(text: str) -> date:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"“{text}” is not a date: write it as YYYY-MM-DD.") from None
    if len(text) != 10 or not in_range(day):
        raise InvalidInput(f"Give a date as YYYY-MM-DD, {DATE_RANGE}.")
    return day


def _asked_again(request: Request, q: str, error: str, on: str = "") -> HTMLResponse:
    return render(
        request, "index.html", 422, title="Verify a CIT certificate", q=q, on=on, error=error
    )


@router.get("/v")
def token_page(request: Request, services: Svc) -> HTMLResponse:
    """The token page: the token is in the fragment, verified by the page's own script."""
    signing = services.signing
    return render(
        request,
        "token.html",
        title="Verify a certificate token",
        zone=services.settings.timezone,
        status_list=signing.status_list_uri(),
    )


@router.get("/agencies")
def agencies(
    request: Request, services: Svc, q: Annotated[str, Query(max_length=100)] = ""
) -> HTMLResponse:
    """Every agency with its tier, or those whose name, code or region holds `q`."""
    wanted = q.strip().casefold()
    found = [
        tier
        for tier in queries.tiers(services.views, services.today())
        if not wanted
        or wanted in tier.name.casefold()
        or wanted in tier.code.casefold()
        or wanted in tier.region.casefold()
    ]
    return render(request, "agencies.html", title="Agencies", q=q.strip(), agencies=found,
                  tiers=TIERS)  # fmt: skip


@router.get("/agencies/{code}", response_model=None)
def agency(request: Request, code: str, services: Svc) -> Response:
    """An agency's public facts: its tier and its officers with CIT in force."""
    today = services.today()
    try:
        tier = queries.agency_tier(services.views, code, today)
    except NotFound:
        return render(request, "not_found.html", 404, title="Agency not found", q=code, on="",
                      what="agency")  # fmt: skip
    coverage = queries.coverage(services.views, tier.code, today, services.registry.policy)
    return render(
        request,
        "agency.html",
        title=tier.name,
        agency=tier,
        tier=TIERS[tier.tier],
        patrol=coverage.patrol_officers,
        certified_patrol=coverage.certified_patrol_officers,
        share=coverage.share,
        target=coverage.target,
        today=today,
    )


@router.get("/transparency")
def transparency(request: Request, services: Svc) -> HTMLResponse:
    """The latest signed checkpoint of the log, its key, and how to check it."""
    kept = checkpoints.latest_kept(services.views)
    latest = None
    if kept is not None:
        latest = {
            "size": kept.size,
            "root_b64": base64.b64encode(kept.root).decode(),
            "note": kept.note,
            "signed_at": datetime.fromisoformat(kept.made_at).astimezone(services.settings.zone()),
        }
    return render(
        request,
        "transparency.html",
        title="Transparency",
        checkpoint=latest,
        log_keys=services.signing.log_keys(),
        issuer=services.signing.issuer,
    )


@router.get("/static/{name}")
def static(name: str, request: Request) -> Response:
    """A file the pages load (style, script, icon), with an ETag to revalidate it by."""
    return assets.response(name, request)


@router.get("/sw.js")
def service_worker(request: Request) -> Response:
    """The service worker that keeps the token page working offline (at the root, so that
    its scope covers /v)."""
    return assets.response("sw.js", request)


@router.get("/favicon.ico")
def favicon(request: Request) -> Response:
    return assets.response("icon.svg", request)


#: The web's routers, in the order requests are matched.
ROUTERS = [
    router,
    card.router,
    staff.router,
    history.router,
    agency_console.router,
    forms.router,
    state_console.router,
    imports_console.router,
    admin_console.router,
    signing_console.router,
    webhooks_console.router,
    watches_console.router,
]
