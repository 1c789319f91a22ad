"""The aged balances of a whole legal entity: every open invoice aged into buckets, summed per
customer and currency and in totals per currency (``service_layer.aging_report``)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from creditdesk.entrypoints.api.contract import ContractRoute
from creditdesk.entrypoints.api.dependencies import PrincipalDep, RuntimeDep
from creditdesk.entrypoints.api.schemas import IsoDate
from creditdesk.service_layer import aging_report

router = APIRouter(route_class=ContractRoute)


# --- the answer, for the OpenAPI document (the body itself is rendered as it is) -------------


class AgedAmount(BaseModel):
    amount: str = Field(examples=["1250.00"])
    currency: str = Field(examples=["EUR"])


class AgingBuckets(BaseModel):
    """Open amounts by days past due on `as_of`: `current` is not yet due."""

    model_config = ConfigDict(populate_by_name=True)

    current: AgedAmount
    days_1_30: AgedAmount = Field(alias="1-30")
    days_31_60: AgedAmount = Field(alias="31-60")
    days_61_90: AgedAmount = Field(alias="61-90")
    over_90: AgedAmount


class CurrencyAging(BaseModel):
    currency: str = Field(examples=["EUR"])
    buckets: AgingBuckets
    total: AgedAmount


class CustomerAging(CurrencyAging):
    account: str = Field(examples=["C100"])


class LegalEntityAging(BaseModel):
    legal_entity: str = Field(examples=["FI01"])
    as_of: date
    totals: list[CurrencyAging] = Field(description="one row per currency, by currency code")
    customers_with_open_items: int | None = Field(
        description="customers with open invoices; null when asked without customers"
    )
    customers: list[CustomerAging] | None = Field(
        default=None,
        description="one row per customer and currency, by account; left out with "
        "`customers=false`",
    )


# --- the endpoint -------------------------------------------------------------------------------


@router.get(
    "/legal-entities/{le}/aged-balances",
    tags=["legal entities"],
    response_model=None,
    responses={200: {"model": LegalEntityAging, "description": "the aged balances"}},
)
def get_legal_entity_aged_balances(
    le: str,
    rt: RuntimeDep,
    actor: PrincipalDep,
    as_of: Annotated[
        IsoDate | None, Query(description="the report date, YYYY-MM-DD (default today)")
    ] = None,
    customers: Annotated[
        bool, Query(description="include the rows per customer (false: totals only)")
    ] = True,
) -> JSONResponse:
    """Aged open balances of every customer of the legal entity, in the buckets `current`
    (not yet due), `1-30`, `31-60`, `61-90` and `over_90` days past due, per customer and
    currency, with totals per currency. Amounts stay in each invoice's currency."""
    day = as_of or rt.clock.today()  # a day too early for the buckets: 422 invalid_date
    # plain JSON already (strings, numbers, lists): rendered without jsonable_encoder, which
    # would walk every row of a report over many customers again
    return JSONResponse(aging_report.legal_entity_aging(rt, actor, le, day, customers=customers))
