"""Who may do what. Every handler path names the roles it serves; this is the one table."""

from __future__ import annotations


class NotAllowed(Exception):
    """The actor's role does not allow this, whatever the button or command said."""


MEMBER = "member"
CHAIR = "chair"
FAMILY = "family"
STAFF = "staff"
OBSERVER = "observer"
ADMIN = "admin"

ALL = frozenset({MEMBER, CHAIR, FAMILY, STAFF, OBSERVER, ADMIN})
IN_CUSTODY = frozenset({MEMBER, CHAIR})
STAFF_SIDE = frozenset({STAFF, ADMIN})
TRIAGE = frozenset({CHAIR, STAFF, ADMIN})
READERS = frozenset({STAFF, ADMIN, OBSERVER})

# Which invite codes each role may mint. Staff cannot mint admin codes, nor staff or observer
# codes: those widen who can see and act, so they stay with admin.
MAY_INVITE: dict[str, tuple[str, ...]] = {
    STAFF: (MEMBER, CHAIR, FAMILY),
    ADMIN: (MEMBER, CHAIR, FAMILY, STAFF, OBSERVER, ADMIN),
}

# Roles whose people belong to a wing (asked for at invite time).
WINGED = frozenset({MEMBER, CHAIR})


def may_invite(actor_role: str, role: str) -> bool:
    return role in MAY_INVITE.get(actor_role, ())


def may_revoke(actor_role: str, target_role: str) -> bool:
    # Staff may remove members, chairs and families; only admin may remove staff, observers, admins.
    if actor_role == ADMIN:
        return True
    return actor_role == STAFF and target_role in (MEMBER, CHAIR, FAMILY)
