"""Sign-in on the in-cell channel: joining with an invite code, and a PIN reset that staff allow
only by issuing a new invite code for that person (docs/INCELL.md). No PIN is ever seen here:
the channel keeps PIN hashes in its own file; the council only says who the code belongs to."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import assert_never

from bot.config import Settings
from bot.council import access, audit
from bot.council.clock import Clock
from storage import invites as invite_store
from storage import people
from storage.db import Tx


class SignIn(enum.StrEnum):
    """What came of a code typed on the in-cell sign-in page (the values are what the page's
    gate, bot/local/signin.py, reads)."""

    JOINED = "joined"
    RESET = "reset"
    BAD_CODE = "bad_code"
    LOCKED = "locked"
    NOT_MEMBER = "not_member"


@dataclass(frozen=True)
class SignInOutcome:
    result: SignIn
    reference: str | None = None  # the person's reference (P-0042), what they type to sign in
    language: str = "en"
    role: str = ""
    wing: str | None = None


def channel_name(settings: Settings) -> str:
    """The channel whose user ids the in-cell page hands out: the configured `incell` channel,
    or (one channel, the local page standing in for it) the first one."""
    channels = settings.all_channels()
    return next((c.name for c in channels if c.kind == "incell"), channels[0].name)


async def join(
    tx: Tx, clock: Clock, settings: Settings, *, tg_user_id: int, raw_code: str
) -> SignInOutcome:
    """The invite code links this channel user to a new council identity, as /start CODE does.
    tg_user_id is the user's id on the in-cell channel (the name is kept for older callers)."""
    outcome = await access.redeem(
        tx,
        clock,
        settings,
        tg_user_id=tg_user_id,
        raw_code=raw_code,
        channel=channel_name(settings),
    )
    match outcome.result:
        case access.Redeemed.LOCKED:
            return SignInOutcome(SignIn.LOCKED)
        case access.Redeemed.BAD_CODE | access.Redeemed.PAUSED | access.Redeemed.WRONG_CHANNEL:
            return SignInOutcome(SignIn.BAD_CODE)
        case access.Redeemed.JOINED | access.Redeemed.LINKED | access.Redeemed.ALREADY_MEMBER:
            pass
        case _:
            assert_never(outcome.result)
    person = outcome.person
    assert person is not None, "joined, linked or a member already"
    if outcome.result is not access.Redeemed.ALREADY_MEMBER:
        await audit.record(
            tx,
            clock,
            actor_id=person.id,
            actor_role=person.role,
            action="person.join",
            subject=access.person_ref(person.id),
            detail={"channel": "incell"},
        )
    return SignInOutcome(
        SignIn.JOINED, access.person_ref(person.id), person.language, person.role, person.wing
    )


async def reference(tx: Tx, settings: Settings, tg_user_id: int) -> str | None:
    person = await people.by_identity(tx, channel_name(settings), tg_user_id)
    if person is None or person.status != "active":
        return None
    return access.person_ref(person.id)


async def reset_pin(
    tx: Tx, clock: Clock, settings: Settings, *, tg_user_id: int, raw_code: str
) -> SignInOutcome:
    """A new, unused invite code of the person's own role (and wing) lets them set a new PIN.
    The code is used up; wrong codes count towards the same lockout as joining."""
    now = clock.now()
    channel = channel_name(settings)
    if await access.lockout_until(tx, clock, tg_user_id, channel) is not None:
        return SignInOutcome(SignIn.LOCKED)
    person = await people.by_identity(tx, channel, tg_user_id)
    if person is None or person.status != "active":
        return SignInOutcome(SignIn.NOT_MEMBER)
    code = access.normalise_code(raw_code)
    invite = None
    if access.looks_like_code(code):
        invite = await invite_store.by_hash(tx, await access._code_hash(tx, code))
    fits = (
        invite is not None
        and invite.used_at is None
        and invite.expires_at > now
        and invite.role == person.role
        and invite.wing == person.wing
    )
    if invite is None or not fits:
        await invite_store.record_failure(tx, tg_user_id, now, channel)
        since = now - settings.invites.failure_window
        if (
            await invite_store.failures_since(tx, tg_user_id, since, channel)
            >= settings.invites.max_failures
        ):
            await invite_store.lock(tx, tg_user_id, now + settings.invites.lockout, channel)
            return SignInOutcome(SignIn.LOCKED)
        return SignInOutcome(SignIn.BAD_CODE)
    await invite_store.mark_used(tx, invite.id, person.id, now)
    await invite_store.clear_failures(tx, tg_user_id, channel)
    # The staff member who issued the code is named by invite.create; this line ties the two.
    await audit.record(
        tx,
        clock,
        actor_id=person.id,
        actor_role=person.role,
        action="signin.pin_reset",
        subject=access.person_ref(person.id),
        detail={"invite": invite.id},
    )
    return SignInOutcome(SignIn.RESET, access.person_ref(person.id), person.language)
