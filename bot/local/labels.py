"""Role labels as the page shows them: "Member, A wing" / "Aelod, Adain A", one per page language,
kept by the channel's store as JSON (the page picks its own language)."""

from __future__ import annotations

import json

from bot import i18n
from bot.config import Settings


def role_label(settings: Settings, role: str, wing: str | None, lang: str | None = None) -> str:
    lang = lang or settings.establishment.default_language
    label = i18n.t(lang, f"role.{role}")
    label = label[:1].upper() + label[1:]
    found = settings.wing(wing) if wing else None
    return f"{label}, {found.label(lang)}" if found else label


def role_labels(settings: Settings, role: str, wing: str | None) -> str:
    """The label in every page language, as the store keeps it (the page shows its own)."""
    return json.dumps(
        {lang: role_label(settings, role, wing, lang) for lang in i18n.LANGUAGES},
        ensure_ascii=False,
    )
