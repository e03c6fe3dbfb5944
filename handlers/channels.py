"""Channels seen by people: which channel an invite is for, staff giving an existing person one
more identity (/link), a person choosing where notices reach them (/channel), and each
channel's health in the admin's /delivery. See docs/CHANNELS.md."""

from __future__ import annotations

from typing import assert_never

from bot.channels import health_all
from bot.config import CHANNEL_KINDS, Channel
from bot.council import access, notices
from bot.council.access_buttons import ChooseChannel, InviteChannel, LinkChannel
from handlers.base import Button, Call, Reply, Result
from handlers.labels import ROLE, Ids

KIND = Ids("channels.kind_{}", CHANNEL_KINDS)


def channel_label(call: Call, channel: Channel | None, name: str = "") -> str:
    """A channel as people read it: its kind in words, and its name when two share a kind."""
    if channel is None:
        return name
    kind = call.t(KIND[channel.kind])
    same_kind = [c for c in call.services.settings.all_channels() if c.kind == channel.kind]
    return kind if len(same_kind) == 1 else f"{kind} ({channel.name})"


def _label_of(call: Call, name: str) -> str:
    return channel_label(call, call.services.settings.channel(name), name)


def several(call: Call) -> bool:
    return len(call.services.settings.all_channels()) > 1


def deep_link(call: Call, channel: str | None, code: str) -> str:
    """A t.me link opens the bot on Telegram only; the in-cell channel has no such link."""
    name = channel or call.services.channel
    config = call.services.settings.channel(name)
    usernames = call.services.extras.get("bot_usernames", {})
    username = usernames.get(name) if isinstance(usernames, dict) else None
    if name == call.services.channel:
        username = username or call.services.bot_username
    if config is None or config.kind != "telegram" or not username:
        return "-"
    return f"https://t.me/{username}?start={code}"


# --- invites: which channel -----------------------------------------------------------------


def ask_invite_channel(call: Call, role: str) -> Reply:
    """Asked last, when there is more than one channel: only channels that admit the role."""
    buttons = [
        [Button(channel_label(call, c), InviteChannel(c.name).pack())]
        for c in call.services.settings.all_channels()
        if role in c.roles
    ]
    buttons.append([call.button("channels.any", InviteChannel(None))])
    return call.reply("channels.invite_pick", buttons=buttons, edit=True)


async def invite_channel(call: Call, b: InviteChannel) -> Result:
    from handlers.access import make_invite

    choice = b.channel  # None: any channel
    at = access.INVITE.read(call.state)
    if at is None or at.step is not access.InviteStep.CHANNEL:
        call.toast = call.t("common.stale_button")
        return None
    draft, settings = at.draft, call.services.settings
    if (
        access.invite_check(settings, call.me, draft.role, draft.wing, choice)
        is not access.InviteCheck.MAY
    ):
        call.toast = call.t("common.stale_button")
        return None
    return await make_invite(call, draft.label, channel=choice)


def invite_made(call: Call, *, role: str, code: str, channel: str | None, expires: object) -> Reply:
    where = call.t("channels.any_channel") if channel is None else _label_of(call, channel)
    link = deep_link(call, channel, code)
    return call.reply(
        "channels.invite_made" if link != "-" else "channels.invite_made_no_link",
        role=call.t(ROLE[role]),
        code=code,
        link=link,
        channel=where,
        expires=expires,
    )


# --- /link: one more identity for an existing person ------------------------------------------


async def link(call: Call) -> Result:
    person_id = access.parse_person_ref(" ".join(call.args)) if call.args else None
    if person_id is None:
        return call.reply("channels.link_usage")
    check, target = await access.link_check(call.tx, actor=call.me, person_id=person_id)
    match check:
        case access.LinkCheck.UNKNOWN:
            return call.reply("channels.link_unknown")
        case access.LinkCheck.NOT_ALLOWED:
            return call.reply("channels.link_not_allowed")
        case access.LinkCheck.MAY:
            assert target is not None
        case _:
            assert_never(check)
    buttons = [
        [Button(channel_label(call, c), LinkChannel(target.id, c.name).pack())]
        for c in call.services.settings.all_channels()
    ]
    buttons.append([call.button("channels.any", LinkChannel(target.id, None))])
    return call.reply("channels.link_pick", buttons=buttons, ref=access.person_ref(target.id))


