"""Joining, language, help, menu, invites, people and revocation, audit log reading."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, assert_never

from babel.dates import format_datetime

from bot import i18n
from bot.council import access, audit, roles
from bot.council import access_buttons as acb
from bot.council.access import InviteCheck, InviteStep, Inviting, Redeemed, Revoked
from bot.council.access_buttons import (
    AuditPage,
    InviteRole,
    InviteSkipLabel,
    InviteWing,
    MenuCommand,
    MenuSection,
    PeoplePage,
    PickLanguage,
    RevokeAsk,
    RevokeConfirm,
    RevokeKeep,
)
from bot.council.text import clean
from bot.services import Services
from handlers import channels, schemes
from handlers.base import Button, Call, Reply, Result, pairs, stranger
from handlers.labels import ROLE, Ids

if TYPE_CHECKING:
    from handlers import Command

PAGE = 8
WELCOME = Ids("welcome.{}", roles.ALL)
ROLE_BUTTON = Ids("reader.role_button.{}", roles.ALL)


def language_buttons() -> list[list[Button]]:
    return [
        [Button(i18n.LANGUAGE_NAMES[lang], PickLanguage(lang).pack()) for lang in acb.LANGUAGES]
    ]


def _menu_entries(call: Call) -> list[tuple[str, list[Command]]]:
    """The role's menu buttons, by section, in the order of handlers.MENU_SECTIONS."""
    from handlers import COMMAND_BY_NAME, MENU_SECTIONS

    role = call.me.role
    sections: list[tuple[str, list[Command]]] = []
    for section, names in MENU_SECTIONS:
        found = [COMMAND_BY_NAME[n] for n in names if n in COMMAND_BY_NAME]
        usable = [c for c in found if c.menu_id and role in (c.menu_roles or c.spec.roles)]
        if usable:
            sections.append((section, usable))
    return sections


def _command_pairs(call: Call, commands: list[Command]) -> list[list[Button]]:
    return pairs([call.button(c.menu_id or "", MenuCommand(c.name)) for c in commands])


def menu_buttons(call: Call) -> list[list[Button]]:
    from handlers import MENU_FLAT, MENU_SECTION

    sections = _menu_entries(call)
    everything = [c for _, commands in sections for c in commands]
    if len(everything) <= MENU_FLAT:
        return _command_pairs(call, everything)
    buttons = [
        call.button(MENU_SECTION[section], MenuSection(section))
        if len(commands) > 1
        else call.button(commands[0].menu_id or "", MenuCommand(commands[0].name))
        for section, commands in sections
    ]
    return [buttons[i : i + 2] for i in range(0, len(buttons), 2)]


async def menu_section(call: Call, b: MenuSection) -> Result:
    from handlers import MENU_SECTION

    found = dict(_menu_entries(call)).get(b.section)
    if not found:
        call.toast = call.t("common.stale_button")
        return None
    buttons = _command_pairs(call, found)
    buttons.append([call.button("menu.back", MenuCommand("menu"))])
    return call.reply(MENU_SECTION[b.section], buttons=buttons, edit=True)


def menu_reply(call: Call, message_id: str = "menu.title", *, edit: bool = False) -> Reply:
    return call.reply(message_id, buttons=menu_buttons(call), edit=edit)


async def start(call: Call) -> Result:
    # Codes copied from paper may arrive split by spaces: "K7MQ 2XH9 PRT4".
    code = "".join(call.args)
    if call.person is not None:
        if not call.me.language_chosen:
            # First contact (the configured admin comes in without a code): the welcome and
            # the language choice like everyone else, in both languages, not "welcome back".
            return _pick_first_language()
        if code:
            return menu_reply(call, "join.already")
        return menu_reply(call, "menu.welcome_back")
    if not code:
        return stranger(call)
    settings, clock = call.services.settings, call.services.clock
    outcome = await access.redeem(
        call.tx,
        clock,
        settings,
        tg_user_id=call.user_id,
        raw_code=code,
        channel=call.services.channel,
    )
    match outcome.result:
        case Redeemed.LOCKED:
            return call.reply("join.locked")
        case Redeemed.PAUSED:
            return call.reply("safety.join_paused")
        case Redeemed.WRONG_CHANNEL:
            return call.reply("channels.wrong_channel")
        case Redeemed.BAD_CODE:
            return call.reply("join.bad_code")
        case Redeemed.JOINED | Redeemed.LINKED | Redeemed.ALREADY_MEMBER:
            pass
        case _:
            assert_never(outcome.result)
    assert outcome.person is not None, "joined, linked or a member already"
    call.person = outcome.person
    if outcome.result is Redeemed.LINKED:
        # One more way to reach an existing person: their record, role and language stay.
        call.lang = outcome.person.language
        return menu_reply(call, "channels.linked")
    await audit.record(
        call.tx,
        clock,
        actor_id=outcome.person.id,
        actor_role=outcome.person.role,
        action="person.join",
        subject=access.person_ref(outcome.person.id),
    )
    return _pick_first_language()


