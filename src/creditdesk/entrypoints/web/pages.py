"""The pages of the web app. Every page calls the same use cases as the API with the signed-in
user's ``Principal``, so roles and legal-entity scopes are checked in one place."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from creditdesk.domain.adjustments import JournalType
from creditdesk.domain.adjustments import ValueType as AdjustmentValueType
from creditdesk.domain.aging import BUCKETS
from creditdesk.domain.errors import CreditDeskError, InvalidAmountError
from creditdesk.domain.money import Money, parse_rate
from creditdesk.domain.rules import ReasonCode, RuleKind, RuleType, ValidFor, ValueType
from creditdesk.domain.setup import Checkpoint
from creditdesk.entrypoints.web.context import Ctx, check_csrf, context, signed_in
from creditdesk.entrypoints.web.i18n import LANGUAGES, N_, Translator
from creditdesk.entrypoints.web.labels import REASONS
from creditdesk.service_layer import (
    customers,
    group_list,
    groups,
    holds,
    journals,
    queries,
    serialize,
    setup,
    users,
    workflows,
)
from creditdesk.service_layer.errors import (
    AuthenticationError,
    NotFoundError,
    PermissionDeniedError,
    TooManySignInsError,
)

router = APIRouter(include_in_schema=False)
T = TypeVar("T")
HOLD_LIST_LIMIT = 500
SORTS = ("age", "legal_entity", "customer", "reason", "checkpoint")


async def require_csrf(request: Request) -> None:
    check_csrf(request, await request.form())


POST = [Depends(require_csrf)]


def render_error(request: Request, status: int, message: str) -> HTMLResponse:
    ctx = context(request)
    return ctx.render("error.html", status, status=status, message=ctx.t.gettext(message))


def _error_message(t: Translator, error: CreditDeskError) -> str:
    if isinstance(error, PermissionDeniedError):
        return t.gettext("You may not do this.")
    if isinstance(error, NotFoundError):
        return t.gettext("Not found.")
    return t.gettext("The request was refused: %(reason)s", reason=str(error))


def _page(ctx: Ctx, build: Callable[[], T]) -> T | HTMLResponse:
    """Run a read use case; a permission or not-found error becomes an error page."""
    try:
        return build()
    except PermissionDeniedError:
        return ctx.render(
            "error.html", 403, status=403, message=ctx.t.gettext("You may not do this.")
        )
    except NotFoundError:
        return ctx.render("error.html", 404, status=404, message=ctx.t.gettext("Not found."))
    except CreditDeskError as error:  # e.g. a bad filter value
        return ctx.render("error.html", 400, status=400, message=_error_message(ctx.t, error))


def first_legal_entity_page(ctx: Ctx, area: str) -> Response:
    """An area's index: the page of the first legal entity the user sees (404 with none)."""
    entities = _page(ctx, lambda: _visible_entities(ctx))
    if isinstance(entities, HTMLResponse):
        return entities
    if entities:
        return RedirectResponse(f"{area}/{entities[0]['id']}", status_code=303)
    return ctx.render("error.html", 404, status=404, message=ctx.t.gettext("Not found."))


def _back(target: str, fallback: str) -> RedirectResponse:
    """Redirect to a local path only (never to another site)."""
    safe = target if target.startswith("/") and not target.startswith("//") else fallback
    return RedirectResponse(safe, status_code=303)


# --- signing in and out, language ------------------------------------------------------------


@router.get("/")
def home() -> RedirectResponse:
    return RedirectResponse("/holds", status_code=303)


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_page(ctx: Ctx = Depends(context), next: str = "/holds") -> HTMLResponse:
    return ctx.render("sign_in.html", next=next, failed=False, username="")


@router.post("/sign-in", response_class=HTMLResponse, dependencies=POST)
def sign_in(
    request: Request,
    username: str = Form(""),
    password: str = Form(""),
    next: str = Form("/holds"),
) -> Response:
    ctx = context(request)
    address = request.client.host if request.client is not None else "unknown"
    try:
        started = users.sign_in(ctx.rt, username, password, address, ctx.web.sessions)
    except TooManySignInsError as error:
        wait = ctx.t.gettext(
            "Too many failed sign-ins. Try again in %(seconds)s seconds.",
            seconds=error.retry_after,
        )
        response = ctx.render(
            "sign_in.html", 429, next=next, failed=False, username=username, wait=wait
        )
        response.headers["Retry-After"] = str(error.retry_after)
        return response
    except AuthenticationError:
        return ctx.render("sign_in.html", 401, next=next, failed=True, username=username)
    request.session.clear()  # a new CSRF token too: nothing carries over from before sign-in
    request.session["sid"] = started.session_id
    return _back(next, "/holds")


