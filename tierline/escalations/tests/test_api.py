"""The REST API from a client's side: every endpoint, bad input, other tenants, stale writes."""

import datetime as dt
import threading

import pytest
from django.db import connection

from tierline.accounts.models import ApiToken
from tierline.audit.models import Event
from tierline.escalations.models import Escalation
from tierline.testing.world import build_world

API = "/api/v1/escalations"


@pytest.fixture
def api(world, client):
    token = world.token("supervisor")

    class Api:
        def __init__(self, token):
            self.headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}

        def get(self, path, **extra):
            return client.get(path, **self.headers, **extra)

        def post(self, path, data=None, **extra):
            return client.post(path, data=data if data is not None else {}, content_type="application/json",
                               **self.headers, **extra)

        def create(self, **overrides):
            body = {"tenant": "ACME", "title": "Router keeps rebooting", "type": "technical", "priority": "P2",
                    "channel": "phone", "team": world.teams["l1"].pk, "customer": world.customer.pk}
            headers = {k: v for k, v in overrides.items() if k.startswith("HTTP_")}
            body.update({k: v for k, v in overrides.items() if not k.startswith("HTTP_")})
            return self.post(API, body, **headers)

    return Api(token)


def error(response, status, code=None):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "fields"}
    if code:
        assert body["error"]["code"] == code
    return body["error"]


# --- authentication ---------------------------------------------------------------------------

def test_no_credentials_is_401(client, world):
    error(client.get(API), 401, "unauthenticated")


@pytest.mark.parametrize("header", ["Bearer tl_deadbeef_xyz", "Bearer nonsense", "Basic Zm9vOmJhcg==", "Bearer "])
def test_forged_credentials_are_401(client, world, header):
    error(client.get(API, HTTP_AUTHORIZATION=header), 401)


def test_token_with_right_prefix_but_wrong_secret_is_401(client, world):
    plain = world.token()
    prefix = plain.split("_")[1]
    error(client.get(API, HTTP_AUTHORIZATION=f"Bearer tl_{prefix}_wrongsecret"), 401)


def test_expired_and_revoked_tokens_are_401(client, world):
    past = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    expired = world.token(expires_at=past)
    error(client.get(API, HTTP_AUTHORIZATION=f"Bearer {expired}"), 401)
    revoked = world.token()
    ApiToken.objects.filter(prefix=revoked.split("_")[1]).update(revoked_at=past)
    error(client.get(API, HTTP_AUTHORIZATION=f"Bearer {revoked}"), 401)


def test_tokens_are_stored_hashed(world):
    plain = world.token()
    row = ApiToken.objects.get(prefix=plain.split("_")[1])
    assert plain not in row.digest and row.digest == ApiToken.digest_of(plain)


def test_read_only_token_cannot_write(client, world):
    read = world.token(scope="read")
    assert client.get(API, HTTP_AUTHORIZATION=f"Bearer {read}").status_code == 200
    r = client.post(API, {"tenant": "ACME", "title": "x", "type": "technical", "priority": "P3", "channel": "api",
                          "team": world.teams["l1"].pk}, content_type="application/json",
                    HTTP_AUTHORIZATION=f"Bearer {read}")
    error(r, 403, "token_read_only")
    assert not Escalation.objects.exists()


def test_session_auth_needs_csrf_for_writes(world):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(world.users["supervisor"])
    assert browser.get(API).status_code == 200
    r = browser.post(API, {"title": "x"}, content_type="application/json")
    assert r.status_code == 403
    assert not Escalation.objects.exists()


def test_client_viewer_reads_but_cannot_create(client, world):
    viewer = world.token("client_viewer")
    assert client.get(API, HTTP_AUTHORIZATION=f"Bearer {viewer}").status_code == 200
    r = client.post(API, {"tenant": "ACME", "title": "x", "type": "technical", "priority": "P3", "channel": "api",
                          "team": world.teams["l1"].pk}, content_type="application/json",
                    HTTP_AUTHORIZATION=f"Bearer {viewer}")
    error(r, 403, "forbidden")


