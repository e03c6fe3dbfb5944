"""The access rules called directly (real SQLite, a moved clock, no Telegram): the caller the
wrapper loads, the invite flow as a type, and each outcome enum of access, privacy, sign-in and
announcements. Storage of this area takes and returns aware datetimes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.config import Settings
from bot.council import access, announcements, content, privacy, session, signin
from bot.council.access import INVITE, InviteStep, Inviting, LinkCheck, Redeemed, RevokeCheck
from bot.council.clock import FakeClock
from storage import audit as audit_store
from storage import conversation, invites
from storage import people as people_store
from storage.db import Database
from tests.council.conftest import MakePerson
from tests.support.harness import ADMIN_ID

CONSOLE = access.Person(0, None, "admin", "active", "en", True, None, "console", False)
STRANGER = 600_000_001


async def _code(
    db: Database, clock: FakeClock, settings: Settings, role: str, wing: str | None
) -> str:
    async with db.transaction() as tx:
        made = await access.create_invite(
            tx, clock, settings, actor=CONSOLE, role=role, wing=wing, label=None
        )
    return made.code


async def test_the_caller_is_loaded_with_their_flow_and_a_configured_admin_is_admitted(
    db: Database, clock: FakeClock, settings: Settings, person: MakePerson
) -> None:
    stranger = STRANGER
    async with db.transaction() as tx:
        nobody = await session.caller(tx, clock, settings, stranger, "telegram")
        assert nobody == session.Caller(None, None)
        admin = await session.caller(tx, clock, settings, ADMIN_ID, "telegram")
        assert admin.person is not None and admin.person.role == "admin"
        assert admin.state is None
        await session.begin(tx, clock, admin.person.id, "invite", "label", {"role": "staff"})
        again = await session.caller(tx, clock, settings, ADMIN_ID, "telegram")
        assert again.state is not None
        assert (again.state.flow, again.state.step) == ("invite", "label")
        assert await session.end_flow(tx, admin.person.id)
        assert (await session.caller(tx, clock, settings, ADMIN_ID, "telegram")).state is None


async def test_a_caller_who_blocked_the_bot_is_reachable_again_once_they_write(
    db: Database, clock: FakeClock, settings: Settings, person: MakePerson
) -> None:
    me = await person("member")
    user = me.tg_user_id
    assert user is not None
    async with db.transaction() as tx:
        await people_store.set_unreachable(tx, me.id, True, clock.now())
        found = await session.caller(tx, clock, settings, user, "telegram")
        assert found.person is not None and not found.person.unreachable
        stored = await people_store.by_id(tx, me.id)
        assert stored is not None and not stored.unreachable


async def test_an_invite_flow_stored_before_it_was_a_type_still_reads(
    db: Database, clock: FakeClock, settings: Settings, person: MakePerson
) -> None:
    # Rows written by the untyped flow: {"role", "wing"} at "label"; plus "label" at "channel".
    old = conversation.ConversationRow(1, "invite", "label", {"role": "member", "wing": "a"})
    at = INVITE.read(old)
    assert at is not None
    assert (at.step, at.draft) == (InviteStep.LABEL, Inviting("member", "a"))
    later = conversation.ConversationRow(
        1, "invite", "channel", {"role": "staff", "wing": None, "label": "Ms Jones"}
    )
    at = INVITE.read(later)
    assert at is not None
    assert (at.step, at.draft) == (InviteStep.CHANNEL, Inviting("staff", None, "Ms Jones"))
    assert INVITE.read(conversation.ConversationRow(1, "invite", "nowhere", {})) is None
    assert INVITE.read(conversation.ConversationRow(1, "announce", "label", {})) is None
    me = await person("staff", None)
    async with db.transaction() as tx:
        await INVITE.save(tx, me.id, InviteStep.CHANNEL, Inviting("family"), clock.now())
        row = await conversation.get(tx, me.id)
    assert row is not None
    assert (row.flow, row.step, row.data) == (
        "invite",
        "channel",
        {"role": "family", "wing": None, "label": None},
    )


async def test_redeeming_answers_one_outcome_each_time(
    db: Database, clock: FakeClock, settings: Settings, person: MakePerson
) -> None:
    user = STRANGER
    code = await _code(db, clock, settings, "member", "a")
    async with db.transaction() as tx:
        bad = await access.redeem(tx, clock, settings, tg_user_id=user, raw_code="NOPE")
        assert (bad.result, bad.person) == (Redeemed.BAD_CODE, None)
        joined = await access.redeem(tx, clock, settings, tg_user_id=user, raw_code=code)
        assert joined.result is Redeemed.JOINED and joined.person is not None
        again = await access.redeem(tx, clock, settings, tg_user_id=user, raw_code=code)
        assert again.result is Redeemed.ALREADY_MEMBER
        assert again.person is not None and again.person.id == joined.person.id
    guesser = STRANGER + 1
    async with db.transaction() as tx:
        for _ in range(settings.invites.max_failures):
            tried = await access.redeem(
                tx, clock, settings, tg_user_id=guesser, raw_code="ABCDEFGHJKMN"
            )
        assert tried.result is Redeemed.LOCKED
        assert tried.until == clock.now() + settings.invites.lockout
        locked = await invites.locked_until(tx, guesser)
        assert locked is not None and locked.tzinfo is not None and locked == tried.until


async def test_revoking_and_linking_are_checked_in_the_council(
    db: Database, clock: FakeClock, settings: Settings, person: MakePerson
) -> None:
    staff = await person("staff", None)
    member = await person("member")
    admin = await person("admin", None)
    async with db.transaction() as tx:
        assert await access.revoke_check(tx, actor=staff, target_id=member.id) == (
            RevokeCheck.MAY,
            member,
        )
        assert (await access.revoke_check(tx, actor=staff, target_id=staff.id))[0] is (
            RevokeCheck.NOT_ALLOWED
        )
        assert (await access.revoke_check(tx, actor=staff, target_id=admin.id))[0] is (
            RevokeCheck.NOT_ALLOWED
        )
        assert (await access.revoke_check(tx, actor=staff, target_id=99_999))[0] is (
            RevokeCheck.UNKNOWN
        )
        assert (await access.link_check(tx, actor=staff, person_id=member.id))[0] is LinkCheck.MAY
        assert (await access.link_check(tx, actor=staff, person_id=99_999))[0] is (
            LinkCheck.UNKNOWN
        )
        done = await access.revoke(tx, clock, actor=staff, target_id=member.id)
        assert done.reason is access.Revoked.REVOKED
        again = await access.revoke(tx, clock, actor=staff, target_id=member.id)
        assert again.reason is access.Revoked.ALREADY
        assert (await access.revoke_check(tx, actor=staff, target_id=member.id))[0] is (
            RevokeCheck.UNKNOWN
        )
        assert (await access.link_check(tx, actor=staff, person_id=member.id))[0] is (
            LinkCheck.UNKNOWN
        )


async def test_choosing_a_channel_takes_only_one_the_person_is_known_on(
    db: Database, clock: FakeClock, settings: Settings, person: MakePerson
) -> None:
    me = await person("member")
    async with db.transaction() as tx:
        assert await access.channels_of(tx, me.id) == ["telegram"]
        assert not await access.choose_channel(tx, clock, me, "incell")
        assert await access.chosen_channel(tx, me.id) is None
        assert await access.choose_channel(tx, clock, me, "telegram")
        assert await access.chosen_channel(tx, me.id) == "telegram"
        assert await access.choose_channel(tx, clock, me, None)
        assert await access.chosen_channel(tx, me.id) is None


async def test_leaving_answers_left_then_already_and_staff_ask_an_admin(
    db: Database, clock: FakeClock, settings: Settings, person: MakePerson
) -> None:
    member = await person("member")
    staff = await person("staff", None)
    async with db.transaction() as tx:
        mine = await privacy.my_data(tx, settings, member)
        assert mine.joined_on == clock.now().astimezone(settings.establishment.timezone).date()
        assert await privacy.leave(tx, clock, staff) is privacy.Leaving.ASK_ADMIN
        assert await privacy.leave(tx, clock, member) is privacy.Leaving.LEFT
        assert await privacy.leave(tx, clock, member) is privacy.Leaving.ALREADY


async def test_an_announcement_draft_says_who_it_reaches_or_why_not(
    db: Database, clock: FakeClock, settings: Settings, person: MakePerson
) -> None:
    staff = await person("staff", None)
    member = await person("member")
    async with db.transaction() as tx:
        refused = await announcements.draft(
            tx, clock, actor=member, audience_name="members", text="Hello everyone."
        )
        assert refused.result is announcements.Drafting.NOT_ALLOWED
        odd = await announcements.draft(
            tx, clock, actor=staff, audience_name="wardens", text="Hello everyone."
        )
        assert odd.result is announcements.Drafting.UNKNOWN_AUDIENCE
        nobody = await announcements.draft(
            tx, clock, actor=staff, audience_name="families", text="Hello everyone."
        )
        assert (nobody.result, nobody.count) == (announcements.Drafting.NOBODY, 0)
        drafted = await announcements.draft(
            tx, clock, actor=staff, audience_name="members", text="Hello everyone."
        )
        assert (drafted.result, drafted.count) == (announcements.Drafting.PREVIEW, 1)
        sent = await announcements.send(tx, clock, settings, actor=member, draft_id=drafted.id)
        assert sent.result is announcements.Result.NOT_ALLOWED
        clock.advance(announcements.DRAFT_LIFETIME + timedelta(minutes=1))
        late = await announcements.send(tx, clock, settings, actor=staff, draft_id=drafted.id)
        assert late.result is announcements.Result.EXPIRED


async def test_sign_in_outcomes_are_one_enum_the_page_reads_as_text(
    db: Database, clock: FakeClock, settings: Settings, person: MakePerson
) -> None:
    user = STRANGER
    async with db.transaction() as tx:
        bad = await signin.join(tx, clock, settings, tg_user_id=user, raw_code="NOPE")
        assert bad.result is signin.SignIn.BAD_CODE
        text: str = bad.result  # bot/local/signin.py compares the text
        assert text == "bad_code"
        member = await signin.reset_pin(tx, clock, settings, tg_user_id=user, raw_code="X")
        assert member.result is signin.SignIn.NOT_MEMBER


async def test_the_translation_asked_for_moves_on_language_by_language(
    db: Database, clock: FakeClock, settings: Settings, person: MakePerson
) -> None:
    staff = await person("staff", None)
    # Two content languages, so a second language is asked for.
    zone = replace(settings.establishment, content_languages=("en", "cy"))
    settings = replace(settings, establishment=zone)
    rest = content.others(settings)
    assert rest == ("cy",)
    async with db.transaction() as tx:
        assert await content.step_of(tx, staff.id) is None
        await session.begin(tx, clock, staff.id, "announce", "confirm", {})
        assert await content.step_of(tx, staff.id) == ("announce", "confirm")
        asked = content.Pending("announce", "confirm", "text", rest[0], "Hello.", {})
        await content.ask(tx, staff.id, asked)
        assert await content.waiting(tx, staff.id, ("announce", "confirm")) == asked
        done = await content.took(tx, settings, staff.id, asked, "Helo.")
        assert done.following is None
        assert done.drafts == {("text", "cy"): "Helo."}
        assert await content.waiting(tx, staff.id, ("announce", "confirm")) is None
        # Moved on to another step: nothing is waited for any more.
        await content.ask(tx, staff.id, asked)
        assert await content.waiting(tx, staff.id, ("poll_new", "question")) is None
        assert await content.waiting(tx, staff.id, ("announce", "confirm")) is None


async def test_storage_of_this_area_hands_back_aware_times(
    db: Database, clock: FakeClock, settings: Settings, person: MakePerson
) -> None:
    me = await person("member")
    code = await _code(db, clock, settings, "family", None)
    async with db.transaction() as tx:
        own = await people_store.own_data(tx, me.id)
        assert own.joined_at == clock.now()
        lines = await audit_store.page(tx, limit=1)
        assert lines and lines[0].at == clock.now() and lines[0].at.tzinfo is not None
        invite = await invites.by_hash(tx, await access._code_hash(tx, code))
        assert invite is not None and invite.used_at is None
        assert invite.expires_at == clock.now() + settings.invites.expiry
        made = await access.create_invite(
            tx, clock, settings, actor=CONSOLE, role="staff", wing=None, label=None
        )
        assert made.expires_at.tzinfo is not None
        assert await people_store.ended_before(tx, datetime(2100, 1, 1, tzinfo=UTC)) == []


async def test_who_may_invite_whom_is_one_council_check(
    settings: Settings, person: MakePerson
) -> None:
    staff = await person("staff", None)
    chair = await person("chair")
    check = access.invite_check
    assert check(settings, staff, "member", "a", None) is access.InviteCheck.MAY
    assert check(settings, staff, "member", None, None) is access.InviteCheck.NO_WING
    assert check(settings, staff, "member", "nowhere", None) is access.InviteCheck.NO_WING
    assert check(settings, staff, "admin", None, None) is access.InviteCheck.NOT_ALLOWED
    assert check(settings, chair, "member", "a", None) is access.InviteCheck.NOT_ALLOWED
    assert check(settings, staff, "family", None, "nowhere") is access.InviteCheck.WRONG_CHANNEL
    assert check(settings, staff, "family", None, "telegram") is access.InviteCheck.MAY
