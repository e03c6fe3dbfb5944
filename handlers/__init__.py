"""register(app): the one list of every command, button and typed-reply step, with its roles.
A newcomer finds any behaviour here, then follows the function into bot/council/."""

from __future__ import annotations

from dataclasses import dataclass

from telegram import Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.council import access_buttons as acb
from bot.council import agenda_buttons as ab
from bot.council import agenda_flows as af
from bot.council import announcements, consultation_flows, scheme_flows, scheme_requests, timers
from bot.council import consultation_buttons as cb
from bot.council import consultations as consultation_rules
from bot.council import election_buttons as eb
from bot.council import elections as election_rules
from bot.council import meetings as meeting_rules
from bot.council import outcomes as outcome_rules
from bot.council import poll_buttons as pb
from bot.council import polls as poll_rules
from bot.council import retention as retention_rules
from bot.council import roles as r
from bot.council import safeguarding as safeguarding_rules
from bot.council import scheme_buttons as sb
from bot.council.access import INVITE
from bot.council.elections import DESK, NEW_ELECTION, STAND
from bot.council.meetings import buttons as mb
from bot.council.polls import NEW_POLL
from bot.council.timers import Timer
from bot.ops import backups
from handlers import (
    access,
    agenda,
    channels,
    common,
    consultations,
    content,
    delivery,
    elections,
    meetings,
    outcomes,
    polls,
    privacy,
    safety,
    schemes,
    triage,
)
from handlers.base import STRANGERS, Spec, pressed, run
from handlers.callbacks import unpack
from handlers.labels import Ids


@dataclass(frozen=True)
class Command:
    name: str
    spec: Spec
    help_id: str | None  # catalogue id of its line in /help; None keeps it out of /help
    menu_id: str | None = None  # catalogue id of its button on the menu; None keeps it off
    menu_roles: frozenset[str] | None = None  # who sees the button, if fewer than spec.roles


def _cmd(
    name: str,
    fn: object,
    roles: frozenset[str],
    help_id: str | None,
    menu_id: str | None = None,
    menu_roles: frozenset[str] | None = None,
) -> Command:
    return Command(name, Spec(fn, roles), help_id, menu_id, menu_roles)  # type: ignore[arg-type]


# Polls: staff and the chair create them; members, chairs and families vote (docs/POLLS.md).
POLL_CREATORS = frozenset({r.STAFF, r.CHAIR})
POLL_VOTERS = frozenset({r.MEMBER, r.CHAIR, r.FAMILY})

# Elections: staff call them (the chair, for offices elected by the reps); members and chairs
# stand and vote; staff keep the paper register and key in boxes; observers confirm box counts
# (docs/ELECTIONS.md). Council code re-checks every rule.
ELECTION_CALLERS = frozenset({r.STAFF, r.CHAIR})
ELECTORS = frozenset({r.MEMBER, r.CHAIR})
BOX_CONFIRMERS = frozenset({r.STAFF, r.ADMIN, r.OBSERVER})
NOT_FAMILY = r.ALL - {r.FAMILY}  # families never vote in council elections

# Consultations: families, members and chairs answer; staff write them (docs/CONSULTATIONS.md).
CONSULTEES = frozenset({r.MEMBER, r.CHAIR, r.FAMILY})
FAMILIES = frozenset({r.FAMILY})

# Peer schemes: members and chairs ask; staff and admin coordinate; the observer reads.
SCHEME_READERS = r.IN_CUSTODY | r.READERS

