"""The "viewed" access log and signed evidence bundles, from the reader's and the attacker's side.

A bundle must convince a third party who has only the zip and the installation's public key:
its checker runs without Django, and any change to what is inside makes it fail.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
import zlib

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import CommandError, call_command
from django.urls import reverse

from tierline import actions
from tierline.audit import bundle_check, signing
from tierline.audit.models import EscalationAccess
from tierline.core.actors import Actor
from tierline.reports import evidence


@pytest.fixture(autouse=True)
def signing_key(settings, tmp_path):
    settings.TIERLINE_EVIDENCE_KEY_FILE = str(tmp_path / "evidence.pem")
    return tmp_path / "evidence.pem"


def worked(world):
    """An escalation with notes, a reply and an attachment, its events interleaved with another one's."""
    sup = world.actor("supervisor")
    esc = world.escalation()
    other = world.escalation(title="Router keeps rebooting")
    actions.acknowledge(esc, actor=world.actor("agent"), now=world.now)
    actions.add_internal_note(other, "Unrelated note in between", actor=sup, now=world.now)
    actions.add_internal_note(esc, "Customer was polite but firm", actor=sup, now=world.now)
    actions.add_attachment(esc, filename="trace.txt", content=b"traceroute output", content_type="text/plain",
                           actor=sup, now=world.now)
    actions.add_internal_note(other, "Another unrelated note", actor=sup, now=world.now)
    actions.add_public_reply(esc, "We are on it", actor=sup, now=world.now)
    return esc


def members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def repack(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buf.getvalue()


def flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1:]


def resign(files: dict[str, bytes]) -> dict[str, bytes]:
    """What the installation itself (holding the key) would have signed for these files."""
    manifest = json.loads(files["manifest.json"])
    manifest["files"] = {n: bundle_check.sha256(files[n]) for n in ("record.json", "record.pdf")}
    files["manifest.json"] = json.dumps(manifest).encode()
    files["manifest.sig"] = signing.sign(files["manifest.json"])
    return files


# == the access log ===========================================================================

