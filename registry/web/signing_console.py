"""The state office's page for the registry's signing keys: the token key and the
checkpoint key, each key ever published with when it was retired and why; rotate (a new
key signs from now on) and retire (what a key signed no longer verifies), as the API's
`/v1/signing-keys` routes do, through the same signing service.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from starlette.exceptions import HTTPException

from registry.api.services import Services, services_of
from registry.domain.access import ApiRole
from registry.domain.errors import RegistryError
from registry.staff import StaffCaller
from registry.web.staff import (
    SESSION,
    StaffGate,
    check_form,
    cookie_of,
    page,
    read_form,
    redirect,
    session_form_token,
)

router = APIRouter(include_in_schema=False)
Svc = Annotated[Services, Depends(services_of)]
State = Annotated[StaffCaller, Depends(StaffGate(ApiRole.STATE))]
#: The keys' purposes, and what each signs.
PURPOSES = {
    "token": "Verification tokens and status lists: what a receiving department checks.",
    "checkpoint": "The log's checkpoints: what an auditor checks.",
    "webhook": "Alerts sent to agencies' endpoints (v1a signatures): what a receiver checks.",
}
NOTICES = {"rotated": "A new key is made and signs from now on.", "retired": "The key is retired."}


def _keys(services: Services) -> dict[str, list[dict[str, Any]]]:
    listed: dict[str, list[dict[str, Any]]] = {}
    for purpose in PURPOSES:
        keys = services.registry.signing_keys(purpose)
        found = [] if keys is None else list(keys.keys.values())
        listed[purpose] = [
            {"kid": k.kid, "signs": keys is not None and k.kid == keys.active,
             "published_on": k.published_on, "retired_on": k.retired_on, "reason": k.reason}
            for k in found
        ]  # fmt: skip
    return listed


def _page(
    request: Request, services: Services, caller: StaffCaller, status: int = 200,
    errors: dict[str, str] | None = None, notice: str = "",
) -> HTMLResponse:  # fmt: skip
    return page(request, "console_signing_keys.html", status, title="Signing keys",
                purposes=PURPOSES, keys=_keys(services), errors=errors or {}, notice=notice,
                form_token=session_form_token(request), caller=caller)  # fmt: skip


@router.get("/staff/signing-keys")
def keys_page(request: Request, services: Svc, caller: State, done: str = "") -> Response:
    """Every signing key of both purposes; rotate or retire."""
    return _page(request, services, caller, notice=NOTICES.get(done, ""))


@router.post("/staff/signing-keys/{purpose}/rotation")
async def rotate(request: Request, purpose: str, services: Svc, caller: State) -> Response:
    """Make a new key of `purpose`: it signs from now on; older keys verify until retired."""
    check_form(cookie_of(request, SESSION), await read_form(request))
    if purpose not in PURPOSES:
        raise HTTPException(404, "There is no such kind of signing key.")
    await run_in_threadpool(services.signing.rotate, caller.actor, purpose)
    return redirect("/staff/signing-keys?done=rotated")


@router.post("/staff/signing-keys/{purpose}/{kid}/retirement")
async def retire(
    request: Request, purpose: str, kid: str, services: Svc, caller: State
) -> Response:
    """Retire a key, with a reason: what it signed no longer verifies."""
    form = await read_form(request)
    check_form(cookie_of(request, SESSION), form)
    if purpose not in PURPOSES:
        raise HTTPException(404, "There is no such kind of signing key.")
    reason = form.get("reason", "").strip()
    field = f"reason-{kid}"
    if not reason:
        errors = {field: "Say why the key is retired: the reason is kept with it."}
        return await run_in_threadpool(_page, request, services, caller, 422, errors)
    try:
        await run_in_threadpool(services.signing.retire, kid, reason, caller.actor, purpose)
    except RegistryError as e:
        rule = getattr(e, "rule", None)
        said = getattr(e, "detail", e.message) + (f" (Rule: {rule})" if rule else "")
        status = 404 if e.kind == "not-found" else 422
        return await run_in_threadpool(_page, request, services, caller, status, {field: said})
    return redirect("/staff/signing-keys?done=retired")
