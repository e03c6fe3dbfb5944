"""Safer custody: "I am dealing with this" on an alert, the contacts (/safercustody), and
edited messages, which are never read as input."""

from __future__ import annotations

from collections import OrderedDict

from bot.council import access, safeguarding
from handlers.base import Button, Call, Reply, Result, stale
from handlers.callbacks import pack
from storage import safety as safety_store


async def take(call: Call) -> Result:
    alert_id = call.callback.int_arg(0) if call.callback else None
    if alert_id is None:
        return stale(call)
    taken = await safeguarding.take(call.tx, call.services.clock, actor=call.me, alert_id=alert_id)
    if taken.outcome == "taken":
        return call.reply("safety.taken", edit=True, person=taken.about)
    if taken.outcome == "already":
        call.toast = call.t("safety.already_taken", by=taken.by)
        call.toast_alert = True
        return None
    if taken.outcome == "not_allowed":
        call.toast = call.t("safety.not_yours")
        return None
    return stale(call)


async def contacts(call: Call) -> Result:
    """/safercustody lists the contacts; /safercustody P-0012 adds one (admins)."""
    if call.args:
        target = access.parse_person_ref(call.args[0])
        if target is None:
            return call.reply("safety.contacts_usage")
        change = await safeguarding.add_contact(
            call.tx, call.services.clock, actor=call.me, person_id=target
        )
        if change.outcome == "unknown":
            return call.reply("safety.contact_unknown")
        return call.reply(f"safety.contact_{change.outcome}", ref=change.ref)
    return await _listing(call, edit=False)


async def remove(call: Call) -> Result:
    target = call.callback.int_arg(0) if call.callback else None
    if target is None:
        return stale(call)
    change = await safeguarding.remove_contact(
        call.tx, call.services.clock, actor=call.me, person_id=target
    )
    call.toast = call.t(f"safety.contact_{change.outcome}", ref=change.ref)
    return await _listing(call, edit=True)


async def _listing(call: Call, *, edit: bool) -> Result:
    people = await safety_store.contacts(call.tx)
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
                role=call.t(f"role.{person.role}"),
                label=person.label or "-",
            )
        )
        buttons.append([call.button("safety.contact_remove", pack("sgr", person.id), ref=ref)])
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
