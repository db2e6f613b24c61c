"""Plain-text clean-up, sentence splitting and length trimming, script-agnostic."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar

T = TypeVar("T")

_SENTENCE_END = re.compile(r"(?<=[.!?。！？؟…])[\"'»”)\]]*\s+")
_HARD_WRAP = re.compile(r"(?<![.!?:;。！？؟…\"'»”\n])\n(?!\n)")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b]+")
_SENTENCE_CLOSED = re.compile(r"[.!?。！？؟…][\"'»”)\]]*$")
_WORD = re.compile(r"\w+")
WORD = re.compile(r"[^\W\d_]+")  # a run of letters
_STEM = 5  # letters two forms of one word share ("récupère", "récupéré"; "strikes", "striking")
# A text is a copy when this share of its word triples is in one source's opening (read up to
# COPY_WINDOW times the text's length).
COPIED_SHARE = 0.8
COPY_WINDOW = 3
_URL = re.compile(r"https?://\S+|www\.\S+")


def clean_text(text: str) -> str:
    """Normalise Unicode and whitespace; re-join lines that were hard-wrapped mid-sentence."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C")
    text = _SPACES.sub(" ", text)
    text = "\n".join(line.strip() for line in text.split("\n"))
    text = _HARD_WRAP.sub(" ", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


def split_sentences(text: str) -> list[str]:
    sentences: list[str] = []
    for paragraph in text.split("\n"):
        sentences.extend(part.strip() for part in _SENTENCE_END.split(paragraph) if part.strip())
    return sentences


def trim_to_sentences(text: str, max_chars: int) -> str:
    """The longest run of whole sentences that fits max_chars (at least a cut first sentence)."""
    text = " ".join(text.split())
    if len(text) <= max_chars:
        return text
    kept = ""
    for sentence in split_sentences(text):
        candidate = f"{kept} {sentence}".strip()
        if len(candidate) > max_chars:
            break
        kept = candidate
    if kept:
        return kept
    # One over-long sentence: cut at a word boundary and mark the cut.
    cut = text[: max_chars - 1].rsplit(" ", 1)[0].rstrip(",;:—- ")
    return cut + "…"


def opening_sentences(text: str, max_chars: int) -> str:
    """Whole sentences from the start up to max_chars; a longer first sentence whole, never cut."""
    first = next(iter(split_sentences(text)), "")
    return trim_to_sentences(text, max(max_chars, len(first)))


def without_unfinished(text: str) -> str:
    """The text without a last sentence a model left unfinished (no closing punctuation) after
    finished ones: an answer that ran out of tokens mid-sentence."""
    sentences = split_sentences(text)
    last = sentences[-1] if sentences else ""
    if len(sentences) > 1 and any(ch.isalnum() for ch in last) and not _SENTENCE_CLOSED.search(last):
        return text[: text.rindex(last)].rstrip()
    return text


def copied_source(text: str, sources: Sequence[str]) -> int | None:
    """The index of the source whose opening (title included) the text repeats, if any: a model's
    "summary" that is a source's own words again."""
    triples = _word_triples(text)
    if not triples:
        return None
    for index, source in enumerate(sources):
        if len(triples & _word_triples(source[: COPY_WINDOW * len(text)])) >= COPIED_SHARE * len(triples):
            return index
    return None


def _word_triples(text: str) -> set[tuple[str, ...]]:
    words = _WORD.findall(text.casefold())
    return {tuple(words[i : i + 3]) for i in range(len(words) - 2)} or ({tuple(words)} if words else set())


def word_stems(text: str) -> set[str]:
    """The first letters of each word of the text, lower-cased: its vocabulary, forms folded."""
    return {word.casefold()[:_STEM] for word in WORD.findall(text)}


def strip_urls(text: str) -> str:
    return _URL.sub("", text)


def prose_ratio(text: str) -> float:
    """Share of letters among non-space characters: near 0 for numbers, markup or binary."""
    visible = [ch for ch in text if not ch.isspace()]
    if not visible:
        return 0.0
    return sum(ch.isalpha() for ch in visible) / len(visible)


def pack(pieces: Iterable[T], fits: Callable[[list[T]], bool]) -> list[list[T]]:
    """Consecutive pieces in order, grouped greedily: a piece joins the last group while `fits` says
    the group still fits with it, else starts the next (alone, even when it does not fit by itself)."""
    groups: list[list[T]] = []
    for piece in pieces:
        if groups and fits([*groups[-1], piece]):
            groups[-1].append(piece)
        else:
            groups.append([piece])
    return groups


def source_text(title: str | None, text: str) -> str:
    """An article as the summarizer and its checks read it: its title, if any, on the first line."""
    return f"{title}\n{text}" if title else text
