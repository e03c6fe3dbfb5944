"""Peer schemes through the real Application: the directory in both languages, a Listener
request at 2 a.m. that reaches the wing's staff at once and escalates, the Insider welcome, a
peer worker's record and the printed PDF, the report section with small numbers withheld,
retention reducing requests to counts, and bad input of every kind."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from pypdf import PdfReader

from bot.council import retention, timers
from handlers.callbacks import pack
from tests.support.harness import ADMIN_ID, Harness

NOT_FOR_YOU = "This button no longer works. Send /menu to start again."


def _configure(h: Harness, **changes: Any) -> None:
    """Change the [schemes] settings (e.g. the wing's staff, known only once they joined)."""
    settings = replace(h.settings, schemes=replace(h.settings.schemes, **changes))
    h.settings = settings
    h.services.settings = settings


async def _open(h: Harness, user: int, scheme: str) -> None:
    await h.tg.send(user, "/schemes")
    await h.tg.press(user, scheme)


async def _requests(h: Harness) -> list[dict[str, Any]]:
    return await h.rows(
        "SELECT id, scheme_id, person_id, wing, note, status, arranged_by, escalated_at"
        " FROM scheme_request ORDER BY id"
    )


async def _ref(h: Harness, user: int) -> str:
    person = await h.person(user)
    assert person is not None
    return f"P-{person.id:04d}"


async def _coordinate(h: Harness, staff: int, scheme: str) -> None:
    """The admin appoints a staff member as a scheme's coordinator, through the bot."""
    await h.admin()
    await _open(h, ADMIN_ID, scheme)
    await h.tg.press(ADMIN_ID, "Add a coordinator")
    await h.tg.send(ADMIN_ID, await _ref(h, staff))
    assert h.tg.last_text(ADMIN_ID).endswith(f"now coordinates {scheme}.")


async def test_directory_in_both_languages_and_who_sees_it(h: Harness) -> None:
    member = await h.join("member")
    welsh = await h.join("member", lang="cy")
    family = await h.join("family", wing=None)
    observer = await h.join("observer", wing=None)
    await h.tg.send(member, "/schemes")
    text = h.tg.last_text(member)
    assert text.startswith("Peer schemes here.")
    assert "· Listeners: Listeners are prisoners trained by Samaritans." in text
    assert h.tg.buttons(member) == ["Listeners", "Insiders", "Peer advisors"]
    await h.tg.press(member, "Listeners")
    page = h.tg.last_text(member)
    assert "Samaritans: 116 123. Free from the phone" in page
    assert "Nobody is listed on your wing yet." in page
    assert h.tg.buttons(member) == ["Ask for a Listener", "« All schemes"]
    await h.tg.send(welsh, "/schemes")
    assert h.tg.last_text(welsh).startswith("Cynlluniau cymheiriaid yma.")
    await h.tg.press(welsh, "Gwrandawyr")
    assert "Y Samariaid: 116 123. Am ddim" in h.tg.last_text(welsh)
    assert h.tg.buttons(welsh)[0] == "Gofyn am Wrandäwr"
    # Families see nothing of the schemes; the observer reads but cannot ask.
    await h.tg.send(family, "/schemes")
    assert "Peer schemes" not in h.tg.last_text(family)
    await h.tg.send(observer, "/schemes")
    await h.tg.press(observer, "Listeners")
    assert h.tg.buttons(observer) == ["« All schemes"]
    await h.tg.press(observer, "« All schemes")
    assert h.tg.last_text(observer).startswith("Peer schemes here.")
    # The menu has the button.
    await h.tg.send(member, "/menu")
    assert "Peer schemes" in h.tg.buttons(member)


async def test_listener_request_at_2am_reaches_wing_staff_and_escalates(h: Harness) -> None:
    member = await h.join("member")
    wing_officer = await h.join("staff", wing=None)
    other_wing = await h.join("staff", wing=None)
    await h.admin()
    _configure(h, wing_staff={"a": (wing_officer,), "b": (other_wing,)})
    h.clock.set(datetime(2026, 11, 3, 2, 0, tzinfo=UTC))  # 2 a.m., deep in quiet hours
    await _open(h, member, "Listeners")
    await h.tg.press(member, "Ask for a Listener")
    told = h.tg.last_text(member)
    assert told.startswith("Your request has gone to staff for Listeners. Nobody else sees it.")
    assert "usually within 1 hour. This is at any hour." in told
    assert "Samaritans: 116 123" in told  # the number at once, in the same message
    rows = await _requests(h)
    assert [(r["scheme_id"], r["status"], r["wing"]) for r in rows] == [("listeners", "open", "a")]
    ref = await _ref(h, member)
    await h.deliver()
    notice = h.tg.last_text(wing_officer)
    assert notice.startswith(f"Request H-0001 for Listeners: {ref}, A wing,")
    assert h.tg.buttons(wing_officer) == ["I am arranging this"]
    assert not any("H-0001" in t for t in h.tg.texts(other_wing))  # another wing's staff
    assert not any("H-0001" in t for t in h.tg.texts(ADMIN_ID))  # the admin only on escalation
    urgent = await h.rows("SELECT urgent FROM outbox WHERE key LIKE 'scheme:req:%'")
    assert urgent == [{"urgent": 1}]
    # Pressed twice within a minute: one request, and told it is on its way.
    await _open(h, member, "Listeners")
    assert h.tg.buttons(member) == ["Cancel my request", "« All schemes"]
    message = h.double.last(member)
    assert message is not None
    await h.tg.press_data(member, message.message_id, pack("sak", "listeners"))
    assert h.tg.last_text(member).startswith("You have already asked Listeners. It is on its way.")
    assert len(await _requests(h)) == 1
    # Nobody presses "I am arranging this" for 15 minutes: it escalates to staff and admins.
    h.clock.advance(timedelta(minutes=15))
    assert await timers.fire_due(h.db, h.clock, h.settings) == {"fired": 1}
    await h.deliver()
    escalated = f"Nobody has taken request H-0001 for Listeners in 15 minutes: {ref}, A wing"
    assert h.tg.last_text(ADMIN_ID).startswith(escalated)
    assert h.tg.last_text(wing_officer).startswith(escalated)
    # Another wing's officer may not take it; the admin does; a second press is told kindly.
    other_message = h.double.last(other_wing)
    assert other_message is not None
    await h.tg.press_data(other_wing, other_message.message_id, pack("sca", rows[0]["id"]))
    assert h.tg.answer_for(other_wing) == "Only this scheme's coordinators can do that."
    await h.tg.press(ADMIN_ID, "I am arranging this")
    assert h.tg.last_text(ADMIN_ID).startswith("Thank you. H-0001 is yours to arrange.")
    await h.tg.press(wing_officer, "I am arranging this")
    assert h.tg.answer_for(wing_officer) == "H-0001 is already being arranged by someone else."
    rows = await _requests(h)
    assert rows[0]["status"] == "arranged" and rows[0]["escalated_at"] is not None
    await h.deliver()
    assert h.tg.last_text(member) == (
        "Staff are arranging your request for Listeners. They will come to you."
    )
    audit = await h.rows("SELECT action FROM audit_log WHERE action LIKE 'scheme.%' ORDER BY id")
    assert [a["action"] for a in audit] == ["scheme.escalated", "scheme.arranging"]
    # A non-urgent scheme at 2 a.m. waits for the end of quiet hours.
    await _coordinate(h, wing_officer, "Peer advisors")
    await _open(h, member, "Peer advisors")
    await h.tg.press(member, "Ask for a peer advisor")
    await h.tg.press(member, "Send now")
    before = len(h.tg.texts(wing_officer))
    await h.deliver()
    assert len(h.tg.texts(wing_officer)) == before
    held = await h.rows("SELECT status, urgent FROM outbox WHERE key LIKE 'scheme:req:2:%'")
    assert held == [{"status": "queued", "urgent": 0}]


async def test_cancel_note_and_forged_presses(h: Harness) -> None:
    member = await h.join("member")
    other = await h.join("member")
    staff = await h.join("staff", wing=None)
    await _coordinate(h, staff, "Peer advisors")
    await _open(h, member, "Peer advisors")
    await h.tg.press(member, "Ask for a peer advisor")
    await h.tg.press(member, "Add a short note")
    assert h.tg.last_text(member).startswith("Type your note for staff, up to 500 characters.")
    await h.tg.send(member, "x" * 501)
    assert h.tg.last_text(member) == (
        "That note has 501 characters. Please keep it to 500. Type it again."
    )
    assert await _requests(h) == []
    await h.tg.send(member, "Housing before my release in March.")
    rows = await _requests(h)
    assert rows[0]["note"] == "Housing before my release in March."
    await h.deliver()
    assert h.tg.last_text(staff).endswith("Note: Housing before my release in March.")
    # The note reaches staff only: no other member got anything about it.
    assert not any("Housing" in t for t in h.tg.texts(other))
    # Another member forges the cancel and the follow-up for this request: nothing changes.
    message = h.double.last(other)
    assert message is not None
    await h.tg.press_data(other, message.message_id, pack("scx", rows[0]["id"]))
    assert h.tg.answer_for(other) == NOT_FOR_YOU
    await h.tg.press_data(other, message.message_id, pack("scf", rows[0]["id"], "yes"))
    assert h.tg.answer_for(other) == NOT_FOR_YOU
    assert (await _requests(h))[0]["status"] == "open"
    assert await h.rows("SELECT * FROM scheme_followup") == []
    # A member may not press a staff button; a forged kind is stale.
    await h.tg.press_data(other, message.message_id, pack("sca", rows[0]["id"]))
    assert h.tg.answer_for(other) == "This button is not for you."
    # The member cancels: staff hear it is no longer needed.
    await h.tg.press(member, "Cancel my request")
    assert h.tg.last_text(member).startswith("Your request is cancelled.")
    assert (await _requests(h))[0]["status"] == "cancelled"
    await h.deliver()
    assert h.tg.last_text(staff).startswith("Request H-0001 for Peer advisors")
    assert "was cancelled" in h.tg.last_text(staff)
    await h.tg.press(staff, "I am arranging this")
    assert h.tg.answer_for(staff) == "H-0001 was cancelled by the person. Nothing to arrange."


async def test_scheme_not_on_wing_and_coordinators_manage_their_own_only(h: Harness) -> None:
    member = await h.join("member", wing="a")
    listeners_lead = await h.join("staff", wing=None)
    insiders_lead = await h.join("staff", wing=None)
    await _coordinate(h, listeners_lead, "Listeners")
    await _coordinate(h, insiders_lead, "Insiders")
    settings = h.settings
    only_b = replace(settings.schemes.listed[2], wings=("b",))
    _configure(h, listed=(*settings.schemes.listed[:2], only_b))
    await h.tg.send(member, "/schemes")
    assert "Peer advisors" not in h.tg.buttons(member)
    message = h.double.last(member)
    assert message is not None
    await h.tg.press_data(member, message.message_id, pack("sak", "advisors"))
    assert h.tg.last_text(member).startswith("Peer advisors does not run on your wing.")
    assert await _requests(h) == []
    # The Insiders' coordinator sees no management buttons on Listeners and cannot use them.
    await _open(h, insiders_lead, "Listeners")
    assert "Add a peer worker" not in h.tg.buttons(insiders_lead)
    message = h.double.last(insiders_lead)
    assert message is not None
    for kind in ("swa", "shw", "swl", "srq", "sag"):
        await h.tg.press_data(insiders_lead, message.message_id, pack(kind, "listeners"))
        assert h.tg.answer_for(insiders_lead) == "Only this scheme's coordinators can do that."
    await _open(h, member, "Listeners")
    await h.tg.press(member, "Ask for a Listener")
    request_id = (await _requests(h))[0]["id"]
    await h.tg.press_data(insiders_lead, message.message_id, pack("sca", request_id))
    assert h.tg.answer_for(insiders_lead) == "Only this scheme's coordinators can do that."
    assert (await _requests(h))[0]["status"] == "open"
    # Only an admin appoints coordinators.
    lead_message = h.double.last(listeners_lead)
    assert lead_message is not None
    await h.tg.press_data(listeners_lead, lead_message.message_id, pack("sco", "listeners"))
    assert h.tg.answer_for(listeners_lead) == "This button is not for you."


async def test_insider_welcome_on_joining_and_one_tap_to_ask(h: Harness) -> None:
    staff = await h.join("staff", wing=None)
    await _coordinate(h, staff, "Insiders")
    member = await h.join("member")
    welcome = [t for t in h.tg.texts(member) if t.startswith("Welcome to HMP Example.")]
    assert welcome == [
        "Welcome to HMP Example. The council is where people here raise shared issues."
        " Peer schemes help too: see /schemes. Insiders help new arrivals."
        " Tap below and an Insider will come by."
    ]
    await h.tg.press(member, "Ask an Insider to come by")
    await h.tg.press(member, "Send now")
    assert h.tg.last_text(member).startswith("Your request has gone to staff for Insiders.")
    assert [r["scheme_id"] for r in await _requests(h)] == ["insiders"]
    # Staff marking the same person again: the welcome goes once.
    ref = await _ref(h, member)
    await h.tg.send(staff, f"/arrived {ref}")
    assert h.tg.last_text(staff) == f"{ref} has already had the Insiders' welcome."
    await h.tg.send(staff, "/arrived nobody")
    assert h.tg.last_text(staff) == "Send the person's reference, like /arrived P-0012."
    await h.tg.send(staff, f"/arrived {await _ref(h, staff)}")
    assert "is not a council member here" in h.tg.last_text(staff)
    await h.tg.send(member, "/arrived P-0001")
    assert "Insiders" not in h.tg.last_text(member)
    # A member already here when staff mark them as newly arrived: the welcome as a notice.
    settled = await h.join("member", wing="b")
    await h.rows("DELETE FROM scheme_welcome WHERE person_id = ?", ((await h.person(settled)).id,))
    await h.tg.send(staff, f"/arrived {await _ref(h, settled)}")
    assert h.tg.last_text(staff).endswith("will get the Insiders' welcome.")
    await h.deliver()
    assert h.tg.last_text(settled).startswith("Welcome to HMP Example.")
    assert h.tg.buttons(settled) == ["Ask an Insider to come by"]
    welcomed = await h.rows("SELECT COUNT(*) AS n FROM scheme_welcome")
    assert welcomed == [{"n": 2}]


async def _add_worker(h: Harness, staff: int, scheme: str, ref: str, name: str) -> None:
    await _open(h, staff, scheme)
    await h.tg.press(staff, "Add a peer worker")
    for typed in (ref, name, "Samaritans Listener training", "2026-10-01", "2026-11-02"):
        await h.tg.send(staff, typed)


async def test_peer_worker_record_hours_and_printed_pdf(h: Harness) -> None:
    staff = await h.join("staff", wing=None)
    worker = await h.join("member", lang="cy")
    second = await h.join("member")
    reader = await h.join("member")
    await _coordinate(h, staff, "Listeners")
    worker_ref, second_ref = await _ref(h, worker), await _ref(h, second)
    await _add_worker(h, staff, "Listeners", worker_ref, "Dai")
    assert h.tg.last_text(staff) == f"{worker_ref} is now a peer worker in Listeners."
    await _add_worker(h, staff, "Listeners", second_ref, "-")
    await _add_worker(h, staff, "Listeners", worker_ref, "Dai")
    assert h.tg.last_text(staff) == f"{worker_ref} already has a role in Listeners."
    await _open(h, staff, "Listeners")
    await h.tg.press(staff, "Add a peer worker")
    await h.tg.send(staff, await _ref(h, staff))
    assert h.tg.last_text(staff).endswith(
        "is not a council member here. Type another reference, or send /cancel."
    )
    await h.tg.send(staff, "/cancel")
    # Bad hours: nothing is saved, and each bad line is named.
    await _open(h, staff, "Listeners")
    await h.tg.press(staff, "Record hours")
    await h.tg.press(staff, "This week")
    await h.tg.send(staff, f"{worker_ref} -2\n{second_ref} 81\nP-9999 3\nhello")
    refused = h.tg.last_text(staff)
    assert refused.startswith("Nothing was saved.")
    assert f'"{worker_ref} -2": hours must be from 0 to 80' in refused
    assert f'"{second_ref} 81": hours must be from 0 to 80' in refused
    assert '"P-9999 3": not a peer worker in this scheme' in refused
    assert '"hello": write it like P-0012 6' in refused
    assert await h.rows("SELECT * FROM peer_hours") == []
    await h.tg.send(staff, f"{worker_ref} 6\n{second_ref} 4.5")
    assert h.tg.last_text(staff).startswith("Saved hours for peer workers: 2.")
    # The member on the wing sees the listed name only, never a reference.
    await _open(h, reader, "Listeners")
    page = h.tg.last_text(reader)
    assert "On your wing: Dai" in page and "P-0" not in page
    # /myrecord: the peer scheme section, in the worker's language, then the printed page.
    await h.tg.send(worker, "/myrecord")
    section = h.tg.last_text(worker)
    assert section.startswith("Eich cofnod cyngor\n")  # the council record comes first
    assert "\n\nEich gwaith mewn cynlluniau cymheiriaid\nGwrandawyr, ers" in section
    assert "Hyfforddiant: Samaritans Listener training" in section and "Oriau: 6" in section
    await h.tg.press(worker, "Argraffu fy nghofnod")
    sent = h.double.last(worker)
    assert sent is not None and sent.kind == "document" and sent.data is not None
    pdf = PdfReader(io.BytesIO(sent.data))
    assert len(pdf.pages) == 1
    text = " ".join(pdf.pages[0].extract_text().split())
    for expected in (
        "HMP Example",
        "Cofnod o waith y cyngor a chynlluniau cymheiriaid",
        "2 Tachwedd 2026",
        "Gwrandawyr",
        "Samaritans Listener training",
        "Cyfanswm oriau mewn cynlluniau cymheiriaid: 6",
        "Gwiriwyd gan: test",  # the staff member's name as given on their invite
    ):
        assert expected in text, expected
    # The coordinator ends a role: it stays on the record with its end date.
    await _open(h, staff, "Listeners")
    await h.tg.press(staff, "Peer workers")
    await h.tg.press(staff, f"End role: {second_ref}")
    await h.tg.press(staff, "Yes, end it")
    assert h.tg.last_text(staff).startswith(f"The role of {second_ref} has ended.")
    await h.tg.send(second, "/myrecord")
    assert "Ended" in h.tg.last_text(second)
    audit = await h.rows("SELECT action FROM audit_log WHERE action LIKE 'scheme.%' ORDER BY id")
    assert [a["action"] for a in audit][-4:] == [
        "scheme.worker_added",
        "scheme.worker_added",
        "scheme.hours",
        "scheme.role_ended",
    ]


async def test_report_section_follow_up_and_retention(h: Harness) -> None:
    staff = await h.join("staff", wing=None)
    observer = await h.join("observer", wing=None)
    await _coordinate(h, staff, "Listeners")
    await _coordinate(h, staff, "Insiders")
    members = [await h.join("member") for _ in range(6)]
    for member in members:
        await _open(h, member, "Listeners")
        await h.tg.press(member, "Ask for a Listener")
        h.clock.advance(timedelta(minutes=3))
    await h.deliver()
    await _open(h, staff, "Listeners")
    await h.tg.press(staff, "Open requests")
    for request in await _requests(h):
        await h.tg.press(staff, f"I am arranging H-{request['id']:04d}")
    # Two Insider requests: a small number, shown as "fewer than 5".
    for member in members[:2]:
        await _open(h, member, "Insiders")
        await h.tg.press(member, "Ask for an Insider")
        await h.tg.press(member, "Send now")
    # The follow-up, a few days later; answers are counted without the person.
    h.clock.advance(timedelta(days=3))
    await timers.fire_due(h.db, h.clock, h.settings)
    await h.deliver()
    for member in members[:5]:
        await h.tg.press(member, "Yes")
        assert h.tg.last_text(member).startswith("Thank you. Your answer is counted")
    # The same answer again (a replayed press): counted once.
    first = next(r for r in await _requests(h) if r["scheme_id"] == "insiders")
    again = h.double.last(members[0])
    assert again is not None
    await h.tg.press_data(members[0], again.message_id, pack("scf", first["id"], "no"))
    assert h.tg.answer_for(members[0]) == NOT_FOR_YOU
    counts = await h.rows("SELECT scheme_id, answer, count FROM scheme_followup ORDER BY scheme_id")
    # The first two answered the newer (Insiders) question; nothing names who answered.
    assert counts == [
        {"scheme_id": "insiders", "answer": "yes", "count": 2},
        {"scheme_id": "listeners", "answer": "yes", "count": 3},
    ]
    h.clock.set(datetime(2026, 12, 2, 10, 0, tzinfo=UTC))
    await h.tg.send(observer, "/report 2026-11")
    report = h.tg.last_text(observer)
    assert report.startswith("Peer schemes\n\nListeners\nRequests: 6. Arranged: 6.")
    assert "Follow-up answers: fewer than 5 (too few to show the split)." in report
    assert "Insiders\nRequests: fewer than 5. Arranged: 0." in report
    assert "Time to arranged (middle value)" in report
    # Retention: after 30 days the requests become counts; the report says the same.
    # The nightly retention sweep (03:30) reduces them.
    await retention.ensure_scheduled(h.db, h.clock, h.settings)  # at start: 03:30 tomorrow
    h.clock.set(datetime(2026, 12, 3, 3, 30, tzinfo=UTC))
    assert await timers.fire_due(h.db, h.clock, h.settings) == {"fired": 1}
    assert await _requests(h) == []
    kept = await h.rows("SELECT scheme_id, month, requests, arranged FROM scheme_request_kept")
    assert sorted((k["scheme_id"], k["requests"], k["arranged"]) for k in kept) == [
        ("insiders", 2, 0),
        ("listeners", 6, 6),
    ]
    await h.tg.send(observer, "/report 2026-11")
    assert h.tg.last_text(observer) == report
    audit = await h.rows("SELECT detail FROM audit_log WHERE action = 'scheme.requests_reduced'")
    assert len(audit) == 1


async def test_agenda_from_a_scheme_and_a_scheme_set_up_by_staff(h: Harness) -> None:
    staff = await h.join("staff", wing=None)
    member = await h.join("member")
    await _coordinate(h, staff, "Listeners")
    await _open(h, staff, "Listeners")
    await h.tg.press(staff, "Put an issue on the agenda")
    await h.tg.send(staff, "short")
    assert h.tg.last_text(staff) == "Please type 10 to 1,000 characters, with words."
    await h.tg.send(staff, "Listeners need a private room on each wing for night calls.")
    assert h.tg.last_text(staff) == "It is on the list for triage as A-0001."
    items = await h.rows("SELECT status, keyed_by, keyed_reason FROM agenda_item")
    assert items[0]["status"] == "new" and items[0]["keyed_reason"] == "Peer scheme: Listeners"
    # Staff set up a scheme in both content languages; it is listed at once.
    both = replace(h.settings.establishment, content_languages=("en", "cy"))
    h.settings = replace(h.settings, establishment=both)
    h.services.settings = h.settings
    await h.tg.send(staff, "/schemes")
    await h.tg.press(staff, "Set up a new scheme")
    await h.tg.press(staff, "Health trainers")
    for typed in (
        "Health trainers",
        "Hyfforddwyr iechyd",
        "Help with exercise, food and sleep.",
        "Help gydag ymarfer corff, bwyd a chwsg.",
        "Press the button and staff will book you in.",
        "Pwyswch y botwm a bydd staff yn trefnu amser.",
    ):
        await h.tg.send(staff, typed)
    assert h.tg.last_text(staff) == "Health trainers is set up. You coordinate it."
    await h.tg.send(member, "/schemes")
    assert "Health trainers" in h.tg.buttons(member)
    await h.tg.press(member, "Health trainers")
    assert "Help with exercise, food and sleep." in h.tg.last_text(member)
    assert h.tg.buttons(member)[0] == "Ask for a health trainer"
    welsh = await h.join("member", lang="cy")
    await h.tg.send(welsh, "/schemes")
    await h.tg.press(welsh, "Hyfforddwyr iechyd")
    assert "Help gydag ymarfer corff, bwyd a chwsg." in h.tg.last_text(welsh)
    assert h.tg.buttons(welsh)[0] == "Gofyn am hyfforddwr iechyd"


async def test_listener_requests_jump_the_queue_and_leaving_unlinks_requests(h: Harness) -> None:
    from storage import outbox

    member = await h.join("member")
    staff = await h.join("staff", wing=None)
    await _coordinate(h, staff, "Listeners")
    await _coordinate(h, staff, "Peer advisors")
    # A backlog of older ordinary notices (a broadcast), then a Listener request.
    async with h.db.transaction() as tx:
        for n in range(40):
            await outbox.enqueue(
                tx,
                key=f"backlog:{n}",
                chat_id=900_000 + n,
                person_id=None,
                message="common.use_menu",
                params={},
                buttons=None,
                urgent=False,
                not_before=h.clock.now(),
                expires_at=None,
                now=h.clock.now(),
            )
    h.clock.advance(timedelta(minutes=1))
    await _open(h, member, "Listeners")
    await h.tg.press(member, "Ask for a Listener")
    async with h.db.transaction() as tx:
        first = await outbox.due(tx, h.clock.now(), 5)
    assert first[0].key.startswith("scheme:req:1:") and first[0].urgent
    assert [n.key for n in first[1:]] == [f"backlog:{n}" for n in range(4)]
    # A note, then the member leaves: the request keeps no person and no note.
    await _open(h, member, "Peer advisors")
    await h.tg.press(member, "Ask for a peer advisor")
    await h.tg.press(member, "Add a short note")
    await h.tg.send(member, "Benefits after release, please.")
    await h.tg.send(member, "/mydata")
    await h.tg.press(member, "Delete my details")
    await h.tg.press(member, "Yes, delete")
    rows = await _requests(h)
    assert [(r["person_id"], r["note"]) for r in rows] == [(None, None), (None, None)]


async def test_a_request_nobody_can_receive_goes_to_the_admins_at_once(h: Harness) -> None:
    member = await h.join("member")
    staff = await h.join("staff", wing=None)
    await _coordinate(h, staff, "Peer advisors")
    await h.rows("UPDATE person SET unreachable = 1 WHERE tg_user_id = ?", (staff,))
    await _open(h, member, "Peer advisors")
    await h.tg.press(member, "Ask for a peer advisor")
    await h.tg.press(member, "Send now")
    queued = await h.rows("SELECT chat_id, urgent FROM outbox WHERE key LIKE 'scheme:req:%'")
    assert queued == [{"chat_id": ADMIN_ID, "urgent": 1}]
    await h.deliver()
    assert h.tg.last_text(ADMIN_ID).startswith("Request H-0001 for Peer advisors:")


def test_bad_scheme_config_names_each_key_and_the_fix() -> None:
    from tests.project.test_config import example, problems_for

    data = example()
    data["schemes"]["request_retention_days"] = 14
    data["schemes"]["followup_days"] = 20
    data["schemes"]["wing_staff"] = {"z": [1]}
    listed = data["schemes"]["list"]
    listed[0]["wings"] = ["z"]
    listed[1]["kind"] = "wizards"
    listed[2]["id"] = "Bad Id"
    del data["schemes"]["partners"][0]["phone"]
    found = problems_for(data)
    assert "make it shorter than schemes.request_retention_days" in found["schemes.followup_days"]
    assert "use a wing id from [[wings]]" in found["schemes.wing_staff.z"]
    assert "list wing ids from [[wings]]" in found["schemes.list[0].wings"]
    assert "use one of listeners, insiders" in found["schemes.list[1].kind"]
    assert "unique short id" in found["schemes.list[2].id"]
    assert "schemes.partners[0].phone" in found


async def test_presses_at_once_make_one_request_and_one_arranger(h: Harness) -> None:
    import asyncio

    member = await h.join("member")
    wing_officer = await h.join("staff", wing=None)
    await h.admin()
    _configure(h, wing_staff={"a": (wing_officer,)})
    await _open(h, member, "Listeners")
    page = h.double.last(member)
    assert page is not None
    ask = pack("sak", "listeners")
    await asyncio.gather(*(h.tg.press_data(member, page.message_id, ask) for _ in range(4)))
    rows = await _requests(h)
    assert len(rows) == 1
    told = [t for t in h.tg.texts(member) if "on its way" in t]
    assert len(told) == 3
    await h.deliver()
    notice = h.double.last(wing_officer)
    assert notice is not None
    take = pack("sca", rows[0]["id"])
    await asyncio.gather(
        *(h.tg.press_data(wing_officer, notice.message_id, take) for _ in range(3))
    )
    taken = await h.rows("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'scheme.arranging'")
    assert taken == [{"n": 1}]


async def test_cancelling_request_1_leaves_request_12s_timers(h: Harness) -> None:
    first, second = await h.join("member"), await h.join("member")
    for member in (first, second):
        await _open(h, member, "Listeners")
        await h.tg.press(member, "Ask for a Listener")
        # Ten requests made by others in between, so the second is request 12.
        if member == first:
            for _ in range(10):
                await h.rows(
                    "INSERT INTO scheme_request (scheme_id, wing, status, created_at)"
                    " VALUES ('insiders', 'a', 'arranged', '2026-11-02T10:00:00.000000Z')"
                )
    await h.tg.press(first, "Cancel my request")
    pending = await h.rows("SELECT key FROM timer WHERE status = 'pending' ORDER BY key")
    assert [p["key"] for p in pending] == ["scheme:esc:12:", "scheme:fu:12:"]


async def test_the_audit_log_reads_scheme_actions_as_sentences(h: Harness) -> None:
    member = await h.join("member")
    staff = await h.join("staff", wing=None)
    await _coordinate(h, staff, "Listeners")
    await _open(h, member, "Listeners")
    await h.tg.press(member, "Ask for a Listener")
    await h.deliver()
    await h.tg.press(staff, "I am arranging this")
    await h.tg.send(ADMIN_ID, "/audit")
    shown = h.tg.last_text(ADMIN_ID)
    assert "is arranging peer scheme request H-0001." in shown
    assert "a peer scheme coordinator." in shown


async def test_setting_up_a_scheme_carries_on_from_a_step_saved_before_the_upgrade(
    h: Harness,
) -> None:
    """The typed flow (scheme_flows.NEW) reads rows written by the untyped one: same flow name,
    same step names, same keys. A row with an unknown kind is no flow at all."""
    staff = await h.join("staff", wing=None)
    person = await h.person(staff)
    assert person is not None
    async with h.db.transaction() as tx:
        await tx.execute(
            "INSERT INTO conversation (person_id, flow, step, data, updated_at)"
            " VALUES (?, 'scheme_new', 'about_en', ?, '2026-11-02T09:00:00.000000Z')",
            (person.id, '{"kind": "peer_mentoring", "name_en": "Mentors"}'),
        )
    await h.tg.send(staff, "Mentors meet new arrivals in their first week.")
    assert (
        h.tg.last_text(staff) == "Type how to get help from it, in English (up to 400 characters)."
    )
    state = await h.rows("SELECT flow, step FROM conversation")
    assert state == [{"flow": "scheme_new", "step": "how_en"}]
    await h.tg.send(staff, "Ask your wing officer to book you in.")
    assert h.tg.last_text(staff) == "Mentors is set up. You coordinate it."
    assert await h.rows("SELECT * FROM conversation") == []
    found = await h.rows("SELECT kind, names FROM scheme")
    assert found == [{"kind": "peer_mentoring", "names": '{"en": "Mentors"}'}]
    async with h.db.transaction() as tx:
        await tx.execute(
            "INSERT INTO conversation (person_id, flow, step, data, updated_at)"
            " VALUES (?, 'scheme_new', 'how_en', ?, '2026-11-02T09:00:00.000000Z')",
            (person.id, '{"kind": "chess"}'),
        )
    await h.tg.send(staff, "Ask your wing officer to book you in.")
    assert h.tg.last_text(staff) == "Please use the buttons. Send /menu to see them."
    assert await h.rows("SELECT * FROM conversation") == []
