"""Telegram's server-side text formatting (``parse_mode``), ported from TDLib's parsers.

Telegram turns HTML / MarkdownV2 / Markdown into plain text plus entities and rejects malformed
markup with 400 "can't parse entities: ...". Bots hit exactly these errors in production when user
input (a name with ``<`` or ``.``) reaches a formatted message unescaped, so the double reproduces
them with TDLib's wording and byte offsets.
"""

from __future__ import annotations

import re
from typing import Any

Entity = dict[str, Any]

# Words of Telegram's own error messages, keyed by our entity type.
_TDLIB_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "code": "Code",
    "pre": "Pre",
    "text_link": "TextUrl",
    "custom_emoji": "CustomEmoji",
    "blockquote": "BlockQuote",
}
_PRIORITY = {
    "blockquote": 0,
    "expandable_blockquote": 0,
    "pre": 11,
    "code": 20,
    "text_link": 49,
    "bold": 90,
    "italic": 91,
    "underline": 92,
    "strikethrough": 93,
    "spoiler": 94,
    "custom_emoji": 99,
}
_HTML_TAGS = frozenset(
    {"a", "b", "strong", "i", "em", "s", "strike", "del", "u", "ins", "tg-spoiler", "tg-emoji"}
    | {"span", "pre", "code", "blockquote"}
)
_HTML_SIMPLE = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
}
_HTML_NAMED = {"lt": 0x3C, "gt": 0x3E, "amp": 0x26, "quot": 0x22}
_SPACES = " \t\r\n\0\v\f"  # TDLib's is_space, which also treats the end of the string as space
_MDV2_RESERVED = frozenset("_*[]()~`>#+-=|{}.!\n")
_SURROGATES = (
    "Text contains invalid Unicode characters after decoding HTML entities, "
    "check for unmatched surrogate code units"
)
_URL_RE = re.compile(r"^(?:([a-z][a-z0-9+.-]*)://)?([^/?#\s]+)(.*)$", re.IGNORECASE | re.DOTALL)


class EntityParseError(ValueError):
    """Markup Telegram would reject; str(error) is the text after "can't parse entities: "."""


def render(text: str, parse_mode: str) -> tuple[str, list[Entity]]:
    """Return (plain text, entities) as Telegram stores a message sent with ``parse_mode``.

    Raises EntityParseError for malformed markup and KeyError for an unknown parse mode.
    """
    mode = parse_mode.lower()
    if mode == "html":
        return _parse_html(text)
    if mode == "markdownv2":
        return _parse_markdown_v2(text)
    if mode == "markdown":
        return _parse_markdown(text)
    raise KeyError(parse_mode)


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of every Telegram entity offset."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def _at(text: str, i: int) -> str:
    # TDLib reads past the end of a NUL-terminated string; "\0" mirrors that.
    return text[i] if i < len(text) else "\0"


def _byte_offset(text: str, i: int) -> int:
    return len(text[:i].encode("utf-8"))


def _fail(message: str) -> EntityParseError:
    return EntityParseError(message)


def _entity(kind: str, offset: int, length: int, **extra: Any) -> Entity:
    return {"type": kind, "offset": offset, "length": length, **extra}


def _sorted(entities: list[Entity]) -> list[Entity]:
    # TDLib's order: by offset, longer first, then by type priority.
    return sorted(entities, key=lambda e: (e["offset"], -e["length"], _PRIORITY.get(e["type"], 50)))


def _checked_link(url: str) -> str:
    """Approximate TDLib's get_checked_link: add a scheme and a path, reject hostless junk."""
    if not url or any(ch.isspace() for ch in url):
        return ""
    if url.lower().startswith(("tg:", "ton:")):
        return url
    match = _URL_RE.match(url)
    if not match:
        return ""
    scheme, host, rest = match.group(1), match.group(2), match.group(3)
    if scheme and scheme.lower() not in ("http", "https"):
        return url
    if "." not in host.strip("."):
        return ""
    return f"{(scheme or 'http').lower()}://{host}{rest if rest.startswith('/') else '/' + rest}"


