"""Who may call what: API keys in `Authorization: Bearer`, and the roles each route allows.

Every route declares its roles with `allow(...)`. A request with no key is the
public; a key that is unknown, malformed or revoked is refused (401), never
treated as the public. A role the route does not allow is refused (403). Scope
checks (an agency key reads only its agency) are made with `in_agency` and
`in_academy` once the route knows what the request is about.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Depends, Request
from starlette.exceptions import HTTPException

from registry.access import PUBLIC, Caller
from registry.domain.access import ApiRole

BEARER = {"WWW-Authenticate": 'Bearer realm="cit-registry"'}


def caller_of(request: Request) -> Caller:
    """The caller a request comes from: the public, or the holder of a valid key."""
    header = request.headers.get("authorization")
    if header is None:
        return PUBLIC
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise HTTPException(401, "send an API key as 'Authorization: Bearer <key>'", BEARER)
    caller = request.app.state.services.keys.authenticate(token.strip())
    if caller is None:
        raise HTTPException(401, "the API key is unknown or revoked", BEARER)
    return caller


class Allow:
    """A route's roles, as a dependency that returns the caller or refuses the request."""

    def __init__(self, *roles: ApiRole) -> None:
        self.roles = frozenset(roles)

    def __call__(self, request: Request) -> Caller:
        return self.admit(caller_of(request))

    def admit(self, caller: Caller) -> Caller:
        """The caller, if its role may call the route; else 401 (the public) or 403."""
        if caller.role in self.roles:
            return caller
        if caller.role is ApiRole.PUBLIC:
            raise HTTPException(401, "this needs an API key", BEARER)
        raise HTTPException(403, f"the {caller.role.value} role may not do this")


class Gate(Allow):
    """`Allow` as the routes use it: a coroutine, so that FastAPI calls it on the event loop.
    FastAPI runs a plain function dependency in its thread pool, and that trip costs more
    than the check, even when a key is looked up (one short read of the log): with the
    look-up on the loop a server answered 1.3 to 1.7 times as many look-ups with a key a
    second (bench/api.py, SQLite and PostgreSQL)."""

    async def __call__(self, request: Request) -> Caller:  # type: ignore[override]
        return super().__call__(request)


def allow(*roles: ApiRole) -> Any:
    """`dependencies=[allow(...)]` on a route that does not need to know its caller."""
    return Depends(Gate(*roles))


#: Roles that may read anything, and change nothing unless the route says so.
READERS = (ApiRole.STATE, ApiRole.AUDITOR)
EVERYONE = tuple(ApiRole)


def in_agency(caller: Caller, *codes: str | None) -> None:
    """An agency key may act only for its own agency (one of `codes`)."""
    if caller.role is ApiRole.AGENCY and caller.agency_code not in codes:
        raise HTTPException(403, f"this key acts for agency {caller.agency_code} only")


def in_academy(caller: Caller, code: str | None) -> None:
    """An academy key may act only for its own academy."""
    if caller.role is ApiRole.ACADEMY and caller.academy_code != code:
        raise HTTPException(403, f"this key acts for academy {caller.academy_code} only")


def roles_of(dependencies: list[Any]) -> frozenset[ApiRole] | None:
    """The roles a route allows, found among its dependencies (None if it declares none)."""
    for dependency in dependencies:
        call: Callable[..., Any] | None = getattr(dependency, "call", None)
        if isinstance(call, Allow):
            return call.roles
        found = roles_of(getattr(dependency, "dependencies", []))
        if found is not None:
            return found
    return None
