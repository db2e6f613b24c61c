"""A digest item per story, in the most faithful form there is for the channel's language.

An item is never empty, never states what no source says, and never ends mid-sentence:
- "summary": the model's summary in the channel's language, when it passes the checks (every name,
  number and date in a source; the right language; real prose) and is not a source's own words
  again (a summary that repeats a title or copies an opening is that source's lead);
- "lead": else the opening of a source written in the channel's language;
- "translation": else a source's headline and opening translated sentence by sentence, each
  sentence checked against its own source sentence (summarizer.translation); the item says which
  language it was translated from;
- "headline": else the story's own headlines, in their languages, marked, with links (and, for a
  story whose sources carry no headline at all, the opening of one, its language marked).
Its title follows the same order: a source's title in the channel's language; else the model's
headline for a summary (a complete phrase, checked like the summary); else a source's title
translated and checked; else a source's own title, its language marked.

A story already posted that has gained sources comes back once as an update, with only what the
new sources add to what the channel was told and the sources it was given (summarizer.novelty), by
the same rules; with nothing new it is not repeated.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass, field
from typing import Literal

from bot.digest.choose import ChosenStory
from bot.digest.summaries import StorySummaries
from bot.digest.translations import SentenceTranslations
from bot.store.tables import Article, SummaryRecord
from summarizer import (
    SummarizerError,
    Translation,
    candidate_sentences,
    copied_source,
    new_sentences,
    opening_sentences,
    source_text,
    split_sentences,
)
from summarizer.embeddings import Embedder

log = logging.getLogger(__name__)

# Sources whose opening is tried for a translation: the model's renderings fail often, another may pass.
TRANSLATED_SOURCES = 2

# A "title" that is a file or a link, as feeds without titles give: no headline.
_NOT_A_TITLE = re.compile(r"(?i)^(https?://\S+|[\w.\-]+\.(s?html?|php|aspx?|jsp|xml|json))$")


# The model's summary; else a source's opening in the channel's language; else a source's opening
# translated; else the sources' headlines.
Form = Literal["summary", "lead", "translation", "headline"]
# A story new to the channel, or an update of one it was given before.
Kind = Literal["story", "update"]


@dataclass(frozen=True)
class SourceLink:
    url: str | None
    feed: str
    language: str | None
    title: str = ""  # the source's own headline, in its language


@dataclass
class DigestItem:
    story_id: int
    title: str
    summary: str
    sources: list[SourceLink]
    form: Form = "summary"
    kind: Kind = "story"
    article_ids: list[int] = field(default_factory=list)  # the articles the item gives the channel
    title_language: str | None = None  # set when the title is in another language than the channel's
    summary_language: str | None = None  # the same, for the text
    translated_from: str | None = None  # the language of the source whose title or text was translated
    flags: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {
            "title": self.title,
            "summary": self.summary,
            "sources": [{"url": s.url, "feed": s.feed, "language": s.language} for s in self.sources],
            "form": self.form,
            "kind": self.kind,
            "ungrounded": [],  # DESIGN.md's key: what the posted text names that no source does, never anything
            "flags": list(self.flags),
            **({"source_language": self.translated_from} if self.translated_from else {}),
        }

    @property
    def told(self) -> str:
        """What the item tells of the story, for telling what is new later."""
        return self.summary or "\n".join(dict.fromkeys(source.title for source in self.sources if source.title))


@dataclass
class ChannelDigest:
    chat: str
    language: str
    items: list[DigestItem]
    messages: list[str]  # exactly as they are sent
    # Articles that came to stories the channel was given, and said nothing new: given without a word.
    quiet: list[int] = field(default_factory=list)
    left_out: int = 0  # stories whose item could not be built (logged): neither posted nor given
    # With topics: per_feed, the feed whose forum topic each message goes to; else empty.
    feeds: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {
            "chat": self.chat,
            "language": self.language,
            "stories": [item.to_json() for item in self.items],
            "messages": self.messages,
            **({"message_feeds": self.feeds} if self.feeds else {}),
        }


def _public_url(article: Article) -> str | None:
    """The link readers can open: the entry's own, or the page's canonical URL for file: entries."""
    if article.url and article.url.startswith(("http://", "https://")):
        return article.url
    return article.canonical_url


def title_of(article: Article) -> str:
    title = " ".join(article.title.split())
    return "" if _NOT_A_TITLE.match(title) else title


def lead_of(article: Article, max_chars: int) -> str:
    """The article's opening sentences, without the headline that page extraction often repeats."""
    text = article.text.strip()
    first_line, _, rest = text.partition("\n")
    if rest and " ".join(first_line.split()) == " ".join(article.title.split()):
        text = rest
    return opening_sentences(text, max_chars)


