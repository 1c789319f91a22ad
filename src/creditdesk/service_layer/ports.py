"""Ports: what the use cases need from the outside world, as Protocols.

The SQLAlchemy adapters implement them; the use cases never see a row or a session.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol, TypeVar

from creditdesk.domain.customers import Customer
from creditdesk.domain.exposure import ExposureBucket, ExposureDelta
from creditdesk.domain.groups import CreditGroup
from creditdesk.domain.holds import Hold
from creditdesk.domain.money import Currency, Money
from creditdesk.domain.rules import BlockingRule
from creditdesk.domain.setup import CreditParameters

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class LegalEntity:
    id: str
    name: str
    accounting_currency: Currency
    parameters: CreditParameters
    setup_version: int = 1


@dataclass(frozen=True, slots=True)
class StoredCustomer:
    id: int
    customer: Customer
    version: int


@dataclass(frozen=True, slots=True)
class SalesOrder:
    legal_entity: str
    id: str
    customer_id: int
    amount: Money
    packed: Money
    payment_terms: str | None
    settlement_discount: str | None
    status: str  # open | cancelled | rejected
    exclude: bool
    body_hash: str
    version: int
    released_at: date | None = None
    released_amount: Money | None = None
    released_checkpoint: str | None = None
    released_with_posting: bool | None = None
    grace_until: date | None = None
    rejected_at: datetime | None = None

    @property
    def counted_open(self) -> Money:
        """Open value counted in exposure: rejected and cancelled orders count nothing."""
        return self.amount if self.status == "open" else Money.zero(self.amount.currency)

    @property
    def counted_packed(self) -> Money:
        return self.packed if self.status == "open" else Money.zero(self.packed.currency)


@dataclass(frozen=True, slots=True)
class Invoice:
    legal_entity: str
    id: str
    customer_id: int
    kind: str
    amount: Money
    open_amount: Money
    invoice_date: date
    due_date: date
    sales_order: str | None
    body_hash: str


@dataclass(frozen=True, slots=True)
class StoredDocument:
    """A pushed document kept for idempotency: its id, customer and body hash."""

    legal_entity: str
    id: str
    customer_id: int
    body_hash: str


@dataclass(frozen=True, slots=True)
class RateQuote:
    rate: Decimal
    valid_from: date
    inverse: bool


@dataclass(frozen=True, slots=True)
class ApiToken:
    id: str
    name: str
    role: str
    legal_entities: tuple[str, ...] | None
    created_at: datetime
    revoked_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class AuditEvent:
    id: int
    at: datetime
    actor: str
    action: str
    entity: str
    key: str
    before: Any
    after: Any


@dataclass(frozen=True, slots=True)
class HoldFilter:
    status: str | None = None
    legal_entities: tuple[str, ...] | None = None
    customer: str | None = None
    sales_order: str | None = None
    reason: str | None = None
    checkpoint: str | None = None
    created_from: date | None = None
    created_to: date | None = None
    ready_to_release: bool | None = None
    after_id: str | None = None
    limit: int = 100


class LegalEntityRepository(Protocol):
    def get(self, legal_entity: str) -> LegalEntity | None: ...
    def add(self, entity: LegalEntity, at: datetime) -> None: ...
    def update(self, entity: LegalEntity, at: datetime) -> None: ...
    def all_ids(self) -> list[str]: ...


class RateRepository(Protocol):
    def put(
        self, from_currency: str, to_currency: str, rate: Decimal, valid_from: date, at: datetime
    ) -> None: ...
    def quote(self, from_currency: str, to_currency: str, on: date) -> RateQuote | None: ...
    def all(
        self, from_currency: str | None, to_currency: str | None
    ) -> list[tuple[str, str, Decimal, date]]: ...


class CustomerRepository(Protocol):
    def get(
        self, legal_entity: str, account: str, *, lock: bool = False
    ) -> StoredCustomer | None: ...
    def get_by_id(self, customer_id: int, *, lock: bool = False) -> StoredCustomer | None: ...
    def add(self, customer: Customer, at: datetime) -> int: ...
    def update(self, customer_id: int, customer: Customer, at: datetime) -> None: ...
    def same_account_elsewhere(self, account: str, legal_entity: str) -> list[tuple[str, str]]: ...
    def members(self, group_id: str) -> list[StoredCustomer]: ...
    def exposure(self, customer_id: int) -> list[ExposureBucket]: ...
    def apply_exposure(self, customer_id: int, delta: ExposureDelta) -> None: ...


class CreditGroupRepository(Protocol):
    def get(self, group_id: str, *, lock: bool = False) -> CreditGroup | None: ...
    def add(self, group: CreditGroup, at: datetime) -> None: ...
    def update(self, group: CreditGroup, at: datetime) -> None: ...
    def exposure(self, group_id: str) -> list[tuple[str, ExposureBucket]]: ...
    def apply_exposure(self, group_id: str, legal_entity: str, delta: ExposureDelta) -> None: ...


class DocumentRepository(Protocol):
    def invoice(self, legal_entity: str, invoice_id: str) -> Invoice | None: ...
    def add_invoice(self, invoice: Invoice, at: datetime) -> None: ...
    def set_invoice_open(self, legal_entity: str, invoice_id: str, open_amount: Money) -> None: ...
    def open_invoices(self, customer_id: int) -> list[tuple[date, Money]]: ...
    def overdue(self, customer_id: int, as_of: date) -> tuple[list[Money], date | None]: ...
    def payment(self, legal_entity: str, payment_id: str) -> StoredDocument | None: ...
    def add_payment(
        self,
        legal_entity: str,
        payment_id: str,
        customer_id: int,
        amount: Money,
        on: date,
        body_hash: str,
        applications: Sequence[tuple[str, Money]],
        at: datetime,
    ) -> None: ...
    def packing_slip(self, legal_entity: str, slip_id: str) -> StoredDocument | None: ...
    def add_packing_slip(
        self,
        legal_entity: str,
        slip_id: str,
        sales_order: str,
        amount: Money,
        on: date,
        body_hash: str,
        at: datetime,
    ) -> None: ...
    def recompute_exposure(self, customer_id: int) -> list[ExposureBucket]: ...


class SalesOrderRepository(Protocol):
    def get(self, legal_entity: str, order_id: str) -> SalesOrder | None: ...
    def add(self, order: SalesOrder, at: datetime) -> None: ...
    def update(self, order: SalesOrder, at: datetime) -> None: ...


class DecisionRepository(Protocol):
    def add(
        self,
        check_id: str,
        legal_entity: str,
        sales_order: str,
        customer: str,
        checkpoint: str,
        posting: bool,
        as_of: date,
        decision: str,
        hold_id: str | None,
        body: dict[str, Any],
        checked_at: datetime,
    ) -> None: ...
    def get(self, check_id: str) -> dict[str, Any] | None: ...
    def for_customer(
        self, legal_entity: str, customer: str, limit: int
    ) -> list[dict[str, Any]]: ...


class HoldRepository(Protocol):
    def add(self, hold: Hold) -> None: ...
    def update(self, hold: Hold) -> None: ...
    def get(self, hold_id: str) -> Hold | None: ...
    def open_for_order(self, legal_entity: str, sales_order: str) -> Hold | None: ...
    def find(self, where: HoldFilter) -> list[Hold]: ...
    def add_history(
        self, hold_id: str, at: datetime, actor: str, action: str, data: dict[str, Any]
    ) -> None: ...
    def history(self, hold_id: str) -> list[dict[str, Any]]: ...


class SetupRepository(Protocol):
    def rules(self, legal_entity: str) -> list[BlockingRule]: ...
    def add_rule(self, legal_entity: str, rule: BlockingRule, at: datetime) -> None: ...
    def delete_rule(self, legal_entity: str, rule_id: str) -> bool: ...
    def reason(self, legal_entity: str, reason_id: str) -> tuple[str, str] | None: ...
    def put_reason(
        self, legal_entity: str, reason_id: str, type: str, description: str
    ) -> None: ...
    def reasons(self, legal_entity: str) -> list[tuple[str, str, str]]: ...
    def account_status(self, legal_entity: str, status_id: str) -> tuple[str, str] | None: ...
    def put_account_status(
        self, legal_entity: str, status_id: str, description: str, on_hold: str
    ) -> None: ...
    def account_statuses(self, legal_entity: str) -> list[tuple[str, str, str]]: ...
    def ranks(self, legal_entity: str, kind: str) -> dict[str, int]: ...
    def put_rank(self, legal_entity: str, kind: str, code: str, rank: int) -> None: ...


class TokenRepository(Protocol):
    def add(self, token: ApiToken, secret_hash: str) -> None: ...
    def by_hash(self, secret_hash: str) -> ApiToken | None: ...
    def all(self) -> list[ApiToken]: ...
    def revoke(self, token_id: str, at: datetime) -> bool: ...


class AuditRepository(Protocol):
    def add(
        self, at: datetime, actor: str, action: str, entity: str, key: str, before: Any, after: Any
    ) -> None: ...
    def find(
        self, entity: str | None, key: str | None, after_id: int | None, limit: int
    ) -> list[AuditEvent]: ...


@dataclass(frozen=True, slots=True)
class StoredEvent:
    id: int
    at: datetime
    type: str
    legal_entity: str
    key: str
    data: dict[str, Any]

    def body(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": self.type,
            "at": self.at.isoformat().replace("+00:00", "Z"),
            "legal_entity": self.legal_entity,
            "key": self.key,
            "data": self.data,
        }


@dataclass(frozen=True, slots=True)
class Webhook:
    id: str
    url: str
    secret: str
    legal_entities: tuple[str, ...] | None
    event_types: tuple[str, ...] | None
    active: bool
    cursor: int
    failures: int
    next_attempt_at: datetime | None
    last_error: str | None
    created_at: datetime

    def wants(self, event: StoredEvent) -> bool:
        if self.legal_entities is not None and event.legal_entity not in self.legal_entities:
            return False
        return self.event_types is None or event.type in self.event_types


class EventRepository(Protocol):
    def add(
        self, at: datetime, type: str, legal_entity: str, key: str, data: dict[str, Any]
    ) -> None: ...
    def after(
        self, after_id: int, legal_entities: tuple[str, ...] | None, limit: int
    ) -> list[StoredEvent]: ...


class WebhookRepository(Protocol):
    def add(self, hook: Webhook) -> None: ...
    def all(self) -> list[Webhook]: ...
    def get(self, hook_id: str) -> Webhook | None: ...
    def delete(self, hook_id: str) -> bool: ...
    def advance(self, hook_id: str, seen_cursor: int, cursor: int) -> bool: ...
    def failed(
        self, hook_id: str, seen_cursor: int, failures: int, next_attempt_at: datetime, error: str
    ) -> None: ...


class UnitOfWork(Protocol):
    legal_entities: LegalEntityRepository
    rates: RateRepository
    customers: CustomerRepository
    groups: CreditGroupRepository
    documents: DocumentRepository
    orders: SalesOrderRepository
    decisions: DecisionRepository
    holds: HoldRepository
    setup: SetupRepository
    tokens: TokenRepository
    audit: AuditRepository
    events: EventRepository
    webhooks: WebhookRepository

    def __enter__(self) -> UnitOfWork: ...
    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self, *, read_only: bool = False) -> UnitOfWork: ...


class Clock(Protocol):
    def now(self) -> datetime: ...
    def today(self) -> date: ...


IdFactory = Callable[[str], str]
"""Makes a new unique id with a prefix (``chk``, ``hold``, ``rule``, ``tok``)."""


def run_with_retries(work: Callable[[], T], attempts: int = 8) -> T:
    """Run a whole use case again when it lost a race (deadlock, duplicate insert)."""
    from creditdesk.service_layer.errors import RetryableError

    for attempt in range(attempts):
        try:
            return work()
        except RetryableError:
            if attempt == attempts - 1:
                raise
            # back off with jitter so racing writers do not collide again in lockstep
            time.sleep(random.uniform(0, 0.002 * 2**attempt))
    raise AssertionError("unreachable")  # pragma: no cover
