"""The ASGI entry for ``creditdesk serve`` and for any ASGI server:
``uvicorn --factory creditdesk.entrypoints.asgi:app_factory``."""

from __future__ import annotations

from fastapi import FastAPI

from creditdesk.config import load_settings
from creditdesk.entrypoints.api.app import create_app
from creditdesk.entrypoints.observability import configure_logging


def app_factory() -> FastAPI:
    settings = load_settings()
    configure_logging(settings)  # in each worker process (uvicorn spawns them afresh)
    return create_app(settings)
