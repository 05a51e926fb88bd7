from collections.abc import Callable
from pathlib import Path

import jwt
import pytest

from local_runtime.jwt_issuer import (
    LOCAL_AUDIENCE,
    InvalidToken,
    LocalIssuer,
    api_gateway_claims,
)


@pytest.fixture
def issuer(tmp_path: Path) -> LocalIssuer:
    return LocalIssuer(tmp_path / "key.pem")


def test_a_minted_token_verifies_with_its_claims(issuer: LocalIssuer) -> None:
    token = issuer.mint("player-1", "club-1", roles=["player"])
    claims = issuer.verify(f"Bearer {token}", [LOCAL_AUDIENCE])
    assert (claims["sub"], claims["tenant_id"], claims["roles"]) == (
        "player-1",
        "club-1",
        ["player"],
    )


def test_the_key_is_kept_so_tokens_outlive_the_process(tmp_path: Path) -> None:
    token = LocalIssuer(tmp_path / "key.pem").mint("a", "t")
    assert LocalIssuer(tmp_path / "key.pem").verify(f"Bearer {token}", [LOCAL_AUDIENCE])


@pytest.mark.parametrize(
    "make_header",
    [
        lambda i: None,
        lambda i: "Bearer not-a-jwt",
        lambda i: "Bearer " + i.mint("a", "t", seconds=-10),
        lambda i: "Bearer " + i.mint("a", "t", audience="someone-else"),
        lambda i: (
            "Bearer "
            + jwt.encode(
                {"sub": "a", "iss": i.issuer, "exp": 9999999999, "aud": LOCAL_AUDIENCE},
                "a-guessed-shared-secret-of-32-bytes!",
                algorithm="HS256",
            )
        ),
    ],
    ids=["missing", "garbage", "expired", "wrong-audience", "wrong-key"],
)
def test_the_authorizer_refuses_what_api_gateway_refuses(
    issuer: LocalIssuer, make_header: Callable[[LocalIssuer], str]
) -> None:
    with pytest.raises(InvalidToken):
        issuer.verify(make_header(issuer), [LOCAL_AUDIENCE])


def test_a_token_from_another_issuer_is_refused(tmp_path: Path) -> None:
    other = LocalIssuer(tmp_path / "other.pem", issuer="https://elsewhere.example")
    mine = LocalIssuer(tmp_path / "mine.pem")
    with pytest.raises(InvalidToken):
        mine.verify("Bearer " + other.mint("a", "t"), [LOCAL_AUDIENCE])


def test_claims_are_passed_on_as_api_gateway_flattens_them() -> None:
    shaped = api_gateway_claims({"sub": "a", "roles": ["admin", "player"], "exp": 5, "x": True})
    assert shaped == {"sub": "a", "roles": "[admin player]", "exp": "5", "x": "true"}