# --- create -----------------------------------------------------------------------------------

def test_create_returns_detail_with_timeline_and_etag(api, world):
    r = api.create(tags=["Router", "outage"], external_id="ZD-991")
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["reference"].startswith("ACME-") and body["status"] == "new"
    assert body["level"] == 1 and body["team"]["id"] == world.teams["l1"].pk
    assert body["tags"] == ["outage", "router"] and body["external_id"] == "ZD-991"
    assert [e["type"] for e in body["timeline"]] == ["created"]
    assert body["timeline"][0]["actor"]["kind"] == "api_token"
    assert r["ETag"] == '"1"' and body["version"] == 1


def test_idempotency_key_returns_first_result(api):
    first = api.create(HTTP_IDEMPOTENCY_KEY="abc-1")
    again = api.create(HTTP_IDEMPOTENCY_KEY="abc-1")
    assert first.status_code == again.status_code == 201
    assert again.json()["reference"] == first.json()["reference"]
    assert again["Idempotent-Replayed"] == "true"
    assert Escalation.objects.count() == 1 and Event.objects.count() == 1


def test_idempotency_key_reused_with_other_body_is_refused(api):
    api.create(HTTP_IDEMPOTENCY_KEY="abc-2")
    error(api.create(title="Something else", HTTP_IDEMPOTENCY_KEY="abc-2"), 422, "idempotency_key_reused")
    assert Escalation.objects.count() == 1


@pytest.mark.parametrize("overrides, field", [
    ({"bogus": 1}, "bogus"),
    ({"type": "nonsense"}, "type"),
    ({"priority": "P9"}, "priority"),
    ({"channel": "pigeon"}, "channel"),
    ({"title": "x" * 201}, "title"),
    ({"title": ""}, "title"),
    ({"description": "d" * 20001}, "description"),
    ({"tags": ["bad tag!"]}, "tags"),
    ({"custom_fields": {"contract": "gold"}}, "custom_fields.contract"),
])
def test_bad_create_input_is_422_naming_the_field(api, overrides, field):
    err = error(api.create(**overrides), 422)
    assert field in err["fields"], err
    assert not Escalation.objects.exists()


def test_custom_fields_follow_the_tenant_schema(api, world):
    world.tenant.custom_field_schema = {
        "type": "object", "additionalProperties": False,
        "properties": {"contract": {"type": "string", "enum": ["gold", "silver"]}, "seats": {"type": "integer"}},
    }
    world.tenant.save()
    assert api.create(custom_fields={"contract": "gold", "seats": 4}).status_code == 201
    err = error(api.create(custom_fields={"contract": "bronze"}), 422)
    assert "custom_fields.contract" in err["fields"]
    err = error(api.create(custom_fields={"unknown": 1}), 422)
    assert "custom_fields" in err["fields"]


def test_malformed_json_is_400_with_error_body(api):
    r = api.post(API, "{not json")
    error(r, 400)


def test_create_with_other_tenants_team_or_customer_is_404(api, world):
    error(api.create(team=world.other_team.pk), 404)
    error(api.create(customer=world.other_customer.pk), 404)
    error(api.create(tenant="GLOBEX", team=world.other_team.pk), 404)
    assert not Escalation.objects.exists()


# --- read -------------------------------------------------------------------------------------

