"""What each election and paper-ballot outcome says: one catalogue id per member of the council's
outcome enums (bot/council/elections.py, bot/council/paper_polls.py). Ids are written out, never
built by f-string, and tests/e2e/test_elections.py checks every enum is covered and every id exists."""

from __future__ import annotations

from bot.council.count import IRV, STV
from bot.council.election_buttons import NominationChoice, VotingChoice
from bot.council.elections import (
    BoxCheck,
    BoxOpening,
    Calling,
    ChangeAsk,
    Counting,
    Keyed,
    NewStep,
    Restatement,
    Seconding,
    Standing,
    Withdrawal,
)
from bot.council.paper_polls import PaperBox, PaperMark

CALLING: dict[Calling, str] = {
    Calling.CALLED: "elections.called",
    Calling.NOT_ALLOWED: "elections.call_not_allowed",
    Calling.INVALID: "elections.call_invalid",
    Calling.TOO_SOON: "elections.call_too_soon",
    Calling.TOO_FAR: "elections.call_too_far",
    Calling.NO_ELECTORS: "elections.call_no_electors",
}

STANDING: dict[Standing, str] = {
    Standing.STOOD: "elections.stood",
    Standing.NOT_ALLOWED: "elections.stand_not_allowed",
    Standing.NOT_ELIGIBLE: "elections.stand_not_eligible",
    Standing.NOT_OPEN: "elections.stand_not_open",
    Standing.ALREADY: "elections.stand_already",
    Standing.FULL: "elections.stand_full",
    Standing.INVALID: "elections.stand_invalid",
}

WITHDRAWAL: dict[Withdrawal, str] = {
    Withdrawal.WITHDRAWN: "elections.withdraw_withdrawn",
    Withdrawal.TOO_LATE: "elections.withdraw_too_late",
    Withdrawal.NOT_STANDING: "elections.withdraw_not_standing",
}

RESTATEMENT: dict[Restatement, str] = {
    Restatement.CHANGED: "elections.change_changed",
    Restatement.NOT_STANDING: "elections.change_not_standing",
    Restatement.TOO_LATE: "elections.change_too_late",
    Restatement.INVALID: "elections.change_invalid",
}

SECONDING: dict[Seconding, str] = {
    Seconding.SECONDED: "elections.seconded",
    Seconding.ALREADY: "elections.already_seconded",
    Seconding.NOT_OPEN: "elections.nominations_closed",
    Seconding.NOT_ALLOWED: "elections.not_open",
}

CHANGE_ASK: dict[ChangeAsk, str] = {
    ChangeAsk.ASKED: "elections.ask_change_asked",
    ChangeAsk.NOT_ALLOWED: "elections.ask_change_not_allowed",
    ChangeAsk.NOT_OPEN: "elections.ask_change_not_open",
    ChangeAsk.INVALID: "elections.reason_problem",
}

PAPER_MARK: dict[PaperMark, str] = {
    PaperMark.MARKED: "elections.register_marked",
    PaperMark.NOT_ALLOWED: "elections.register_not_allowed",
    PaperMark.NOT_ELECTOR: "elections.register_not_elector",
    PaperMark.CLOSED: "elections.register_closed",
    PaperMark.ALREADY: "elections.register_already",
}

BOX_OPENING: dict[BoxOpening, str] = {
    BoxOpening.OPENED: "elections.box_opened",
    BoxOpening.NOT_ALLOWED: "elections.box_not_allowed",
    BoxOpening.NOT_CLOSED: "elections.box_not_closed",
    BoxOpening.TOO_MANY: "elections.box_too_many",
    BoxOpening.LABEL_TAKEN: "elections.box_label_taken",
}

PAPER_BOX: dict[PaperBox, str] = {
    PaperBox.ADDED: "elections.poll_box_added",
    PaperBox.NOT_ALLOWED: "elections.poll_box_not_allowed",
    PaperBox.CLOSED: "elections.poll_box_closed",
    PaperBox.TOO_MANY: "elections.poll_box_too_many",
    PaperBox.LABEL_TAKEN: "elections.poll_box_label_taken",
    PaperBox.SHAPE: "elections.totals_shape",
    PaperBox.OVER: "elections.totals_over",
}

BOX_CHECK: dict[BoxCheck, str] = {
    BoxCheck.CONFIRMED: "elections.box_confirm_confirmed",
    BoxCheck.NOT_ALLOWED: "elections.box_confirm_not_allowed",
    BoxCheck.OWN_BOX: "elections.box_confirm_own_box",
    BoxCheck.ALREADY: "elections.box_confirm_already",
}

# KEYED moves the keyer on to the next ballot (no message of its own).
KEYED: dict[Keyed, str] = {
    Keyed.KEYED: "elections.keyed_so_far",
    Keyed.NOT_ALLOWED: "elections.keying_not_allowed",
    Keyed.NOT_YOURS: "elections.keying_not_yours",
    Keyed.NOT_CONFIRMED: "elections.keying_not_confirmed",
    Keyed.BOX_FULL: "elections.keying_box_full",
    Keyed.NOT_CLOSED: "elections.keying_not_closed",
    Keyed.INVALID: "elections.keying_invalid",
    Keyed.EMPTY: "elections.keying_empty",
    Keyed.STALE: "elections.keying_stale",
    Keyed.TOO_MANY: "elections.keying_too_many",
}

COUNTING: dict[Counting, str] = {
    Counting.COUNTED: "elections.count_counted",
    Counting.NOT_CLOSED: "elections.count_not_closed",
    Counting.BOX_OPEN: "elections.count_box_open",
}

# Labels of the typed choices on the "call an election" screens.
ELECTORATE: dict[str, str] = {  # keyed by every Electorate (checked by a test)
    "wing": "elections.electorate_wing",
    "members": "elections.electorate_members",
    "reps": "elections.electorate_reps",
}
NOMINATIONS: dict[NominationChoice, str] = {
    "3d": "elections.quick_3d",
    "7d": "elections.quick_7d",
    "14d": "elections.quick_14d",
}
VOTING: dict[VotingChoice, str] = {
    "1d": "elections.quick_1d",
    "3d": "elections.quick_3d",
    "7d": "elections.quick_7d",
}
ASK_WHEN: dict[NewStep, str] = {
    NewStep.NOMINATIONS: "elections.ask_nominations",
    NewStep.VOTING: "elections.ask_voting",
}
METHOD: dict[str, str] = {STV: "elections.method_stv", IRV: "elections.method_irv"}

ALL = (
    CALLING,
    STANDING,
    WITHDRAWAL,
    RESTATEMENT,
    SECONDING,
    CHANGE_ASK,
    PAPER_MARK,
    BOX_OPENING,
    PAPER_BOX,
    BOX_CHECK,
    KEYED,
    COUNTING,
)
