"""The gate every sentence of a summary passes before anyone reads it.

A Gate runs its checks in order (names and numbers, then wording, first: they are cheap, and a sentence one
check rejects is not given to the next). prune() drops the sentences that fail and checks what
remains again, as a sentence may have been judged in the light of one now gone.
"""

from __future__ import annotations

from collections.abc import Sequence

from summarizer.checks.base import Evidence, SentenceCheck, Verdict
from summarizer.checks.names import NamesCheck
from summarizer.checks.wording import WordingCheck

__all__ = ["Evidence", "Gate", "SentenceCheck", "Verdict"]


class Gate:
    def __init__(self, checks: Sequence[SentenceCheck] = (), new_words: int | None = 0) -> None:
        """Names and numbers are always checked; the wording of a sentence in a source's language
        too, unless `new_words` is None (trust.new_words)."""
        wording = () if new_words is None else (WordingCheck(new_words),)
        self.checks: tuple[SentenceCheck, ...] = (NamesCheck(), *wording, *checks)

    def failures(self, sentences: Sequence[str], evidence: Evidence) -> list[list[str]]:
        """For each sentence, the reasons it fails ([] when every check supports it)."""
        reasons: list[list[str]] = [[] for _ in sentences]
        for check in self.checks:
            passing = [index for index, found in enumerate(reasons) if not found]
            if not passing:
                break
            verdicts = check.check([sentences[index] for index in passing], evidence)
            for index, verdict in zip(passing, verdicts, strict=True):
                if not verdict.supported:
                    reasons[index].append(f"{check.name}: {verdict.reason}")
        return reasons

    def prune(self, sentences: Sequence[str], evidence: Evidence) -> list[str]:
        """The sentences that pass every check when read together ([] when none do)."""
        kept = list(sentences)
        while kept:
            reasons = self.failures(kept, evidence)
            if not any(reasons):
                break
            kept = [sentence for sentence, found in zip(kept, reasons, strict=True) if not found]
        return kept


MODEL_FREE = Gate()  # the checks that need no model: names and numbers, wording