def _pick_first_language() -> Reply:
    # Both languages at once: the person has not chosen yet.
    text = f"{i18n.t('en', 'join.pick_language')}\n{i18n.t('cy', 'join.pick_language')}"
    return Reply(text, language_buttons())


async def pick_language(call: Call, b: PickLanguage) -> Result:
    lang = b.lang
    first_time = not call.me.language_chosen
    call.person = await access.choose_language(call.tx, call.services.clock, call.me, lang)
    call.lang = lang
    call.commands_changed = True
    if first_time:
        welcome = call.t(
            WELCOME[call.me.role], establishment=call.services.settings.establishment.name
        )
        return [
            Reply(welcome, edit=True),
            call.reply("welcome.safeguarding"),
            # A member who has just joined gets the Insiders' welcome too (docs/SCHEMES.md).
            *await schemes.join_welcome(call),
            menu_reply(call),
        ]
    return menu_reply(call, "language.changed", edit=True)


async def language(call: Call) -> Result:
    # Asked in both languages: someone who cannot read the current one can still find theirs.
    text = f"{i18n.t('en', 'language.pick')}\n{i18n.t('cy', 'language.pick')}"
    return Reply(text, language_buttons())


async def menu(call: Call) -> Result:
    return menu_reply(call)


async def menu_button(call: Call, b: MenuCommand) -> Result:
    from handlers import COMMAND_BY_NAME

    name = b.name
    command = COMMAND_BY_NAME.get(name)
    if name == "menu":  # "« Back" from a section
        return menu_reply(call, edit=True)
    if command is None or command.menu_id is None or call.me.role not in command.spec.roles:
        call.toast = call.t("common.not_for_you")
        return None
    return await command.spec.fn(call)


async def help_(call: Call) -> Result:
    from handlers import COMMANDS, help_id_for

    if call.person is None:
        return stranger(call)
    lines = [call.t("help.title")]
    for command in COMMANDS:
        help_id = help_id_for(command, call.me.role)
        if help_id:
            lines.append(f"/{command.name} - {call.t(help_id)}")
    return Reply("\n".join(lines), menu_buttons(call))


async def whoami(call: Call) -> Result:
    me = call.me
    wing = call.services.settings.wing(me.wing) if me.wing else None
    return call.reply(
        "whoami.text",
        role=call.t(ROLE[me.role]),
        establishment=call.services.settings.establishment.name,
        ref=access.person_ref(me.id),
        wing=wing.label(call.lang) if wing else call.t("whoami.no_wing"),
        language=i18n.LANGUAGE_NAMES[me.language],
    )


# --- invites ---------------------------------------------------------------------------------


async def invite(call: Call) -> Result:
    await call.end_flow()
    buttons = [
        [call.button(ROLE_BUTTON[role], InviteRole(role))]
        for role in roles.MAY_INVITE.get(call.me.role, ())
    ]
    return call.reply("invite.pick_role", buttons=buttons)


async def invite_role(call: Call, b: InviteRole) -> Result:
    role = b.role
    if not roles.may_invite(call.me.role, role):
        call.toast = call.t("common.not_for_you")
        return None
    if role in roles.WINGED:
        wings = call.services.settings.wings
        buttons = [[Button(w.label(call.lang), InviteWing(role, w.id).pack())] for w in wings]
        return call.reply("invite.pick_wing", buttons=buttons, edit=True)
    return await _ask_label(call, role, None)


async def invite_wing(call: Call, b: InviteWing) -> Result:
    role, wing, settings = b.role, b.wing, call.services.settings
    # The button names a configured wing, whatever the role (forged or old data otherwise).
    known = settings.wing(wing) is not None
    if not known or access.invite_check(settings, call.me, role, wing, None) is not InviteCheck.MAY:
        call.toast = call.t("common.stale_button")
        return None
    return await _ask_label(call, role, wing)


