"""Checking an evidence bundle, with nothing but the bundle and the installation's public key.

No Django and no database: a client's auditor or a regulator runs this (`tierline audit
check-bundle FILE`, or `python -m tierline.audit.bundle_check FILE`) on a copy of the zip.

A bundle is a zip of:
  record.json    the escalation's complete record (canonical JSON)
  record.pdf     the same record for people to read
  manifest.json  sha256 of both files, the record's reference and the signing key
  manifest.sig   Ed25519 signature of manifest.json (base64)
  public_key.pem the installation's public key (confirm it against the published one)
An export of several escalations is a zip of bundles with its own signed index.json.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import sys
import zipfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from tierline.audit.chain import event_hash

BUNDLE_FORMAT = "tierline-evidence-bundle/1"
EXPORT_FORMAT = "tierline-evidence-export/1"
BUNDLE_FILES = {"record.json", "record.pdf", "manifest.json", "manifest.sig", "public_key.pem", "README.txt"}
EXPORT_FILES = {"index.json", "index.sig", "public_key.pem", "README.txt"}
MAX_MEMBER = 512 * 1024 * 1024  # a zip bomb is refused, not unpacked


@dataclass
class Verdict:
    checks: list[tuple[bool, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(ok for ok, _ in self.checks)

    def check(self, ok: bool, text: str) -> bool:
        self.checks.append((bool(ok), text))
        return bool(ok)

    def render(self) -> str:
        lines = [f"  [{'ok' if ok else 'FAILED'}] {text}" for ok, text in self.checks]
        lines += [f"  note: {n}" for n in self.notes]
        head = "VALID: the bundle is intact and signed" if self.ok else "INVALID: do not rely on this bundle"
        return "\n".join([head, *lines])


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def key_id(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return sha256(raw)[:32]


def load_public_key(pem: bytes) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("the public key is not an Ed25519 key")
    return key


def _read(zf: zipfile.ZipFile, name: str) -> bytes:
    info = zf.getinfo(name)
    if info.file_size > MAX_MEMBER:
        raise ValueError(f"{name} is larger than {MAX_MEMBER} bytes")
    return zf.read(name)


def _signature_ok(v: Verdict, key: Ed25519PublicKey, signed: bytes, sig_b64: bytes, what: str) -> bool:
    try:
        key.verify(base64.b64decode(sig_b64.strip(), validate=True), signed)
    except (InvalidSignature, ValueError):
        return v.check(False, f"{what}: the signature does not match (altered, or signed by another key)")
    return v.check(True, f"{what}: signed by key {key_id(key)}")


def _pick_key(v: Verdict, zf: zipfile.ZipFile, trusted: Ed25519PublicKey | None) -> Ed25519PublicKey | None:
    try:
        inside = load_public_key(_read(zf, "public_key.pem"))
    except (KeyError, ValueError) as exc:
        v.check(False, f"public_key.pem is missing or unreadable ({exc})")
        return trusted
    if trusted is None:
        v.notes.append(f"checked against the key inside the bundle ({key_id(inside)}); confirm it matches the "
                       "installation's published key, or pass --public-key")
        return inside
    v.check(key_id(inside) == key_id(trusted),
            f"the bundle names key {key_id(inside)}; the trusted key is {key_id(trusted)}")
    return trusted


def check_bundle(data: bytes, trusted: Ed25519PublicKey | None = None) -> Verdict:
    v = Verdict()
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        names = set(zf.namelist())
        if "index.json" in names:
            return _check_export(zf, names, trusted, v)
        return _check_one(zf, names, trusted, v)
    except (zipfile.BadZipFile, zlib.error, EOFError, KeyError, ValueError, TypeError, AttributeError) as exc:
        # A damaged zip, or a record whose shape is not ours: either way not evidence.
        v.check(False, f"the file is damaged or not a Tierline bundle ({type(exc).__name__}: {exc})")
        return v


def _check_one(zf, names, trusted, v: Verdict, prefix: str = "") -> Verdict:
    missing = BUNDLE_FILES - {"README.txt"} - names
    if not v.check(not missing, f"{prefix}the bundle has its files" + (f" (missing: {sorted(missing)})" if missing else "")):
        return v
    v.check(not (names - BUNDLE_FILES), f"{prefix}no unexpected files" +
            (f" (found {sorted(names - BUNDLE_FILES)})" if names - BUNDLE_FILES else ""))
    key = _pick_key(v, zf, trusted)
    try:
        manifest_bytes = _read(zf, "manifest.json")
        manifest = json.loads(manifest_bytes)
        record_bytes, pdf_bytes = _read(zf, "record.json"), _read(zf, "record.pdf")
        sig = _read(zf, "manifest.sig")
    except (ValueError, zipfile.BadZipFile) as exc:
        v.check(False, f"{prefix}a file cannot be read: {exc}")
        return v
    if key is None or not _signature_ok(v, key, manifest_bytes, sig, f"{prefix}manifest"):
        return v
    files = manifest.get("files", {}) if isinstance(manifest, Mapping) else {}
    v.check(manifest.get("format") == BUNDLE_FORMAT, f"{prefix}format {manifest.get('format')!r}")
    v.check(files.get("record.json") == sha256(record_bytes), f"{prefix}record.json matches the signed manifest")
    v.check(files.get("record.pdf") == sha256(pdf_bytes), f"{prefix}record.pdf matches the signed manifest")
    try:
        record = json.loads(record_bytes)
    except ValueError:
        v.check(False, f"{prefix}record.json is not JSON")
        return v
    ref = record.get("escalation", {}).get("reference")
    v.check(ref == manifest.get("reference"), f"{prefix}record is of {ref}, as the manifest says")
    check_chain(record, v, prefix)
    check_pdf(record, sha256(record_bytes), pdf_bytes, v, prefix)
    return v


SEALED_PREFIX = "pii1:"  # tierline/privacy/envelope.py: a customer's text, encrypted at rest


def _shown_matches(shown, hashed) -> bool:
    """The record shows the customer's text opened, the hash covers it sealed (tierline/privacy):
    a sealed string stands for any text (only the installation's key could open it); everything
    else must be the hashed value itself."""
    if isinstance(hashed, str) and hashed.startswith(SEALED_PREFIX):
        return isinstance(shown, str)
    if isinstance(hashed, Mapping):
        return isinstance(shown, Mapping) and set(shown) == set(hashed) and all(
            _shown_matches(shown[k], hashed[k]) for k in hashed)
    if isinstance(hashed, list):
        return isinstance(shown, list) and len(shown) == len(hashed) and all(
            _shown_matches(a, b) for a, b in zip(shown, hashed, strict=True))
    return shown == hashed


def check_chain(record: Mapping, v: Verdict, prefix: str = "") -> None:
    """Every event re-hashes to its stored hash, and the events join up in the tenant's chain."""
    esc = record.get("escalation", {})
    events = record.get("events") or []
    chain = record.get("chain") or {}
    bad = [e.get("seq") for e in events if event_hash(e.get("prev_hash", ""), e.get("payload", {})) != e.get("hash")]
    v.check(not bad, f"{prefix}{len(events)} events re-hash to their recorded hashes" +
            (f" (not: {bad[:5]})" if bad else ""))
    wrong = [e.get("seq") for e in events
             if e.get("payload", {}).get("seq") != e.get("seq")
             or e.get("payload", {}).get("escalation") != esc.get("id")
             or not _shown_matches(e.get("data"), e.get("payload", {}).get("data"))]
    v.check(not wrong, f"{prefix}each event's shown fields are the hashed ones, of this escalation" +
            (f" (not: {wrong[:5]})" if wrong else ""))
    # Between this escalation's events sit other escalations' events of the same tenant; the
    # bundle carries their (seq, prev_hash, hash) only, enough to show the links are unbroken.
    links = {int(s): (p, h) for s, p, h in chain.get("links", [])}
    by_seq = {e["seq"]: (e["prev_hash"], e["hash"]) for e in events if isinstance(e.get("seq"), int)}
    if not by_seq:
        v.check(False, f"{prefix}the record has no events")
        return
    first, last = min(by_seq), max(by_seq)
    if chain.get("links_omitted"):
        v.notes.append(f"{prefix}{chain.get('links_omitted')} events of other escalations lie between this one's; "
                       "their links were too many to include, so continuity is checked only between adjacent events")
        gaps = [s for s in sorted(by_seq) if s - 1 in by_seq and by_seq[s][0] != by_seq[s - 1][1]]
        v.check(not gaps, f"{prefix}adjacent events link to each other")
        return
    broken, prev = None, None
    for seq in range(first, last + 1):
        step = by_seq.get(seq) or links.get(seq)
        if step is None or (prev is not None and step[0] != prev):
            broken = seq
            break
        prev = step[1]
    v.check(broken is None, f"{prefix}the tenant chain is continuous from event {first} to {last}" +
            (f" (broken at {broken})" if broken is not None else ""))


def check_pdf(record: Mapping, record_sha: str, pdf: bytes, v: Verdict, prefix: str = "") -> None:
    """The PDF declares the JSON it renders and shows every event's hash."""
    v.check(pdf.startswith(b"%PDF-"), f"{prefix}record.pdf is a PDF")
    v.check(f"record-sha256:{record_sha}".encode() in pdf, f"{prefix}record.pdf renders this record.json")
    missing = [e["seq"] for e in record.get("events", []) if str(e.get("hash", "")).encode() not in pdf]
    v.check(not missing, f"{prefix}record.pdf shows every event's hash" + (f" (not: {missing[:5]})" if missing else ""))


def _check_export(zf, names, trusted, v: Verdict) -> Verdict:
    key = _pick_key(v, zf, trusted)
    try:
        index_bytes, sig = _read(zf, "index.json"), _read(zf, "index.sig")
        index = json.loads(index_bytes)
    except (KeyError, ValueError) as exc:
        v.check(False, f"index.json/index.sig unreadable: {exc}")
        return v
    if key is None or not _signature_ok(v, key, index_bytes, sig, "export index"):
        return v
    v.check(index.get("format") == EXPORT_FORMAT, f"format {index.get('format')!r}")
    bundles = index.get("bundles", {})
    expected = EXPORT_FILES | set(bundles)
    v.check(names <= expected and set(bundles) <= names, "the export holds exactly the bundles its index lists")
    for name in sorted(bundles):
        if name not in names:
            continue
        inner = _read(zf, name)
        v.check(sha256(inner) == bundles[name], f"{name} matches the signed index")
        inner_zf = zipfile.ZipFile(io.BytesIO(inner))
        _check_one(inner_zf, set(inner_zf.namelist()), key, v, prefix=f"{name}: ")
    return v


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="tierline audit check-bundle",
                                     description="Check an evidence bundle or export: signature, hash chain, PDF.")
    parser.add_argument("file")
    parser.add_argument("--public-key", help="the installation's published public key (PEM)")
    args = parser.parse_args(argv)
    try:
        with open(args.file, "rb") as fh:
            data = fh.read()
        trusted = None
        if args.public_key:
            with open(args.public_key, "rb") as fh:
                trusted = load_public_key(fh.read())
    except (OSError, ValueError) as exc:
        print(f"cannot read input: {exc}", file=sys.stderr)
        return 1
    verdict = check_bundle(data, trusted)
    print(verdict.render())
    return 0 if verdict.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
