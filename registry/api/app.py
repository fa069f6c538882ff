"""The HTTP API: one FastAPI app over one registry.

`create_app()` wires the routes, the problem responses, the body limit and the
roles. Every route must declare its roles: the app refuses to start otherwise,
so no route is ever open by accident.
"""

from __future__ import annotations

import gc
import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute

from registry.api import problems
from registry.api.auth import roles_of
from registry.api.routes import (
    admin,
    agencies,
    audit,
    certifications,
    health,
    officers,
    verification,
    webhooks,
)
from registry.api.services import Services
from registry.config import Settings
from registry.domain.access import ApiRole
from registry.web import imports_console, logs, pages
from registry.web import routes as web

#: In the order requests are matched: the certificate look-up, the busiest route, first.
ROUTERS = [
    certifications.router,
    health.router,
    agencies.router,
    officers.router,
    verification.router,
    audit.router,
    admin.router,
    webhooks.router,
    webhooks.watch_router,
]


def create_app(
    settings: Settings | None = None, *, background: bool = True, freeze: bool = False
) -> FastAPI:
    """The API app; it opens the registry when it starts and closes it when it stops.
    With `freeze`, what start-up made is set aside from garbage collection (below)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services = Services(settings or Settings.from_env(), background=background)
        app.state.services = services
        try:
            services.start()
            if freeze:
                # What start-up made (modules, routes, templates, the registry) lives as
                # long as the server; frozen, it is not walked again by every full
                # collection, whose pauses otherwise set the slowest requests' times.
                gc.freeze()
            yield
        finally:
            services.close()

    app = FastAPI(
        title="CIT Registry",
        version="1",
        summary="The state registry of Crisis Intervention Team certifications.",
        lifespan=lifespan,
        # A path with a trailing slash names no resource: it gets a 404 problem, never a
        # redirect (whose Location Starlette would build from the request's Host header).
        redirect_slashes=False,
    )
    problems.install(app, page=pages.error_page)
    logs.install()
    # The public's certificate look-ups, the busiest requests, are answered before routing.
    app.add_middleware(pages.PageHeaders)
    app.add_middleware(problems.OneValueEach)
    app.add_middleware(certifications.PublicLookup)
    app.add_middleware(
        problems.BodyLimit,
        paths={"/v1/imports": admin.MAX_IMPORT, "/staff/imports": imports_console.MAX_BODY},
    )
    for router in [*web.ROUTERS, *ROUTERS]:  # the pages first: their few paths match soonest
        declare_roles(router)
        app.include_router(router)
    document(app)
    return app


def app_from_env() -> FastAPI:
    """The app `registry serve` runs: settings from the environment; the read models kept
    up to date in the server unless REGISTRY_PROJECTIONS=external."""
    background = os.environ.get("REGISTRY_PROJECTIONS") != "external"
    return create_app(background=background, freeze=True)


def declare_roles(router: APIRouter) -> None:
    """Write each route's roles into the OpenAPI document; refuse a route that has none."""
    for route in router.routes:
        if not isinstance(route, APIRoute):
            raise RuntimeError(f"route {route} is not an API route: it cannot declare roles")
        roles = roles_of(route.dependant.dependencies)
        if roles is None:
            raise RuntimeError(f"route {route.path} declares no roles")
        extra: dict[str, Any] = dict(route.openapi_extra or {})
        extra["x-roles"] = sorted(r.value for r in roles)
        if ApiRole.PUBLIC not in roles:
            extra["security"] = [{"apiKey": []}]
        route.openapi_extra = extra


#: The refusals every operation may answer with, as problem responses.
ALWAYS = {
    400: "Malformed request (not JSON, a bad header).",
    401: "The API key is missing (where one is needed), unknown, malformed or revoked.",
    404: "Not found.",
    422: "Invalid input, or refused by a rule of the state program (`rule` names it).",
    503: "The registry's database is not answering.",
}
#: ... every operation that needs a key (a role other than the public's).
KEYED = {403: "The key's role or scope does not allow this."}
#: ... every operation with a request body.
WITH_BODY = {413: "The request body is too large."}
#: ... every command (it writes).
WRITES = {
    409: "Conflicts with what is recorded (or the record stayed busy).",
    412: "If-Match named a version the record is no longer at.",
}


def document(app: FastAPI) -> None:
    """Name the bearer scheme in the OpenAPI document, and document every refusal an
    operation may answer with as an `application/problem+json` problem."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = FastAPI.openapi(app)
            components = schema.setdefault("components", {})
            components["securitySchemes"] = {
                "apiKey": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API key from `registry api-keys create`.",
                }
            }
            document_problems(schema)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def document_problems(schema: dict[str, Any]) -> None:
    """Every error response of every operation is a `Problem` (RFC 9457), as the handlers in
    `registry.api.problems` send it; FastAPI's own 422 shape is never sent, so it goes."""
    schemas = schema.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = problems.Problem.model_json_schema(
        ref_template="#/components/schemas/{model}"
    )
    content = {problems.MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for item in schema.get("paths", {}).values():
        for method, operation in item.items():
            statuses = dict(ALWAYS)
            if "security" in operation:
                statuses |= KEYED
            if "requestBody" in operation:
                statuses |= WITH_BODY
            if method in ("post", "put", "patch", "delete"):
                statuses |= WRITES
            responses = operation.setdefault("responses", {})
            for status, description in statuses.items():
                responses.setdefault(str(status), {"description": description})
            for status, response in responses.items():
                if status[0] in "45":
                    if response.get("description") in ("Validation Error", None, ""):
                        response["description"] = statuses.get(int(status), "A refusal.")
                    response["content"] = content
            if "503" in responses:
                responses["503"]["headers"] = {
                    "Retry-After": {
                        "description": "Seconds to wait before trying again.",
                        "schema": {"type": "string"},
                    }
                }
            if "401" in responses:
                responses["401"]["headers"] = {
                    "WWW-Authenticate": {
                        "description": "The scheme to authenticate with (Bearer).",
                        "schema": {"type": "string"},
                    }
                }
    for unused in ("HTTPValidationError", "ValidationError"):
        if f'"#/components/schemas/{unused}"' not in json.dumps(schema.get("paths", {})):
            schemas.pop(unused, None)