# Commands, in the order /help and the menu show them.
COMMANDS: list[Command] = [
    _cmd("start", access.start, r.ALL | STRANGERS, None),
    _cmd("menu", access.menu, r.ALL, "help.menu"),
    # Agenda items (docs/AGENDA.md).
    _cmd("raise", agenda.raise_start, r.IN_CUSTODY, "agenda.help.raise", "agenda.menu.raise"),
    _cmd("myitems", agenda.my_items, r.IN_CUSTODY, "agenda.help.myitems", "agenda.menu.myitems"),
    _cmd("browse", agenda.browse, r.IN_CUSTODY, "agenda.help.browse", "agenda.menu.browse"),
    _cmd("triage", triage.triage, r.TRIAGE, "agenda.help.triage", "agenda.menu.triage"),
    _cmd("keyin", agenda.keyin_start, r.STAFF_SIDE, "agenda.help.keyin", "agenda.menu.keyin"),
    _cmd("invite", access.invite, r.STAFF_SIDE, "help.invite", "menu.invite"),
    _cmd("people", access.people, r.STAFF_SIDE, "help.people", "menu.people"),
    _cmd("revoke", access.revoke, r.STAFF_SIDE, "help.revoke"),
    # Safer-custody contacts: who gets alerts about risk of harm (admins manage them).
    _cmd("safercustody", safety.contacts, frozenset({r.ADMIN}), "safety.help", "safety.menu"),
    _cmd("audit", access.audit_log, r.READERS - {r.STAFF}, "help.audit", "menu.audit"),
    _cmd("whoami", access.whoami, r.ALL, "help.whoami", "menu.whoami"),
    _cmd("language", access.language, r.ALL, "help.language", "menu.language"),
    _cmd("polls", polls.polls_command, r.ALL, "polls.help", "polls.menu"),
    _cmd("newpoll", polls.new_poll, POLL_CREATORS, "polls.help_new"),
    _cmd("elections", elections.overview_command, NOT_FAMILY, "elections.help", "elections.menu"),
    _cmd("newelection", elections.new_election, ELECTION_CALLERS, "elections.help_new"),
    _cmd("paper", elections.paper_command, BOX_CONFIRMERS, "elections.help_paper"),
    _cmd("announce", delivery.announce, r.STAFF_SIDE, "help.announce", "menu.announce"),
    _cmd(
        "delivery", delivery.delivery_view, frozenset({r.ADMIN}), "help.delivery", "menu.delivery"
    ),
    # Consultations (docs/CONSULTATIONS.md).
    _cmd(
        "consultations",
        consultations.list_,
        r.ALL,
        "consultations.help_list",
        "consultations.menu_list",
    ),
    _cmd(
        "consult",
        consultations.new,
        r.STAFF_SIDE,
        "consultations.help_consult",
        "consultations.menu_consult",
    ),
    # Meetings (docs/MEETINGS.md).
    _cmd("meeting", meetings.desk, r.STAFF_SIDE, "meetings.help.meeting", "meetings.menu.meeting"),
    _cmd("schedule", meetings.new_start, r.STAFF_SIDE, "meetings.help.schedule"),
    _cmd("meetings", meetings.listing, r.ALL, "meetings.help.meetings", "meetings.menu.meetings"),
    _cmd("agenda", meetings.agenda, r.ALL, "meetings.help.agenda", "meetings.menu.agenda"),
    _cmd(
        "minutes", meetings.minutes, r.STAFF_SIDE, "meetings.help.minutes", "meetings.menu.minutes"
    ),
    # Outcomes, the board, reports and one's own record (docs/OUTCOMES.md, docs/REPORTS.md).
    # The observer reads the board, reports and the audit log; writes nothing.
    _cmd(
        "outcome",
        outcomes.outcome_command,
        r.STAFF_SIDE,
        "outcomes.help.outcome",
        "reader.menu.outcome",
    ),
    _cmd(
        "outcomes",
        outcomes.board_command,
        r.ALL,
        "outcomes.help.outcomes",
        "outcomes.menu.outcomes",
    ),
    _cmd(
        "board", outcomes.print_command, r.STAFF_SIDE, "outcomes.help.board", "outcomes.menu.board"
    ),
    _cmd(
        "report", outcomes.report_command, r.READERS, "outcomes.help.report", "outcomes.menu.report"
    ),
    _cmd(
        "myrecord",
        outcomes.my_record,
        r.IN_CUSTODY,
        "outcomes.help.myrecord",
        "outcomes.menu.myrecord",
    ),
    # Own data (docs/PRIVACY.md): everyone sees it; members, chairs and families may delete it
    # (staff, observers and admins are told kindly that an admin removes them). Members reach
    # "Delete my details" from My data; families keep their Leave button.
    _cmd("mydata", privacy.my_data, r.ALL, "privacy.help_mydata", "privacy.menu_mydata"),
    _cmd("leave", privacy.leave, r.ALL, "privacy.help_leave", "privacy.menu_leave", FAMILIES),
    # Peer schemes (docs/SCHEMES.md): families see nothing of them.
    _cmd("schemes", schemes.directory, SCHEME_READERS, "schemes.help.schemes", "schemes.menu"),
    _cmd("arrived", schemes.arrived, r.STAFF_SIDE, "schemes.help.arrived"),
    _cmd("cancel", common.cancel, r.ALL, "help.cancel"),
    _cmd("help", access.help_, r.ALL | STRANGERS, "help.help", "menu.help"),
    # Channels (docs/CHANNELS.md): one more identity for a person; where notices reach me.
    _cmd("link", channels.link, r.STAFF_SIDE, "channels.help_link"),
    _cmd("channel", channels.my_channel, r.ALL, "channels.help_channel"),
]
COMMAND_BY_NAME = {c.name: c for c in COMMANDS}

