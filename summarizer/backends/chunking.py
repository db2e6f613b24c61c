"""Token-aware chunking at sentence boundaries, measured with the model's own tokenizer."""

from __future__ import annotations

from collections.abc import Callable

from summarizer.text import pack, split_sentences

TokenCounter = Callable[[str], int]


def chunk_text(text: str, count_tokens: TokenCounter, max_tokens: int) -> list[str]:
    """Split text into chunks of whole sentences of at most max_tokens each; nothing is dropped."""
    pieces = [piece for sentence in split_sentences(text) for piece in _split_long(sentence, count_tokens, max_tokens)]
    tokens = {piece: count_tokens(piece) for piece in pieces}
    return [" ".join(group) for group in pack(pieces, lambda group: sum(map(tokens.get, group)) <= max_tokens)]


def _split_long(sentence: str, count_tokens: TokenCounter, max_tokens: int) -> list[str]:
    """A sentence longer than the budget (tables, run-on text) is cut between words."""
    if count_tokens(sentence) <= max_tokens:
        return [sentence]
    words = sentence.split()
    # Counting word by word keeps this linear; the sum slightly over-counts, which is safe.
    tokens = {word: count_tokens(" " + word) for word in words}
    return [" ".join(group) for group in pack(words, lambda group: sum(map(tokens.get, group)) <= max_tokens)]
