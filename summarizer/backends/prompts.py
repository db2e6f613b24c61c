"""Prompts: a completion cue for base models, an instruction for chat models."""

from __future__ import annotations

from summarizer.language import headline_label, language_name, news_label, summary_label

# Base models continue text: the article followed by a summary heading written in the target
# language is the cue they follow most reliably. Several phrasings, so candidates and retries
# differ in more than chance. The last, "the news in <language>", is tried only after the others
# failed: it made the offline model retell a Russian article in Arabic where the summary cues
# gave Arabic about something else.
COMPLETION_VARIANTS = 4


def completion_prompt(source: str, language: str, variant: int = 0) -> str:
    if variant == 0:
        return f"Article:\n{source}\n\n{summary_label(language)}:"
    if variant == 1:
        return f"{source}\n\nTL;DR in {language_name(language)}:"
    if variant == 2:
        return f"{source}\n\n{summary_label(language)}:"
    return f"{source}\n\n{news_label(language)}:"


def headline_completion_prompt(summary: str, language: str) -> str:
    return f"{summary_label(language)}:\n{summary}\n\n{headline_label(language)}:"


def chat_messages(source: str, language: str, max_chars: int) -> list[dict[str, str]]:
    instruction = (
        f"Summarize the news below in {language_name(language)}, in two or three sentences and "
        f"at most {max_chars} characters. Keep names and numbers exactly as in the source. "
        "Write only the summary."
    )
    return [{"role": "user", "content": f"{instruction}\n\n{source}"}]


def headline_messages(summary: str, language: str) -> list[dict[str, str]]:
    instruction = f"Write a news headline in {language_name(language)} (at most 12 words) for this summary:"
    return [{"role": "user", "content": f"{instruction}\n\n{summary}"}]


def join_sources(texts: list[str]) -> str:
    """Several articles (or partial summaries) of one story as one source block."""
    if len(texts) == 1:
        return texts[0]
    return "\n\n".join(f"[{number}] {text}" for number, text in enumerate(texts, 1))
