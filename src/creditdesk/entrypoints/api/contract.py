"""The typed contract's plumbing, in one place (docs/api-contract.md says how to use it):

- ``ContractRoute``: every router's route class; answers are serialised from the route's
  ``*Read`` model with ``exclude_unset`` (exactly the keys the use case returned);
- ``operation_id``: the ``operationId`` of an operation is its route function's name, which is
  therefore ``verb_noun`` (``create_credit_check``, ``list_credit_holds``);
- ``TAGS``: the one tag of each operation and its description;
- ``paginate`` and ``page_of``: ``{"items", "next_cursor", "has_more"}`` for every list;
- ``etag`` and ``check_if_match``: ``ETag`` on reads, ``If-Match`` on writes (412).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from typing import Annotated, Any, TypeVar

from fastapi import Header, Response
from fastapi.routing import APIRoute

from creditdesk.entrypoints.api.dependencies import decode_cursor, encode_cursor
from creditdesk.entrypoints.api.errors import PreconditionFailedError
from creditdesk.service_layer.errors import NotFoundError

TAGS: list[dict[str, str]] = [
    {"name": "health", "description": "Whether the service answers."},
    {
        "name": "legal entities",
        "description": "Legal entities, their credit parameters and aged balances.",
    },
    {"name": "exchange rates", "description": "Rates used to compare amounts across currencies."},
    {
        "name": "setup",
        "description": "Reasons, account statuses, payment terms and settlement discount ranks, "
        "credit management groups.",
    },
    {"name": "blocking rules", "description": "Blocking and exclusion rules of the credit check."},
    {"name": "tokens", "description": "API tokens, their roles and legal entity scopes."},
    {"name": "audit", "description": "The append-only audit trail of changes."},
    {
        "name": "customers",
        "description": "Customers, their credit data, summary, aged balances and checks.",
    },
    {
        "name": "credit groups",
        "description": "Customer credit groups sharing one limit across legal entities.",
    },
    {
        "name": "documents",
        "description": "Invoices, payments, sales orders and packing slips pushed by the ERP.",
    },
    {"name": "credit checks", "description": "The credit check at a posting step and its record."},
    {"name": "credit holds", "description": "The hold list: release, reject, force, evaluate."},
    {"name": "events", "description": "The hold event feed and webhooks."},
    {"name": "workflows", "description": "Approval workflows, submissions and the inbox."},
    {"name": "journals", "description": "Credit limit adjustment journals."},
    {"name": "insurance", "description": "Credit insurance policies and guarantees."},
    {"name": "risk scoring", "description": "Scoring groups, risk groups, automatic limits."},
    {"name": "statistics", "description": "Balance statistics and their parameters."},
    {
        "name": "worklists",
        "description": "What waits for the credit team: limits and temporary limits expiring.",
    },
    {
        "name": "schedules",
        "description": "When each periodic task runs per legal entity, and its recorded runs.",
    },
]


class ContractRoute(APIRoute):
    """An API route whose answer is its ``*Read`` model serialised with ``exclude_unset``:
    the use case's dict validated and written back with the same keys, nothing added."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        kwargs["response_model_exclude_unset"] = True
        super().__init__(path, endpoint, **kwargs)


def operation_id(route: APIRoute) -> str:
    """The route function's name: readable, ``verb_noun``, unique (the contract test checks)."""
    return route.name


# --- lists --------------------------------------------------------------------------------------

Item = TypeVar("Item")


def paginate(rows: Sequence[Item], limit: int, cursor_of: Callable[[Item], str]) -> dict[str, Any]:
    """A page from ``limit + 1`` rows read after the cursor: the extra row only says whether
    there is more, and the cursor is the last returned row's key."""
    items = list(rows[:limit])
    has_more = len(rows) > limit
    next_cursor = encode_cursor(cursor_of(items[-1])) if has_more and items else None
    return {"items": items, "next_cursor": next_cursor, "has_more": has_more}


def page_of(
    rows: Sequence[Item], limit: int, cursor: str | None, key: Callable[[Item], str]
) -> dict[str, Any]:
    """A page of a list the use case returns whole (the setup lists, a few dozen rows): the
    rows after the one whose key the cursor holds. Lists are ordered by that key, so a row
    deleted between two pages still leaves its successors in place."""
    after = decode_cursor(cursor)
    start = 0
    if after is not None:
        keys = [key(row) for row in rows]
        start = keys.index(after) + 1 if after in keys else sum(1 for k in keys if k <= after)
    return paginate(rows[start:], limit, key)


# --- ETag and If-Match --------------------------------------------------------------------------


def etag(body: Any) -> str:
    """A strong ETag: a hash of the representation (canonical JSON of the answer's body)."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return '"' + hashlib.sha256(canonical.encode()).hexdigest()[:32] + '"'


def tag_response(response: Response, body: Any) -> None:
    response.headers["ETag"] = etag(body)


IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        description="the ETag of the representation this change is based on; when it is no "
        "longer current the answer is 412 precondition_failed and nothing changes",
    ),
]


def check_if_match(if_match: str | None, read_current: Callable[[], Any]) -> None:
    """Refuse the change (412) unless ``If-Match`` names the current representation (or is
    ``*`` and the resource exists). Without the header nothing is checked, as in v1.

    The comparison runs just before the use case, in its own read: a change committed by
    someone else between the two is not seen (docs/api-contract.md states the window)."""
    if if_match is None:
        return
    try:
        current = etag(read_current())
    except NotFoundError:
        raise PreconditionFailedError(
            "If-Match was sent but the resource does not exist", if_match=if_match[:80]
        ) from None
    wanted = {part.strip() for part in if_match.split(",")}
    if "*" in wanted or current in wanted:
        return
    raise PreconditionFailedError(
        "the resource changed since it was read (If-Match does not match its ETag); "
        "read it again and retry",
        if_match=if_match[:80],
        etag=current,
    )


ETAG_HEADER = {
    "ETag": {
        "description": "a strong ETag of this representation; send it as If-Match to change "
        "the resource only if nobody changed it since",
        "schema": {"type": "string"},
    }
}