@router.post("/sign-out", dependencies=POST)
def sign_out(request: Request) -> RedirectResponse:
    """End the session server-side: a copy of the cookie taken before opens nothing after."""
    session_id = request.session.get("sid")
    if isinstance(session_id, str):
        users.end_session(request.app.state.web.rt, session_id)
    language = request.session.get("language")
    request.session.clear()
    if language is not None:
        request.session["language"] = language
    return RedirectResponse("/sign-in", status_code=303)


@router.get("/account/password", response_class=HTMLResponse)
def password_page(ctx: Ctx = Depends(signed_in)) -> HTMLResponse:
    return ctx.render("password.html", error=None)


@router.post("/account/password", response_class=HTMLResponse, dependencies=POST)
def change_password(
    request: Request,
    current_password: str = Form(""),
    new_password: str = Form(""),
    new_password_again: str = Form(""),
) -> Response:
    """Change one's own password; every other session of the user ends."""
    ctx = signed_in(request)
    if new_password != new_password_again:
        message = ctx.t.gettext("The new passwords are not the same.")
        return ctx.render("password.html", 400, error=message)
    address = request.client.host if request.client is not None else "unknown"
    try:
        started = users.change_own_password(
            ctx.rt, ctx.principal, current_password, new_password, address, ctx.web.sessions
        )
    except TooManySignInsError as error:
        wait = ctx.t.gettext(
            "Too many failed sign-ins. Try again in %(seconds)s seconds.",
            seconds=error.retry_after,
        )
        response = ctx.render("password.html", 429, error=wait)
        response.headers["Retry-After"] = str(error.retry_after)
        return response
    except AuthenticationError:
        message = ctx.t.gettext("The current password is not right.")
        return ctx.render("password.html", 400, error=message)
    except CreditDeskError as error:  # too short or too common
        return ctx.render("password.html", 400, error=_error_message(ctx.t, error))
    request.session["sid"] = started.session_id
    ctx.flash("ok", ctx.t.gettext("Your password is changed. Your other sessions have ended."))
    return RedirectResponse("/holds", status_code=303)


@router.post("/language", dependencies=POST)
def choose_language(
    request: Request, language: str = Form(...), next: str = Form("/holds")
) -> RedirectResponse:
    ctx = context(request)
    if language in LANGUAGES:
        request.session["language"] = language
        if ctx.user is not None:
            users.set_language(ctx.rt, ctx.user.principal, language)
    return _back(next, "/holds")


# --- the hold list ---------------------------------------------------------------------------


def _age_days(hold: dict[str, Any], now: datetime) -> int:
    created = datetime.fromisoformat(str(hold["created_at"]).replace("Z", "+00:00"))
    return (now - created).days


def _visible_entities(ctx: Ctx) -> list[dict[str, Any]]:
    return setup.list_legal_entities(ctx.rt, ctx.principal)


