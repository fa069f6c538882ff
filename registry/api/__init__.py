"""The HTTP API of the registry (FastAPI)."""
