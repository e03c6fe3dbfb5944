"""The buttons of agenda items, triage and outcomes, as types (bot.council.buttons). The
prefixes are today's, so buttons already in members' chats keep working."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from bot.council.buttons import ButtonData

Scope = Literal["w", "a"]  # browse: my wing, or everywhere
Order = Literal["n", "s"]  # browse: newest first, or most supported first
RaiseField = Literal["topic", "wing", "text", "hidden"]


class TriageMove(StrEnum):
    ACCEPT = "a"
    ANSWER = "n"
    DECLINE = "d"
    MERGE = "m"
    ASK = "q"


class KindCode(StrEnum):
    """An outcome's kind, one letter in button data."""

    RESOLVED = "r"
    PARTLY = "p"
    NOT_POSSIBLE = "n"
    IN_PROGRESS = "i"


class SourceCode(StrEnum):
    """The road to an outcome: /outcome (command) or triage's "answer now"."""

    COMMAND = "c"
    TRIAGE = "t"


# --- raise (members) and key in (staff) ---------------------------------------------------------


@dataclass(frozen=True)
class RaiseTopic(ButtonData, prefix="art"):
    topic: str


@dataclass(frozen=True)
class RaiseWing(ButtonData, prefix="arw"):
    wing: str


@dataclass(frozen=True)
class RaiseName(ButtonData, prefix="arn"):
    choice: Literal["show", "hide"]


@dataclass(frozen=True)
class RaiseEdit(ButtonData, prefix="are"):
    pass


@dataclass(frozen=True)
class RaiseEditField(ButtonData, prefix="arf"):
    field: Literal["topic", "wing", "text", "hidden", "none"]


@dataclass(frozen=True)
class RaiseConfirm(ButtonData, prefix="arc"):
    pass


@dataclass(frozen=True)
class RaiseCancel(ButtonData, prefix="arx"):
    pass


@dataclass(frozen=True)
class KeyinTopic(ButtonData, prefix="akt"):
    topic: str


@dataclass(frozen=True)
class KeyinWing(ButtonData, prefix="akw"):
    wing: str


@dataclass(frozen=True)
class KeyinConfirm(ButtonData, prefix="akc"):
    pass


@dataclass(frozen=True)
class KeyinNoWriter(ButtonData, prefix="akn"):
    pass


@dataclass(frozen=True)
class KeyinCancel(ButtonData, prefix="akx"):
    pass


# --- follow, browse and support -----------------------------------------------------------------


@dataclass(frozen=True)
class MyItemsPage(ButtonData, prefix="amy"):
    page: int


@dataclass(frozen=True)
class BrowsePage(ButtonData, prefix="abr"):
    scope: Scope
    order: Order
    page: int


@dataclass(frozen=True)
class Support(ButtonData, prefix="asp"):
    """Support an item. Pressed on a browse page it carries that page, to show it again after;
    pressed on an item shown by reference it carries the item alone."""

    item_id: int
    scope: Scope | None = None
    order: Order | None = None
    page: int | None = None

    @staticmethod
    def on_page(item_id: int, page: BrowsePage) -> Support:
        return Support(item_id, page.scope, page.order, page.page)

    @property
    def back(self) -> BrowsePage | None:
        """The browse page to show again, when pressed on one."""
        if self.scope is None or self.order is None or self.page is None:
            return None
        return BrowsePage(self.scope, self.order, self.page)


# --- triage and the member's reply ----------------------------------------------------------------


@dataclass(frozen=True)
class TriageAction(ButtonData, prefix="atr"):
    move: TriageMove
    item_id: int
    version: int


@dataclass(frozen=True)
class TriageNext(ButtonData, prefix="atn"):
    after: int


@dataclass(frozen=True)
class DeclineConfirm(ButtonData, prefix="atd"):
    item_id: int
    version: int


@dataclass(frozen=True)
class DeclineDrop(ButtonData, prefix="atdx"):
    pass


@dataclass(frozen=True)
class ReplyStart(ButtonData, prefix="arp"):
    """On the notice asking the member a question: answer it."""

    item_id: int


@dataclass(frozen=True)
class ReplyLoose(ButtonData, prefix="arl"):
    """Words typed with no step open: send them as the answer to staff's question."""

    item_id: int


@dataclass(frozen=True)
class ReplyLooseDrop(ButtonData, prefix="arlx"):
    pass


# --- outcomes, the board and the report -----------------------------------------------------------


@dataclass(frozen=True)
class PickKind(ButtonData, prefix="ock"):
    item_id: int
    version: int
    source: SourceCode
    kind: KindCode


@dataclass(frozen=True)
class OwnerMe(ButtonData, prefix="oco"):
    item_id: int


@dataclass(frozen=True)
class Publish(ButtonData, prefix="ocy"):
    item_id: int
    version: int


@dataclass(frozen=True)
class OutcomeCancel(ButtonData, prefix="ocx"):
    pass


@dataclass(frozen=True)
class BoardPage(ButtonData, prefix="ocb"):
    scope: str  # a wing id, or "all"
    page: int


@dataclass(frozen=True)
class FamilyPage(ButtonData, prefix="ocf"):
    page: int


@dataclass(frozen=True)
class PrintBoard(ButtonData, prefix="obd"):
    scope: str  # a wing id, or "all"


@dataclass(frozen=True)
class PostablePage(ButtonData, prefix="ocl"):
    page: int


@dataclass(frozen=True)
class PostablePick(ButtonData, prefix="ocp"):
    item_id: int


@dataclass(frozen=True)
class ReportMonth(ButtonData, prefix="orp"):
    month: str  # "2026-11"
