"""The interactive API docs (Swagger UI) at /api/docs, served entirely from this server: the
Swagger UI 5 files (OpenAPI 3.1, as FastAPI writes) come from the ``fastapi-offline`` package,
used only for the files it ships (FastAPI's default page loads them from a CDN, so it is blank
offline), and the page starts them with a script file, not the
inline script of FastAPI's page, which the Content-Security-Policy refuses."""

from __future__ import annotations

from html import escape
from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = "/api/docs/assets"
SWAGGER_UI = Path(fastapi_offline.__file__).parent / "static"


def page(title: str) -> str:
    return f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>{escape(title)} · API docs</title>
  <link rel="stylesheet" href="{ASSETS}/swagger-ui.css">
  <link rel="icon" type="image/png" href="{ASSETS}/favicon.png">
</head>
<body>
  <div id="swagger-ui" data-openapi-url="/api/v1/openapi.json"></div>
  <script src="{ASSETS}/swagger-ui-bundle.js"></script>
  <script src="/static/api-docs.js"></script>
</body>
</html>
"""


def install(app: FastAPI) -> None:
    """Serve /api/docs (create the app with ``docs_url=None``)."""
    html = page(app.title)
    app.mount(ASSETS, StaticFiles(directory=SWAGGER_UI), name="swagger-ui")

    @app.get("/api/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(html)
