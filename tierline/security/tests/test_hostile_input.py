"""Issue 20 items 1, 5, 6 and issue 16, from the attacker's side: input the database cannot hold,
the calendar cannot offset, or the parser should not take answers a 4xx with the JSON error body
(a form error in the UI), never a 500 and never a 503 "retry"."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tierline.audit.models import Event
from tierline.escalations.models import Escalation

HUGE = 2**70
BIGINT_PLUS_ONE = 2**63


@pytest.fixture
def api(client, world):
    client.raise_request_exception = False
    return client, {"HTTP_AUTHORIZATION": f"Bearer {world.token('admin')}"}


def _error(r, status, field=None):
    assert r.status_code == status, (r.status_code, r.content[:300])
    assert r["Content-Type"].startswith("application/json"), r["Content-Type"]
    body = r.json()["error"]
    assert set(body) >= {"code", "message", "fields"}
    if field:
        assert field in body["fields"], body
    return body


def _create(client, auth, world, **overrides):
    body = {"tenant": "ACME", "title": "Router down", "type": "technical", "priority": "P3", "channel": "phone",
            "team": world.teams["l1"].pk, **overrides}
    return client.post("/api/v1/escalations", json.dumps(body), content_type="application/json", **auth)


# -- integers beyond 64 bits, digits int() refuses -----------------------------------------------------
@pytest.mark.parametrize("name", ["team", "customer", "owner"])
@pytest.mark.parametrize("value", [HUGE, BIGINT_PLUS_ONE, -HUGE])
def test_list_filters_beyond_64_bits_are_422(api, name, value):
    client, auth = api
    _error(client.get(f"/api/v1/escalations?{name}={value}", **auth), 422, name)


@pytest.mark.parametrize("name", ["team", "customer", "owner"])
def test_ids_beyond_64_bits_in_bodies_are_422_and_change_nothing(api, world, name):
    client, auth = api
    before = Escalation.objects.count()
    _error(_create(client, auth, world, **{name: HUGE}), 422, name)
    _error(_create(client, auth, world, **{name: BIGINT_PLUS_ONE}), 422, name)
    assert Escalation.objects.count() == before


@pytest.mark.parametrize("path", ["/api/v1/teams/{big}", "/api/v1/customers/{big}", "/api/v1/problems/{big}",
                                  "/api/v1/escalations/{ref}/attachments/{big}"])
def test_path_ids_beyond_64_bits_are_422(api, world, path):
    client, auth = api
    esc = world.escalation("admin")
    _error(client.get(path.format(big=HUGE, ref=esc.reference), **auth), 422)


@pytest.mark.parametrize("owner", ["²", "١٢", "１２", "3²", "-1", "0"])
def test_owner_filter_takes_ascii_ids_only(api, owner):
    client, auth = api
    _error(client.get("/api/v1/escalations", {"owner": owner}, **auth), 422, "owner")


@pytest.mark.parametrize("value", ["²", f"{HUGE}", "1²"])
def test_if_match_takes_ascii_versions_only(api, world, value):
    client, auth = api
    esc = world.escalation("admin")
    r = client.post(f"/api/v1/escalations/{esc.reference}/notes", json.dumps({"body": "hello"}),
                    content_type="application/json", HTTP_IF_MATCH=f'"{value}"', **auth)
    _error(r, 422, "If-Match")


def test_a_superscript_rating_on_the_status_page_is_a_form_error_not_a_500(client, world):
    """Reachable without signing in: the customer's status link rates the resolved case."""
    import datetime as dt

    from django.utils import timezone

    from tierline import actions
    from tierline.statuspage.links import issue_link

    client.raise_request_exception = False
    now = timezone.now()
    esc = world.escalation(now=now - dt.timedelta(hours=2))
    _, token = issue_link(esc, actor=world.actor(), now=now - dt.timedelta(hours=2))
    actions.acknowledge(esc, actor=world.actor(), now=now - dt.timedelta(minutes=6))
    actions.resolve(esc, actor=world.actor(), now=now - dt.timedelta(minutes=5), summary="Router replaced",
                    resolution_code="fixed")
    for score in ("²", "５", "٣", "9" * 40, "3\x00"):
        r = client.post(f"/status/{token}/", {"form": "rate", "score": score})
        assert r.status_code == 422 and 'data-error="rate"' in r.content.decode(), (score, r.status_code)
        assert Escalation.objects.get(pk=esc.pk).csat_score is None
    assert client.post(f"/status/{token}/", {"form": "rate", "score": "4"}).status_code == 302


