"""Staff and admin actions, written to the append-only audit log in the same transaction."""

from __future__ import annotations

from typing import Any

from bot.council.clock import Clock
from storage import audit as audit_store
from storage.audit import AuditRow
from storage.db import Tx

__all__ = ["AuditRow"]


async def record(
    tx: Tx,
    clock: Clock,
    *,
    actor_id: int | None,
    actor_role: str | None,
    action: str,
    subject: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    # Never pass a ballot choice, free text of a vote or an invite code in detail.
    await audit_store.append(
        tx,
        at=clock.now(),
        actor_id=actor_id,
        actor_role=actor_role,
        action=action,
        subject=subject,
        detail=detail or {},
    )


async def page(tx: Tx, *, limit: int, before_id: int | None = None) -> list[AuditRow]:
    """The newest lines first, older than before_id when given."""
    return await audit_store.page(tx, limit=limit, before_id=before_id)