def test_list_filters_and_cursor_pagination(api, world):
    refs = [api.create(title=f"Case {i}", priority="P1" if i % 2 else "P3").json()["reference"] for i in range(5)]
    world.other_escalation()
    r = api.get(API, data={"limit": 2})
    page1 = r.json()
    assert [e["reference"] for e in page1["items"]] == refs[::-1][:2]
    page2 = api.get(API, data={"limit": 2, "cursor": page1["next_cursor"]}).json()
    page3 = api.get(API, data={"limit": 2, "cursor": page2["next_cursor"]}).json()
    seen = [e["reference"] for p in (page1, page2, page3) for e in p["items"]]
    assert seen == refs[::-1] and page3["next_cursor"] is None
    assert {e["priority"] for e in api.get(API, data={"priority": "P1"}).json()["items"]} == {"P1"}
    assert len(api.get(API, data={"q": "Case 3"}).json()["items"]) == 1
    assert len(api.get(API, data={"status": "open"}).json()["items"]) == 5
    assert api.get(API, data={"status": "resolved"}).json()["items"] == []
    assert len(api.get(API, data={"team": world.teams["l1"].pk, "level": 1}).json()["items"]) == 5
    assert api.get(API, data={"owner": "me"}).json()["items"] == []
    assert len(api.get(API, data={"owner": "none"}).json()["items"]) == 5
    assert len(api.get(API, data={"customer": world.customer.pk}).json()["items"]) == 5
    assert api.get(API, data={"tenant": "GLOBEX"}).json()["items"] == []
    assert len(api.get(API, data={"created_after": "2000-01-01T00:00:00Z"}).json()["items"]) == 5
    assert api.get(API, data={"updated_before": "2000-01-01T00:00:00+00:00"}).json()["items"] == []


@pytest.mark.parametrize("params, field", [
    ({"created_after": "2026-01-01T00:00:00"}, "created_after"),
    ({"limit": 0}, "limit"),
    ({"limit": 1000}, "limit"),
    ({"priority": "P7"}, "priority"),
    ({"status": "asleep"}, "status"),
    ({"cursor": "!!!"}, "cursor"),
    ({"owner": "someone"}, "owner"),
])
def test_bad_list_parameters_are_422(api, params, field):
    assert field in error(api.get(API, data=params), 422)["fields"]


def test_other_tenants_escalation_is_404_everywhere(api, world):
    other = world.other_escalation()
    error(api.get(f"{API}/{other.reference}"), 404, "not_found")
    for path, body in [("acknowledge", {}), ("notes", {"body": "peek"}), ("escalate",
                       {"reason": "x", "trigger": "hierarchical"})]:
        error(api.post(f"{API}/{other.reference}/{path}", body), 404)
    assert Event.objects.filter(escalation=other).count() == 1


def test_tenancy_read_endpoints_are_scoped(api, world):
    tenants = api.get("/api/v1/tenants").json()
    assert [t["code"] for t in tenants] == ["ACME"] and tenants[0]["role"] == "supervisor"
    teams = api.get("/api/v1/teams").json()
    assert {t["tenant"] for t in teams} == {"ACME"} and len(teams) == 6
    error(api.get(f"/api/v1/teams/{world.other_team.pk}"), 404)
    assert api.get(f"/api/v1/customers/{world.customer.pk}").json()["name"] == "Dana Customer"
    error(api.get(f"/api/v1/customers/{world.other_customer.pk}"), 404)
    names = {c["name"] for c in api.get("/api/v1/customers", data={"q": "victor"}).json()}
    assert names == {"Victor VIP"}


def test_openapi_schema_and_docs_are_served(client, world):
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/escalations/{reference}/escalate" in schema["paths"]
    assert client.get("/api/docs").status_code == 302
    assert client.get("/api/v1/docs").status_code == 200


# --- actions ----------------------------------------------------------------------------------

