"""Routes: officers."""

from fastapi import APIRouter

router = APIRouter()
