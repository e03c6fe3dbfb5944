"""The typed buttons of access, own data, content and channels keep the wire format packed by
hand before (buttons already in chats keep working), and forged data parses to nothing."""

from __future__ import annotations

import pytest

from bot import i18n
from bot.council import access_buttons as acb
from bot.council.buttons import ButtonData
from handlers.callbacks import pack

SAME = [
    (acb.MenuCommand("invite"), pack("menu", "invite")),
    (acb.MenuSection("people"), pack("mgrp", "people")),
    (acb.PickLanguage("cy"), pack("lang", "cy")),
    (acb.InviteRole("member"), pack("inv", "member")),
    (acb.InviteWing("member", "a"), pack("invw", "member", "a")),
    (acb.InviteSkipLabel(), pack("invskip")),
    (acb.PeoplePage(2), pack("ppl", 2)),
    (acb.RevokeAsk(7), pack("rvk", 7)),
    (acb.RevokeConfirm(7), pack("rvky", 7)),
    (acb.RevokeKeep(7), pack("rvkn", 7)),
    (acb.AuditPage(40), pack("aud", 40)),
    (acb.DeleteAsk(), pack("lvd")),
    (acb.LeaveConfirm(), pack("lvy")),
    (acb.LeaveKeep(), pack("lvn")),
    (acb.ContentSame(), pack("cts")),
    (acb.InviteChannel("incell"), pack("invc", "incell")),
    (acb.InviteChannel(None), pack("invc", "-")),
    (acb.LinkChannel(3, "telegram"), pack("lnk", 3, "telegram")),
    (acb.LinkChannel(3, None), pack("lnk", 3, "-")),
    (acb.ChooseChannel("incell"), pack("chn", "incell")),
    (acb.ChooseChannel(None), pack("chn", "-")),
]


@pytest.mark.parametrize(("button", "old"), SAME)
def test_the_wire_format_is_the_old_one(button: ButtonData, old: str) -> None:
    assert button.pack() == old
    assert ButtonData.parse(old) == button


@pytest.mark.parametrize(
    "data",
    [
        "1:rvky:x",
        "1:rvky",
        "1:aud:-",
        "1:ppl:-1",
        "1:lnk:x:telegram",
        "1:lnk:3",
        "1:invw:member",
        "1:lvy:1:x",
        "1:invc",
        "1:chn:a:b",
        "1:lang:fr",
    ],
)
def test_forged_data_is_none(data: str) -> None:
    assert ButtonData.parse(data) is None


def test_the_language_button_offers_exactly_the_catalogue_languages() -> None:
    assert acb.LANGUAGES == i18n.LANGUAGES