# /help says what each role can actually do: a command open to everyone (so that it can answer
# kindly) is worded per role, or left out where the role cannot use it.
HELP_BY_ROLE: dict[tuple[str, str], str | None] = {
    ("polls", r.STAFF): "reader.help.polls_run",
    ("polls", r.ADMIN): "reader.help.polls_run",
    ("polls", r.OBSERVER): "reader.help.polls_read",
    ("leave", r.STAFF): None,
    ("leave", r.ADMIN): None,
    ("leave", r.OBSERVER): None,
}


def help_id_for(command: Command, role: str) -> str | None:
    """The catalogue id of this command's /help line for this role, or None to leave it out."""
    if command.help_id is None or role not in command.spec.roles:
        return None
    return HELP_BY_ROLE.get((command.name, role), command.help_id)


# The menu, in sections, in the order people need them: council work first, "me" last.
# A role with at most MENU_FLAT buttons sees them all at once, in this order; staff and admin,
# with many more, see the sections first, so nobody has to read twenty buttons to find one.
MENU_SECTIONS: list[tuple[str, tuple[str, ...]]] = [
    ("issues", ("raise", "myitems", "browse", "triage", "keyin")),
    ("meetings", ("meetings", "agenda", "meeting", "minutes")),
    ("voice", ("polls", "elections", "consultations", "consult", "announce")),
    ("results", ("outcome", "outcomes", "myrecord", "board", "report")),
    ("schemes", ("schemes",)),
    ("people", ("invite", "people", "safercustody", "audit", "delivery")),
    ("me", ("whoami", "mydata", "language", "leave", "help")),
]
MENU_SECTION = Ids("menu.section.{}", [section for section, _ in MENU_SECTIONS])
MENU_FLAT = 15  # members: 15 buttons with Elections (issue 16) and Peer schemes (issue 18)

