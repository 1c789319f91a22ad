"""Settings from ``CREDITDESK_*`` environment variables."""

from __future__ import annotations

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
    deliver_webhooks: bool = True
    webhook_interval_seconds: float = 2.0
    background_checkpoints: bool = True
    """On SQLite, a serving process checkpoints the WAL in a background thread (not in a
    commit that a credit check waits for)."""
    checkpoint_interval_seconds: float = 0.05


def load_settings() -> Settings:
    return Settings()
