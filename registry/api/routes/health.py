"""Routes: the server's health."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from registry.api.auth import EVERYONE, allow
from registry.api.problems import problem
from registry.api.services import Services, services_of
from registry.storage import DATABASE_ERRORS

router = APIRouter(tags=["health"])


class Health(BaseModel):
    """The database answers; how far behind the log each projection is."""

    status: str
    database: str
    log_position: int
    projections: dict[str, int]


@router.get(
    "/healthz",
    response_model=Health,
    responses={503: {"description": "The database is not answering."}},
    dependencies=[allow(*EVERYONE)],
)
def healthz(services: Annotated[Services, Depends(services_of)]) -> JSONResponse | Health:
    try:
        head = services.registry.position()
        lag = services.runner.lag()
    except DATABASE_ERRORS:
        return problem(503, "the database is not answering")
    return Health(status="ok", database="reachable", log_position=head, projections=lag)