# Buttons by the kind in their callback data ("1:kind:args").
BUTTONS: dict[str, Spec] = {
    **dict(
        [
            pressed(acb.MenuCommand, access.menu_button, r.ALL),
            pressed(acb.MenuSection, access.menu_section, r.ALL),
            pressed(acb.PickLanguage, access.pick_language, r.ALL),
            pressed(acb.InviteRole, access.invite_role, r.STAFF_SIDE),
            pressed(acb.InviteWing, access.invite_wing, r.STAFF_SIDE),
            pressed(acb.InviteSkipLabel, access.invite_skip_label, r.STAFF_SIDE),
            pressed(acb.PeoplePage, access.people_page, r.STAFF_SIDE),
            pressed(acb.RevokeAsk, access.revoke_ask, r.STAFF_SIDE),
            pressed(acb.RevokeConfirm, access.revoke_confirm, r.STAFF_SIDE),
            pressed(acb.RevokeKeep, access.revoke_keep, r.STAFF_SIDE),
            pressed(acb.AuditPage, access.audit_page, r.READERS - {r.STAFF}),
        ]
    ),
    # Safer custody: "I am dealing with this" (any role; the council checks the contact flag),
    # and removing a contact (admins).
    **dict(
        [
            pressed(safeguarding_rules.TakeAlert, safety.take, r.ALL),
            pressed(safeguarding_rules.RemoveContact, safety.remove, frozenset({r.ADMIN})),
        ]
    ),
    # Agenda items: raise (ar*), key in (ak*), follow, browse and support, triage, reply.
    **dict(
        [
            pressed(ab.RaiseTopic, agenda.raise_topic, r.IN_CUSTODY),
            pressed(ab.RaiseWing, agenda.raise_wing, r.IN_CUSTODY),
            pressed(ab.RaiseName, agenda.raise_name, r.IN_CUSTODY),
            pressed(ab.RaiseEdit, agenda.raise_edit, r.IN_CUSTODY),
            pressed(ab.RaiseEditField, agenda.raise_edit_field, r.IN_CUSTODY),
            pressed(ab.RaiseConfirm, agenda.raise_confirm, r.IN_CUSTODY),
            pressed(ab.RaiseCancel, agenda.raise_cancel, r.IN_CUSTODY | r.STAFF_SIDE),
            pressed(ab.KeyinTopic, agenda.keyin_topic, r.STAFF_SIDE),
            pressed(ab.KeyinWing, agenda.keyin_wing, r.STAFF_SIDE),
            pressed(ab.KeyinConfirm, agenda.keyin_confirm, r.STAFF_SIDE),
            pressed(ab.KeyinNoWriter, agenda.keyin_no_writer, r.STAFF_SIDE),
            pressed(ab.KeyinCancel, agenda.raise_cancel, r.STAFF_SIDE),
            pressed(ab.MyItemsPage, agenda.my_items_page, r.IN_CUSTODY),
            pressed(ab.BrowsePage, agenda.browse_page, r.IN_CUSTODY),
            pressed(ab.Support, agenda.support, r.IN_CUSTODY),
            pressed(ab.TriageAction, triage.triage_action, r.TRIAGE),
            pressed(ab.TriageNext, triage.triage_next, r.TRIAGE),
            pressed(ab.DeclineConfirm, triage.decline_confirm, r.TRIAGE),
            pressed(ab.DeclineDrop, triage.decline_drop, r.TRIAGE),
            pressed(ab.ReplyStart, agenda.reply_start, r.IN_CUSTODY | r.STAFF_SIDE),
            pressed(ab.ReplyLoose, agenda.reply_loose, r.IN_CUSTODY),
            pressed(ab.ReplyLooseDrop, agenda.reply_loose_drop, r.IN_CUSTODY),
        ]
    ),
    **dict(
        [
            pressed(announcements.PickAudience, delivery.announce_audience, r.STAFF_SIDE),
            pressed(announcements.SendAnnouncement, delivery.announce_send, r.STAFF_SIDE),
            pressed(announcements.CancelAnnouncement, delivery.announce_cancel, r.STAFF_SIDE),
        ]
    ),
    # "The same words in both" while a wizard asks for another content language.
    **dict([pressed(acb.ContentSame, content.same, r.ALL)]),
    **dict(
        [
            pressed(pb.PollList, polls.polls_button, r.ALL),
            pressed(pb.PollBallot, polls.show_ballot, POLL_VOTERS),
            pressed(pb.PollToggle, polls.toggle, POLL_VOTERS),
            pressed(pb.PollChoose, polls.choose, POLL_VOTERS),
            pressed(pb.PollConfirm, polls.confirm, POLL_VOTERS),
            pressed(pb.PollResults, polls.results, r.ALL),
            pressed(pb.PollCloseAsk, polls.close_ask, POLL_CREATORS),
            pressed(pb.PollCloseConfirm, polls.close_confirm, POLL_CREATORS),
            pressed(pb.PollNew, polls.new_poll_button, POLL_CREATORS),
            pressed(pb.PollOptionsDone, polls.options_done, POLL_CREATORS),
            pressed(pb.PollKind, polls.pick_kind, POLL_CREATORS),
            pressed(pb.PollAudience, polls.pick_audience, POLL_CREATORS),
            pressed(pb.PollWing, polls.pick_wing, POLL_CREATORS),
            pressed(pb.PollCloses, polls.pick_closes, POLL_CREATORS),
            pressed(pb.PollOpen, polls.open_poll, POLL_CREATORS),
            pressed(pb.PollCancel, polls.cancel_draft, POLL_CREATORS),
        ]
    ),
    # Elections: overview and reading (el*), ballot (elv/elw/elc), standing (es*), calling
    # (en*), the desk and paper ballots (ed/ep*/ec*), paper votes for polls (pp*).
    **dict(
        [
            pressed(eb.ElectionList, elections.overview_button, NOT_FAMILY),
            pressed(eb.Statements, elections.statements, NOT_FAMILY),
            pressed(eb.ElectionResults, elections.results, NOT_FAMILY),
            pressed(eb.ElectionChart, elections.chart, BOX_CONFIRMERS),
            pressed(eb.BallotShow, elections.show_ballot, ELECTORS),
            pressed(eb.BallotReview, elections.review, ELECTORS),
            pressed(eb.BallotCast, elections.cast, ELECTORS),
            pressed(eb.Stand, elections.stand_start, ELECTORS),
            pressed(eb.StandConfirm, elections.stand_confirm, ELECTORS),
            pressed(eb.StandCancel, elections.stand_cancel, ELECTORS),
            pressed(eb.StatementChange, elections.change_start, ELECTORS),
            pressed(eb.WithdrawAsk, elections.withdraw_ask, ELECTORS),
            pressed(eb.Withdraw, elections.withdraw, ELECTORS),
            pressed(eb.Second, elections.second, ELECTORS),
            pressed(eb.ElectionNew, elections.new_election_button, ELECTION_CALLERS),
            pressed(eb.ByElection, elections.by_election, ELECTION_CALLERS),
            pressed(eb.PickSeats, elections.pick_seats, ELECTION_CALLERS),
            pressed(eb.PickElectorate, elections.pick_electorate, ELECTION_CALLERS),
            pressed(eb.AddOffice, elections.add_office, ELECTION_CALLERS),
            pressed(eb.OfficesDone, elections.offices_done, ELECTION_CALLERS),
            pressed(eb.PickSeconders, elections.pick_seconders, ELECTION_CALLERS),
            pressed(eb.PickNominations, elections.pick_nominations, ELECTION_CALLERS),
            pressed(eb.PickVoting, elections.pick_voting, ELECTION_CALLERS),
            pressed(eb.Publish, elections.publish, ELECTION_CALLERS),
            pressed(eb.Discard, elections.discard, ELECTION_CALLERS),
            pressed(eb.Desk, elections.desk, BOX_CONFIRMERS),
            pressed(eb.AskChange, elections.ask_change_start, r.STAFF_SIDE),
            pressed(eb.Register, elections.register_start, r.STAFF_SIDE),
            pressed(eb.RegisterConfirm, elections.register_confirm, r.STAFF_SIDE),
            pressed(eb.BoxStart, elections.box_start, r.STAFF_SIDE),
            pressed(eb.BoxConfirm, elections.box_confirm, BOX_CONFIRMERS),
            pressed(eb.KeyShow, elections.key_show, r.STAFF_SIDE),
            pressed(eb.KeyReview, elections.key_review, r.STAFF_SIDE),
            pressed(eb.KeyConfirm, elections.key_confirm, r.STAFF_SIDE),
            pressed(eb.CountAsk, elections.count_ask, r.STAFF_SIDE),
            pressed(eb.CountConfirm, elections.count_confirm, r.STAFF_SIDE),
            pressed(eb.PollRegister, elections.poll_register_start, r.STAFF_SIDE),
            pressed(eb.PollRegisterConfirm, elections.poll_register_confirm, r.STAFF_SIDE),
            pressed(eb.PollBox, elections.poll_box_start, r.STAFF_SIDE),
        ]
    ),
    # Consultations: open and answer (cs*), staff write them (cn*).
    **dict(
        [
            pressed(cb.OpenConsultation, consultations.view, r.ALL),
            pressed(cb.GoToQuestion, consultations.go_to_question, CONSULTEES),
            pressed(cb.PickOption, consultations.pick, CONSULTEES),
            pressed(cb.DoneMultiple, consultations.done_multiple, CONSULTEES),
            pressed(cb.SkipQuestion, consultations.skip, CONSULTEES),
            pressed(cb.ReviewAnswers, consultations.review, CONSULTEES),
            pressed(cb.SubmitAnswers, consultations.submit, CONSULTEES),
            pressed(cb.NameChoice, consultations.name_choice, CONSULTEES),
            pressed(cb.ConsultationSummary, consultations.summary, r.STAFF_SIDE),
            pressed(cb.CloseEarlyAsk, consultations.close_ask, r.STAFF_SIDE),
            pressed(cb.CloseEarlyConfirm, consultations.close_confirm, r.STAFF_SIDE),
            pressed(cb.ReportStart, consultations.report_start, r.STAFF_SIDE),
            pressed(cb.ReportPublish, consultations.report_publish, r.STAFF_SIDE),
            pressed(cb.NewKind, consultations.new_kind, r.STAFF_SIDE),
            pressed(cb.NewMore, consultations.new_more, r.STAFF_SIDE),
            pressed(cb.NewAudience, consultations.new_audience, r.STAFF_SIDE),
            pressed(cb.NewClose, consultations.new_close, r.STAFF_SIDE),
            pressed(cb.NewPublish, consultations.new_publish, r.STAFF_SIDE),
            pressed(cb.NewDiscard, consultations.discard, r.STAFF_SIDE),
        ]
    ),
    # Own data: delete my details (lvd), yes (lvy), no (lvn). The council re-checks the role.
    **dict(
        [
            pressed(acb.DeleteAsk, privacy.delete_ask, r.ALL),
            pressed(acb.LeaveConfirm, privacy.leave_confirm, r.ALL),
            pressed(acb.LeaveKeep, privacy.leave_keep, r.ALL),
        ]
    ),
    # Meetings: answers (rsvp), schedule (mn*), the card, move and cancel (mt*), the agenda's
    # order (ma*), minutes (mm*). Council code re-checks audience, version and timing.
    # Meetings (docs/MEETINGS.md): typed buttons, bot/council/meetings/buttons.py.
    **dict(
        [
            pressed(mb.Rsvp, meetings.rsvp, r.IN_CUSTODY | {r.FAMILY}),
            pressed(mb.NewMeeting, meetings.new_start_pressed, r.STAFF_SIDE),
            pressed(mb.NewKind, meetings.new_kind, r.STAFF_SIDE),
            pressed(mb.NewAudience, meetings.new_audience, r.STAFF_SIDE),
            pressed(mb.NewWing, meetings.new_wing, r.STAFF_SIDE),
            pressed(mb.NewDay, meetings.new_day, r.STAFF_SIDE),
            pressed(mb.NewTime, meetings.new_time, r.STAFF_SIDE),
            pressed(mb.NewRepeat, meetings.new_repeat, r.STAFF_SIDE),
            pressed(mb.NewPublish, meetings.new_publish, r.STAFF_SIDE),
            pressed(mb.NewStop, meetings.new_stop, r.STAFF_SIDE),
            pressed(mb.ViewMeeting, meetings.view, r.ALL),
            pressed(mb.MoveMeeting, meetings.move_start, r.STAFF_SIDE),
            pressed(mb.MoveConfirm, meetings.move_confirm, r.STAFF_SIDE),
            pressed(mb.CancelMeeting, meetings.cancel_ask, r.STAFF_SIDE),
            pressed(mb.CancelConfirm, meetings.cancel_confirm, r.STAFF_SIDE),
            pressed(mb.KeepMeeting, meetings.keep, r.STAFF_SIDE),
            pressed(mb.AgendaEdit, meetings.agenda_edit, r.TRIAGE),
            pressed(mb.AgendaWaiting, meetings.agenda_waiting, r.TRIAGE),
            pressed(mb.AgendaAdd, meetings.agenda_add, r.TRIAGE),
            pressed(mb.AgendaUp, meetings.agenda_up, r.TRIAGE),
            pressed(mb.AgendaDown, meetings.agenda_down, r.TRIAGE),
            pressed(mb.AgendaBySupport, meetings.agenda_by_support, r.TRIAGE),
            pressed(mb.MinutesList, meetings.minutes_list, r.STAFF_SIDE),
            pressed(mb.MinutesOpen, meetings.minutes_open, r.STAFF_SIDE),
            pressed(mb.MinutesAttended, meetings.minutes_attended, r.STAFF_SIDE),
            pressed(mb.MinutesOthers, meetings.minutes_others, r.STAFF_SIDE),
            pressed(mb.MinutesDecisions, meetings.minutes_decisions, r.STAFF_SIDE),
            pressed(mb.MinutesKind, meetings.minutes_kind, r.STAFF_SIDE),
            pressed(mb.MinutesRollOver, meetings.minutes_roll_over, r.STAFF_SIDE),
            pressed(mb.MinutesFinish, meetings.minutes_finish, r.STAFF_SIDE),
        ]
    ),
    # Outcomes: post (oc k/o/y/x; triage's "answer now" starts here too), the board (ocb, ocf
    # for families), print (obd). Council code re-checks role, road, item version and state.
    **dict(
        [
            pressed(ab.PickKind, outcomes.pick_kind, r.TRIAGE),
            pressed(ab.OwnerMe, outcomes.owner_me, r.STAFF_SIDE),
            pressed(ab.Publish, outcomes.publish, r.TRIAGE),
            pressed(ab.OutcomeCancel, outcomes.cancel, r.TRIAGE),
            pressed(ab.BoardPage, outcomes.board_page, r.IN_CUSTODY | r.READERS),
            pressed(ab.FamilyPage, outcomes.family_page, FAMILIES),
            pressed(ab.PrintBoard, outcomes.print_board, r.STAFF_SIDE),
            pressed(ab.PostablePage, outcomes.postable_page, r.STAFF_SIDE),
            pressed(ab.ReportMonth, outcomes.report_month, r.READERS),
            pressed(ab.PostablePick, outcomes.postable_pick, r.STAFF_SIDE),
        ]
    ),
    # Peer schemes (s*): the directory and a page, ask (with or without a note), cancel, the
    # follow-up, "I am arranging this", coordinators' pages, new schemes, print my record.
    # Council code re-checks the wing, the coordinator and whose request it is.
    **dict(
        [
            pressed(sb.SchemeDirectory, schemes.directory_button, SCHEME_READERS),
            pressed(sb.SchemePage, schemes.page, SCHEME_READERS),
            pressed(sb.AskScheme, schemes.ask_button, r.IN_CUSTODY),
            pressed(sb.AskNow, schemes.send_now, r.IN_CUSTODY),
            pressed(sb.AskWithNote, schemes.add_note, r.IN_CUSTODY),
            pressed(sb.CancelRequest, schemes.cancel_request, r.IN_CUSTODY),
            pressed(sb.FollowupPick, schemes.followup, r.IN_CUSTODY),
            pressed(sb.ArrangeRequest, schemes.arrange, r.STAFF_SIDE),
            pressed(sb.OpenRequests, schemes.requests, r.STAFF_SIDE),
            pressed(sb.Workers, schemes.workers, r.STAFF_SIDE),
            pressed(sb.AddWorker, schemes.add_worker_start, r.STAFF_SIDE),
            pressed(sb.EndRoleAsk, schemes.end_ask, r.STAFF_SIDE),
            pressed(sb.EndRoleConfirm, schemes.end_confirm, r.STAFF_SIDE),
            pressed(sb.EndRoleKeep, schemes.end_keep, r.STAFF_SIDE),
            pressed(sb.HoursStart, schemes.hours_start, r.STAFF_SIDE),
            pressed(sb.HoursWeek, schemes.hours_week, r.STAFF_SIDE),
            pressed(sb.SchemeAgenda, schemes.agenda_start, r.STAFF_SIDE),
            pressed(sb.AddCoordinator, schemes.coordinator_start, frozenset({r.ADMIN})),
            pressed(sb.NewScheme, schemes.new_start, r.STAFF_SIDE),
            pressed(sb.NewSchemeKind, schemes.new_kind, r.STAFF_SIDE),
            pressed(sb.PrintRecord, schemes.print_record, r.IN_CUSTODY),
        ]
    ),
    # Channels: an invite's channel, a link code's channel, my notices' channel.
    **dict(
        [
            pressed(acb.InviteChannel, channels.invite_channel, r.STAFF_SIDE),
            pressed(acb.LinkChannel, channels.link_channel, r.STAFF_SIDE),
            pressed(acb.ChooseChannel, channels.choose_channel, r.ALL),
        ]
    ),
}

