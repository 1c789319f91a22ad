"""The credit team's web application: server-rendered pages (Jinja2 + htmx) on the same use
cases as the API, with a CSRF token on every form. The signed cookie carries only a random
session id, the CSRF token and the language; the session itself is stored server-side, so that
it can be ended (sign-out, password reset, user disabled) and ends after an idle time."""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from creditdesk.entrypoints.web import pages, schedules
from creditdesk.entrypoints.web.context import CsrfError, SignInRequired, WebRuntime
from creditdesk.entrypoints.web.i18n import N_
from creditdesk.service_layer.runtime import Runtime
from creditdesk.service_layer.users import SessionPolicy

STATIC = Path(__file__).parent / "static"
SESSION_HOURS = 10
SESSION_IDLE_MINUTES = 30
logger = logging.getLogger("creditdesk.web")


def session_secret() -> str:
    """Without ``CREDITDESK_SESSION_SECRET`` (Settings.session_secret) each process makes its
    own (sessions then end when the server restarts and are not shared between workers)."""
    logger.warning("CREDITDESK_SESSION_SECRET is not set: sessions end when the server stops")
    return secrets.token_urlsafe(32)


def install(
    app: FastAPI,
    rt: Runtime,
    *,
    secret: str | None = None,
    idle_minutes: int = SESSION_IDLE_MINUTES,
    lifetime_hours: int = SESSION_HOURS,
    secure_cookie: bool = False,
) -> None:
    """Add the web app to the API's FastAPI app: pages at ``/``, files at ``/static``. A
    session ends after ``idle_minutes`` without a request and ``lifetime_hours`` after the
    sign-in; ``secure_cookie`` sends the cookie over HTTPS only."""
    policy = SessionPolicy(timedelta(minutes=idle_minutes), timedelta(hours=lifetime_hours))
    app.state.web = WebRuntime(rt, policy)
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret or session_secret(),
        session_cookie="creditdesk_session",
        max_age=lifetime_hours * 3600,
        same_site="lax",
        https_only=secure_cookie,
    )
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(pages.router)
    app.include_router(schedules.router)

    @app.exception_handler(SignInRequired)
    def to_sign_in(request: Request, _: SignInRequired) -> Response:
        target = request.url.path
        if request.url.query:
            target += f"?{request.url.query}"
        if request.headers.get("hx-request"):
            return Response(status_code=401, headers={"HX-Redirect": "/sign-in"})
        return RedirectResponse(f"/sign-in?next={target}", status_code=303)

    @app.exception_handler(CsrfError)
    def csrf_refused(request: Request, _: CsrfError) -> Response:
        return pages.render_error(
            request, 403, N_("The form has expired. Reload the page and try again.")
        )
