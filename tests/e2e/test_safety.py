"""Safeguarding through the real Application: a reply that never claims what did not happen,
alerts to safer-custody contacts (people flagged by an admin) that are urgent, name who and
where but never the words, are taken with a button and escalate until someone does; the
phrase list; edited messages; the establishment-wide budget of wrong invite codes."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from bot.council import notices, safeguarding, timers
from bot.council.access import person_ref
from handlers.callbacks import pack
from storage import outbox
from tests.support.harness import ADMIN_ID, Harness
from tests.support.safety import make_contact

WORDS = "Some days I just want to die in here"
TOLD = "The safer custody team has been told, so they can help."
NOT_TOLD = "Please speak to a member of wing staff now, so they can help."
NAG = "Please use the buttons. Send /menu to see them."


async def test_with_no_contact_the_reply_never_claims_the_team_was_told(h: Harness) -> None:
    member = await h.join("member")
    shown = [m.text for m in await h.tg.send(member, WORDS)]
    assert len(shown) == 1, shown  # the support reply, and no nag after it
    assert "Samaritans free on 116 123" in shown[0] and "Listener" in shown[0]
    assert NOT_TOLD in shown[0] and TOLD not in shown[0]
    assert NAG not in shown[0]
    # Nobody was told, so nothing says so; the alert row exists for the record.
    assert await h.rows("SELECT key FROM outbox WHERE key LIKE 'safeguarding:%'") == []


async def test_with_no_contact_the_admins_hear_at_once(h: Harness) -> None:
    admin = await h.admin()
    member = await h.join("member")
    await h.tg.send(member, WORDS)
    await h.deliver()
    alert = h.tg.last_text(admin)
    assert "There is no safer-custody contact" in alert
    assert WORDS not in alert and "want to die" not in alert
    assert NOT_TOLD in h.tg.last_text(member)


async def test_the_alert_reaches_the_contact_urgently_and_names_who_and_where(
    h: Harness,
) -> None:
    contact = await make_contact(h)
    member = await h.join("member")
    ref = person_ref((await h.person(member)).id)  # type: ignore[union-attr]
    h.clock.set(h.clock.now().replace(hour=23))  # quiet hours in Europe/London
    shown = [m.text for m in await h.tg.send(member, WORDS)]
    assert len(shown) == 1 and TOLD in shown[0] and NOT_TOLD not in shown[0]
    await h.deliver()
    alert = h.double.last(contact)
    assert alert is not None and alert.text.startswith("Safer custody alert.")
    assert ref in alert.text and "A wing" in alert.text
    assert "a message outside any step" in alert.text
    assert "die" not in alert.text and "Some days" not in alert.text
    assert [b.text for row in alert.buttons for b in row] == ["I am dealing with this"]


async def test_the_flow_they_were_in_is_named(h: Harness) -> None:
    contact = await make_contact(h)
    member = await h.join("member")
    await h.tg.send(member, "/raise")
    await h.tg.press(member, "Food")
    await h.tg.press(member, "A wing")
    await h.tg.send(member, "The food is so bad I want to end it all, honestly.")
    await h.deliver()
    assert any("Where: raising an issue." in t for t in h.tg.texts(contact))


async def test_urgent_notices_go_to_the_front_of_the_queue(h: Harness) -> None:
    async with h.db.transaction() as tx:
        for n in range(5):
            await notices.notify(tx, h.clock, key=f"plain:{n}", chat_id=900 + n, message="x")
        h.clock.advance(timedelta(seconds=1))
        await notices.notify(tx, h.clock, key="urgent:1", chat_id=999, message="x", urgent=True)
        first = await outbox.due(tx, h.clock.now(), 1)
    assert [n.key for n in first] == ["urgent:1"]


async def _escalate(h: Harness, minutes: int) -> dict[str, int]:
    h.clock.advance(timedelta(minutes=minutes))
    return await timers.fire_due(h.db, h.clock, h.settings)


async def test_taking_an_alert_is_audited_and_stops_the_escalation(h: Harness) -> None:
    contact = await make_contact(h)
    member = await h.join("member")
    await h.tg.send(member, WORDS)
    await h.deliver()
    assert await _escalate(h, 14) == {}
    # Nobody pressed within 15 minutes: again to every contact and to the admins.
    assert await _escalate(h, 2) == {"fired": 1}
    await h.deliver()
    again = "Nobody has said they are dealing with it yet."
    assert again in h.tg.last_text(contact)
    assert again in h.tg.last_text(ADMIN_ID)
    await h.tg.press(contact, "I am dealing with this")
    assert h.tg.last_text(contact).startswith("Thank you. You are dealing with the alert")
    audit = await h.rows("SELECT action, detail FROM audit_log WHERE action LIKE 'safeguarding.%'")
    assert [a["action"] for a in audit] == [
        "safeguarding.contact_added",
        "safeguarding.escalated",
        "safeguarding.taken",
    ]
    assert WORDS not in str(audit)
    # The admin, who was asked too, hears that it is in hand.
    await h.deliver()
    contact_ref = person_ref((await h.person(contact)).id)  # type: ignore[union-attr]
    assert h.tg.last_text(ADMIN_ID).startswith(
        f"{contact_ref} is dealing with the safer custody alert about"
    )
    # Taken: nothing more is sent, however long we wait.
    before = len(await h.rows("SELECT id FROM outbox"))
    await _escalate(h, 60)
    assert len(await h.rows("SELECT id FROM outbox")) == before
    # The admin's copy of the button now says who has it.
    await h.tg.press(ADMIN_ID, "I am dealing with this")
    assert h.tg.answer_for(ADMIN_ID) == f"{contact_ref} is already dealing with this."


async def test_escalation_repeats_until_taken_and_then_stops_at_the_cap(h: Harness) -> None:
    contact = await make_contact(h)
    member = await h.join("member")
    await h.tg.send(member, WORDS)
    for _ in range(safeguarding.MAX_ROUNDS + 3):
        await _escalate(h, 15)
    rows = await h.rows("SELECT rounds FROM safeguarding_alert")
    assert rows == [{"rounds": safeguarding.MAX_ROUNDS}]
    await h.deliver()
    assert sum("Safer custody alert" in t for t in h.tg.texts(contact)) == safeguarding.MAX_ROUNDS


async def test_only_contacts_and_admins_can_take_an_alert(h: Harness) -> None:
    await make_contact(h)
    member = await h.join("member")
    other = await h.join("staff", wing=None)
    await h.tg.send(member, WORDS)
    alert_id = (await h.rows("SELECT id FROM safeguarding_alert"))[0]["id"]
    for user in (member, other):
        await h.tg.send(user, "/menu")
        menu = h.double.last(user)
        assert menu is not None
        await h.tg.press_data(user, menu.message_id, pack("sgd", alert_id))
        assert h.tg.answer_for(user) == (
            "Only safer-custody contacts and admins can take an alert."
        )
    assert (await h.rows("SELECT taken_by FROM safeguarding_alert"))[0]["taken_by"] is None


async def test_the_same_words_again_alert_once(h: Harness) -> None:
    contact = await make_contact(h)
    member = await h.join("member")
    for _ in range(3):
        await h.tg.send(member, WORDS)
        assert TOLD in h.tg.last_text(member)
    await h.deliver()
    assert sum(t.startswith("Safer custody alert.") for t in h.tg.texts(contact)) == 1


async def test_people_shows_the_contacts_and_says_when_there_is_none(h: Harness) -> None:
    admin = await h.admin()
    await h.tg.send(admin, "/people")
    assert "There is no safer-custody contact." in h.tg.last_text(admin)
    contact = await make_contact(h)
    ref = person_ref((await h.person(contact)).id)  # type: ignore[union-attr]
    await h.tg.send(admin, "/people")
    people = h.tg.last_text(admin)
    assert "There is no safer-custody contact." not in people
    assert any(line.startswith(ref) and "safer custody" in line for line in people.split("\n"))
    await h.tg.send(admin, "/safercustody")
    assert ref in h.tg.last_text(admin)
    member = await h.join("member")
    member_ref = person_ref((await h.person(member)).id)  # type: ignore[union-attr]
    await h.tg.send(admin, f"/safercustody {member_ref}")
    assert h.tg.last_text(admin) == (
        f"{member_ref} cannot be a safer-custody contact. Only staff and admins can."
    )
    await h.tg.send(admin, "/safercustody")
    await h.tg.press(admin, f"Remove {ref}")
    assert "There is no safer-custody contact yet." in h.tg.last_text(admin)
    await h.tg.send(member, "/safercustody")
    assert h.tg.last_text(member) == "Sorry, you cannot do that."


async def test_an_invite_can_make_a_contact(h: Harness) -> None:
    from bot.council import access
    from storage.people import PersonRow

    console = PersonRow(0, None, "admin", "active", "en", True, None, "console", False)
    async with h.db.transaction() as tx:
        made = await access.create_invite(
            tx,
            h.clock,
            h.settings,
            actor=console,
            role="staff",
            wing=None,
            label="Lead",
            safer_custody=True,
        )
        assert await safeguarding.readiness(tx, h.clock) == (0, 1)
    user = h.new_user()
    await h.tg.send(user, f"/start {made.code}")
    await h.tg.press(user, "English")
    async with h.db.transaction() as tx:
        assert await safeguarding.readiness(tx, h.clock) == (1, 0)


# --- the phrase list -------------------------------------------------------------------------

MUST_MATCH = [
    "Some days I just want to die in here",
    "i wanna die",
    "I'm going to kill myself",
    "gonna kil myself tonight",
    "I might KILL MY SELF",
    "killmyself",
    "I don't want to live any more",
    "I dont want to be here anymore",
    "thinking about suicide",
    "feeling suicidal",
    "thinking of sucide",
    "I self-harm when it gets bad",
    "I selfharm",
    "I have been cutting myself",
    "I want to end it all.",
    "there is nothing to live for",
    "I'd be better off dead",
    "I want to hurt myself",
    "Dw i eisiau marw",
    "Dw i isio marw heddiw",
    "Rwy'n meddwl am hunanladdiad",
    "dw i am ladd fy hun",
    "Rydw i wedi bod yn niweidio fy hun",
    "hunan-niweidio",
    "Does dim pwynt byw",
]

MUST_NOT_MATCH = [
    "The food is so bad",
    "I want to dye my hair",
    "I want to skill myself up in the kitchen",
    "The gym selfie was great",
    "Can we end the lockdown on the wing earlier?",
    "I'd kill for a decent curry",
    "My kettle died last night",
    "The library closes at the end of it all, at 5pm",
    "I can't go on the visits list until Monday",
    "Rwy eisiau mwy o amser ymweld",
    "Dw i'n marw am baned",
    "Mae'r bwyd yn ofnadwy",
    "Hunan-wasanaeth yn y ffreutur",
    "5 kms on the running track",
    "Please add more healthy options",
]


@pytest.mark.parametrize("sentence", MUST_MATCH)
def test_phrases_that_must_match(h: Harness, sentence: str) -> None:
    settings = replace(h.settings, safeguarding=replace(h.settings.safeguarding, phrases=()))
    assert safeguarding.suggests_risk(settings, sentence), sentence


@pytest.mark.parametrize("sentence", MUST_NOT_MATCH)
def test_ordinary_sentences_must_not_match(h: Harness, sentence: str) -> None:
    assert not safeguarding.suggests_risk(h.settings, sentence), sentence


# --- edited messages -------------------------------------------------------------------------


def _edited(h: Harness, user: int, text: str, message_id: int) -> dict[str, Any]:
    update = h.double.message_update(user, text)
    message = update.pop("message")
    message["message_id"] = message_id
    message["edit_date"] = message["date"] + 60
    update["edited_message"] = message
    return update


async def test_an_edit_is_never_taken_as_an_answer(h: Harness) -> None:
    member = await h.join("member")
    await h.tg.send(member, "/raise")
    await h.tg.press(member, "Food")
    await h.tg.press(member, "A wing")
    step = await h.rows("SELECT flow, step, data FROM conversation")
    shown = await h.tg.process(_edited(h, member, "/revoke P-0001", 3), chat_id=member)
    assert [m.text for m in shown] == [
        "I do not read changes to a message."
        " If you meant something else, please send it again as a new message."
    ]
    # The same message edited again: no second answer.
    assert await h.tg.process(_edited(h, member, "/revoke P-0002", 3), chat_id=member) == []
    assert await h.rows("SELECT flow, step, data FROM conversation") == step
    assert await h.rows("SELECT * FROM agenda_item") == []
    # Staff editing an old /revoke: nobody is revoked.
    admin = await h.admin()
    await h.tg.process(_edited(h, admin, f"/revoke {person_ref(1)}", 5), chat_id=admin)
    assert await h.rows("SELECT id FROM person WHERE status = 'revoked'") == []


async def test_an_edit_that_suggests_risk_still_gets_support(h: Harness) -> None:
    contact = await make_contact(h)
    member = await h.join("member")
    shown = await h.tg.process(_edited(h, member, WORDS, 7), chat_id=member)
    assert len(shown) == 1 and TOLD in shown[0].text  # support, and no edit notice after it
    await h.deliver()
    assert any("Where: an edited message." in t for t in h.tg.texts(contact))


# --- the establishment-wide budget of wrong codes -----------------------------------------------


async def test_many_accounts_guessing_pause_code_entry_and_alert_admins_once(h: Harness) -> None:
    invites = replace(h.settings.invites, establishment_max_failures=6)
    h.services.settings = h.settings = replace(h.settings, invites=invites)
    admin = await h.admin()
    good = await h.invite_code("member")
    answers = []
    for n in range(8):  # eight accounts, one wrong code each: under every per-account limit
        guesser = h.new_user()
        await h.tg.send(guesser, f"/start WRONGCODE{n:03d}")
        answers.append(h.tg.last_text(guesser))
    bad = (
        "That code does not work. It may be wrong, used, or out of date. Ask staff for a new code."
    )
    assert answers[:5] == [bad] * 5
    assert all(a.startswith("Joining is paused") for a in answers[5:])
    newcomer = h.new_user()
    await h.tg.send(newcomer, f"/start {good}")
    assert "Joining is paused" in h.tg.last_text(newcomer)
    await h.deliver()
    alerts = [t for t in h.tg.texts(admin) if t.startswith("Invite codes are paused")]
    assert len(alerts) == 1
    # People already in are not affected; after the pause the good code works.
    h.clock.advance(timedelta(minutes=31))
    await h.tg.send(newcomer, f"/start {good}")
    assert "Joining is paused" not in h.tg.last_text(newcomer)
    assert await h.person(newcomer) is not None


async def test_the_demo_seeds_a_contact_so_an_alert_arrives(h: Harness) -> None:
    from bot.local.seed import seed_demo
    from bot.local.store import ChannelStore

    store = ChannelStore(":memory:")
    try:
        seeded = await seed_demo(h.settings, h.db, store, h.clock)
    finally:
        store.close()
    async with h.db.transaction() as tx:
        assert await safeguarding.readiness(tx, h.clock) == (1, 0)
    for user_id in seeded.people.values():
        h.double.user(user_id, first_name="Demo", language_code="en")
    member = seeded.people["Sam Jones"]
    shown = await h.tg.send(member, "I want to end it all")
    assert TOLD in shown[0].text
    assert await h.deliver() >= 1
    staff = seeded.people["Ms Morgan"]
    assert any(t.startswith("Safer custody alert.") for t in h.tg.texts(staff))


async def test_retention_removes_old_alerts(h: Harness) -> None:
    from bot.council import retention

    member = await h.join("member")
    await h.tg.send(member, WORDS)
    assert len(await h.rows("SELECT id FROM safeguarding_alert")) == 1
    h.clock.advance(h.settings.retention + timedelta(days=1))
    async with h.db.transaction() as tx:
        await retention.sweep(tx, h.clock, h.settings)
    assert await h.rows("SELECT id FROM safeguarding_alert") == []


async def test_an_alert_that_cannot_be_delivered_reaches_the_admins_at_once(h: Harness) -> None:
    """The contact blocked the bot: the alert is parked (403), and every admin is told at once,
    urgently, that an urgent message could not be delivered (its kind, never the words)."""
    contact = await make_contact(h)
    admin = await h.admin()
    member = await h.join("member")
    h.double.block(contact)
    await h.tg.send(member, WORDS)
    await h.deliver()
    assert h.double.last(contact) is None or "Safer custody alert" not in (
        h.double.last(contact).text or ""  # type: ignore[union-attr]
    )
    await h.deliver()
    told = h.double.last(admin)
    assert told is not None
    assert "An urgent message could not be delivered" in (told.text or "")
    assert "die" not in (told.text or "")
    async with h.db.transaction() as tx:
        urgent = await tx.all(
            "SELECT status FROM outbox WHERE key LIKE 'urgent-lost:%' AND urgent = 1"
        )
    assert urgent and all(r["status"] == "sent" for r in urgent)