def _links(articles: list[Article]) -> list[SourceLink]:
    return [SourceLink(_public_url(a), a.feed.title or a.feed.name, a.language, title_of(a)) for a in articles]


def _native_title(articles: list[Article], language: str) -> str:
    return next((title for a in articles if a.language == language and (title := title_of(a))), "")


async def build_item(
    summaries: StorySummaries, articles: list[Article], language: str,
    translations: SentenceTranslations | None = None,
) -> DigestItem | None:
    """The story's item for a channel in `language`; `articles` are its sources, oldest first.
    None for a story whose sources have neither a headline nor a text: there is nothing to tell.
    Without `translations`, a story told in no source in `language` is given as headlines."""
    unique = list({a.text_hash: a for a in articles if a.text.strip() or title_of(a)}.values())
    if not unique:
        log.debug("story %s left out: its sources have neither a title nor a text", articles[0].story_id)
        return None
    sources = _links(articles)
    native = [a for a in unique if a.language == language and a.text]
    item = DigestItem(articles[0].story_id, _native_title(unique, language), "", sources,
                      article_ids=[a.id for a in articles])
    record = await _summary(summaries, unique, language, item)
    trusted = record is not None and await _trustworthy(record, unique, summaries)
    copied = _copied_source(record.summary, unique) if trusted else None
    if trusted and copied is None:
        item.summary = record.summary
        if not item.title:
            item.title = await summaries.headline(record)
    elif native:
        item.form, item.summary = "lead", lead_of(copied if copied in native else native[0], summaries.max_chars)
    if translations is not None and not (item.summary and item.title):
        await _translate(item, unique, language, translations, summaries.max_chars)
    if not item.summary:
        item.form = "headline"
        if not any(source.title for source in sources):  # no source has a title: one has a text
            opening = next(a for a in unique if a.text.strip())
            item.summary, item.summary_language = lead_of(opening, summaries.max_chars), opening.language
    if not item.title:
        _own_title(item, unique, language)
    return item


async def build_update(
    summaries: StorySummaries, chosen: ChosenStory, language: str, embedder: Embedder,
    translations: SentenceTranslations | None = None,
) -> DigestItem | None:
    """What the story's new sources add, as an update item; None when they add nothing."""
    new = list({a.text_hash: a for a in chosen.new}.values())
    # Newest first: an update leads with the latest news.
    by_sentence = {sentence: a for a in reversed(new) for sentence in candidate_sentences([a.text])}
    # What the channel has: what it was told, and what the sources it was given said.
    given = [a.text for a in chosen.articles if a not in chosen.new]
    known = "\n".join([chosen.told or "", *candidate_sentences(given)])
    fresh = await asyncio.to_thread(new_sentences, list(by_sentence), known, embedder)
    if not fresh:
        return None
    # Titled after the source of its first new sentence where that one is in the channel's language.
    leading = [by_sentence[fresh[0]], *new]
    item = DigestItem(chosen.story_id, _native_title(leading, language) or _native_title(chosen.articles, language),
                      "", _links(chosen.new), kind="update", article_ids=[a.id for a in chosen.new])
    item.flags.append("update")
    in_language = [sentence for sentence in fresh if by_sentence[sentence].language == language]
    if in_language:  # the outlets' own words
        item.form, item.summary = "lead", opening_sentences(" ".join(in_language), summaries.max_chars)
    else:
        record = await _summary(summaries, new, language, item, texts=("\n".join(fresh),))
        if record is not None and await _trustworthy(record, new, summaries):
            item.summary = record.summary
        elif translations is not None and (source := by_sentence[fresh[0]]).language:
            told = " ".join(sentence for sentence in fresh if by_sentence[sentence] is source)
            await _translate_text(item, split_sentences(opening_sentences(told, summaries.max_chars)), source.language,
                                  language, translations, summaries.max_chars)
        if not item.summary:
            item.form = "headline"
    if not item.title:
        _own_title(item, new, language)
    return item


