"""Tables of the web application: users and their settings (on the metadata of ``tables``)."""

from __future__ import annotations

from creditdesk.adapters.tables import metadata

__all__ = ["metadata"]
