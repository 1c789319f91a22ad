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

from creditdesk.domain.adjustments import Journal, JournalLine, Period, TemporaryLimit
from creditdesk.domain.customers import Customer
from creditdesk.domain.events import DeliveryError
from creditdesk.domain.exposure import ExposureBucket, ExposureDelta
from creditdesk.domain.groups import CreditGroup
from creditdesk.domain.holds import Hold
from creditdesk.domain.insurance import InsurancePolicy
from creditdesk.domain.money import Currency, Money
from creditdesk.domain.rules import BlockingRule
from creditdesk.domain.scoring import AutomaticLimit, RiskGroup, RiskScore, ScoringGroup
from creditdesk.domain.setup import CreditLimitType, CreditParameters
from creditdesk.domain.statistics import BalanceStatistics, StatisticsParameters
from creditdesk.domain.workflows import WorkflowDefinition, WorkflowItem, WorkflowKind

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
    intercompany: bool = False

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
    expires_at: datetime | None = None
    last_used_at: datetime | None = None


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
    def exposure(
        self, customer_id: int, kind: CreditLimitType = CreditLimitType.BALANCE_AND_ALL
    ) -> list[ExposureBucket]: ...
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
    def oldest_overdue(self, customer_id: int, as_of: date) -> date | None: ...
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
    def revoke_named(self, name: str, at: datetime) -> list[str]:
        """Revoke every active token of this name; the ids revoked."""
        ...

    def mark_used(self, token_id: str, at: datetime) -> None: ...


@dataclass(frozen=True, slots=True)
class WebUser:
    """A person who signs in to the web application (passwords stored as argon2 hashes)."""

    username: str
    display_name: str
    password_hash: str
    role: str
    legal_entities: tuple[str, ...] | None
    language: str | None
    created_at: datetime
    disabled_at: datetime | None = None


class Passwords(Protocol):
    """Password hashing and the common-password list (argon2 and the list live in adapters)."""

    def hash(self, password: str) -> str: ...
    def verify(self, password_hash: str, password: str) -> bool: ...
    def needs_rehash(self, password_hash: str) -> bool: ...
    def is_common(self, password: str) -> bool: ...


class UserRepository(Protocol):
    def get(self, username: str) -> WebUser | None: ...
    def add(self, user: WebUser) -> None: ...
    def set_password_hash(self, username: str, password_hash: str) -> None: ...
    def set_language(self, username: str, language: str | None) -> None: ...
    def set_disabled(self, username: str, at: datetime | None) -> None: ...
    def all(self) -> list[WebUser]: ...
    # sessions, stored by the digest of their id
    def add_session(self, session: WebSession) -> None: ...
    def get_session(self, session_hash: str) -> WebSession | None: ...
    def touch_session(self, session_hash: str, at: datetime) -> None: ...
    def end_session(self, session_hash: str) -> None: ...
    def end_sessions_of(self, username: str) -> int: ...
    def end_sessions_before(self, last_seen: datetime, created: datetime) -> int: ...
    # the sign-in throttle
    def failures(self, keys: list[str]) -> list[SignInFailures]: ...
    def put_failures(self, failures: SignInFailures) -> None: ...
    def clear_failures(self, key: str) -> None: ...
    def forget_failures_before(self, last_failure: datetime) -> int: ...


@dataclass(frozen=True, slots=True)
class WebSession:
    """A signed-in browser: ended by sign-out, a password change, the user being disabled,
    the idle time or the absolute lifetime."""

    session_hash: str
    username: str
    created_at: datetime
    last_seen_at: datetime


@dataclass(frozen=True, slots=True)
class SignInFailures:
    """Failed sign-ins counted for one user (``user:<name>``) or client address
    (``address:<ip>``), and until when further attempts are refused unchecked."""

    key: str
    failures: int
    last_failure_at: datetime
    blocked_until: datetime | None


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


class HostResolver(Protocol):
    def __call__(self, host: str, port: int, /) -> list[str]:
        """The IP addresses a host name resolves to; raise OSError when it does not."""
        ...