async def _summary(
    summaries: StorySummaries, articles: list[Article], language: str, item: DigestItem,
    texts: tuple[str, ...] | None = None,
) -> SummaryRecord | None:
    """The summary of the articles (or of `texts` taken from them), None when the model failed."""
    try:
        record = await (summaries.summary_of(texts, language) if texts else summaries.summary(articles, language))
    except SummarizerError as exc:
        log.warning("story %s not summarised: %s", item.story_id, exc)
        item.flags.append(f"error: {exc}")
        return None
    item.flags.extend(record.flags)
    return record


async def _trustworthy(record: SummaryRecord, articles: list[Article], summaries: StorySummaries) -> bool:
    """Checked again here, against every source of the story as it stands now, by the model's gate."""
    reasons = await summaries.reasons_to_withhold(record, articles)
    if reasons:
        log.info("summary of story %s held back: %s", articles[0].story_id, "; ".join(reasons))
    return not reasons


async def _translate(
    item: DigestItem, articles: list[Article], language: str, translations: SentenceTranslations, max_chars: int
) -> None:
    """What the item lacks, translated from its first sources in another language: its text (form
    "translation") when it has none, its title when it has none. A title is taken from the source
    whose text is given, else from any source whose title passed."""
    foreign = [a for a in articles if a.language and a.language != language][:TRANSLATED_SOURCES]
    titles: dict[int, str] = {}  # article id -> its title, translated and checked
    given: Article | None = None  # the source whose opening the item gives
    for article in foreign:
        title = "" if item.title else title_of(article)
        sentences = split_sentences(lead_of(article, max_chars)) if not item.summary and article.text.strip() else []
        if not title and not sentences:
            continue
        rendered = await translations.translate([title, *sentences] if title else sentences, article.language, language)
        if title:
            _log_refused(item.story_id, rendered[:1])
            if rendered[0].text:
                titles[article.id] = rendered[0].text
            rendered = rendered[1:]
        if _give_translation(item, rendered, article.language, max_chars):
            given = article
            break
    if titles and not item.title:
        titled = given if given is not None and given.id in titles else next(a for a in foreign if a.id in titles)
        item.title = titles[titled.id]
        item.translated_from = item.translated_from or titled.language


async def _translate_text(
    item: DigestItem, sentences: list[str], source_language: str, language: str,
    translations: SentenceTranslations, max_chars: int,
) -> None:
    _give_translation(item, await translations.translate(sentences, source_language, language), source_language,
                      max_chars)


def _give_translation(item: DigestItem, rendered: list[Translation], source_language: str, max_chars: int) -> bool:
    """The sentences that passed as the item's text (form "translation"); False when none did."""
    _log_refused(item.story_id, rendered)
    text = [translation.text for translation in rendered if translation.text]
    if text:
        item.form, item.summary = "translation", opening_sentences(" ".join(text), max_chars)
        item.translated_from = source_language
    return bool(text)


def _log_refused(story_id: int, translations: list[Translation]) -> None:
    for translation in translations:
        if translation.reasons:
            log.debug("story %s: translation of %r refused: %s", story_id, translation.source,
                      "; ".join(translation.reasons))


def _copied_source(summary: str, articles: list[Article]) -> Article | None:
    """The source whose title or opening the summary repeats (a lead, not a summary), if any."""
    index = copied_source(summary, [source_text(title_of(article), article.text) for article in articles])
    return None if index is None else articles[index]


def _own_title(item: DigestItem, articles: list[Article], language: str) -> None:
    """A source's own headline, its language marked when it is not the channel's."""
    for article in articles:
        if title := title_of(article):
            item.title = title
            item.title_language = article.language if article.language != language else None
            return