def _reasons_by_type(ctx: Ctx, entities: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Release and hold reasons of the visible legal entities (one row per reason id)."""
    found: dict[str, dict[str, Any]] = {}
    for entity in entities:
        for reason in setup.list_reasons(ctx.rt, ctx.principal, entity["id"]):
            found.setdefault(reason["id"], reason)
    result: dict[str, list[dict[str, Any]]] = {"release": [], "hold": []}
    for reason in sorted(found.values(), key=lambda r: str(r["id"])):
        if reason["type"] in result:
            result[reason["type"]].append(reason)
    return result


@router.get("/holds", response_class=HTMLResponse)
def hold_list(
    ctx: Ctx = Depends(signed_in),
    legal_entity: str = "",
    customer: str = "",
    reason: str = "",
    checkpoint: str = "",
    sort: str = "age",
    order: str = "desc",
) -> Response:
    def build() -> HTMLResponse:
        entities = _visible_entities(ctx)
        rows = holds.list_holds(
            ctx.rt,
            ctx.principal,
            status="on_hold",
            legal_entity=legal_entity or None,
            customer=customer.strip() or None,
            reason=reason or None,
            checkpoint=checkpoint or None,
            limit=HOLD_LIST_LIMIT,
        )
        now = ctx.rt.clock.now()
        for row in rows:
            row["age_days"] = _age_days(row, now)
        key = sort if sort in SORTS else "age"
        keys: dict[str, Callable[[dict[str, Any]], Any]] = {
            "age": lambda r: (r["age_days"], r["created_at"]),
            "legal_entity": lambda r: (r["legal_entity"], r["customer"]),
            "customer": lambda r: (r["customer"], r["legal_entity"]),
            "reason": lambda r: (str(r["reason"]), r["customer"]),
            "checkpoint": lambda r: (r["checkpoint"], r["customer"]),
        }
        rows.sort(key=keys[key], reverse=order == "desc")
        filters = {
            "legal_entity": legal_entity,
            "customer": customer,
            "reason": reason,
            "checkpoint": checkpoint,
        }

        def sort_link(column: str) -> str:
            flip = "asc" if key == column and order == "desc" else "desc"
            query = {k: v for k, v in filters.items() if v} | {"sort": column, "order": flip}
            return f"/holds?{urlencode(query)}"

        return ctx.render(
            "holds.html",
            rows=rows,
            entities=entities,
            filters=filters,
            sort=key,
            order=order,
            sort_link=sort_link,
            reason_codes=[(c.value, ctx.t.gettext(REASONS[c.value])) for c in ReasonCode],
            checkpoints=[c.value for c in Checkpoint],
            reasons=_reasons_by_type(ctx, entities),
            limit=HOLD_LIST_LIMIT,
        )

    return _page(ctx, build)


@router.get("/holds/{hold_id}/figures", response_class=HTMLResponse)
def hold_figures(hold_id: str, ctx: Ctx = Depends(signed_in)) -> Response:
    """The customer's credit figures beside the selected hold (an htmx partial)."""

    def build() -> HTMLResponse:
        hold = holds.get_hold(ctx.rt, ctx.principal, hold_id)
        summary = queries.credit_summary(
            ctx.rt, ctx.principal, hold["legal_entity"], hold["customer"], None
        )
        return ctx.render(
            "_figures.html",
            hold=hold,
            summary=summary,
        )

    return _page(ctx, build)


def _parse_date(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _work_holds(
    ctx: Ctx, hold_ids: list[str], act: Callable[[str], Any], done_message: str
) -> RedirectResponse:
    done = 0
    for hold_id in hold_ids:
        try:
            act(hold_id)
            done += 1
        except CreditDeskError as error:
            ctx.flash("error", f"{hold_id}: {_error_message(ctx.t, error)}")
    if done:
        ctx.flash("ok", ctx.t.gettext(done_message, count=done))
    if not hold_ids:
        ctx.flash("error", ctx.t.gettext("Select at least one hold."))
    return RedirectResponse("/holds", status_code=303)


@router.post("/holds/release", dependencies=POST)
def release(
    ctx: Ctx = Depends(signed_in),
    hold_id: list[str] = Form([]),
    release_reason: str = Form(""),
    review_date: str = Form(""),
    with_posting: str = Form(""),
    next: str = Form("/holds"),
) -> RedirectResponse:
    review = _parse_date(review_date)

    def act(one: str) -> Any:
        return holds.release_hold(
            ctx.rt,
            ctx.principal,
            one,
            reason=release_reason or None,
            review_date=review,
            with_posting=bool(with_posting),
        )

    _work_holds(ctx, hold_id, act, N_("%(count)s holds released."))
    return _back(next, "/holds")


@router.post("/holds/reject", dependencies=POST)
def reject(
    ctx: Ctx = Depends(signed_in),
    hold_id: list[str] = Form([]),
    reject_reason: str = Form(""),
    note: str = Form(""),
    next: str = Form("/holds"),
) -> RedirectResponse:
    def act(one: str) -> Any:
        return holds.reject_hold(
            ctx.rt, ctx.principal, one, reason=reject_reason or None, note=note.strip() or None
        )

    _work_holds(ctx, hold_id, act, N_("%(count)s holds rejected."))
    return _back(next, "/holds")


@router.post("/holds/evaluate", dependencies=POST, response_model=None)
def evaluate(
    ctx: Ctx = Depends(signed_in),
    hold_id: list[str] = Form([]),
    legal_entity: str = Form(""),
    confirm: str = Form(""),
    next: str = Form("/holds"),
) -> Response:
    """Re-run every rule and limit for the selected holds. With none selected it acts on the
    open holds of the legal entity the list is filtered by, after a confirmation that names
    how many holds that is; with no legal entity either, nothing is evaluated."""
    if not hold_id and not legal_entity:
        ctx.flash(
            "error",
            ctx.t.gettext(
                "Select the holds to evaluate, or filter the list by a legal entity to "
                "evaluate all its open holds."
            ),
        )
        return _back(next, "/holds")
    if not hold_id and confirm != "yes":

        def ask() -> HTMLResponse:
            count = holds.count_open_holds(ctx.rt, ctx.principal, legal_entity)
            return ctx.render(
                "confirm_evaluate.html", legal_entity=legal_entity, count=count, next=next
            )

        return _page(ctx, ask)
    try:
        items = holds.evaluate_for_release(
            ctx.rt,
            ctx.principal,
            hold_ids=hold_id or None,
            legal_entity=None if hold_id else legal_entity,
            customer=None,
        )
    except CreditDeskError as error:
        ctx.flash("error", _error_message(ctx.t, error))
        return _back(next, "/holds")
    ready = sum(1 for item in items if item.get("ready_to_release"))
    released = sum(1 for item in items if item.get("released"))
    ctx.flash(
        "ok",
        ctx.t.gettext(
            "%(count)s holds evaluated: %(ready)s ready to release, %(released)s released.",
            count=len(items),
            ready=ready,
            released=released,
        ),
    )
    for item in items:
        failed = item.get("error")
        if isinstance(failed, dict):
            ctx.flash("error", f"{item['id']}: {failed.get('detail', '')}")
    return _back(next, "/holds")


# --- the customer credit page ----------------------------------------------------------------


def _aging_bars(buckets: dict[str, dict[str, str] | None]) -> list[dict[str, Any]]:
    amounts = {
        name: Decimal(value["amount"]) if value is not None else Decimal(0)
        for name, value in buckets.items()
    }
    top = max([a for a in amounts.values() if a > 0], default=Decimal(1))
    return [
        {
            "bucket": name,
            "money": buckets[name],
            "percent": int((amounts[name] / top * 100).to_integral_value())
            if amounts[name] > 0
            else 0,
        }
        for name in buckets
    ]


@router.get("/customers/{legal_entity}/{account}", response_class=HTMLResponse)
def customer_page(legal_entity: str, account: str, ctx: Ctx = Depends(signed_in)) -> Response:
    def build() -> HTMLResponse:
        actor = ctx.principal
        found = customers.get_customer(ctx.rt, actor, legal_entity, account)
        profile = serialize.customer(found)
        derived = queries.derived_figures(ctx.rt, found)
        summary = queries.credit_summary(ctx.rt, actor, legal_entity, account, None)
        aged = queries.customer_aged_balances(ctx.rt, actor, legal_entity, account, None)
        decisions = queries.customer_checks(ctx.rt, actor, legal_entity, account, 20)
        customer_holds = holds.list_holds(
            ctx.rt,
            actor,
            status=None,
            legal_entity=legal_entity,
            customer=account,
            limit=50,
        )
        customer_holds.reverse()
        return ctx.render(
            "customer.html",
            profile=profile,
            derived=derived,
            summary=summary,
            aged=aged,
            bars=_aging_bars(aged["buckets"]),
            decisions=decisions,
            holds=customer_holds,
        )

    return _page(ctx, build)


@router.get("/customers", response_class=HTMLResponse)
def find_customer(
    ctx: Ctx = Depends(signed_in), legal_entity: str = "", account: str = ""
) -> Response:
    if legal_entity and account:
        return RedirectResponse(f"/customers/{legal_entity}/{account.strip()}", status_code=303)
    entities = _page(ctx, lambda: _visible_entities(ctx))
    if isinstance(entities, HTMLResponse):
        return entities
    return ctx.render("find_customer.html", entities=entities)


# --- credit groups ---------------------------------------------------------------------------


@router.get("/groups", response_class=HTMLResponse)
def find_group(ctx: Ctx = Depends(signed_in), group: str = "") -> Response:
    """The credit groups the user sees, with their figures, and "open by number"."""
    if group.strip():
        return RedirectResponse(f"/groups/{group.strip()}", status_code=303)

    def build() -> HTMLResponse:
        rows = group_list.list_groups(ctx.rt, ctx.principal)
        return ctx.render("find_group.html", groups=rows)

    return _page(ctx, build)


@router.get("/groups/{group_id}", response_class=HTMLResponse)
def group_page(group_id: str, ctx: Ctx = Depends(signed_in)) -> Response:
    def build() -> HTMLResponse:
        actor = ctx.principal
        body = groups.get_group(ctx.rt, actor, group_id)
        figures = None
        if body["members"]:
            first = body["members"][0]
            summary = queries.credit_summary(
                ctx.rt, actor, first["legal_entity"], first["account"], None
            )
            figures = summary["group"]
        aged = None
        try:
            aged = queries.group_aged_balances(ctx.rt, actor, group_id, None)
        except PermissionDeniedError:
            aged = None
        offers = ctx.request.session.pop("offers", None)
        entities = _visible_entities(ctx)
        return ctx.render(
            "group.html",
            group=body,
            figures=figures,
            aged=aged,
            buckets=BUCKETS,
            offers=offers if offers and offers.get("group") == group_id else None,
            entities=entities,
            can_change=groups.may_change(ctx.rt, actor, group_id),
        )

    return _page(ctx, build)


@router.post("/groups/{group_id}/members", dependencies=POST)
def add_group_member(
    group_id: str,
    ctx: Ctx = Depends(signed_in),
    legal_entity: str = Form(""),
    account: str = Form(""),
) -> RedirectResponse:
    try:
        body = groups.add_member(ctx.rt, ctx.principal, group_id, legal_entity, account.strip())
    except CreditDeskError as error:
        ctx.flash("error", _error_message(ctx.t, error))
    else:
        ctx.flash(
            "ok",
            ctx.t.gettext(
                "%(customer)s is a member of the credit group.",
                customer=f"{legal_entity}/{account.strip()}",
            ),
        )
        ctx.request.session["offers"] = {
            "group": group_id,
            "rows": body["same_account_in_other_legal_entities"],
        }
    return RedirectResponse(f"/groups/{group_id}", status_code=303)


# --- setup -----------------------------------------------------------------------------------


@router.get("/setup", response_class=HTMLResponse)
def setup_index(ctx: Ctx = Depends(signed_in)) -> Response:
    return first_legal_entity_page(ctx, "/setup")


BOOL_PARAMETERS = (
    ("credit_management", N_("Credit management")),
    ("check_group_limits", N_("Check credit group limits")),
    ("allow_manual_limit_edit", N_("Allow manual credit limit changes")),
    ("check_credit_limit_on_sales_order", N_("Check the credit limit on sales orders")),
    ("check_payment_terms_increase", N_("Check increases of payment terms")),
    ("check_settlement_discount_increase", N_("Check increases of settlement discount")),
    ("skip_rules_after_release", N_("Skip rules after release")),
    ("ignore_blank_expiry", N_("Ignore a blank expiration date")),
    ("auto_release_with_posting", N_("Release automatically with posting")),
    ("exclude_intercompany_orders", N_("Exclude intercompany orders")),
)


@router.get("/setup/{legal_entity}", response_class=HTMLResponse)
def setup_page(legal_entity: str, ctx: Ctx = Depends(signed_in)) -> Response:
    def build() -> HTMLResponse:
        actor = ctx.principal
        return ctx.render(
            "setup.html",
            entity=setup.get_legal_entity(ctx.rt, actor, legal_entity),
            entities=_visible_entities(ctx),
            parameters=setup.get_credit_parameters(ctx.rt, actor, legal_entity),
            bool_parameters=BOOL_PARAMETERS,
            rules=setup.list_rules(ctx.rt, actor, legal_entity),
            reasons=setup.list_reasons(ctx.rt, actor, legal_entity),
            rule_types=[r.value for r in RuleType],
            rule_kinds=[k.value for k in RuleKind],
            valid_fors=[v.value for v in ValidFor],
            value_types=[v.value for v in ValueType],
        )

    return _page(ctx, build)


@router.post("/setup/{legal_entity}/parameters", dependencies=POST)
async def save_parameters(legal_entity: str, request: Request) -> RedirectResponse:
    form = await request.form()

    def work() -> None:
        ctx = signed_in(request)
        changes = {name: form.get(name) == "on" for name, _ in BOOL_PARAMETERS}
        try:
            setup.update_credit_parameters(ctx.rt, ctx.principal, legal_entity, changes)
        except CreditDeskError as error:
            ctx.flash("error", _error_message(ctx.t, error))
        else:
            ctx.flash("ok", ctx.t.gettext("The credit parameters are saved."))

    await run_in_threadpool(work)
    return RedirectResponse(f"/setup/{legal_entity}", status_code=303)


@router.post("/setup/{legal_entity}/rules", dependencies=POST)
def add_rule(
    legal_entity: str,
    ctx: Ctx = Depends(signed_in),
    rule: str = Form(...),
    kind: str = Form("blocking"),
    valid_for: str = Form("all"),
    account_or_group: str = Form(""),
    value_type: str = Form(""),
    value: str = Form(""),
    account_status: str = Form(""),
    terms_of_payment: str = Form(""),
) -> RedirectResponse:
    try:
        amount = _decimal_input(value)
    except InvalidAmountError:
        ctx.flash("error", ctx.t.gettext("The value is not a number."))
        return RedirectResponse(f"/setup/{legal_entity}", status_code=303)
    data = setup.RuleInput(
        rule=rule,
        kind=kind,
        valid_for=valid_for,
        account_or_group=account_or_group.strip() or None,
        value_type=value_type or None,
        value=amount,
        account_status=account_status.strip() or None,
        terms_of_payment=terms_of_payment.strip() or None,
    )
    try:
        setup.add_rule(ctx.rt, ctx.principal, legal_entity, data)
    except CreditDeskError as error:
        ctx.flash("error", _error_message(ctx.t, error))
    else:
        ctx.flash("ok", ctx.t.gettext("The rule is added."))
    return RedirectResponse(f"/setup/{legal_entity}", status_code=303)


@router.post("/setup/{legal_entity}/rules/{rule_id}/delete", dependencies=POST)
def delete_rule(legal_entity: str, rule_id: str, ctx: Ctx = Depends(signed_in)) -> RedirectResponse:
    try:
        setup.delete_rule(ctx.rt, ctx.principal, legal_entity, rule_id)
    except CreditDeskError as error:
        ctx.flash("error", _error_message(ctx.t, error))
    else:
        ctx.flash("ok", ctx.t.gettext("The rule is deleted."))
    return RedirectResponse(f"/setup/{legal_entity}", status_code=303)


# --- credit limit adjustment journals ----------------------------------------------------------


@router.get("/journals", response_class=HTMLResponse)
def journals_index(ctx: Ctx = Depends(signed_in)) -> Response:
    return first_legal_entity_page(ctx, "/journals")


@router.get("/journals/{legal_entity}", response_class=HTMLResponse)
def journal_list(legal_entity: str, ctx: Ctx = Depends(signed_in)) -> Response:
    def build() -> HTMLResponse:
        rows = journals.list_journals(ctx.rt, ctx.principal, legal_entity, None, 200)
        rows.reverse()  # newest first
        return ctx.render(
            "journals.html",
            legal_entity=legal_entity,
            entities=_visible_entities(ctx),
            journals=rows,
            journal_types=[j.value for j in JournalType],
        )

    return _page(ctx, build)


@router.post("/journals/{legal_entity}", dependencies=POST)
def create_journal(
    legal_entity: str,
    ctx: Ctx = Depends(signed_in),
    type: str = Form("credit_limit"),
    description: str = Form(""),
) -> RedirectResponse:
    try:
        body = journals.create_journal(
            ctx.rt, ctx.principal, legal_entity, type, description.strip()
        )
    except (CreditDeskError, ValueError) as error:
        message = (
            _error_message(ctx.t, error)
            if isinstance(error, CreditDeskError)
            else ctx.t.gettext("The request was refused: %(reason)s", reason=str(error))
        )
        ctx.flash("error", message)
        return RedirectResponse(f"/journals/{legal_entity}", status_code=303)
    return RedirectResponse(f"/journals/{legal_entity}/{body['id']}", status_code=303)


@router.get("/journals/{legal_entity}/{journal_id}", response_class=HTMLResponse)
def journal_page(legal_entity: str, journal_id: str, ctx: Ctx = Depends(signed_in)) -> Response:
    def build() -> HTMLResponse:
        journal = journals.get_journal(ctx.rt, ctx.principal, legal_entity, journal_id)
        return ctx.render(
            "journal.html",
            journal=journal,
            sources=journals.GENERATE_SOURCES,
            value_types=[v.value for v in AdjustmentValueType],
        )

    return _page(ctx, build)


def _form_number(value: str) -> str:
    """What a user typed, with the group separators and decimal comma of their language
    taken out (1 000,50 → 1000.50); the text is then read by the API's own parsers."""
    return value.replace("\xa0", "").replace("\u202f", "").replace(" ", "").replace(",", ".")


def _money_input(value: str, currency: str) -> Money | None:
    text = _form_number(value)
    if not text:
        return None
    return Money.of(text, currency)


def _decimal_input(value: str) -> Decimal | None:
    """A number field, read with ``parse_rate`` as the API reads numbers (raises
    ``InvalidAmountError`` for what the API refuses: 1e30, NaN, Infinity, ٤٥)."""
    text = _form_number(value)
    return parse_rate(text) if text else None


@router.post("/journals/{legal_entity}/{journal_id}/lines", dependencies=POST)
def add_journal_line(
    legal_entity: str,
    journal_id: str,
    ctx: Ctx = Depends(signed_in),
    target: str = Form("customer"),
    account: str = Form(""),
    new_limit: str = Form(""),
    currency: str = Form(""),
    new_expires_on: str = Form(""),
    start: str = Form(""),
    end: str = Form(""),
) -> RedirectResponse:
    back = f"/journals/{legal_entity}/{journal_id}"
    try:
        amount = _money_input(new_limit, currency.strip().upper())
        if amount is None:
            raise InvalidOperation
        journals.add_line(
            ctx.rt,
            ctx.principal,
            legal_entity,
            journal_id,
            customer=account.strip() if target == "customer" else None,
            credit_group=account.strip() if target == "credit_group" else None,
            new_limit=amount,
            new_expires_on=_parse_date(new_expires_on),
            start=_parse_date(start),
            end=_parse_date(end),
        )
    except (InvalidOperation, ValueError):
        ctx.flash("error", ctx.t.gettext("The value is not a number."))
    except CreditDeskError as error:
        ctx.flash("error", _error_message(ctx.t, error))
    else:
        ctx.flash("ok", ctx.t.gettext("The line is added."))
    return RedirectResponse(back, status_code=303)


@router.post("/journals/{legal_entity}/{journal_id}/generate", dependencies=POST)
def generate_journal_lines(
    legal_entity: str,
    journal_id: str,
    ctx: Ctx = Depends(signed_in),
    source: str = Form("customers"),
    value: str = Form(""),
    value_type: str = Form("fixed"),
    new_expires_on: str = Form(""),
) -> RedirectResponse:
    back = f"/journals/{legal_entity}/{journal_id}"
    try:
        request = journals.GenerateRequest(
            source=source,
            value=_decimal_input(value),
            value_type=AdjustmentValueType(value_type),
            new_expires_on=_parse_date(new_expires_on),
        )
        body = journals.generate_lines(ctx.rt, ctx.principal, legal_entity, journal_id, request)
    except (InvalidOperation, ValueError):
        ctx.flash("error", ctx.t.gettext("The value is not a number."))
    except CreditDeskError as error:
        ctx.flash("error", _error_message(ctx.t, error))
    else:
        ctx.flash("ok", ctx.t.gettext("Lines in the journal: %(count)s", count=len(body["lines"])))
    return RedirectResponse(back, status_code=303)


@router.post("/journals/{legal_entity}/{journal_id}/post", dependencies=POST)
def post_journal(
    legal_entity: str, journal_id: str, ctx: Ctx = Depends(signed_in)
) -> RedirectResponse:
    try:
        journals.post_journal(ctx.rt, ctx.principal, legal_entity, journal_id)
    except CreditDeskError as error:
        ctx.flash("error", _error_message(ctx.t, error))
    else:
        ctx.flash("ok", ctx.t.gettext("The journal is posted."))
    return RedirectResponse(f"/journals/{legal_entity}/{journal_id}", status_code=303)


@router.post("/journals/{legal_entity}/{journal_id}/submit", dependencies=POST)
def submit_journal(
    legal_entity: str, journal_id: str, ctx: Ctx = Depends(signed_in)
) -> RedirectResponse:
    """Submit the journal to the legal entity's journal workflow (a clerk prepares, the
    approvers decide)."""
    try:
        items = workflows.submit_journal(ctx.rt, ctx.principal, legal_entity, journal_id)
    except CreditDeskError as error:
        ctx.flash("error", _workflow_error(ctx.t, error))
    else:
        ctx.flash(
            "ok",
            ctx.t.gettext(
                "The journal is submitted for approval (%(count)s items).",
                count=ctx.t.number(len(items)),
            ),
        )
    return RedirectResponse(f"/journals/{legal_entity}/{journal_id}", status_code=303)


# --- the approvals inbox -----------------------------------------------------------------------

APPROVAL_REFUSALS = {
    "self_approval": N_("Nobody approves or rejects their own submission."),
    "same_approver": N_("You have already approved an earlier step of this item."),
    "not_an_approver": N_("This item is not waiting for your approval."),
    "workflow_item_state": N_("The item is no longer in a state that allows this."),
}


def _workflow_error(t: Translator, error: CreditDeskError) -> str:
    message = APPROVAL_REFUSALS.get(error.code)
    return t.gettext(message) if message is not None else _error_message(t, error)


def _held_orders(ctx: Ctx, items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The holds whose release or rejection waits in the approvals, by item id, so an approver
    sees the order and why it is held (a hold the user may not read is left out)."""
    found: dict[str, dict[str, Any]] = {}
    for item in items:
        if item["kind"] != "credit_hold_release" or item["id"] in found:
            continue
        try:
            found[item["id"]] = holds.get_hold(ctx.rt, ctx.principal, str(item["subject"]))
        except CreditDeskError:
            continue
    return found


@router.get("/approvals", response_class=HTMLResponse)
def approvals(ctx: Ctx = Depends(signed_in)) -> Response:
    """The user's approvals inbox: the items waiting for a step they may approve, and their
    own submissions."""

    def build() -> HTMLResponse:
        inbox = workflows.list_items(ctx.rt, ctx.principal, status="pending")
        mine = workflows.list_items(ctx.rt, ctx.principal, status=None, mine=True)
        mine.reverse()  # newest first
        return ctx.render(
            "approvals.html", inbox=inbox, mine=mine, held=_held_orders(ctx, inbox + mine)
        )

    return _page(ctx, build)


def _decide_item(ctx: Ctx, act: Callable[[], dict[str, Any]], done_message: str) -> None:
    try:
        body = act()
    except CreditDeskError as error:
        ctx.flash("error", _workflow_error(ctx.t, error))
        return
    if body.get("status") == "returned" and body.get("error"):
        ctx.flash(
            "error",
            ctx.t.gettext(
                "The item was returned to the submitter: %(reason)s", reason=str(body["error"])
            ),
        )
        return
    ctx.flash("ok", ctx.t.gettext(done_message))


@router.post("/approvals/{item_id}/approve", dependencies=POST)
def approve_item(
    item_id: str, ctx: Ctx = Depends(signed_in), comment: str = Form("")
) -> RedirectResponse:
    _decide_item(
        ctx,
        lambda: workflows.approve(ctx.rt, ctx.principal, item_id, comment.strip() or None),
        N_("The item is approved."),
    )
    return RedirectResponse("/approvals", status_code=303)


@router.post("/approvals/{item_id}/reject", dependencies=POST)
def reject_item(
    item_id: str, ctx: Ctx = Depends(signed_in), comment: str = Form("")
) -> RedirectResponse:
    _decide_item(
        ctx,
        lambda: workflows.reject(ctx.rt, ctx.principal, item_id, comment.strip() or None),
        N_("The item is rejected."),
    )
    return RedirectResponse("/approvals", status_code=303)


@router.post("/approvals/{item_id}/recall", dependencies=POST)
def recall_item(
    item_id: str, ctx: Ctx = Depends(signed_in), comment: str = Form("")
) -> RedirectResponse:
    _decide_item(
        ctx,
        lambda: workflows.recall(ctx.rt, ctx.principal, item_id, comment.strip() or None),
        N_("The item is recalled."),
    )
    return RedirectResponse("/approvals", status_code=303)


@router.post("/approvals/{item_id}/resubmit", dependencies=POST)
def resubmit_item(item_id: str, ctx: Ctx = Depends(signed_in)) -> RedirectResponse:
    _decide_item(
        ctx,
        lambda: workflows.resubmit(ctx.rt, ctx.principal, item_id),
        N_("The item is submitted again."),
    )
    return RedirectResponse("/approvals", status_code=303)