@dataclass(frozen=True, slots=True)
class WebhookMessage:
    """One event for one webhook, to be signed per Standard Webhooks: ``id`` is the
    ``webhook-id`` (the same on every retry), ``at`` the ``webhook-timestamp``."""

    id: str
    at: datetime
    body: bytes
    secret: str
    headers: dict[str, str]


class DeliveryFailedError(Exception):
    """A delivery attempt that got no HTTP answer; ``category`` is what ``last_error`` shows
    (the raw error is for the server log only)."""

    def __init__(self, category: DeliveryError) -> None:
        super().__init__(category.value)
        self.category = category


class WebhookSender(Protocol):
    def post(self, url: str, addresses: Sequence[str], message: WebhookMessage) -> int:
        """Sign and POST the message to ``url``, connecting only to one of ``addresses`` (the
        checked ones, never a fresh resolution of the host name), and return the HTTP status;
        raise DeliveryFailedError when there is no answer."""
        ...


class EventRepository(Protocol):
    def add(
        self, at: datetime, type: str, legal_entity: str, key: str, data: dict[str, Any]
    ) -> None: ...
    def after(
        self, after_id: int, legal_entities: tuple[str, ...] | None, limit: int
    ) -> list[StoredEvent]: ...
    def latest_id(self) -> int: ...


class WebhookRepository(Protocol):
    def add(self, hook: Webhook) -> None: ...
    def all(self) -> list[Webhook]: ...
    def get(self, hook_id: str) -> Webhook | None: ...
    def delete(self, hook_id: str) -> bool: ...
    def advance(self, hook_id: str, seen_cursor: int, cursor: int) -> bool: ...
    def failed(
        self, hook_id: str, seen_cursor: int, failures: int, next_attempt_at: datetime, error: str
    ) -> None: ...


class MaintenanceQueries(Protocol):
    def customer_ids(self, after: int | None, limit: int) -> list[int]: ...
    def group_ids(self, after: str | None, limit: int) -> list[str]: ...


@dataclass(frozen=True, slots=True)
class ExpiringLimitRow:
    """A limit that ends on ``expires_on``: a customer's (``account``), a credit group's
    (``credit_group``), or a temporary limit of either."""

    kind: str  # customer | credit_group | temporary_limit
    legal_entity: str | None
    account: str | None
    credit_group: str | None
    customer_id: int | None
    limit: Money
    expires_on: date


class WorklistQueries(Protocol):
    def open_orders(
        self,
        legal_entity: str,
        accounts: tuple[str, ...] | None,
        order_ids: tuple[str, ...] | None,
        after_id: str | None,
        limit: int,
    ) -> list[tuple[str, str]]: ...
    def open_hold_ids(
        self,
        legal_entities: tuple[str, ...] | None,
        account: str | None,
        after_id: str | None,
        limit: int,
    ) -> list[str]: ...
    def expiring_limits(
        self, legal_entities: tuple[str, ...] | None, today: date, until: date
    ) -> list[ExpiringLimitRow]: ...


class CreditManagementGroupRepository(Protocol):
    def get(self, legal_entity: str, group_id: str) -> str | None: ...
    def put(self, legal_entity: str, group_id: str, description: str) -> None: ...
    def all(self, legal_entity: str) -> list[tuple[str, str]]: ...
    def delete(self, legal_entity: str, group_id: str) -> bool: ...
    def in_use(self, legal_entity: str, group_id: str) -> bool: ...


class SetupRemovals(Protocol):
    def reason_in_use(self, legal_entity: str, reason_id: str) -> bool: ...
    def delete_reason(self, legal_entity: str, reason_id: str) -> bool: ...
    def account_status_in_use(self, legal_entity: str, status_id: str) -> bool: ...
    def delete_account_status(self, legal_entity: str, status_id: str) -> bool: ...
    def delete_rank(self, legal_entity: str, kind: str, code: str) -> bool: ...


