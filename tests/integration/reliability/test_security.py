"""Who may call: tokens the JWT authorizer must refuse (expired, wrongly signed, another issuer or
audience, tampered, unsigned) are refused by the local front door, which mirrors API Gateway's
check; valid tokens of the wrong kind (no tenant claim, a player on admin routes, another
tenant's) are refused by the handlers. And secrets stay secret where they are handled."""

import base64
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from access_core.ingest.signature import signature_headers
from kisi_emulator.server import RunningEmulator
from local_runtime.front_door import FrontDoor, HttpAnswer
from local_runtime.functions_host import FunctionsHost
from local_runtime.jwt_issuer import LOCAL_AUDIENCE, LocalIssuer
from local_runtime.stack_model import StackModel
from local_runtime.template import load_template
from tests.integration.harness import (
    API_KEY,
    PLAYER_ID,
    T0,
    TENANT_ID,
    AdminApi,
    Club,
    make_club,
    player_claims,
    restored_environment,
)

from .conftest import Exposure, UnpacedKisiClient

ADMIN_SETTINGS = f"/v1/admin/tenants/{TENANT_ID}/settings"
DOORS = "/v1/reservations/res-1/doors"


class Door:
    """The local front door over the in-process stack: real JWT checks, then the real handlers."""

    def __init__(self, club: Club, issuer: LocalIssuer, exposure: Exposure) -> None:
        defaults = {
            name: str(spec.get("Default", ""))
            for name, spec in load_template().get("Parameters", {}).items()
        }
        parameters = {
            **defaults,
            "Stage": "local",  # the in-process stack's SSM prefix
            "JwtIssuer": issuer.issuer,
            "JwtAudience": LOCAL_AUDIENCE,
            "KisiBaseUrl": club.kisi.base_url,
        }
        model = StackModel(club.stack.resources, parameters)
        self._front_door = FrontDoor(model, FunctionsHost(model, {}), issuer, {})
        self._exposure = exposure

    def get(self, path: str, token: str | None) -> HttpAnswer:
        headers = {"authorization": f"Bearer {token}"} if token is not None else {}
        answer = self._front_door.handle("GET", path, headers, b"")
        self._exposure.shown(answer.body.decode(), answer.headers)
        return answer


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    return tmp_path / "issuer.pem"


@pytest.fixture
def issuer(key_file: Path) -> LocalIssuer:
    return LocalIssuer(key_file)


@pytest.fixture
def door_club(
    aws: None, kisi: RunningEmulator, unpaced_worker: UnpacedKisiClient
) -> Iterator[Club]:
    """A club offering door access with bookings, and another club (club-2) beside it."""
    with restored_environment():
        club = make_club(kisi, worker_kisi_client=unpaced_worker, door_access_enabled=True)
        club.stack.add_tenant("club-2", api_key=API_KEY, door_access_enabled=True)
        yield club


@pytest.fixture
def door(door_club: Club, issuer: LocalIssuer, no_secret_exposed: Exposure) -> Door:
    # A booking of res-1 listing the player, so that a correct token is let in (the control).
    club = door_club
    envelope = {
        "id": "evt-res-1",
        "type": "reservation.upserted",
        "data": {
            "reservation_id": "res-1",
            "player_ids": [PLAYER_ID],
            "start": "2030-01-01T10:00:00Z",
            "end": "2030-01-01T11:00:00Z",
            "updated_at": T0.isoformat(),
        },
    }
    assert club.post_platform("canonical", envelope).status == 202
    return Door(club, issuer, no_secret_exposed)


def signed_with_issuer_key(key_file: Path, claims: dict[str, Any]) -> str:
    """A token signed with the real issuer's key but with claims `mint` would not produce."""
    key = serialization.load_pem_private_key(key_file.read_bytes(), password=None)
    now = int(time.time())
    base = {"iss": LocalIssuer(key_file).issuer, "aud": LOCAL_AUDIENCE, "iat": now, "exp": now + 60}
    return jwt.encode({**base, **claims}, key, algorithm="RS256")  # type: ignore[arg-type]


def tampered(token: str, **changes: Any) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    forged = base64.urlsafe_b64encode(json.dumps({**claims, **changes}).encode()).rstrip(b"=")
    return f"{header}.{forged.decode()}.{signature}"


def test_valid_tokens_get_in(door: Door, issuer: LocalIssuer) -> None:
    """The control: without it, every refusal below could be a broken front door."""
    admin = issuer.mint("owner-1", TENANT_ID, roles=["admin"])
    player = issuer.mint(PLAYER_ID, TENANT_ID, roles=["player"])
    assert door.get(ADMIN_SETTINGS, admin).status == 200
    assert door.get(DOORS, player).status == 200


