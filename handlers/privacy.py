"""Own data: /mydata lists what the bot holds about the person; /leave (or "Delete my details")
ends their access and deletes their details. Thin: the rules are in bot/council/privacy.py."""

from __future__ import annotations

from typing import assert_never

from bot import i18n
from bot.council import privacy as council
from bot.council.access_buttons import DeleteAsk, LeaveConfirm, LeaveKeep
from handlers import channels
from handlers.base import Call, Result
from handlers.labels import ROLE, Ids

# The confirmation's two buttons, worded for /leave or for "Delete my details".
_YES = Ids("privacy.{}_yes", ("leave", "delete"))
_NO = Ids("privacy.{}_no", ("leave", "delete"))


async def my_data(call: Call) -> Result:
    data = await council.my_data(call.tx, call.services.settings, call.me)
    me, counts = data.person, data.counts
    wing = call.services.settings.wing(me.wing) if me.wing else None
    lines = [
        call.t("privacy.title"),
        call.t("privacy.role", role=call.t(ROLE[me.role])),
    ]
    if wing is not None:
        lines.append(call.t("privacy.wing", wing=wing.label(call.lang)))
    lines.append(
        call.t("privacy.label", label=me.label) if me.label else call.t("privacy.no_label")
    )
    lines += [
        call.t("privacy.language", language=i18n.LANGUAGE_NAMES[me.language]),
        call.t("privacy.joined", day={"$day": data.joined_on.isoformat()}),
        # With more than one channel: the ways in the bot holds for them (docs/CHANNELS.md).
        *await channels.ways_in(call),
    ]
    if me.role in ("member", "chair"):
        lines += [
            call.t("privacy.raised", count=counts.raised),
            call.t("privacy.supported", count=counts.supported),
        ]
    lines += [
        call.t("privacy.meetings", answered=counts.answered_meetings, attended=counts.attended),
        call.t("privacy.polls", count=counts.polls),
        call.t("privacy.consultations", count=counts.consultations),
    ]
    if counts.elections or counts.stood or counts.offices:
        lines += [
            call.t("privacy.elections", count=counts.elections),
            call.t("privacy.stood", count=counts.stood),
            call.t("privacy.offices", count=counts.offices),
        ]
    if counts.scheme_requests or counts.peer_roles:
        lines += [
            call.t("privacy.scheme_requests", count=counts.scheme_requests),
            call.t("privacy.peer_roles", count=counts.peer_roles),
        ]
    lines += [
        call.t("privacy.waiting", count=counts.waiting),
        "",
        call.t("privacy.kept", count=call.services.settings.retention.days),
    ]
    if not council.may_leave(me):
        lines.append(call.t("privacy.ask_admin"))
        return call.reply("privacy.page", text="\n".join(lines))
    buttons = [[call.button("privacy.delete", DeleteAsk())]]
    return call.reply("privacy.page", text="\n".join(lines), buttons=buttons)


def _ask(call: Call, *, edit: bool, wording: str) -> Result:
    """The one confirmation, worded for /leave ("leave") or for the button ("delete")."""
    if not council.may_leave(call.me):
        if call.callback is not None:
            call.toast = call.t("privacy.ask_admin")
            return None
        return call.reply("privacy.ask_admin")
    what = "privacy.confirm_family" if call.me.role == "family" else "privacy.confirm_member"
    buttons = [
        [
            call.button(_YES[wording], LeaveConfirm()),
            call.button(_NO[wording], LeaveKeep()),
        ]
    ]
    return call.reply(what, buttons=buttons, edit=edit)


async def leave(call: Call) -> Result:
    return _ask(call, edit=False, wording="leave")


async def delete_ask(call: Call, b: DeleteAsk) -> Result:
    return _ask(call, edit=True, wording="delete")


async def leave_confirm(call: Call, b: LeaveConfirm) -> Result:
    outcome = await council.leave(call.tx, call.services.clock, call.me)
    match outcome:
        case council.Leaving.LEFT:
            return call.reply("privacy.left", edit=True)
        case council.Leaving.ASK_ADMIN:
            call.toast = call.t("privacy.ask_admin")
            return None
        case council.Leaving.ALREADY:
            call.toast = call.t("common.stale_button")
            return None
        case _:
            assert_never(outcome)


async def leave_keep(call: Call, b: LeaveKeep) -> Result:
    return call.reply("privacy.stayed", edit=True)
