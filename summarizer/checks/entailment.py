"""Support by inference (optional): a multilingual NLI model reads a source passage as premise and
the sentence as hypothesis; the sentence is supported when some passage entails it.

Any sequence-classification model with an "entailment" label works (for example
MoritzLaurer/mDeBERTa-v3-base-xnli-multilingual-nli-2mil7), loaded the usual transformers way
(hub id or local directory). It is slow on a CPU (a base model reads a few pairs a second a
core), so the passages are bounded: source sentences packed into windows of PASSAGE_CHARS, at
most MAX_PASSAGES per text (the first ones: news puts its facts first).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from summarizer.checks.base import Evidence, SentenceCheck, Verdict
from summarizer.types import ModelLoadError, first_line

PASSAGE_CHARS = 600
MAX_PASSAGES = 16
BATCH = 8


class EntailmentCheck(SentenceCheck):
    name = "entailment"

    def __init__(self, model: str, threshold: float, cache_dir: str | None = None) -> None:
        """Blocking (loads weights): call it from a worker thread inside an event loop.
        `threshold`: the probability of entailment a sentence needs."""
        import torch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        try:
            self._tokenizer = AutoTokenizer.from_pretrained(model, cache_dir=cache_dir)
            self._model = AutoModelForSequenceClassification.from_pretrained(model, cache_dir=cache_dir).eval()
        except (OSError, ValueError) as exc:
            raise ModelLoadError(f"cannot load verifier model {model}: {first_line(exc)}") from None
        labels = {label.lower(): index for index, label in self._model.config.id2label.items()}
        entailment = [index for label, index in labels.items() if label.startswith("entail")]
        if not entailment:
            raise ModelLoadError(f"verifier model {model} has no entailment label (labels: {sorted(labels)})")
        self._entailment = entailment[0]
        self._torch = torch
        self._lock = threading.Lock()  # one forward pass at a time: torch already uses every core
        self.model_id = model
        self.threshold = threshold

    def check(self, sentences: Sequence[str], evidence: Evidence) -> list[Verdict]:
        passages = _passages(evidence.sentences)
        if not passages:
            return [Verdict(False, 0.0, "no source text") for _ in sentences]
        verdicts = []
        for sentence in sentences:
            score = max(self._entailment_probabilities(passages, sentence))
            supported = score >= self.threshold
            verdicts.append(Verdict(supported, score, "" if supported else f"entailed by no source ({score:.2f})"))
        return verdicts

    def _entailment_probabilities(self, premises: list[str], hypothesis: str) -> list[float]:
        probabilities: list[float] = []
        for start in range(0, len(premises), BATCH):
            batch = premises[start : start + BATCH]
            inputs = self._tokenizer(
                batch, [hypothesis] * len(batch), truncation="only_first", padding=True, return_tensors="pt"
            )
            with self._lock, self._torch.inference_mode():
                logits = self._model(**inputs).logits
            probabilities += logits.softmax(dim=-1)[:, self._entailment].tolist()
        return probabilities


def _passages(sentences: Sequence[str]) -> list[str]:
    """Consecutive sentences packed into windows of about PASSAGE_CHARS, at most MAX_PASSAGES."""
    passages: list[str] = []
    current = ""
    for sentence in sentences:
        if current and len(current) + len(sentence) > PASSAGE_CHARS:
            passages.append(current)
            if len(passages) == MAX_PASSAGES:
                return passages
            current = ""
        current = f"{current} {sentence}".strip()
    return [*passages, current] if current else passages