def token_cases(issuer: LocalIssuer, key_file: Path, tmp_path: Path) -> dict[str, str | None]:
    """Tokens API Gateway's JWT authorizer refuses, for an admin and for a player."""
    valid = issuer.mint("owner-1", TENANT_ID, roles=["admin", "player"])
    return {
        "no token": None,
        "empty": "",
        "garbage": "not-a-jwt",
        "expired": issuer.mint("owner-1", TENANT_ID, roles=["admin"], seconds=-120),
        "another key": LocalIssuer(tmp_path / "attacker.pem").mint(
            "owner-1", TENANT_ID, roles=["admin"]
        ),
        "another issuer": LocalIssuer(key_file, issuer="https://attacker.example").mint(
            "owner-1", TENANT_ID, roles=["admin"]
        ),
        "another audience": issuer.mint(
            "owner-1", TENANT_ID, roles=["admin"], audience="some-other-app"
        ),
        "not yet valid": signed_with_issuer_key(
            key_file, {"sub": "owner-1", "tenant_id": TENANT_ID, "nbf": int(time.time()) + 600}
        ),
        "no expiry": jwt.encode(
            {"iss": issuer.issuer, "aud": LOCAL_AUDIENCE, "sub": "x", "tenant_id": TENANT_ID},
            serialization.load_pem_private_key(key_file.read_bytes(), password=None),  # type: ignore[arg-type]
            algorithm="RS256",
        ),
        "unsigned (alg none)": jwt.encode(
            {"iss": issuer.issuer, "aud": LOCAL_AUDIENCE, "sub": "x", "tenant_id": TENANT_ID},
            # PyJWT's stubs ask for a key; an unsigned token has none (the attack tested here).
            None,  # type: ignore[arg-type]
            algorithm="none",
        ),
        "HMAC-signed": jwt.encode(
            {"iss": issuer.issuer, "aud": LOCAL_AUDIENCE, "sub": "x", "tenant_id": TENANT_ID},
            "a-shared-secret-of-at-least-32-bytes!",
            algorithm="HS256",
        ),
        "tampered tenant": tampered(valid, tenant_id="club-2"),
        "tampered expiry": tampered(
            issuer.mint("owner-1", TENANT_ID, roles=["admin"], seconds=-120),
            exp=int(time.time()) + 3600,
        ),
    }


@pytest.mark.parametrize("path", [ADMIN_SETTINGS, DOORS], ids=["admin", "unlock"])
def test_tokens_the_authorizer_refuses_never_reach_a_handler(
    door: Door, issuer: LocalIssuer, key_file: Path, tmp_path: Path, path: str
) -> None:
    for case, token in token_cases(issuer, key_file, tmp_path).items():
        answer = door.get(path, token)
        assert (case, answer.status) == (case, 401)
        assert json.loads(answer.body) == {"message": "Unauthorized"}, case


def test_valid_tokens_of_the_wrong_kind_are_refused_by_the_handlers(
    door: Door, issuer: LocalIssuer, key_file: Path
) -> None:
    no_tenant = signed_with_issuer_key(key_file, {"sub": "owner-1", "roles": ["admin"]})
    blank_tenant = issuer.mint("owner-1", " ", roles=["admin"])
    no_subject = signed_with_issuer_key(key_file, {"tenant_id": TENANT_ID, "roles": ["admin"]})
    cases = [
        ("admin route, no tenant claim", ADMIN_SETTINGS, no_tenant, 401),
        ("admin route, blank tenant", ADMIN_SETTINGS, blank_tenant, 401),
        ("admin route, no subject", ADMIN_SETTINGS, no_subject, 401),
        ("admin route, player token", ADMIN_SETTINGS, issuer.mint(PLAYER_ID, TENANT_ID), 403),
        (
            "admin route, admin of another tenant",
            ADMIN_SETTINGS,
            issuer.mint("owner-2", "club-2", roles=["admin"]),
            404,
        ),
        (
            "admin route, role spelt differently",
            ADMIN_SETTINGS,
            issuer.mint("owner-1", TENANT_ID, roles=["Admin", "administrator"]),
            403,
        ),
        ("unlock route, no tenant claim", DOORS, no_tenant, 401),
        ("unlock route, blank tenant", DOORS, blank_tenant, 401),
        (
            "unlock route, the same player in another tenant",
            DOORS,
            issuer.mint(PLAYER_ID, "club-2", roles=["player"]),
            404,
        ),
        (
            "unlock route, another player of the club",
            DOORS,
            issuer.mint("player-9", TENANT_ID, roles=["player"]),
            404,
        ),
    ]
    for case, path, token, status in cases:
        answer = door.get(path, token)
        assert (case, answer.status) == (case, status), answer.body


def test_a_refused_caller_is_refused_before_its_request_is_validated(club: Club) -> None:
    """Regression: Powertools validated bodies and path parameters before the caller check, so a
    player's (or anonymous) request with an invalid body got a 422 listing the fields of an admin
    route it may not call at all, instead of its 403 (401)."""
    admin = AdminApi(club.stack)
    for claims, status in [(player_claims(), 403), (None, 401), ({"sub": "x"}, 401)]:
        for method, path in [("PUT", "/settings"), ("PUT", "/kisi-credentials")]:
            answer = admin(method, path, raw_body=b'{"unknown": 1}', claims=claims)
            assert (method, path, answer.status) == (method, path, status)


def test_secrets_stay_out_of_answers_and_logs_where_they_are_handled(
    club: Club, no_secret_exposed: Exposure
) -> None:
    """The places that handle a secret, exercised on purpose; the suite-wide check (conftest's
    `no_secret_exposed`) then looks for every secret in every answer, log record and output."""
    admin = AdminApi(club.stack)
    wrong_key = "kisi-wrong-key-" + "9" * 24
    no_secret_exposed.secrets.add(wrong_key)

    refused = admin("PUT", "/kisi-credentials", {"api_key": wrong_key})
    assert 400 <= refused.status < 500
    settings = admin("GET", "/settings")
    assert settings.status == 200
    assert API_KEY[-4:] in json.dumps(settings.body)  # only the hint is shown
    body = json.dumps({"id": "e1", "type": "nope", "data": {}}).encode()
    headers = signature_headers("not-the-secret", int(time.time()), body)
    forged = club.stack.post_webhook(
        "canonical", TENANT_ID, body, secret=None, extra_headers=headers
    )
    assert forged.status == 401
    club.membership("m1", "ada@example.com", "active", T0)
    club.kisi.emulator.revoke_api_key(API_KEY)  # Kisi answers 401 to the worker
    club.converge()
    assert club.stack_tenant().connection_state.value == "invalid_credentials"