async def _ask_label(call: Call, role: str, wing: str | None) -> Result:
    now = call.services.clock.now()
    await access.INVITE.save(call.tx, call.me.id, InviteStep.LABEL, Inviting(role, wing), now)
    return call.reply(
        "invite.ask_label",
        buttons=[[call.button("invite.skip_label", InviteSkipLabel())]],
        edit=True,
    )


async def invite_label(call: Call) -> Result:
    cleaned = clean(call.text, max_len=60)
    if not cleaned.ok:
        return call.reply("invite.label_problem")
    return await make_invite(call, cleaned.text)


async def invite_skip_label(call: Call, b: InviteSkipLabel) -> Result:
    if access.INVITE.read(call.state) is None:
        call.toast = call.t("common.stale_button")
        return None
    return await make_invite(call, None)


async def make_invite(call: Call, label: str | None, *, channel: str | None = None) -> Result:
    at = access.INVITE.read(call.state)
    if at is None:
        return call.reply("common.use_menu")
    role, wing = at.draft.role, at.draft.wing
    match access.invite_check(call.services.settings, call.me, role, wing, channel):
        case InviteCheck.MAY:
            pass
        case InviteCheck.NOT_ALLOWED:
            await call.end_flow()
            return call.reply("common.not_for_role")
        case InviteCheck.NO_WING | InviteCheck.WRONG_CHANNEL:  # an old or damaged flow
            await call.end_flow()
            return call.reply("common.use_menu")
        case check:
            assert_never(check)
    if channels.several(call) and at.step is not InviteStep.CHANNEL:
        # More than one channel: the code names the one it is used on (or any), asked last.
        draft = replace(at.draft, label=label)
        now = call.services.clock.now()
        await access.INVITE.save(call.tx, call.me.id, InviteStep.CHANNEL, draft, now)
        return channels.ask_invite_channel(call, role)
    await call.end_flow()
    made = await access.create_invite(
        call.tx,
        call.services.clock,
        call.services.settings,
        actor=call.me,
        role=role,
        wing=wing,
        label=label,
        channel=channel,
    )
    if channels.several(call):
        return channels.invite_made(
            call, role=role, code=made.code, channel=channel, expires=made.expires_at
        )
    if not offers_telegram_links(call.services):
        return call.reply(
            "reader.invite.made_no_link",
            role=call.t(ROLE[role]),
            code=made.code,
            expires=made.expires_at,
        )
    return call.reply(
        "invite.made",
        role=call.t(ROLE[role]),
        code=made.code,
        link=f"https://t.me/{call.services.bot_username}?start={made.code}",
        expires=made.expires_at,
    )


def offers_telegram_links(services: Services) -> bool:
    """Whether a t.me link can open this bot: only on a Telegram channel with a username (the
    in-cell channel has no t.me links; docs/CHANNELS.md)."""
    channel = services.settings.channel(services.channel)
    return bool(services.bot_username) and (channel is None or channel.kind == "telegram")


# --- people and revocation ------------------------------------------------------------------


async def people(call: Call) -> Result:
    return await _people_page(call, 0, edit=False)


async def people_page(call: Call, b: PeoplePage) -> Result:
    return await _people_page(call, b.page, edit=True)


async def _people_page(call: Call, page: int, *, edit: bool) -> Result:
    found = await access.roll(call.tx, page=page, size=PAGE)
    total, rows, contacts = found.total, found.people, found.contacts
    if not rows:
        return call.reply("people.none", edit=edit)
    lines = [call.t("people.title", count=total)]
    # Safer-custody contacts are marked; having none is said first (issue 12).
    if not contacts:
        lines.append(call.t("safety.no_contacts"))
    buttons: list[list[Button]] = []
    for person in rows:
        marker = f" · {call.t('safety.people_marker')}" if person.id in contacts else ""
        where = channels.known_on(call, found.channels.get(person.id, []))
        lines.append(_person_line(call, person) + where + marker)
        if person.id != call.me.id and roles.may_revoke(call.me.role, person.role):
            ref = access.person_ref(person.id)
            buttons.append([call.button("people.remove", RevokeAsk(person.id), ref=ref)])
    nav: list[Button] = []
    if page > 0:
        nav.append(call.button("common.previous", PeoplePage(page - 1)))
    if (page + 1) * PAGE < total:
        nav.append(call.button("common.next", PeoplePage(page + 1)))
    if nav:
        buttons.append(nav)
    return Reply("\n".join(lines), buttons, edit)


