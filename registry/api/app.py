"""The HTTP API: one FastAPI app over one registry.

`create_app()` wires the routes, the problem responses, the body limit and the
roles. Every route must declare its roles: the app refuses to start otherwise,
so no route is ever open by accident.
"""

from __future__ import annotations

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
    certifications,
    health,
    officers,
    verification,
)
from registry.api.services import Services
from registry.config import Settings
from registry.domain.access import ApiRole

ROUTERS = [
    health.router,
    agencies.router,
    officers.router,
    certifications.router,
    verification.router,
    admin.router,
]


def create_app(settings: Settings | None = None, *, background: bool = True) -> FastAPI:
    """The API app; it opens the registry when it starts and closes it when it stops."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services = Services(settings or Settings.from_env(), background=background)
        app.state.services = services
        try:
            services.start()
            yield
        finally:
            services.close()

    app = FastAPI(
        title="CIT Registry",
        version="1",
        summary="The state registry of Crisis Intervention Team certifications.",
        lifespan=lifespan,
    )
    problems.install(app)
    app.add_middleware(problems.BodyLimit, paths={"/v1/imports": admin.MAX_IMPORT})
    for router in ROUTERS:
        declare_roles(router)
        app.include_router(router)
    document_security(app)
    return app


def app_from_env() -> FastAPI:
    """The app `registry serve` runs: settings from the environment; the read models kept
    up to date in the server unless REGISTRY_PROJECTIONS=external."""
    return create_app(background=os.environ.get("REGISTRY_PROJECTIONS") != "external")


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


def document_security(app: FastAPI) -> None:
    """Name the bearer scheme in the OpenAPI document."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = FastAPI.openapi(app)
            schema.setdefault("components", {})["securitySchemes"] = {
                "apiKey": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API key from `registry api-keys create`.",
                }
            }
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
