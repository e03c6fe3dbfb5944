"""Safer custody: "I am dealing with this" on an alert, the contacts (/safercustody), and
edited messages, which are never read as input."""

from __future__ import annotations

from collections import OrderedDict
from typing import assert_never

from bot.council import access, safeguarding
from bot.council.safeguarding import Contact, ContactChange, RemoveContact, Take, TakeAlert
from handlers import labels
from handlers.base import Button, Call, Reply, Result, stale


async def take(call: Call, b: TakeAlert) -> Result:
    taken = await safeguarding.take(
        call.tx, call.services.clock, actor=call.me, alert_id=b.alert_id
    )
    match taken.outcome:
        case Take.TAKEN:
            return call.reply("safety.taken", edit=True, person=taken.about)
        case Take.ALREADY:
            call.toast = call.t("safety.already_taken", by=taken.by)
            call.toast_alert = True
            return None
        case Take.NOT_ALLOWED:
            call.toast = call.t("safety.not_yours")
            return None
        case Take.UNKNOWN:
            return stale(call)
        case _:
            assert_never(taken.outcome)


async def contacts(call: Call) -> Result:
    """/safercustody lists the contacts; /safercustody P-0012 adds one (admins)."""
    if call.args:
        target = access.parse_person_ref(call.args[0])
        if target is None:
            return call.reply("safety.contacts_usage")
        change = await safeguarding.add_contact(
            call.tx, call.services.clock, actor=call.me, person_id=target
        )
        return Reply(_contact_text(call, change))
    return await _listing(call, edit=False)


async def remove(call: Call, b: RemoveContact) -> Result:
    change = await safeguarding.remove_contact(
        call.tx, call.services.clock, actor=call.me, person_id=b.person_id
    )
    call.toast = _contact_text(call, change)
    return await _listing(call, edit=True)


def _contact_text(call: Call, change: ContactChange) -> str:
    match change.outcome:
        case Contact.ADDED:
            return call.t("safety.contact_added", ref=change.ref)
        case Contact.REMOVED:
            return call.t("safety.contact_removed", ref=change.ref)
        case Contact.ALREADY:
            return call.t("safety.contact_already", ref=change.ref)
        case Contact.NOT_THERE:
            return call.t("safety.contact_not_there", ref=change.ref)
        case Contact.UNKNOWN:
            return call.t("safety.contact_unknown")
        case Contact.WRONG_ROLE:
            return call.t("safety.contact_wrong_role", ref=change.ref)
        case _:
            assert_never(change.outcome)


async def _listing(call: Call, *, edit: bool) -> Result:
    people = await safeguarding.contacts(call.tx)
    if not people:
        text = f"{call.t('safety.contacts_none')}\n\n{call.t('safety.contacts_usage')}"
        return Reply(text, [], edit)
    lines = [call.t("safety.contacts_title"), ""]
    buttons: list[list[Button]] = []
    for person in people:
        ref = access.person_ref(person.id)
        lines.append(
            call.t(
                "safety.contact_line",
                ref=ref,
                role=call.t(labels.ROLE[person.role]),
                label=person.label or "-",
            )
        )
        buttons.append([call.button("safety.contact_remove", RemoveContact(person.id), ref=ref)])
    lines += ["", call.t("safety.contacts_usage")]
    return Reply("\n".join(lines), buttons, edit)


# Edited messages: (user, message) pairs already answered, so editing one message many times
# gets one answer. Kept in memory: after a restart one more answer is the worst that happens.
_TOLD: OrderedDict[tuple[int, int], None] = OrderedDict()
_TOLD_MAX = 10_000


def first_edit(user_id: int, message_id: int) -> bool:
    key = (user_id, message_id)
    if key in _TOLD:
        return False
    _TOLD[key] = None
    while len(_TOLD) > _TOLD_MAX:
        _TOLD.popitem(last=False)
    return True


async def edited(call: Call) -> Result:
    """An edit is never taken as an answer to the step the person is on (it would carry an old
    line, even an edited /revoke, into whatever they are doing now). The wrapper still screens
    it for risk. The person is told once per message, kindly, to send a new message."""
    message_id = int(call.args[0]) if call.args else 0
    if call.disclosed or not first_edit(call.user_id, message_id):
        return None
    return call.reply("safety.edited")
