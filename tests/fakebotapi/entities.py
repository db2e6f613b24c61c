"""Telegram text formatting: HTML parse_mode parsing and automatic entity detection.

The HTML parser follows the rules of Telegram's own parser (tdlib ``parse_html``):
only the supported tags, properly nested and closed, with error messages worded
like the real ones. It is stricter in one respect: a ``&`` must start one of the
supported entities (``&lt;`` ``&gt;`` ``&amp;`` ``&quot;`` or a numeric one).
Telegram shows other ``&`` sequences literally, but the Bot API documentation
requires them to be escaped, and text that forgets to escape ``&`` usually also
forgets ``<``, which Telegram does reject.
"""

import re
from dataclasses import dataclass, field

# Tag name -> MessageEntity type.
_TAG_ENTITY_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_NAMED_HTML_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_HTML_ENTITY = re.compile(r"&(?:(lt|gt|amp|quot)|#(\d{1,7})|#x([0-9a-fA-F]{1,6}));")
_ATTRIBUTE_NAME_END = re.compile(r"[\s=>]")
_NAME_TOKEN = re.compile(r"[A-Za-z0-9.\-]*")

# Telegram marks a command only at the start of a word; the optional @suffix names the bot.
_BOT_COMMAND = re.compile(r"(?<![^\s])/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![A-Za-z0-9_@])")
_URL = re.compile(r"(?<![^\s(\[])(?:https?://|www\.)[^\s<>\"]+")
_URL_TRAILING_PUNCTUATION = ".,;:!?)]'\""


class HtmlParseError(ValueError):
    """Text with parse_mode=HTML that Telegram refuses with "can't parse entities"."""


@dataclass
class FormattedText:
    """Message text as Telegram stores it: plain text plus MessageEntity dicts."""

    text: str
    entities: list[dict] = field(default_factory=list)


