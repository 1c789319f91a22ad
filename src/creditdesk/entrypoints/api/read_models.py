"""What the HTTP API answers: one named ``*Read`` model per representation, declared on every
route so that ``/api/v1/openapi.json`` types each 2xx body (docs/api-contract.md).

The use cases return plain JSON-ready dicts (``service_layer.serialize`` and friends); these
models describe those dicts exactly, they do not reshape them. Routes declare them with
``response_model=`` and the routers' ``ContractRoute`` serialises with ``exclude_unset``, so a
key a use case leaves out (``rule_id`` of a reason without a rule) stays out of the answer.
Dates and timestamps stay the use case's text (``format`` only documents them), so no value is
re-rendered on the way out.

Every model is *closed* in the document (no ``additionalProperties``) but passes unknown keys
through at run time (``extra="allow"``): a field a use case gains before its model does still
reaches the caller, and the contract test (tests/e2e/test_api_contract.py) fails until the
field is declared here. Closed sets are the domain's own enums, so a value added there is in
the document at once.
"""

from __future__ import annotations

from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from creditdesk.domain.adjustments import JournalType
from creditdesk.domain.decisions import Outcome
from creditdesk.domain.events import EventType
from creditdesk.domain.holds import HoldStatus
from creditdesk.domain.insurance import Identifier
from creditdesk.domain.limits import LimitScope
from creditdesk.domain.rules import AccountStatusHold, ReasonCode, RuleKind, RuleType, ValidFor
from creditdesk.domain.rules import ValueType as RuleValueType
from creditdesk.domain.scoring import Measure, Operator, ScoreType
from creditdesk.domain.setup import Checkpoint, CreditLimitType
from creditdesk.domain.workflows import Completion, ItemStatus, WorkflowKind
from creditdesk.service_layer.auth import Role


def _closed(schema: dict[str, Any]) -> None:
    """The document lists every property; the run-time pass-through of unknown keys is a
    safety net for callers, not part of the contract."""
    schema.pop("additionalProperties", None)


class ReadModel(BaseModel):
    """Base of every answer model."""

    model_config = ConfigDict(extra="allow", json_schema_extra=_closed)


# text kept as the use case wrote it; the format is for the reader of the document
IsoDate = Annotated[str, WithJsonSchema({"type": "string", "format": "date"})]
Timestamp = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"})]
Decimal = Annotated[str, WithJsonSchema({"type": "string", "pattern": r"^-?[0-9]+(\.[0-9]+)?$"})]
TaskFigures = Annotated[
    dict[str, Any],
    WithJsonSchema(
        {
            "type": "object",
            "additionalProperties": True,
            "x-free-form": True,
            "description": "the figures a periodic task reported: its own shape per task",
        }
    ),
]
FreeForm = Annotated[
    dict[str, Any],
    WithJsonSchema(
        {
            "type": "object",
            "additionalProperties": True,
            "x-free-form": True,
            "description": "a stored snapshot: the representation of the entity it names",
        }
    ),
]

T = TypeVar("T")


class Money(ReadModel):
    """An amount in a currency: the amount is a decimal string, never a JSON number."""

    amount: Decimal = Field(examples=["12.50"])
    currency: str = Field(examples=["EUR"], min_length=3, max_length=3)


class Page(ReadModel, Generic[T]):
    """One page of a list: follow ``next_cursor`` (as ``?cursor=``) while ``has_more``."""

    items: list[T]
    next_cursor: str | None = Field(description="pass as ?cursor= for the next page")
    has_more: bool


class Items(ReadModel, Generic[T]):
    """The result of an action over many things at once (not a pageable list)."""

    items: list[T]


class Health(ReadModel):
    status: Literal["ok"]


# --- reasons, decisions and holds ---------------------------------------------------------------