def _person_line(call: Call, person: access.Person) -> str:
    wing = call.services.settings.wing(person.wing) if person.wing else None
    return call.t(
        "people.line",
        ref=access.person_ref(person.id),
        role=call.t(ROLE[person.role]),
        wing=wing.label(call.lang) if wing else "-",
        label=person.label or "-",
    )


async def revoke(call: Call) -> Result:
    target = access.parse_person_ref(call.args[0]) if call.args else None
    if target is None:
        return call.reply("revoke.usage")
    return await _revoke_question(call, target, edit=False)


async def revoke_ask(call: Call, b: RevokeAsk) -> Result:
    return await _revoke_question(call, b.person_id, edit=False)


async def _revoke_question(call: Call, target_id: int, *, edit: bool) -> Result:
    check, target = await access.revoke_check(call.tx, actor=call.me, target_id=target_id)
    match check:
        case access.RevokeCheck.UNKNOWN:
            return call.reply("revoke.unknown", edit=edit)
        case access.RevokeCheck.NOT_ALLOWED:
            return call.reply("revoke.not_allowed", edit=edit)
        case access.RevokeCheck.MAY:
            assert target is not None
        case _:
            assert_never(check)
    buttons = [
        [
            call.button("revoke.yes", RevokeConfirm(target.id)),
            call.button("revoke.no", RevokeKeep(target.id)),
        ]
    ]
    return call.reply(
        "revoke.confirm", buttons=buttons, edit=edit, person=_person_line(call, target)
    )


async def revoke_confirm(call: Call, b: RevokeConfirm) -> Result:
    target = b.person_id
    outcome = await access.revoke(call.tx, call.services.clock, actor=call.me, target_id=target)
    match outcome.reason:
        case Revoked.REVOKED:
            return call.reply("revoke.done", edit=True, ref=access.person_ref(target))
        case Revoked.ALREADY:
            return call.reply("revoke.already", edit=True)
        case Revoked.UNKNOWN:
            return call.reply("revoke.unknown", edit=True)
        case Revoked.SELF | Revoked.NOT_ALLOWED:
            return call.reply("revoke.not_allowed", edit=True)
        case _:
            assert_never(outcome.reason)


async def revoke_keep(call: Call, b: RevokeKeep) -> Result:
    return call.reply("revoke.kept", edit=True)


# --- audit log --------------------------------------------------------------------------------


async def audit_log(call: Call) -> Result:
    return await _audit_page(call, None, edit=False)


async def audit_page(call: Call, b: AuditPage) -> Result:
    return await _audit_page(call, b.before, edit=True)


async def _audit_page(call: Call, before: int | None, *, edit: bool) -> Result:
    rows = await audit.page(call.tx, limit=10, before_id=before)
    if not rows:
        return call.reply("audit.none", edit=edit)
    lines = [call.t("audit.title")]
    zone = call.services.settings.establishment.timezone
    for row in rows:
        when = format_datetime(row.at, "d MMM, HH:mm", tzinfo=zone, locale=call.lang)
        lines.append(call.t("reader.audit.line", when=when, sentence=_audit_sentence(call, row)))
    buttons = [[call.button("common.older", AuditPage(rows[-1].id))]] if len(rows) == 10 else []
    return Reply("\n".join(lines), buttons, edit)


def _audit_sentence(call: Call, row: audit.AuditRow) -> str:
    """An audit row as a sentence: "Chair P-0012 asked for more information on A-0004."."""
    if row.actor_id is None:
        actor = call.t("reader.audit.system")
    elif row.actor_role and row.actor_role in ROLE_BUTTON:
        actor = call.t(
            "reader.audit.actor",
            role=call.t(ROLE_BUTTON[row.actor_role]),
            ref=access.person_ref(row.actor_id),
        )
    else:
        actor = access.person_ref(row.actor_id)
    subject = row.subject or "-"
    kind, _, number = subject.partition(":")
    if number.isdigit() and i18n.has(f"reader.audit.subject.{kind}"):
        subject = call.t(f"reader.audit.subject.{kind}", id=number)
    message_id = f"reader.audit.action.{row.action.replace('.', '_')}"
    if not i18n.has(message_id):
        return call.t("reader.audit.other", actor=actor, action=row.action, subject=subject)
    return call.t(message_id, actor=actor, subject=subject)