def test_a_full_lifecycle_through_the_action_endpoints(api, world):
    ref = api.create().json()["reference"]
    base = f"{API}/{ref}"
    steps = [
        ("acknowledge", {}),
        ("start", {}),
        ("assign", {"owner": world.users["specialist"].pk}),
        ("escalate", {"reason": "needs network engineering", "trigger": "hierarchical"}),
        ("escalate", {"reason": "billing question too", "trigger": "functional", "team": world.teams["billing"].pk}),
        ("de-escalate", {"reason": "billing done"}),
        ("priority", {"priority": "P1", "reason": "outage"}),
        ("notes", {"body": "checked the logs"}),
        ("replies", {"body": "we are on it"}),
        ("pending", {"waiting_on": "customer", "reason": "need router model"}),
        ("resume", {}),
        ("watch", {}),
        ("tags", {"add": ["outage"], "remove": []}),
        ("details", {"external_id": "ZD-1", "title": "Router keeps rebooting (fleet)"}),
        ("resolve", {"summary": "firmware rolled back", "resolution_code": "fixed",
                     "root_cause_category": "product_defect", "compensation_amount": "25.00",
                     "compensation_currency": "EUR"}),
        ("reopen", {"reason": "happened again"}),
        ("unwatch", {}),
        ("cancel", {"reason": "customer moved to another provider"}),
    ]
    for path, body in steps:
        r = api.post(f"{base}/{path}", body)
        assert r.status_code == 200, (path, r.content)
    detail = api.get(base).json()
    assert detail["status"] == "cancelled" and detail["priority"] == "P1"
    assert detail["external_id"] == "ZD-1" and detail["tags"] == ["outage"]
    types = [e["type"] for e in detail["timeline"]]
    assert types == ["created", "acknowledged", "status_changed", "assigned", "escalated", "escalated",
                     "de_escalated", "priority_changed", "internal_note", "public_reply", "status_changed",
                     "status_changed", "watcher_added", "tags_changed", "details_changed", "resolved", "reopened",
                     "watcher_removed", "cancelled"]
    assert detail["version"] == len(types)


def test_link_and_merge(api, world):
    a = api.create(title="A").json()["reference"]
    b = api.create(title="B").json()["reference"]
    r = api.post(f"{API}/{a}/links", {"target": b, "kind": "related_to"})
    assert r.json()["links"] == [{"kind": "related_to", "direction": "out", "reference": b, "title": "B",
                                  "status": "new"}]
    api.post(f"{API}/{a}/unlink", {"target": b, "kind": "related_to"})
    assert api.get(f"{API}/{a}").json()["links"] == []
    api.post(f"{API}/{b}/merge", {"into": a, "reason": "same outage"})
    dup = api.get(f"{API}/{b}").json()
    assert dup["status"] == "closed" and dup["merged_into"] == a
    assert api.get(f"{API}/{a}").json()["timeline"][-1]["type"] == "merged"
    error(api.post(f"{API}/{a}/merge", {"into": a}), 422)
    other = world.other_escalation()
    error(api.post(f"{API}/{a}/links", {"target": other.reference, "kind": "related_to"}), 404)


def test_stale_if_match_is_412_and_writes_nothing(api):
    ref = api.create().json()["reference"]
    assert api.post(f"{API}/{ref}/acknowledge", HTTP_IF_MATCH='"1"').status_code == 200
    r = api.post(f"{API}/{ref}/notes", {"body": "late"}, HTTP_IF_MATCH='"1"')
    error(r, 412, "stale_version")
    r = api.post(f"{API}/{ref}/notes", {"body": "late", "version": 1})
    error(r, 412, "stale_version")
    assert Event.objects.filter(escalation__reference=ref).count() == 2
    error(api.post(f"{API}/{ref}/notes", {"body": "x"}, HTTP_IF_MATCH="soon"), 422)
    assert api.post(f"{API}/{ref}/notes", {"body": "fresh"}, HTTP_IF_MATCH='"2"').status_code == 200


def test_illegal_move_is_409_with_code(api):
    ref = api.create().json()["reference"]
    err = error(api.post(f"{API}/{ref}/close"), 409, "illegal_transition")
    assert "new" in err["message"]
    error(api.post(f"{API}/{ref}/resume"), 409, "illegal_transition")


