"""Topic filters: whether a story is about a topic, by the meaning of its articles, in any language.

A multilingual embedder gives texts of one language a part of their own, so an absolute cosine
between a topic's words and an article rises and falls with the article's language (and the
words'). The decision here does not use one: each article is compared, as a language-centred
vector with the mean of all texts taken out too (summarizer.embeddings.languages, means from the
stored articles; unrelated texts then score near 0), with the topic and with
a fixed set of contrast topics that together cover the news (bot.digest.contrast_topics), written
in the language of the topic's words (the set whose phrases are nearest them), and it is on the
topic when the topic scores at least as well as every contrast topic the topic does not cover,
less a margin. Whatever the article's language adds or takes away, it does so to every topic
alike, and the words' language to the topic and its contrasts alike.

A story is on a topic when one of its articles is; an article that is a cookie wall, a consent
dialog, a paywall stub or an error page (web.extract.stub_kind) is on none.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
from sqlalchemy.ext.asyncio import AsyncSession

from bot.digest.contrast_topics import CONTRAST_TOPICS
from bot.store.tables import Article
from bot.stories.assign import article_vectors, language_centres
from config.filters import TopicRule
from config.model_settings import TOPIC_MARGIN
from summarizer.embeddings import Embedder, LanguageCentres
from summarizer.embeddings.base import unit_rows
from web.extract import stub_kind

# A contrast topic this close to a channel's topic (covered_contrasts) is the same topic or part of
# it ("sports" for "football"), so it does not compete with it.
COVERED = 0.35
# What a "strict" topic's margin is less, and a "loose" one's more, than a normal topic's.
STRICTNESS_STEP = 0.02


def topic_margins(articles: np.ndarray, topics: np.ndarray, contrasts: np.ndarray, covered: np.ndarray) -> np.ndarray:
    """articles × topics: each topic's cosine less that of the nearest contrast topic it does not
    cover (`covered`: topics × contrasts), all rows language-centred unit vectors. Positive: the
    topic is nearer the article than any other."""
    own = articles @ topics.T
    others = np.where(covered[None, :, :], -np.inf, (articles @ contrasts.T)[:, None, :])
    return own - others.max(axis=2, initial=-np.inf)


def covered_contrasts(topics: np.ndarray, contrasts: np.ndarray) -> np.ndarray:
    """topics × contrasts: which contrast topics a topic covers, from raw phrase vectors of one
    language centred on the contrasts' mean (what the phrases share, their language, taken out)."""
    mean = contrasts.mean(axis=0)
    return unit_rows(topics - mean) @ unit_rows(contrasts - mean).T >= COVERED


class Topics:
    """An embedder's topic vectors, each computed once for the process, and the margins topics match at."""

    def __init__(self, embedder: Embedder, margin: float = TOPIC_MARGIN) -> None:
        self.embedder = embedder
        self.margins = {"loose": margin + STRICTNESS_STEP, "normal": margin, "strict": margin - STRICTNESS_STEP}
        self._vectors: dict[tuple[str, str], np.ndarray] = {}

    async def vectors(self, topics: Iterable[str]) -> dict[str, np.ndarray]:
        """Each topic's unit vector, embedding (off the event loop) only those not seen before."""
        wanted = list(dict.fromkeys(topics))
        model = self.embedder.model_id
        missing = [topic for topic in wanted if (model, topic) not in self._vectors]
        if missing:
            self._vectors.update(((model, topic), vector) for topic, vector in
                                 zip(missing, await self.embedder.aembed(missing), strict=True))
        return {topic: self._vectors[model, topic] for topic in wanted}

    async def stories_topics(
        self, session: AsyncSession, stories: Sequence[Sequence[Article]], rules: Iterable[TopicRule]
    ) -> list[set[TopicRule]]:
        """For each story (its articles), the topic rules it matches."""
        rules = list(dict.fromkeys(rules))
        if not rules or not stories:
            return [set() for _ in stories]
        words = [rule.words for rule in rules]
        phrases = await self.vectors([*words, *(phrase for group in CONTRAST_TOPICS.values() for phrase in group)])
        articles = [article for story in stories for article in story]
        # Stored when the articles were grouped; an article without one (a copy) is embedded now, once.
        by_article = await article_vectors(session, self.embedder, articles)
        centres = await language_centres(session, self.embedder)
        vectors = centres.centre(
            np.stack([by_article[a.id] for a in articles]), [a.language for a in articles], common=True
        )
        margins = decide(vectors, [phrases[w] for w in words], phrases, centres)
        needed = np.array([-self.margins[rule.strictness] for rule in rules])
        for index in np.flatnonzero((margins >= needed).any(axis=1)):  # only those that would match
            if stub_kind(articles[index].title, articles[index].text):
                margins[index] = -np.inf
        found, start = [], 0
        for story in stories:
            best = margins[start : start + len(story)].max(axis=0)
            found.append({rule for rule, value, need in zip(rules, best, needed, strict=True) if value >= need})
            start += len(story)
        return found


def contrast_language(topic: np.ndarray, phrases: dict[str, np.ndarray]) -> str:
    """The language of CONTRAST_TOPICS whose phrases are nearest a topic's words (raw unit vectors)."""
    return max(CONTRAST_TOPICS, key=lambda language: float(np.mean(
        np.stack([phrases[phrase] for phrase in CONTRAST_TOPICS[language]]) @ topic)))


def decide(
    articles: np.ndarray, topics: Sequence[np.ndarray], phrases: dict[str, np.ndarray], centres: LanguageCentres
) -> np.ndarray:
    """articles × topics margins (topic_margins): `articles` centred, `topics` the raw vectors of the
    topics' words, `phrases` the raw vectors of every contrast phrase."""
    margins = np.empty((len(articles), len(topics)), dtype=np.float32)
    by_language: dict[str, list[int]] = {}
    for index, topic in enumerate(topics):
        by_language.setdefault(contrast_language(topic, phrases), []).append(index)
    for language, indices in by_language.items():
        raw = np.stack([topics[i] for i in indices])
        contrasts = np.stack([phrases[phrase] for phrase in CONTRAST_TOPICS[language]])
        centred = centres.centre(np.concatenate([raw, contrasts]), [None] * (len(raw) + len(contrasts)), common=True)
        margins[:, indices] = topic_margins(
            articles, centred[: len(raw)], centred[len(raw):], covered_contrasts(raw, contrasts)
        )
    return margins
