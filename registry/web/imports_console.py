"""The state office's CSV import in the console: upload, every bad row before anything
is written, and a progress bar.

- `/staff/imports`: the form, a roster CSV file (or its text pasted). Sending it checks
  every row as `registry import` would carry it out (`importer.check_rows`), writes
  nothing, keeps the file for this session (`import_jobs`) and shows the check at
  `/staff/imports/{id}`: the rows that would be written, and each refused row with its
  line, the column or rule at fault and why.
- `POST /staff/imports/{id}/write`: writes the rows the check did not refuse, in the
  background and in batches, as the signed-in person (`user:<id>`); rows written before
  are not written twice. `/staff/imports/{id}/write` shows the progress bar (kept up to
  date by static/import.js from `/staff/imports/{id}/progress`, or by reloading itself
  without JavaScript), then what was written, found already written, and refused.

The state's role only, as `POST /v1/imports`; a kept file is its session's alone.
"""

from __future__ import annotations

import threading
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException

from registry.api.routes.admin import MAX_IMPORT
from registry.api.services import Services, services_of
from registry.domain.access import ApiRole
from registry.importer import RECORDS, ImportReport, check_rows
from registry.staff import StaffCaller
from registry.web import uploads
from registry.web.import_jobs import BATCH_SIZE, Full, Upload, Uploads, owner_of, start_write
from registry.web.staff import (
    NO_STORE,
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
UploadId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{22}$")]
#: The largest request body the form's route reads (app.py gives it to the body limit):
#: above the import's limit, so that a file too large is refused by a page that says so.
MAX_BODY = 4 * MAX_IMPORT
#: Pasted text longer than this is not sent back in the form shown again.
ECHO = 100_000
_lock = threading.Lock()


def uploads_of(request: Request) -> Uploads:
    """The kept files of the registry's database, opened on first use."""
    state = request.app.state
    with _lock:
        if getattr(state, "imports", None) is None:
            services = state.services
            state.imports = Uploads(services.views, services.settings.database)
    found: Uploads = state.imports
    return found


def _session(request: Request) -> str:
    session = cookie_of(request, SESSION)
    assert session is not None  # the route's dependency found the session
    return session


def _upload(request: Request, upload_id: str) -> Upload:
    found = uploads_of(request).find(upload_id, owner_of(_session(request)))
    if found is None:
        raise HTTPException(
            404,
            "This file is not kept for you: a checked file is kept for an hour, for the "
            "session that sent it. Choose it again at /staff/imports.",
        )
    return found


def _form(
    request: Request, status: int = 200, errors: dict[str, str] | None = None, text: str = ""
) -> HTMLResponse:
    return page(request, "console_import.html", status, title="Import a roster CSV",
                form_token=session_form_token(request), errors=errors or {}, text=text,
                max_bytes=MAX_IMPORT, limit=uploads.LIMIT_WORDS,
                records=list(RECORDS))  # fmt: skip


@router.get("/staff/imports")
def import_form(request: Request, caller: State) -> HTMLResponse:
    """The form: choose a roster CSV file, or paste its text."""
    return _form(request)


@router.post("/staff/imports")
async def check(request: Request, services: Svc, caller: State) -> Response:
    """Check every row of the file sent, write nothing, keep the file for this session;
    then the check. A file that is not a roster: the form again, saying why."""
    content_type = request.headers.get("content-type", "")
    if content_type.split(";", 1)[0].strip().lower() != "multipart/form-data":
        raise HTTPException(415, "Send the form as the import page does.")
    try:
        body = await uploads.body_of(request)
        fields, name, data = await run_in_threadpool(uploads.fields_of, content_type, body)
    except uploads.Refused as e:
        return _form(request, e.status, {e.field: e.message})
    check_form(_session(request), fields)
    pasted = fields.get("text", "")
    try:
        sent = await run_in_threadpool(uploads.roster_of, name, data, pasted)
    except uploads.Refused as e:
        return _form(request, e.status, {e.field: e.message}, pasted if len(pasted) <= ECHO else "")
    report = await run_in_threadpool(check_rows, services.registry, sent.rows, caller.actor)
    owner = owner_of(_session(request))
    try:
        kept = await run_in_threadpool(_keep, request, owner, sent, report)
    except Full:
        raise HTTPException(503, "The registry is writing other imports and has no room to "
                            "keep this file. Try again in a few minutes.") from None  # fmt: skip
    return redirect(f"/staff/imports/{kept.id}")


def _keep(request: Request, owner: str, sent: uploads.Sent, report: ImportReport) -> Upload:
    return uploads_of(request).keep(owner, sent.name, sent.text, sent.size, report)


@router.get("/staff/imports/{upload_id}")
def checked(request: Request, upload_id: UploadId, caller: State) -> HTMLResponse:
    """The check of a kept file: what would be written, every refused row, the button."""
    upload = _upload(request, upload_id)
    return page(request, "console_import_check.html", title=f"Check {upload.name}",
                upload=upload, check=upload.check, caller=caller,
                form_token=session_form_token(request), batch=BATCH_SIZE)  # fmt: skip


@router.post("/staff/imports/{upload_id}/write")
async def write(request: Request, upload_id: UploadId, services: Svc, caller: State) -> Response:
    """Write the rows the check did not refuse, in the background (once: sent again, the
    write under way or done); then its progress."""
    form = await read_form(request)
    check_form(_session(request), form)
    await run_in_threadpool(_start, request, upload_id, services, caller)
    return redirect(f"/staff/imports/{upload_id}/write")


def _start(request: Request, upload_id: str, services: Services, caller: StaffCaller) -> None:
    upload = _upload(request, upload_id)
    start_write(uploads_of(request), upload, services, caller.actor)


@router.get("/staff/imports/{upload_id}/write")
def written(request: Request, upload_id: UploadId, caller: State) -> Response:
    """The write's progress bar; when it has ended, what it wrote."""
    upload = _upload(request, upload_id)
    if upload.write is None:
        return redirect(f"/staff/imports/{upload_id}")
    titles = {"writing": "Writing the rows", "done": "The rows are written",
              "failed": "The write stopped"}  # fmt: skip
    return page(request, "console_import_write.html", title=titles[upload.write.state],
                upload=upload, write=upload.write, form_token=session_form_token(request),
                batch=BATCH_SIZE)  # fmt: skip


@router.get("/staff/imports/{upload_id}/progress")
def progress(request: Request, upload_id: UploadId, caller: State) -> JSONResponse:
    """How far the write is, for the page's script: state, rows done of total; at its end
    the rows written, found already written, and refused."""
    write = _upload(request, upload_id).write
    if write is None:
        raise HTTPException(404, "No write of this file has begun.")
    body = {"state": write.state, "done": write.done, "total": write.total}
    if write.report is not None:
        body |= {"written": write.report.imported, "replayed": write.report.already_imported,
                 "refused": len(write.report.refused)}  # fmt: skip
    return JSONResponse(body, headers=NO_STORE)
