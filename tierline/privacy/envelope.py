"""Sealing personal text inside event data with a per-customer key (crypto-shredding).

Pure: no Django. The hash chain covers the sealed form, so destroying a customer's key makes
their text unreadable while every hash still verifies. Which values are personal is decided
by key name, once, here: free text that the customer wrote or that is about the customer.

A sealed value is a string ``pii1:<key id>:<base64url(nonce ‖ AES-256-GCM ciphertext)>``; the
associated data binds it to its tenant and key, so a value copied into another tenant's or
customer's event does not open.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Callable, Mapping
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from tierline.core.inputs import parse_id

PREFIX = "pii1:"
ERASED = "[erased]"
KEY_BYTES = 32

# Top-level keys of an event's data whose text is personal (a reply's body, a CSAT comment, a
# file's name, a reason or note that may quote the customer) …
SEALED_KEYS = frozenset({"body", "comment", "filename", "reason", "note"})
# … and tracked fields whose [before, after] in data["changes"] are personal.
SEALED_CHANGES = frozenset({"title", "description", "resolution_summary"})


def new_key() -> bytes:
    return AESGCM.generate_key(bit_length=8 * KEY_BYTES)


def _aad(tenant_id: int, key_id: int) -> bytes:
    return f"tierline:{tenant_id}:{key_id}".encode()


def seal_text(value: str, key: bytes, key_id: int, tenant_id: int) -> str:
    nonce = os.urandom(12)
    sealed = AESGCM(key).encrypt(nonce, value.encode(), _aad(tenant_id, key_id))
    return f"{PREFIX}{key_id}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"


def key_id_of(value: Any) -> int | None:
    if not isinstance(value, str) or not value.startswith(PREFIX):
        return None
    head = value[len(PREFIX):].split(":", 1)[0]
    return parse_id(head)


def open_text(value: str, entry: tuple[int, bytes] | None) -> str:
    """The plain text, or ERASED when the key is gone (or the value does not open with it).
    `entry` is the key's (tenant id, key bytes)."""
    key_id = key_id_of(value)
    if entry is None or key_id is None:
        return ERASED
    tenant_id, key = entry
    try:
        raw = base64.urlsafe_b64decode(value.split(":", 2)[2])
        return AESGCM(bytes(key)).decrypt(raw[:12], raw[12:], _aad(tenant_id, key_id)).decode()
    except (InvalidTag, ValueError, IndexError):
        return ERASED


def _map_personal(data: Mapping[str, Any], fn: Callable[[str], str],
                  fn_before: Callable[[str], str] | None = None) -> dict[str, Any]:
    """A copy of `data` with fn applied to every non-empty personal string (`fn_before`, when
    given, to the befores of data["changes"] instead)."""
    fn_before = fn_before or fn
    out = dict(data)
    for key in SEALED_KEYS & out.keys():
        if isinstance(out[key], str) and out[key]:
            out[key] = fn(out[key])
    changes = out.get("changes")
    if isinstance(changes, Mapping) and SEALED_CHANGES & changes.keys():
        changes = dict(changes)
        for field in SEALED_CHANGES & changes.keys():
            pair = changes[field]
            if isinstance(pair, list | tuple) and len(pair) == 2:
                before, after = pair
                changes[field] = [fn_before(before) if isinstance(before, str) and before else before,
                                  fn(after) if isinstance(after, str) and after else after]
        out["changes"] = changes
    return out


def seal_data(data: Mapping[str, Any], key: bytes, key_id: int, tenant_id: int,
              before: tuple[bytes, int] | None = None) -> dict[str, Any]:
    """`before`: (key, key id) that seals the befores of data["changes"] — the previous stint's,
    on the event that moves the escalation to another customer."""
    return _map_personal(data, lambda v: seal_text(v, key, key_id, tenant_id),
                         None if before is None else lambda v: seal_text(v, before[0], before[1], tenant_id))


def customer_change(data: Mapping[str, Any]) -> tuple[int | None, int | None] | None:
    """(before, after) when this event's data moves the escalation to another customer."""
    pair = (data.get("changes") or {}).get("customer") if isinstance(data, Mapping) else None
    if isinstance(pair, list | tuple) and len(pair) == 2 and pair[0] != pair[1]:
        return pair[0], pair[1]
    return None


def has_personal_before(data: Mapping[str, Any]) -> bool:
    found = []
    _map_personal(data or {}, lambda v: v, lambda v: found.append(v) or v)
    return bool(found)


def key_ids_in(data: Mapping[str, Any]) -> set[int]:
    found: set[int] = set()

    def note(value: str) -> str:
        key_id = key_id_of(value)
        if key_id is not None:
            found.add(key_id)
        return value

    _map_personal(data or {}, note)
    return found


def open_data(data: Mapping[str, Any], keys: Mapping[int, tuple[int, bytes]]) -> dict[str, Any]:
    """`data` with every sealed value opened; values whose key is gone read ERASED.
    `keys` maps key id to (tenant id, key bytes)."""
    return _map_personal(data, lambda v: open_text(v, keys.get(key_id_of(v))) if v.startswith(PREFIX) else v)


def has_personal(data: Mapping[str, Any]) -> bool:
    found = []
    _map_personal(data or {}, lambda v: found.append(v) or v)
    return bool(found)


def is_sealed(data: Mapping[str, Any]) -> bool:
    return bool(key_ids_in(data))
