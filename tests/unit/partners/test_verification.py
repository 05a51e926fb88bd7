"""The per-platform webhook verification strategies (ingest/verification.py): each accepts exactly
what its platform sends, with any secret of a rotation overlap, and refuses everything else
with a fixed reason that carries no secret."""

import json
import time
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from access_core.ingest.platforms import ADAPTERS
from access_core.ingest.signature import signature_headers
from access_core.ingest.verification import (
    FORGED,
    MALFORMED_HEADER,
    MISSING_HEADER,
    NO_SECRET,
    STALE,
    VERIFIED,
    BearerToken,
    BridgeSignature,
    PushPressSignature,
    WebhookVerifier,
    refused,
)
from pushpress_emulator.deliveries import signature_for

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
OLD = "old-secret-0123456789"
NEW = "new-secret-9876543210"
BODY = json.dumps(
    {"event": "enrollment.created", "created": 1741964531, "data": {"id": "sub_1", "x": [1]}}
).encode()
SETTINGS = settings(max_examples=100, deadline=None)

# As a stored secret can be (domain/secrets.checked_secret): no blanks or control characters.
secrets = st.text(
    alphabet=st.characters(min_codepoint=33, max_codepoint=0x2FFF, exclude_categories=("Z", "C")),
    min_size=8,
    max_size=40,
)


def pushpress_headers(secret: str, body: bytes = BODY) -> dict[str, str]:
    return {"webhook-signature": signature_for(json.loads(body)["data"], secret)}


def bridge_headers(secret: str, at: datetime = NOW, body: bytes = BODY) -> dict[str, str]:
    return signature_headers(secret, int(at.timestamp()), body)


# --- the adapter chooses ----------------------------------------------------------------------


def test_each_platform_has_its_own_strategy_and_secret_set() -> None:
    chosen = {name: (type(a.verifier), a.verifier.secret_set) for name, a in ADAPTERS.items()}
    assert chosen == {
        "canonical": (BridgeSignature, "canonical"),
        "pushpress": (PushPressSignature, "pushpress"),
        "playbypoint": (BearerToken, "playbypoint"),
    }


@pytest.mark.parametrize("verifier", [BridgeSignature(), PushPressSignature(), BearerToken()])
def test_no_secret_verifies_nothing(verifier: WebhookVerifier) -> None:
    headers = {**bridge_headers(OLD), **pushpress_headers(OLD), "authorization": f"Bearer {OLD}"}
    assert verifier.verify(headers, BODY, [], NOW).reason == NO_SECRET


def test_a_platform_signature_does_not_pass_another_platforms_check() -> None:
    """Each endpoint checks its own scheme only: the bridge HMAC does not open PushPress's
    endpoint, a PushPress signature does not open Playbypoint's, and so on."""
    headers = {**bridge_headers(OLD), **pushpress_headers(OLD), "authorization": f"Bearer {OLD}"}
    assert PushPressSignature().verify(bridge_headers(OLD), BODY, [OLD], NOW).reason != VERIFIED
    assert BearerToken().verify(pushpress_headers(OLD), BODY, [OLD], NOW).reason != VERIFIED
    assert BridgeSignature().verify({"authorization": f"Bearer {OLD}"}, BODY, [OLD], NOW) == (
        BridgeSignature().verify({}, BODY, [OLD], NOW)
    )
    verifiers: tuple[WebhookVerifier, ...] = (
        BridgeSignature(),
        PushPressSignature(),
        BearerToken(),
    )
    for verifier in verifiers:
        assert verifier.verify(headers, BODY, [OLD], NOW).verified


# --- our HMAC -----------------------------------------------------------------------------------


def test_bridge_signature_with_any_secret_of_the_overlap() -> None:
    verifier = BridgeSignature()
    for secret in (OLD, NEW):
        assert verifier.verify(bridge_headers(secret), BODY, [NEW, OLD], NOW).reason == VERIFIED
    assert verifier.verify(bridge_headers(OLD), BODY, [NEW], NOW).reason == FORGED


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({}, MISSING_HEADER),
        ({"x-bridge-signature": "v1=00"}, MALFORMED_HEADER),
        ({"x-bridge-signature": "v1=00", "x-bridge-timestamp": "soon"}, MALFORMED_HEADER),
    ],
)
def test_bridge_signature_refusals(headers: dict[str, str], reason: str) -> None:
    assert BridgeSignature().verify(headers, BODY, [OLD], NOW).reason == reason


def test_bridge_signature_outside_the_tolerance_is_stale() -> None:
    stale = datetime.fromtimestamp(NOW.timestamp() - 301, UTC)
    assert BridgeSignature().verify(bridge_headers(OLD, stale), BODY, [OLD], NOW).reason == STALE


# --- PushPress ----------------------------------------------------------------------------------


