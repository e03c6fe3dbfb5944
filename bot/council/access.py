"""Roles, invites, lockout and revocation. Codes are random, single use, expiring, and stored
only as a keyed hash; guessing is locked out, and the lockout is stored so a restart keeps it."""

from __future__ import annotations

import enum
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.config import Settings
from bot.council import audit, notices, roles
from bot.council.clock import Clock
from bot.council.flows import Draft, Flow
from bot.council.roles import NotAllowed
from storage import conversation as conversation_store
from storage import invites as invite_store
from storage import people
from storage import safety as safety_store
from storage.db import Tx
from storage.people import PersonRow as Person

__all__ = ["Person"]

# No look-alikes: no 0/O, 1/I/L, so a code read aloud or copied from paper is typed right.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 12
_CODE_SHAPE = re.compile(rf"^[{CODE_ALPHABET}]{{{CODE_LENGTH}}}$")


def person_ref(person_id: int) -> str:
    return f"P-{person_id:04d}"


def parse_person_ref(text: str) -> int | None:
    match = re.fullmatch(r"\s*[Pp]-?(\d{1,9})\s*", text)
    return int(match.group(1)) if match else None


def normalise_code(raw: str) -> str:
    return re.sub(r"[\s-]", "", raw).upper()


def looks_like_code(raw: str) -> bool:
    return bool(_CODE_SHAPE.match(normalise_code(raw)))


async def _code_hash(tx: Tx, code: str) -> str:
    pepper = await invite_store.secret(tx, "invite_pepper", secrets.token_hex(32))
    return hmac.new(pepper.encode(), code.encode(), hashlib.sha256).hexdigest()


class InviteStep(enum.StrEnum):
    LABEL = "label"  # a name or note for staff to recognise the invite by (or skipped)
    CHANNEL = "channel"  # with several channels: the one the code is used on (or any)


@dataclass(frozen=True)
class Inviting(Draft):
    """/invite in progress: the role picked, its wing, then the label."""

    role: str = ""
    wing: str | None = None
    label: str | None = None


INVITE = Flow("invite", InviteStep, Inviting)


@dataclass(frozen=True)
class NewInvite:
    code: str
    role: str
    wing: str | None
    expires_at: datetime
    channel: str | None = None  # None: any channel


class InviteCheck(enum.StrEnum):
    """Whether an invite for this role (wing, channel) may be made by the actor."""

    MAY = "may"
    NOT_ALLOWED = "not_allowed"  # the actor's role may not invite this role
    NO_WING = "no_wing"  # a member or chair invite needs a configured wing
    WRONG_CHANNEL = "wrong_channel"  # no such channel, or it does not admit the role


def invite_check(
    settings: Settings, actor: Person, role: str, wing: str | None, channel: str | None
) -> InviteCheck:
    if not roles.may_invite(actor.role, role):
        return InviteCheck.NOT_ALLOWED
    if role in roles.WINGED and (wing is None or settings.wing(wing) is None):
        return InviteCheck.NO_WING
    if channel is not None:
        found = settings.channel(channel)
        if found is None or role not in found.roles:
            return InviteCheck.WRONG_CHANNEL
    return InviteCheck.MAY


async def create_invite(
    tx: Tx,
    clock: Clock,
    settings: Settings,
    *,
    actor: Person,
    role: str,
    wing: str | None,
    label: str | None,
    safer_custody: bool = False,
    channel: str | None = None,
) -> NewInvite:
    """An invite for a role, to be used on one channel (None: any channel that admits the role).
    Handlers ask invite_check first; the server console (python -m bot invite) gets the refusal
    as an exception it prints."""
    match invite_check(settings, actor, role, wing, channel):
        case InviteCheck.MAY:
            pass
        case InviteCheck.NOT_ALLOWED:
            raise NotAllowed(f"{actor.role} may not invite {role}")
        case InviteCheck.NO_WING:
            raise ValueError("a member or chair invite needs a configured wing")
        case InviteCheck.WRONG_CHANNEL:
            raise ValueError(f"the channel {channel} does not admit {role}")
    now = clock.now()
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    expires = now + settings.invites.expiry
    invite_id = await invite_store.add(
        tx,
        code_hash=await _code_hash(tx, code),
        role=role,
        wing=wing if role in roles.WINGED else None,
        label=label,
        # Id 0 is the server console (python -m bot invite), which is nobody in the person table.
        created_by=actor.id or None,
        now=now,
        expires_at=expires,
        channel=channel,
    )
    if safer_custody:
        # Whoever redeems it becomes a safer-custody contact (staff and admins only).
        if role not in ("staff", "admin"):
            raise ValueError("only staff and admins can be safer-custody contacts")
        await safety_store.mark_invite(tx, invite_id)
    # The audit line names the invite by its row id, never by the code.
    await audit.record(
        tx,
        clock,
        actor_id=actor.id or None,
        actor_role=actor.role,
        action="invite.create",
        subject=f"invite:{invite_id}",
        # Never the label: it names a person, and the audit log can never be cleaned of it.
        detail={"role": role, "wing": wing, "labelled": label is not None, "channel": channel}
        | ({"safer_custody": True} if safer_custody else {}),
    )
    return NewInvite(code, role, wing, expires, channel)


