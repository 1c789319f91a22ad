# ruff: noqa: ARG002  (a fake accepts every argument of the port it stands in for)
"""In-memory fakes of the ports the credit check, the hold list, sales orders and approval
workflows use, so their use cases are unit-tested without a database (DESIGN "Testing").

A ``FakeStore`` holds the committed state; each ``FakeUnitOfWork`` works on a deep copy and
writes it back on ``commit``, so a use case that raises leaves the store as it was, as a real
transaction would. Repositories a test does not need refuse to be used, loudly.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, cast

from creditdesk.domain.customers import Customer
from creditdesk.domain.exposure import ExposureBucket, ExposureDelta
from creditdesk.domain.groups import CreditGroup
from creditdesk.domain.holds import Hold, HoldStatus
from creditdesk.domain.insurance import InsurancePolicy
from creditdesk.domain.money import Currency, Money, currency
from creditdesk.domain.rules import BlockingRule
from creditdesk.domain.setup import CreditLimitType
from creditdesk.domain.workflows import WorkflowDefinition, WorkflowItem, WorkflowKind
from creditdesk.service_layer import holds, journals
from creditdesk.service_layer.ports import (
    HoldFilter,
    Invoice,
    LegalEntity,
    RateQuote,
    SalesOrder,
    StoredCustomer,
    StoredEvent,
    UnitOfWork,
)
from creditdesk.service_layer.runtime import Runtime
from tests.support import FixedClock


@dataclass
class FakeStore:
    """The committed state of the fake database."""

    legal_entities: dict[str, LegalEntity] = field(default_factory=dict)
    rules: dict[str, list[BlockingRule]] = field(default_factory=dict)
    reasons: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)
    account_statuses: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)
    ranks: dict[tuple[str, str], dict[str, int]] = field(default_factory=dict)
    rates: dict[tuple[str, str], list[tuple[date, Any]]] = field(default_factory=dict)
    customers: dict[int, StoredCustomer] = field(default_factory=dict)
    exposure: dict[tuple[int, str], list[int]] = field(default_factory=dict)
    groups: dict[str, CreditGroup] = field(default_factory=dict)
    group_exposure: dict[tuple[str, str, str], list[int]] = field(default_factory=dict)
    orders: dict[tuple[str, str], SalesOrder] = field(default_factory=dict)
    invoices: dict[tuple[str, str], Invoice] = field(default_factory=dict)
    decisions: dict[str, dict[str, Any]] = field(default_factory=dict)
    holds: dict[str, Hold] = field(default_factory=dict)
    history: list[tuple[str, datetime, str, str, dict[str, Any]]] = field(default_factory=list)
    audit: list[tuple[Any, ...]] = field(default_factory=list)
    events: list[StoredEvent] = field(default_factory=list)
    definitions: dict[tuple[str, str], WorkflowDefinition] = field(default_factory=dict)
    items: dict[str, WorkflowItem] = field(default_factory=dict)
    temporary: dict[tuple[str, Any], Money] = field(default_factory=dict)
    commits: int = 0


class _Unused:
    """A port this fake does not provide."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        raise AssertionError(f"the fake unit of work has no {self._name}.{attr}")


class _LegalEntities:
    def __init__(self, s: FakeStore) -> None:
        self.s = s

    def get(self, legal_entity: str) -> LegalEntity | None:
        return self.s.legal_entities.get(legal_entity)

    def add(self, entity: LegalEntity, at: datetime) -> None:
        self.s.legal_entities[entity.id] = entity

    def update(self, entity: LegalEntity, at: datetime) -> None:
        self.s.legal_entities[entity.id] = entity

    def all_ids(self) -> list[str]:
        return sorted(self.s.legal_entities)


class _Rates:
    def __init__(self, s: FakeStore) -> None:
        self.s = s

    def quote(self, from_currency: str, to_currency: str, on: date) -> RateQuote | None:
        for pair, inverse in (
            ((from_currency, to_currency), False),
            ((to_currency, from_currency), True),
        ):
            valid = [(d, r) for d, r in self.s.rates.get(pair, []) if d <= on]
            if valid:
                day, rate = max(valid)
                return RateQuote(1 / rate if inverse else rate, day, inverse)
        return None


