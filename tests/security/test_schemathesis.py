"""Schemathesis against the published OpenAPI schema, every operation, in-process (WSGI).

For each operation: generated requests (valid and invalid by the schema, path ids random
and real) as a signed-in person must never give a 5xx, and every documented response
must match its schema and media type; and the same operation without a session must be
refused with 401 unless the schema itself declares it public.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from audit.services.reviews import access_review_start
from audit.services.trail import checkpoint_create
from coordination import selectors
from tests.fixtures import Org, build_org, make_case

# The WSGI application opens its own database connections (as a server would), so the
# test data must be committed.
pytestmark = pytest.mark.django_db(transaction=True)

EXAMPLES = 25  # per operation and kind of example; keeps the whole run near a minute
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def _session(user: Any) -> dict[str, str]:
    client = Client()
    client.force_login(user)
    token = _get_new_csrf_string()
    return {
        "X-Test-Cookie": f"sessionid={client.cookies['sessionid'].value}; csrftoken={token}",
        "X-CSRFToken": token,
    }


def _application() -> Callable[..., Any]:
    """Django's WSGI application. Werkzeug's test client (Schemathesis' WSGI transport)
    replaces a Cookie header with its own empty jar, so the session travels in another
    header and is put back here."""
    app = get_wsgi_application()

    def with_session(environ: dict[str, Any], start_response: Any) -> Any:
        cookie = environ.pop("HTTP_X_TEST_COOKIE", None)
        if cookie:
            environ["HTTP_COOKIE"] = cookie
        return app(environ, start_response)

    return with_session


@pytest.fixture
def api(transactional_db: None) -> dict[str, Any]:
    org: Org = build_org()
    case = make_case(org)
    for _ in range(2):
        selectors.case_detail(user=org.user("officer"), case_id=case.id)
    today = dt.date.today()
    review = access_review_start(
        actor=org.user("auditor"),
        period_start=today - dt.timedelta(days=1),
        period_end=today,
        sample_size=3,
    )
    checkpoint = checkpoint_create()
    assert checkpoint is not None
    officer, auditor = _session(org.user("officer")), _session(org.user("auditor"))
    schema = schemathesis.openapi.from_wsgi(
        "/api/schema/?format=json", _application(), headers=officer
    )
    return {
        "schema": schema,
        "officer": officer,
        "auditor": auditor,
        # Real ids, so that generated requests also reach the code behind the lookups.
        "known": {
            "case_id": str(case.id),
            "room": f"case:{case.id}",
            "review_id": str(review.id),
            "seq": 1,
            "position": 0,
        },
    }


def _operations(schema: Any) -> list[Any]:
    return [result.ok() for result in schema.get_all_operations()]


def _run(strategy: Any, test: Callable[[Any], None], *, negative: bool = False) -> None:
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case: Any) -> None:
        test(case)

    try:
        run()
    except Unsatisfiable:
        # An operation with no parameter and no body has no invalid request to make.
        if not negative:
            raise


def test_every_operation_survives_generated_requests_and_matches_its_schema(
    api: dict[str, Any],
) -> None:
    operations = _operations(api["schema"])
    calls: Counter[str] = Counter()
    statuses: Counter[int] = Counter()

    for operation in operations:
        path = operation.path
        headers = api["auditor"] if path.startswith("/api/v1/audit/") else api["officer"]
        known = {
            p["name"]: api["known"][p["name"]]
            for p in operation.definition.raw.get("parameters", [])
            if p.get("in") == "path" and p["name"] in api["known"]
        }

        def call(
            case: Any, label: str = operation.label, headers: dict[str, str] = headers
        ) -> None:
            response = case.call(headers=headers)
            calls[label] += 1
            statuses[response.status_code] += 1
            case.validate_response(response, checks=CHECKS, headers=headers)

        _run(operation.as_strategy(), call)
        _run(operation.as_strategy(generation_mode=GenerationMode.NEGATIVE), call, negative=True)
        if known:
            _run(operation.as_strategy(path_parameters=known), call)

    assert len(operations) >= 20
    assert set(calls) == {op.label for op in operations}
    assert not [s for s in statuses if s >= 500]
    print(
        f"\nschemathesis: {len(operations)} operations, {sum(calls.values())} requests, "
        f"statuses {dict(sorted(statuses.items()))}"
    )


def _resolves(path: str) -> bool:
    from django.urls import Resolver404, resolve

    try:
        resolve(path)
    except Resolver404:
        return False
    return True


def test_no_operation_works_without_a_session_unless_declared_public(
    api: dict[str, Any],
) -> None:
    public = []
    refused: Counter[int] = Counter()
    for operation in _operations(api["schema"]):
        security = operation.definition.raw.get("security", [])
        declared_public = {} in security

        def anonymous(case: Any, declared_public: bool = declared_public) -> None:
            response = case.call()  # no session (at most a made-up session cookie)
            refused[response.status_code] += 1
            if declared_public:
                assert response.status_code < 500
            elif response.status_code == 404:
                # Only an address no route accepts (a negative id, say) gets past the login.
                assert not _resolves(case.formatted_path), case.formatted_path
            else:
                assert response.status_code == 401, (case.operation.label, response.status_code)
                assert response.json()["code"] == "not_authenticated"

        _run(operation.as_strategy(), anonymous)
        if declared_public:
            public.append(operation.label)

    # Only the audit trail's public key is meant for anyone (it verifies exports).
    assert public == ["GET /api/v1/audit/public-key/"]
    assert refused[401] > 0
    print(f"\nschemathesis without a session: {sum(refused.values())} requests, {dict(refused)}")
