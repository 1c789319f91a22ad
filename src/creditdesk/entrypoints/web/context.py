"""Per-request context of the web app: who is signed in (as a service-layer ``Principal``), the
language, the CSRF token, and rendering of templates."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.datastructures import FormData

from creditdesk.entrypoints.web.i18n import LANGUAGES, NAMES, Translator, negotiate, translator
from creditdesk.entrypoints.web.labels import helpers
from creditdesk.service_layer import users
from creditdesk.service_layer.auth import Permission, Principal
from creditdesk.service_layer.runtime import Runtime

TEMPLATES = Path(__file__).parent / "templates"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


class SignInRequired(Exception):  # noqa: N818 (a redirect, not an error)
    """The page needs a signed-in user."""


class CsrfError(Exception):
    """A POST without the session's CSRF token."""


class WebRuntime:
    """What the web app keeps for the life of the process."""

    def __init__(self, rt: Runtime, sessions: users.SessionPolicy) -> None:
        self.rt = rt
        self.sessions = sessions
        self.env = Environment(
            loader=FileSystemLoader(TEMPLATES),
            autoescape=select_autoescape(default=True),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )


@dataclass(frozen=True)
class Ctx:
    request: Request
    rt: Runtime
    web: WebRuntime
    user: users.SignedIn | None
    t: Translator
    csrf: str

    @property
    def principal(self) -> Principal:
        if self.user is None:
            raise SignInRequired
        return self.user.principal

    def can(self, permission: str) -> bool:
        return self.user is not None and self.user.principal.can(Permission(permission))

    def render(self, template: str, status_code: int = 200, **values: Any) -> HTMLResponse:
        session = self.request.session
        flashes = session.pop("flash", []) if not template.startswith("_") else []
        html = self.web.env.get_template(template).render(
            _=self.t.gettext,
            t=self.t,
            user=self.user,
            csrf=self.csrf,
            csrf_field=CSRF_FIELD,
            can=self.can,
            languages=[(code, NAMES[code]) for code in LANGUAGES],
            path=self.request.url.path,
            full_path=str(self.request.url.path)
            + (f"?{self.request.url.query}" if self.request.url.query else ""),
            flashes=flashes,
            **helpers(self.t),
            **values,
        )
        return HTMLResponse(html, status_code=status_code)

    def flash(self, kind: str, message: str) -> None:
        self.request.session.setdefault("flash", []).append([kind, message])


def _csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def context(request: Request) -> Ctx:
    """The context of any page, signed in or not."""
    web: WebRuntime = request.app.state.web
    user = None
    session_id = request.session.get("sid")
    if isinstance(session_id, str):
        user = users.session_user(web.rt, session_id, web.sessions)
        if user is None:
            request.session.pop("sid", None)
    language = (user.language if user is not None else None) or request.session.get("language")
    if not isinstance(language, str) or language not in LANGUAGES:
        language = negotiate(request.headers.get("accept-language"))
    return Ctx(request, web.rt, web, user, translator(language), _csrf_token(request))


def signed_in(request: Request) -> Ctx:
    """The context of a page that needs a signed-in user."""
    ctx = context(request)
    if ctx.user is None:
        raise SignInRequired
    return ctx


def check_csrf(request: Request, form: FormData) -> None:
    """Refuse a POST that does not carry this session's CSRF token (form field or header)."""
    expected = request.session.get("csrf")
    given = form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER)
    if (
        not isinstance(expected, str)
        or not isinstance(given, str)
        or not secrets.compare_digest(expected, given)
    ):
        raise CsrfError
