"""Settings from ``CREDITDESK_*`` environment variables."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CREDITDESK_", extra="ignore")

    database_url: str = "sqlite:///./creditdesk.db"
    admin_token: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    max_body_bytes: int = 1_000_000
    max_batch_body_bytes: int = 8_000_000
    """The body limit of ``documents:batch`` alone: its 10,000 documents at up to 800 bytes
    each (a typical invoice row is about 170)."""
    session_secret: str | None = None
    """Signs the web app's session cookies; set it when several server processes run."""
    session_idle_minutes: int = Field(default=30, ge=1)
    """A web session ends after this many minutes without a request."""
    session_hours: int = Field(default=10, ge=1)
    """A web session ends this many hours after the sign-in, however busy."""
    session_cookie_secure: bool = False
    """Send the session cookie over HTTPS only (set it when served over HTTPS)."""
    deliver_webhooks: bool = True
    webhook_interval_seconds: float = 2.0
    webhook_allow_private: bool = False
    """Webhooks may reach loopback, private and link-local addresses (receivers inside the
    network). Off, such URLs are refused: the server must not be a proxy into its network."""
    background_checkpoints: bool = True
    """On SQLite, a serving process checkpoints the WAL in a background thread (not in a
    commit that a credit check waits for)."""
    checkpoint_interval_seconds: float = 0.05
    migrate: bool = True
    """``creditdesk serve`` migrates the database first (``--no-migrate`` or false: it does not,
    and ``/api/v1/ready`` answers 503 until someone runs ``creditdesk db upgrade``)."""
    scheduler: bool = True
    """A serving process also runs the periodic-task scheduler (each period still runs once
    across all processes); false when ``creditdesk scheduler run`` runs it on its own."""
    scheduler_tick_seconds: float = Field(default=5.0, gt=0)
    """How often the scheduler looks for due tasks: keep it below the shortest interval."""
    task_timeout_seconds: float = Field(default=3600.0, gt=0)
    """A run that has not finished after this long is recorded as failed."""
    webhook_lease_seconds: float = Field(default=30.0, gt=0)
    """Only the process holding the webhook lease delivers; another takes over this long
    after the holder stopped renewing it."""
    log_format: Literal["json", "text"] = "json"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @field_validator("log_level", "log_format", mode="before")
    @classmethod
    def _any_case(cls, value: object, info: ValidationInfo) -> object:
        """``info`` and ``JSON`` are meant too."""
        if not isinstance(value, str):
            return value
        return value.upper() if info.field_name == "log_level" else value.lower()

    metrics_token: str | None = None
    """A bearer token for ``GET /metrics`` only (the admin token works too)."""
    otel: bool = False
    """Trace requests with OpenTelemetry (needs the ``otel`` extra; exporters are configured
    with the standard ``OTEL_*`` variables)."""


def load_settings() -> Settings:
    return Settings()
