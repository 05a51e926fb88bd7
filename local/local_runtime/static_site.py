"""The admin console's files, served as the stack's CloudFront distribution serves them.

template.yaml declares where they come from: the console bucket's `ConsoleAssets` metadata names
the folder (`Source`, uploaded by scripts/deploy-console), the key prefix it is served under
(`KeyPrefix`, the URL path too) and the response headers policy whose headers every file gets
(the CSP, Cache-Control, ...). The local runtime reads the same declaration, so `make run` serves
`console/` at `/console/` with the same headers, beside the API on the same origin.

Only files of a known type inside the folder are served; dotfiles, folders and anything that
resolves outside it (`..`, symlinks) are 404s. `index.html` answers a folder's URL, as the
distribution's viewer-request function does.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

# What the console is made of, and the type each file is served with (scripts/deploy-console
# uploads with the same types).
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".txt": "text/plain; charset=utf-8",
}
ASSETS_METADATA = "ConsoleAssets"


@dataclass(frozen=True)
class StaticAnswer:
    status: int
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class StaticSite:
    """Files of `directory` served under `url_prefix` (e.g. "/console/") with `headers`.

    `generated` answers some paths (relative to the prefix) with content made at request time
    instead of a file: the local runtime's `config.json` (deployments upload their own)."""

    url_prefix: str
    directory: Path
    headers: Mapping[str, str]
    generated: Mapping[str, Callable[[], bytes]] = field(default_factory=dict)

    def handles(self, path: str) -> bool:
        return path == self.url_prefix.rstrip("/") or path.startswith(self.url_prefix)

    def with_generated(self, generated: Mapping[str, Callable[[], bytes]]) -> StaticSite:
        return StaticSite(
            self.url_prefix, self.directory, self.headers, {**self.generated, **generated}
        )

    def answer(self, method: str, path: str, request_headers: Mapping[str, str]) -> StaticAnswer:
        if path == self.url_prefix.rstrip("/"):
            return StaticAnswer(301, {"location": self.url_prefix}, b"")
        if method.upper() not in {"GET", "HEAD"}:
            # What CloudFront answers a method the behaviour does not allow.
            return _text(403, "This distribution does not allow that method here.")
        relative = unquote(path.removeprefix(self.url_prefix))
        if relative == "" or relative.endswith("/"):
            relative += "index.html"
        content = self._content(relative)
        if content is None:
            return _text(404, "Not Found")
        body, content_type = content
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        headers = {**self.headers, "content-type": content_type, "etag": etag}
        if request_headers.get("if-none-match") == etag:
            return StaticAnswer(304, headers, b"")
        return StaticAnswer(200, headers, b"" if method.upper() == "HEAD" else body)

    def _content(self, relative: str) -> tuple[bytes, str] | None:
        suffix = Path(relative).suffix.lower()
        content_type = CONTENT_TYPES.get(suffix)
        if content_type is None or any(part.startswith(".") for part in relative.split("/")):
            return None
        if relative in self.generated:
            return self.generated[relative](), content_type
        root = self.directory.resolve()
        candidate = (root / relative).resolve()
        if not candidate.is_relative_to(root) or not candidate.is_file():
            return None
        return candidate.read_bytes(), content_type


def _text(status: int, message: str) -> StaticAnswer:
    return StaticAnswer(status, {"content-type": "text/plain; charset=utf-8"}, message.encode())


def response_headers(policy: Mapping[str, Any]) -> dict[str, str]:
    """The headers a CloudFront ResponseHeadersPolicyConfig adds (security and custom ones)."""
    headers: dict[str, str] = {}
    security = policy.get("SecurityHeadersConfig", {})
    if "ContentSecurityPolicy" in security:
        csp = " ".join(str(security["ContentSecurityPolicy"]["ContentSecurityPolicy"]).split())
        headers["content-security-policy"] = csp
    if "ContentTypeOptions" in security:
        headers["x-content-type-options"] = "nosniff"
    if "FrameOptions" in security:
        headers["x-frame-options"] = str(security["FrameOptions"]["FrameOption"])
    if "ReferrerPolicy" in security:
        headers["referrer-policy"] = str(security["ReferrerPolicy"]["ReferrerPolicy"])
    if "StrictTransportSecurity" in security:
        sts = security["StrictTransportSecurity"]
        value = f"max-age={sts['AccessControlMaxAgeSec']}"
        if sts.get("IncludeSubdomains"):
            value += "; includeSubDomains"
        if sts.get("Preload"):
            value += "; preload"
        headers["strict-transport-security"] = value
    for item in policy.get("CustomHeadersConfig", {}).get("Items", []):
        headers[str(item["Header"]).lower()] = str(item["Value"])
    return headers