class _Customers:
    def __init__(self, s: FakeStore) -> None:
        self.s = s

    def get(self, legal_entity: str, account: str, *, lock: bool = False) -> StoredCustomer | None:
        for stored in self.s.customers.values():
            c = stored.customer
            if (c.legal_entity, c.account) == (legal_entity, account):
                return stored
        return None

    def get_by_id(self, customer_id: int, *, lock: bool = False) -> StoredCustomer | None:
        return self.s.customers.get(customer_id)

    def add(self, customer: Customer, at: datetime) -> int:
        new_id = len(self.s.customers) + 1
        self.s.customers[new_id] = StoredCustomer(new_id, customer, 1)
        return new_id

    def update(self, customer_id: int, customer: Customer, at: datetime) -> None:
        old = self.s.customers[customer_id]
        self.s.customers[customer_id] = StoredCustomer(customer_id, customer, old.version + 1)

    def members(self, group_id: str) -> list[StoredCustomer]:
        return [c for c in self.s.customers.values() if c.customer.credit_group == group_id]

    def exposure(
        self, customer_id: int, credit_limit_type: CreditLimitType | None = None
    ) -> list[ExposureBucket]:
        return [
            ExposureBucket(currency(code), totals[0], totals[1], totals[2])
            for (cid, code), totals in sorted(self.s.exposure.items())
            if cid == customer_id
        ]

    def apply_exposure(self, customer_id: int, delta: ExposureDelta) -> None:
        totals = self.s.exposure.setdefault((customer_id, delta.currency.code), [0, 0, 0])
        totals[0] += delta.balance
        totals[1] += delta.packing_slips
        totals[2] += delta.open_orders


class _Groups:
    def __init__(self, s: FakeStore) -> None:
        self.s = s

    def get(self, group_id: str, *, lock: bool = False) -> CreditGroup | None:
        return self.s.groups.get(group_id)

    def add(self, group: CreditGroup, at: datetime) -> None:
        self.s.groups[group.id] = group

    def update(self, group: CreditGroup, at: datetime) -> None:
        self.s.groups[group.id] = group

    def exposure(self, group_id: str) -> list[tuple[str, ExposureBucket]]:
        return [
            (le, ExposureBucket(currency(code), totals[0], totals[1], totals[2]))
            for (gid, le, code), totals in sorted(self.s.group_exposure.items())
            if gid == group_id
        ]

    def apply_exposure(self, group_id: str, legal_entity: str, delta: ExposureDelta) -> None:
        key = (group_id, legal_entity, delta.currency.code)
        totals = self.s.group_exposure.setdefault(key, [0, 0, 0])
        totals[0] += delta.balance
        totals[1] += delta.packing_slips
        totals[2] += delta.open_orders


class _Documents:
    def __init__(self, s: FakeStore) -> None:
        self.s = s

    def _open(self, customer_id: int) -> list[Invoice]:
        return [
            i
            for i in self.s.invoices.values()
            if i.customer_id == customer_id and not i.open_amount.is_zero
        ]

    def invoice(self, legal_entity: str, invoice_id: str) -> Invoice | None:
        return self.s.invoices.get((legal_entity, invoice_id))

    def open_invoices(self, customer_id: int) -> list[tuple[date, Money]]:
        return [(i.due_date, i.open_amount) for i in self._open(customer_id)]

    def overdue(self, customer_id: int, as_of: date) -> tuple[list[Money], date | None]:
        late = [i for i in self._open(customer_id) if i.due_date < as_of]
        oldest = min((i.due_date for i in late), default=None)
        return [i.open_amount for i in late], oldest

    def oldest_overdue(self, customer_id: int, as_of: date) -> date | None:
        return self.overdue(customer_id, as_of)[1]