def test_outbox_retry_ids_beyond_64_bits_are_refused(client, world):
    client.raise_request_exception = False
    client.force_login(world.users["admin"])
    for ids in ([str(HUGE)], ["²"], ["1", str(BIGINT_PLUS_ONE)]):
        r = client.post("/notifications/outbox/retry/", {"ids": ids})
        assert r.status_code in (302, 400, 404, 422), (ids, r.status_code)


# -- dates at the edges of the calendar ----------------------------------------------------------------
@pytest.mark.parametrize("name, value", [("created_after", "0001-01-01T00:00:00+05:00"),
                                         ("created_before", "9999-12-31T23:59:59-05:00"),
                                         ("updated_after", "1899-12-31T23:00:00+00:00"),
                                         ("updated_before", "2201-01-01T00:00:00+00:00")])
def test_list_date_filters_outside_the_years_are_422(api, name, value):
    client, auth = api
    body = _error(client.get("/api/v1/escalations", {name: value}, **auth), 422, name)
    assert "1900" in body["fields"][name] and "2200" in body["fields"][name]


@pytest.mark.parametrize("start, end", [("0001-01-01", "0001-01-02"), ("9999-12-30", "9999-12-31")])
def test_kpi_periods_at_the_calendar_edges_are_422(api, start, end):
    client, auth = api
    _error(client.get("/api/v1/reports/tenants/ACME/kpis", {"start": start, "end": end}, **auth), 422, "start")


@pytest.mark.parametrize("since, until", [("0001-01-01T00:00:00Z", "0001-02-01T00:00:00Z"),
                                          ("9999-11-01T00:00:00Z", "9999-12-31T00:00:00Z")])
def test_recurring_periods_at_the_calendar_edges_are_422(api, since, until):
    client, auth = api
    _error(client.get("/api/v1/problems/recurring", {"tenant": "ACME", "since": since, "until": until}, **auth), 422)


@pytest.mark.parametrize("when", ["9999-12-31T00:00:00+00:00", "2199-01-01T00:00:00+00:00",
                                  "0001-01-01T00:00:00+05:00"])
def test_a_matrix_version_cannot_take_effect_absurdly_far_ahead(api, world, when):
    from tierline.routing.tests.test_intake import MATRIX

    client, auth = api
    base = "/api/v1/routing/tenants/ACME/matrix"
    r = client.post(f"{base}/drafts", {"yaml": MATRIX}, content_type="application/json", **auth)
    assert r.status_code == 201, r.content[:300]
    number = r.json()["version"]["number"]
    r = client.post(f"{base}/versions/{number}/publish", {"effective_from": when}, content_type="application/json",
                    **auth)
    _error(r, 422, "effective_from")
    r = client.get(f"{base}", **auth)
    assert all(v["state"] == "draft" for v in r.json()["versions"] if v["number"] == number), r.content[:300]


def test_report_form_with_year_one_is_a_form_error(client, world):
    client.force_login(world.users["admin"])
    for start, end in (("0001-01-01", "0001-01-05"), ("9999-12-01", "9999-12-31")):
        r = client.get("/reports/ACME/", {"start": start, "end": end})
        assert r.status_code == 200
        assert "the year must be between 1900 and 2200" in r.content.decode()
        r = client.get("/reports/ACME/", {"start": start, "end": end, "format": "xlsx"})
        assert r.status_code < 500


# -- text: NUL and lone surrogates -----------------------------------------------------------------------
@pytest.mark.parametrize("raw, field", [
    ('"title": "a\\u0000b"', "title"),
    ('"title": "a\\ud800b"', "title"),
    ('"tags": ["ok", "\\udc00"]', "tags.1"),
    ('"description": "\\u0000"', "description"),
    ('"custom_fields": {"k\\ud800": "v"}', None),
])
def test_nul_and_lone_surrogates_in_bodies_are_422(api, world, raw, field):
    client, auth = api
    body = ('{"tenant": "ACME", "title": "t", "type": "technical", "priority": "P3", "channel": "phone", '
            + raw + "}")
    events = Event.objects.count()
    r = client.post("/api/v1/escalations", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1",
                    **auth)
    _error(r, 422, field)
    assert Event.objects.count() == events