def test_reading_the_page_or_the_api_detail_is_logged_once_per_read(client, world):
    esc = world.escalation()
    client.force_login(world.users["agent"])
    assert client.get(reverse("escalations:detail", args=[esc.reference])).status_code == 200
    token = world.token("specialist", scope="read")
    assert client.get(f"/api/v1/escalations/{esc.reference}", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
    rows = list(EscalationAccess.objects.filter(escalation=esc).order_by("pk"))
    assert [(r.user.username, r.channel, r.tenant_id) for r in rows] == [
        ("agent", "page", world.tenant.pk), ("specialist", "api", world.tenant.pk)]
    assert rows[1].token is not None and rows[0].token is None


def test_refused_reads_are_not_logged(client, world):
    esc = world.escalation()
    client.force_login(world.other_user)
    assert client.get(reverse("escalations:detail", args=[esc.reference])).status_code == 404
    assert not EscalationAccess.objects.exists()


def test_compliance_sees_the_access_log_on_the_page_and_through_the_api(client, world):
    esc = world.escalation()
    client.force_login(world.users["agent"])
    client.get(reverse("escalations:detail", args=[esc.reference]))
    client.force_login(world.users["compliance"])
    page = client.get(reverse("escalations:detail", args=[esc.reference])).content.decode()
    assert "Recently viewed by" in page and "agent" in page and "Download evidence bundle" in page
    log = client.get(reverse("audit:access-log", args=[esc.reference])).content.decode()
    assert "agent" in log and "compliance" in log
    token = world.token("compliance", scope="read")
    body = client.get(f"/api/v1/audit/escalations/{esc.reference}/access-log",
                      HTTP_AUTHORIZATION=f"Bearer {token}").json()
    assert [r["user"]["username"] for r in body][-2:] == ["compliance", "agent"]


@pytest.mark.parametrize("role", ["agent", "specialist", "supervisor", "client_viewer"])
def test_lower_roles_neither_see_nor_fetch_the_access_log(client, world, role):
    esc = world.escalation()
    client.force_login(world.users[role])
    page = client.get(reverse("escalations:detail", args=[esc.reference])).content.decode()
    assert "Recently viewed by" not in page and "evidence bundle" not in page
    assert client.get(reverse("audit:access-log", args=[esc.reference])).status_code == 403
    response = client.get(f"/api/v1/audit/escalations/{esc.reference}/access-log",
                          HTTP_AUTHORIZATION=f"Bearer {world.token(role)}")
    assert response.status_code == 403 and response.json()["error"]["code"] == "forbidden"


def test_another_tenants_access_log_is_not_found(client, world):
    other = world.other_escalation()
    client.force_login(world.users["compliance"])
    assert client.get(reverse("audit:access-log", args=[other.reference])).status_code == 404
    assert client.get(reverse("audit:bundle", args=[other.reference])).status_code == 404


# == one bundle ===============================================================================

def test_a_bundle_holds_the_complete_record_and_checks_out(client, world):
    esc = worked(world)
    client.force_login(world.users["compliance"])
    response = client.get(reverse("audit:bundle", args=[esc.reference]))
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    files = members(response.content)
    assert set(files) == {"record.json", "record.pdf", "manifest.json", "manifest.sig", "public_key.pem", "README.txt"}
    record = json.loads(files["record.json"])
    assert record["escalation"]["reference"] == esc.reference
    assert [e["type_code"] for e in record["events"]] == [
        "created", "acknowledged", "internal_note", "attachment_added", "public_reply"]
    assert [n["body"] for n in record["notes"]] == ["Customer was polite but firm", "We are on it"]
    assert record["attachments"][0]["sha256"] == bundle_check.sha256(b"traceroute output")
    # The other escalation's events between this one's are carried as links only: no content.
    assert len(record["chain"]["links"]) == 3 and "Unrelated" not in files["record.json"].decode()
    assert [a["channel"] for a in record["access_log"]] == ["bundle"]
    assert record["access_log"][0]["user"]["username"] == "compliance"
    assert files["record.pdf"].startswith(b"%PDF") and esc.reference.encode() in files["record.pdf"]

    published = client.get("/api/v1/audit/public-key").json()  # public: no credentials needed
    trusted = bundle_check.load_public_key(published["public_key_pem"].encode())
    verdict = bundle_check.check_bundle(response.content, trusted)
    assert verdict.ok, verdict.render()
    assert "the tenant chain is continuous" in verdict.render()


def test_the_bundle_lists_sla_targets_and_segments(world):
    import datetime as dt

    from tierline.sla.models import Calendar, SlaPolicy
    cal = Calendar.objects.create(tenant=world.tenant, name="24x7", spec={"timezone": "UTC", "always_open": True})
    SlaPolicy.objects.create(tenant=world.tenant, name="Standard", calendar=cal, resolution=dt.timedelta(hours=8))
    esc = actions.acknowledge(world.escalation(), actor=world.actor(), now=world.now)
    actions.set_pending(esc, waiting_on="customer", actor=world.actor(), now=world.now + dt.timedelta(hours=1))
    later = world.now + dt.timedelta(hours=3)
    record = json.loads(members(evidence.bundle(esc, world.actor("compliance"), later))["record.json"])
    resolution = next(t for t in record["sla"] if t["target"] == "resolution")
    assert resolution["target_seconds"] == 8 * 3600 and resolution["elapsed_seconds"] == 3600
    assert [s["kind"] for s in resolution["segments"]][:2] == ["counted", "paused"]


@pytest.mark.parametrize("role", ["agent", "specialist", "supervisor", "client_viewer"])
def test_lower_roles_get_403_for_bundles(client, world, role):
    esc = world.escalation()
    client.force_login(world.users[role])
    assert client.get(reverse("audit:bundle", args=[esc.reference])).status_code == 403
    response = client.get(f"/api/v1/audit/escalations/{esc.reference}/bundle",
                          HTTP_AUTHORIZATION=f"Bearer {world.token(role)}")
    assert response.status_code == 403
    assert not EscalationAccess.objects.filter(channel="bundle").exists()


@pytest.mark.parametrize("member", ["record.json", "record.pdf", "manifest.json", "manifest.sig", "public_key.pem"])
def test_a_changed_byte_in_any_file_fails_the_check(world, member):
    esc = worked(world)
    data = evidence.bundle(esc, world.actor("compliance"), world.now)
    trusted = bundle_check.load_public_key(signing.public_pem())
    files = members(data)
    # A handful of positions across the file, not only the start.
    for at in sorted({0, len(files[member]) // 3, len(files[member]) // 2, len(files[member]) - 2}):
        tampered = repack({**files, member: flip(files[member], at)})
        assert not bundle_check.check_bundle(tampered, trusted).ok, (member, at)


def test_a_changed_byte_in_the_zip_itself_fails_the_check(world):
    esc = worked(world)
    data = evidence.bundle(esc, world.actor("compliance"), world.now)
    trusted = bundle_check.load_public_key(signing.public_pem())
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        info = zf.getinfo("record.json")
    start = info.header_offset + 30 + len(info.filename.encode())
    checked = 0
    for at in range(start, start + info.compress_size, max(1, info.compress_size // 25)):
        tampered = flip(data, at)
        try:
            unchanged = members(tampered) == members(data)  # a padding bit of the deflate stream
        except (zipfile.BadZipFile, zlib.error):
            unchanged = False
        if not unchanged:
            checked += 1
            assert not bundle_check.check_bundle(tampered, trusted).ok, at
    assert checked >= 20
    assert not bundle_check.check_bundle(data[: len(data) // 2], trusted).ok
    assert not bundle_check.check_bundle(b"not a zip", trusted).ok


def test_another_installations_key_fails_the_check(world):
    esc = world.escalation()
    data = evidence.bundle(esc, world.actor("compliance"), world.now)
    stranger = Ed25519PrivateKey.generate().public_key()
    assert not bundle_check.check_bundle(data, stranger).ok
    # Re-signed by someone else with their key put inside: fails against the published key.
    files = members(data)
    forger = Ed25519PrivateKey.generate()
    import base64
    files["manifest.sig"] = base64.b64encode(forger.sign(files["manifest.json"]))
    files["public_key.pem"] = forger.public_key().public_bytes(serialization.Encoding.PEM,
                                                               serialization.PublicFormat.SubjectPublicKeyInfo)
    self_signed = bundle_check.check_bundle(repack(files))
    assert self_signed.ok and "confirm it matches the installation's published key" in self_signed.render()
    assert not bundle_check.check_bundle(repack(files), bundle_check.load_public_key(signing.public_pem())).ok


def test_a_signed_bundle_whose_pdf_is_of_another_record_fails(world):
    a, b = worked(world), world.escalation(title="Second case")
    sup = world.actor("compliance")
    files_a, files_b = members(evidence.bundle(a, sup, world.now)), members(evidence.bundle(b, sup, world.now))
    swapped = resign({**files_a, "record.pdf": files_b["record.pdf"]})
    verdict = bundle_check.check_bundle(repack(swapped), bundle_check.load_public_key(signing.public_pem()))
    assert not verdict.ok and "[FAILED] record.pdf renders this record.json" in verdict.render()


def test_a_signed_bundle_with_an_edited_or_missing_event_fails_the_chain_check(world):
    esc = worked(world)
    files = members(evidence.bundle(esc, world.actor("compliance"), world.now))
    record = json.loads(files["record.json"])
    trusted = bundle_check.load_public_key(signing.public_pem())
    edited = json.loads(json.dumps(record))
    edited["events"][3]["data"]["body"] = edited["events"][3]["payload"]["data"]["body"] = "Customer was abusive"
    dropped = json.loads(json.dumps(record))
    del dropped["events"][2]
    for changed, failure in ((edited, "events re-hash"), (dropped, "the tenant chain is continuous")):
        bad = resign({**files, "record.json": json.dumps(changed).encode()})
        verdict = bundle_check.check_bundle(repack(bad), trusted)
        assert not verdict.ok
        assert any(not ok and failure in text for ok, text in verdict.checks), verdict.render()


def test_the_checker_runs_for_a_third_party_without_django(world, tmp_path):
    esc = worked(world)
    bundle_file, key_file = tmp_path / "b.zip", tmp_path / "installation.pem"
    bundle_file.write_bytes(evidence.bundle(esc, world.actor("compliance"), world.now))
    key_file.write_bytes(signing.public_pem())
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL")}
    probe = subprocess.run([sys.executable, "-c", "import sys, tierline.audit.bundle_check as m; "
                            "print('django' in sys.modules)"], capture_output=True, text=True, env=env)
    assert probe.stdout.strip() == "False", probe.stderr
    cli = [sys.executable, "-c", "from tierline.cli import main; main()", "audit", "check-bundle"]
    ok = subprocess.run([*cli, str(bundle_file), "--public-key", str(key_file)], capture_output=True, text=True, env=env)
    assert ok.returncode == 0 and ok.stdout.startswith("VALID"), ok.stdout + ok.stderr
    bundle_file.write_bytes(repack({**members(bundle_file.read_bytes()), "record.pdf": b"%PDF-1.4 nothing"}))
    bad = subprocess.run([*cli, str(bundle_file), "--public-key", str(key_file)], capture_output=True, text=True, env=env)
    assert bad.returncode == 1 and bad.stdout.startswith("INVALID") and "[FAILED]" in bad.stdout


def test_the_key_is_made_once_and_kept(signing_key):
    first = signing.fingerprint()
    assert signing_key.exists() and oct(signing_key.stat().st_mode & 0o777) == "0o600"
    signing._load.cache_clear()
    assert signing.fingerprint() == first


# == several escalations ======================================================================

def test_api_export_of_chosen_escalations_is_one_signed_zip(client, world):
    a, b = worked(world), world.escalation(title="Billing dispute")
    token = world.token("compliance", scope="read")
    response = client.post("/api/v1/audit/exports", data={"references": [a.reference, b.reference]},
                           content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200, response.content
    files = members(response.content)
    assert {f"{a.reference}.zip", f"{b.reference}.zip", "index.json", "index.sig"} <= set(files)
    verdict = bundle_check.check_bundle(response.content, bundle_check.load_public_key(signing.public_pem()))
    assert verdict.ok, verdict.render()
    tampered = repack({**files, f"{b.reference}.zip": flip(files[f"{b.reference}.zip"], 100)})
    assert not bundle_check.check_bundle(tampered).ok


def test_api_export_refuses_another_tenants_escalation_and_lower_roles(client, world):
    mine, theirs = world.escalation(), world.other_escalation()
    body = {"references": [mine.reference, theirs.reference]}
    response = client.post("/api/v1/audit/exports", data=body, content_type="application/json",
                           HTTP_AUTHORIZATION=f"Bearer {world.token('compliance')}")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    response = client.post("/api/v1/audit/exports", data={"references": [mine.reference]},
                           content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {world.token('supervisor')}")
    assert response.status_code == 403
    assert client.post("/api/v1/audit/exports", data=body, content_type="application/json").status_code == 401
    assert client.post("/api/v1/audit/exports", data={"references": []}, content_type="application/json",
                       HTTP_AUTHORIZATION=f"Bearer {world.token('compliance')}").status_code == 422
    assert not EscalationAccess.objects.exists()


def test_ui_export_by_references_and_by_filter(client, world):
    a, b = world.escalation(), world.escalation(title="Second")
    world.other_escalation()
    client.force_login(world.users["compliance"])
    assert client.get(reverse("audit:export")).status_code == 200
    by_refs = client.post(reverse("audit:export"), {"references": f"{a.reference}\n{b.reference}"})
    assert by_refs.status_code == 200 and len(json.loads(members(by_refs.content)["index.json"])["bundles"]) == 2
    by_filter = client.post(reverse("audit:export"), {"tenant": "ACME", "status": "new"})
    assert set(json.loads(members(by_filter.content)["index.json"])["bundles"]) == {
        f"{a.reference}.zip", f"{b.reference}.zip"}
    assert client.post(reverse("audit:export"), {"tenant": "GLOBEX"}).status_code == 404
    client.force_login(world.users["agent"])
    assert client.get(reverse("audit:export")).status_code == 403


def test_cli_bundle_export_and_check(world, tmp_path, capsys):
    esc = worked(world)
    other = world.other_escalation()
    one, many = tmp_path / "one.zip", tmp_path / "many.zip"
    call_command("audit", "bundle", esc.reference, "-o", str(one))
    call_command("audit", "export", esc.reference, other.reference, "-o", str(many))
    call_command("audit", "check-bundle", str(one))
    call_command("audit", "check-bundle", str(many))
    assert capsys.readouterr().out.count("VALID: the bundle is intact") == 2
    call_command("audit", "export", "--tenant", "ACME", "--status", "new", "-o", str(many))
    assert list(json.loads(members(many.read_bytes())["index.json"])["bundles"]) == ["ACME-2026-000002.zip"]
    many.write_bytes(flip(many.read_bytes(), len(many.read_bytes()) // 2))
    with pytest.raises(CommandError, match="did not pass"):
        call_command("audit", "check-bundle", str(many))
    with pytest.raises(CommandError, match="no escalation"):
        call_command("audit", "bundle", "ACME-1999-000001", "-o", str(one))


def test_a_system_export_includes_the_whole_access_log(world):
    esc = world.escalation()
    from tierline.audit.access import record_view
    record_view(esc, world.actor("agent"), "page", world.now)
    rec = evidence.record(esc, Actor.system("cli:test"), world.now)
    assert [a["user"]["username"] for a in rec["access_log"]] == ["agent"]