class _Orders:
    def __init__(self, s: FakeStore) -> None:
        self.s = s

    def get(self, legal_entity: str, order_id: str) -> SalesOrder | None:
        return self.s.orders.get((legal_entity, order_id))

    def add(self, order: SalesOrder, at: datetime) -> None:
        self.s.orders[(order.legal_entity, order.id)] = order

    def update(self, order: SalesOrder, at: datetime) -> None:
        self.s.orders[(order.legal_entity, order.id)] = order


class _Decisions:
    def __init__(self, s: FakeStore) -> None:
        self.s = s

    def add(self, check_id: str, *args: Any) -> None:
        self.s.decisions[check_id] = args[-2]

    def get(self, check_id: str) -> dict[str, Any] | None:
        return self.s.decisions.get(check_id)


class _Holds:
    def __init__(self, s: FakeStore) -> None:
        self.s = s

    def add(self, hold: Hold) -> None:
        self.s.holds[hold.id] = hold

    def update(self, hold: Hold) -> None:
        self.s.holds[hold.id] = hold

    def get(self, hold_id: str) -> Hold | None:
        return self.s.holds.get(hold_id)

    def open_for_order(self, legal_entity: str, sales_order: str) -> Hold | None:
        for hold in self.s.holds.values():
            if (hold.legal_entity, hold.sales_order, hold.status) == (
                legal_entity,
                sales_order,
                HoldStatus.ON_HOLD,
            ):
                return hold
        return None

    def find(self, where: HoldFilter) -> list[Hold]:
        found = [
            h
            for h in sorted(self.s.holds.values(), key=lambda h: h.id)
            if (where.status is None or h.status.value == where.status)
            and (where.legal_entities is None or h.legal_entity in where.legal_entities)
            and (where.customer is None or h.customer == where.customer)
        ]
        return found[: where.limit]

    def add_history(
        self, hold_id: str, at: datetime, actor: str, action: str, data: dict[str, Any]
    ) -> None:
        self.s.history.append((hold_id, at, actor, action, data))

    def history(self, hold_id: str) -> list[dict[str, Any]]:
        return [
            {"at": at.isoformat(), "actor": actor, "action": action, "data": data}
            for hid, at, actor, action, data in self.s.history
            if hid == hold_id
        ]


class _Setup:
    def __init__(self, s: FakeStore) -> None:
        self.s = s

    def rules(self, legal_entity: str) -> list[BlockingRule]:
        return list(self.s.rules.get(legal_entity, []))

    def reason(self, legal_entity: str, reason_id: str) -> tuple[str, str] | None:
        return self.s.reasons.get((legal_entity, reason_id))

    def account_status(self, legal_entity: str, status_id: str) -> tuple[str, str] | None:
        return self.s.account_statuses.get((legal_entity, status_id))

    def ranks(self, legal_entity: str, kind: str) -> dict[str, int]:
        return dict(self.s.ranks.get((legal_entity, kind), {}))


class _Audit:
    def __init__(self, s: FakeStore) -> None:
        self.s = s

    def add(self, *entry: Any) -> None:
        self.s.audit.append(entry)


class _Events:
    def __init__(self, s: FakeStore) -> None:
        self.s = s

    def add(
        self, at: datetime, type: str, legal_entity: str, key: str, data: dict[str, Any]
    ) -> None:
        self.s.events.append(StoredEvent(len(self.s.events) + 1, at, type, legal_entity, key, data))


class _Worklist:
    def __init__(self, s: FakeStore) -> None:
        self.s = s

    def open_hold_ids(
        self,
        legal_entities: tuple[str, ...] | None,
        account: str | None,
        after_id: str | None,
        limit: int,
    ) -> list[str]:
        ids = sorted(
            h.id
            for h in self.s.holds.values()
            if h.is_open
            and (legal_entities is None or h.legal_entity in legal_entities)
            and (account is None or h.customer == account)
            and (after_id is None or h.id > after_id)
        )
        return ids[:limit]


