"""OpenID Connect sign-in against a provider double on 127.0.0.1: the first sign-in links the
provider's subject with an invite code once, later ones are one tap; a forged, expired, replayed,
misaddressed or other establishment's ID token is refused, and nothing is stored."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.fakes.oidc import CLIENT_ID, ESTABLISHMENT, OidcProvider
from tests.support.incell import Browser, InCellRig, start_incell


@pytest.fixture
async def provider() -> AsyncIterator[OidcProvider]:
    started = OidcProvider()
    await started.start()
    try:
        yield started
    finally:
        await started.close()


@pytest.fixture
async def rig(tmp_path: Path, provider: OidcProvider) -> AsyncIterator[InCellRig]:
    async with start_incell(
        tmp_path,
        signin="oidc",
        oidc_issuer=provider.issuer,
        oidc_client_id=CLIENT_ID,
        oidc_establishment=ESTABLISHMENT,
    ) as started:
        yield started


async def round_trip(browser: Browser) -> str:
    """Tap "Sign in", let the provider sign in whoever it has, come back; where the page lands."""
    await browser.open()
    start = await browser.client.get("/signin/oidc")
    assert start.status_code == 302, start.text
    authorize = start.headers["location"]
    async with httpx.AsyncClient() as outside:  # the provider, on its own origin
        answer = await outside.get(authorize)
    assert answer.status_code == 302, answer.text
    back = urlsplit(answer.headers["location"])
    landed = await browser.client.get(f"{back.path}?{back.query}")
    assert landed.status_code == 302
    return str(landed.headers["location"])


async def test_first_sign_in_links_with_an_invite_code_then_one_tap(
    rig: InCellRig, provider: OidcProvider
) -> None:
    page = rig.browser()
    assert await round_trip(page) == "/"
    session = await page.open()
    assert session["signed_in"] is False and session["linking"] is True
    # Until the invite code links them, the signed-in subject reaches no chat.
    assert (await page.client.get("/api/state")).status_code == 401
    wrong = await page.post("/api/signin/link", {"code": "ABCDEFGHJKMN"})
    assert wrong.status_code == 400 and wrong.json()["error"] == "bad_code"
    linked = await page.post("/api/signin/link", {"code": await rig.invite()})
    assert linked.status_code == 200, linked.text
    me = await page.me()
    account = rig.channel.store.account(user_id=me)
    assert account is not None
    assert (account.issuer, account.subject) == (provider.issuer, provider.subject)
    assert account.pin_hash is None

    # Next time, on another device: one tap, the same chat, no code.
    other = rig.browser()
    assert await round_trip(other) == "/"
    assert await other.me() == me
    await page.close()
    await other.close()


@pytest.mark.parametrize(
    ("flaw", "problem"),
    [
        ("signature", "signin_refused"),
        ("audience", "signin_refused"),
        ("expired", "signin_refused"),
        ("nonce", "signin_refused"),
        ("issuer", "signin_refused"),
        ("establishment", "other_establishment"),
    ],
)
async def test_bad_id_tokens_are_refused_and_nothing_is_stored(
    rig: InCellRig, provider: OidcProvider, flaw: str, problem: str
) -> None:
    if flaw == "establishment":
        provider.establishment = "HMP-ELSEWHERE"
    else:
        provider.flaw = flaw
    page = rig.browser()
    assert await round_trip(page) == f"/?problem={problem}"
    session = await page.open()
    assert session["signed_in"] is False and session["linking"] is False
    assert rig.channel.store.personas() == []
    assert provider.token_requests == 1
    await page.close()


async def test_a_replayed_id_token_is_refused(rig: InCellRig, provider: OidcProvider) -> None:
    first = rig.browser()
    assert await round_trip(first) == "/"
    provider.flaw = "replay"  # the provider's answer to the next code is the old ID token
    thief = rig.browser()
    assert await round_trip(thief) == "/?problem=signin_refused"
    assert (await thief.open())["linking"] is False
    await first.close()
    await thief.close()


async def test_a_callback_without_its_own_browser_is_refused(rig: InCellRig) -> None:
    # The provider's redirect replayed from another browser: no binding cookie, refused.
    page = rig.browser()
    await page.open()
    start = await page.client.get("/signin/oidc")
    async with httpx.AsyncClient() as outside:
        answer = await outside.get(start.headers["location"])
    back = urlsplit(answer.headers["location"])
    other = rig.browser()
    await other.open()
    landed = await other.client.get(f"{back.path}?{back.query}")
    assert landed.headers["location"] == "/?problem=signin_expired"
    # And the state is used up: the right browser cannot use it afterwards either.
    again = await page.client.get(f"{back.path}?{back.query}")
    assert again.headers["location"] == "/?problem=signin_expired"
    await page.close()
    await other.close()


async def test_new_provider_keys_are_read_when_they_appear(
    rig: InCellRig, provider: OidcProvider
) -> None:
    first = rig.browser()
    assert await round_trip(first) == "/"
    provider.rotate_keys()
    second = rig.browser()
    assert await round_trip(second) == "/"  # not "signin_refused": the JWKS was read again
    assert (await second.open())["linking"] is True
    await first.close()
    await second.close()


async def test_a_kiosk_makes_the_provider_ask_again(tmp_path: Path, provider: OidcProvider) -> None:
    async with start_incell(
        tmp_path,
        signin="oidc",
        kiosk=True,
        oidc_issuer=provider.issuer,
        oidc_client_id=CLIENT_ID,
        oidc_establishment=ESTABLISHMENT,
    ) as rig:
        page = rig.browser()
        await page.open()
        start = await page.client.get("/signin/oidc")
        query = parse_qs(urlsplit(start.headers["location"]).query)
        # Never the last person's login at the provider on a shared screen.
        assert query["prompt"] == ["login"]
        assert query["code_challenge_method"] == ["S256"] and query["nonce"][0]
        await page.close()
