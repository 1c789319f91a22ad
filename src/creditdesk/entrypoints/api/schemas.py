"""Request bodies of the HTTP API. Money is ``{"amount": "12.50", "currency": "EUR"}`` with
the amount as a string; a JSON number is refused. Parsing goes through the domain, so the
API and the CLI refuse the same things."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    StrictBool,
    StrictInt,
    StrictStr,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from creditdesk.domain.errors import DomainError
from creditdesk.domain.identifiers import ACCOUNT_LENGTH, MAX_ID_LENGTH, id_problem
from creditdesk.domain.money import Money, parse_rate


def _iso_date(value: Any) -> Any:
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise PydanticCustomError("invalid_date", "dates are strings of the form YYYY-MM-DD")
    return value


_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
IsoDate = Annotated[date, BeforeValidator(_iso_date)]


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _refuse_control_characters(value: Any) -> None:
    if isinstance(value, str):
        if _CONTROL.search(value):
            raise PydanticCustomError(
                "invalid_characters", "text must not contain control characters"
            )
    elif isinstance(value, dict):
        for key, item in value.items():
            _refuse_control_characters(key)
            _refuse_control_characters(item)
    elif isinstance(value, list):
        for item in value:
            _refuse_control_characters(item)


def _refuse_bad_id(value: Any, max_length: int) -> Any:
    problem = id_problem(value, max_length) if isinstance(value, str) else None
    if problem is not None:
        raise PydanticCustomError("invalid_id", problem)
    return value


def _id(value: Any) -> Any:
    return _refuse_bad_id(value, MAX_ID_LENGTH)


def _account(value: Any) -> Any:
    return _refuse_bad_id(value, ACCOUNT_LENGTH)


Id = Annotated[StrictStr, BeforeValidator(_id)]
"""A key the caller chooses (document ids and references): the one id rule of
``domain.identifiers``, refused with ``invalid_id``."""
Account = Annotated[StrictStr, BeforeValidator(_account)]
"""A customer account or credit group id (at most 40 characters)."""


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=False)

    @model_validator(mode="before")
    @classmethod
    def _no_control_characters(cls, data: Any) -> Any:
        """NUL and other control characters (tab and line breaks aside) are never data."""
        _refuse_control_characters(data)
        return data


class MoneyIn(Input):
    amount: StrictStr = Field(pattern=r"^[+-]?[0-9]{1,40}(\.[0-9]{1,18})?$", examples=["15000.00"])
    currency: StrictStr = Field(min_length=3, max_length=3, examples=["EUR"])
    _money: Money = PrivateAttr()

    @field_validator("amount", mode="before")
    @classmethod
    def _amount_is_text(cls, value: Any) -> Any:
        if not isinstance(value, str):
            raise PydanticCustomError(
                "invalid_amount",
                'amount must be a string such as "12.50", not a JSON number',
            )
        return value

    @model_validator(mode="after")
    def _to_money(self) -> MoneyIn:
        try:
            self._money = Money.of(self.amount, self.currency)
        except DomainError as error:
            raise PydanticCustomError(error.code, str(error)) from None
        return self

    @property
    def money(self) -> Money:
        return self._money


def decimal_text(value: str, field: str) -> Decimal:
    try:
        return parse_rate(value)
    except DomainError:
        raise PydanticCustomError("invalid_number", f"{field} must be a decimal number") from None


class LegalEntityIn(Input):
    name: StrictStr = Field(min_length=1, max_length=200)
    accounting_currency: StrictStr = Field(min_length=3, max_length=3)


class CheckpointIn(Input):
    checkpoint: Literal["confirmation", "picking_list", "packing_slip", "invoice"]
    posting: StrictBool = False
    pro_forma: StrictBool = False
    grace_days: StrictInt | None = Field(default=None, ge=0, le=3650)


class CreditParametersIn(Input):
    credit_management: StrictBool | None = None
    credit_limit_type: Literal["balance", "balance_and_packing_slips", "balance_and_all"] | None = (
        None
    )
    check_group_limits: StrictBool | None = None
    allow_manual_limit_edit: StrictBool | None = None
    check_credit_limit_on_sales_order: StrictBool | None = None
    check_payment_terms_increase: StrictBool | None = None
    check_settlement_discount_increase: StrictBool | None = None
    skip_rules_after_release: StrictBool | None = None
    ignore_blank_expiry: StrictBool | None = None
    auto_release_with_posting: StrictBool | None = None
    exclude_intercompany_orders: StrictBool | None = None
    release_reason_ready: StrictStr | None = None
    release_reason_cancel: StrictStr | None = None
    release_reason_modified: StrictStr | None = None
    checkpoints: list[CheckpointIn] | None = Field(default=None, max_length=4)


class ExchangeRateIn(Input):
    from_currency: StrictStr = Field(min_length=3, max_length=3)
    to_currency: StrictStr = Field(min_length=3, max_length=3)
    rate: StrictStr = Field(max_length=40, examples=["0.0850"])
    valid_from: IsoDate

    @field_validator("rate", mode="before")
    @classmethod
    def _rate_is_text(cls, value: Any) -> Any:
        if not isinstance(value, str):
            raise PydanticCustomError("invalid_rate", 'rate must be a string such as "0.0850"')
        decimal_text(value, "rate")
        return value


class CreditIn(Input):
    limit: MoneyIn | None = None
    limit_expires_on: IsoDate | None = None
    mandatory_limit: StrictBool = False
    unlimited_limit: StrictBool = False
    exclude: StrictBool = False
    account_status: StrictStr | None = Field(default=None, max_length=40)
    status_reason: StrictStr | None = Field(default=None, max_length=40)
    credit_management_group: StrictStr | None = Field(default=None, max_length=40)
    last_review_on: IsoDate | None = None
    next_review_on: IsoDate | None = None
    eligible_limit: MoneyIn | None = None
    business_started_on: IsoDate | None = None
    customer_since: IsoDate | None = None
    country: StrictStr | None = Field(default=None, min_length=2, max_length=2)
    revenue: MoneyIn | None = None
    notes: StrictStr | None = Field(default=None, max_length=4000)

    def provided(self) -> dict[str, Any]:
        """The fields the caller sent, with money parsed into the domain."""
        values: dict[str, Any] = {}
        for name in self.model_fields_set:
            value = getattr(self, name)
            values[name] = value.money if isinstance(value, MoneyIn) else value
        return values


class CustomerIn(Input):
    name: StrictStr = Field(min_length=1, max_length=200)
    currency: StrictStr | None = Field(default=None, min_length=3, max_length=3)
    payment_terms: StrictStr | None = Field(default=None, max_length=40)
    settlement_discount: StrictStr | None = Field(default=None, max_length=40)
    credit: CreditIn | None = None


class CreditGroupIn(Input):
    description: StrictStr = Field(default="", max_length=200)
    limit: MoneyIn
    limit_expires_on: IsoDate | None = None


class InvoiceIn(Input):
    id: Id
    customer: Account
    amount: MoneyIn
    invoice_date: IsoDate
    due_date: IsoDate
    sales_order: Id | None = None
    kind: Literal["invoice", "credit_note"] = "invoice"


class PaymentApplicationIn(Input):
    invoice: Id
    amount: MoneyIn


class PaymentIn(Input):
    id: Id
    customer: Account
    amount: MoneyIn
    date: IsoDate
    applies_to: list[PaymentApplicationIn] = Field(default_factory=list, max_length=1000)


class SalesOrderIn(Input):
    customer: Account
    amount: MoneyIn
    payment_terms: StrictStr | None = Field(default=None, max_length=40)
    settlement_discount: StrictStr | None = Field(default=None, max_length=40)
    status: Literal["open", "cancelled"] = "open"
    exclude: StrictBool = False
    intercompany: StrictBool = False


class PackingSlipIn(Input):
    id: Id
    sales_order: Id
    amount: MoneyIn
    date: IsoDate


class CreditCheckIn(Input):
    checkpoint: Literal["confirmation", "picking_list", "packing_slip", "invoice"]
    posting: StrictBool = True
    as_of: IsoDate | None = None


class ReleaseIn(Input):
    reason: StrictStr | None = Field(default=None, max_length=40)
    review_date: IsoDate | None = None
    with_posting: StrictBool = False


class RejectIn(Input):
    reason: StrictStr | None = Field(default=None, max_length=40)
    note: StrictStr | None = Field(default=None, max_length=4000)


class TokenIn(Input):
    name: StrictStr = Field(min_length=1, max_length=120)
    role: Literal["admin", "credit_manager", "credit_clerk", "approver", "integration", "viewer"]
    legal_entities: list[StrictStr] | None = Field(default=None, max_length=200)
    expires_at: AwareDatetime | None = None


class ReasonIn(Input):
    type: Literal["hold", "release", "status"]
    description: StrictStr = Field(max_length=200)


class AccountStatusIn(Input):
    description: StrictStr = Field(max_length=200)
    on_hold: Literal["none", "invoicing", "all"] = "none"


class RankIn(Input):
    rank: StrictInt = Field(ge=0, le=1_000_000)


class BlockingRuleIn(Input):
    rule: Literal[
        "days_overdue",
        "account_status",
        "terms_of_payment",
        "credit_limit_expired",
        "overdue_amount",
        "sales_order_amount",
        "credit_limit_used",
    ]
    kind: Literal["blocking", "exclusion"] = "blocking"
    valid_for: Literal["table", "group", "all"] = "all"
    account_or_group: StrictStr | None = Field(default=None, max_length=40)
    risk_group: StrictStr | None = Field(default=None, max_length=40)
    value_type: Literal["days", "amount", "percent"] | None = None
    value: StrictStr | None = Field(default=None, max_length=40)
    credit_limit_threshold: StrictStr | None = Field(default=None, max_length=40)
    account_status: StrictStr | None = Field(default=None, max_length=40)
    terms_of_payment: StrictStr | None = Field(default=None, max_length=40)
    release_sales_order: StrictBool = False

    @field_validator("value", "credit_limit_threshold", mode="before")
    @classmethod
    def _numbers_as_text(cls, value: Any) -> Any:
        if value is None:
            return None
        if not isinstance(value, str):
            raise PydanticCustomError("invalid_number", 'write numbers as strings, e.g. "61"')
        decimal_text(value, "value")
        return value


class EvaluateIn(Input):
    hold_ids: list[StrictStr] | None = Field(default=None, max_length=10_000)
    legal_entity: StrictStr | None = Field(default=None, max_length=20)
    customer: StrictStr | None = Field(default=None, max_length=40)


class ForceHoldIn(Input):
    reason: StrictStr = Field(min_length=1, max_length=40)
    checkpoint: Literal["confirmation", "picking_list", "packing_slip", "invoice"] = "confirmation"


class ForceHoldsIn(Input):
    reason: StrictStr = Field(min_length=1, max_length=40)
    customers: list[StrictStr] | None = Field(default=None, max_length=10_000)
    sales_orders: list[StrictStr] | None = Field(default=None, max_length=10_000)


class CreditManagementGroupIn(Input):
    description: StrictStr = Field(default="", max_length=60)


# --- error responses (documented in the OpenAPI document) ------------------------------------


class ProblemError(BaseModel):
    """One field that was not valid."""

    loc: list[str | int]
    msg: str
    type: str | None = None


class ProblemDocument(BaseModel):
    """An RFC 9457 problem document (``application/problem+json``) with a stable ``code``."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str
    code: str
    errors: list[ProblemError] | None = None
    details: dict[str, Any] | None = None
