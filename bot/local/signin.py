"""Who is on the page: server-side sessions, reference + PIN, and OpenID Connect (docs/INCELL.md).

A session is a random id in an HttpOnly, SameSite=Strict cookie (Secure behind https), kept in
memory only: a restart signs everyone out. It carries a CSRF token that every state-changing
request repeats in a header. Each session reaches one chat: its person's, the channel user id
the council knows them by (the invite code is the link, once).

PINs are argon2id hashes (argon2-cffi) in the channel's store; five wrong PINs lock that
reference for a while, whichever device they come from. OpenID Connect is the authorization code
flow with PKCE through Authlib; the ID token's signature (the provider's JWKS), issuer, audience,
expiry, nonce and establishment are all checked before anyone is signed in.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import logging
import re
import secrets
import threading
import time
import warnings
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from bot.config import InCell
from bot.local.store import Account, ChannelStore, Persona

log = logging.getLogger(__name__)

# Channel user ids of signed-in people start here (the demo's personas are below it).
FIRST_USER_ID = 8_000_000_001
PIN_MIN_DIGITS = 6
PIN_MAX_DIGITS = 12
KIOSK_IDLE_S = 120.0
ANONYMOUS_LIMIT = 5000  # visitors not yet signed in, kept at most (oldest forgotten first)
ANONYMOUS_IDLE_S = 900.0
PENDING_LOGIN_S = 600.0  # an OpenID Connect round trip must finish within this
# Wrong invite codes on the page, from everyone together: a code cannot be guessed (31^12), and
# this keeps anyone from trying at machine speed (each try costs the council a write).
JOIN_FAILURES_PER_WINDOW = 30
JOIN_FAILURE_WINDOW_S = 600.0
_PIN_RE = re.compile(rf"\d{{{PIN_MIN_DIGITS},{PIN_MAX_DIGITS}}}")
_REFERENCE_RE = re.compile(r"\s*[Pp]\s*-?\s*(\d{1,9})\s*")

# Argon2id with argon2-cffi's defaults (RFC 9106's second recommended option, 64 MiB).
_hasher = PasswordHasher()


def is_common_pin(pin: str) -> bool:
    """PINs a guesser tries first: one digit repeated, runs up or down, a pair or triple
    repeated, or a date-like year block."""
    if len(set(pin)) <= 2:
        return True  # 000000, 111111, 121212, 112211 ...
    digits = [int(c) for c in pin]
    steps = {(b - a) % 10 for a, b in itertools.pairwise(digits)}
    if steps in ({1}, {9}):
        return True  # 123456, 987654, 890123 ...
    for size in (3, 4):
        if len(pin) % size == 0 and pin == pin[:size] * (len(pin) // size):
            return True  # 123123, 45674567
    return pin in _COMMON_PINS


# From published studies of leaked PINs (the most chosen six-digit ones not caught above).
_COMMON_PINS = frozenset(
    {"123321", "654321", "159753", "147258", "147852", "258456", "112233", "102030"}
    | {"121314", "753159", "852456", "696969", "520520", "131313", "123654", "456789"}
    | {"142536", "100200", "110110", "200000", "202020", "123457", "123465", "124578"}
)


def normalise_reference(raw: str) -> str | None:
    match = _REFERENCE_RE.fullmatch(raw)
    return f"P-{int(match.group(1)):04d}" if match else None


# --------------------------------------------------------------------------- the council's side


@dataclass(frozen=True)
class Linked:
    result: str  # "joined", "reset", "bad_code", "locked", "not_member"
    reference: str | None = None
    language: str = "en"
    role_label: str = ""  # as the store keeps it: a label per page language (bot/local/seed.py)


class CouncilLink(Protocol):
    """What the channel asks the council (bot/local/council_link.py implements it)."""

    async def join(self, user_id: int, code: str) -> Linked: ...

    async def reset(self, user_id: int, code: str) -> Linked: ...


# --------------------------------------------------------------------------- sessions


@dataclass
class Session:
    csrf: str
    created: float
    seen: float
    user_id: int | None = None  # None: a visitor who has not signed in yet
    kiosk: bool = False
    # OpenID Connect: a subject signed in at the provider but not linked yet (invite code next).
    pending_subject: tuple[str, str] | None = None


@dataclass
class _PendingLogin:
    nonce: str
    code_verifier: str
    binding: str  # what the browser's pre-sign-in cookie must hash to
    started: float


class Refused(Exception):
    """A sign-in step refused; ``reason`` is a page string id (bot/locale/*/incell.toml)."""

    def __init__(self, reason: str, status: int = 400, **params: Any) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.params = params


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


@dataclass
class Gate:
    """Sessions and sign-in for one channel. ``settings.signin`` is "pin" or "oidc"."""

    settings: InCell
    store: ChannelStore
    council: CouncilLink
    monotonic: Callable[[], float] = time.monotonic
    wall_clock: Callable[[], float] = time.time
    on_joined: Callable[[int], Awaitable[None]] | None = None
    _sessions: OrderedDict[str, Session] = field(default_factory=OrderedDict)
    _pending: dict[str, _PendingLogin] = field(default_factory=dict)
    _used_nonces: dict[str, float] = field(default_factory=dict)
    _join_failures: list[float] = field(default_factory=list)
    _oidc: Any = None

    # -- sessions --------------------------------------------------------------------------

    @property
    def idle_s(self) -> float:
        return KIOSK_IDLE_S if self.settings.kiosk else self.settings.idle.total_seconds()

    def new_session(self) -> tuple[str, Session]:
        now = self.monotonic()
        token = secrets.token_urlsafe(32)
        session = Session(secrets.token_urlsafe(32), now, now, kiosk=self.settings.kiosk)
        self._sessions[_digest(token)] = session
        self._forget_visitors(now)
        return token, session

    def _forget_visitors(self, now: float) -> None:
        visitors = [k for k, s in self._sessions.items() if s.user_id is None]
        stale = [k for k in visitors if now - self._sessions[k].seen > ANONYMOUS_IDLE_S]
        stale += visitors[: max(0, len(visitors) - ANONYMOUS_LIMIT)]
        for key in stale:
            self._sessions.pop(key, None)

    def session(self, token: str | None) -> Session | None:
        """The live session behind a cookie, or None (unknown, signed out, idle or too old)."""
        if not token:
            return None
        key = _digest(token)
        session = self._sessions.get(key)
        if session is None:
            return None
        now = self.monotonic()
        idle = self.idle_s if session.user_id is not None else ANONYMOUS_IDLE_S
        too_old = now - session.created > self.settings.absolute.total_seconds()
        if now - session.seen > idle or too_old:
            del self._sessions[key]
            return None
        return session

    def touch(self, session: Session) -> None:
        """The person did something (not a background poll): the idle clock starts again."""
        session.seen = self.monotonic()

    def sign_out(self, token: str | None) -> None:
        if token:
            self._sessions.pop(_digest(token), None)

    def _signed_in(self, old_token: str | None, user_id: int) -> str:
        """A fresh session id at sign-in, so an id known before it (fixation) is worth nothing."""
        self.sign_out(old_token)
        token, session = self.new_session()
        session.user_id = user_id
        return token

    def sessions_of(self, user_id: int) -> int:
        return sum(1 for s in self._sessions.values() if s.user_id == user_id)

    @staticmethod
    def csrf_ok(session: Session, given: str | None) -> bool:
        return bool(given) and hmac.compare_digest(session.csrf, given or "")

    # -- reference and PIN -----------------------------------------------------------------

    async def pin_sign_in(self, token: str | None, raw_reference: str, pin: str) -> str:
        """A new session token for the right reference and PIN; Refused otherwise."""
        reference = normalise_reference(raw_reference)
        account = self.store.account(reference=reference) if reference else None
        now = int(self.wall_clock())
        if account is not None and account.locked_until > now:
            raise Refused("locked", 429, minutes=_minutes(account.locked_until - now))
        if account is None or account.pin_hash is None:
            await _verify_nothing(pin)  # the same time as a real check: no telling who exists
            raise Refused("wrong_pin", 401)
        right = await _verify(account.pin_hash, pin)
        # Guesses sent all at once pass the first check together: the lock that others caused
        # while this one waited its turn for argon2 holds, for a wrong PIN and the right one.
        latest = self.store.account(user_id=account.user_id) or account
        now = int(self.wall_clock())
        if latest.locked_until > now:
            raise Refused("locked", 429, minutes=_minutes(latest.locked_until - now))
        if not right:
            lock_until = now + int(self.settings.pin_lockout.total_seconds())
            if self.store.record_pin_failure(
                account.user_id, self.settings.pin_max_failures, lock_until
            ):
                log.warning("in-cell: %s locked after wrong PINs", account.reference)
                raise Refused("locked", 429, minutes=_minutes(lock_until - now))
            raise Refused("wrong_pin", 401)
        if latest.failures:
            self.store.clear_pin_failures(account.user_id)
        return self._signed_in(token, account.user_id)

    async def pin_join(self, token: str | None, code: str, pin: str) -> tuple[str, str]:
        """Joining with an invite code and a new PIN: (session token, the person's reference)."""
        _check_pin(pin)
        self._joining()
        user_id = self.store.new_user_id(FIRST_USER_ID)
        linked = await self.council.join(user_id, code)
        reference = self._linked(linked, user_id)
        self.store.save_account(Account(user_id, reference=reference, pin_hash=await _hash(pin)))
        if self.on_joined is not None:
            await self.on_joined(user_id)
        return self._signed_in(token, user_id), reference

    async def pin_reset(self, token: str | None, raw_reference: str, code: str, pin: str) -> str:
        """A new invite code from staff for this person lets them choose a new PIN."""
        _check_pin(pin)
        reference = normalise_reference(raw_reference)
        account = self.store.account(reference=reference) if reference else None
        if account is None:
            raise Refused("bad_code", 400)
        linked = await self.council.reset(account.user_id, code)
        if linked.result == "locked":
            raise Refused("code_locked", 429)
        if linked.result != "reset":
            raise Refused("bad_code", 400)
        account.pin_hash = await _hash(pin)
        account.failures, account.locked_until = 0, 0
        self.store.save_account(account)
        log.info("in-cell: PIN reset for %s with a new invite code", account.reference)
        return self._signed_in(token, account.user_id)

    def _joining(self) -> None:
        now = self.monotonic()
        self._join_failures = [t for t in self._join_failures if now - t < JOIN_FAILURE_WINDOW_S]
        if len(self._join_failures) >= JOIN_FAILURES_PER_WINDOW:
            raise Refused("code_locked", 429)

    def _linked(self, linked: Linked, user_id: int) -> str:
        if linked.result == "locked":
            raise Refused("code_locked", 429)
        if linked.result != "joined" or linked.reference is None:
            self._join_failures.append(self.monotonic())
            raise Refused("bad_code", 400)
        self.store.add_persona(
            Persona(user_id, linked.reference, linked.role_label, linked.language)
        )
        return linked.reference

    # -- OpenID Connect --------------------------------------------------------------------

    def oidc(self) -> OidcClient:
        if self._oidc is None:
            self._oidc = OidcClient(self.settings)
        client: OidcClient = self._oidc
        return client

    async def oidc_start(self, redirect_uri: str) -> tuple[str, str]:
        """(the provider's authorization URL, the browser's binding cookie value)."""
        self._forget_logins()
        state = secrets.token_urlsafe(24)
        binding = secrets.token_urlsafe(24)
        pending = _PendingLogin(
            nonce=secrets.token_urlsafe(24),
            code_verifier=secrets.token_urlsafe(48),
            binding=_digest(binding),
            started=self.monotonic(),
        )
        self._pending[state] = pending
        url = await self.oidc().authorization_url(
            redirect_uri, state, pending.nonce, pending.code_verifier
        )
        return url, binding

    def _forget_logins(self) -> None:
        now = self.monotonic()
        for state in [s for s, p in self._pending.items() if now - p.started > PENDING_LOGIN_S]:
            del self._pending[state]
        wall = self.wall_clock()
        for nonce in [n for n, until in self._used_nonces.items() if until < wall]:
            del self._used_nonces[nonce]

    async def oidc_finish(
        self, token: str | None, binding: str | None, state: str, code: str, redirect_uri: str
    ) -> tuple[str, bool]:
        """(a session token, whether the person is signed in) after the provider's redirect.
        Not signed in yet means: a first sign-in, the invite code comes next."""
        pending = self._pending.pop(state, None)  # one use, whatever happens next
        if pending is None or not hmac.compare_digest(pending.binding, _digest(binding or "")):
            raise Refused("signin_expired", 400)
        if self.monotonic() - pending.started > PENDING_LOGIN_S:
            raise Refused("signin_expired", 400)
        claims = await self.oidc().exchange(code, redirect_uri, pending.code_verifier)
        nonce = str(claims.get("nonce") or "")
        if not hmac.compare_digest(nonce, pending.nonce) or nonce in self._used_nonces:
            raise Refused("signin_refused", 401)
        self._used_nonces[nonce] = float(claims.get("exp") or 0) + 300
        issuer, subject = str(claims["iss"]), str(claims["sub"])
        account = self.store.account_for_subject(issuer, subject)
        if account is not None:
            return self._signed_in(token, account.user_id), True
        fresh, session = self.new_session()
        self.sign_out(token)
        session.pending_subject = (issuer, subject)
        return fresh, False

    async def oidc_link(self, session: Session, code: str) -> None:
        """The first sign-in's invite code: links the provider's subject to the council."""
        if session.pending_subject is None:
            raise Refused("signin_expired", 400)
        issuer, subject = session.pending_subject
        existing = self.store.account_for_subject(issuer, subject)
        if existing is not None:  # two tabs linking at once: the first one won
            session.user_id, session.pending_subject = existing.user_id, None
            return
        self._joining()
        user_id = self.store.new_user_id(FIRST_USER_ID)
        linked = await self.council.join(user_id, code)
        reference = self._linked(linked, user_id)
        self.store.save_account(
            Account(user_id, reference=reference, issuer=issuer, subject=subject)
        )
        session.user_id, session.pending_subject = user_id, None
        if self.on_joined is not None:
            await self.on_joined(user_id)


def _minutes(seconds: int) -> int:
    return max(1, (seconds + 59) // 60)


def _check_pin(pin: str) -> None:
    if not _PIN_RE.fullmatch(pin):
        raise Refused("pin_shape", 400, min=PIN_MIN_DIGITS)
    if is_common_pin(pin):
        raise Refused("pin_common", 400)


# Argon2 takes tens of milliseconds of CPU and 64 MiB on purpose: off the event loop, in a
# thread, and two at a time at most, so a crowd signing in at 8 a.m. (or a flood of guesses)
# queues instead of taking all the memory.
_ARGON2_SLOTS = threading.BoundedSemaphore(2)
_T = TypeVar("_T")


def _argon2(work: Callable[[], _T]) -> _T:
    with _ARGON2_SLOTS:
        return work()


async def _hash(pin: str) -> str:
    return await asyncio.to_thread(_argon2, lambda: _hasher.hash(pin))


async def _verify(pin_hash: str, pin: str) -> bool:
    def check() -> bool:
        try:
            return _hasher.verify(pin_hash, pin)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(_argon2, check)


_DUMMY_HASH: str | None = None


async def _verify_nothing(pin: str) -> None:
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = await _hash(secrets.token_hex(8))
    await _verify(_DUMMY_HASH, pin)


# --------------------------------------------------------------------------- OpenID Connect


class OidcClient:
    """Authlib's OAuth 2 client (authorization code + PKCE S256) against the provider's
    discovery document; the ID token checked with the provider's JWKS (joserfc, Authlib's own
    JOSE library) and Authlib's ID token claim rules."""

    def __init__(self, settings: InCell) -> None:
        self.settings = settings
        self._discovery: dict[str, Any] | None = None
        self._jwks: dict[str, Any] | None = None

    def _client(self, redirect_uri: str) -> Any:
        import os

        import authlib.deprecate  # noqa: F401  (installs Authlib's own filter before ours)

        with warnings.catch_warnings():
            # Authlib 1.x warns that its httpx integration will move; the API used here stays.
            warnings.simplefilter("ignore")
            from authlib.integrations.httpx_client import AsyncOAuth2Client

        return AsyncOAuth2Client(
            client_id=self.settings.oidc_client_id,
            client_secret=os.environ.get(self.settings.oidc_client_secret_env) or None,
            scope=self.settings.oidc_scopes,
            redirect_uri=redirect_uri,
            code_challenge_method="S256",
            timeout=10.0,
            token_endpoint_auth_method=(
                "client_secret_basic"
                if os.environ.get(self.settings.oidc_client_secret_env)
                else "none"
            ),
        )

    async def discovery(self, *, fresh: bool = False) -> dict[str, Any]:
        if self._discovery is None or fresh:
            import httpx

            url = self.settings.oidc_issuer.rstrip("/") + "/.well-known/openid-configuration"
            async with httpx.AsyncClient(timeout=10.0) as http:
                response = await http.get(url)
                response.raise_for_status()
                found = response.json()
                if found.get("issuer") != self.settings.oidc_issuer:
                    raise Refused("signin_refused", 502)
                jwks = await http.get(found["jwks_uri"])
                jwks.raise_for_status()
            self._discovery, self._jwks = found, jwks.json()
        assert self._discovery is not None
        return self._discovery

    async def authorization_url(
        self, redirect_uri: str, state: str, nonce: str, code_verifier: str
    ) -> str:
        found = await self.discovery()
        client = self._client(redirect_uri)
        try:
            extra = {"prompt": "login"} if self.settings.kiosk else {}
            url, _ = client.create_authorization_url(
                found["authorization_endpoint"],
                state=state,
                nonce=nonce,
                code_verifier=code_verifier,
                # A shared kiosk: the provider asks again, never reusing the last person's login.
                **extra,
            )
        finally:
            await client.aclose()
        return str(url)

    async def exchange(self, code: str, redirect_uri: str, code_verifier: str) -> dict[str, Any]:
        found = await self.discovery()
        client = self._client(redirect_uri)
        try:
            token = await client.fetch_token(
                found["token_endpoint"], code=code, code_verifier=code_verifier
            )
        except Exception as error:
            log.warning("in-cell: the provider refused the code (%s)", type(error).__name__)
            raise Refused("signin_refused", 401) from None
        finally:
            await client.aclose()
        id_token = token.get("id_token")
        if not isinstance(id_token, str):
            raise Refused("signin_refused", 401)
        try:
            return self.check_id_token(id_token)
        except Refused as refused:
            if refused.reason != "signin_refused":
                raise
        # The provider may have rotated its keys since they were read: read them again, once.
        await self.discovery(fresh=True)
        return self.check_id_token(id_token)

    def check_id_token(self, id_token: str) -> dict[str, Any]:
        from authlib.oidc.core import CodeIDToken
        from joserfc import jwt
        from joserfc.jwk import KeySet

        assert self._jwks is not None
        try:
            keys = KeySet.import_key_set(self._jwks)  # type: ignore[arg-type]
            decoded = jwt.decode(id_token, keys, algorithms=["RS256", "ES256"])
            claims = CodeIDToken(
                dict(decoded.claims),
                dict(decoded.header),
                options={
                    "iss": {"essential": True, "value": self.settings.oidc_issuer},
                    "aud": {"essential": True, "value": self.settings.oidc_client_id},
                    "exp": {"essential": True},
                    "sub": {"essential": True},
                    "nonce": {"essential": True},
                },
                params={"client_id": self.settings.oidc_client_id},
            )
            claims.validate(leeway=30)
        except Exception as error:  # any flaw at all: bad signature, audience, expiry, shape
            log.warning("in-cell: ID token refused (%s)", type(error).__name__)
            raise Refused("signin_refused", 401) from None
        establishment = claims.get(self.settings.oidc_establishment_claim)
        if establishment != self.settings.oidc_establishment:
            raise Refused("other_establishment", 403)
        return dict(claims)
