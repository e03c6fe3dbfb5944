"""Every sentence exists in English and Welsh, with the same placeholders, and every id the
code asks for is in the catalogue."""

from __future__ import annotations

import re

from bot import i18n
from tests.support.paths import ROOT


def test_english_and_welsh_have_the_same_ids_and_placeholders() -> None:
    en, cy = i18n.catalogue("en"), i18n.catalogue("cy")
    assert set(en) == set(cy), (
        f"missing in cy: {set(en) - set(cy)}; missing in en: {set(cy) - set(en)}"
    )
    for key in en:
        assert en[key].strip() and cy[key].strip(), key
        assert i18n.placeholders(en[key]) == i18n.placeholders(cy[key]), key


def test_messages_are_short() -> None:
    # Telegram takes 4096 characters; ours stay far below so a slow reader is not swamped.
    for lang in i18n.LANGUAGES:
        for key, text in i18n.catalogue(lang).items():
            assert len(text) < 1200, (lang, key)


_LITERAL_ID = re.compile(
    r"""(?:\.t|\.reply|\.button|i18n\.t\([a-z_"']+,)\(\s*f?["']([a-z_]+\.[a-z_.{}]+)["']"""
)


def test_every_literal_id_used_in_code_exists() -> None:
    missing: list[str] = []
    for path in [
        *ROOT.glob("handlers/**/*.py"),
        *ROOT.glob("bot/*.py"),
        *ROOT.glob("bot/council/**/*.py"),
    ]:
        for match in _LITERAL_ID.finditer(path.read_text(encoding="utf-8")):
            message_id = match.group(1)
            if "{" in message_id:
                # An id built by f-string is one the test cannot check: a closed family is
                # declared with Ids (bot/council/ids.py) instead. The audit reader alone reads an
                # open family (every area's actions), each looked up with i18n.has and a fallback.
                if not message_id.startswith("reader.audit."):
                    missing.append(f"{path.name}: built by f-string: {message_id}")
                continue
            if not i18n.has(message_id):
                missing.append(f"{path.name}: {message_id}")
    assert not missing, missing


def test_role_names_and_welcomes_exist_for_every_role() -> None:
    from bot.config import ROLES

    for role in ROLES:
        assert i18n.has(f"role.{role}") and i18n.has(f"welcome.{role}")


def test_every_id_of_every_family_exists() -> None:
    # Ids built from a role, a status or a kind are declared as families (handlers/labels.py);
    # importing the handlers declares them all.
    import handlers  # noqa: F401
    from handlers.labels import Ids

    assert len(Ids.families) >= 10
    missing = [i for family in Ids.families for i in family.values() if not i18n.has(i)]
    assert not missing, missing
