"""Schemathesis against the OpenAPI schema, in process, as two roles (the tenant's admin and its
client viewer, real tokens): every operation gets schema-conforming cases and cases that break the
schema (negative mode: huge integers, wrong types, missing fields); none may answer 5xx, and every
answer matches its documented status, schema and content type.

One test per role walks all operations itself (rather than one test per operation), so the tally
below is an assertion that holds under xdist too: every operation was exercised, and the count is
in the failure message and the -rA summary. Bounded: FUZZ_EXAMPLES per operation and mode
(TIERLINE_FUZZ_EXAMPLES overrides) keeps each role's run near 25 s on two cores.
"""

import copy
import os

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from tierline.api import api

FUZZ_EXAMPLES = int(os.environ.get("TIERLINE_FUZZ_EXAMPLES", "3"))
CONFIG = SchemathesisConfig.from_dict({"phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}}})
# A copy: the served schema is built once per process and shared (tierline/api.py).
schema = schemathesis.openapi.from_dict(copy.deepcopy(api.get_openapi_schema()), config=CONFIG)
schema.app = get_wsgi_application()
OPERATIONS = [result.ok() for result in schema.get_all_operations()]
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


@pytest.fixture
def in_process_requests():
    # Django's own test client does this too: a request must not close the test's connection (on
    # PostgreSQL with CONN_MAX_AGE it would, mid-transaction).
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _fuzz(operation, headers, tally, failures):
    strategy = st.one_of(operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE))

    @given(case=strategy)
    @hypothesis_settings(max_examples=FUZZ_EXAMPLES * 2, deadline=None, derandomize=True, database=None,
                         phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    def run(case):
        response = case.call(headers=headers)
        tally[response.status_code] = tally.get(response.status_code, 0) + 1
        try:
            case.validate_response(response, checks=CHECKS)
        except Exception as exc:  # noqa: BLE001 (every failed check is collected, the run goes on)
            failures.append(f"{operation.method.upper()} {operation.path} -> {response.status_code}: "
                            f"{str(exc).splitlines()[0][:200]}\n    {case.as_curl_command()[:300]}")

    run()


@pytest.mark.parametrize("role", ["admin", "client_viewer"])
def test_no_operation_answers_5xx_or_off_schema(world, in_process_requests, role, record_property):
    world.escalation("admin")  # something real to find among the generated references
    headers = {"Authorization": f"Bearer {world.token(role)}", "Host": "localhost"}
    tally, failures, exercised = {}, [], 0
    for operation in OPERATIONS:
        before = sum(tally.values())
        _fuzz(operation, headers, tally, failures)
        exercised += sum(tally.values()) > before
    cases = sum(tally.values())
    summary = f"schemathesis {role}: {cases} cases over {len(OPERATIONS)} operations, by status {dict(sorted(tally.items()))}"
    record_property("fuzz", summary)
    print("\n" + summary)
    assert not failures, summary + "\n" + "\n".join(failures[:20])
    assert not [s for s in tally if s >= 500], summary
    assert exercised == len(OPERATIONS) and len(OPERATIONS) > 50, summary
    assert cases >= len(OPERATIONS) * FUZZ_EXAMPLES, summary
