"""The ASGI entry for ``creditdesk serve`` and for any ASGI server:
``uvicorn --factory creditdesk.entrypoints.asgi:app_factory``."""

from __future__ import annotations

from fastapi import FastAPI

from creditdesk.config import load_settings
from creditdesk.entrypoints.api.app import create_app


def app_factory() -> FastAPI:
    return create_app(load_settings())
