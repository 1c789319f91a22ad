"""Tables of the credit limit lifecycle: adjustment journals, temporary limits, insurance and
guarantees, risk scoring and balance statistics (on the metadata of ``tables``)."""

from __future__ import annotations

from creditdesk.adapters.tables import metadata

__all__ = ["metadata"]
