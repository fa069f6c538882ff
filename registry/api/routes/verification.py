"""Routes: verification."""

from fastapi import APIRouter

router = APIRouter()
