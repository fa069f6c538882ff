"""The ceiling for bench/api.py: a bare FastAPI app that answers with fixed pydantic models.

    python -m bench.bare_app --port 8001 [--host 127.0.0.1] [--workers 1]

The same routes as the registry's (`GET /v1/certifications/{number}`, `POST
/v1/verifications`, `POST /v1/officers/{id}/certifications`), shaped like its answers, but
nothing behind them: no database, no keys, no middleware, and `async` routes (nothing
to wait for, so no trip to the thread pool: FastAPI's fastest path). It is served by
`uvicorn.run` with the settings `registry serve` uses (log level info with access logs,
no proxy headers), so the two differ only in what the app does.
"""

from __future__ import annotations

import argparse
from datetime import date
from typing import Any

import uvicorn
from fastapi import FastAPI
from pydantic import BaseModel

app = FastAPI(title="bare")


class CertificateStatus(BaseModel):
    number: str
    credential: str
    holder_name: str | None
    agency_code: str | None
    status: str
    on: date
    issued_on: date | None
    expires_on: date | None
    reason: str
    mandated: bool
    withheld: bool
    status_idx: int


class Token(BaseModel):
    token: str


class Reason(BaseModel):
    code: str
    message: str


class Verification(BaseModel):
    valid: bool
    reasons: list[Reason]
    claims: dict[str, Any] | None
    status_as_of: str | None
    kid: str | None
    status: int | None


class Issue(BaseModel):
    credential: str
    effective_on: date | None = None


class CommandResult(BaseModel):
    id: str
    version: int
    certificate_number: str | None = None
    expires_on: date | None = None
    flags: list[str] = []


STATUS = CertificateStatus(
    number="UT-CIT-00001234",
    credential="cit_officer",
    holder_name="Dana Whitfield",
    agency_code="NORTHPD",
    status="in_force",
    on=date(2026, 11, 26),
    issued_on=date(2025, 9, 15),
    expires_on=date(2027, 9, 15),
    reason="",
    mandated=False,
    withheld=False,
    status_idx=1234,
)
VERIFIED = Verification(
    valid=True,
    reasons=[],
    claims={
        "iss": "http://127.0.0.1:8000",
        "sub": "UT-CIT-00001234",
        "credential": "cit_officer",
        "name": "Dana Whitfield",
        "agency": "NORTHPD",
        "issued_on": "2025-09-15",
        "expires_on": "2027-09-15",
        "cert_status": "in_force",
        "iat": 1795000000,
        "exp": 1797592000,
        "jti": "8d6f0c1e5b2a4f7e9c3d1a0b2e4f6a8c",
        "status": {"status_list": {"idx": 1234, "uri": "http://127.0.0.1:8000/v1/status-lists/1"}},
    },
    status_as_of="2026-11-26T21:00:00+00:00",
    kid="k-2026-11-26",
    status=0,
)
ISSUED = CommandResult(
    id="3f0b2c9e-8a41-4d5e-9f61-2b7c0d9e4a15",
    version=5,
    certificate_number="UT-CIT-00001235",
    expires_on=date(2028, 11, 26),
)


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/v1/certifications/{number}", response_model=CertificateStatus)
async def certificate_status(number: str) -> CertificateStatus:
    return STATUS


@app.post("/v1/verifications", response_model=Verification)
async def verify(body: Token) -> Verification:
    return VERIFIED


@app.post("/v1/officers/{officer}/certifications", status_code=201, response_model=CommandResult)
async def issue(officer: str, body: Issue) -> CommandResult:
    return ISSUED


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)
    # What `registry serve` passes to uvicorn, but for the app.
    uvicorn.run(
        "bench.bare_app:app",
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level="info",
        proxy_headers=False,
    )


if __name__ == "__main__":
    main()
