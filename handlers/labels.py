"""Catalogue id families the handlers share (bot/council/ids.py says why families)."""

from __future__ import annotations

from bot import i18n
from bot.council import roles
from bot.council.ids import Ids

__all__ = ["LANG_LABEL", "LANG_NAME", "ROLE", "Ids"]

# Families more than one handler reads.
ROLE = Ids("role.{}", roles.ALL)
LANG_LABEL = Ids("reader.content.lang_label.{}", i18n.LANGUAGES)
LANG_NAME = Ids("reader.content.lang_name.{}", i18n.LANGUAGES)
