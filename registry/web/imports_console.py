"""The state office's CSV import in the console: upload, every bad row before anything
is written, and a progress bar."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
