"""Token-aware chunking at sentence boundaries, measured with the model's own tokenizer."""

from __future__ import annotations

from collections.abc import Callable

from summarizer.text import split_sentences

TokenCounter = Callable[[str], int]


def chunk_text(text: str, count_tokens: TokenCounter, max_tokens: int) -> list[str]:
    """Split text into chunks of whole sentences of at most max_tokens each; nothing is dropped."""
    chunks: list[str] = []
    current: list[str] = []
    current_tokens = 0
    for sentence in split_sentences(text):
        for piece in _split_long(sentence, count_tokens, max_tokens):
            tokens = count_tokens(piece)
            if current and current_tokens + tokens > max_tokens:
                chunks.append(" ".join(current))
                current, current_tokens = [], 0
            current.append(piece)
            current_tokens += tokens
    if current:
        chunks.append(" ".join(current))
    return chunks


def _split_long(sentence: str, count_tokens: TokenCounter, max_tokens: int) -> list[str]:
    """A sentence longer than the budget (tables, run-on text) is cut between words."""
    if count_tokens(sentence) <= max_tokens:
        return [sentence]
    pieces: list[str] = []
    words: list[str] = []
    words_tokens = 0
    for word in sentence.split():
        # Counting word by word keeps this linear; the sum slightly over-counts, which is safe.
        tokens = count_tokens(" " + word)
        if words and words_tokens + tokens > max_tokens:
            pieces.append(" ".join(words))
            words, words_tokens = [], 0
        words.append(word)
        words_tokens += tokens
    if words:
        pieces.append(" ".join(words))
    return pieces
