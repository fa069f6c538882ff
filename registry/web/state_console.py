"""The state office's console pages: statewide coverage by region and the late separation
reports."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