def test_pushpress_signature_with_any_secret_of_the_overlap() -> None:
    verifier = PushPressSignature()
    for secret in (OLD, NEW):
        assert verifier.verify(pushpress_headers(secret), BODY, [NEW, OLD], NOW).verified
    assert verifier.verify(pushpress_headers(OLD), BODY, [NEW], NOW).reason == FORGED


def test_pushpress_signs_data_only_so_any_formatting_and_envelope_verify() -> None:
    """What PushPress's scheme covers (docs/webhooks.md): `data`, not the bytes nor the
    envelope. A changed `created` still verifies: the replay protection lies elsewhere."""
    envelope = json.loads(BODY)
    moved = json.dumps({**envelope, "created": int(time.time())}, indent=2).encode()
    assert PushPressSignature().verify(pushpress_headers(OLD), moved, [OLD], NOW).verified


@pytest.mark.parametrize(
    ("headers", "body", "reason"),
    [
        ({}, BODY, MISSING_HEADER),
        ({"webhook-signature": "not-hex"}, BODY, MALFORMED_HEADER),
        ({"webhook-signature": "ab" * 32}, BODY, FORGED),
        ({"webhook-signature": "ab" * 32}, b"{not json", FORGED),
        ({"webhook-signature": "ab" * 32}, b'{"event": "x"}', FORGED),
    ],
)
def test_pushpress_refusals(headers: dict[str, str], body: bytes, reason: str) -> None:
    assert PushPressSignature().verify(headers, body, [OLD], NOW).reason == reason


def test_pushpress_data_changed_after_signing_is_forged() -> None:
    tampered = BODY.replace(b'"sub_1"', b'"sub_2"')
    verification = PushPressSignature().verify(pushpress_headers(OLD), tampered, [OLD], NOW)
    assert verification.reason == FORGED


# --- Playbypoint ------------------------------------------------------------------------------


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER"])
def test_bearer_token_with_any_token_of_the_overlap(scheme: str) -> None:
    verifier = BearerToken()
    for token in (OLD, NEW):
        headers = {"authorization": f"{scheme} {token}"}
        assert verifier.verify(headers, BODY, [NEW, OLD], NOW).reason == VERIFIED


@pytest.mark.parametrize(
    ("authorization", "reason"),
    [
        (None, MISSING_HEADER),
        ("", MISSING_HEADER),
        (OLD, MALFORMED_HEADER),
        (f"Basic {OLD}", MALFORMED_HEADER),
        ("Bearer ", MALFORMED_HEADER),
        (f"Bearer {OLD}x", FORGED),
        (f"Bearer {OLD[:-1]}", FORGED),
        (f"Bearer {NEW}", FORGED),
    ],
)
def test_bearer_token_refusals(authorization: str | None, reason: str) -> None:
    headers = {} if authorization is None else {"authorization": authorization}
    assert BearerToken().verify(headers, BODY, [OLD], NOW).reason == reason


@SETTINGS
@given(token=secrets, presented=secrets)
def test_only_the_exact_token_opens(token: str, presented: str) -> None:
    verification = BearerToken().verify(
        {"authorization": f"Bearer {presented}"}, BODY, [token], NOW
    )
    assert verification.verified == (presented == token)


@SETTINGS
@given(
    secret=secrets,
    other=secrets,
    # Where Python's and JavaScript's serialisations agree (the emulator signs with Python's).
    data=st.dictionaries(
        st.text(alphabet="abcxyz_", min_size=1, max_size=5),
        st.integers(-(2**53) + 1, 2**53 - 1) | st.text(max_size=8) | st.booleans(),
    ),
)
def test_pushpress_accepts_exactly_the_secret_that_signed(
    secret: str, other: str, data: dict[str, int | str | bool]
) -> None:
    body = json.dumps({"event": "customer.created", "data": {"id": "c", **data}}).encode()
    headers = pushpress_headers(secret, body)
    verifier = PushPressSignature()
    assert verifier.verify(headers, body, [secret], NOW).verified
    assert verifier.verify(headers, body, [other], NOW).verified == (other == secret)


FIXED_REASONS = {NO_SECRET, MISSING_HEADER, MALFORMED_HEADER, STALE, FORGED}


@SETTINGS
@given(secret=secrets)
def test_a_refusal_never_carries_the_secret_or_the_header(secret: str) -> None:
    headers = {
        "authorization": f"Bearer {secret}x",
        "webhook-signature": "ab" * 32,
        **bridge_headers(secret + "x"),
    }
    verifiers: tuple[WebhookVerifier, ...] = (
        BridgeSignature(),
        PushPressSignature(),
        BearerToken(),
    )
    for verifier in verifiers:
        verification = verifier.verify(headers, BODY, [secret], NOW)
        assert not verification.verified
        # Nothing but a fixed word: `secret not in repr(...)` would fail for a secret that is one
        # of those words ("verified"), while carrying no secret material.
        assert verification == refused(verification.reason)
        assert verification.reason in FIXED_REASONS
        assert "ab" * 32 not in repr(verification)
