"""What the poller learns from an article's text before storing it: its language and SimHash.

Both hold the GIL for milliseconds per article, so the poller runs `fingerprint` in a ParsePool worker.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.feeds.dedupe import simhash
from summarizer import detect_language

# For the parse pool: its workers then share one copy of the language detector's models.
PRELOAD = ("bot.feeds.language_detector",)


@dataclass(frozen=True)
class Fingerprint:
    language: str | None  # ISO 639-1, None when it cannot be told
    simhash: int | None  # None for texts too short to compare


def fingerprint(title: str, text: str) -> Fingerprint:
    return Fingerprint(language=detect_language(f"{title}\n{text}"), simhash=simhash(text))