async def link_channel(call: Call, b: LinkChannel) -> Result:
    person_id, channel = b.person_id, b.channel  # channel None: any channel
    settings = call.services.settings
    if channel is not None and settings.channel(channel) is None:
        call.toast = call.t("common.stale_button")
        return None
    check, _ = await access.link_check(call.tx, actor=call.me, person_id=person_id)
    match check:
        case access.LinkCheck.UNKNOWN:
            return call.reply("channels.link_unknown", edit=True)
        case access.LinkCheck.NOT_ALLOWED:
            call.toast = call.t("common.not_for_you")
            return None
        case access.LinkCheck.MAY:
            pass
        case _:
            assert_never(check)
    made = await access.create_link(
        call.tx,
        call.services.clock,
        settings,
        actor=call.me,
        person_id=person_id,
        channel=channel,
    )
    where = call.t("channels.any_channel") if channel is None else _label_of(call, channel)
    link = deep_link(call, channel, made.code)
    return call.reply(
        "channels.link_made" if link != "-" else "channels.link_made_no_link",
        edit=True,
        ref=access.person_ref(person_id),
        code=made.code,
        link=link,
        channel=where,
        expires=made.expires_at,
    )


# --- /channel: where notices reach me ---------------------------------------------------------


async def my_channel(call: Call) -> Result:
    names = await access.channels_of(call.tx, call.me.id)
    chosen = await access.chosen_channel(call.tx, call.me.id)
    where = ", ".join(_label_of(call, n) for n in names)
    if len(names) < 2:
        return call.reply("channels.only_one", channels=where)
    current = _label_of(call, chosen) if chosen in names else call.t("channels.last_used_choice")
    buttons = [[Button(_label_of(call, n), ChooseChannel(n).pack())] for n in names]
    buttons.append([call.button("channels.last_used_choice", ChooseChannel(None))])
    return call.reply("channels.mine", buttons=buttons, channels=where, current=current)


async def choose_channel(call: Call, b: ChooseChannel) -> Result:
    choice = b.channel  # None: the one used last
    if not await access.choose_channel(call.tx, call.services.clock, call.me, choice):
        call.toast = call.t("common.stale_button")
        return None
    if choice is None:
        return call.reply("channels.chose_last_used", edit=True)
    return call.reply("channels.chose", edit=True, channel=_label_of(call, choice))


def known_on(call: Call, names: list[str]) -> str:
    """For /people: where a person can be reached, when there is more than one channel."""
    if not several(call):
        return ""
    return " · " + (", ".join(_label_of(call, n) for n in names) or call.t("channels.none_known"))


async def ways_in(call: Call) -> list[str]:
    """For /mydata: the channels the bot knows them on (only when there is more than one)."""
    if not several(call):
        return []
    mine = await access.channels_of(call.tx, call.me.id)
    names = ", ".join(_label_of(call, channel) for channel in mine)
    return [call.t("channels.mydata", channels=names)]


# --- the admin's /delivery ----------------------------------------------------------------------


async def health_lines(call: Call) -> list[str]:
    """One line per channel: up or down, when it last answered, notices waiting for it."""
    waiting = await notices.waiting_by_channel(call.tx)
    lines = [call.t("channels.health_title")]
    for health in health_all(call.services.extras):
        config = call.services.settings.channel(health.name)
        state = (
            "channels.state_refused"
            if health.refused
            else "channels.state_up"
            if health.up
            else "channels.state_down"
        )
        last = (
            health.last_ok.astimezone(call.services.settings.establishment.timezone).strftime(
                "%Y-%m-%d %H:%M"
            )
            if health.last_ok
            else call.t("channels.never")
        )
        lines.append(
            call.t(
                "channels.health_line",
                channel=channel_label(call, config, health.name),
                state=call.t(state),
                last=last,
                count=waiting.get(health.name, 0),
            )
        )
    return lines
