"""Sign-in as a person meets it: throttling, TOTP, single sign-on against a live local provider,
API token properties, and the production security settings."""

import os
import secrets
import subprocess
import sys

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from django.contrib.auth import get_user_model
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tierline.accounts.models import ApiToken
from tierline.security.models import TenantSecurity
from tierline.testing.oidc_provider import LocalOidcProvider

PASSWORD = "correct horse battery"


@pytest.fixture
def staff(world):
    user = world.users["supervisor"]
    user.set_password(PASSWORD)
    user.email = "sam.supervisor@bpo.example"
    user.save()
    return user


def _login(client, username, password, **extra):
    return client.post("/login/", {"username": username, "password": password}, **extra)


# -- throttling (django-axes) -----------------------------------------------------------------------
def test_repeated_bad_passwords_lock_the_account_with_a_readable_message(client, staff, settings):
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(2):
        r = _login(client, "supervisor", "wrong password")
        assert r.status_code == 200 and "Please enter a correct username and password" in r.content.decode()
    locked = _login(client, "supervisor", "wrong password")
    assert locked.status_code == 429
    assert "Too many failed sign-in attempts" in locked.content.decode()
    # Locked means locked: the right password does not get in either until the cool-off passes.
    again = _login(client, "supervisor", PASSWORD)
    assert again.status_code == 429 and "_auth_user_id" not in client.session


def test_good_password_signs_in_and_resets_the_count(client, staff, settings):
    settings.AXES_FAILURE_LIMIT = 3
    _login(client, "supervisor", "wrong password")
    r = _login(client, "supervisor", PASSWORD)
    assert r.status_code == 302 and client.session["_auth_user_id"] == str(staff.pk)


# -- TOTP second factor (django-otp) ----------------------------------------------------------------
def _device(user):
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def test_required_role_without_a_device_is_refused_with_the_reason(client, staff, settings):
    settings.TIERLINE_TOTP_REQUIRED_ROLES = ["supervisor"]
    r = _login(client, "supervisor", PASSWORD)
    assert r.status_code == 200 and "requires a second factor" in r.content.decode()
    assert "_auth_user_id" not in client.session


def test_login_asks_for_the_code_and_accepts_a_real_totp(client, staff, settings):
    settings.TIERLINE_TOTP_REQUIRED_ROLES = ["supervisor"]
    device = _device(staff)
    r = _login(client, "supervisor", PASSWORD)
    assert r.status_code == 302 and r["Location"] == "/login/code/"
    assert "_auth_user_id" not in client.session  # the password alone signs nobody in
    page = client.get("/login/code/")
    assert "Enter the 6-digit code" in page.content.decode()
    assert client.get("/escalations/").status_code == 302
    wrong = client.post("/login/code/", {"code": "000000" if totp(device.bin_key) != 0 else "111111"})
    assert wrong.status_code == 400 and "not valid" in wrong.content.decode()
    device.refresh_from_db()
    device.throttling_failure_count = 0
    device.throttling_failure_timestamp = None
    device.save()
    code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"
    ok = client.post("/login/code/", {"code": code})
    assert ok.status_code == 302 and client.session["_auth_user_id"] == str(staff.pk)
    assert client.get("/escalations/").status_code == 200


def test_tenant_policy_requires_totp_for_its_roles(client, staff, world, settings):
    settings.TIERLINE_TOTP_REQUIRED_ROLES = []
    assert _login(client, "supervisor", PASSWORD).status_code == 302  # not required yet
    client.logout()
    TenantSecurity.objects.create(tenant=world.tenant, totp_required_roles="supervisor,manager")
    r = _login(client, "supervisor", PASSWORD)
    assert r.status_code == 200 and "requires a second factor" in r.content.decode()


def test_a_session_that_skipped_the_code_is_sent_back_to_sign_in(client, staff, settings):
    client.force_login(staff)
    assert client.get("/escalations/").status_code == 200
    settings.TIERLINE_TOTP_REQUIRED_ROLES = ["supervisor"]
    r = client.get("/escalations/")
    assert r.status_code == 302 and r["Location"].startswith("/login/?totp=required")
    assert "_auth_user_id" not in client.session
    # A session-authenticated API call on such a session is unauthenticated, not served.
    client.force_login(staff)
    assert client.get("/api/v1/escalations").status_code == 401


def test_users_with_a_device_are_asked_even_when_not_required(client, staff):
    _device(staff)
    assert _login(client, "supervisor", PASSWORD)["Location"] == "/login/code/"


# -- OIDC single sign-on against a live local provider ---------------------------------------------
@pytest.fixture
def provider(settings):
    with LocalOidcProvider() as p:
        for name, value in p.settings().items():
            setattr(settings, name, value)
        yield p


def _sso(client, provider, email, next_url="/escalations/"):
    provider.claims["email"] = email
    start = client.get(f"/oidc/authenticate/?next={next_url}")
    assert start.status_code == 302 and start["Location"].startswith(provider.issuer + "/authorize?")
    at_provider = requests.get(start["Location"], allow_redirects=False, timeout=10)
    assert at_provider.status_code == 302
    back = at_provider.headers["Location"]
    assert back.startswith("http://testserver/oidc/callback/?")
    return client.get(back.removeprefix("http://testserver"))


