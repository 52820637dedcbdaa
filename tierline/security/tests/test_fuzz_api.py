"""Schemathesis against the OpenAPI schema, in process, authenticated with a real admin token:
no 5xx, and every response matches the documented schema and content type.

Bounded: FUZZ_EXAMPLES per operation (TIERLINE_FUZZ_EXAMPLES overrides), so the whole run stays
well under a minute on two cores. The number of cases run is printed at the end.
"""

import os

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, Phase
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from tierline.api import api

FUZZ_EXAMPLES = int(os.environ.get("TIERLINE_FUZZ_EXAMPLES", "6"))
CASES_RUN = {"count": 0, "by_status": {}}

# The coverage phase enumerates every boundary case of every schema (thousands here, minutes on two
# cores); the fuzzing phase, bounded by max_examples, is the part that fits the suite.
CONFIG = SchemathesisConfig.from_dict({"phases": {"coverage": {"enabled": False}, "examples": {"enabled": True},
                                                  "stateful": {"enabled": False}},
                                       "generation": {"max-examples": FUZZ_EXAMPLES}})
schema = schemathesis.openapi.from_dict(api.get_openapi_schema(), config=CONFIG)
schema.app = get_wsgi_application()


@pytest.fixture
def _keep_test_connection():
    """Schemathesis calls the WSGI app directly, so request_started/finished fire and
    close_old_connections drops the test's connection mid-transaction (PostgreSQL: "the connection
    is closed"; SQLite's in-memory database ignores the close). Django's test client unhooks the
    same handler for the same reason."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def fuzz_token(world, _keep_test_connection):
    world.escalation("admin")  # something real to find among the generated references
    return world.token("admin")


@schema.parametrize()
@hypothesis_settings(max_examples=FUZZ_EXAMPLES, deadline=None, derandomize=True, database=None,
                     phases=[Phase.explicit, Phase.generate],
                     suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(case, fuzz_token):
    response = case.call_and_validate(
        headers={"Authorization": f"Bearer {fuzz_token}", "Host": "localhost"},
        checks=[not_a_server_error, response_schema_conformance, content_type_conformance])
    CASES_RUN["count"] += 1
    CASES_RUN["by_status"][response.status_code] = CASES_RUN["by_status"].get(response.status_code, 0) + 1


def test_zz_report_fuzz_cases(capsys):
    with capsys.disabled():
        print(f"\nschemathesis: {CASES_RUN['count']} cases in this process "
              f"(max {FUZZ_EXAMPLES} per operation), by status {dict(sorted(CASES_RUN['by_status'].items()))}")
