"""The last word before a summary is shown to anyone: whether it may be posted as it is.

The pipeline drops sentences that fail the gate's checks and gives this verdict with each summary
(Summary.withheld); a summary kept for later is judged again against its story's sources as they
stand when it is about to go out, with the same gate (names and numbers at least; support by
meaning and by inference when configured).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from summarizer.checks import MODEL_FREE, Evidence, Gate
from summarizer.text import split_sentences

# Flags of a summary that can't stand as the text in the language asked for.
UNUSABLE_FLAGS = frozenset({"degenerate_output", "language_mismatch"})


def reasons_to_withhold(
    summary: str, flags: Iterable[str], sources: Sequence[str] | Evidence, checks: Gate = MODEL_FREE
) -> list[str]:
    """Why the summary must not be shown ([] when it may): empty, unusable, or a sentence that
    fails a check. `sources` may be the Evidence already read from them. Blocking (checks may
    embed or run a model): run it from a worker thread."""
    if not summary:
        return ["empty"]
    unusable = sorted(UNUSABLE_FLAGS.intersection(flags))
    if unusable:
        return unusable
    sentences = split_sentences(summary)
    evidence = sources if isinstance(sources, Evidence) else Evidence(sources)
    failures = checks.failures(sentences, evidence)
    return [f"{reason} in {sentence!r}" for sentence, reasons in zip(sentences, failures, strict=True)
            for reason in reasons]
