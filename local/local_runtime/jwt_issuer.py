"""A local identity provider: an RSA key that signs players' and admins' JWTs, and the check API
Gateway's JWT authorizer makes (signature, issuer, audience, expiry), with PyJWT."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

LOCAL_ISSUER = "https://issuer.kisi-access-bridge.local"
LOCAL_AUDIENCE = "kisi-access-bridge-local"
DEFAULT_TOKEN_SECONDS = 12 * 60 * 60


class InvalidToken(Exception):
    pass


class LocalIssuer:
    def __init__(self, key_path: Path, issuer: str = LOCAL_ISSUER) -> None:
        """The key is kept at `key_path` so tokens minted by another command stay valid."""
        self.issuer = issuer
        if key_path.exists():
            loaded = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
            if not isinstance(loaded, rsa.RSAPrivateKey):
                raise TypeError(f"{key_path} is not an RSA private key")
            self._key = loaded
        else:
            self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            key_path.parent.mkdir(parents=True, exist_ok=True)
            key_path.write_bytes(
                self._key.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                )
            )
            key_path.chmod(0o600)

    def mint(
        self,
        subject: str,
        tenant_id: str,
        *,
        roles: Iterable[str] = (),
        audience: str = LOCAL_AUDIENCE,
        seconds: int = DEFAULT_TOKEN_SECONDS,
        extra_claims: Mapping[str, Any] | None = None,
    ) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": audience,
            "sub": subject,
            "tenant_id": tenant_id,
            "roles": list(roles),
            "iat": now,
            "nbf": now,
            "exp": now + seconds,
            "jti": uuid.uuid4().hex,
            **(extra_claims or {}),
        }
        return jwt.encode(claims, self._key, algorithm="RS256", headers={"kid": "local"})

    def verify(self, authorization: str | None, audiences: list[str]) -> dict[str, Any]:
        """The claims of a valid `Bearer <jwt>`, as API Gateway's authorizer would accept it."""
        if not authorization:
            raise InvalidToken("no token")
        token = authorization.removeprefix("Bearer ").removeprefix("bearer ").strip()
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self._key.public_key(),
                algorithms=["RS256"],
                audience=audiences,
                issuer=self.issuer,
                options={"require": ["exp", "iss", "sub"]},
            )
        except jwt.PyJWTError as error:
            raise InvalidToken(str(error)) from error
        return claims


def api_gateway_claims(claims: Mapping[str, Any]) -> dict[str, str]:
    """Claims as an HTTP API JWT authorizer hands them on: strings, lists flattened "[a b]"."""
    shaped: dict[str, str] = {}
    for name, value in claims.items():
        if isinstance(value, list):
            shaped[name] = "[" + " ".join(str(v) for v in value) + "]"
        elif isinstance(value, bool):
            shaped[name] = "true" if value else "false"
        else:
            shaped[name] = str(value)
    return shaped
