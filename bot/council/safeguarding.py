"""Free text that suggests risk of self-harm: a kind reply at once, and an alert to the
safer-custody team through the outbox. Every free-text path goes through screen()."""

from __future__ import annotations

import hashlib
import re
import unicodedata

from bot.config import Settings
from bot.council import notices
from bot.council.access import Person, person_ref
from bot.council.clock import Clock
from storage.db import Tx


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    return re.sub(r"[^\w]+", " ", text).strip()


def suggests_risk(settings: Settings, text: str) -> bool:
    folded = f" {_fold(text)} "
    return any(f" {_fold(phrase)} " in folded for phrase in settings.safeguarding.phrases)


async def screen(
    tx: Tx, clock: Clock, settings: Settings, *, person: Person, text: str, where: str
) -> bool:
    """True when the text suggests risk; the caller then shows the support message."""
    if not suggests_risk(settings, text):
        return False
    # The same text from the same person alerts once, however often it is sent.
    digest = hashlib.sha256(text.encode()).hexdigest()[:12]
    for contact in settings.safeguarding.contacts:
        await notices.notify(
            tx,
            clock,
            key=f"safeguarding:{person.id}:{digest}:{contact}",
            chat_id=contact,
            message="safeguarding.alert",
            params={"person": person_ref(person.id), "label": person.label or "-", "where": where},
            urgent=True,
        )
    return True
