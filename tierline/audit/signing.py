"""The installation's Ed25519 evidence-signing key: created on first use, kept on disk.

Path: settings.TIERLINE_EVIDENCE_KEY_FILE, else <TIERLINE_VAR_DIR>/evidence-signing-key.pem.
Its public half is published at GET /api/v1/audit/public-key and inside every bundle.
"""

from __future__ import annotations

import base64
import os
from functools import lru_cache
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings

from tierline.audit.bundle_check import key_id


def key_path() -> Path:
    configured = getattr(settings, "TIERLINE_EVIDENCE_KEY_FILE", None)
    return Path(configured) if configured else Path(settings.VAR_DIR) / "evidence-signing-key.pem"


@lru_cache(maxsize=4)
def _load(path: str) -> Ed25519PrivateKey:
    p = Path(path)
    if not p.exists():
        p.parent.mkdir(parents=True, exist_ok=True)
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        try:
            # O_EXCL: two processes starting together keep the one key that won, never two.
            fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "wb") as fh:
                fh.write(pem)
    key = serialization.load_pem_private_key(p.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{p} does not hold an Ed25519 private key")
    return key


def private_key() -> Ed25519PrivateKey:
    return _load(str(key_path()))


def public_pem() -> bytes:
    return private_key().public_key().public_bytes(serialization.Encoding.PEM,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo)


def fingerprint() -> str:
    return key_id(private_key().public_key())


def sign(data: bytes) -> bytes:
    return base64.b64encode(private_key().sign(data)) + b"\n"
