"""Input safety: attachments sniffed and never inline, customer email HTML sanitised, rate limits
that answer 429 with Retry-After and a machine-readable body."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tierline.escalations.models import Attachment
from tierline.security import counters
from tierline.security import ratelimit as security_ratelimit
from tierline.templating.render import render
from tierline.templating.schema import SAMPLE_CONTEXT

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 16


@pytest.fixture
def api(client, world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    token = world.token("agent")
    return client, {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def _upload(client, auth, esc, name, content, content_type):
    return client.post(f"/api/v1/escalations/{esc.reference}/attachments",
                       {"file": SimpleUploadedFile(name, content, content_type=content_type)}, **auth)


@pytest.mark.parametrize("name, content, claimed", [
    ("invoice.png", b"<html><script>alert(1)</script></html>", "image/png"),
    ("notes.txt", b"<!DOCTYPE html><html><body onload=alert(1)>", "text/plain"),
    ("report.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff", "application/pdf"),
    ("sheet.xlsx", b"not a zip at all", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("log.txt", b"binary\x00data", "text/plain"),
])
def test_content_that_does_not_match_its_type_is_refused(api, world, name, content, claimed):
    client, auth = api
    esc = world.escalation()
    r = _upload(client, auth, esc, name, content, claimed)
    assert r.status_code == 422 and r.json()["error"]["code"] == "content_mismatch", r.content
    assert not Attachment.objects.filter(escalation=esc).exists()


def test_real_files_are_accepted_and_downloaded_never_inline(api, world):
    client, auth = api
    esc = world.escalation()
    assert _upload(client, auth, esc, "screen.png", PNG, "image/png").status_code == 200
    assert _upload(client, auth, esc, "notes.txt", "Grüße, the router\n".encode(), "text/plain").status_code == 200
    att = Attachment.objects.get(escalation=esc, filename="screen.png")
    r = client.get(f"/api/v1/escalations/{esc.reference}/attachments/{att.pk}", **auth)
    assert r.status_code == 200
    assert r["Content-Disposition"].startswith("attachment;") and r["X-Content-Type-Options"] == "nosniff"
    assert b"".join(r.streaming_content) == PNG


def test_oversized_files_are_refused(api, world, settings):
    client, auth = api
    settings.TIERLINE = {**settings.TIERLINE, "ATTACHMENT_MAX_BYTES": 32}
    r = _upload(client, auth, world.escalation(), "big.png", PNG + b"\x00" * 64, "image/png")
    assert r.status_code in (413, 422) and r.json()["error"]["code"] == "too_large"


def test_customer_email_html_is_sanitised():
    html = ('<h1>{{ escalation.title }}</h1><script>alert(1)</script><p onclick="steal()" style="color:#555">Hi</p>'
            '<a href="javascript:alert(1)">x</a><a href="https://acme.example/help">help</a><iframe src="x"></iframe>')
    out = render(("s", "t", html), SAMPLE_CONTEXT).html
    assert "<script" not in out and "onclick" not in out and "javascript:" not in out and "<iframe" not in out
    assert 'style="color:#555"' in out and 'href="https://acme.example/help"' in out


def test_a_title_carrying_markup_reaches_the_email_escaped():
    ctx = {**SAMPLE_CONTEXT, "escalation": {**SAMPLE_CONTEXT["escalation"], "title": "<img src=x onerror=alert(1)>"}}
    out = render(("s", "t", "<p>{{ escalation.title }}</p>"), ctx).html
    assert "<img" not in out and "&lt;img" in out


# -- rate limits ---------------------------------------------------------------------------------
@pytest.fixture
def frozen_clock(monkeypatch):
    monkeypatch.setattr(security_ratelimit, "_clock", lambda: 1_000_000_020.0)


def test_api_rate_limit_answers_429_with_retry_after(client, world, settings, frozen_clock):
    settings.TIERLINE = {**settings.TIERLINE, "RATE_LIMITS": {"api": (3, 60)}}
    auth = {"HTTP_AUTHORIZATION": f"Bearer {world.token('agent')}"}
    codes = [client.get("/api/v1/tenants", **auth).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    r = client.get("/api/v1/tenants", **auth)
    assert r.status_code == 429 and 0 < int(r["Retry-After"]) <= 61
    body = r.json()["error"]
    assert body["code"] == "rate_limited" and body["retry_after"] == int(r["Retry-After"])
    # Another token has its own budget.
    other = {"HTTP_AUTHORIZATION": f"Bearer {world.token('supervisor')}"}
    assert client.get("/api/v1/tenants", **other).status_code == 200


def test_login_rate_limit_per_address(client, world, settings, frozen_clock):
    settings.TIERLINE = {**settings.TIERLINE, "RATE_LIMITS": {"login": (2, 300)}}
    for i in range(2):
        assert client.post("/login/", {"username": f"nobody{i}", "password": "x"}).status_code == 200
    r = client.post("/login/", {"username": "nobody9", "password": "x"})
    assert r.status_code == 429 and r.json()["error"]["code"] == "rate_limited" and int(r["Retry-After"]) > 0
    assert client.post("/login/", {"username": "x", "password": "y"}, REMOTE_ADDR="10.1.2.3").status_code == 200


def test_counters_reset_each_window_and_prune(db):
    assert [counters.bump("t", "a", window_seconds=60, now=120.0 + i) for i in range(3)] == [1, 2, 3]
    assert counters.bump("t", "a", window_seconds=60, now=180.0) == 1  # next window
    assert counters.bump("t", "b", window_seconds=60, now=180.0) == 1  # another identity
    assert counters.prune(now=180.0 + 86400 + 1) == 2


@pytest.mark.postgres_only
def test_counters_are_exact_across_connections(db):
    """Several web processes count together: concurrent bumps from separate connections lose nothing."""
    import threading

    from django.db import connections

    results = []

    def worker():
        try:
            for _ in range(25):
                results.append(counters.bump("race", "x", window_seconds=3600, now=7200.0))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == list(range(1, 101))
