"""Every refusal as an RFC 9457 problem (`application/problem+json`), decided in one place.

Each error class has a stable `type` URI; a rule violation also names its rule.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

from eventsourcing.persistence import ConnectionUnavailableError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from registry.domain.errors import (
    Conflict,
    Forbidden,
    IdempotencyConflict,
    InvalidInput,
    NotFound,
    RegistryError,
    RuleViolation,
    StaleVersion,
)
from registry.storage import DATABASE_ERRORS

log = logging.getLogger(__name__)

MEDIA_TYPE = "application/problem+json"
#: Largest request body accepted, in bytes.
MAX_BODY = 64 * 1024


def problem_type(kind: str) -> str:
    return f"urn:cit-registry:problem:{kind}"


class Problem(BaseModel):
    """An RFC 9457 problem detail."""

    type: str
    title: str
    status: int
    detail: str = ""
    rule: str | None = None
    errors: list[dict[str, Any]] | None = None


#: Headers of a problem response that its HTML page carries too.
PASSED_ON = {"www-authenticate", "retry-after", "allow"}
#: HTTP status and title of each error class, most specific first.
STATUSES: list[tuple[type[RegistryError], int, str]] = [
    (StaleVersion, 412, "The record changed since you read it"),
    (IdempotencyConflict, 422, "Idempotency key reused with a different request"),
    (Conflict, 409, "Conflicts with what is recorded"),
    (Forbidden, 403, "No authority for this under the state program's rules"),
    (RuleViolation, 422, "Refused by a rule of the state program"),
    (NotFound, 404, "Not found"),
    (InvalidInput, 422, "Invalid input"),
    (RegistryError, 422, "Refused"),
]
#: Titles of plain HTTP statuses.
TITLES = {
    400: "Malformed request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    412: "Precondition failed",
    413: "Request body too large",
    415: "Unsupported media type",
    422: "Invalid input",
    428: "Precondition required",
    503: "Service unavailable",
}
KINDS = {
    400: "malformed-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    406: "not-acceptable",
    412: "precondition-failed",
    413: "body-too-large",
    415: "unsupported-media-type",
    422: "invalid-input",
    428: "precondition-required",
    503: "service-unavailable",
}


def problem(
    status: int,
    detail: str = "",
    *,
    kind: str | None = None,
    title: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body = Problem(
        type=problem_type(kind or KINDS.get(status, "error")),
        title=title or TITLES.get(status, "Error"),
        status=status,
        detail=detail,
        **extra,
    )
    return JSONResponse(
        body.model_dump(exclude_none=True),
        status_code=status,
        headers=headers,
        media_type=MEDIA_TYPE,
    )


def registry_problem(error: RegistryError) -> JSONResponse:
    status, title = next((s, t) for cls, s, t in STATUSES if isinstance(error, cls))
    if isinstance(error, RuleViolation):
        return problem(status, error.detail, kind=error.kind, title=title, rule=error.rule)
    return problem(status, error.message, kind=error.kind, title=title)


def _validation(errors: list[Any]) -> JSONResponse:
    """422 for values that break the schema; 400 when the body is not JSON at all."""
    if any(e.get("type") == "json_invalid" for e in errors):
        return problem(400, "the request body is not valid JSON")
    described = [
        {"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", ""))} for e in errors
    ]
    summary = "; ".join(f"{'.'.join(d['loc'])}: {d['msg']}" for d in described[:5])
    return problem(422, summary, errors=described)


#: Renders a refusal of a web page's request as HTML: (request, status, detail, headers),
#: None for a request of the API's.
PageRenderer = Callable[[Request, int, str, dict[str, str] | None], Response | None]


def install(app: FastAPI, page: PageRenderer | None = None) -> None:
    """Register the handlers that turn every error into a problem response (or, for a web
    page's request, into the HTML page `page` renders)."""

    def answer(request: Request, response: JSONResponse) -> Response:
        if page is not None:
            headers = {k: v for k, v in response.headers.items() if k in PASSED_ON}
            detail = json.loads(bytes(response.body)).get("detail", "")
            html = page(request, response.status_code, detail, headers or None)
            if html is not None:
                return html
        return response

    @app.exception_handler(RegistryError)
    async def _registry(request: Request, error: RegistryError) -> Response:
        return answer(request, registry_problem(error))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, error: RequestValidationError) -> Response:
        return answer(request, _validation(list(error.errors())))

    @app.exception_handler(HTTPException)
    async def _http(request: Request, error: HTTPException) -> Response:
        detail = error.detail if isinstance(error.detail, str) else ""
        response = problem(error.status_code, detail, headers=getattr(error, "headers", None))
        return answer(request, response)

    for database_error in DATABASE_ERRORS:

        @app.exception_handler(database_error)
        async def _database(request: Request, error: Exception) -> Response:
            log.error("database error: %s", type(error).__name__)
            response = problem(
                503,
                "the registry's database is not answering; try again shortly",
                headers={"Retry-After": "5"},
            )
            return answer(request, response)

    @app.exception_handler(ConnectionUnavailableError)
    async def _busy(request: Request, error: Exception) -> Response:
        # Every connection stayed taken (another process holds the SQLite write lock, say):
        # the database answers, it is busy; nothing was written.
        log.warning("no database connection came free: %s", error)
        response = problem(
            503,
            "the registry is busy: no database connection came free in time; try again",
            headers={"Retry-After": "1"},
        )
        return answer(request, response)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, error: Exception) -> Response:
        log.exception("unexpected error")
        response = problem(
            500,
            "an unexpected error; it has been logged",
            kind="internal-error",
            title="Internal error",
        )
        return answer(request, response)


class BodyLimit:
    """Refuse request bodies over `limit` bytes with 413, whether or not they say their size.

    `paths` gives larger limits to the few routes that take files (an import).
    """

    def __init__(
        self, app: ASGIApp, limit: int = MAX_BODY, paths: dict[str, int] | None = None
    ) -> None:
        self.app = app
        self.default = limit
        self.paths = paths or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.paths.get(scope.get("path", ""), self.default)
        for name, value in scope.get("headers", []):
            if name == b"content-length" and (not value.isdigit() or int(value) > limit):
                await _too_large(scope, receive, send, limit)
                return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # Handled like any HTTP error (the route is reading its body).
                    raise HTTPException(413, f"request bodies are limited to {limit} bytes")
            return message

        await self.app(scope, limited, send)


class OneValueEach:
    """Refuse a query that gives a parameter more than once, with 400.

    Every query parameter of this API takes one value; of `?on=A&on=B`, the framework
    would quietly read the last, and the caller could not tell which day was answered.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        query = scope.get("query_string", b"") if scope["type"] == "http" else b""
        if b"&" in query:
            names = [name for name, _ in parse_qsl(query.decode("latin-1"), keep_blank_values=True)]
            repeated = sorted({name for name in names if names.count(name) > 1})
            if repeated:
                detail = f"each query parameter is given once: {', '.join(repeated)} is repeated"
                await problem(400, detail)(scope, receive, send)
                return
        await self.app(scope, receive, send)


async def _too_large(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
    response = problem(413, f"request bodies are limited to {limit} bytes")
    await response(scope, receive, send)
