"""What the pipeline chooses, whatever the model: which sources of a story to summarise on their
own, which line may stand as a headline, which text says nothing."""

from __future__ import annotations

import re
from collections.abc import Sequence

from summarizer.checks.wording import content_words, new_words
from summarizer.facts.grounding import find_ungrounded
from summarizer.facts.mentions import Name, extract_mentions, searchable_name_keys
from summarizer.facts.name_keys import keys_match
from summarizer.language import detect_language
from summarizer.text import split_sentences, strip_urls, word_stems

MAX_HEADLINE_WORDS = 12
_DIGITS = re.compile(r"\d+")


def central_sources(sources: Sequence[str], language: str, limit: int) -> list[str]:
    """The `limit` sources most worth summarising on their own, in their original order.

    Those already in the summary's language come first (a small model summarises best without
    translating); then those naming most of what the other sources name too (the story's core,
    not a side note or a page's boilerplate); then the longer ones.
    """
    names = [{key for m in extract_mentions(source) if isinstance(m, Name) for key in m.keys} for source in sources]
    keys = [searchable_name_keys(source) for source in sources]

    def shared(index: int) -> int:
        others = {key for other, their in enumerate(keys) if other != index for key in their}
        return sum(any(keys_match(name, key) for key in others) for name in names[index])

    ranked = sorted(
        range(len(sources)),
        key=lambda i: (detect_language(sources[i]) != language, -shared(i), -len(sources[i])),
    )
    return [sources[i] for i in sorted(ranked[:limit])]


def choose_headline(generated: str | None, summary: str, language: str) -> str:
    """The headline of a summary in `language`, or "" when there is no trustworthy one.

    A headline is read first and trusted most: it is the model's line (the first of `generated`,
    None when the model only summarises) when that is a complete phrase of at most
    MAX_HEADLINE_WORDS words in the right language that names only what the summary names and says
    it in the summary's words (the summary has passed the gate); else the summary's first sentence if it is that
    short. Never a sentence cut short.
    """
    candidates = []
    if generated is not None:
        line = next((line for line in generated.splitlines() if line.strip()), "")
        line = strip_urls(line).strip(" \"'«»“”*#-")
        candidates.append(split_sentences(line)[0].rstrip(".") if line else "")
    candidates.append(split_sentences(summary)[0].rstrip(".") if summary else "")
    return next((line for line in candidates if _fit_for_headline(line, summary, language)), "")


def _fit_for_headline(line: str, summary: str, language: str) -> bool:
    words = line.split()
    return (
        0 < len(words) <= MAX_HEADLINE_WORDS
        and not line.endswith(("…", "...", ",", ":", ";"))
        and detect_language(line) in (language, None)
        and not find_ungrounded(line, [summary])
        and not new_words(content_words(line, language), word_stems(summary))
        and (len(words) < 4 or not is_degenerate(line))
    )


def is_degenerate(text: str) -> bool:
    """Empty, too short to say anything, or looping on the same words.

    Digits count as one symbol, so that a numbered list of one word ("1. Item 2. Item 3. …") loops too.
    """
    words = _DIGITS.sub("0", text.lower()).split()
    if len(words) < 4:
        return True
    trigrams = [tuple(words[i : i + 3]) for i in range(len(words) - 2)]
    return len(set(trigrams)) < 0.6 * len(trigrams)