class ReasonDetails(ReadModel):
    """The figures behind a reason; which keys appear depends on the reason's code."""

    limit: Money | None = None
    exposure: Money | None = None
    order: Money | str | None = Field(
        default=None, description="the order amount, or the order's payment terms/discount code"
    )
    threshold_percent: Decimal | None = None
    days: int | None = None
    allowed_days: int | None = None
    account_status: str | None = None
    terms_of_payment: str | None = None
    expired_on: IsoDate | None = None
    grace_days: int | None = None
    overdue: Money | None = None
    allowed: Money | None = None
    usage_threshold: Decimal | None = None
    default: str | None = None
    reason: str | None = Field(default=None, description="the forced hold's reason id")


class ReasonRead(ReadModel):
    code: ReasonCode
    scope: LimitScope | None
    message: str
    details: ReasonDetails
    rule_id: str | None = None
    valid: bool | None = Field(default=None, description="on a hold: whether it still applies")


class HoldRef(ReadModel):
    id: str
    status: HoldStatus


class LimitLineRead(ReadModel):
    scope: LimitScope
    limit: Money
    exposure_before: Money
    order: Money
    available: Money
    threshold_percent: Decimal
    checked: bool
    ok: bool


class RateUsedRead(ReadModel):
    from_currency: str
    to_currency: str
    rate: Decimal
    valid_from: IsoDate
    inverse: bool


class CreditDecisionRead(ReadModel):
    """A credit check's stored decision."""

    id: str
    sales_order: str
    legal_entity: str
    customer: str
    checkpoint: Checkpoint
    posting: bool
    as_of: IsoDate
    decision: Outcome
    hold: HoldRef | None
    reasons: list[ReasonRead]
    limits: list[LimitLineRead]
    rates: list[RateUsedRead]
    explanation: str
    checked_at: Timestamp


class EvaluatedReason(ReadModel):
    code: ReasonCode
    scope: LimitScope | None
    valid: bool


class HoldHistoryData(ReadModel):
    """What an entry of a hold's history carries; the keys depend on its action."""

    check_id: str | None = None
    reasons: list[ReasonCode | EvaluatedReason] | None = Field(
        default=None, description="the codes placed, or each reason's state after an evaluation"
    )
    cause: str | None = None
    not_checked: bool | None = None
    ready_to_release: bool | None = None
    reason: str | None = None
    automatic: bool | None = None
    with_posting: bool | None = None
    forced: bool | None = None
    review_date: IsoDate | None = None
    note: str | None = None
    code: str | None = None
    detail: str | None = None
    release_reason: str | None = None


class HoldHistoryEntry(ReadModel):
    at: Timestamp
    actor: str
    action: str
    data: HoldHistoryData


class HoldRead(ReadModel):
    """A credit hold; ``history`` only on ``GET /credit-holds/{id}``, ``created`` only in the
    answer of a periodic force."""

    id: str
    legal_entity: str
    sales_order: str
    customer: str
    checkpoint: Checkpoint
    posting: bool
    check_id: str | None
    status: HoldStatus
    reason: ReasonCode | Literal["multiple"] | None
    reasons: list[ReasonRead]
    created_at: Timestamp
    closed_at: Timestamp | None
    closed_by: str | None
    release_reason: str | None
    review_date: IsoDate | None
    with_posting: bool | None
    reject_reason: str | None
    note: str | None
    ready_to_release: bool
    evaluated_at: Timestamp | None
    history: list[HoldHistoryEntry] | None = None
    created: bool | None = None


class HoldEvaluationRead(ReadModel):
    id: str
    legal_entity: str
    sales_order: str
    ready_to_release: bool
    released: bool
    reasons: list[EvaluatedReason]
    still_blocking: list[ReasonRead]


# --- legal entities and setup -------------------------------------------------------------------


class CheckpointRead(ReadModel):
    checkpoint: Checkpoint
    posting: bool
    pro_forma: bool
    grace_days: int | None


