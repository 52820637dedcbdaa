import datetime as dt
import hashlib
import hmac

from tierline.webhooks.signing import new_secret, sign, verify_signature

NOW = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)
TS = int(NOW.timestamp())
BODY = b'{"event":{"type":"escalated"}}'


def test_the_signature_is_hmac_sha256_of_timestamp_dot_body():
    expected = hmac.new(b"s3cret", f"{TS}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert sign("s3cret", TS, BODY) == "sha256=" + expected


def test_a_genuine_request_verifies_within_the_window():
    signature = sign("s3cret", TS, BODY)
    assert verify_signature("s3cret", str(TS), BODY, signature, now=NOW)
    assert verify_signature("s3cret", TS, BODY.decode(), signature, now=NOW + dt.timedelta(seconds=300))
    assert verify_signature("s3cret", TS, BODY, signature, now=TS - 300)  # receiver clock slightly behind


def test_anything_else_is_rejected():
    signature = sign("s3cret", TS, BODY)
    assert not verify_signature("other", TS, BODY, signature, now=NOW)
    assert not verify_signature("s3cret", TS, BODY + b" ", signature, now=NOW)
    assert not verify_signature("s3cret", TS + 1, BODY, signature, now=NOW)
    assert not verify_signature("s3cret", TS, BODY, signature.removeprefix("sha256="), now=NOW)
    flipped = signature[:-1] + ("1" if signature.endswith("0") else "0")
    assert not verify_signature("s3cret", TS, BODY, flipped, now=NOW)
    assert not verify_signature("s3cret", "yesterday", BODY, signature, now=NOW)
    assert not verify_signature("s3cret", TS, BODY, None, now=NOW)


def test_replays_outside_the_window_are_rejected():
    signature = sign("s3cret", TS, BODY)
    assert not verify_signature("s3cret", TS, BODY, signature, now=NOW + dt.timedelta(seconds=301))
    assert not verify_signature("s3cret", TS, BODY, signature, now=NOW - dt.timedelta(seconds=301))
    assert verify_signature("s3cret", TS, BODY, signature, now=NOW + dt.timedelta(hours=1), tolerance=3600)


def test_secrets_are_random_and_long():
    a, b = new_secret(), new_secret()
    assert a != b and a.startswith("whsec_") and len(a) >= 40