async def create_link(
    tx: Tx,
    clock: Clock,
    settings: Settings,
    *,
    actor: Person,
    person_id: int,
    channel: str | None,
) -> NewInvite:
    """A one-time code that gives an existing person one more identity: used on another channel,
    it joins that identity to the same council record (a member released on licence who moves to
    Telegram keeps their record). Staff decide this, so the channel's roles do not limit it.
    Handlers ask link_check first; the server console gets the refusal as an exception."""
    check, target = await link_check(tx, actor=actor, person_id=person_id)
    match check:
        case LinkCheck.MAY:
            assert target is not None
        case LinkCheck.UNKNOWN:
            raise ValueError("no active person with that reference")
        case LinkCheck.NOT_ALLOWED:
            assert target is not None
            raise NotAllowed(f"{actor.role} may not link {target.role}")
    if channel is not None and settings.channel(channel) is None:
        raise ValueError(f"there is no channel {channel}")
    now = clock.now()
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    expires = now + settings.invites.expiry
    invite_id = await invite_store.add(
        tx,
        code_hash=await _code_hash(tx, code),
        role=target.role,
        wing=target.wing,
        label=None,
        created_by=actor.id or None,
        now=now,
        expires_at=expires,
        channel=channel,
        person_id=target.id,
    )
    await audit.record(
        tx,
        clock,
        actor_id=actor.id or None,
        actor_role=actor.role,
        action="identity.link_code",
        subject=person_ref(target.id),
        detail={"invite": invite_id, "channel": channel},
    )
    return NewInvite(code, target.role, target.wing, expires, channel)


class Redeemed(enum.StrEnum):
    """What came of an attempt to join."""

    JOINED = "joined"
    LINKED = "linked"  # a link code: this identity joined an existing person
    ALREADY_MEMBER = "already_member"
    BAD_CODE = "bad_code"
    LOCKED = "locked"  # too many wrong codes from this identity
    # Too many wrong codes across the establishment: code entry paused for everyone new.
    PAUSED = "paused"
    # The code is good but meant for another channel, or its role does not join on this one.
    WRONG_CHANNEL = "wrong_channel"


@dataclass(frozen=True)
class Redemption:
    result: Redeemed
    person: Person | None = None  # joined, linked or already a member
    until: datetime | None = None  # locked or paused until


async def lockout_until(
    tx: Tx, clock: Clock, tg_user_id: int, channel: str = people.TELEGRAM
) -> datetime | None:
    until = await invite_store.locked_until(tx, tg_user_id, channel)
    if until is None:
        return None
    return until if until > clock.now() else None


