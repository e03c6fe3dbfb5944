"""A small OpenID Connect provider on 127.0.0.1 for tests: discovery, JWKS, an authorization
endpoint that signs in whoever the test says, and a token endpoint that checks PKCE and returns
a signed ID token. ``flaw`` makes the next ID token wrong in one way, to test each refusal."""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from joserfc import jwt
from joserfc.jwk import RSAKey

CLIENT_ID = "council-incell"
ESTABLISHMENT = "HMP-TEST"


@dataclass
class Grant:
    client_id: str
    redirect_uri: str
    nonce: str
    challenge: str
    subject: str
    establishment: str


@dataclass
class OidcProvider:
    subject: str = "launchpad|A1234BC"
    establishment: str = ESTABLISHMENT
    # "", "signature", "audience", "expired", "nonce", "issuer"
    flaw: str = ""
    issuer: str = ""
    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, parameters={"kid": "k1"}))
    other_key: RSAKey = field(
        default_factory=lambda: RSAKey.generate_key(2048, parameters={"kid": "k1"})
    )
    grants: dict[str, Grant] = field(default_factory=dict)
    last_nonce: str = ""
    token_requests: int = 0
    issued: list[str] = field(default_factory=list)
    _runner: web.AppRunner | None = None

    def rotate_keys(self) -> None:
        """The provider's new signing key; the JWKS serves only the new one from now on."""
        self.key = RSAKey.generate_key(2048, parameters={"kid": "k2"})

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/.well-known/openid-configuration", self._discovery)
        app.router.add_get("/jwks", self._jwks)
        app.router.add_get("/authorize", self._authorize)
        app.router.add_post("/token", self._token)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.issuer = f"http://127.0.0.1:{port}"

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _discovery(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "issuer": self.issuer,
                "authorization_endpoint": f"{self.issuer}/authorize",
                "token_endpoint": f"{self.issuer}/token",
                "jwks_uri": f"{self.issuer}/jwks",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"],
            }
        )

    async def _jwks(self, request: web.Request) -> web.Response:
        return web.json_response({"keys": [self.key.as_dict(private=False)]})

    async def _authorize(self, request: web.Request) -> web.Response:
        q = request.query
        if q.get("response_type") != "code" or q.get("code_challenge_method") != "S256":
            return web.Response(status=400, text="authorization code with PKCE S256 only")
        code = secrets.token_urlsafe(16)
        self.grants[code] = Grant(
            q["client_id"],
            q["redirect_uri"],
            q.get("nonce", ""),
            q["code_challenge"],
            self.subject,
            self.establishment,
        )
        self.last_nonce = q.get("nonce", "")
        target = q["redirect_uri"] + "?" + urlencode({"code": code, "state": q.get("state", "")})
        raise web.HTTPFound(target)

    async def _token(self, request: web.Request) -> web.Response:
        self.token_requests += 1
        form = await request.post()
        grant = self.grants.pop(str(form.get("code")), None)
        if grant is None or form.get("grant_type") != "authorization_code":
            return web.json_response({"error": "invalid_grant"}, status=400)
        verifier = str(form.get("code_verifier") or "")
        challenge = (
            base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
            .rstrip(b"=")
            .decode()
        )
        if challenge != grant.challenge or form.get("redirect_uri") != grant.redirect_uri:
            return web.json_response({"error": "invalid_grant"}, status=400)
        # "replay": the last ID token again, as an attacker who copied one would present it.
        id_token = self.issued[-1] if self.flaw == "replay" else self.id_token(grant)
        self.issued.append(id_token)
        return web.json_response(
            {
                "access_token": secrets.token_urlsafe(16),
                "token_type": "Bearer",
                "expires_in": 300,
                "id_token": id_token,
            }
        )

    def id_token(self, grant: Grant) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": grant.subject,
            "aud": grant.client_id,
            "iat": now,
            "exp": now + 300,
            "nonce": grant.nonce,
            "establishment": grant.establishment,
        }
        key = self.key
        if self.flaw == "signature":
            key = self.other_key
        elif self.flaw == "audience":
            claims["aud"] = "someone-else"
        elif self.flaw == "expired":
            claims["iat"], claims["exp"] = now - 3600, now - 600
        elif self.flaw == "nonce":
            claims["nonce"] = "an-old-nonce-seen-before"
        elif self.flaw == "issuer":
            claims["iss"] = "https://other-provider.example"
        return jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key)
