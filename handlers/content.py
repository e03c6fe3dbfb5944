"""Asking staff for their words in each content language, in any wizard, the same way: after
the first language's words are accepted, the bot asks for the next language ("the same words
in both" is one tap), then says what the wizard would have said next."""

from __future__ import annotations

from typing import Any

from bot.council import content
from bot.council.access_buttons import ContentSame
from bot.council.text import clean
from handlers.base import Button, Call, Reply, Result
from handlers.base import stale as _stale
from handlers.labels import LANG_LABEL, LANG_NAME


def _as_list(result: Result) -> list[Reply]:
    if result is None:
        return []
    return [result] if isinstance(result, Reply) else list(result)


def _saved(replies: list[Reply]) -> list[dict[str, Any]]:
    return [
        {
            "text": r.text,
            "buttons": [
                [{"l": b.label, "d": b.data, "u": b.url} for b in row] for row in r.buttons
            ],
        }
        for r in replies
    ]


def _restored(saved: list[dict[str, Any]]) -> list[Reply]:
    return [
        Reply(
            str(r["text"]),
            [[Button(b["l"], b["d"], b["u"]) for b in row] for row in r["buttons"]],
        )
        for r in saved
    ]


async def ask_other(
    call: Call,
    *,
    field: str,
    text: str,
    most: int,
    then: Result,
    flow: str | None = None,
    step: str | None = None,
) -> Result:
    """Call when the wizard has accepted `text` for `field` and moved on (to flow and step, read
    from the conversation when not given); `then` is what it would say next. With one content
    language, that is said at once."""
    others = content.others(call.services.settings)
    if not others:
        return then
    if flow is None or step is None:
        at = await content.step_of(call.tx, call.me.id)
        if at is None:
            return then  # the wizard finished: nothing waits for these words
        flow, step = at
    pending = content.Pending(
        flow, step, field, others[0], text, {"most": most, "replies": _saved(_as_list(then))}
    )
    await content.ask(call.tx, call.me.id, pending)
    return _ask(call, pending)


def _ask(call: Call, pending: content.Pending) -> Reply:
    return call.reply(
        "reader.content.ask",
        buttons=[[call.button("reader.content.same", ContentSame())]],
        language=call.t(LANG_NAME[pending.lang]),
        text=pending.primary_text,
    )


async def waiting(call: Call) -> content.Pending | None:
    """The translation the bot waits for, if the person is still at that step."""
    if call.person is None or call.state is None:
        return None
    return await content.waiting(call.tx, call.me.id, (call.state.flow, call.state.step))


async def typed(call: Call, pending: content.Pending) -> Result:
    most = int(pending.next_reply.get("most", 2000))
    cleaned = clean(call.text, max_len=most, need_words=True)
    if not cleaned.ok:
        return call.reply("reader.content.problem", most=most)
    return await _took(call, pending, cleaned.text)


async def same(call: Call, b: ContentSame) -> Result:
    pending = await waiting(call)
    if pending is None:
        return _stale(call)
    return await _took(call, pending, pending.primary_text)


async def _took(call: Call, pending: content.Pending, text: str) -> Result:
    settings = call.services.settings
    done = await content.took(call.tx, settings, call.me.id, pending, text)
    if done.following is not None:
        return _ask(call, done.following)
    others = content.others(settings)
    drafts = done.drafts
    kept = [
        call.t(
            "reader.content.kept",
            language=call.t(LANG_LABEL[lang]),
            text=drafts[(pending.field, lang)],
        )
        for lang in others
        if (pending.field, lang) in drafts
    ]
    replies = _restored(list(pending.next_reply.get("replies", [])))
    if replies:
        replies[0].text = "\n".join([*kept, "", replies[0].text]).strip()
    return replies or [Reply("\n".join(kept))]