def test_sso_signs_in_existing_staff_matched_by_email(client, staff, provider):
    done = _sso(client, provider, "Sam.Supervisor@BPO.example")
    assert done.status_code == 302 and done["Location"] == "/escalations/"
    assert client.session["_auth_user_id"] == str(staff.pk)
    assert client.get("/escalations/").status_code == 200
    # The back channel really ran: code exchanged, keys fetched, userinfo read.
    assert {"POST /token", "GET /jwks", "GET /userinfo"} <= set(provider.requests)


def test_sso_creates_nobody_and_refuses_unknown_emails(client, staff, provider):
    users_before = get_user_model().objects.count()
    done = _sso(client, provider, "stranger@elsewhere.example")
    assert done.status_code == 302 and done["Location"] == "/login/?sso=failed"
    assert "_auth_user_id" not in client.session
    assert get_user_model().objects.count() == users_before
    assert "did not match a staff account" in client.get(done["Location"]).content.decode()


def test_sso_is_for_staff_not_client_viewers(client, world, provider):
    viewer = world.users["client_viewer"]
    viewer.email = "viewer@client.example"
    viewer.save()
    done = _sso(client, provider, "viewer@client.example")
    assert done["Location"] == "/login/?sso=failed" and "_auth_user_id" not in client.session


def test_sso_refuses_an_id_token_signed_with_another_key(client, staff, provider):
    provider.signing_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    done = _sso(client, provider, staff.email)
    assert done.status_code in (302, 400) and "_auth_user_id" not in client.session


def test_sso_is_off_without_configuration(client, world):
    assert client.get("/oidc/authenticate/").status_code == 404
    assert "single sign-on" not in client.get("/login/").content.decode()


# -- API tokens ---------------------------------------------------------------------------------------
def test_tokens_are_stored_hashed_and_shown_once(world):
    token, plain = ApiToken.issue(world.users["agent"], name="ci", now=world.now)
    stored = ApiToken.objects.get(pk=token.pk)
    assert plain not in (stored.digest, stored.prefix) and plain.split("_")[2] not in stored.digest
    assert stored.digest == ApiToken.digest_of(plain)


def test_read_token_reads_but_cannot_write(client, world):
    esc = world.escalation()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {world.token('admin', scope='read')}"}
    assert client.get(f"/api/v1/escalations/{esc.reference}", **auth).status_code == 200
    r = client.post(f"/api/v1/escalations/{esc.reference}/notes", {"body": "x"}, content_type="application/json",
                    **auth)
    assert r.status_code == 403 and r.json()["error"]["code"] == "token_read_only"


# -- headers and production settings ----------------------------------------------------------------
def test_pages_carry_csp_and_security_headers(client, world):
    client.force_login(world.users["supervisor"])
    r = client.get("/escalations/")
    csp = r["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp and "frame-ancestors 'none'" in csp
    assert r["X-Content-Type-Options"] == "nosniff" and r["X-Frame-Options"] == "DENY"
    assert r["Referrer-Policy"] == "same-origin"


def test_templates_have_no_inline_scripts_styles_or_handlers():
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    offenders = []
    for path in root.rglob("templates/**/*.html"):
        text = path.read_text()
        if re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text) or re.search(r"\son[a-z]+=", text) \
                or re.search(r"<style\b|\sstyle=", text):
            offenders.append(str(path.relative_to(root)))
    assert offenders == []


def test_production_settings_pass_check_deploy():
    env = {k: v for k, v in os.environ.items() if k not in ("TIERLINE_DEV", "DEBUG", "TIERLINE_INSECURE_HTTP")}
    env.update(SECRET_KEY=secrets.token_urlsafe(60), ALLOWED_HOSTS="tierline.example",
               DJANGO_SETTINGS_MODULE="tierline.settings", TIERLINE_VAR_DIR=env.get("TMPDIR", "/tmp") + "/tl-deploy",
               # A deployment sets it (customer emails carry absolute status-page links); its check warns otherwise.
               TIERLINE_PUBLIC_BASE_URL="https://tierline.example")
    result = subprocess.run([sys.executable, "-m", "django", "check", "--deploy", "--fail-level", "WARNING"],
                            capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr + result.stdout
    code = ("import django; django.setup(); from django.conf import settings as s;"
            "print(s.SESSION_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, s.SESSION_COOKIE_SAMESITE, s.CSRF_COOKIE_SECURE,"
            " s.SECURE_HSTS_SECONDS >= 31536000, s.SECURE_SSL_REDIRECT)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True).stdout
    assert out.split() == ["True", "True", "Lax", "True", "True", "True"]


def test_admin_sign_in_goes_through_tierline_sign_in(client, world):
    r = client.get("/admin/login/?next=/admin/tenancy/tenant/")
    assert r.status_code == 302 and r["Location"] == "/login/?next=%2Fadmin%2Ftenancy%2Ftenant%2F"
    admin_user = world.users["admin"]
    admin_user.is_staff, admin_user.is_superuser = True, True
    admin_user.set_password(PASSWORD)
    admin_user.save()
    done = client.post("/login/?next=/admin/", {"username": "admin", "password": PASSWORD, "next": "/admin/"})
    assert done.status_code == 302 and done["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
