"""A channel's filter rules, as the config file, the store and /filters write them.

A rule is a keyword (matched as a whole word, ignoring case), a '/regex/', or a topic, matched by
meaning (bot/digest/topics.py). A topic is stored as the text 'topic:' and its words, so include
and exclude stay lists of strings in the config sync, the store and every answer that shows them;
a topic with a strictness of its own is stored as 'topic(strict):words' or 'topic(loose):words'.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_TOPIC_CHARS = 200  # a few words name a topic; a long text would be embedded as one
MAX_RULE_CHARS = 200  # a keyword or a /regex/ typed in /filters; longer is no real filter
# How closely a story must be about a topic: "normal" is the measured default (bench/topics.py).
STRICTNESS = ("loose", "normal", "strict")
_TOPIC = re.compile(r"topic(?:\((loose|normal|strict)\))?:", re.IGNORECASE)


@dataclass(frozen=True)
class TopicRule:
    words: str
    strictness: str = "normal"

    @property
    def rule(self) -> str:
        """As stored: 'topic:words', or 'topic(strict):words'."""
        marker = "" if self.strictness == "normal" else f"({self.strictness})"
        return f"topic{marker}:{self.words}"


def compile_rule(rule: str) -> re.Pattern[str]:
    """'/regex/' as written; a keyword matches as a whole word, ignoring case."""
    if len(rule) > 2 and rule.startswith("/") and rule.endswith("/"):
        return re.compile(rule[1:-1], re.IGNORECASE)
    return re.compile(rf"(?<!\w){re.escape(rule)}(?!\w)", re.IGNORECASE)


def parse_topic(rule: str) -> TopicRule | None:
    """A topic rule's words and strictness; None for a keyword or a regex."""
    match = _TOPIC.match(rule)
    return TopicRule(rule[match.end():], (match.group(1) or "normal").lower()) if match else None


def topic_of(rule: str) -> str | None:
    """A topic rule's words; None for a keyword or a regex."""
    topic = parse_topic(rule)
    return topic.words if topic else None


def topic_rule(words: str, strictness: str = "normal") -> str:
    """The rule for a topic, its words tidied: 'topic:energy and climate'. ValueError when it says nothing."""
    topic = " ".join(words.strip().strip("\"'«»“”„").split())
    if not topic:
        raise ValueError("a topic needs words, e.g. topic:energy and climate")
    if len(topic) > MAX_TOPIC_CHARS:
        raise ValueError(f"a topic is a few words, not {len(topic)} characters")
    if strictness not in STRICTNESS:
        raise ValueError(f"a topic's strictness is one of {', '.join(STRICTNESS)}, not {strictness!r}")
    return TopicRule(topic, strictness).rule


def checked_rule(rule: str) -> str:
    """The rule as stored (a topic's words tidied); ValueError for an empty rule, topic or a broken regex."""
    if not rule.strip():
        raise ValueError("a filter rule cannot be empty")
    topic = parse_topic(rule)
    if topic is not None:
        return topic_rule(topic.words, topic.strictness)
    try:
        compile_rule(rule)
    except re.error as exc:
        raise ValueError(f"{rule} is not a valid regular expression ({exc})") from None
    return rule
