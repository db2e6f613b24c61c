"""A channel's filter rules, as the config file, the store and /filters write them.

A rule is a keyword (matched as a whole word, ignoring case), a '/regex/', or a topic, matched by
meaning (bot/digest/topics.py). A topic is stored as the text 'topic:' and its words, so include
and exclude stay lists of strings in the config sync, the store and every answer that shows them.
"""

from __future__ import annotations

import re

TOPIC_PREFIX = "topic:"
MAX_TOPIC_CHARS = 200  # a few words name a topic; a long text would be embedded as one
MAX_RULE_CHARS = 200  # a keyword or a /regex/ typed in /filters; longer is no real filter


def compile_rule(rule: str) -> re.Pattern[str]:
    """'/regex/' as written; a keyword matches as a whole word, ignoring case."""
    if len(rule) > 2 and rule.startswith("/") and rule.endswith("/"):
        return re.compile(rule[1:-1], re.IGNORECASE)
    return re.compile(rf"(?<!\w){re.escape(rule)}(?!\w)", re.IGNORECASE)


def topic_of(rule: str) -> str | None:
    """A topic rule's words; None for a keyword or a regex."""
    return rule[len(TOPIC_PREFIX):] if rule.lower().startswith(TOPIC_PREFIX) else None


def topic_rule(words: str) -> str:
    """The rule for a topic, its words tidied: 'topic:energy and climate'. ValueError when it says nothing."""
    topic = " ".join(words.strip().strip("\"'«»“”„").split())
    if not topic:
        raise ValueError("a topic needs words, e.g. topic:energy and climate")
    if len(topic) > MAX_TOPIC_CHARS:
        raise ValueError(f"a topic is a few words, not {len(topic)} characters")
    return TOPIC_PREFIX + topic


def checked_rule(rule: str) -> str:
    """The rule as stored (a topic's words tidied); ValueError for an empty rule, topic or a broken regex."""
    if not rule.strip():
        raise ValueError("a filter rule cannot be empty")
    topic = topic_of(rule)
    if topic is not None:
        return topic_rule(topic)
    try:
        compile_rule(rule)
    except re.error as exc:
        raise ValueError(f"{rule} is not a valid regular expression ({exc})") from None
    return rule
