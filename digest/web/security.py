"""Security headers on every response and, for private deployments, access control: every word
the archive shows came from the open internet, so pages may run no script at all."""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Mapping

from starlette.types import ASGIApp, Message, Receive, Scope, Send

PAGE_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
# The email as sent carries its styles inline; the sandbox stops any script in it outright.
EMAIL_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'none'; "
    "base-uri 'none'; frame-ancestors 'none'; "
    "sandbox allow-popups allow-popups-to-escape-sandbox allow-top-navigation-by-user-activation"
)
HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), interest-cohort=()"),
)


UNSUBSCRIBE = "/unsubscribe"
REVIEW = "/review/"  # the reviewers' desk: never kept by a cache
BASIC_CHALLENGE = b'Basic realm="digest", charset="UTF-8"'


def policy_for(path: str) -> str:
    return EMAIL_POLICY if path.endswith("/email") else PAGE_POLICY


class Access:
    """Who may read: anyone (no secret configured), or a request carrying the bearer token or
    the password of the basic-auth user or of a reviewer. Who may review: the reviewers only,
    by basic auth, whether the archive is open or not. Compared in constant time."""

    def __init__(
        self,
        token: str | None = None,
        username: str | None = None,
        password: str | None = None,
        reviewers: Mapping[str, str] | None = None,
    ) -> None:
        self.token = token
        self.basic = (username, password) if username is not None and password else None
        self.reviewers = dict(reviewers or {})

    @property
    def open(self) -> bool:
        return self.token is None and self.basic is None

    def allows(self, authorization: str) -> bool:
        scheme, _, credentials = authorization.partition(" ")
        if self.token is not None and scheme.lower() == "bearer":
            return hmac.compare_digest(credentials.strip().encode(), self.token.encode())
        return self._user(authorization) is not None

    def reviewer(self, authorization: str) -> str | None:
        """The reviewer whose basic-auth credentials the request carries, if any."""
        user = self._user(authorization)
        return user if user in self.reviewers else None

    def _user(self, authorization: str) -> str | None:
        """The user (the archive's, or a reviewer) whose credentials are right."""
        scheme, _, credentials = authorization.partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            user, _, password = base64.b64decode(credentials, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        known = dict(self.reviewers)
        if self.basic is not None:
            known[self.basic[0]] = self.basic[1] or ""
        found = None
        for name, secret in known.items():  # every one compared, whoever matches
            same_user = hmac.compare_digest(user.encode(), name.encode())
            if hmac.compare_digest(password.encode(), secret.encode()) and same_user:
                found = name
        return found

    @property
    def challenge(self) -> bytes:
        return BASIC_CHALLENGE if self.basic or self.reviewers else b'Bearer realm="digest"'


class Guard:
    """ASGI middleware: refuses unauthenticated requests when access is restricted, and adds the
    security headers (a strict Content-Security-Policy among them) to every response."""

    def __init__(self, app: ASGIApp, access: Access) -> None:
        self.app = app
        self.access = access

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = policy_for(scope["path"]).encode()
        cache = b"no-cache" if self.access.open else b"private, no-cache"
        if scope["path"].startswith(REVIEW):
            cache = b"private, no-store"

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    *message.get("headers", []),
                    (b"content-security-policy", policy),
                    (b"cache-control", cache),
                    *HEADERS,
                ]
            await send(message)

        # an unsubscribe link is its own authority (signed); mail clients send no credentials
        if not self.access.open and scope["path"] != UNSUBSCRIBE:
            headers = dict(scope["headers"])
            if not self.access.allows(headers.get(b"authorization", b"").decode("latin-1")):
                await with_headers(
                    {
                        "type": "http.response.start",
                        "status": 401,
                        "headers": [
                            (b"content-type", b"text/plain; charset=utf-8"),
                            (b"www-authenticate", self.access.challenge),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": b"authentication required\n"})
                return
        await self.app(scope, receive, with_headers)