def test_nul_in_a_query_string_is_422(api):
    client, auth = api
    _error(client.get("/api/v1/escalations", {"q": "a\x00b"}, **auth), 422, "q")


def test_nul_in_the_path_is_422(api):
    client, auth = api
    _error(client.get("/api/v1/escalations/ACME%00-1", **auth), 422, "path")


# -- bodies the parser must not take ---------------------------------------------------------------------
def test_deeply_nested_json_is_422(api):
    client, auth = api
    _error(client.post("/api/v1/escalations", "[" * 50_000 + "]" * 50_000, content_type="application/json",
                       **auth), 422)


@pytest.mark.parametrize("raw", ["{", '{"title": NaN}', '{"title": Infinity}', "\xff\xfe"])
def test_malformed_json_is_400_with_the_json_body(api, raw):
    client, auth = api
    _error(client.post("/api/v1/escalations", raw.encode("latin-1"), content_type="application/json", **auth), 400)


def test_text_plain_is_not_parsed_as_json(api, world):
    client, auth = api
    before = Escalation.objects.count()
    body = json.dumps({"tenant": "ACME", "title": "t", "type": "technical", "priority": "P3", "channel": "phone"})
    _error(client.post("/api/v1/escalations", body, content_type="text/plain", **auth), 415)
    assert Escalation.objects.count() == before


def test_a_body_over_the_size_limit_is_413_json(api, settings):
    client, auth = api
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    _error(client.post("/api/v1/escalations", json.dumps({"title": "x" * 4096}), content_type="application/json",
                       **auth), 413)


def test_multipart_without_a_boundary_is_400_json(api, world):
    client, auth = api
    esc = world.escalation("admin")
    _error(client.post(f"/api/v1/escalations/{esc.reference}/attachments", b"--x\r\n",
                       content_type="multipart/form-data", **auth), 400)


def test_a_thousand_character_filename_never_breaks_the_json_contract(api, world, settings, tmp_path):
    client, auth = api
    settings.MEDIA_ROOT = tmp_path
    esc = world.escalation("admin")
    r = client.post(f"/api/v1/escalations/{esc.reference}/attachments",
                    {"file": SimpleUploadedFile("a" * 1000 + ".txt", b"hello", content_type="text/plain")}, **auth)
    assert r.status_code in (200, 201, 422) and r["Content-Type"].startswith("application/json"), r.status_code
    if r.status_code < 300:
        assert all(len(a["filename"]) <= 255 for a in r.json().get("attachments", []))


# -- every status under /api/ is the JSON error body ------------------------------------------------------
def test_unknown_api_path_is_json_404(api):
    client, auth = api
    _error(client.get("/api/v1/no-such-thing", **auth), 404)
    _error(client.get("/api/v2/escalations"), 404)


def test_wrong_method_is_json_405_with_allow(api):
    client, auth = api
    r = client.delete("/api/v1/escalations", **auth)
    _error(r, 405)
    assert "GET" in r["Allow"]


# -- credentials: a rejected token is 401, never the session's CSRF 403 ------------------------------------
@pytest.mark.parametrize("signed_in", [False, True])
@pytest.mark.parametrize("token", ["tl_abc_def", "garbage", "tl_" + "A" * 40 + "_x"])
def test_a_rejected_token_on_a_post_is_401_not_a_csrf_403(world, signed_in, token):
    browser = Client(enforce_csrf_checks=True)
    if signed_in:
        browser.force_login(world.users["admin"])
    r = browser.post("/api/v1/escalations", "{}", content_type="application/json",
                     HTTP_AUTHORIZATION=f"Bearer {token}")
    assert _error(r, 401)["code"] == "unauthenticated"


def test_an_expired_token_on_a_post_is_401(world):
    import datetime as dt

    plain = world.token("admin", expires_at=world.now - dt.timedelta(days=1))
    r = Client(enforce_csrf_checks=True).post("/api/v1/escalations", "{}", content_type="application/json",
                                              HTTP_AUTHORIZATION=f"Bearer {plain}")
    assert _error(r, 401)["code"] == "unauthenticated"