class CreditParametersRead(ReadModel):
    credit_management: bool
    credit_limit_type: CreditLimitType
    check_group_limits: bool
    allow_manual_limit_edit: bool
    check_credit_limit_on_sales_order: bool
    check_payment_terms_increase: bool
    check_settlement_discount_increase: bool
    skip_rules_after_release: bool
    ignore_blank_expiry: bool
    auto_release_with_posting: bool
    release_reason_ready: str | None
    release_reason_cancel: str | None
    release_reason_modified: str | None
    exclude_intercompany_orders: bool
    checkpoints: list[CheckpointRead]


class LegalEntityRead(ReadModel):
    id: str
    name: str
    accounting_currency: str
    credit_parameters: CreditParametersRead


class ExchangeRateRead(ReadModel):
    from_currency: str
    to_currency: str
    rate: Decimal
    valid_from: IsoDate


class ReasonSetupRead(ReadModel):
    id: str
    type: Literal["hold", "release", "status"]
    description: str


class AccountStatusRead(ReadModel):
    id: str
    description: str
    on_hold: AccountStatusHold


class RankRead(ReadModel):
    code: str
    rank: int


class CreditManagementGroupRead(ReadModel):
    id: str
    description: str


class BlockingRuleRead(ReadModel):
    id: str
    rule: RuleType
    kind: RuleKind
    valid_for: ValidFor
    account_or_group: str | None
    risk_group: str | None
    value_type: RuleValueType | None
    value: Decimal | None
    credit_limit_threshold: Decimal | None
    account_status: str | None
    terms_of_payment: str | None
    release_sales_order: bool
    description: str


class TokenRead(ReadModel):
    """An API token; ``token`` (the secret) only in the answer that creates it."""

    id: str
    name: str
    role: Role
    legal_entities: list[str] | None
    created_at: Timestamp
    expires_at: Timestamp | None = None
    last_used_at: Timestamp | None = None
    revoked: bool
    token: str | None = None


class AuditEventRead(ReadModel):
    id: int
    at: Timestamp
    actor: str
    action: str
    entity: str
    key: str
    before: FreeForm | None
    after: FreeForm | None


# --- customers and groups -----------------------------------------------------------------------


class CustomerCreditRead(ReadModel):
    limit: Money | None
    limit_expires_on: IsoDate | None
    mandatory_limit: bool
    unlimited_limit: bool
    exclude: bool
    account_status: str | None
    status_reason: str | None
    credit_management_group: str | None
    last_review_on: IsoDate | None
    next_review_on: IsoDate | None
    eligible_limit: Money | None
    business_started_on: IsoDate | None
    customer_since: IsoDate | None
    country: str | None
    revenue: Money | None
    notes: str | None


class ScoreFactorRead(ReadModel):
    scoring_group: str
    measure: Measure
    value: str | None
    score: int


class StatisticsRead(ReadModel):
    as_of: IsoDate
    dso1: Decimal | None
    dso2: Decimal | None
    average_payment_days: Decimal | None
    average_balance: Money | None


class DerivedFiguresRead(ReadModel):
    total_limit: Money | None
    temporary_limit: Money | None
    insurance: Money | None
    limit_date: IsoDate | None
    risk_group: str | None
    credit_group: str | None
    as_of: IsoDate
    risk_score: int | None
    risk_scored_on: IsoDate | None
    score_factors: list[ScoreFactorRead]
    statistics: StatisticsRead | None


class CustomerRead(ReadModel):
    legal_entity: str
    account: str
    name: str
    currency: str
    payment_terms: str | None
    settlement_discount: str | None
    credit: CustomerCreditRead
    credit_group: str | None
    derived: DerivedFiguresRead


class ExposureRead(ReadModel):
    balance: Money
    packing_slips: Money
    open_orders: Money
    total: Money


class OverdueRead(ReadModel):
    amount: Money
    oldest_days: int | None


class GroupFiguresRead(ReadModel):
    id: str
    limit: Money
    limit_expires_on: IsoDate
    exposure: Money
    available: Money


