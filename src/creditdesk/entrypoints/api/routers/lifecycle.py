"""Credit limit adjustment journals, insurance and guarantees, risk scoring, automatic credit
limits and balance statistics (API "Credit limit adjustment journals", "Insurance and
guarantees", "Risk scoring, automatic limits and statistics")."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from pydantic import ConfigDict, Field, StrictBool, StrictInt, StrictStr, field_validator

from creditdesk.domain.adjustments import DateMethod, RoundingForm, ValueType
from creditdesk.domain.errors import CurrencyMismatchError
from creditdesk.entrypoints.api.contract import ContractRoute, page_of, paginate
from creditdesk.entrypoints.api.dependencies import (
    LimitQuery,
    PrincipalDep,
    RuntimeDep,
    decode_cursor,
)
from creditdesk.entrypoints.api.read_models import (
    AutomaticLimitPage,
    AutomaticLimitRead,
    InsurancePolicyPage,
    InsurancePolicyRead,
    JournalLineRead,
    JournalPage,
    JournalRead,
    RiskGroupPage,
    RiskGroupRead,
    RiskScoresRead,
    ScoreValueRead,
    ScoringGroupPage,
    ScoringGroupRead,
    StatisticsDeletionRead,
    StatisticsParametersRead,
    StatisticsRunRead,
)
from creditdesk.entrypoints.api.schemas import Input, IsoDate, MoneyIn, decimal_text
from creditdesk.service_layer import insurance, journals, scoring, statistics

router = APIRouter(route_class=ContractRoute)


def _id(row: dict[str, Any]) -> str:
    return str(row["id"])


_NUMBER_PATTERN = r"^[+-]?[0-9]{1,18}(\.[0-9]{1,18})?$"


def _number(value: Any, field: str) -> Any:
    if value is None:
        return None
    if not isinstance(value, str):
        from pydantic_core import PydanticCustomError

        raise PydanticCustomError("invalid_number", f'write {field} as a string, e.g. "10"')
    decimal_text(value, field)
    return value


# --- adjustment journals ------------------------------------------------------------------------


class JournalIn(Input):
    type: Literal["credit_limit", "temporary_credit_limit"]
    description: StrictStr = Field(default="", max_length=200)


class JournalLineIn(Input):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    customer: StrictStr | None = Field(default=None, max_length=40)
    credit_group: StrictStr | None = Field(default=None, max_length=40)
    new_limit: MoneyIn
    new_expires_on: IsoDate | None = None
    from_: IsoDate | None = Field(default=None, alias="from")
    to: IsoDate | None = None


class GenerateIn(Input):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    source: Literal["customers", "credit_groups", "automatic"]
    value: StrictStr | None = Field(default=None, max_length=40)
    value_type: Literal["fixed", "percent"] = "fixed"
    round_off: StrictStr | None = Field(default=None, max_length=40)
    rounding: Literal["up", "down"] = "down"
    date_method: Literal["absolute", "relative"] = "absolute"
    new_expires_on: IsoDate | None = None
    from_: IsoDate | None = Field(default=None, alias="from")
    to: IsoDate | None = None
    from_offset_days: StrictInt = Field(default=0, ge=-36500, le=36500)
    to_offset_days: StrictInt = Field(default=0, ge=-36500, le=36500)
    customers: list[StrictStr] | None = Field(default=None, max_length=100_000)
    credit_groups: list[StrictStr] | None = Field(default=None, max_length=100_000)

    @field_validator("value", "round_off", mode="before")
    @classmethod
    def _numbers_as_text(cls, value: Any) -> Any:
        return _number(value, "value")


@router.post(
    "/legal-entities/{le}/credit-limit-journals",
    status_code=201,
    tags=["journals"],
    response_model=JournalRead,
)
def create_credit_limit_journal(
    le: str, body: JournalIn, rt: RuntimeDep, actor: PrincipalDep
) -> dict[str, Any]:
    return journals.create_journal(rt, actor, le, body.type, body.description)


@router.get(
    "/legal-entities/{le}/credit-limit-journals",
    tags=["journals"],
    response_model=JournalPage,
)
def list_credit_limit_journals(
    le: str,
    rt: RuntimeDep,
    actor: PrincipalDep,
    limit: LimitQuery = 100,
    cursor: str | None = None,
) -> dict[str, Any]:
    items = journals.list_journals(rt, actor, le, decode_cursor(cursor), limit + 1)
    return paginate(items, limit, _id)


@router.get(
    "/legal-entities/{le}/credit-limit-journals/{journal_id}",
    tags=["journals"],
    response_model=JournalRead,
)
def get_credit_limit_journal(
    le: str, journal_id: str, rt: RuntimeDep, actor: PrincipalDep
) -> dict[str, Any]:
    return journals.get_journal(rt, actor, le, journal_id)


@router.post(
    "/legal-entities/{le}/credit-limit-journals/{journal_id}/lines",
    status_code=201,
    tags=["journals"],
    response_model=JournalLineRead,
)
def add_credit_limit_journal_line(
    le: str, journal_id: str, body: JournalLineIn, rt: RuntimeDep, actor: PrincipalDep
) -> dict[str, Any]:
    return journals.add_line(
        rt,
        actor,
        le,
        journal_id,
        customer=body.customer,
        credit_group=body.credit_group,
        new_limit=body.new_limit.money,
        new_expires_on=body.new_expires_on,
        start=body.from_,
        end=body.to,
    )


@router.post(
    "/legal-entities/{le}/credit-limit-journals/{journal_id}/generate",
    tags=["journals"],
    response_model=JournalRead,
)
def generate_credit_limit_journal_lines(
    le: str, journal_id: str, body: GenerateIn, rt: RuntimeDep, actor: PrincipalDep
) -> dict[str, Any]:
    request = journals.GenerateRequest(
        source=body.source,
        value=decimal_text(body.value, "value") if body.value is not None else None,
        value_type=ValueType(body.value_type),
        round_off=decimal_text(body.round_off, "round_off") if body.round_off is not None else None,
        rounding=RoundingForm(body.rounding),
        date_method=DateMethod(body.date_method),
        new_expires_on=body.new_expires_on,
        start=body.from_,
        end=body.to,
        from_offset_days=body.from_offset_days,
        to_offset_days=body.to_offset_days,
        customers=tuple(body.customers) if body.customers is not None else None,
        credit_groups=tuple(body.credit_groups) if body.credit_groups is not None else None,
    )
    return journals.generate_lines(rt, actor, le, journal_id, request)


@router.post(
    "/legal-entities/{le}/credit-limit-journals/{journal_id}/post",
    tags=["journals"],
    response_model=JournalRead,
)
def post_credit_limit_journal(
    le: str, journal_id: str, rt: RuntimeDep, actor: PrincipalDep
) -> dict[str, Any]:
    return journals.post_journal(rt, actor, le, journal_id)


# --- insurance and guarantees -------------------------------------------------------------------


class InsurancePolicyIn(Input):
    identifier: Literal["insurance", "guarantee"]
    type: StrictStr | None = Field(default=None, max_length=40)
    insurer: StrictStr | None = Field(default=None, max_length=200)
    coverage_type: StrictStr | None = Field(default=None, max_length=40)
    policy_number: StrictStr | None = Field(default=None, max_length=80)
    effective: IsoDate | None = None
    expires: IsoDate | None = None
    value: MoneyIn
    update_credit_limit_percent: StrictStr = Field(max_length=40)
    included_in_exposure: StrictBool = False

    @field_validator("update_credit_limit_percent", mode="before")
    @classmethod
    def _percent_as_text(cls, value: Any) -> Any:
        return _number(value, "update_credit_limit_percent")


_POLICIES = "/legal-entities/{le}/customers/{account}/insurance-policies"


@router.post(_POLICIES, status_code=201, tags=["insurance"], response_model=InsurancePolicyRead)
def create_insurance_policy(
    le: str, account: str, body: InsurancePolicyIn, rt: RuntimeDep, actor: PrincipalDep
) -> dict[str, Any]:
    return insurance.add_policy(
        rt,
        actor,
        le,
        account,
        identifier=body.identifier,
        type=body.type,
        insurer=body.insurer,
        coverage_type=body.coverage_type,
        policy_number=body.policy_number,
        effective=body.effective,
        expires=body.expires,
        value=body.value.money,
        update_credit_limit_percent=decimal_text(
            body.update_credit_limit_percent, "update_credit_limit_percent"
        ),
        included_in_exposure=body.included_in_exposure,
    )


@router.get(_POLICIES, tags=["insurance"], response_model=InsurancePolicyPage)
def list_insurance_policies(
    le: str,
    account: str,
    rt: RuntimeDep,
    actor: PrincipalDep,
    limit: LimitQuery = 100,
    cursor: str | None = None,
) -> dict[str, Any]:
    return page_of(insurance.list_policies(rt, actor, le, account), limit, cursor, _id)


@router.delete(_POLICIES + "/{policy_id}", status_code=204, tags=["insurance"])
def delete_insurance_policy(
    le: str, account: str, policy_id: str, rt: RuntimeDep, actor: PrincipalDep
) -> Response:
    insurance.delete_policy(rt, actor, le, account, policy_id)
    return Response(status_code=204)


# --- risk scoring and automatic credit limits ---------------------------------------------------


class ScoreLineIn(Input):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: StrictStr | None = Field(default=None, alias="from", pattern=_NUMBER_PATTERN)
    to: StrictStr | None = Field(default=None, pattern=_NUMBER_PATTERN)
    value: StrictStr | None = Field(default=None, max_length=200)
    score: StrictInt = Field(ge=-1_000_000, le=1_000_000)


class ScoringGroupIn(Input):
    description: StrictStr = Field(default="", max_length=200)
    measure: Literal[
        "years_in_business",
        "customer_since_years",
        "average_payment_days",
        "days_sales_outstanding",
        "average_balance",
        "credit_management_group",
        "account_status",
        "country",
        "user_defined",
    ]
    score_type: Literal["range", "value"]
    lines: list[ScoreLineIn] = Field(default_factory=list, max_length=1000)


class RiskGroupIn(Input):
    description: StrictStr = Field(default="", max_length=200)
    score_from: StrictInt
    score_to: StrictInt


class AutomaticLimitLineIn(Input):
    scoring_group: StrictStr = Field(min_length=1, max_length=40)
    operator: Literal["=", "<>", ">", ">=", "<", "<="]
    value: StrictStr = Field(max_length=200)
    limit: MoneyIn


class AutomaticLimitIn(Input):
    revenue_cap: MoneyIn
    lines: list[AutomaticLimitLineIn] = Field(default_factory=list, max_length=1000)


class ScoreValueIn(Input):
    value: StrictStr | None = Field(default=None, max_length=200)


class RiskScoresIn(Input):
    customers: list[StrictStr] | None = Field(default=None, max_length=100_000)
    as_of: IsoDate | None = None


@router.put(
    "/legal-entities/{le}/scoring-groups/{group_id}",
    tags=["risk scoring"],
    response_model=ScoringGroupRead,
)
def put_scoring_group(
    le: str, group_id: str, body: ScoringGroupIn, rt: RuntimeDep, actor: PrincipalDep
) -> dict[str, Any]:
    return scoring.put_scoring_group(
        rt,
        actor,
        le,
        group_id,
        measure=body.measure,
        score_type=body.score_type,
        lines=[
            {"from": line.from_, "to": line.to, "value": line.value, "score": line.score}
            for line in body.lines
        ],
        description=body.description,
    )


@router.get(
    "/legal-entities/{le}/scoring-groups",
    tags=["risk scoring"],
    response_model=ScoringGroupPage,
)
def list_scoring_groups(
    le: str, rt: RuntimeDep, actor: PrincipalDep, limit: LimitQuery = 100, cursor: str | None = None
) -> dict[str, Any]:
    return page_of(scoring.list_scoring_groups(rt, actor, le), limit, cursor, _id)


@router.get(
    "/legal-entities/{le}/scoring-groups/{group_id}",
    tags=["risk scoring"],
    response_model=ScoringGroupRead,
)
def get_scoring_group(
    le: str, group_id: str, rt: RuntimeDep, actor: PrincipalDep
) -> dict[str, Any]:
    return scoring.get_scoring_group(rt, actor, le, group_id)


@router.put(
    "/legal-entities/{le}/risk-groups/{group_id}",
    tags=["risk scoring"],
    response_model=RiskGroupRead,
)
def put_risk_group(
    le: str, group_id: str, body: RiskGroupIn, rt: RuntimeDep, actor: PrincipalDep
) -> dict[str, Any]:
    return scoring.put_risk_group(
        rt,
        actor,
        le,
        group_id,
        description=body.description,
        score_from=body.score_from,
        score_to=body.score_to,
    )


@router.get("/legal-entities/{le}/risk-groups", tags=["risk scoring"], response_model=RiskGroupPage)
def list_risk_groups(
    le: str, rt: RuntimeDep, actor: PrincipalDep, limit: LimitQuery = 100, cursor: str | None = None
) -> dict[str, Any]:
    return page_of(scoring.list_risk_groups(rt, actor, le), limit, cursor, _id)


@router.put(
    "/legal-entities/{le}/automatic-credit-limits/{risk_group}/{currency}",
    tags=["risk scoring"],
    response_model=AutomaticLimitRead,
)
def put_automatic_credit_limit(
    le: str,
    risk_group: str,
    currency: str,
    body: AutomaticLimitIn,
    rt: RuntimeDep,
    actor: PrincipalDep,
) -> dict[str, Any]:
    cap = body.revenue_cap.money
    if cap.currency.code != currency:
        raise CurrencyMismatchError(
            f"the revenue cap is in {cap.currency.code}, the path names {currency}"
        )
    return scoring.put_automatic_limit(
        rt,
        actor,
        le,
        risk_group,
        revenue_cap=cap,
        lines=[
            (line.scoring_group, line.operator, line.value, line.limit.money) for line in body.lines
        ],
    )


@router.get(
    "/legal-entities/{le}/automatic-credit-limits",
    tags=["risk scoring"],
    response_model=AutomaticLimitPage,
)
def list_automatic_credit_limits(
    le: str, rt: RuntimeDep, actor: PrincipalDep, limit: LimitQuery = 100, cursor: str | None = None
) -> dict[str, Any]:
    return page_of(
        scoring.list_automatic_limits(rt, actor, le),
        limit,
        cursor,
        lambda row: f"{row['risk_group']}/{row['currency']}",
    )


@router.put(
    "/legal-entities/{le}/customers/{account}/score-values/{scoring_group}",
    tags=["risk scoring"],
    response_model=ScoreValueRead,
)
def put_customer_score_value(
    le: str,
    account: str,
    scoring_group: str,
    body: ScoreValueIn,
    rt: RuntimeDep,
    actor: PrincipalDep,
) -> dict[str, Any]:
    return scoring.put_customer_score_value(rt, actor, le, account, scoring_group, body.value)


@router.post(
    "/legal-entities/{le}/risk-scores:update", tags=["risk scoring"], response_model=RiskScoresRead
)
def update_risk_scores(
    le: str, body: RiskScoresIn, rt: RuntimeDep, actor: PrincipalDep
) -> dict[str, Any]:
    return scoring.update_risk_scores(rt, actor, le, accounts=body.customers, as_of=body.as_of)


# --- balance statistics -------------------------------------------------------------------------


class StatisticsIn(Input):
    as_of: IsoDate | None = None
    customers: list[StrictStr] | None = Field(default=None, max_length=100_000)


class DeleteStatisticsIn(Input):
    until: IsoDate | None = None


class StatisticsParametersIn(Input):
    dso1_months: StrictInt | None = None
    dso2_months: StrictInt | None = None
    average_balance_months: StrictInt | None = None
    payment_days_months: StrictInt | None = None
    balance_statistics_months: StrictInt | None = None


@router.post(
    "/legal-entities/{le}/balance-statistics:calculate",
    tags=["statistics"],
    response_model=StatisticsRunRead,
)
def calculate_balance_statistics(
    le: str, body: StatisticsIn, rt: RuntimeDep, actor: PrincipalDep
) -> dict[str, Any]:
    return statistics.calculate_balance_statistics(
        rt, actor, le, as_of=body.as_of, accounts=body.customers
    )


@router.post(
    "/legal-entities/{le}/balance-statistics:delete",
    tags=["statistics"],
    response_model=StatisticsDeletionRead,
)
def delete_balance_statistics(
    le: str, body: DeleteStatisticsIn, rt: RuntimeDep, actor: PrincipalDep
) -> dict[str, Any]:
    return statistics.delete_outdated_statistics(rt, actor, le, body.until)


@router.get(
    "/legal-entities/{le}/statistics-parameters",
    tags=["statistics"],
    response_model=StatisticsParametersRead,
)
def get_statistics_parameters(le: str, rt: RuntimeDep, actor: PrincipalDep) -> dict[str, Any]:
    return statistics.get_parameters(rt, actor, le)


@router.put(
    "/legal-entities/{le}/statistics-parameters",
    tags=["statistics"],
    response_model=None,
    responses={200: {"model": StatisticsParametersRead, "description": "the parameters"}},
)
def put_statistics_parameters(
    le: str, body: StatisticsParametersIn, rt: RuntimeDep, actor: PrincipalDep
) -> JSONResponse:
    changes = {
        name: value for name in body.model_fields_set if (value := getattr(body, name)) is not None
    }
    return JSONResponse(statistics.put_parameters(rt, actor, le, changes))