def test_a_session_post_without_csrf_is_still_refused(world):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(world.users["admin"])
    r = browser.post("/api/v1/escalations", "{}", content_type="application/json")
    _error(r, 403)


# -- the database's refusals are not "retry later" --------------------------------------------------------
def _refusal_from_the_database(world):
    """A real IntegrityError from the database: a second tenant with the same code."""
    from django.db import IntegrityError, transaction

    from tierline.tenancy.models import Tenant

    try:
        with transaction.atomic():
            Tenant.objects.create(code=world.tenant.code, name="duplicate")
    except IntegrityError as exc:
        return exc
    raise AssertionError("the duplicate was accepted")


def test_integrity_and_data_errors_are_4xx_and_a_lost_connection_is_503(rf, world):
    from django.db import DataError, InterfaceError, OperationalError

    from tierline.api import on_database_error
    from tierline.core.middleware import database_unavailable

    request = rf.get("/api/v1/escalations")
    assert on_database_error(request, _refusal_from_the_database(world)).status_code == 409
    assert on_database_error(request, DataError("bigint out of range")).status_code == 422
    for lost in (OperationalError("server closed the connection"), InterfaceError("connection already closed")):
        r = on_database_error(request, lost)
        assert r.status_code == 503 and json.loads(r.content)["error"]["code"] == "database_unavailable"
        assert database_unavailable(request, lost).status_code == 503
    assert database_unavailable(request, DataError("x")) is None
    assert database_unavailable(request, _refusal_from_the_database(world)) is None


@pytest.mark.postgres_only
def test_on_postgresql_nul_and_bigint_never_reach_the_database_as_503(api, world):
    client, auth = api
    _error(_create(client, auth, world, title="a\x00b"), 422, "title")
    _error(client.get(f"/api/v1/escalations?customer={BIGINT_PLUS_ONE}", **auth), 422, "customer")
    _error(client.get("/api/v1/escalations", {"q": "\x00"}, **auth), 422, "q")


# -- the SLA simulator: malformed, deep and huge JSON, calendar-edge starts ----------------------------------
ALWAYS = json.dumps({"timezone": "UTC", "always_open": True})
POLICY = json.dumps({"targets": {"resolution": 3600}})


@pytest.mark.parametrize("calendar, policy, start", [
    ("[" * 5000 + "]" * 5000, POLICY, "2026-01-01T00:00:00+00:00"),
    (ALWAYS, '{"targets": {"resolution": 1e308}}', "2026-01-01T00:00:00+00:00"),
    (ALWAYS, '{"targets": {"resolution": ' + "9" * 400 + "}}", "2026-01-01T00:00:00+00:00"),
    (ALWAYS, '{"targets": {"resolution": NaN}}', "2026-01-01T00:00:00+00:00"),
    (ALWAYS, '{"targets": [1, 2]}', "2026-01-01T00:00:00+00:00"),
    (ALWAYS, '{"targets": {"resolution": 60}, "warnings": 5}', "2026-01-01T00:00:00+00:00"),
    (ALWAYS, '{"targets": {"resolution": 60}, "steps": [1]}', "2026-01-01T00:00:00+00:00"),
    (ALWAYS, '{"targets": {"resolution": 60}, "steps": [{"action": "notify", "whom": "owner", '
             '"repeat_every": 60, "max_repeats": [1]}]}', "2026-01-01T00:00:00+00:00"),
    (ALWAYS, POLICY, "9999-12-31T23:00:00-05:00"),
    (ALWAYS, POLICY, "0001-01-01T00:00:00+05:00"),
    ('{"timezone": "UTC\\u0000"}', POLICY, "2026-01-01T00:00:00+00:00"),
])
def test_hostile_simulator_input_is_a_form_error(client, world, calendar, policy, start):
    client.raise_request_exception = False
    client.force_login(world.users["admin"])
    r = client.post("/sla/simulator/", {"calendar": calendar, "policy": policy, "start": start})
    assert r.status_code == 422, (r.status_code, r.content[:300])
    assert 'class="errorlist' in r.content.decode() or "error" in r.content.decode()
