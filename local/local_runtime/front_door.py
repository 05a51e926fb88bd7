"""The HTTP front door: serves every HttpApi route of template.yaml on loopback by building API
Gateway v2 events (with the JWT authorizer's checks) and invoking the real handlers, the admin
console's static files on the same origin (as the stack's CloudFront distribution does), plus a
few local-only endpoints under /_local/ (health, schedules on demand, tokens, queue depths)."""

from __future__ import annotations

import base64
import json
import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from local_runtime.functions_host import FunctionsHost
from local_runtime.jwt_issuer import InvalidToken, LocalIssuer, api_gateway_claims
from local_runtime.lambda_events import http_api_event
from local_runtime.stack_model import StackModel
from local_runtime.static_site import StaticSite

logger = logging.getLogger(__name__)
MAX_BODY_BYTES = 10 * 1024 * 1024  # API Gateway's payload limit

LocalEndpoint = Callable[[str, dict[str, Any]], tuple[int, Any]]


@dataclass(frozen=True)
class HttpAnswer:
    status: int
    headers: dict[str, str]
    body: bytes

    @classmethod
    def json(cls, status: int, payload: Any) -> HttpAnswer:
        return cls(status, {"content-type": "application/json"}, json.dumps(payload).encode())


class FrontDoor:
    def __init__(
        self,
        model: StackModel,
        host: FunctionsHost,
        issuer: LocalIssuer,
        local_endpoints: Mapping[str, LocalEndpoint],
        static_sites: Sequence[StaticSite] | None = None,
    ) -> None:
        self._routes = model.routes()
        self._static_sites = list(model.static_sites() if static_sites is None else static_sites)
        self._audiences = model.jwt_configuration()[1]
        self._host = host
        self._issuer = issuer
        self._local = local_endpoints

    def handle(
        self, method: str, target: str, headers: Mapping[str, str], body: bytes
    ) -> HttpAnswer:
        parts = urlsplit(target)
        path = parts.path or "/"
        if path.startswith("/_local/"):
            return self._handle_local(path.removeprefix("/_local/"), body)
        for site in self._static_sites:
            if site.handles(path):
                served = site.answer(method, path, headers)
                return HttpAnswer(served.status, served.headers, served.body)
        for route in self._routes:
            path_parameters = route.match(method, path)
            if path_parameters is None:
                continue
            claims = None
            if route.jwt_required:
                try:
                    verified = self._issuer.verify(headers.get("authorization"), self._audiences)
                except InvalidToken:
                    return HttpAnswer.json(401, {"message": "Unauthorized"})
                claims = api_gateway_claims(verified)
            event = http_api_event(
                method=method,
                route_key=route.route_key,
                path=path,
                path_parameters=path_parameters,
                query=dict(parse_qsl(parts.query)),
                headers=headers,
                body=body,
                jwt_claims=claims,
            )
            return _answer_from(self._host.invoke(route.function, event))
        return HttpAnswer.json(404, {"message": "Not Found"})

    def _handle_local(self, name: str, body: bytes) -> HttpAnswer:
        for prefix, endpoint in self._local.items():
            if name == prefix or name.startswith(prefix + "/"):
                try:
                    payload = json.loads(body) if body else {}
                except json.JSONDecodeError:
                    return HttpAnswer.json(400, {"error": "malformed_json"})
                status, answer = endpoint(name.removeprefix(prefix).strip("/"), payload)
                return HttpAnswer.json(status, answer)
        return HttpAnswer.json(404, {"message": "Not Found"})


def _answer_from(response: Any) -> HttpAnswer:
    """A Lambda proxy response (payload 2.0) as API Gateway turns it into HTTP."""
    if not isinstance(response, dict) or "statusCode" not in response:
        return HttpAnswer.json(200, response)
    body = response.get("body") or ""
    raw = base64.b64decode(body) if response.get("isBase64Encoded") else str(body).encode()
    headers = {k.lower(): str(v) for k, v in (response.get("headers") or {}).items()}
    for name, values in (response.get("multiValueHeaders") or {}).items():
        headers[name.lower()] = ", ".join(str(v) for v in values)
    return HttpAnswer(int(response["statusCode"]), headers, raw)


def serve(front_door: FrontDoor, host: str, port: int) -> ThreadingHTTPServer:
    """Start serving in a daemon thread; `shutdown()` the returned server to stop."""

    class RequestHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _dispatch(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            if length > MAX_BODY_BYTES:
                answer = HttpAnswer.json(413, {"message": "Request Entity Too Large"})
                self.close_connection = True
            else:
                body = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                try:
                    answer = front_door.handle(self.command, self.path, headers, body)
                except Exception:
                    # What API Gateway answers when the integration fails.
                    logger.exception("function invocation failed")
                    answer = HttpAnswer.json(500, {"message": "Internal Server Error"})
            self.send_response(answer.status)
            for name, value in answer.headers.items():
                if name not in {"content-length", "connection"}:
                    self.send_header(name, value)
            self.send_header("content-length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _dispatch

        def log_message(self, format: str, *args: Any) -> None:
            logger.debug("front door: " + format, *args)

    server = ThreadingHTTPServer((host, port), RequestHandler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="front-door", daemon=True).start()
    return server
