"""The buttons of access (menu, language, invites, people, revoking, the audit log), own data,
typed replies in other languages and channels, as types (bot/council/buttons.py). The prefixes
and wire formats are the ones packed by hand before, so buttons already in chats keep working."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.council.buttons import ButtonData

# --- menu and language -----------------------------------------------------------------------


@dataclass(frozen=True)
class MenuCommand(ButtonData, prefix="menu"):
    """A command's button on the menu; "menu" itself is "« Back" from a section."""

    name: str


@dataclass(frozen=True)
class MenuSection(ButtonData, prefix="mgrp"):
    section: str


Language = Literal["en", "cy"]
# The languages a person may pick: bot.i18n.LANGUAGES, typed (a test keeps the two the same).
LANGUAGES: tuple[Language, ...] = ("en", "cy")


@dataclass(frozen=True)
class PickLanguage(ButtonData, prefix="lang"):
    lang: Language  # another is forged or old data, answered "stale" by the wrapper


# --- invites, people, revoking, audit ---------------------------------------------------------


@dataclass(frozen=True)
class InviteRole(ButtonData, prefix="inv"):
    role: str


@dataclass(frozen=True)
class InviteWing(ButtonData, prefix="invw"):
    role: str
    wing: str


@dataclass(frozen=True)
class InviteSkipLabel(ButtonData, prefix="invskip"):
    pass


@dataclass(frozen=True)
class PeoplePage(ButtonData, prefix="ppl"):
    page: int


@dataclass(frozen=True)
class RevokeAsk(ButtonData, prefix="rvk"):
    person_id: int


@dataclass(frozen=True)
class RevokeConfirm(ButtonData, prefix="rvky"):
    person_id: int


@dataclass(frozen=True)
class RevokeKeep(ButtonData, prefix="rvkn"):
    person_id: int


@dataclass(frozen=True)
class AuditPage(ButtonData, prefix="aud"):
    before: int


# --- own data ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeleteAsk(ButtonData, prefix="lvd"):
    pass


@dataclass(frozen=True)
class LeaveConfirm(ButtonData, prefix="lvy"):
    pass


@dataclass(frozen=True)
class LeaveKeep(ButtonData, prefix="lvn"):
    pass


# --- typed replies in other languages ----------------------------------------------------------


@dataclass(frozen=True)
class ContentSame(ButtonData, prefix="cts"):
    """The same words in the other language."""


# --- channels ------------------------------------------------------------------------------


@dataclass(frozen=True)
class InviteChannel(ButtonData, prefix="invc"):
    channel: str | None  # None: any channel


@dataclass(frozen=True)
class LinkChannel(ButtonData, prefix="lnk"):
    person_id: int
    channel: str | None  # None: any channel


@dataclass(frozen=True)
class ChooseChannel(ButtonData, prefix="chn"):
    channel: str | None  # None: the one used last
