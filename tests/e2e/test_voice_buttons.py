"""The typed buttons of consultations, peer schemes, safer custody and announcements: each packs
and parses back to itself, and forged data for every one of their kinds is answered "stale"
before any handler runs, whoever presses it, and changes nothing stored."""

from __future__ import annotations

import enum
import typing
from typing import Any

import pytest

from bot.council import announcements, consultation_buttons, safeguarding, scheme_buttons
from bot.council.buttons import ButtonData
from tests.support.harness import Harness

STALE = "This button no longer works. Send /menu to start again."
MODULES = (consultation_buttons, scheme_buttons, safeguarding, announcements)


def _kinds() -> list[type[ButtonData]]:
    return [
        cls
        for cls in ButtonData.kinds().values()
        if cls.__module__ in {m.__name__ for m in MODULES}
    ]


_SAMPLE: dict[Any, Any] = {int: 7, str: "listeners", bool: True}


def _sample(kind: Any) -> Any:
    if typing.get_origin(kind) is typing.Literal:
        return typing.get_args(kind)[0]
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return next(iter(kind))  # a StrEnum field (a scheme's kind): its first member
    return _SAMPLE[kind]


def _example(cls: type[ButtonData]) -> ButtonData:
    """A button of the kind with a plausible value in each field (a Literal's first choice)."""
    values = {name: _sample(kind) for name, kind, _ in cls._fields()}
    return cls(**values)


def test_all_forty_five_kinds_are_declared() -> None:
    assert len(_kinds()) == 45


@pytest.mark.parametrize("cls", _kinds(), ids=lambda c: c.prefix)
def test_round_trip(cls: type[ButtonData]) -> None:
    button = _example(cls)
    assert ButtonData.parse(button.pack()) == button
    assert cls.parse_as(button.pack()) == button


def _forgeries(cls: type[ButtonData]) -> list[str]:
    good = _example(cls).pack()
    forged = [good + ":9:9:9:9:9", f"2:{cls.prefix}" + good.split(cls.prefix, 1)[1]]
    if cls._fields():
        forged.append(f"1:{cls.prefix}:-")  # an empty first field
        # A word where a number or a choice belongs (a str field takes any compact word).
        if any(kind is not str for _, kind, _ in cls._fields()):
            forged.append(
                ":".join(
                    ["1", cls.prefix]
                    + ["zz" if kind is not str else "x" for _, kind, _ in cls._fields()]
                )
            )
    return forged


async def test_forged_presses_are_stale_and_change_nothing(h: Harness) -> None:
    admin = await h.join("admin", wing=None)
    member = await h.join("member")
    shown = {}
    for who in (admin, member):
        await h.tg.send(who, "/menu")
        message = h.double.last(who)
        assert message is not None
        shown[who] = message.message_id
    tables = ("consultation", "scheme_request", "safeguarding_alert", "announcement", "outbox")
    before = {t: await h.rows(f"SELECT * FROM {t}") for t in tables}
    for cls in _kinds():
        for data in _forgeries(cls):
            for who in (admin, member):
                await h.tg.press_data(who, shown[who], data)
                assert h.tg.answer_for(who) == STALE, (cls.__name__, data)
    assert {t: await h.rows(f"SELECT * FROM {t}") for t in tables} == before


def test_every_consultation_refusal_has_a_sentence() -> None:
    from bot import i18n
    from bot.council.consultations import Refusal
    from handlers.consultations import refusal_id

    for reason in Refusal:
        assert i18n.has(refusal_id(reason)), reason


def test_ids_built_from_a_kind_or_a_step_exist() -> None:
    """The few ids still named after a configured kind or a wizard step, checked here because
    tests/project/test_catalogue.py skips ids built with braces."""
    from bot import i18n
    from bot.config import SCHEME_KINDS
    from bot.council import scheme_flows, scheme_requests
    from handlers import schemes as scheme_handlers

    for kind in SCHEME_KINDS:
        assert i18n.has(f"schemes.kind.{kind}") and i18n.has(f"schemes.ask.{kind}"), kind
    for answer in scheme_requests.ANSWERS:
        assert i18n.has(f"schemes.followup.{answer}"), answer
    for step in scheme_flows.NewSchemeStep:
        message_id = scheme_handlers.NEW_PROMPT[step]
        assert i18n.has(message_id) and message_id.endswith(step.value), step


def test_consultation_ids_built_from_a_kind_an_audience_or_a_status_exist() -> None:
    from bot import i18n
    from bot.council import announcements as ann
    from bot.council import consultations

    for kind in consultations.KINDS:
        assert i18n.has(f"consultations.kind_{kind}"), kind
    for audience in consultations.AUDIENCES:
        assert i18n.has(f"consultations.audience_{audience}"), audience
    for status in ("open", "closed"):
        assert i18n.has(f"consultations.status_{status}"), status
    for name in ann.AUDIENCES:
        assert i18n.has(f"announce.audience_{name}"), name