class CreditSummaryRead(ReadModel):
    legal_entity: str
    account: str
    as_of: IsoDate
    limit: Money | None
    limit_expires_on: IsoDate | None
    mandatory_limit: bool
    unlimited_limit: bool
    exposure: ExposureRead
    credit_limit_type: CreditLimitType
    available: Money | None
    percent_used: Decimal | None
    total_limit: Money | None
    overdue: OverdueRead
    group: GroupFiguresRead | None


class BucketsRead(ReadModel):
    """Open amounts by days past due: ``current`` is not yet due."""

    model_config = ConfigDict(populate_by_name=True)

    current: Money
    days_1_30: Money = Field(alias="1-30")
    days_31_60: Money = Field(alias="31-60")
    days_61_90: Money = Field(alias="61-90")
    over_90: Money


class CustomerAgedBalancesRead(ReadModel):
    legal_entity: str
    account: str
    as_of: IsoDate
    buckets: BucketsRead
    total: Money


class GroupMemberAgingRead(ReadModel):
    legal_entity: str
    account: str
    name: str
    buckets: BucketsRead
    total: Money
    buckets_in_group_currency: BucketsRead
    total_in_group_currency: Money


class GroupAgedBalancesRead(ReadModel):
    group: str
    as_of: IsoDate
    currency: str
    members: list[GroupMemberAgingRead]
    totals: BucketsRead
    total: Money


class GroupMemberRead(ReadModel):
    legal_entity: str
    account: str
    name: str


class CreditGroupRead(ReadModel):
    id: str
    description: str
    limit: Money
    limit_expires_on: IsoDate
    members: list[GroupMemberRead]


class AccountRef(ReadModel):
    legal_entity: str
    account: str


class MembershipRead(ReadModel):
    group: str
    legal_entity: str
    account: str
    limit_expires_on: IsoDate
    same_account_in_other_legal_entities: list[AccountRef]


# --- documents ------------------------------------------------------------------------------


class InvoiceRead(ReadModel):
    id: str
    legal_entity: str
    customer: str
    kind: Literal["invoice", "credit_note"]
    amount: Money
    open_amount: Money
    invoice_date: IsoDate
    due_date: IsoDate
    sales_order: str | None


class PaymentApplicationRead(ReadModel):
    invoice: str
    amount: Money


class PaymentRead(ReadModel):
    id: str
    legal_entity: str
    customer: str
    amount: Money
    date: IsoDate
    applies_to: list[PaymentApplicationRead]
    unapplied: Money


class SalesOrderRead(ReadModel):
    id: str
    legal_entity: str
    customer: str
    amount: Money
    packing_slips: Money
    payment_terms: str | None
    settlement_discount: str | None
    status: Literal["open", "cancelled", "rejected"]
    exclude: bool
    intercompany: bool
    released_on: IsoDate | None
    grace_until: IsoDate | None


class PackingSlipRead(ReadModel):
    id: str
    legal_entity: str
    sales_order: str
    amount: Money
    date: IsoDate


class DocumentCounts(ReadModel):
    invoice: int | None = None
    credit_note: int | None = None
    payment: int | None = None
    sales_order: int | None = None
    packing_slip: int | None = None


class BatchRejectionRead(ReadModel):
    row: int
    type: str | None
    id: str | None
    code: str
    message: str


class DocumentBatchRead(ReadModel):
    rows: int
    accepted: int
    unchanged: int
    rejected: int
    accepted_by_type: DocumentCounts
    rejections: list[BatchRejectionRead]
    seconds: float


# --- events and webhooks -----------------------------------------------------------------------


class WebhookRead(ReadModel):
    """A webhook; ``secret`` only in the answer that registers it."""

    id: str
    url: str
    legal_entities: list[str] | None
    event_types: list[str] | None
    active: bool
    delivered_up_to: int
    failures: int
    next_attempt_at: Timestamp | None
    last_error: str | None
    created_at: Timestamp
    secret: str | None = None


# --- journals, insurance, scoring, statistics ---------------------------------------------------


class TemporaryLimitRead(ReadModel):
    model_config = ConfigDict(populate_by_name=True)

    limit: Money
    from_: IsoDate = Field(alias="from")
    to: IsoDate


