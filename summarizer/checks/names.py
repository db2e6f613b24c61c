"""The names/numbers/dates check as a sentence check: a sentence stating one that no source has fails."""

from __future__ import annotations

from collections.abc import Sequence

from summarizer.checks.base import Evidence, SentenceCheck, Verdict
from summarizer.facts.grounding import ungrounded_mentions


class NamesCheck(SentenceCheck):
    name = "names"

    def check(self, sentences: Sequence[str], evidence: Evidence) -> list[Verdict]:
        # The sentences are read as one text: a word that starts one sentence is taken for a name
        # when another sentence writes it with a capital inside (see grounding._doubtful).
        text = " ".join(sentences)
        ends, end = [], 0
        for sentence in sentences:
            end += len(sentence) + 1
            ends.append(end)
        missing: list[list[str]] = [[] for _ in sentences]
        for mention in ungrounded_mentions(text, evidence.index):
            index = next(i for i, end in enumerate(ends) if mention.start < end)
            if mention.text not in missing[index]:
                missing[index].append(mention.text)
        return [
            Verdict(not names, 0.0 if names else 1.0, f"not in the sources: {', '.join(names)}" if names else "")
            for names in missing
        ]
