"""Settings from ``CREDITDESK_*`` environment variables."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CREDITDESK_", extra="ignore")

    database_url: str = "sqlite:///./creditdesk.db"
    admin_token: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    max_body_bytes: int = 1_000_000
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


def load_settings() -> Settings:
    return Settings()