async def redeem(
    tx: Tx,
    clock: Clock,
    settings: Settings,
    *,
    tg_user_id: int,
    raw_code: str,
    channel: str = people.TELEGRAM,
) -> Redemption:
    """tg_user_id is the user's id on `channel` (the name is kept for older callers)."""
    now = clock.now()
    locked = await lockout_until(tx, clock, tg_user_id, channel)
    if locked is not None:
        return Redemption(Redeemed.LOCKED, until=locked)
    existing = await people.by_identity(tx, channel, tg_user_id)
    if existing is not None and existing.status == "active":
        return Redemption(Redeemed.ALREADY_MEMBER, existing)
    paused = await safety_store.pause_until(tx)
    if paused is not None and paused > now:
        return Redemption(Redeemed.PAUSED, until=paused)

    code = normalise_code(raw_code)
    invite = None
    if _CODE_SHAPE.match(code):
        invite = await invite_store.by_hash(tx, await _code_hash(tx, code))
    if invite is None or invite.used_at is not None or invite.expires_at <= now:
        await invite_store.record_failure(tx, tg_user_id, now, channel)
        paused_until = await _establishment_budget(tx, clock, settings)
        if paused_until is not None:
            return Redemption(Redeemed.PAUSED, until=paused_until)
        window_start = now - settings.invites.failure_window
        if (
            await invite_store.failures_since(tx, tg_user_id, window_start, channel)
            >= settings.invites.max_failures
        ):
            until = now + settings.invites.lockout
            await invite_store.lock(tx, tg_user_id, until, channel)
            return Redemption(Redeemed.LOCKED, until=until)
        return Redemption(Redeemed.BAD_CODE)
    here = settings.channel(channel)
    if invite.channel is not None and invite.channel != channel:
        # A real code on the wrong channel: not a guess, so it counts no failure and stays good.
        return Redemption(Redeemed.WRONG_CHANNEL)
    if invite.person_id is None and (here is None or invite.role not in here.roles):
        return Redemption(Redeemed.WRONG_CHANNEL)

    if invite.person_id is not None:
        target = await people.by_id(tx, invite.person_id)
        if target is None or target.status != "active":
            return Redemption(Redeemed.BAD_CODE)
        if existing is not None:
            # This identity belonged to someone who left or was revoked: it cannot be moved.
            return Redemption(Redeemed.BAD_CODE)
        await people.add_identity(tx, target.id, channel, tg_user_id, now)
        person_id = target.id
        await audit.record(
            tx,
            clock,
            actor_id=person_id,
            actor_role=target.role,
            action="identity.linked",
            subject=person_ref(person_id),
            detail={"channel": channel},
        )
    else:
        person_id = await people.upsert_member(
            tx,
            tg_user_id=tg_user_id,
            role=invite.role,
            wing=invite.wing,
            label=invite.label,
            language=settings.establishment.default_language,
            now=now,
            channel=channel,
        )
    if not await invite_store.mark_used(tx, invite.id, person_id, now):
        raise RuntimeError(
            "invite used twice in one transaction"
        )  # the lock makes this unreachable
    await invite_store.clear_failures(tx, tg_user_id, channel)
    await conversation_store.clear(tx, person_id)
    if await safety_store.invite_makes_contact(tx, invite.id):
        await safety_store.add_contact(tx, person_id, None, now)
        await audit.record(
            tx,
            clock,
            actor_id=person_id,
            actor_role=invite.role,
            action="safeguarding.contact_added",
            subject=person_ref(person_id),
            detail={"by_invite": invite.id},
        )
    person = await people.by_id(tx, person_id)
    assert person is not None
    return Redemption(Redeemed.LINKED if invite.person_id is not None else Redeemed.JOINED, person)


async def _establishment_budget(tx: Tx, clock: Clock, settings: Settings) -> datetime | None:
    """Wrong codes from everyone in the last hour. Past [invites] establishment_max_failures,
    code entry pauses for everyone new, and the admins get one alert for the pause. A guesser
    with many accounts gets no more tries than the budget, whatever each account's limit."""
    now = clock.now()
    failures = await safety_store.failures_since(tx, now - timedelta(hours=1))
    if failures < settings.invites.establishment_max_failures:
        return None
    until = now + settings.invites.establishment_pause
    if await safety_store.pause(tx, until, now):
        for admin in await safety_store.admins(tx):
            await notices.notify(
                tx,
                clock,
                # One alert per pause and admin: the moment it started names the pause.
                key=f"invites:paused:{now.astimezone(UTC).isoformat()}:{admin.id}",
                person=admin,
                message="safety.invites_paused",
                params={"until": notices.when(until), "count": failures},
                urgent=True,
            )
        await audit.record(
            tx,
            clock,
            actor_id=None,
            actor_role=None,
            action="invites.paused",
            subject="invites",
            detail={"failures": failures, "until": until},
        )
    return until


async def admit_configured_admin(
    tx: Tx, clock: Clock, settings: Settings, tg_user_id: int, channel: str = people.TELEGRAM
) -> Person | None:
    """The first admins are named in config (as identities on a channel) and need no code."""
    if not settings.is_configured_admin(channel, tg_user_id):
        return None
    existing = await people.by_identity(tx, channel, tg_user_id)
    if existing is not None and existing.status == "active" and existing.role == roles.ADMIN:
        return existing
    now = clock.now()
    person_id = await people.upsert_member(
        tx,
        tg_user_id=tg_user_id,
        role=roles.ADMIN,
        wing=None,
        label="configured admin",
        language=settings.establishment.default_language,
        now=now,
        channel=channel,
    )
    await audit.record(
        tx,
        clock,
        actor_id=person_id,
        actor_role=roles.ADMIN,
        action="admin.admitted_from_config",
        subject=person_ref(person_id),
    )
    return await people.by_id(tx, person_id)


