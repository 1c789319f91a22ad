"""Schemathesis against the served OpenAPI document: for every operation, valid and invalid
requests generated from the schema (with the admin token) must never answer 5xx, and every
answer must be documented — status code, content type and body schema (problem documents
included).

Each operation gets valid requests on the path parameters of a seeded legal entity, customer,
credit group and sales order (so that bodies reach the use cases), and invalid requests with
anything in the path, query and body. The case count is bounded (``EXAMPLES`` per operation
and mode) to keep the file well inside the suite's time.
"""

from __future__ import annotations

import re
import socket
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.result import Ok
from schemathesis.python.asgi import get_client
from schemathesis.schemas import APIOperation

from creditdesk.bootstrap import build_runtime, dispose, upgrade_database
from creditdesk.config import Settings
from creditdesk.entrypoints.api.app import create_app
from tests.support import ADMIN_TOKEN, Api

EXAMPLES = 4
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
KNOWN = {
    "le": "FI01",
    "account": "C100",
    "group_id": "G1",
    "order_id": "SO-1",
    "currency": "EUR",
}
AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def no_name_resolves(host: str, _port: int, /) -> list[str]:
    raise socket.gaierror(socket.EAI_NONAME, f"{host}: not resolved in tests")


@pytest.fixture
def app(tmp_path: Path) -> Iterator[FastAPI]:
    url = f"sqlite:///{tmp_path / 'schemathesis.db'}"
    upgrade_database(url)
    settings_ = Settings(
        database_url=url, admin_token=ADMIN_TOKEN, deliver_webhooks=False, scheduler=False
    )
    runtime = build_runtime(settings_)
    runtime.resolve_host = no_name_resolves  # generated webhook URLs: no DNS query leaves
    application = create_app(settings_, runtime)
    with TestClient(application) as client:
        api = Api(client)
        api.legal_entity("FI01", "EUR")
        api.customer("FI01", "C100", "10000.00 EUR")
        api.group("G1", "50000.00 EUR")
        api.order("FI01", "SO-1", "C100", "100.00 EUR")
        yield application
    dispose(runtime)


def path_parameters(operation: APIOperation[Any, Any, Any, Any]) -> dict[str, str]:
    names = set(re.findall(r"{(\w+)}", operation.path))
    return {name: value for name, value in KNOWN.items() if name in names}


def exercise(
    operation: APIOperation[Any, Any, Any, Any],
    strategy: st.SearchStrategy[Any],
    mode: GenerationMode,
    tried: Counter[int],
    failures: dict[tuple[str, str], str],
    session: Any,
) -> None:
    """Send ``EXAMPLES`` generated cases; collect what the checks find instead of stopping."""

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case: Any) -> None:
        response = case.call(session=session)
        tried[response.status_code] += 1
        try:
            case.validate_response(response, checks=CHECKS)
        except (AssertionError, BaseExceptionGroup) as failure:  # the checks that failed
            key = (operation.label, f"{mode.value} {response.status_code}")
            failures.setdefault(key, f"{failure}"[:600])

    try:
        run()
    except Unsatisfiable:
        # nothing to make invalid: no parameters and no body (e.g. GET /health)
        assert mode is GenerationMode.NEGATIVE


def test_generated_requests_to_every_operation_get_documented_answers_and_never_5xx(
    app: FastAPI, request: pytest.FixtureRequest
) -> None:
    with TestClient(app) as client:
        served = client.get("/api/v1/openapi.json")
    assert served.status_code == 200
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    tried: Counter[int] = Counter()
    failures: dict[tuple[str, str], str] = {}
    operations = [result.ok() for result in schema.get_all_operations() if isinstance(result, Ok)]
    session = get_client(cast(Any, app))  # one in-process client for every case
    assert len(operations) > 50  # the whole API, not a corner of it

    for operation in operations:
        # valid requests on the seeded resources; invalid ones (paths included) anywhere
        for mode, fixed in (
            (GenerationMode.POSITIVE, path_parameters(operation)),
            (GenerationMode.NEGATIVE, {}),
        ):
            strategy = operation.as_strategy(
                generation_mode=mode, headers=AUTH, path_parameters=fixed or None
            )
            exercise(operation, strategy, mode, tried, failures, session)

    session.close()
    cases = sum(tried.values())
    request.node.user_properties.append(
        ("schemathesis", f"{cases} cases over {len(operations)} operations: {dict(tried)}")
    )
    assert failures == {}
    assert not [status for status in tried if status >= 500]
    assert cases >= len(operations) * EXAMPLES
