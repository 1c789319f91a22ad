"""What every use case gets: the unit of work factory, the clock and the id factory, plus
per-process caches that are safe because they are keyed by a version stored in the database."""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from creditdesk.domain.rules import BlockingRule
from creditdesk.domain.workflows import WorkflowItem
from creditdesk.service_layer.auth import Principal
from creditdesk.service_layer.ports import (
    Clock,
    HostResolver,
    IdFactory,
    Passwords,
    UnitOfWork,
    UnitOfWorkFactory,
)

if TYPE_CHECKING:
    from creditdesk.service_layer.aging_report import AgingQueriesFactory
    from creditdesk.service_layer.bulk_import import BulkStoreFactory


CompletionTask = Callable[[UnitOfWork, "Runtime", str, WorkflowItem], None]
"""Carries out an approved workflow item in the caller's transaction, as ``by``."""


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def today(self) -> date:
        return self.now().date()


def new_id(prefix: str) -> str:
    """A unique id that sorts by creation time: ``hold_0193a7c2f1e4b9d2c8a1f3e5``."""
    return f"{prefix}_{time.time_ns() // 1000:014x}{secrets.token_hex(5)}"


@dataclass
class RuleCache:
    """Rule sets per legal entity, valid while the entity's ``setup_version`` is unchanged."""

    _entries: dict[str, tuple[int, tuple[BlockingRule, ...]]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self, legal_entity: str, version: int) -> tuple[BlockingRule, ...] | None:
        entry = self._entries.get(legal_entity)
        if entry is None or entry[0] != version:
            return None
        return entry[1]

    def put(self, legal_entity: str, version: int, rules: tuple[BlockingRule, ...]) -> None:
        with self._lock:
            self._entries[legal_entity] = (version, rules)


TOKEN_CACHE_SECONDS = 2.0
"""How long a process trusts an API token it has authenticated without reading it again: a
revocation takes effect at once in the process that revoked it, and within this many seconds
in the other server processes."""


@dataclass
class TokenCache:
    """Authenticated API tokens by the digest of their secret, for ``TOKEN_CACHE_SECONDS``
    (every API request authenticates; reading the token costs a unit of work)."""

    seconds: float = TOKEN_CACHE_SECONDS
    _entries: dict[str, tuple[float, Principal]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self, digest: str) -> Principal | None:
        entry = self._entries.get(digest)
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]

    def put(self, digest: str, principal: Principal, at_most: float | None = None) -> None:
        """Trust the token for ``seconds``, or ``at_most`` seconds when fewer (a token that
        expires sooner is never trusted past its expiry)."""
        seconds = self.seconds if at_most is None else min(self.seconds, at_most)
        with self._lock:
            if len(self._entries) > 10_000:  # bounded: stale entries go first, then all
                now = time.monotonic()
                self._entries = {k: v for k, v in self._entries.items() if v[0] >= now}
                if len(self._entries) > 10_000:
                    self._entries = {}
            self._entries[digest] = (time.monotonic() + seconds, principal)

    def clear(self) -> None:
        with self._lock:
            self._entries = {}


@dataclass
class Runtime:
    uow: UnitOfWorkFactory
    clock: Clock = field(default_factory=SystemClock)
    new_id: IdFactory = new_id
    rules: RuleCache = field(default_factory=RuleCache)
    tokens: TokenCache = field(default_factory=TokenCache)
    # the set-based document writer for bulk imports (bound by bootstrap to the SQL adapter)
    bulk_documents: BulkStoreFactory | None = None
    # the set-based aging report query (bound by bootstrap to the SQL adapter)
    aging_queries: AgingQueriesFactory | None = None
    # what an approved workflow item does, per workflow kind (registered by bootstrap: the
    # approval engine knows no use case of the features it approves for)
    completions: Mapping[str, CompletionTask] = field(default_factory=dict)
    # name resolution for webhook URLs (bound by bootstrap to the system resolver)
    resolve_host: HostResolver | None = None
    # CREDITDESK_WEBHOOK_ALLOW_PRIVATE: webhooks may reach loopback, private and link-local
    # addresses (receivers inside the network); metadata addresses too, so off by default
    webhook_allow_private: bool = False
    # password hashing and the common-password list (bound by bootstrap to argon2 and zxcvbn's)
    passwords: Passwords | None = None
    # CREDITDESK_ADMIN_TOKEN while it waits for the schema to be current (bootstrap sets it up)
    pending_admin_token: str | None = None
    # told of every credit check's decision and duration in seconds (the server's metrics)
    check_observer: Callable[[str, float], None] | None = None
