"""Kisi's event webhook signature (`X-Signature: sha256=<hex>` over the raw body), checked by the
bridge's `KisiSignature` against the Kisi emulator's own signer."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from access_core.ingest.kisi_events import KisiSignature
from access_core.ingest.verification import FORGED, MALFORMED_HEADER, MISSING_HEADER, NO_SECRET
from kisi_emulator.events import signature

NOW = datetime(2026, 12, 1, tzinfo=UTC)
SECRET = "kisi-signature-key-0123456789"
BODY = b'{"uuid":"e-1","type":"lock.unlock","success":true}'
VERIFIER = KisiSignature()


def verify(headers: dict[str, str], body: bytes = BODY, secrets: list[str] | None = None) -> str:
    return VERIFIER.verify(headers, body, [SECRET] if secrets is None else secrets, NOW).reason


def test_the_emulators_signature_verifies() -> None:
    assert verify({"x-signature": signature(BODY, SECRET)}) == "verified"


def test_the_bare_hex_digest_and_upper_case_are_accepted() -> None:
    digest = signature(BODY, SECRET).removeprefix("sha256=")
    assert verify({"x-signature": digest}) == "verified"
    assert verify({"x-signature": "sha256=" + digest.upper()}) == "verified"


def test_any_of_the_accepted_secrets_verifies_during_a_rotation() -> None:
    headers = {"x-signature": signature(BODY, "the-new-key-0123456789")}
    assert verify(headers, secrets=[SECRET, "the-new-key-0123456789"]) == "verified"
    assert verify(headers) == FORGED


def test_refusals_name_what_was_wrong_without_the_values() -> None:
    assert verify({}) == MISSING_HEADER
    assert verify({"x-signature": "sha256=not-hex"}) == MALFORMED_HEADER
    assert verify({"x-signature": signature(BODY, SECRET)}, secrets=[]) == NO_SECRET
    assert verify({"x-signature": signature(BODY, "another-key-0123456789")}) == FORGED


@given(body=st.binary(max_size=300), flip=st.integers(min_value=0))
def test_a_body_changed_after_signing_is_refused(body: bytes, flip: int) -> None:
    headers = {"x-signature": signature(body, SECRET)}
    assert verify(headers, body) == "verified"
    changed = bytearray(body or b"\x00")
    changed[flip % len(changed)] ^= 0x01
    if bytes(changed) != body:
        assert verify(headers, bytes(changed)) == FORGED