class WorkflowRepository(Protocol):
    def definition(self, legal_entity: str, kind: WorkflowKind) -> WorkflowDefinition | None: ...
    def put_definition(self, definition: WorkflowDefinition, at: datetime) -> None: ...
    def add_item(self, item: WorkflowItem) -> None: ...
    def update_item(self, item: WorkflowItem) -> None: ...
    def item(self, item_id: str, *, lock: bool = False) -> WorkflowItem | None: ...
    def items_for(self, kind: WorkflowKind, subject: str) -> list[WorkflowItem]: ...
    def find(
        self,
        status: str | None,
        legal_entities: tuple[str, ...] | None,
        submitted_by: str | None,
        after_id: str | None,
        limit: int,
    ) -> list[WorkflowItem]: ...


@dataclass(frozen=True, slots=True)
class Schedule:
    """When a periodic task runs for a legal entity: every ``interval_seconds`` or on a cron
    expression (exactly one of them), with the task's parameters."""

    legal_entity: str
    task: str
    interval_seconds: int | None
    cron: str | None
    parameters: dict[str, Any]
    enabled: bool
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class TaskRun:
    id: str
    task: str
    legal_entity: str
    period: str
    started_at: datetime
    finished_at: datetime | None
    outcome: str
    figures: dict[str, Any] | None
    error: str | None
    host: str


class ScheduleRepository(Protocol):
    def get(self, legal_entity: str, task: str) -> Schedule | None: ...
    def put(self, schedule: Schedule) -> None: ...
    def delete(self, legal_entity: str, task: str) -> bool: ...
    def all(self, legal_entities: tuple[str, ...] | None) -> list[Schedule]: ...
    def claim(self, run: TaskRun) -> bool:
        """Insert the run of a period unless one exists; False when another process has it."""
        ...

    def finish(
        self,
        run_id: str,
        finished_at: datetime,
        outcome: str,
        figures: dict[str, Any] | None,
        error: str | None,
    ) -> None: ...
    def abandon_stale(self, started_before: datetime, now: datetime) -> int: ...
    def runs(
        self,
        legal_entities: tuple[str, ...] | None,
        task: str | None,
        legal_entity: str | None,
        after: str | None,
        limit: int,
    ) -> list[TaskRun]: ...


class LeaseRepository(Protocol):
    def acquire(self, name: str, holder: str, now: datetime, expires_at: datetime) -> bool:
        """Take or renew the lease unless another holder's is still running."""
        ...

    def release(self, name: str, holder: str) -> None: ...


class OperationsQueries(Protocol):
    def open_holds_by_legal_entity(self) -> dict[str, int]: ...
    def pending_outbox_events(self) -> int: ...


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
    maintenance: MaintenanceQueries
    worklist: WorklistQueries
    cm_groups: CreditManagementGroupRepository
    journals: JournalRepository
    limit_sources: LimitSourceRepository
    scoring: ScoringRepository
    statistics: StatisticsRepository
    setup_removals: SetupRemovals
    workflows: WorkflowRepository
    users: UserRepository
    group_list: GroupListQueries
    schedules: ScheduleRepository
    leases: LeaseRepository
    operations: OperationsQueries

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


# --- credit limit lifecycle: journals, temporary limits, insurance, scoring, statistics ---------


@dataclass(frozen=True, slots=True)
class CurrencyAggregates:
    """Per customer and currency, in minor units: the open balance, the credit sales of the two
    DSO windows and Σ amount × (balance points on or after the document date)."""

    balance: int = 0
    sales1: int = 0
    sales2: int = 0
    weighted_balance: int = 0


@dataclass(frozen=True, slots=True)
class StatisticsInput:
    customer_id: int
    account: str
    customer_since: date | None
    by_currency: dict[str, CurrencyAggregates]
    payment_days_total: int
    payments_counted: int


@dataclass(frozen=True, slots=True)
class StatisticsWindows:
    as_of: date
    sales1_start: date
    sales2_start: date
    payments_start: date
    balance_points: tuple[date, ...]


@dataclass(frozen=True, slots=True)
class ScoringInput:
    customer_id: int
    account: str
    currency: Currency
    business_started_on: date | None
    customer_since: date | None
    credit_management_group: str | None
    account_status: str | None
    country: str | None
    risk_group: str | None
    user_values: dict[str, str]


