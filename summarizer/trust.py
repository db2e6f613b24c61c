"""The last word before a summary is shown to anyone: whether it may be posted as it is.

The pipeline already drops sentences that name what no source has; this is the check at the door,
made against the sources as they stand when the text is about to go out.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from summarizer.grounding import find_ungrounded

# Flags of a summary that can't stand as the text in the language asked for.
UNUSABLE_FLAGS = frozenset({"degenerate_output", "language_mismatch"})


def reasons_to_withhold(summary: str, flags: Iterable[str], sources: Sequence[str]) -> list[str]:
    """Why the summary must not be shown ([] when it may): empty, unusable, or naming what no source has."""
    if not summary:
        return ["empty"]
    unusable = sorted(UNUSABLE_FLAGS.intersection(flags))
    if unusable:
        return unusable
    return [f"not in the sources: {name}" for name in find_ungrounded(summary, sources)]