# Typed replies, by the flow stored for the person (conversation table).
FLOWS: dict[str, Spec] = {
    INVITE.name: Spec(access.invite_label, r.STAFF_SIDE),
    af.RAISE.name: Spec(agenda.raise_typed, r.IN_CUSTODY),
    af.KEYIN.name: Spec(agenda.keyin_typed, r.STAFF_SIDE),
    af.TRIAGE.name: Spec(triage.triage_typed, r.TRIAGE),
    af.REPLY.name: Spec(agenda.reply_typed, r.IN_CUSTODY | r.STAFF_SIDE),
    announcements.FLOW.name: Spec(delivery.announce_text, r.STAFF_SIDE),
    NEW_POLL.name: Spec(polls.draft_text, POLL_CREATORS),
    NEW_ELECTION.name: Spec(elections.new_typed, ELECTION_CALLERS),
    STAND.name: Spec(elections.stand_typed, ELECTORS),
    DESK.name: Spec(elections.staff_typed, r.STAFF_SIDE),
    consultation_flows.NEW.name: Spec(consultations.new_typed, r.STAFF_SIDE),
    consultation_flows.ANSWER.name: Spec(consultations.answer_typed, CONSULTEES),
    consultation_flows.REPORT.name: Spec(consultations.report_typed, r.STAFF_SIDE),
    meetings.NEW.name: Spec(meetings.new_typed, r.STAFF_SIDE),
    meetings.MOVE.name: Spec(meetings.move_typed, r.STAFF_SIDE),
    meetings.MINUTES.name: Spec(meetings.minutes_typed, r.STAFF_SIDE),
    "outcome": Spec(outcomes.typed, r.TRIAGE),
    scheme_flows.NOTE.name: Spec(schemes.note_typed, r.IN_CUSTODY),
    scheme_flows.WORKER.name: Spec(schemes.add_worker_typed, r.STAFF_SIDE),
    scheme_flows.HOURS.name: Spec(schemes.hours_typed, r.STAFF_SIDE),
    scheme_flows.AGENDA.name: Spec(schemes.agenda_typed, r.STAFF_SIDE),
    scheme_flows.COORDINATOR.name: Spec(schemes.coordinator_typed, frozenset({r.ADMIN})),
    scheme_flows.NEW.name: Spec(schemes.new_typed, r.STAFF_SIDE),
}

