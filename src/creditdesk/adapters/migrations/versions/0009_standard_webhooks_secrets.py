"""webhook secrets in the Standard Webhooks form; last_error as a category

Revision ID: 0009
Revises: 0008

Secrets made before were ``whsec_`` + the URL-safe base64 of 24 random bytes; Standard
Webhooks libraries read ``whsec_`` + *standard* base64, so they misread the ``-`` and ``_`` a
URL-safe secret may hold. The key bytes stay; only their spelling changes: ``-`` becomes ``+``
and ``_`` becomes ``/`` (plus ``=`` padding if needed), which a receiver can do to the secret it
holds (docs/events.md). A secret that is not URL-safe base64 at all keeps its old HMAC key (its
own UTF-8 bytes), spelled ``whsec_`` + their base64.

``last_error`` held raw connection errors; it now holds a category, and old values become one.
"""

from __future__ import annotations

import base64
import binascii

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_webhooks = sa.table(
    "webhooks",
    sa.column("id", sa.String),
    sa.column("secret", sa.String),
    sa.column("last_error", sa.Text),
)


def standard_secret(secret: str) -> str:
    """The Standard Webhooks spelling of a legacy secret (the same key where it was base64)."""
    text = secret.removeprefix("whsec_")
    standard = text.replace("-", "+").replace("_", "/")
    standard += "=" * (-len(standard) % 4)
    try:
        key = base64.b64decode(standard, validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if not key or not secret.startswith("whsec_"):
        key = secret.encode()
    return "whsec_" + base64.b64encode(key).decode("ascii")


def error_category(error: str) -> str:
    """A category for an old raw ``last_error`` ("HTTP 503", "ConnectError: …")."""
    if error.startswith("HTTP ") and error[5:6] in ("3", "4", "5"):
        return f"http_status_{error[5]}xx"
    lowered = error.lower()
    if "refused" in lowered:
        return "connection_refused"
    if "timeout" in lowered or "timed out" in lowered:
        return "timeout"
    if "ssl" in lowered or "certificate" in lowered:
        return "tls_error"
    return "connection_failed"


def upgrade() -> None:
    conn = op.get_bind()
    rows = conn.execute(sa.select(_webhooks.c.id, _webhooks.c.secret, _webhooks.c.last_error)).all()
    for hook_id, secret, last_error in rows:
        conn.execute(
            sa.update(_webhooks)
            .where(_webhooks.c.id == hook_id)
            .values(
                secret=standard_secret(secret),
                last_error=error_category(last_error) if last_error is not None else None,
            )
        )


def downgrade() -> None:
    """Back to the URL-safe spelling, which the previous version's readers of the secret
    expect; the categories stay (they are valid ``last_error`` text there too)."""
    conn = op.get_bind()
    for hook_id, secret in conn.execute(sa.select(_webhooks.c.id, _webhooks.c.secret)).all():
        text = secret.removeprefix("whsec_").rstrip("=").replace("+", "-").replace("/", "_")
        conn.execute(
            sa.update(_webhooks).where(_webhooks.c.id == hook_id).values(secret=f"whsec_{text}")
        )