def utf16_length(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram's entity offsets."""
    return len(text.encode("utf-16-le")) // 2


def parse_html(source: str) -> FormattedText:
    """Parse text sent with parse_mode=HTML, raising HtmlParseError like Telegram would."""
    parser = _HtmlParser(source)
    parser.run()
    return strip_formatted(FormattedText(parser.text, sorted(parser.entities, key=_entity_order)))


def strip_formatted(formatted: FormattedText) -> FormattedText:
    """Drop leading and trailing whitespace, as Telegram does, keeping entities aligned."""
    text = formatted.text.strip()
    shift = utf16_length(formatted.text[: len(formatted.text) - len(formatted.text.lstrip())])
    end = utf16_length(text)
    entities = []
    for entity in formatted.entities:
        start = max(entity["offset"] - shift, 0)
        stop = min(entity["offset"] + entity["length"] - shift, end)
        if stop > start:
            entities.append({**entity, "offset": start, "length": stop - start})
    return FormattedText(text, entities)


def detect_entities(text: str) -> list[dict]:
    """Entities Telegram adds to a user's message on its own: bot commands and links."""
    found = [("bot_command", match.start(), match.end()) for match in _BOT_COMMAND.finditer(text)]
    for match in _URL.finditer(text):
        url = match.group().rstrip(_URL_TRAILING_PUNCTUATION)
        found.append(("url", match.start(), match.start() + len(url)))
    return sorted(
        (
            {
                "type": kind,
                "offset": utf16_length(text[:start]),
                "length": utf16_length(text[start:stop]),
            }
            for kind, start, stop in found
        ),
        key=_entity_order,
    )


def _entity_order(entity: dict) -> tuple[int, int]:
    return entity["offset"], -entity["length"]


@dataclass
class _OpenTag:
    name: str
    argument: str
    offset: int  # UTF-16 offset in the parsed text


class _HtmlParser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.position = 0
        self.chunks: list[str] = []
        self.utf16_offset = 0
        self.open_tags: list[_OpenTag] = []
        self.entities: list[dict] = []

    @property
    def text(self) -> str:
        return "".join(self.chunks)

    def run(self) -> None:
        while self.position < len(self.source):
            char = self.source[self.position]
            if char == "&":
                self._read_html_entity()
            elif char == "<":
                if self.source.startswith("</", self.position):
                    self._read_end_tag()
                else:
                    self._read_start_tag()
            else:
                self._append(char)
                self.position += 1
        if self.open_tags:
            raise HtmlParseError(
                f'Can\'t find end tag corresponding to start tag "{self.open_tags[-1].name}"'
            )
        for entity in self.entities:
            # A language only survives on a pre entity (see _merge_code_into_pre).
            if entity["type"] == "code":
                entity.pop("language", None)

    def _append(self, text: str) -> None:
        self.chunks.append(text)
        self.utf16_offset += utf16_length(text)

    def _byte_offset(self, position: int) -> int:
        # Telegram reports positions as UTF-8 byte offsets into the source text.
        return len(self.source[:position].encode())

    def _decode_html_entity(self, position: int) -> tuple[str, int]:
        match = _HTML_ENTITY.match(self.source, position)
        if match is None:
            raise HtmlParseError(
                f"Unsupported HTML entity at byte offset {self._byte_offset(position)}; "
                'escape "&" as "&amp;"'
            )
        name, decimal, hexadecimal = match.groups()
        if name:
            return _NAMED_HTML_ENTITIES[name], match.end()
        code_point = int(decimal) if decimal else int(hexadecimal, 16)
        if code_point == 0 or code_point >= 0x10FFFF or 0xD800 <= code_point <= 0xDFFF:
            raise HtmlParseError(
                f"Invalid numeric HTML entity at byte offset {self._byte_offset(position)}"
            )
        return chr(code_point), match.end()

    def _read_html_entity(self) -> None:
        decoded, self.position = self._decode_html_entity(self.position)
        self._append(decoded)

    def _read_start_tag(self) -> None:
        begin = self.position
        end_of_name = begin + 1
        while end_of_name < len(self.source) and not (
            self.source[end_of_name].isspace() or self.source[end_of_name] == ">"
        ):
            end_of_name += 1
        if end_of_name >= len(self.source):
            raise HtmlParseError(f"Unclosed start tag at byte offset {self._byte_offset(begin)}")
        tag_name = self.source[begin + 1 : end_of_name].lower()
        if tag_name not in _TAG_ENTITY_TYPES:
            raise HtmlParseError(
                f'Unsupported start tag "{tag_name}" at byte offset {self._byte_offset(begin)}'
            )
        self.position = end_of_name
        argument = ""
        for attribute, value in self._read_attributes(tag_name, begin):
            argument = _tag_argument(tag_name, attribute, value, argument)
        if tag_name == "span" and argument != "spoiler":
            raise HtmlParseError(
                'Tag "span" must have class "tg-spoiler" at byte offset '
                f"{self._byte_offset(begin)}"
            )
        self.open_tags.append(_OpenTag(tag_name, argument, self.utf16_offset))

    def _read_attributes(self, tag_name: str, tag_begin: int) -> list[tuple[str, str]]:
        attributes = []
        source = self.source
        while True:
            while self.position < len(source) and source[self.position].isspace():
                self.position += 1
            if self.position >= len(source):
                raise HtmlParseError(
                    f'Unclosed start tag "{tag_name}" at byte offset {self._byte_offset(tag_begin)}'
                )
            if source[self.position] == ">":
                self.position += 1
                return attributes
            name_match = _ATTRIBUTE_NAME_END.search(source, self.position)
            name_end = name_match.start() if name_match else len(source)
            name = source[self.position : name_end].lower()
            if not name:
                raise HtmlParseError(
                    f'Empty attribute name in the tag "{tag_name}" at byte offset '
                    f"{self._byte_offset(tag_begin)}"
                )
            self.position = name_end
            while self.position < len(source) and source[self.position].isspace():
                self.position += 1
            at_equal_sign = self.position < len(source) and source[self.position] == "="
            if tag_name == "blockquote" and name == "expandable" and not at_equal_sign:
                # The one attribute Telegram accepts without a value.
                attributes.append((name, ""))
                continue
            if not at_equal_sign:
                raise HtmlParseError(
                    "Expected equal sign in declaration of an attribute of the tag "
                    f'"{tag_name}" at byte offset {self._byte_offset(tag_begin)}'
                )
            self.position += 1
            while self.position < len(source) and source[self.position].isspace():
                self.position += 1
            attributes.append((name, self._read_attribute_value(tag_name, tag_begin)))

    def _read_attribute_value(self, tag_name: str, tag_begin: int) -> str:
        source = self.source
        if self.position >= len(source):
            raise HtmlParseError(
                f'Unclosed start tag "{tag_name}" at byte offset {self._byte_offset(tag_begin)}'
            )
        quote = source[self.position]
        if quote not in "'\"":
            token = _NAME_TOKEN.match(source, self.position).group()
            self.position += len(token)
            if self.position < len(source) and not (
                source[self.position].isspace() or source[self.position] == ">"
            ):
                raise HtmlParseError(
                    "Unexpected end of name token at byte offset "
                    f"{self._byte_offset(self.position - len(token))}"
                )
            return token.lower()
        self.position += 1
        value = []
        while self.position < len(source) and source[self.position] != quote:
            if source[self.position] == "&":
                decoded, self.position = self._decode_html_entity(self.position)
                value.append(decoded)
            else:
                value.append(source[self.position])
                self.position += 1
        if self.position >= len(source):
            raise HtmlParseError(
                f"Unclosed start tag at byte offset {self._byte_offset(tag_begin)}"
            )
        self.position += 1
        return "".join(value)

    def _read_end_tag(self) -> None:
        begin = self.position
        if not self.open_tags:
            raise HtmlParseError(f"Unexpected end tag at byte offset {self._byte_offset(begin)}")
        closing = self.source.find(">", begin)
        if closing == -1:
            raise HtmlParseError(f"Unclosed end tag at byte offset {self._byte_offset(begin)}")
        end_tag_name = self.source[begin + 2 : closing].strip().lower()
        open_tag = self.open_tags.pop()
        if end_tag_name and end_tag_name != open_tag.name:
            raise HtmlParseError(
                f'Unmatched end tag at byte offset {self._byte_offset(begin)}, expected "</'
                f'{open_tag.name}>", found "</{end_tag_name}>"'
            )
        self.position = closing + 1
        self._close_entity(open_tag)

    def _close_entity(self, tag: _OpenTag) -> None:
        length = self.utf16_offset - tag.offset
        if length == 0:
            return
        entity: dict = {"type": _TAG_ENTITY_TYPES[tag.name], "offset": tag.offset, "length": length}
        if tag.name == "a":
            if not tag.argument:
                return
            entity["url"] = tag.argument
        elif tag.name == "tg-emoji":
            entity["custom_emoji_id"] = tag.argument
        elif tag.name == "blockquote" and tag.argument:
            entity["type"] = "expandable_blockquote"
        elif tag.name == "code" and tag.argument:
            entity["language"] = tag.argument
        elif tag.name == "pre":
            self._merge_code_into_pre(entity)
        self.entities.append(entity)

    def _merge_code_into_pre(self, pre: dict) -> None:
        # <pre><code class="language-x">...</code></pre> is one pre entity with a language.
        for entity in self.entities:
            if (
                entity["type"] == "code"
                and entity["offset"] == pre["offset"]
                and entity["length"] == pre["length"]
            ):
                self.entities.remove(entity)
                if "language" in entity:
                    pre["language"] = entity["language"]
                return


def _tag_argument(tag_name: str, attribute: str, value: str, current: str) -> str:
    """The one attribute of a tag Telegram uses; other attributes are ignored."""
    if tag_name == "a" and attribute == "href":
        return value
    if tag_name == "code" and attribute == "class" and value.startswith("language-"):
        return value.removeprefix("language-")
    if tag_name == "span" and attribute == "class" and value.startswith("tg-"):
        return value.removeprefix("tg-")
    if tag_name == "tg-emoji" and attribute == "emoji-id":
        return value
    if tag_name == "blockquote" and attribute == "expandable":
        return "expandable"
    return current