# Timers: what happens at a time, found like what happens on a press. Each kind's Timer sits
# beside its fire function; a pending row of a kind missing here stops the start (timers.py).
TIMERS: dict[str, Timer] = timers.table(
    meeting_rules.REMINDER_TIMER,
    poll_rules.CLOSE_TIMER,
    poll_rules.SOON_TIMER,
    consultation_rules.CLOSE_TIMER,
    election_rules.OPEN_TIMER,
    election_rules.SOON_TIMER,
    election_rules.CLOSE_TIMER,
    election_rules.TERM_TIMER,
    outcome_rules.FOLLOWUP_TIMER,
    outcome_rules.ESCALATE_TIMER,
    safeguarding_rules.ESCALATE_TIMER,
    scheme_requests.ESCALATE_TIMER,
    scheme_requests.FOLLOWUP_TIMER,
    retention_rules.TIMER,
    backups.TIMER,
)


async def _command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    text = message.text if message and message.text else ""
    name = text.split(maxsplit=1)[0].lstrip("/").split("@", 1)[0].lower() if text else ""
    command = COMMAND_BY_NAME.get(name)
    spec = command.spec if command else Spec(common.unknown_command, r.ALL)
    # A MessageHandler gets no context.args (only CommandHandler does): split the text here.
    await run(update, context, spec, kind="command", text=text, args=text.split()[1:])


