"""Generated from the OpenAPI schema, so a new endpoint is covered without anyone remembering:
every escalation endpoint refuses another tenant's reference (404), an unknown body field
(422), and a caller without credentials (401) — and none of them writes anything when refusing."""

import pytest

from tierline.api import api as ninja_api
from tierline.audit.models import Event


def escalation_operations():
    schema = ninja_api.get_openapi_schema()
    for path, methods in schema["paths"].items():
        if "{reference}" not in path:
            continue
        for method, operation in methods.items():
            body = operation.get("requestBody", {}).get("content", {})
            yield pytest.param(path, method, "application/json" in body, id=f"{method.upper()} {path}")


OPERATIONS = list(escalation_operations())


def test_schema_lists_the_action_endpoints():
    paths = {p.values[0] for p in OPERATIONS}
    for action in ("acknowledge", "assign", "escalate", "de-escalate", "resolve", "close", "reopen", "cancel",
                   "merge", "links", "notes", "replies", "pending", "resume", "watch", "tags", "details"):
        assert f"/api/v1/escalations/{{reference}}/{action}" in paths


# A minimal valid body per endpoint, so refusals come from the lookup, not from validation.
# A new endpoint without an entry here fails test_every_endpoint_has_an_example.
EXAMPLES = {
    "acknowledge": {}, "start": {}, "unassign": {}, "resume": {}, "close": {}, "details": {},
    "assign": {"owner": 1}, "escalate": {"reason": "r", "trigger": "hierarchical"}, "de-escalate": {"reason": "r"},
    "priority": {"priority": "P1"}, "notes": {"body": "b"}, "replies": {"body": "b"},
    "pending": {"waiting_on": "customer"}, "resolve": {"summary": "s", "resolution_code": "fixed"},
    "reopen": {"reason": "r"}, "cancel": {"reason": "r"}, "links": {"target": "ACME-2026-000001", "kind": "related_to"},
    "unlink": {"target": "ACME-2026-000001", "kind": "related_to"}, "merge": {"into": "ACME-2026-000001"},
    "watch": {}, "unwatch": {}, "tags": {"add": ["x"]},
    "collaborators": {"team": 1, "reason": "r"}, "collaborators-acknowledge": {"team": 1},
    "client-escalation": {"reason": "r"}, "client-escalation-acknowledge": {},
    "approvals": {"kind": "policy_exception", "reason": "r"}, "approvals-approve": {"approval": 1},
    "approvals-reject": {"approval": 1, "note": "n"},
    # reports (tenant-code paths; attacker-side cases in tierline/reports/tests/test_api_cli.py)
    "contacts": {"rows": [{"date": "2026-03-02", "channel": "phone", "count": 1}]},
    "problems": {"problem": 1}, "problems-unlink": {"problem": 1}, "root-cause": {"root_cause": None},
}


def _example(path):
    return EXAMPLES[path.rstrip("/").rsplit("/", 1)[-1]]


def test_every_endpoint_has_an_example():
    for param in OPERATIONS:
        path, method, has_json_body = param.values
        if has_json_body:
            assert path.rsplit("/", 1)[-1] in EXAMPLES, f"add an example body for {path}"


def _url(path, reference):
    return path.replace("{reference}", reference).replace("{attachment_id}", "1")


@pytest.mark.parametrize("path, method, has_json_body", OPERATIONS)
def test_other_tenants_reference_is_404(client, world, path, method, has_json_body):
    other = world.other_escalation()
    token = world.token("admin")
    events_before = Event.objects.count()
    url = _url(path, other.reference)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    if method == "get":
        response = client.get(url, **auth)
    elif has_json_body:
        response = client.post(url, data=_example(path), content_type="application/json", **auth)
    else:  # multipart upload
        from django.core.files.uploadedfile import SimpleUploadedFile

        response = client.post(url, {"file": SimpleUploadedFile("a.txt", b"a", content_type="text/plain")}, **auth)
    assert response.status_code == 404, response.content
    assert response.json()["error"]["code"] == "not_found"
    assert Event.objects.count() == events_before


@pytest.mark.parametrize("path, method, has_json_body", [p for p in OPERATIONS if p.values[2]])
def test_unknown_body_field_is_422(client, world, path, method, has_json_body):
    esc = world.escalation()
    token = world.token("admin")
    response = client.post(_url(path, esc.reference), data={"definitely_not_a_field": 1},
                           content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 422, response.content
    assert "definitely_not_a_field" in response.json()["error"]["fields"]
    assert Event.objects.filter(escalation=esc).count() == 1


@pytest.mark.parametrize("path, method, has_json_body", OPERATIONS)
def test_no_credentials_is_401(client, world, path, method, has_json_body):
    esc = world.escalation()
    call = getattr(client, method)
    response = call(_url(path, esc.reference), content_type="application/json")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"
