"""Routes: certifications."""

from fastapi import APIRouter

router = APIRouter()