async def _button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    data = query.data if query else None
    callback = unpack(data)
    spec = BUTTONS.get(callback.kind) if callback else None
    typed = None
    if spec is not None and spec.button is not None:
        # A typed kind: its fields are checked here, once; anything that does not parse is a
        # stale or forged press, answered centrally, and no handler sees it.
        typed = spec.button.parse_as(data)
        if typed is None:
            spec = None
    await run(update, context, spec, kind="button", callback=callback, pressed=typed)


async def _text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    await run(
        update,
        context,
        Spec(common.typed_text, r.ALL | STRANGERS),
        kind="text",
        text=message.text if message and message.text else "",
    )


async def _other(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await run(update, context, None, kind="other")


async def _edited(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An edited message is never input: screened for risk, then a kind word (handlers/safety)."""
    message = update.edited_message
    text = (message.text or message.caption or "") if message else ""
    number = str(message.message_id) if message else "0"
    spec = Spec(safety.edited, r.ALL | STRANGERS)
    await run(update, context, spec, kind="edited", text=text, args=[number])


def register(app: Application) -> None:  # type: ignore[type-arg]
    # First: the handlers below would otherwise take an edit as a new command or answer.
    app.add_handler(MessageHandler(filters.UpdateType.EDITED, _edited))
    app.add_handler(MessageHandler(filters.COMMAND, _command))
    app.add_handler(CallbackQueryHandler(_button))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, _text))
    app.add_handler(MessageHandler(filters.ALL & ~filters.StatusUpdate.ALL, _other))
