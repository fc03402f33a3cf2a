"""Studio: who may talk to it: a secret token, a loopback Host, and the studio's own Origin for writes."""

from __future__ import annotations

import hmac
import json
import secrets
from dataclasses import dataclass
from http.cookies import SimpleCookie
from urllib.parse import parse_qs

TOKEN_PARAM = "token"
TOKEN_HEADER = "x-studio-token"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")


def new_token() -> str:
    return secrets.token_urlsafe(24)


@dataclass(frozen=True)
class Guard:
    """The checks every request passes before it reaches a route.

    The token keeps out other users and programs on this machine, as Jupyter's does; the Host check
    keeps out web pages that rebind a name of their own to 127.0.0.1 (DNS rebinding); the Origin check
    keeps other sites from writing through a browser that holds the studio's cookie.
    """

    token: str
    port: int

    @property
    def cookie(self) -> str:
        # One cookie per port: two studios on one machine do not log each other out.
        return f"narrate-studio-{self.port}"

    @property
    def hosts(self) -> frozenset[str]:
        return frozenset(f"{name}:{self.port}" for name in LOOPBACK_NAMES)

    def refusal(self, method: str, headers: dict[str, str], query: str) -> tuple[int, str] | None:
        """(status, reason) when a request must be refused, else None."""
        host = headers.get("host", "").lower()
        if host not in self.hosts:
            return 403, f"Host {host or '(none)'!r} refused: the studio answers only at 127.0.0.1:{self.port}"
        if method in WRITE_METHODS:
            origin = headers.get("origin", "")
            if origin.lower() != f"http://{host}":
                return 403, f"Origin {origin or '(none)'!r} refused: changes come only from the studio's own page"
        if not self.has_token(headers, query):
            return 401, "missing or wrong token: open the link `narrate studio` printed"
        return None

    def has_token(self, headers: dict[str, str], query: str) -> bool:
        offered = [*parse_qs(query).get(TOKEN_PARAM, []), headers.get(TOKEN_HEADER, "")]
        cookies = SimpleCookie()
        try:
            cookies.load(headers.get("cookie", ""))
        except Exception:  # noqa: BLE001 (a malformed cookie header is just no token)
            pass
        if self.cookie in cookies:
            offered.append(cookies[self.cookie].value)
        return any(hmac.compare_digest(o.encode(), self.token.encode()) for o in offered if o)

    def set_cookie_header(self) -> tuple[bytes, bytes]:
        value = f"{self.cookie}={self.token}; Path=/; HttpOnly; SameSite=Strict"
        return b"set-cookie", value.encode("latin-1")


class GuardMiddleware:
    """Plain ASGI middleware applying a Guard; a request with ?token= gets the cookie for the next ones."""

    def __init__(self, app, guard: Guard) -> None:  # noqa: ANN001 (any ASGI app)
        self.app = app
        self.guard = guard

    async def __call__(self, scope, receive, send) -> None:  # noqa: ANN001 (ASGI signature)
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        query = scope.get("query_string", b"").decode("latin-1")
        refused = self.guard.refusal(scope["method"], headers, query)
        if refused is not None:
            status, reason = refused
            body = json.dumps({"error": reason}).encode("utf-8")
            await send({"type": "http.response.start", "status": status,
                        "headers": [(b"content-type", b"application/json"),
                                    (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})
            return
        if TOKEN_PARAM not in parse_qs(query):
            await self.app(scope, receive, send)
            return

        async def send_with_cookie(message) -> None:  # noqa: ANN001 (ASGI message)
            if message["type"] == "http.response.start":
                message = dict(message, headers=[*message.get("headers", []), self.guard.set_cookie_header()])
            await send(message)

        await self.app(scope, receive, send_with_cookie)
