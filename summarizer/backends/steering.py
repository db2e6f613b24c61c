"""Keeping a causal model's answer in the script of the language asked for.

A small base model reading a Czech article under a Russian cue often carries on in Czech. Lowering
the logits of every token that holds letters of another script makes the target language's words
the likelier continuation, while a name quoted from a source (Amazon in a Russian text) stays
possible: its tokens are exempt, and a bias is not a ban.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import regex

from summarizer.language import scripts_of

# Logits lowered for a token in another script. Enough to outweigh a base model's pull towards
# the source's language, not so much that a needed foreign word (an unnamed brand) can't appear.
SCRIPT_BIAS = 6.0
# Keeps a small model's summary from looping (llama.cpp's repeat_penalty, transformers' repetition_penalty).
REPETITION_PENALTY = 1.15


@dataclass(frozen=True)
class Steering:
    """What an answer should be written in, and the words it may quote in other scripts."""

    language: str
    keep: tuple[str, ...] = ()
    # The answer renders the prompt's own sentence (a translation): repeating its words is the point,
    # so the repetition penalty that keeps a summary from looping is off.
    repeats_prompt: bool = False


def repetition_penalty(steering: Steering | None) -> float:
    """None for an answer that renders its prompt's sentence, which must repeat its names."""
    return 1.0 if steering is not None and steering.repeats_prompt else REPETITION_PENALTY


class ScriptMasks:
    """Per tokenizer: each token decoded once, and per set of scripts the tokens holding letters
    of other scripts, computed once (a few tenths of a second for a 262k-token vocabulary)."""

    def __init__(self, tokenizer) -> None:
        self.tokenizer = tokenizer
        self._texts: list[str] | None = None
        self._foreign: dict[tuple[str, ...], object] = {}

    def texts(self) -> list[str]:
        if self._texts is None:
            ids = [[index] for index in range(len(self.tokenizer))]
            # The Rust decoder is several times faster than the Python wrapper over a large vocabulary.
            fast = getattr(self.tokenizer, "backend_tokenizer", None)
            decode = fast.decode_batch if fast is not None else self.tokenizer.batch_decode
            self._texts = decode(ids, skip_special_tokens=False)
        return self._texts

    def foreign(self, scripts: tuple[str, ...]):
        """A bool tensor over the vocabulary: the token holds a letter of none of `scripts`.

        Special tokens, digits, punctuation, spaces and byte pieces hold no letters and stay neutral.
        """
        if scripts not in self._foreign:
            import torch

            letters = "".join(rf"\p{{{script}}}" for script in scripts)
            other = regex.compile(rf"[\p{{L}}--[{letters}]]", regex.V1)
            mask = torch.tensor([other.search(text) is not None for text in self.texts()], dtype=torch.bool)
            mask[self.tokenizer.all_special_ids] = False
            self._foreign[scripts] = mask
        return self._foreign[scripts]

    def bias(self, steering: Steering | None, width: int):
        """One row of logit offsets for a model with `width` outputs (zeros without steering)."""
        import torch

        row = torch.zeros(width)
        if steering is None:
            return row
        mask = self.foreign(scripts_of(steering.language))[:width]
        row[: len(mask)][mask] = -SCRIPT_BIAS
        keep = self._token_ids(steering.keep)
        row[[index for index in keep if index < width]] = 0.0
        return row

    def _token_ids(self, words: Sequence[str]) -> set[int]:
        # A word tokenises differently at the start of a text and after a space: exempt both forms.
        if not words:
            return set()
        forms = [*words, *(f" {word}" for word in words)]
        return {index for ids in self.tokenizer(forms, add_special_tokens=False).input_ids for index in ids}


class ScriptBias:
    """A transformers LogitsProcessor adding one precomputed row of offsets to each row's scores."""

    def __init__(self, rows) -> None:
        self.rows = rows

    def __call__(self, input_ids, scores):
        return scores + self.rows.to(scores.dtype)
