"""Queries of the hold workflow (open orders to force onto the hold list, open holds to
evaluate) and the credit management groups of the setup."""

from __future__ import annotations

from datetime import date

from sqlalchemy import delete, exists, insert, select, update
from sqlalchemy.engine import Connection

from creditdesk.adapters import tables as t
from creditdesk.adapters import tables_lifecycle as tl
from creditdesk.domain.money import Money, currency
from creditdesk.service_layer.ports import ExpiringLimitRow


class SqlWorklistQueries:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def open_orders(
        self,
        legal_entity: str,
        accounts: tuple[str, ...] | None,
        order_ids: tuple[str, ...] | None,
        after_id: str | None,
        limit: int,
    ) -> list[tuple[str, str]]:
        """(order id, customer account) of open orders, by order id."""
        o, c = t.sales_orders, t.customers
        query = (
            select(o.c.id, c.c.account)
            .join(c, c.c.id == o.c.customer_id)
            .where(o.c.legal_entity == legal_entity, o.c.status == "open")
        )
        if accounts is not None:
            query = query.where(c.c.account.in_(accounts))
        if order_ids is not None:
            query = query.where(o.c.id.in_(order_ids))
        if after_id is not None:
            query = query.where(o.c.id > after_id)
        rows = self.conn.execute(query.order_by(o.c.id).limit(limit)).all()
        return [(row[0], row[1]) for row in rows]

    def open_hold_ids(
        self,
        legal_entities: tuple[str, ...] | None,
        account: str | None,
        after_id: str | None,
        limit: int,
    ) -> list[str]:
        h = t.credit_holds
        query = select(h.c.id).where(h.c.status == "on_hold")
        if legal_entities is not None:
            query = query.where(h.c.legal_entity.in_(legal_entities))
        if account is not None:
            query = query.where(h.c.customer == account)
        if after_id is not None:
            query = query.where(h.c.id > after_id)
        return list(self.conn.execute(query.order_by(h.c.id).limit(limit)).scalars().all())

    def expiring_limits(
        self, legal_entities: tuple[str, ...] | None, today: date, until: date
    ) -> list[ExpiringLimitRow]:
        """Customers' and groups' limits that end by ``until`` (or ended already), and the
        temporary limits in force or to come that end by ``until``. A group counts in a legal
        entity through a member there."""
        c, g, tmp = t.customers, t.credit_groups, tl.temporary_limits
        member = c.alias("member")
        rows: list[ExpiringLimitRow] = []
        customers = select(
            c.c.id,
            c.c.legal_entity,
            c.c.account,
            c.c.credit_group,
            c.c.limit_minor,
            c.c.limit_currency,
            c.c.limit_expires_on,
        ).where(
            c.c.limit_minor.is_not(None),
            c.c.limit_expires_on.is_not(None),
            c.c.limit_expires_on <= until,
            c.c.unlimited_limit.is_(False),
        )
        if legal_entities is not None:
            customers = customers.where(c.c.legal_entity.in_(legal_entities))
        for cid, le, account, group, minor, cur, expires in self.conn.execute(customers):
            rows.append(
                ExpiringLimitRow(
                    "customer",
                    le,
                    account,
                    group,
                    cid,
                    Money.from_minor(minor, currency(cur)),
                    expires,
                )
            )
        groups = select(g.c.id, g.c.limit_minor, g.c.limit_currency, g.c.limit_expires_on).where(
            g.c.limit_expires_on <= until
        )
        if legal_entities is not None:
            groups = groups.where(
                exists().where(c.c.credit_group == g.c.id, c.c.legal_entity.in_(legal_entities))
            )
        for gid, minor, cur, expires in self.conn.execute(groups):
            rows.append(
                ExpiringLimitRow(
                    "credit_group",
                    None,
                    None,
                    gid,
                    None,
                    Money.from_minor(minor, currency(cur)),
                    expires,
                )
            )
        temporary = (
            select(
                tmp.c.customer_id,
                tmp.c.credit_group,
                tmp.c.amount_minor,
                tmp.c.currency,
                tmp.c.to_date,
                c.c.legal_entity,
                c.c.account,
            )
            .select_from(tmp.outerjoin(c, c.c.id == tmp.c.customer_id))
            .where(tmp.c.to_date >= today, tmp.c.to_date <= until)
        )
        if legal_entities is not None:
            temporary = temporary.where(
                c.c.legal_entity.in_(legal_entities)
                | exists().where(
                    member.c.credit_group == tmp.c.credit_group,
                    member.c.legal_entity.in_(legal_entities),
                )
            )
        for cid, gid, minor, cur, ends, le, account in self.conn.execute(temporary):
            rows.append(
                ExpiringLimitRow(
                    "temporary_limit",
                    le,
                    account,
                    gid,
                    cid,
                    Money.from_minor(minor, currency(cur)),
                    ends,
                )
            )
        return rows


class SqlCreditManagementGroupRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def get(self, legal_entity: str, group_id: str) -> str | None:
        g = t.credit_management_groups
        return self.conn.execute(
            select(g.c.description).where(g.c.legal_entity == legal_entity, g.c.id == group_id)
        ).scalar()

    def put(self, legal_entity: str, group_id: str, description: str) -> None:
        g = t.credit_management_groups
        done = self.conn.execute(
            update(g)
            .where(g.c.legal_entity == legal_entity, g.c.id == group_id)
            .values(description=description)
        )
        if done.rowcount == 0:
            self.conn.execute(
                insert(g).values(legal_entity=legal_entity, id=group_id, description=description)
            )

    def all(self, legal_entity: str) -> list[tuple[str, str]]:
        g = t.credit_management_groups
        rows = self.conn.execute(
            select(g.c.id, g.c.description).where(g.c.legal_entity == legal_entity).order_by(g.c.id)
        ).all()
        return [(row[0], row[1]) for row in rows]

    def delete(self, legal_entity: str, group_id: str) -> bool:
        g = t.credit_management_groups
        done = self.conn.execute(
            delete(g).where(g.c.legal_entity == legal_entity, g.c.id == group_id)
        )
        return bool(done.rowcount)

    def in_use(self, legal_entity: str, group_id: str) -> bool:
        c, r = t.customers, t.blocking_rules
        customer = self.conn.execute(
            select(c.c.id)
            .where(c.c.legal_entity == legal_entity, c.c.credit_management_group == group_id)
            .limit(1)
        ).first()
        rule = self.conn.execute(
            select(r.c.id)
            .where(
                r.c.legal_entity == legal_entity,
                r.c.valid_for == "group",
                r.c.account_or_group == group_id,
            )
            .limit(1)
        ).first()
        return customer is not None or rule is not None


class SqlSetupRemovals:
    """Deleting setup rows, and whether something still uses them."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def reason_in_use(self, legal_entity: str, reason_id: str) -> bool:
        le = t.legal_entities
        row = self.conn.execute(
            select(le.c.id).where(
                le.c.id == legal_entity,
                (le.c.release_reason_ready == reason_id)
                | (le.c.release_reason_cancel == reason_id)
                | (le.c.release_reason_modified == reason_id),
            )
        ).first()
        c = t.customers
        status = self.conn.execute(
            select(c.c.id)
            .where(c.c.legal_entity == legal_entity, c.c.status_reason == reason_id)
            .limit(1)
        ).first()
        return row is not None or status is not None

    def delete_reason(self, legal_entity: str, reason_id: str) -> bool:
        r = t.reasons
        done = self.conn.execute(
            delete(r).where(r.c.legal_entity == legal_entity, r.c.id == reason_id)
        )
        return bool(done.rowcount)

    def account_status_in_use(self, legal_entity: str, status_id: str) -> bool:
        c, r = t.customers, t.blocking_rules
        customer = self.conn.execute(
            select(c.c.id)
            .where(c.c.legal_entity == legal_entity, c.c.account_status == status_id)
            .limit(1)
        ).first()
        rule = self.conn.execute(
            select(r.c.id)
            .where(r.c.legal_entity == legal_entity, r.c.account_status == status_id)
            .limit(1)
        ).first()
        return customer is not None or rule is not None

    def delete_account_status(self, legal_entity: str, status_id: str) -> bool:
        s = t.account_statuses
        done = self.conn.execute(
            delete(s).where(s.c.legal_entity == legal_entity, s.c.id == status_id)
        )
        return bool(done.rowcount)

    def delete_rank(self, legal_entity: str, kind: str, code: str) -> bool:
        r = t.ranks
        done = self.conn.execute(
            delete(r).where(r.c.legal_entity == legal_entity, r.c.kind == kind, r.c.code == code)
        )
        return bool(done.rowcount)
