"""Measure topic filters across languages, held out, with the real offline embedder.

Usage: nice -n 10 .venv/bin/python bench/topics.py [--threads N] [--vectors DIR] [--json]

The labelled set is tests/data/topics_news.jsonl: news titles and openings in ten languages, each
labelled with one of nine topics (or none) from its title and opening before any filter ran, and
tests/data/topics_pages.jsonl: cookie walls, consent dialogs, paywall stubs and error pages, on
no topic. Each article is embedded as the bot stores it (bot.stories.assign.article_text) and
compared with the nine topics as a channel owner would write them, in English, German and Russian,
the way the bot decides (bot.digest.topics.topic_margins on language-centred vectors).

The margin a topic must keep over the other topics (the only fitted number) is fitted on seven of
the eight main languages (en de es fr ru pl ar tr) and applied to the eighth, each in turn; the
Italian and Ukrainian articles are judged with the margin fitted on all eight, so every figure is
held out. Prints micro and per-topic precision, recall and F1, recall per language, the same
for topic words in German and Russian, the pages matched to any topic, the absolute-cosine rule
the bot used before for comparison, and the margin fitted on all the set (the default of
bot.digest.topics). --vectors keeps the embeddings in DIR, so a second run embeds nothing.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from bench.common import machine  # noqa: E402
from bot.stories.assign import article_text  # noqa: E402

DATA = ROOT / "tests" / "data"
ARTICLES = DATA / "topics_news.jsonl"
PAGES = DATA / "topics_pages.jsonl"
MAIN_LANGUAGES = ("en", "de", "es", "fr", "ru", "pl", "ar", "tr")
# The nine topics of the set, as an owner would write them.
TOPIC_WORDS = {
    "politics": {"en": "politics and elections", "de": "Politik und Wahlen", "ru": "политика и выборы"},
    "war": {"en": "war and terrorism", "de": "Krieg und Terrorismus", "ru": "война и терроризм"},
    "economy": {"en": "economy, business and finance", "de": "Wirtschaft, Unternehmen und Finanzen",
                "ru": "экономика, бизнес и финансы"},
    "science": {"en": "science and technology", "de": "Wissenschaft und Technik", "ru": "наука и технологии"},
    "health": {"en": "health and medicine", "de": "Gesundheit und Medizin", "ru": "здоровье и медицина"},
    "sports": {"en": "sports", "de": "Sport", "ru": "спорт"},
    "crime": {"en": "crime and courts", "de": "Kriminalität und Justiz", "ru": "преступность и суды"},
    "disasters": {"en": "disasters, accidents and weather", "de": "Katastrophen, Unfälle und Wetter",
                  "ru": "катастрофы, происшествия и погода"},
    "culture": {"en": "culture, entertainment and celebrities", "de": "Kultur, Unterhaltung und Prominente",
                "ru": "культура, развлечения и знаменитости"},
}
TOPICS = list(TOPIC_WORDS)
WORD_LANGUAGES = ("en", "de", "ru")
# The rule the bot used before: an absolute cosine with the topic's words.
OLD_THRESHOLD = 0.785


@dataclass(frozen=True)
class LabelledArticle:
    language: str
    topic: str | None
    title: str
    text: str


@dataclass(frozen=True)
class StubPage:
    language: str
    kind: str  # cookie wall, consent, paywall, error
    title: str
    text: str


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def labelled_articles() -> list[LabelledArticle]:
    return [LabelledArticle(row["language"], row["topic"], row["title"], row["text"]) for row in _rows(ARTICLES)]


def stub_pages() -> list[StubPage]:
    return [StubPage(row["language"], row["kind"], row["title"], row["text"]) for row in _rows(PAGES)]
