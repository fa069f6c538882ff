"""Routes: the server's health."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from registry.api.auth import EVERYONE, allow
from registry.api.problems import problem
from registry.api.services import Services, services_of
from registry.storage import DATABASE_ERRORS

router = APIRouter(tags=["health"])
#: Seconds /healthz waits for the database before it answers that it is not answering
#: (the storage layer itself retries a lost connection for much longer than a probe waits).
DEADLINE = 3.0


class Health(BaseModel):
    """The database answers; how far behind the log each projection is."""

    status: str = Field(
        description="'ok', or 'stuck' when this server's projections cannot "
        "catch up (the server log says why)."
    )
    database: str
    log_position: int
    projections: dict[str, int]
    webhooks: dict[str, float | int] = Field(
        description="The outbox: deliveries pending, and the age in seconds of the oldest."
    )


@router.get(
    "/healthz",
    response_model=Health,
    responses={503: {"description": "The database is not answering."}},
    dependencies=[allow(*EVERYONE)],
)
async def healthz(services: Annotated[Services, Depends(services_of)]) -> JSONResponse | Health:
    try:
        head, lag, backlog = await asyncio.wait_for(run_in_threadpool(_read, services), DEADLINE)
    except (TimeoutError, *DATABASE_ERRORS):
        return problem(503, "the database is not answering")
    status = "ok" if services.runner.last_error is None else "stuck"
    return Health(
        status=status, database="reachable", log_position=head, projections=lag, webhooks=backlog
    )


def _read(services: Services) -> tuple[int, dict[str, int], dict[str, float | int]]:
    return services.registry.position(), services.runner.lag(), services.deliveries.backlog()
