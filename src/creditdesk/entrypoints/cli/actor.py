"""Who runs a CLI command: the audit trail names the operating-system user (``cli:<user>``)
rather than an anonymous "system", so a change made on the server can be traced to a person.
Commands that act as an API token (``--token``) are audited under the token's name instead."""

from __future__ import annotations

import getpass
from functools import cache

from creditdesk.service_layer.auth import Principal, Role


@cache
def cli_actor() -> Principal:
    """An administrator named after the OS user running the command."""
    try:
        who = getpass.getuser()
    except (OSError, KeyError):  # no login name and no passwd entry (a bare container)
        who = "unknown"
    return Principal(f"cli:{who[:100]}", Role.ADMIN)