class JournalRepository(Protocol):
    def next_number(self, legal_entity: str) -> int: ...
    def add(self, journal: Journal, actor: str, at: datetime) -> None: ...
    def get(self, legal_entity: str, journal_id: str, *, lock: bool = False) -> Journal | None: ...
    def find(self, legal_entity: str, after_id: str | None, limit: int) -> list[Journal]: ...
    def add_lines(
        self, legal_entity: str, journal_id: str, lines: Sequence[JournalLine], at: datetime
    ) -> None: ...
    def delete_lines(self, legal_entity: str, journal_id: str, line_nos: Sequence[int]) -> None: ...
    def group_ids(self) -> list[str]: ...
    def set_posted(
        self, legal_entity: str, journal_id: str, posted_on: date, actor: str, at: datetime
    ) -> None: ...


class LimitSourceRepository(Protocol):
    def temporary_limits(
        self, *, customer_id: int | None = None, group_id: str | None = None
    ) -> list[TemporaryLimit]: ...
    def active_temporary(
        self, on: date, *, customer_id: int | None = None, group_id: str | None = None
    ) -> Money | None: ...
    def add_temporary(
        self,
        legal_entity: str,
        journal_id: str,
        amount: Money,
        period: Period,
        at: datetime,
        *,
        customer_id: int | None = None,
        group_id: str | None = None,
    ) -> None: ...
    def policies(self, customer_id: int) -> list[InsurancePolicy]: ...
    def active_policies(self, customer_id: int, on: date) -> list[InsurancePolicy]: ...
    def add_policy(self, customer_id: int, policy: InsurancePolicy, at: datetime) -> None: ...
    def delete_policy(self, customer_id: int, policy_id: str) -> bool: ...


class ScoringRepository(Protocol):
    def scoring_groups(self, legal_entity: str) -> list[ScoringGroup]: ...
    def put_scoring_group(self, legal_entity: str, group: ScoringGroup) -> None: ...
    def delete_scoring_group(self, legal_entity: str, group_id: str) -> bool: ...
    def risk_groups(self, legal_entity: str) -> list[RiskGroup]: ...
    def put_risk_group(self, legal_entity: str, group: RiskGroup) -> None: ...
    def delete_risk_group(self, legal_entity: str, group_id: str) -> bool: ...
    def automatic_limits(self, legal_entity: str) -> list[AutomaticLimit]: ...
    def put_automatic_limit(self, legal_entity: str, setup: AutomaticLimit) -> None: ...
    def put_user_value(self, customer_id: int, scoring_group: str, value: str | None) -> None: ...
    def inputs(self, legal_entity: str, customer_ids: Sequence[int]) -> list[ScoringInput]: ...
    def save_scores(
        self,
        legal_entity: str,
        as_of: date,
        scores: Sequence[tuple[int, RiskScore]],
        changed_groups: Sequence[tuple[int, str | None]],
        at: datetime,
    ) -> None: ...
    def risk_score(self, customer_id: int) -> tuple[date, RiskScore] | None: ...
    def stored_factor_values(self, legal_entity: str) -> dict[int, dict[str, str | None]]: ...


class StatisticsRepository(Protocol):
    def parameters(self, legal_entity: str) -> StatisticsParameters: ...
    def put_parameters(self, legal_entity: str, params: StatisticsParameters) -> None: ...
    def customer_ids(self, legal_entity: str, accounts: Sequence[str] | None) -> list[int]: ...
    def aggregates(
        self, legal_entity: str, customer_ids: Sequence[int], windows: StatisticsWindows
    ) -> list[StatisticsInput]: ...
    def save(
        self,
        legal_entity: str,
        rows: Sequence[tuple[int, BalanceStatistics]],
        currency_code: str,
        at: datetime,
    ) -> None: ...
    def latest(self, customer_id: int) -> BalanceStatistics | None: ...
    def delete_before(self, legal_entity: str, cutoff: date) -> int: ...


@dataclass(frozen=True, slots=True)
class GroupListRow:
    """A customer credit group in the group list, with its number of (visible) members."""

    id: str
    description: str
    limit: Money
    limit_expires_on: date
    members: int


class GroupListQueries(Protocol):
    def groups(self, legal_entities: tuple[str, ...] | None) -> list[GroupListRow]: ...
