"""SQLAlchemy Core repositories of the credit limit lifecycle: adjustment journals, temporary
limits, insurance policies, risk scoring and balance statistics.

The periodic tasks read in set-based aggregate queries over a chunk of customers (one
``GROUP BY`` per document table, driven by the ``(customer_id, date)`` indexes) and write
with ``executemany``; nothing here loops over documents in Python.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    and_,
    bindparam,
    case,
    cast,
    delete,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.engine import Connection

from creditdesk.adapters import tables as t
from creditdesk.adapters import tables_lifecycle as lt
from creditdesk.adapters.repositories import _Columns, _is_sqlite, _Sql
from creditdesk.domain.adjustments import (
    Journal,
    JournalLine,
    JournalType,
    Period,
    Target,
    TemporaryLimit,
)
from creditdesk.domain.insurance import Identifier, InsurancePolicy
from creditdesk.domain.money import Money, currency
from creditdesk.domain.scoring import (
    AutomaticLimit,
    AutomaticLimitLine,
    Measure,
    Operator,
    RiskGroup,
    RiskScore,
    ScoreFactor,
    ScoreLine,
    ScoreType,
    ScoringGroup,
)
from creditdesk.domain.statistics import BalanceStatistics, StatisticsParameters
from creditdesk.service_layer.ports import (
    CurrencyAggregates,
    ScoringInput,
    StatisticsInput,
    StatisticsWindows,
)

_IN_LIST_MAX = 500


def _money(minor: int | None, code: str | None) -> Money | None:
    if minor is None or code is None:
        return None
    return Money.from_minor(int(minor), currency(code))


def _dec(text: str | None) -> Decimal | None:
    return Decimal(text) if text is not None else None


class _Repo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def _ids_filter(self, column: Any, ids: Sequence[int]) -> ColumnElement[bool]:
        """``column IN ids`` for short lists, a range for long sorted chunks (the caller
        keeps only the ids it asked for)."""
        if len(ids) <= _IN_LIST_MAX:
            return column.in_(list(ids))  # type: ignore[no-any-return]
        return and_(column >= min(ids), column <= max(ids))


# --- adjustment journals ------------------------------------------------------------------------


class SqlJournalRepository(_Repo):
    def next_number(self, legal_entity: str) -> int:
        s = lt.journal_sequences
        row = self.conn.execute(
            select(s.c.next_number).where(s.c.legal_entity == legal_entity).with_for_update()
        ).first()
        if row is None:
            self.conn.execute(insert(s).values(legal_entity=legal_entity, next_number=2))
            return 1
        number = int(row[0])
        self.conn.execute(
            update(s).where(s.c.legal_entity == legal_entity).values(next_number=number + 1)
        )
        return number

    def add(self, journal: Journal, actor: str, at: datetime) -> None:
        self.conn.execute(
            insert(lt.credit_limit_journals).values(
                legal_entity=journal.legal_entity,
                id=journal.id,
                type=journal.type.value,
                description=journal.description,
                status="posted" if journal.posted else "draft",
                posted=journal.posted,
                posted_on=journal.posted_on,
                created_by=actor,
                created_at=at,
                updated_at=at,
            )
        )

    def _lines(self, legal_entity: str, journal_ids: Sequence[str]) -> dict[str, list[JournalLine]]:
        ln = lt.credit_limit_journal_lines
        rows = self.conn.execute(
            select(ln)
            .where(ln.c.legal_entity == legal_entity, ln.c.journal_id.in_(list(journal_ids)))
            .order_by(ln.c.journal_id, ln.c.line_no)
        ).mappings()
        result: dict[str, list[JournalLine]] = {}
        for row in rows:
            new_limit = _money(row["new_limit_minor"], row["new_limit_currency"])
            assert new_limit is not None
            period = (
                Period(row["from_date"], row["to_date"])
                if row["from_date"] is not None and row["to_date"] is not None
                else None
            )
            result.setdefault(row["journal_id"], []).append(
                JournalLine(
                    line_no=row["line_no"],
                    target=Target(row["customer"], row["credit_group"]),
                    name=row["name"],
                    new_limit=new_limit,
                    current_limit=_money(row["current_limit_minor"], row["current_limit_currency"]),
                    new_expires_on=row["new_expires_on"],
                    period=period,
                )
            )
        return result

    def _journals(self, rows: Sequence[Any], legal_entity: str) -> list[Journal]:
        lines = self._lines(legal_entity, [row["id"] for row in rows]) if rows else {}
        return [
            Journal(
                legal_entity=row["legal_entity"],
                id=row["id"],
                type=JournalType(row["type"]),
                description=row["description"],
                lines=tuple(lines.get(row["id"], [])),
                posted=row["posted"],
                posted_on=row["posted_on"],
            )
            for row in rows
        ]

    def get(self, legal_entity: str, journal_id: str, *, lock: bool = False) -> Journal | None:
        j = lt.credit_limit_journals
        query = select(j).where(j.c.legal_entity == legal_entity, j.c.id == journal_id)
        if lock:
            query = query.with_for_update()
        rows = self.conn.execute(query).mappings().all()
        found = self._journals(rows, legal_entity)
        return found[0] if found else None

    def find(self, legal_entity: str, after_id: str | None, limit: int) -> list[Journal]:
        j = lt.credit_limit_journals
        query = select(j).where(j.c.legal_entity == legal_entity)
        if after_id is not None:
            query = query.where(j.c.id > after_id)
        rows = self.conn.execute(query.order_by(j.c.id).limit(limit)).mappings().all()
        return self._journals(rows, legal_entity)

    def add_lines(
        self, legal_entity: str, journal_id: str, lines: Sequence[JournalLine], at: datetime
    ) -> None:
        if not lines:
            return
        self.conn.execute(
            insert(lt.credit_limit_journal_lines),
            [
                {
                    "legal_entity": legal_entity,
                    "journal_id": journal_id,
                    "line_no": line.line_no,
                    "customer": line.target.customer,
                    "credit_group": line.target.credit_group,
                    "name": line.name,
                    "current_limit_minor": line.current_limit.minor
                    if line.current_limit is not None
                    else None,
                    "current_limit_currency": line.current_limit.currency.code
                    if line.current_limit is not None
                    else None,
                    "new_limit_minor": line.new_limit.minor,
                    "new_limit_currency": line.new_limit.currency.code,
                    "new_expires_on": line.new_expires_on,
                    "from_date": line.period.start if line.period is not None else None,
                    "to_date": line.period.end if line.period is not None else None,
                }
                for line in lines
            ],
        )
        j = lt.credit_limit_journals
        self.conn.execute(
            update(j)
            .where(j.c.legal_entity == legal_entity, j.c.id == journal_id)
            .values(updated_at=at)
        )

    def delete_lines(self, legal_entity: str, journal_id: str, line_nos: Sequence[int]) -> None:
        if not line_nos:
            return
        ln = lt.credit_limit_journal_lines
        for start in range(0, len(line_nos), _IN_LIST_MAX):
            self.conn.execute(
                delete(ln).where(
                    ln.c.legal_entity == legal_entity,
                    ln.c.journal_id == journal_id,
                    ln.c.line_no.in_(list(line_nos[start : start + _IN_LIST_MAX])),
                )
            )

    def group_ids(self) -> list[str]:
        g = t.credit_groups
        return list(self.conn.execute(select(g.c.id).order_by(g.c.id)).scalars())

    def set_posted(
        self, legal_entity: str, journal_id: str, posted_on: date, actor: str, at: datetime
    ) -> None:
        j = lt.credit_limit_journals
        self.conn.execute(
            update(j)
            .where(j.c.legal_entity == legal_entity, j.c.id == journal_id)
            .values(
                posted=True,
                status="posted",
                posted_on=posted_on,
                posted_at=at,
                posted_by=actor,
                updated_at=at,
            )
        )


# --- temporary limits and insurance -------------------------------------------------------------


def _policy(row: Any) -> InsurancePolicy:
    value = _money(row["value_minor"], row["value_currency"])
    assert value is not None
    return InsurancePolicy(
        id=row["id"],
        identifier=Identifier(row["identifier"]),
        type=row["type"],
        insurer=row["insurer"],
        coverage_type=row["coverage_type"],
        policy_number=row["policy_number"],
        effective=row["effective"],
        expires=row["expires"],
        value=value,
        update_credit_limit_percent=Decimal(row["update_credit_limit_percent"]),
        included_in_exposure=row["included_in_exposure"],
    )


_ACTIVE_TEMPORARY = (
    "SELECT amount_minor, currency FROM temporary_limits WHERE {target} = :target "
    "AND to_date >= :on AND from_date <= :on ORDER BY from_date DESC LIMIT 1"
)
_ACTIVE_TEMPORARY_CUSTOMER = _Sql(_ACTIVE_TEMPORARY.format(target="customer_id"))
_ACTIVE_TEMPORARY_GROUP = _Sql(_ACTIVE_TEMPORARY.format(target="credit_group"))
_POLICY_COLUMNS = _Columns(
    lt.insurance_policies, [c.name for c in lt.insurance_policies.c if c.name != "created_at"]
)
_ACTIVE_POLICIES = _Sql(
    f"SELECT {_POLICY_COLUMNS.sql} FROM insurance_policies WHERE customer_id = :customer_id "
    "AND (effective IS NULL OR effective <= :on) AND (expires IS NULL OR expires >= :on) "
    "ORDER BY id"
)


class SqlLimitSourceRepository(_Repo):
    def _target(self, customer_id: int | None, group_id: str | None) -> ColumnElement[bool]:
        tl = lt.temporary_limits
        if customer_id is not None:
            return tl.c.customer_id == customer_id
        assert group_id is not None
        return tl.c.credit_group == group_id

    def temporary_limits(
        self, *, customer_id: int | None = None, group_id: str | None = None
    ) -> list[TemporaryLimit]:
        tl = lt.temporary_limits
        c = t.customers
        rows = self.conn.execute(
            select(
                tl.c.amount_minor,
                tl.c.currency,
                tl.c.from_date,
                tl.c.to_date,
                tl.c.journal_id,
                tl.c.credit_group,
                c.c.account,
            )
            .select_from(tl.outerjoin(c, c.c.id == tl.c.customer_id))
            .where(self._target(customer_id, group_id))
            .order_by(tl.c.from_date)
        ).all()
        result = []
        for row in rows:
            amount = _money(row.amount_minor, row.currency)
            assert amount is not None
            target = (
                Target(credit_group=row.credit_group)
                if row.credit_group is not None
                else Target(customer=row.account)
            )
            result.append(
                TemporaryLimit(target, amount, Period(row.from_date, row.to_date), row.journal_id)
            )
        return result

    def active_temporary(
        self, on: date, *, customer_id: int | None = None, group_id: str | None = None
    ) -> Money | None:
        # on every credit check: a prebuilt statement (no statement building per call)
        if customer_id is not None:
            row = _ACTIVE_TEMPORARY_CUSTOMER.first(self.conn, {"target": customer_id, "on": on})
        else:
            assert group_id is not None
            row = _ACTIVE_TEMPORARY_GROUP.first(self.conn, {"target": group_id, "on": on})
        return _money(row[0], row[1]) if row is not None else None

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
    ) -> None:
        self.conn.execute(
            insert(lt.temporary_limits).values(
                customer_id=customer_id,
                credit_group=group_id,
                amount_minor=amount.minor,
                currency=amount.currency.code,
                from_date=period.start,
                to_date=period.end,
                legal_entity=legal_entity,
                journal_id=journal_id,
                created_at=at,
            )
        )

    def policies(self, customer_id: int) -> list[InsurancePolicy]:
        p = lt.insurance_policies
        rows = self.conn.execute(
            select(p).where(p.c.customer_id == customer_id).order_by(p.c.id)
        ).mappings()
        return [_policy(row) for row in rows]

    def active_policies(self, customer_id: int, on: date) -> list[InsurancePolicy]:
        # on every credit check (most customers have none): a prebuilt statement
        sqlite = _is_sqlite(self.conn)
        rows = _ACTIVE_POLICIES.all(self.conn, {"customer_id": customer_id, "on": on})
        return [_policy(_POLICY_COLUMNS.row(raw, sqlite)) for raw in rows]

    def add_policy(self, customer_id: int, policy: InsurancePolicy, at: datetime) -> None:
        self.conn.execute(
            insert(lt.insurance_policies).values(
                id=policy.id,
                customer_id=customer_id,
                identifier=policy.identifier.value,
                type=policy.type,
                insurer=policy.insurer,
                coverage_type=policy.coverage_type,
                policy_number=policy.policy_number,
                effective=policy.effective,
                expires=policy.expires,
                value_minor=policy.value.minor,
                value_currency=policy.value.currency.code,
                update_credit_limit_percent=str(policy.update_credit_limit_percent),
                included_in_exposure=policy.included_in_exposure,
                created_at=at,
            )
        )

    def delete_policy(self, customer_id: int, policy_id: str) -> bool:
        p = lt.insurance_policies
        done = self.conn.execute(
            delete(p).where(p.c.customer_id == customer_id, p.c.id == policy_id)
        )
        return bool(done.rowcount)


# --- risk scoring -------------------------------------------------------------------------------


def _scoring_group(row: Any) -> ScoringGroup:
    return ScoringGroup(
        id=row["id"],
        measure=Measure(row["measure"]),
        score_type=ScoreType(row["score_type"]),
        lines=tuple(
            ScoreLine(
                score=int(line["score"]),
                low=_dec(line.get("from")),
                high=_dec(line.get("to")),
                value=line.get("value"),
            )
            for line in row["lines"]
        ),
        description=row["description"],
    )


class SqlScoringRepository(_Repo):
    def scoring_groups(self, legal_entity: str) -> list[ScoringGroup]:
        s = lt.scoring_groups
        rows = self.conn.execute(
            select(s).where(s.c.legal_entity == legal_entity).order_by(s.c.id)
        ).mappings()
        return [_scoring_group(row) for row in rows]

    def put_scoring_group(self, legal_entity: str, group: ScoringGroup) -> None:
        s = lt.scoring_groups
        values = {
            "description": group.description,
            "measure": group.measure.value,
            "score_type": group.score_type.value,
            "lines": [
                {
                    "from": str(line.low) if line.low is not None else None,
                    "to": str(line.high) if line.high is not None else None,
                    "value": line.value,
                    "score": line.score,
                }
                for line in group.lines
            ],
        }
        done = self.conn.execute(
            update(s).where(s.c.legal_entity == legal_entity, s.c.id == group.id).values(**values)
        )
        if done.rowcount == 0:
            self.conn.execute(insert(s).values(legal_entity=legal_entity, id=group.id, **values))

    def delete_scoring_group(self, legal_entity: str, group_id: str) -> bool:
        s = lt.scoring_groups
        done = self.conn.execute(
            delete(s).where(s.c.legal_entity == legal_entity, s.c.id == group_id)
        )
        return bool(done.rowcount)

    def risk_groups(self, legal_entity: str) -> list[RiskGroup]:
        r = lt.risk_groups
        rows = self.conn.execute(
            select(r).where(r.c.legal_entity == legal_entity).order_by(r.c.score_from)
        ).mappings()
        return [
            RiskGroup(row["id"], row["description"], row["score_from"], row["score_to"])
            for row in rows
        ]

    def put_risk_group(self, legal_entity: str, group: RiskGroup) -> None:
        r = lt.risk_groups
        values = {
            "description": group.description,
            "score_from": group.score_from,
            "score_to": group.score_to,
        }
        done = self.conn.execute(
            update(r).where(r.c.legal_entity == legal_entity, r.c.id == group.id).values(**values)
        )
        if done.rowcount == 0:
            self.conn.execute(insert(r).values(legal_entity=legal_entity, id=group.id, **values))

    def delete_risk_group(self, legal_entity: str, group_id: str) -> bool:
        r = lt.risk_groups
        done = self.conn.execute(
            delete(r).where(r.c.legal_entity == legal_entity, r.c.id == group_id)
        )
        return bool(done.rowcount)

    def automatic_limits(self, legal_entity: str) -> list[AutomaticLimit]:
        a = lt.automatic_credit_limits
        rows = self.conn.execute(
            select(a).where(a.c.legal_entity == legal_entity).order_by(a.c.risk_group, a.c.currency)
        ).mappings()
        result = []
        for row in rows:
            cur = currency(row["currency"])
            result.append(
                AutomaticLimit(
                    row["risk_group"],
                    Money.from_minor(int(row["revenue_cap_minor"]), cur),
                    tuple(
                        AutomaticLimitLine(
                            line["scoring_group"],
                            Operator(line["operator"]),
                            line["value"],
                            Money.from_minor(int(line["limit_minor"]), cur),
                        )
                        for line in row["lines"]
                    ),
                )
            )
        return result

    def put_automatic_limit(self, legal_entity: str, setup: AutomaticLimit) -> None:
        a = lt.automatic_credit_limits
        code = setup.revenue_cap.currency.code
        values = {
            "revenue_cap_minor": setup.revenue_cap.minor,
            "lines": [
                {
                    "scoring_group": line.scoring_group,
                    "operator": line.operator.value,
                    "value": line.value,
                    "limit_minor": line.limit.minor,
                }
                for line in setup.lines
            ],
        }
        key = and_(
            a.c.legal_entity == legal_entity,
            a.c.risk_group == setup.risk_group,
            a.c.currency == code,
        )
        done = self.conn.execute(update(a).where(key).values(**values))
        if done.rowcount == 0:
            self.conn.execute(
                insert(a).values(
                    legal_entity=legal_entity, risk_group=setup.risk_group, currency=code, **values
                )
            )

    def put_user_value(self, customer_id: int, scoring_group: str, value: str | None) -> None:
        v = lt.customer_score_values
        key = and_(v.c.customer_id == customer_id, v.c.scoring_group == scoring_group)
        self.conn.execute(delete(v).where(key))
        if value is not None:
            self.conn.execute(
                insert(v).values(customer_id=customer_id, scoring_group=scoring_group, value=value)
            )

    def inputs(self, legal_entity: str, customer_ids: Sequence[int]) -> list[ScoringInput]:
        if not customer_ids:
            return []
        c = t.customers
        wanted = set(customer_ids)
        v = lt.customer_score_values
        values: dict[int, dict[str, str]] = {}
        for customer_id, group, value in self.conn.execute(
            select(v.c.customer_id, v.c.scoring_group, v.c.value).where(
                self._ids_filter(v.c.customer_id, customer_ids)
            )
        ).all():
            values.setdefault(customer_id, {})[group] = value
        rows = self.conn.execute(
            select(
                c.c.id,
                c.c.account,
                c.c.currency,
                c.c.business_started_on,
                c.c.customer_since,
                c.c.credit_management_group,
                c.c.account_status,
                c.c.country,
                c.c.risk_group,
            )
            .where(c.c.legal_entity == legal_entity, self._ids_filter(c.c.id, customer_ids))
            .order_by(c.c.id)
        ).all()
        return [
            ScoringInput(
                customer_id=row.id,
                account=row.account,
                currency=currency(row.currency),
                business_started_on=row.business_started_on,
                customer_since=row.customer_since,
                credit_management_group=row.credit_management_group,
                account_status=row.account_status,
                country=row.country,
                risk_group=row.risk_group,
                user_values=values.get(row.id, {}),
            )
            for row in rows
            if row.id in wanted
        ]

    def save_scores(
        self,
        legal_entity: str,
        as_of: date,
        scores: Sequence[tuple[int, RiskScore]],
        changed_groups: Sequence[tuple[int, str | None]],
        at: datetime,
    ) -> None:
        if not scores:
            return
        r = lt.risk_scores
        ids = [customer_id for customer_id, _ in scores]
        for start in range(0, len(ids), _IN_LIST_MAX):
            self.conn.execute(delete(r).where(r.c.customer_id.in_(ids[start : start + 500])))
        self.conn.execute(
            insert(r),
            [
                {
                    "customer_id": customer_id,
                    "legal_entity": legal_entity,
                    "as_of": as_of,
                    "score": score.score,
                    "risk_group": score.risk_group,
                    "factors": [
                        {
                            "scoring_group": f.scoring_group,
                            "measure": f.measure.value,
                            "value": f.value,
                            "score": f.score,
                        }
                        for f in score.factors
                    ],
                    "updated_at": at,
                }
                for customer_id, score in scores
            ],
        )
        if changed_groups:
            c = t.customers
            self.conn.execute(
                update(c)
                .where(c.c.id == bindparam("cid"))
                .values(
                    risk_group=bindparam("rg"),
                    version=c.c.version + 1,
                    updated_at=bindparam("at"),
                ),
                [{"cid": cid, "rg": group, "at": at} for cid, group in changed_groups],
            )

    def risk_score(self, customer_id: int) -> tuple[date, RiskScore] | None:
        r = lt.risk_scores
        row = self.conn.execute(select(r).where(r.c.customer_id == customer_id)).mappings().first()
        if row is None:
            return None
        factors = tuple(
            ScoreFactor(f["scoring_group"], Measure(f["measure"]), f["value"], int(f["score"]))
            for f in row["factors"]
        )
        return row["as_of"], RiskScore(row["score"], row["risk_group"], factors)

    def stored_factor_values(self, legal_entity: str) -> dict[int, dict[str, str | None]]:
        r = lt.risk_scores
        result: dict[int, dict[str, str | None]] = {}
        for customer_id, factors in self.conn.execute(
            select(r.c.customer_id, r.c.factors).where(r.c.legal_entity == legal_entity)
        ).all():
            result[customer_id] = {f["scoring_group"]: f["value"] for f in factors}
        return result


# --- balance statistics -------------------------------------------------------------------------


class SqlStatisticsRepository(_Repo):
    def parameters(self, legal_entity: str) -> StatisticsParameters:
        p = lt.statistics_parameters
        row = (
            self.conn.execute(select(p).where(p.c.legal_entity == legal_entity)).mappings().first()
        )
        if row is None:
            return StatisticsParameters()
        return StatisticsParameters(
            dso1_months=row["dso1_months"],
            dso2_months=row["dso2_months"],
            average_balance_months=row["average_balance_months"],
            payment_days_months=row["payment_days_months"],
            balance_statistics_months=row["balance_statistics_months"],
        )

    def put_parameters(self, legal_entity: str, params: StatisticsParameters) -> None:
        p = lt.statistics_parameters
        values = {
            "dso1_months": params.dso1_months,
            "dso2_months": params.dso2_months,
            "average_balance_months": params.average_balance_months,
            "payment_days_months": params.payment_days_months,
            "balance_statistics_months": params.balance_statistics_months,
        }
        done = self.conn.execute(update(p).where(p.c.legal_entity == legal_entity).values(**values))
        if done.rowcount == 0:
            self.conn.execute(insert(p).values(legal_entity=legal_entity, **values))

    def customer_ids(self, legal_entity: str, accounts: Sequence[str] | None) -> list[int]:
        c = t.customers
        query = select(c.c.id).where(c.c.legal_entity == legal_entity)
        if accounts is not None:
            query = query.where(c.c.account.in_(list(accounts)))
        return [int(i) for i in self.conn.execute(query.order_by(c.c.id)).scalars()]

    def _days(self, later: Any, earlier: Any) -> Any:
        if self.conn.dialect.name == "sqlite":
            return cast(func.julianday(later) - func.julianday(earlier), Integer)
        return later - earlier

    def aggregates(
        self, legal_entity: str, customer_ids: Sequence[int], windows: StatisticsWindows
    ) -> list[StatisticsInput]:
        if not customer_ids:
            return []
        wanted = set(customer_ids)
        c = t.customers
        i = t.invoices
        p = t.payments
        pa = t.payment_applications
        e = t.customer_exposure
        totals: dict[int, dict[str, list[int]]] = {}

        def add(customer_id: int, code: str, index: int, amount: Any) -> None:
            if customer_id in wanted and amount:
                per = totals.setdefault(customer_id, {})
                per.setdefault(code, [0, 0, 0, 0])[index] += int(amount)

        for row in self.conn.execute(
            select(e.c.customer_id, e.c.currency, e.c.balance_minor).where(
                self._ids_filter(e.c.customer_id, customer_ids)
            )
        ).all():
            add(row[0], row[1], 0, row[2])

        def points_before(column: Any) -> Any:
            count: Any = literal(0)
            for point in windows.balance_points:
                count = count + case((column <= point, 1), else_=0)
            return count

        signed = case((i.c.kind == "invoice", i.c.amount_minor), else_=-i.c.amount_minor)
        first_start = min(windows.sales1_start, windows.sales2_start)
        in_sales = and_(
            i.c.kind == "invoice", i.c.invoice_date > first_start, i.c.invoice_date <= windows.as_of
        )
        sales1 = func.sum(
            case(
                (and_(in_sales, i.c.invoice_date > windows.sales1_start), i.c.amount_minor),
                else_=0,
            )
        )
        sales2 = func.sum(
            case(
                (and_(in_sales, i.c.invoice_date > windows.sales2_start), i.c.amount_minor),
                else_=0,
            )
        )
        weighted = func.sum(signed * points_before(i.c.invoice_date))
        for inv in self.conn.execute(
            select(i.c.customer_id, i.c.currency, sales1, sales2, weighted)
            .where(
                i.c.legal_entity == legal_entity,
                self._ids_filter(i.c.customer_id, customer_ids),
                i.c.invoice_date <= windows.as_of,
            )
            .group_by(i.c.customer_id, i.c.currency)
        ).all():
            add(inv[0], inv[1], 1, inv[2])
            add(inv[0], inv[1], 2, inv[3])
            add(inv[0], inv[1], 3, inv[4])

        for pay in self.conn.execute(
            select(
                p.c.customer_id,
                p.c.currency,
                func.sum(p.c.amount_minor * points_before(p.c.date)),
            )
            .where(
                p.c.legal_entity == legal_entity,
                self._ids_filter(p.c.customer_id, customer_ids),
                p.c.date <= windows.as_of,
            )
            .group_by(p.c.customer_id, p.c.currency)
        ).all():
            add(pay[0], pay[1], 3, -int(pay[2] or 0))

        days = self._days(pa.c.date, i.c.invoice_date)
        paid: dict[int, tuple[int, int]] = {}
        for customer_id, total, count in self.conn.execute(
            select(
                i.c.customer_id,
                func.sum(case((days > 0, days), else_=0)),
                func.count(),
            )
            .select_from(
                i.join(pa, and_(pa.c.legal_entity == i.c.legal_entity, pa.c.invoice_id == i.c.id))
            )
            .where(
                i.c.legal_entity == legal_entity,
                self._ids_filter(i.c.customer_id, customer_ids),
                pa.c.date > windows.payments_start,
                pa.c.date <= windows.as_of,
            )
            .group_by(i.c.customer_id)
        ).all():
            paid[customer_id] = (int(total or 0), int(count))

        result = []
        for row in self.conn.execute(
            select(c.c.id, c.c.account, c.c.customer_since)
            .where(c.c.legal_entity == legal_entity, self._ids_filter(c.c.id, customer_ids))
            .order_by(c.c.id)
        ).all():
            if row.id not in wanted:
                continue
            by_currency = {
                code: CurrencyAggregates(*values) for code, values in totals.get(row.id, {}).items()
            }
            total_days, count = paid.get(row.id, (0, 0))
            result.append(
                StatisticsInput(
                    row.id, row.account, row.customer_since, by_currency, total_days, count
                )
            )
        return result

    def save(
        self,
        legal_entity: str,
        rows: Sequence[tuple[int, BalanceStatistics]],
        currency_code: str,
        at: datetime,
    ) -> None:
        if not rows:
            return
        b = lt.balance_statistics
        as_of = rows[0][1].as_of
        ids = [customer_id for customer_id, _ in rows]
        for start in range(0, len(ids), _IN_LIST_MAX):
            self.conn.execute(
                delete(b).where(
                    b.c.as_of == as_of, b.c.customer_id.in_(ids[start : start + _IN_LIST_MAX])
                )
            )
        self.conn.execute(
            insert(b),
            [
                {
                    "customer_id": customer_id,
                    "as_of": stats.as_of,
                    "legal_entity": legal_entity,
                    "dso1": str(stats.dso1) if stats.dso1 is not None else None,
                    "dso2": str(stats.dso2) if stats.dso2 is not None else None,
                    "average_payment_days": str(stats.average_payment_days)
                    if stats.average_payment_days is not None
                    else None,
                    "average_balance_minor": stats.average_balance.minor
                    if stats.average_balance is not None
                    else None,
                    "currency": currency_code,
                    "calculated_at": at,
                }
                for customer_id, stats in rows
            ],
        )

    def latest(self, customer_id: int) -> BalanceStatistics | None:
        b = lt.balance_statistics
        row = (
            self.conn.execute(
                select(b).where(b.c.customer_id == customer_id).order_by(b.c.as_of.desc()).limit(1)
            )
            .mappings()
            .first()
        )
        if row is None:
            return None
        return BalanceStatistics(
            as_of=row["as_of"],
            dso1=_dec(row["dso1"]),
            dso2=_dec(row["dso2"]),
            average_payment_days=_dec(row["average_payment_days"]),
            average_balance=_money(row["average_balance_minor"], row["currency"]),
        )

    def delete_before(self, legal_entity: str, cutoff: date) -> int:
        b = lt.balance_statistics
        done = self.conn.execute(
            delete(b).where(b.c.legal_entity == legal_entity, b.c.as_of < cutoff)
        )
        return int(done.rowcount or 0)
