"""Issue 17: nothing typed or tapped falls on the floor. Each test goes through the real
Application and asserts what the person sees, in both languages where words are involved."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from tests.support.agenda import raise_item, status_of
from tests.support.harness import Harness


async def _ask(h: Harness, staff: int, ref: str, question: str) -> None:
    await h.tg.send(staff, f"/triage {ref}")
    await h.tg.press(staff, "Ask for more information")
    await h.tg.send(staff, question)


async def test_unexpected_text_says_what_the_bot_waits_for(h: Harness) -> None:
    member = await h.join("member", lang="cy")
    staff = await h.join("staff", wing=None)
    await h.tg.send(member, "helo")
    assert h.tg.last_text(member).startswith("Doeddwn i ddim yn disgwyl geiriau")
    assert "Codi mater" in h.tg.last_text(member)
    await h.tg.send(staff, "hello")
    assert "press Answer now in triage" in h.tg.last_text(staff)


async def test_a_loose_answer_is_kept_and_offered_for_the_open_question(h: Harness) -> None:
    member = await h.join("member")
    staff = await h.join("staff", wing=None)
    ref = await raise_item(h, member)
    await _ask(h, staff, ref, "Which landing?")
    await h.deliver()
    # The member types without pressing Reply: the words are kept and offered, not thrown away.
    await h.tg.send(member, "Landing three, since October.")
    assert h.tg.last_text(member).startswith(f"Staff asked you about {ref}:\nWhich landing?")
    await h.tg.press(member, "Yes, send it as my answer")
    assert h.tg.last_text(member).startswith(f"Thank you. Your answer was added to {ref}.")
    rows = await h.rows("SELECT status, info_reply FROM agenda_item")
    assert rows == [{"status": "new", "info_reply": "Landing three, since October."}]


async def test_a_late_answer_still_reaches_staff_with_a_message(h: Harness) -> None:
    member = await h.join("member", lang="cy")
    staff = await h.join("staff", wing=None)
    ref = await raise_item(h, member, topic="Bwyd", wing="Adain A", lang="cy")
    await _ask(h, staff, ref, "Which landing?")
    await h.deliver()
    # Staff move on (accept) before the member answers.
    await h.tg.send(staff, f"/triage {ref}")
    await h.tg.press(staff, "Accept for a meeting")
    assert await status_of(h, ref) == "accepted"
    await h.deliver()
    await h.tg.press(member, "Ateb")
    moved = h.tg.last_text(member)
    assert moved.startswith(f"Mae staff eisoes wedi symud {ref} ymlaen.")
    await h.tg.send(member, "Landing three.")
    assert h.tg.last_text(member).startswith(f"Roedd staff eisoes wedi symud {ref} ymlaen")
    notes = await h.rows("SELECT text FROM agenda_note")
    assert notes == [{"text": "Landing three."}]
    await h.deliver()
    assert h.tg.last_text(staff) == (
        f"The member sent more information about {ref} after it had moved on:\n"
        "Landing three.\nIt is kept with the issue."
    )
    await h.tg.send(staff, f"/triage {ref}")
    assert "Added later by the member" in h.tg.last_text(staff)


async def test_answer_now_lets_staff_type_the_answer_first(h: Harness) -> None:
    member = await h.join("member")
    staff = await h.join("staff", wing=None)
    ref = await raise_item(h, member)
    await h.tg.send(staff, f"/triage {ref}")
    await h.tg.press(staff, "Answer now")
    await h.tg.send(staff, "The showers are fixed from Monday.")
    assert f"I kept your words as the answer for {ref}." in h.tg.texts(staff)[-2]
    assert "What is the outcome?" in h.tg.last_text(staff)
    await h.tg.press(staff, "Resolved")
    assert h.tg.last_text(staff).startswith(f"Please check the outcome for {ref}:")
    assert "The showers are fixed from Monday." in h.tg.last_text(staff)
    await h.tg.press(staff, "Post it")
    rows = await h.rows("SELECT status, answer FROM agenda_item")
    assert rows == [{"status": "closed", "answer": "The showers are fixed from Monday."}]


async def test_rsvp_marks_the_chosen_answer_and_it_can_change(h: Harness) -> None:
    from tests.e2e.test_meetings import schedule

    staff = await h.join("staff", wing=None)
    member = await h.join("member", wing="a", lang="cy")
    await schedule(h, staff)
    await h.deliver()
    await h.tg.press(member, "Dw i'n dod")
    assert h.tg.buttons(member) == ["✓ Dw i'n dod", "Methu dod", "Ddim yn siŵr"]
    await h.tg.press(member, "Ddim yn siŵr")
    assert h.tg.buttons(member) == ["Dw i'n dod", "Methu dod", "✓ Ddim yn siŵr"]
    rows = await h.rows("SELECT answer FROM meeting_rsvp")
    assert rows == [{"answer": "maybe"}]


async def test_the_ballot_keeps_its_question_and_says_the_vote_is_secret(h: Harness) -> None:
    from tests.e2e.test_polls import create_poll

    staff = await h.join("staff", wing=None)
    member = await h.join("member", lang="cy")
    await create_poll(h, staff, "Pa noson?", ["Llun", "Mawrth"])
    # Opened from the polls list, not the notice: the secrecy line is there too.
    await h.tg.send(member, "/polls")
    await h.tg.press(member, h.tg.buttons(member)[0])
    ballot = h.tg.last_text(member)
    assert ballot.startswith("Pa noson?")
    assert "Nid oes neb, gan gynnwys staff, yn gallu gweld" in ballot
    await h.tg.press(member, "Llun")
    await h.tg.press(member, "Ydw, bwrw fy mhleidlais")
    assert h.tg.last_text(member) == (
        "Pa noson?\n\nMae eich pleidlais wedi'i chofnodi. Nid oes neb, gan gynnwys staff, yn"
        " gallu gweld sut y gwnaethoch chi bleidleisio."
    )


async def test_raising_an_issue_says_the_chair_sees_the_name_too(h: Harness) -> None:
    for lang, wanted in (
        ("en", "May staff and the council chair see your name"),
        ("cy", "A gaiff staff a chadeirydd y cyngor weld eich enw"),
    ):
        member = await h.join("member", lang=lang)
        await h.tg.send(member, "/raise")
        await h.tg.press(member, "Food" if lang == "en" else "Bwyd")
        await h.tg.press(member, "A wing" if lang == "en" else "Adain A")
        await h.tg.send(member, "The showers on the landing are cold every morning.")
        assert h.tg.last_text(member).startswith(wanted)


async def test_a_paper_slip_names_its_writer_who_hears_the_news(h: Harness) -> None:
    keyer = await h.join("staff", wing=None)
    writer = await h.join("member", lang="cy")
    person = await h.person(writer)
    assert person is not None
    await h.tg.send(keyer, "/keyin")
    await h.tg.press(keyer, "Work")
    await h.tg.press(keyer, "B wing")
    assert h.tg.last_text(keyer).startswith("Whose slip is it?")
    await h.tg.send(keyer, "P-9999")
    assert h.tg.last_text(keyer).startswith("That is not the reference of an active member.")
    await h.tg.send(keyer, f"P-{person.id:04d}")
    await h.tg.send(keyer, "Workshop pay has not gone up in three years.")
    await h.tg.send(keyer, "No device")
    assert f"Whose slip: P-{person.id:04d}" in h.tg.last_text(keyer)
    await h.tg.press(keyer, "Confirm")
    done = h.tg.last_text(keyer)
    assert f"News about it goes to P-{person.id:04d} and to you." in done
    ref = done.split("issue ", 1)[1].split(".", 1)[0]
    await h.tg.send(keyer, f"/triage {ref}")
    await h.tg.press(keyer, "Accept for a meeting")
    await h.deliver()
    assert h.tg.last_text(writer).startswith(f"Newyddion da. Mae eich mater {ref}")


async def test_staff_post_an_outcome_from_the_menu_and_statuses_agree(h: Harness) -> None:
    member = await h.join("member")
    staff = await h.join("staff", wing=None)
    ref = await raise_item(h, member)
    await _ask(h, staff, ref, "Which landing?")
    await h.tg.send(staff, f"/triage {ref}")
    # Staff read staff words, never the member's "from you".
    assert "Waiting for more information from the member" in h.tg.last_text(staff)
    assert "from you" not in h.tg.last_text(staff)
    await h.tg.send(staff, "/menu")
    await h.tg.press(staff, "Outcomes and reports")
    await h.tg.press(staff, "Post an outcome")
    assert h.tg.last_text(staff).startswith("Which issue? Press one")
    await h.tg.press(staff, h.tg.buttons(staff)[0])
    assert h.tg.last_text(staff).startswith(f"Issue {ref}")
    await h.tg.press(staff, "In progress")
    await h.tg.send(staff, "The works team has ordered new boilers.")
    await h.tg.press(staff, "Me")
    await h.tg.send(staff, "15 Jan")
    await h.tg.press(staff, "Post it")
    await h.tg.send(member, "/myitems")
    mine = h.tg.last_text(member)
    await h.tg.send(member, "/myrecord")
    record = h.tg.last_text(member)
    assert "Status: In progress." in mine and "In progress" in record
    assert "Answered" not in mine


async def test_help_lists_only_what_the_role_can_do(h: Harness) -> None:
    observer = await h.join("observer", wing=None)
    await h.tg.send(observer, "/help")
    shown = h.tg.last_text(observer)
    assert "/leave" not in shown and "vote in polls" not in shown
    assert "/polls - see polls, their turnout and results" in shown
    family = await h.join("family", lang="cy")
    await h.tg.send(family, "/help")
    assert "/leave" in h.tg.last_text(family)
    member = await h.join("member")
    await h.tg.send(member, "/help")
    assert "/polls - vote in polls and see results" in h.tg.last_text(member)


async def test_invite_buttons_are_capitalised_and_no_link_without_telegram(h: Harness) -> None:
    staff = await h.join("staff", wing=None, lang="cy")
    await h.tg.send(staff, "/invite")
    assert h.tg.buttons(staff) == ["Aelod", "Cadeirydd", "Aelod o'r teulu"]
    h.services.bot_username = ""  # a channel without Telegram links
    await h.tg.press(staff, "Aelod o'r teulu")
    await h.tg.press(staff, h.tg.buttons(staff)[0])
    made = h.tg.last_text(staff)
    assert made.startswith("Cod gwahodd i aelod o'r teulu:")
    assert "t.me" not in made and "/start " in made


async def test_language_asks_in_both_languages(h: Harness) -> None:
    member = await h.join("member", lang="cy")
    await h.tg.send(member, "/language")
    assert h.tg.last_text(member) == "Choose your language.\nDewiswch eich iaith."
    await h.tg.press(member, "English")
    assert h.tg.last_text(member).startswith("Done. I will write to you in English.")


async def test_a_meeting_can_be_planned_for_later_today(h: Harness) -> None:
    from tests.e2e.test_meetings import schedule

    staff = await h.join("staff", wing=None, lang="cy")
    # 10:00 UTC on Monday 2 November is 10:00 in London: "heddiw 19:54" is later today.
    await h.tg.send(staff, "/meeting")
    await h.tg.press(staff, h.tg.buttons(staff)[0])
    await h.tg.press(staff, h.tg.buttons(staff)[0])
    await h.tg.send(staff, "Cyngor")
    await h.tg.send(staff, "Capel")
    await h.tg.press(staff, h.tg.buttons(staff)[0])
    await h.tg.press(staff, h.tg.buttons(staff)[0])
    assert h.tg.buttons(staff)[0] == "Heddiw"
    await h.tg.press(staff, "Heddiw")
    assert h.tg.buttons(staff) == ["11:00", "14:00", "15:00", "18:00"]
    await h.tg.send(staff, "heddiw 19:55")
    assert h.tg.last_text(staff) == "Ydy e'n cael ei ailadrodd?"  # the time was read
    meeting = await schedule(h, await h.join("staff", wing=None), when="today 19:54")
    rows = await h.rows("SELECT starts_at FROM meeting WHERE id = ?", (meeting,))
    assert rows[0]["starts_at"].startswith("2026-11-02T19:54")


async def test_the_opener_closes_a_consultation_early_confirmed_and_audited(h: Harness) -> None:
    from tests.e2e.test_consultations import answer_all, write_consultation

    staff = await h.join("staff", wing=None)
    other = await h.join("staff", wing=None)
    family = await h.join("family")
    cid = await write_consultation(h, staff)
    await answer_all(h, family, cid)
    await h.tg.send(other, "/consultations")
    await h.tg.press(other, "Visits on Saturdays")
    assert "Close it now" not in h.tg.buttons(other)
    await h.tg.send(staff, "/consultations")
    await h.tg.press(staff, "Visits on Saturdays")
    await h.tg.press(staff, "Close it now")
    assert h.tg.last_text(staff).startswith('Close "Visits on Saturdays" now')
    assert "Answers sent so far: 1." in h.tg.last_text(staff)
    await h.tg.press(staff, "Yes, close it now")
    assert h.tg.last_text(staff).startswith("Closed. Nobody can answer now.")
    rows = await h.rows("SELECT status FROM consultation")
    assert rows == [{"status": "closed"}]
    audit = await h.rows("SELECT action FROM audit_log WHERE action = 'consultation.close_early'")
    assert len(audit) == 1
    timers = await h.rows("SELECT status FROM timer WHERE key LIKE 'consultation:%:close'")
    assert all(t["status"] != "pending" for t in timers)


async def test_the_audit_log_reads_as_sentences_in_both_languages(h: Harness) -> None:
    member = await h.join("member")
    chair = await h.join("chair")
    observer = await h.join("observer", wing=None, lang="cy")
    ref = await raise_item(h, member)
    chair_ref = f"P-{(await h.person(chair)).id:04d}"  # type: ignore[union-attr]
    await _ask(h, chair, ref, "Which landing?")
    await h.tg.send(observer, "/audit")
    shown = h.tg.last_text(observer)
    assert f"Gofynnodd Cadeirydd {chair_ref} am ragor o wybodaeth am {ref}." in shown
    assert "agenda.ask_info" not in shown
    admin = await h.admin()
    await h.tg.press(admin, "English")
    await h.tg.send(admin, "/audit")
    assert f"Chair {chair_ref} asked for more information on {ref}." in h.tg.last_text(admin)


async def test_printing_the_board_does_not_fill_the_log(
    h: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    from tests.support.agenda import answer_now

    member = await h.join("member", wing="b")
    staff = await h.join("staff", wing=None)
    ref = await raise_item(h, member, "The showers on B wing are cold.", wing="B wing")
    await h.tg.send(staff, f"/triage {ref}")
    await answer_now(h, staff, "Fixed.", kind="Resolved")
    logging.getLogger("fontTools").setLevel(logging.NOTSET)  # as on a fresh start
    with caplog.at_level(logging.INFO):
        await h.tg.send(staff, "/board")
        await h.tg.press(staff, "B wing")
    assert h.double.last(staff) is not None
    assert not [r for r in caplog.records if r.name.startswith("fontTools")]


async def test_a_keyers_notice_uses_staff_words_for_the_status(h: Harness) -> None:
    keyer = await h.join("staff", wing=None)
    chair = await h.join("chair")
    await h.tg.send(keyer, "/keyin")
    await h.tg.press(keyer, "Regime")
    await h.tg.press(keyer, "A wing")
    await h.tg.press(keyer, "Not given")
    await h.tg.send(keyer, "Association is cut short most evenings.")
    await h.tg.send(keyer, "Paper slip, no device")
    await h.tg.press(keyer, "Confirm")
    await h.tg.send(chair, "/triage")
    await h.tg.press(chair, "Ask for more information")
    await h.tg.send(chair, "Which evenings?")
    await h.deliver()
    notice = h.tg.last_text(keyer)
    assert "Status: Waiting for more information from the member" in notice
    assert "from you" not in notice


async def test_the_same_screens_in_welsh(h: Harness) -> None:
    """Post an outcome, the month picker, closing a consultation early and /help, in Welsh."""
    from bot import i18n
    from tests.e2e.test_consultations import write_consultation

    staff = await h.join("staff", wing=None, lang="cy")
    await h.tg.send(staff, "/menu")
    await h.tg.press(staff, "Canlyniadau ac adroddiadau")
    assert "Cyhoeddi canlyniad" in h.tg.buttons(staff)
    await h.tg.press(staff, "Cyhoeddi canlyniad")
    assert h.tg.last_text(staff).startswith("Does dim mater yn gallu cael canlyniad")
    await h.tg.send(staff, "/report")
    assert h.tg.last_text(staff) == "Pa fis?"
    assert h.tg.buttons(staff)[0] == "Y mis hwn hyd yma (Tachwedd 2026)"
    cid = await write_consultation(h, await h.join("staff", wing=None))
    welsh_opener = await h.person(staff)
    assert welsh_opener is not None
    await h.rows("UPDATE consultation SET created_by = ? WHERE id = ?", (welsh_opener.id, cid))
    await h.tg.send(staff, "/consultations")
    await h.tg.press(staff, "Visits on Saturdays")
    await h.tg.press(staff, i18n.t("cy", "reader.consult.close"))
    assert h.tg.last_text(staff).startswith('Cau "Visits on Saturdays" nawr')
    await h.tg.press(staff, "Ie, ei gau nawr")
    assert h.tg.last_text(staff).startswith("Wedi cau.")
    observer = await h.join("observer", wing=None, lang="cy")
    await h.tg.send(observer, "/help")
    assert "/leave" not in h.tg.last_text(observer)
    assert "/polls - gweld pleidleisiau" in h.tg.last_text(observer)


async def test_a_welsh_consultation_asks_the_name_before_sent(h: Harness) -> None:
    from bot import i18n
    from tests.e2e.test_consultations import write_consultation

    await write_consultation(h, await h.join("staff", wing=None))
    family = await h.join("family", lang="cy")
    await h.tg.send(family, "/consultations")
    await h.tg.press(family, "Visits on Saturdays")
    await h.tg.press(family, i18n.t("cy", "consultations.start"))
    await h.tg.send(family, "Mwy o seddi")
    await h.tg.press(family, i18n.t("cy", "consultations.skip"))
    await h.tg.press(family, i18n.t("cy", "consultations.skip"))
    await h.tg.press(family, i18n.t("cy", "consultations.submit"))
    assert h.tg.last_text(family) == i18n.t("cy", "consultations.ask_name")
    await h.tg.press(family, i18n.t("cy", "consultations.name_no"))
    assert h.tg.last_text(family).startswith("Diolch.")


async def test_an_issue_typed_before_its_topic_is_kept(h: Harness) -> None:
    member = await h.join("member", lang="cy")
    await h.tg.send(member, "/raise")
    await h.tg.send(member, "Mae'r cawodydd yn oer bob bore ar y landin.")
    assert h.tg.texts(member)[-2].startswith("Rwyf wedi cadw eich geiriau")
    await h.tg.press(member, "Bwyd")
    await h.tg.press(member, "Adain A")
    # The words were kept: the next question is the name, not the text.
    assert h.tg.last_text(member).startswith("A gaiff staff a chadeirydd y cyngor weld")


async def test_typing_at_a_meeting_button_step_says_to_use_the_buttons(h: Harness) -> None:
    staff = await h.join("staff", wing=None, lang="cy")
    await h.tg.send(staff, "/meeting")
    await h.tg.press(staff, h.tg.buttons(staff)[0])
    await h.tg.send(staff, "Cyngor")  # the kind is a button
    assert h.tg.last_text(staff) == "Defnyddiwch y botymau uchod. Anfonwch /cancel i stopio."


async def test_the_report_album_reaches_a_local_channel_chat(tmp_path: Path) -> None:
    """The in-cell/demo channel takes the album too (sendMediaGroup), not only Telegram."""
    from tests.e2e.test_local_bot import MORGAN, start_local

    async with start_local(tmp_path) as local:
        said = await local.say(MORGAN, "/report 2026-11")
        await local.seen(MORGAN, lambda text: text.startswith("Report for November 2026."))
        photos: list[dict[str, object]] = []
        for _ in range(50):
            photos = [
                m
                for m in local.history(MORGAN)
                if m["from"] == "bot" and m["seq"] > said["seq"] and m.get("kind") == "photo"
            ]
            if photos:
                break
            await asyncio.sleep(0.1)
        assert len(photos) >= 2 and all(p["text"] for p in photos)