def _decode_html_entity(text: str, pos: int) -> tuple[int, int]:
    """Decode the HTML entity at ``text[pos] == '&'``; returns (code point or 0, next position)."""
    end = pos + 1
    code = 0
    if _at(text, pos + 1) == "#":
        end += 1
        if _at(text, pos + 2) == "x":
            end += 1
            while _at(text, end) in "0123456789abcdefABCDEF":
                code = code * 16 + int(text[end], 16)
                end += 1
        else:
            while "0" <= _at(text, end) <= "9":
                code = code * 10 + int(text[end])
                end += 1
        if code == 0 or code >= 0x10FFFF or end - pos >= 10:
            return 0, pos
    else:
        while _at(text, end).isascii() and _at(text, end).isalpha():
            end += 1
        code = _HTML_NAMED.get(text[pos + 1 : end], 0)
        if not code:
            return 0, pos
    return code, end + 1 if _at(text, end) == ";" else end


def _parse_html(src: str) -> tuple[str, list[Entity]]:
    if "<" not in src and "&" not in src:
        return src, []
    out: list[str] = []
    u16 = 0
    entities: list[Entity] = []
    # Open tags: (tag name, argument, utf16 offset, output index, expandable blockquote)
    stack: list[tuple[str, str, int, int, bool]] = []
    n = len(src)
    i = 0
    while i < n:
        c = src[i]
        if c == "&":
            code, after = _decode_html_entity(src, i)
            if code:
                if 0xD800 <= code <= 0xDFFF:
                    raise _fail(_SURROGATES)
                out.append(chr(code))
                u16 += 1 + (code > 0xFFFF)
                i = after
                continue
        if c != "<":
            out.append(c)
            u16 += 1 + (ord(c) > 0xFFFF)
            i += 1
            continue

        begin = i
        i += 1
        if _at(src, i) != "/":
            while _at(src, i) not in _SPACES and src[i] != ">":
                i += 1
            if i >= n:
                raise _fail(f"Unclosed start tag at byte offset {_byte_offset(src, begin)}")
            tag = src[begin + 1 : i].lower()
            if tag not in _HTML_TAGS:
                raise _fail(
                    f'Unsupported start tag "{tag}" at byte offset {_byte_offset(src, begin)}'
                )
            argument, expandable, i = _parse_html_attributes(src, i, tag, begin)
            if tag == "span" and argument != "spoiler":
                raise _fail(
                    'Tag "span" must have class "tg-spoiler" at byte offset '
                    f"{_byte_offset(src, begin)}"
                )
            stack.append((tag, argument, u16, len(out), expandable))
            i += 1  # past '>'
            continue

        if not stack:
            raise _fail(f"Unexpected end tag at byte offset {_byte_offset(src, begin)}")
        while _at(src, i) not in _SPACES and src[i] != ">":
            i += 1
        end_tag = src[begin + 2 : i].lower()
        while i < n and src[i] in _SPACES:
            i += 1
        if _at(src, i) != ">":
            raise _fail(f"Unclosed end tag at byte offset {_byte_offset(src, begin)}")
        tag, argument, offset, out_begin, expandable = stack.pop()
        if end_tag and end_tag != tag:
            raise _fail(
                f"Unmatched end tag at byte offset {_byte_offset(src, begin)}, "
                f'expected "</{tag}>", found "</{end_tag}>"'
            )
        if u16 > offset:
            inner_text = "".join(out[out_begin:]) if tag == "a" else ""
            _close_html_entity(
                entities, tag, argument, offset, u16 - offset, inner_text, expandable
            )
        i += 1
    if stack:
        raise _fail(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    for entity in entities:
        if entity["type"] == "code":
            entity.pop("language", None)
    return "".join(out), _sorted(entities)


def _parse_html_attributes(src: str, i: int, tag: str, begin: int) -> tuple[str, bool, int]:
    """Parse attributes up to the closing '>' of a start tag; returns (argument, expandable, i)."""
    n = len(src)
    argument = ""
    expandable = False
    while _at(src, i) != ">":
        while i < n and src[i] in _SPACES:
            i += 1
        if i >= n:
            raise _fail(f"Unclosed start tag at byte offset {_byte_offset(src, begin)}")
        if src[i] == ">":
            break
        name_begin = i
        while _at(src, i) not in _SPACES and src[i] not in "=>":
            i += 1
        name = src[name_begin:i].lower()
        if not name:
            raise _fail(
                f'Empty attribute name in the tag "{tag}" at byte offset {_byte_offset(src, begin)}'
            )
        while i < n and src[i] in _SPACES:
            i += 1
        if _at(src, i) != "=":
            expandable = expandable or (tag == "blockquote" and name == "expandable")
            continue
        i += 1
        while i < n and src[i] in _SPACES:
            i += 1
        if i >= n:
            raise _fail(f'Unclosed start tag "{tag}" at byte offset {_byte_offset(src, begin)}')
        if src[i] not in "'\"":
            token_begin = i
            while _at(src, i).isascii() and (_at(src, i).isalnum() or src[i] in ".-"):
                i += 1
            value = src[token_begin:i].lower()
            if _at(src, i) not in _SPACES and src[i] != ">":
                raise _fail(
                    f"Unexpected end of name token at byte offset {_byte_offset(src, token_begin)}"
                )
        else:
            quote = src[i]
            i += 1
            chars: list[str] = []
            while i < n and src[i] != quote:
                if src[i] == "&":
                    code, after = _decode_html_entity(src, i)
                    if code:
                        chars.append(chr(code))
                        i = after
                        continue
                chars.append(src[i])
                i += 1
            if i < n:
                i += 1  # past the closing quote
            value = "".join(chars)
        if i >= n:
            raise _fail(f"Unclosed start tag at byte offset {_byte_offset(src, begin)}")
        if tag == "a" and name == "href":
            argument = value
        elif tag == "code" and name == "class" and value.startswith("language-"):
            argument = value[9:]
        elif tag == "span" and name == "class" and value.startswith("tg-"):
            argument = value[3:]
        elif tag == "tg-emoji" and name == "emoji-id":
            argument = value
        elif tag == "blockquote" and name == "expandable":
            expandable = True
    return argument, expandable, i


def _close_html_entity(
    entities: list[Entity],
    tag: str,
    argument: str,
    offset: int,
    length: int,
    inner_text: str,
    expandable: bool,
) -> None:
    last = entities[-1] if entities else None
    same_span = last is not None and last["offset"] == offset and last["length"] == length
    if tag in _HTML_SIMPLE:
        entities.append(_entity(_HTML_SIMPLE[tag], offset, length))
    elif tag == "tg-emoji":
        if not argument.isdigit() or int(argument) == 0:
            raise _fail("Invalid custom emoji identifier specified")
        entities.append(_entity("custom_emoji", offset, length, custom_emoji_id=argument))
    elif tag == "a":
        url = _checked_link(argument or inner_text)
        if url:
            entities.append(_entity("text_link", offset, length, url=url))
    elif tag == "pre":
        if last is not None and same_span and last["type"] == "code" and last.get("language"):
            last["type"] = "pre"
        else:
            entities.append(_entity("pre", offset, length))
    elif tag == "code":
        if last is not None and same_span and last["type"] == "pre" and argument:
            last["language"] = argument
        else:
            entities.append(_entity("code", offset, length, language=argument))
    else:  # blockquote
        kind = "expandable_blockquote" if expandable else "blockquote"
        entities.append(_entity(kind, offset, length))


def _reserved(char: str) -> EntityParseError:
    return _fail(f"Character '{char}' is reserved and must be escaped with the preceding '\\'")


def _parse_markdown_v2(src: str) -> tuple[str, list[Entity]]:
    if not any(ch in _MDV2_RESERVED or ch == "\\" for ch in src):
        return src, []
    out: list[str] = []
    u16 = 0
    entities: list[Entity] = []
    # Open entities: [type, argument, utf16 offset, source index, output index]
    stack: list[list[Any]] = []
    have_blockquote = False
    n = len(src)
    i = 0
    while i < n:
        c = src[i]
        nxt = _at(src, i + 1)
        if c == "\\" and "\0" < nxt <= "~":
            out.append(nxt)
            u16 += 1
            i += 2
            continue
        in_code = bool(stack) and stack[-1][0] in ("code", "pre")
        if (c != "`") if in_code else (c not in _MDV2_RESERVED):
            out.append(c)
            u16 += 1 + (ord(c) > 0xFFFF)
            i += 1
            continue

        is_end = False
        if stack:
            if have_blockquote and c == "\n" and nxt != ">":
                is_end = True
            else:
                is_end = _mdv2_closes(stack[-1][0], c, nxt, _at(src, i + 2))

        if not is_end:
            start = i
            argument = ""
            kind: str | None
            if c == "_":
                kind = "underline" if nxt == "_" else "italic"
                i += nxt == "_"
            elif c == "*":
                kind = "bold"
            elif c == "~":
                kind = "strikethrough"
            elif c == "|":
                if nxt != "|":
                    raise _reserved(c)
                kind = "spoiler"
                i += 1
            elif c == "[":
                kind = "text_link"
            elif c == "`":
                if nxt == "`" and _at(src, i + 2) == "`":
                    kind = "pre"
                    i, argument = _pre_header(src, i + 3)
                    i -= 1
                else:
                    kind = "code"
            elif c == "!":
                if nxt != "[":
                    raise _reserved(c)
                kind = "custom_emoji"
                i += 1
            elif c == "\n":
                out.append("\n")
                u16 += 1
                kind = None
                if nxt == ">":
                    i += 1
                    if not have_blockquote:
                        kind = "blockquote"
                        have_blockquote = True
            elif c == ">" and i == 0:
                kind = "blockquote"
                have_blockquote = True
            else:
                raise _reserved(c)
            if kind is not None:
                stack.append([kind, argument, u16, start, len(out)])
            i += 1
            continue

        kind, argument, offset, start, out_begin = stack[-1]
        if c == "\n" and kind != "blockquote":
            raise _fail(
                f"Can't find end of {_mdv2_name(kind, argument)} entity at byte offset "
                f"{_byte_offset(src, start)}"
            )
        extra: dict[str, Any] = {}
        if kind in ("underline", "spoiler"):
            i += 1
        elif kind == "pre":
            i += 2
            if argument:
                extra["language"] = argument
        elif kind == "text_link":
            if nxt != "(":
                url = "".join(out[out_begin:])
            else:
                url, i = _mdv2_url(src, i + 2, "Can't find end of a URL at byte offset")
            url = _checked_link(url)
            if url:
                extra["url"] = url
            else:
                kind = ""
        elif kind == "custom_emoji":
            if nxt != "(":
                raise _fail("Custom emoji entity must contain a tg://emoji URL")
            url, i = _mdv2_url(src, i + 2, "Can't find end of a custom emoji URL at byte offset")
            match = re.search(r"[?&]id=(\d+)", url)
            if not match:
                raise _fail("Custom emoji URL must have an emoji identifier")
            extra["custom_emoji_id"] = match.group(1)
        elif kind == "blockquote":
            have_blockquote = False
            out.append(c)
            u16 += 1
        if kind and u16 > offset:
            entities.append(_entity(kind, offset, u16 - offset, **extra))
        stack.pop()
        i += 1

    if have_blockquote and stack and stack[-1][0] == "blockquote":
        offset = stack.pop()[2]
        if u16 > offset:
            entities.append(_entity("blockquote", offset, u16 - offset))
    if stack:
        kind, argument, _, start, _ = stack[-1]
        raise _fail(
            f"Can't find end of {_mdv2_name(kind, argument)} entity at byte offset "
            f"{_byte_offset(src, start)}"
        )
    return "".join(out), _sorted(entities)


def _mdv2_closes(kind: str, c: str, nxt: str, nxt2: str) -> bool:
    if kind == "bold":
        return c == "*"
    if kind == "italic":
        return c == "_" and nxt != "_"
    if kind == "underline":
        return c == "_" and nxt == "_"
    if kind == "code":
        return c == "`"
    if kind == "pre":
        return c == "`" and nxt == "`" and nxt2 == "`"
    if kind in ("text_link", "custom_emoji"):
        return c == "]"
    if kind == "strikethrough":
        return c == "~"
    if kind == "spoiler":
        return c == "|" and nxt == "|"
    return False  # blockquote ends only at a line that does not start with '>'


def _mdv2_name(kind: str, argument: str) -> str:
    return "PreCode" if kind == "pre" and argument else _TDLIB_NAMES[kind]


def _mdv2_url(src: str, i: int, error: str) -> tuple[str, int]:
    """Read a (possibly escaped) URL starting at ``i``; returns (url, index of the ')')."""
    begin = i
    chars: list[str] = []
    while i < len(src) and src[i] != ")":
        if src[i] == "\\" and "\0" < _at(src, i + 1) <= "~":
            chars.append(src[i + 1])
            i += 2
            continue
        chars.append(src[i])
        i += 1
    if _at(src, i) != ")":
        raise _fail(f"{error} {_byte_offset(src, begin)}")
    return "".join(chars), i


def _pre_header(src: str, i: int) -> tuple[int, str]:
    """Skip the language and the first newline after an opening ```; returns (index, language)."""
    language = ""
    end = i
    while _at(src, end) not in _SPACES and src[end] != "`":
        end += 1
    if i != end and end < len(src) and src[end] != "`":
        language = src[i:end]
        i = end
    if _at(src, i) in "\n\r":
        pair = _at(src, i + 1) in "\n\r" and src[i] != _at(src, i + 1)
        i += 2 if pair else 1
    return i, language


def _parse_markdown(src: str) -> tuple[str, list[Entity]]:
    """Legacy Markdown: entities cannot nest; only _ * ` [ are special."""
    if not any(ch in "_*`[" for ch in src):
        return src, []
    out: list[str] = []
    u16 = 0
    entities: list[Entity] = []
    n = len(src)
    i = 0
    while i < n:
        c = src[i]
        if c == "\\" and _at(src, i + 1) in "_*`[" and i + 1 < n:
            out.append(src[i + 1])
            u16 += 1
            i += 2
            continue
        if c not in "_*`[":
            out.append(c)
            u16 += 1 + (ord(c) > 0xFFFF)
            i += 1
            continue
        begin = i
        end_char = "]" if c == "[" else c
        i += 1
        language = ""
        is_pre = c == "`" and _at(src, i) == "`" and _at(src, i + 1) == "`"
        if is_pre:
            i, language = _pre_header(src, i + 2)
        offset = u16
        out_begin = len(out)
        while i < n and (
            src[i] != end_char or (is_pre and not (_at(src, i + 1) == _at(src, i + 2) == "`"))
        ):
            out.append(src[i])
            u16 += 1 + (ord(src[i]) > 0xFFFF)
            i += 1
        if i == n:
            raise _fail(
                f"Can't find end of the entity starting at byte offset {_byte_offset(src, begin)}"
            )
        if u16 != offset:
            length = u16 - offset
            if c == "_":
                entities.append(_entity("italic", offset, length))
            elif c == "*":
                entities.append(_entity("bold", offset, length))
            elif c == "[":
                if _at(src, i + 1) != "(":
                    url = "".join(out[out_begin:])
                else:
                    close = src.find(")", i + 2)
                    close = n if close == -1 else close
                    url = src[i + 2 : close]
                    i = close
                url = _checked_link(url)
                if url:
                    entities.append(_entity("text_link", offset, length, url=url))
            elif is_pre:
                extra = {"language": language} if language else {}
                entities.append(_entity("pre", offset, length, **extra))
            else:
                entities.append(_entity("code", offset, length))
        i += 3 if is_pre else 1
    return "".join(out), entities