class _LimitSources:
    def __init__(self, s: FakeStore) -> None:
        self.s = s

    def active_temporary(
        self, on: date, *, customer_id: int | None = None, group_id: str | None = None
    ) -> Money | None:
        return self.s.temporary.get(("group", group_id) if group_id else ("customer", customer_id))

    def active_policies(self, customer_id: int, on: date) -> list[InsurancePolicy]:
        return []


class _Workflows:
    def __init__(self, s: FakeStore) -> None:
        self.s = s

    def definition(self, legal_entity: str, kind: WorkflowKind) -> WorkflowDefinition | None:
        return self.s.definitions.get((legal_entity, kind.value))

    def add_item(self, item: WorkflowItem) -> None:
        self.s.items[item.id] = item

    def update_item(self, item: WorkflowItem) -> None:
        self.s.items[item.id] = item

    def item(self, item_id: str, *, lock: bool = False) -> WorkflowItem | None:
        return self.s.items.get(item_id)

    def items_for(self, kind: WorkflowKind, subject: str) -> list[WorkflowItem]:
        return [i for i in self.s.items.values() if i.kind == kind and i.subject == subject]


class FakeUnitOfWork:
    """One transaction over a copy of the store; ``commit`` makes its changes the store's."""

    def __init__(self, store: FakeStore, read_only: bool) -> None:
        self._store = store
        self._read_only = read_only
        work = copy.deepcopy(store)
        self._work = work
        self.legal_entities = _LegalEntities(work)
        self.rates = _Rates(work)
        self.customers = _Customers(work)
        self.groups = _Groups(work)
        self.documents = _Documents(work)
        self.orders = _Orders(work)
        self.decisions = _Decisions(work)
        self.holds = _Holds(work)
        self.setup = _Setup(work)
        self.audit = _Audit(work)
        self.events = _Events(work)
        self.worklist = _Worklist(work)
        self.limit_sources = _LimitSources(work)
        self.workflows = _Workflows(work)
        for name in (
            "tokens",
            "webhooks",
            "maintenance",
            "cm_groups",
            "journals",
            "scoring",
            "statistics",
            "setup_removals",
            "users",
            "group_list",
        ):
            setattr(self, name, _Unused(name))

    def __enter__(self) -> FakeUnitOfWork:
        return self

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        return None

    def commit(self) -> None:
        assert not self._read_only, "a read-only unit of work cannot commit"
        for name in self._store.__dataclass_fields__:
            setattr(self._store, name, copy.deepcopy(getattr(self._work, name)))
        self._store.commits += 1

    def rollback(self) -> None:
        return None


@dataclass
class FakeFactory:
    store: FakeStore

    def __call__(self, *, read_only: bool = False) -> UnitOfWork:
        return cast(UnitOfWork, FakeUnitOfWork(self.store, read_only))


def fake_runtime(store: FakeStore, day: str = "2026-11-23") -> Runtime:
    """A runtime over the fake store, on a fixed clock, with sequential ids."""
    counter = iter(range(1, 1_000_000))
    return Runtime(
        uow=FakeFactory(store),
        clock=FixedClock(day),
        new_id=lambda prefix: f"{prefix}_{next(counter):06d}",
        completions={
            WorkflowKind.CREDIT_HOLD_RELEASE.value: holds.complete_release_item,
            WorkflowKind.CREDIT_LIMIT_JOURNAL.value: journals.complete_journal_item,
            WorkflowKind.CREDIT_LIMIT_JOURNAL_LINE.value: journals.complete_journal_item,
        },
    )


def with_exposure(
    store: FakeStore, stored: StoredCustomer, cur: Currency, open_orders: int
) -> None:
    """Record open orders in a customer's (and its group's) running totals."""
    key = (stored.id, cur.code)
    store.exposure.setdefault(key, [0, 0, 0])[2] += open_orders
    group = stored.customer.credit_group
    if group is not None:
        gkey = (group, stored.customer.legal_entity, cur.code)
        store.group_exposure.setdefault(gkey, [0, 0, 0])[2] += open_orders