@pytest.mark.parametrize("path, body, field", [
    ("escalate", {"reason": "", "trigger": "hierarchical"}, "reason"),
    ("escalate", {"reason": "x", "trigger": "whim"}, "trigger"),
    ("escalate", {"reason": "x", "trigger": "functional", "team": 999999}, "team"),
    ("assign", {"owner": 999999}, "owner"),
    ("priority", {"priority": "urgent"}, "priority"),
    ("pending", {"waiting_on": "godot"}, "waiting_on"),
    ("resolve", {"summary": "x", "resolution_code": "magic"}, "resolution_code"),
    ("resolve", {"summary": "x", "resolution_code": "fixed", "compensation_currency": "euro"},
     "compensation_currency"),
    ("notes", {"body": "x", "extra": True}, "extra"),
    ("notes", {"body": "n" * 20001}, "body"),
])
def test_bad_action_input_names_the_field(api, path, body, field):
    ref = api.create().json()["reference"]
    err = error(api.post(f"{API}/{ref}/{path}", body), api_status(path, field))
    assert field in err["fields"], err
    assert Event.objects.filter(escalation__reference=ref).count() == 1


def api_status(path, field):
    return 404 if field in ("team", "owner") else 422


def test_assigning_someone_from_another_tenant_is_refused(api, world):
    ref = api.create().json()["reference"]
    error(api.post(f"{API}/{ref}/assign", {"owner": world.other_user.pk}), 404)


def test_no_op_writes_no_event(api, world):
    ref = api.create(priority="P2").json()["reference"]
    r = api.post(f"{API}/{ref}/priority", {"priority": "P2"})
    assert r.status_code == 200 and r.json()["version"] == 1
    assert Event.objects.filter(escalation__reference=ref).count() == 1


@pytest.mark.postgres_only
def test_parallel_retries_with_one_idempotency_key_create_one_escalation(live_server):
    from django.test import Client

    world = build_world()
    token = world.token()
    body = {"tenant": "ACME", "title": "Parallel", "type": "technical", "priority": "P2", "channel": "api",
            "team": world.teams["l1"].pk}
    results = []

    def call():
        try:
            r = Client().post(API, body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}",
                              HTTP_IDEMPOTENCY_KEY="same-key")
            results.append((r.status_code, r.json().get("reference")))
        finally:
            connection.close()

    threads = [threading.Thread(target=call) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert {status for status, _ in results} == {201}
    assert len({ref for _, ref in results}) == 1
    assert Escalation.objects.count() == 1


def test_attachments_upload_limits_and_download_as_file(api, world, settings, tmp_path, client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    settings.TIERLINE = {**settings.TIERLINE, "ATTACHMENT_MAX_BYTES": 1000}
    ref = api.create().json()["reference"]
    url = f"{API}/{ref}/attachments"
    upload = SimpleUploadedFile("router-log.txt", b"line 1\nline 2\n", content_type="text/plain")
    r = client.post(url, {"file": upload}, **api.headers)
    assert r.status_code == 200, r.content
    attachment = r.json()["attachments"][0]
    assert attachment["filename"] == "router-log.txt" and attachment["size"] == 14
    assert r.json()["timeline"][-1]["type"] == "attachment_added"
    download = client.get(f"{url}/{attachment['id']}", **api.headers)
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"line 1\nline 2\n"
    assert download["Content-Disposition"].startswith("attachment")
    assert download["Content-Type"] == "application/octet-stream"
    big = SimpleUploadedFile("big.txt", b"x" * 1001, content_type="text/plain")
    error(client.post(url, {"file": big}, **api.headers), 422, "too_large")
    html = SimpleUploadedFile("page.html", b"<script>alert(1)</script>", content_type="text/html")
    error(client.post(url, {"file": html}, **api.headers), 422, "unsupported_type")
    error(client.get(f"{url}/999999", **api.headers), 404)
    other = world.other_escalation()
    error(client.post(f"{API}/{other.reference}/attachments",
                      {"file": SimpleUploadedFile("a.txt", b"a", content_type="text/plain")}, **api.headers), 404)