async def load(tx: Tx, tg_user_id: int, channel: str = people.TELEGRAM) -> Person | None:
    """The person behind a user on a channel, or None for a stranger (revoked and departed
    included)."""
    person = await people.by_identity(tx, channel, tg_user_id)
    if person is None or person.status != "active":
        return None
    return person


async def choose_language(tx: Tx, clock: Clock, person: Person, language: str) -> Person:
    await people.set_language(tx, person.id, language, clock.now())
    updated = await people.by_id(tx, person.id)
    assert updated is not None
    return updated


class Revoked(enum.StrEnum):
    """What came of a press on "remove"."""

    REVOKED = "revoked"
    UNKNOWN = "unknown"
    SELF = "self"
    NOT_ALLOWED = "not_allowed"
    ALREADY = "already"


@dataclass(frozen=True)
class Revocation:
    done: bool
    target: Person | None
    reason: Revoked


async def revoke(tx: Tx, clock: Clock, *, actor: Person, target_id: int) -> Revocation:
    target = await people.by_id(tx, target_id)
    if target is None:
        return Revocation(False, None, Revoked.UNKNOWN)
    if target.id == actor.id:
        return Revocation(False, target, Revoked.SELF)
    if not roles.may_revoke(actor.role, target.role):
        return Revocation(False, target, Revoked.NOT_ALLOWED)
    if target.status != "active":
        return Revocation(False, target, Revoked.ALREADY)
    await people.set_status(tx, target.id, "revoked", clock.now())
    await conversation_store.clear(tx, target.id)
    # An office holder's seat empties: staff are prompted to hold a by-election (issue 16).
    from bot.council import elections  # here, not at the top: elections imports this module

    await elections.seat_vacated(tx, clock, target.id, "revoked")
    await audit.record(
        tx,
        clock,
        actor_id=actor.id,
        actor_role=actor.role,
        action="person.revoke",
        subject=person_ref(target.id),
        detail={"role": target.role},
    )
    return Revocation(True, target, Revoked.REVOKED)


class RevokeCheck(enum.StrEnum):
    """Whether the actor may be asked to confirm removing this person."""

    MAY = "may"
    UNKNOWN = "unknown"  # no such person, or no longer active
    NOT_ALLOWED = "not_allowed"  # themselves, or a role theirs may not remove


async def revoke_check(
    tx: Tx, *, actor: Person, target_id: int
) -> tuple[RevokeCheck, Person | None]:
    target = await people.by_id(tx, target_id)
    if target is None or target.status != "active":
        return RevokeCheck.UNKNOWN, None
    if target.id == actor.id or not roles.may_revoke(actor.role, target.role):
        return RevokeCheck.NOT_ALLOWED, target
    return RevokeCheck.MAY, target


@dataclass(frozen=True)
class Roll:
    """One page of the active people, the number in all, and who are safer-custody contacts."""

    total: int
    people: list[Person]
    contacts: set[int]
    channels: dict[int, list[str]]  # person id -> the channels they are known on


async def roll(tx: Tx, *, page: int, size: int) -> Roll:
    shown = await people.active_page(tx, limit=size, offset=page * size)
    return Roll(
        total=await people.count_active(tx),
        people=shown,
        contacts=await safety_store.contact_ids(tx),
        channels=await people.channels_of_many(tx, [p.id for p in shown]),
    )


# --- channels a person is known on (docs/CHANNELS.md) -------------------------------------------


class LinkCheck(enum.StrEnum):
    """Whether the actor may give this person one more identity (/link)."""

    MAY = "may"
    UNKNOWN = "unknown"
    NOT_ALLOWED = "not_allowed"


async def link_check(tx: Tx, *, actor: Person, person_id: int) -> tuple[LinkCheck, Person | None]:
    target = await people.by_id(tx, person_id)
    if target is None or target.status != "active":
        return LinkCheck.UNKNOWN, None
    if not roles.may_invite(actor.role, target.role):
        return LinkCheck.NOT_ALLOWED, target
    return LinkCheck.MAY, target


async def channels_of(tx: Tx, person_id: int) -> list[str]:
    """The channels the person is known on, oldest identity first."""
    return [i.channel for i in await people.identities(tx, person_id)]


async def chosen_channel(tx: Tx, person_id: int) -> str | None:
    return await people.chosen_channel(tx, person_id)


async def choose_channel(tx: Tx, clock: Clock, person: Person, channel: str | None) -> bool:
    """Notices go to this channel from now on (None: the one used last). False when the person
    is not known on it (an old button)."""
    if channel is not None and channel not in await channels_of(tx, person.id):
        return False
    await people.choose_channel(tx, person.id, channel, clock.now())
    return True