class JournalLineRead(ReadModel):
    model_config = ConfigDict(populate_by_name=True)

    line_no: int
    customer: str | None
    credit_group: str | None
    name: str
    current_limit: Money | None
    new_limit: Money
    new_expires_on: IsoDate | None
    from_: IsoDate | None = Field(alias="from")
    to: IsoDate | None
    journal: str | None = None
    existing_temporary_limits: list[TemporaryLimitRead] | None = None


class JournalRead(ReadModel):
    id: str
    legal_entity: str
    type: JournalType
    description: str
    status: Literal["draft", "posted"]
    posted: bool
    posted_on: IsoDate | None
    lines: list[JournalLineRead]


class InsurancePolicyRead(ReadModel):
    id: str
    identifier: Identifier
    type: str | None
    insurer: str | None
    coverage_type: str | None
    policy_number: str | None
    effective: IsoDate | None
    expires: IsoDate | None
    value: Money
    update_credit_limit_percent: Decimal
    included_in_exposure: bool
    contribution: Money | None


class ScoreLineRead(ReadModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: Decimal | None = Field(default=None, alias="from")
    to: Decimal | None = None
    value: str | None = None
    score: int


class ScoringGroupRead(ReadModel):
    id: str
    description: str
    measure: Measure
    score_type: ScoreType
    lines: list[ScoreLineRead]


class RiskGroupRead(ReadModel):
    id: str
    description: str
    score_from: int
    score_to: int


class AutomaticLimitLineRead(ReadModel):
    scoring_group: str
    operator: Operator
    value: str
    limit: Money


class AutomaticLimitRead(ReadModel):
    risk_group: str
    currency: str
    revenue_cap: Money
    lines: list[AutomaticLimitLineRead]


class ScoreValueRead(ReadModel):
    scoring_group: str
    value: str | None


class StatisticsParametersRead(ReadModel):
    dso1_months: int
    dso2_months: int
    average_balance_months: int
    payment_days_months: int
    balance_statistics_months: int


class StatisticsRunRead(ReadModel):
    legal_entity: str
    as_of: IsoDate
    calculated: int


class StatisticsDeletionRead(ReadModel):
    legal_entity: str
    until: IsoDate
    deleted: int


# --- workflows --------------------------------------------------------------------------------


class WorkflowStepRead(ReadModel):
    approver_role: Role | None
    approver_users: list[str] | None
    above_amount: Money | None


class WorkflowCriteriaRead(ReadModel):
    amount_change_above: Money | None
    percent_change_above: Decimal | None
    risk_groups: list[str] | None


class WorkflowRead(ReadModel):
    legal_entity: str
    kind: WorkflowKind
    enabled: bool
    steps: list[WorkflowStepRead]
    completion: Completion | None
    criteria: WorkflowCriteriaRead


class ApprovalRead(ReadModel):
    step: int
    by: str
    at: Timestamp
    comment: str | None


class WorkflowItemDetails(ReadModel):
    """What was submitted; the keys depend on the item's kind."""

    sales_order: str | None = None
    customer: str | None = None
    reason: str | None = None
    review_date: IsoDate | None = None
    with_posting: bool | None = None
    note: str | None = None
    journal: str | None = None
    lines: int | None = None
    line: int | None = None
    target: str | None = None
    new_limit: Money | None = None
    current_limit: Money | None = None


class WorkflowItemRead(ReadModel):
    id: str
    legal_entity: str
    kind: WorkflowKind
    subject: str
    action: Literal["release", "reject", "post", "approve_line"]
    details: WorkflowItemDetails
    status: ItemStatus
    submitted_by: str
    submitted_at: Timestamp
    amount: Money | None
    completion: Completion | None
    steps: int
    next_step: int | None
    approvals: list[ApprovalRead]
    comment: str | None
    error: str | None
    decided_by: str | None
    decided_at: Timestamp | None
    can_approve: bool | None = None


class EventRead(ReadModel):
    id: int
    type: EventType
    at: Timestamp
    legal_entity: str
    key: str
    data: HoldRead | WorkflowItemRead


class EventPage(Page[EventRead]):
    """Events oldest first; ``next_after`` is the id to ask ``?after=`` next time (kept for
    callers of v1; ``next_cursor`` does the same)."""

    next_after: int


class RiskScoresRead(ReadModel):
    legal_entity: str
    as_of: IsoDate
    updated: int


# --- named pages and batches (a generic's name in the document would be ``Page_HoldRead_``) ------


class AccountStatusPage(Page[AccountStatusRead]):
    pass


class AuditEventPage(Page[AuditEventRead]):
    pass


class AutomaticLimitPage(Page[AutomaticLimitRead]):
    pass


class BlockingRulePage(Page[BlockingRuleRead]):
    pass


class CreditDecisionPage(Page[CreditDecisionRead]):
    pass


class CreditManagementGroupPage(Page[CreditManagementGroupRead]):
    pass


class ExchangeRatePage(Page[ExchangeRateRead]):
    pass


class HoldPage(Page[HoldRead]):
    pass


class InsurancePolicyPage(Page[InsurancePolicyRead]):
    pass


class JournalPage(Page[JournalRead]):
    pass


class LegalEntityPage(Page[LegalEntityRead]):
    pass


class RankPage(Page[RankRead]):
    pass


class ReasonSetupPage(Page[ReasonSetupRead]):
    pass


class RiskGroupPage(Page[RiskGroupRead]):
    pass


class ScoringGroupPage(Page[ScoringGroupRead]):
    pass


class TokenPage(Page[TokenRead]):
    pass


class WebhookPage(Page[WebhookRead]):
    pass


class WorkflowItemPage(Page[WorkflowItemRead]):
    pass


class HoldEvaluationItems(Items[HoldEvaluationRead]):
    pass


class HoldItems(Items[HoldRead]):
    pass


class WorkflowItemItems(Items[WorkflowItemRead]):
    pass


# --- periodic task schedules and their runs -------------------------------------------------

TaskName = Literal[
    "aging_snapshot",
    "evaluate_for_release",
    "force_credit_hold",
    "update_risk_scores",
    "calculate_balance_statistics",
    "delete_balance_statistics",
    "expiring_limit_review",
]


class ScheduleParameters(ReadModel):
    """What a task is given on every run (``force_credit_hold``: reason, customers,
    sales_orders; ``expiring_limit_review``: within_days)."""

    reason: str | None = None
    customers: list[str] | None = None
    sales_orders: list[str] | None = None
    within_days: int | None = None


class ScheduleRead(ReadModel):
    legal_entity: str
    task: TaskName
    interval_seconds: int | None
    cron: str | None
    parameters: ScheduleParameters
    enabled: bool
    updated_at: Timestamp


class TaskRunRead(ReadModel):
    """One recorded run; ``figures`` are what the task reported (its own shape per task)."""

    id: str
    task: TaskName
    legal_entity: str
    period: str
    started_at: Timestamp
    finished_at: Timestamp | None
    outcome: Literal["running", "succeeded", "failed"]
    figures: TaskFigures | None
    error: str | None
    host: str


class SchedulePage(Page[ScheduleRead]):
    pass


class TaskRunPage(Page[TaskRunRead]):
    pass


# --- worklists ------------------------------------------------------------------------------


class ExpiringLimitRead(ReadModel):
    """A limit ending soon: a customer's, a credit group's (``legal_entity`` and ``account``
    null) or a temporary limit of either; ``days_left`` is negative once it has ended."""

    kind: Literal["customer", "credit_group", "temporary_limit"]
    legal_entity: str | None
    account: str | None
    credit_group: str | None
    limit: Money
    expires_on: IsoDate
    days_left: int
    exposure: Money | None


class ExpiringLimitPage(Page[ExpiringLimitRead]):
    pass
